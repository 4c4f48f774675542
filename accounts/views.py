from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from audit.context import client_ip
from lib.access import actor, perm_required
from lib.errors import ServiceError

from . import codes, privacy, registration, services, throttling, tokens, two_factor
from .forms import (
    ContactForm,
    GrantRoleForm,
    IndividualRegistrationForm,
    LoginForm,
    OrganizationProfileForm,
    OrganizationRegistrationForm,
    PasswordChangeForm,
    ReasonForm,
    UnitForm,
    VerifyCodeForm,
)
from .models import (
    ApiToken,
    Notification,
    Organization,
    RecommendingUnit,
    Role,
    RoleAssignment,
    User,
)
from .password_gate import expired_message, password_expired
from .selectors import program_units, registration_changes, scopes_of


def locked_out(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """django-axes' lockout answer: JSON for the API, the Chinese page for people (429)."""
    message = "该账号连续5次登录失败，已锁定30分钟。请稍后再试，或联系安全管理员解锁。"
    if request.path.startswith("/api/"):
        body: dict[str, object] = {
            "code": "locked",
            "message": message,
            "article": None,
            "fields": {},
        }
        return JsonResponse(body, status=429, json_dumps_params={"ensure_ascii": False})
    return render(request, "accounts/locked_out.html", {"message": message}, status=429)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Too many failures from this address (credential stuffing): 429 (accounts.throttling).
        if throttling.blocked(request):
            return throttling.refusal(request)
        return super().post(request, *args, **kwargs)

    def get_success_url(self) -> str:
        """Staff (and whoever enrolled) present their second factor next (accounts.two_factor)."""
        url = super().get_success_url()
        return two_factor.pending_url(self.request, url) or url


class LogoutView(auth_views.LogoutView):
    """POST only (Django 5): a link cannot sign anyone out. Signing out also revokes the
    user's API tokens (issue 15 part 4: a token must not outlive its owner's sign-out)."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            from .tokens import revoke_tokens

            revoke_tokens(actor=actor(request), user=actor(request), reason="退出登录")
        return super().post(request, *args, **kwargs)


@perm_required("accounts.manage_roles")
def roles_page(
    request: HttpRequest, form: GrantRoleForm | None = None, status: int = 200
) -> HttpResponse:
    """The security administrator's page: who holds which role, grants, revocations, lockouts."""
    query = request.GET.get("q", "").strip()
    users = User.objects.order_by("username").prefetch_related(
        Prefetch(
            "role_assignments",
            queryset=RoleAssignment.objects.select_related("recommending_unit", "organization"),
        )
    )
    if query:
        users = users.filter(Q(username__icontains=query) | Q(full_name__icontains=query))
    page = Paginator(users, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/roles.html",
        {
            "page": page,
            "query": query,
            "form": form or GrantRoleForm(),
            "locked": list(services.locked_usernames()),
        },
        status=status,
    )


@perm_required("accounts.manage_roles")
@require_POST
@two_factor.fresh_otp_required
def role_grant(request: HttpRequest) -> HttpResponse:
    form = GrantRoleForm(request.POST)
    if form.is_valid():
        try:
            services.grant_role(
                actor=actor(request),
                actor_role=Role.SECADMIN,
                user=form.cleaned_data["username"],
                role=Role(form.cleaned_data["role"]),
                recommending_unit=form.cleaned_data["recommending_unit"],
                organization=form.cleaned_data["organization_uscc"],
                program=form.cleaned_data["program"],
                reason=form.cleaned_data["reason"],
            )
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "角色已授予。")
            return redirect("accounts:roles")
    return roles_page(request, form=form, status=400)


@perm_required("accounts.manage_roles")
@require_POST
@two_factor.fresh_otp_required
def role_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = get_object_or_404(RoleAssignment.objects.select_related("user"), pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "撤销角色须填写理由。")
        return redirect("accounts:roles")
    try:
        services.revoke_role(
            actor=actor(request), assignment=assignment, reason=form.cleaned_data["reason"]
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已撤销{assignment}。")
    return redirect("accounts:roles")


@perm_required("accounts.manage_roles")
@require_POST
@two_factor.fresh_otp_required
def account_unlock(request: HttpRequest) -> HttpResponse:
    form = ReasonForm(request.POST)
    username = request.POST.get("username", "")
    if not form.is_valid() or not username:
        messages.error(request, "解锁须填写理由。")
        return redirect("accounts:roles")
    services.unlock_account(
        actor=actor(request), username=username, reason=form.cleaned_data["reason"]
    )
    messages.success(request, f"已解除{username}的登录锁定。")
    return redirect("accounts:roles")


@perm_required("accounts.manage_tokens")
def tokens_page(request: HttpRequest) -> HttpResponse:
    """The security administrator's list of live API tokens, each revocable with a reason."""
    query = request.GET.get("q", "").strip()
    live = ApiToken.objects.filter(pk__in=tokens.live_tokens().values("pk")).select_related("user")
    if query:
        live = live.filter(Q(user__username__icontains=query) | Q(user__full_name__icontains=query))
    page = Paginator(live.order_by("user__username", "-created_at", "-pk"), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "accounts/tokens.html", {"page": page, "query": query})


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one API token: its owner (from 我的工作台) or the security administrator."""
    token = ApiToken.objects.select_related("user").filter(pk=pk).first()
    if token is None or not tokens.may_revoke(actor(request), token):
        raise Http404
    own = token.user_id == request.user.pk
    if not own and (stale := two_factor.reauth_redirect(request)):
        return stale  # another's token: a fresh code first
    try:
        tokens.revoke_token(
            actor=actor(request), token=token, reason=request.POST.get("reason", "")
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "令牌已注销，持有该令牌的程序须重新登录。")
    return redirect("accounts:dashboard" if own else "accounts:tokens")


@perm_required("accounts.manage_units")
def units_page(
    request: HttpRequest, form: UnitForm | None = None, status: int = 200
) -> HttpResponse:
    """The Office's list of recommending units (article 7): towns, departments, associations."""
    units = program_units().order_by("kind", "name")
    return render(
        request,
        "accounts/units.html",
        {
            "units": units,
            "form": form or UnitForm(initial={"active": True}),
            "kinds": RecommendingUnit.Kind,
        },
        status=status,
    )


@perm_required("accounts.manage_units")
@require_POST
def unit_save(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    unit = get_object_or_404(program_units(), pk=pk) if pk is not None else None
    form = UnitForm(request.POST)
    if form.is_valid():
        try:
            saved = services.save_recommending_unit(
                actor=actor(request), unit=unit, **form.cleaned_data
            )
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已保存推荐单位“{saved.name}”。")
            return redirect("accounts:units")
    return units_page(request, form=form, status=400)


# --- self-registration (public) -----------------------------------------------------------------

# ServiceError.fields names the service's arguments; the forms name two of them differently.
_FIELD_ALIASES = {"password": "password1", "new_password": "new_password1"}


def _show_refusal(form: forms.Form, exc: ServiceError) -> None:
    """Put a refusal's field errors next to their fields, the rest above the form."""
    placed = False
    for name, errors in exc.fields.items():
        target = _FIELD_ALIASES.get(name, name)
        if target in form.fields:
            for error in errors:
                form.add_error(target, error)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


_PENDING = "registration"  # the session key of a registration waiting for its email code


def _throttled(request: HttpRequest, form: forms.Form, template: str) -> HttpResponse | None:
    """429 with the form as typed once this address registered too often (registration.allowed)."""
    if registration.allowed(client_ip(request)):
        return None
    form.add_error(None, registration.THROTTLED)
    return render(request, template, _registration_context(form), status=429)


def _registration_context(form: forms.Form) -> dict[str, Any]:
    return {"form": form, "privacy_version": privacy.PRIVACY_NOTICE_VERSION}


def _await_code(request: HttpRequest, submitted: registration.Submitted) -> HttpResponse:
    """The same next step whatever the registration met (accounts.registration)."""
    request.session.cycle_key()
    request.session[_PENDING] = registration.new_state(submitted)
    return redirect("accounts:register_verify")


def _registration_page(
    request: HttpRequest, form: forms.Form, template: str, submit: Any
) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("intake:list")
    if request.method == "POST" and form.is_valid():
        refused = _throttled(request, form, template)
        if refused is not None:
            return refused
        try:
            submitted = submit(form.cleaned_data)
        except ServiceError as exc:
            _show_refusal(form, exc)
        else:
            return _await_code(request, submitted)
    return render(
        request, template, _registration_context(form), status=400 if form.is_bound else 200
    )


def register_organization(request: HttpRequest) -> HttpResponse:
    """An organization signs itself up with its first contact (A2.1); the account works once
    the code sent to the email is entered (register_verify)."""

    def submit(data: dict[str, Any]) -> registration.Submitted:
        return registration.request_organization(
            consent=registration.Consent(version=privacy.PRIVACY_NOTICE_VERSION),
            uscc_code=data["uscc"],
            name=data["name"],
            recommending_unit=data["recommending_unit"],
            username=data["username"],
            password=data["password1"],
            contact_name=data["contact_name"],
            email=data["email"],
            phone=data["phone"],
            registered_address=data["registered_address"],
            industry_code=data["industry_code"],
            established_on=data["established_on"],
            legal_representative=data["legal_representative"],
            is_construction=data["is_construction"],
            is_industrial=data["is_industrial"],
            environmental_rating=data["environmental_rating"],
            chief_quality_officer=data["chief_quality_officer"],
        )

    form = OrganizationRegistrationForm(request.POST or None)
    return _registration_page(request, form, "accounts/register_organization.html", submit)


def register_individual(request: HttpRequest) -> HttpResponse:
    """A person signs up to apply for the individual award (A5.3, A14.1), with the separate
    consent for the 身份证 number (个人信息保护法 第二十九条)."""

    def submit(data: dict[str, Any]) -> registration.Submitted:
        return registration.request_individual(
            consent=registration.Consent(
                version=privacy.PRIVACY_NOTICE_VERSION, sensitive=data["sensitive_consent"]
            ),
            name=data["name"],
            id_number=data["id_number"],
            recommending_unit=data["recommending_unit"],
            position=data["position"],
            quality_work_years=data["quality_work_years"],
            employer_name=data["employer_name"],
            username=data["username"],
            password=data["password1"],
            email=data["email"],
            phone=data["phone"],
        )

    form = IndividualRegistrationForm(request.POST or None)
    return _registration_page(request, form, "accounts/register_individual.html", submit)


def register_verify(request: HttpRequest) -> HttpResponse:
    """Enter the code sent to the registration's email: the account starts working and its
    owner is signed in. After a clash the page is the same and no code matches."""
    if request.user.is_authenticated:
        return redirect("intake:list")
    state = request.session.get(_PENDING)
    form = VerifyCodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if state is None:
        return render(request, "accounts/register_verify.html", {"form": None}, status=200)
    if request.method == "POST" and "resend" in request.POST:
        try:
            registration.resend(state=state)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "已重新发送验证码，请查收邮件（之前的验证码已失效）。")
        request.session[_PENDING] = state
        return redirect("accounts:register_verify")
    if request.method == "POST":
        if form.is_valid():
            try:
                user = registration.confirm(state=state, code=form.cleaned_data["code"])
            except ServiceError as exc:
                form.add_error("code", exc.message)
            else:
                del request.session[_PENDING]
                login(request, user, backend="accounts.backends.PasswordBackend")
                messages.success(request, "邮箱已验证，注册完成。您现在可以开始申报。")
                return redirect("intake:list")
            request.session[_PENDING] = state
        status = 400
    return render(
        request,
        "accounts/register_verify.html",
        {
            "form": form,
            "sent": registration.sent_message(),
            "email": _masked_email(state),
            "minutes": codes.minutes(),
        },
        status=status,
    )


def _masked_email(state: dict[str, Any]) -> str:
    """z***@example.com: enough for the person to know where to look, nothing for a passer-by."""
    email = str(state.get("email") or "")
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else ""


def privacy_notice(request: HttpRequest) -> HttpResponse:
    """The privacy notice (个人信息保护声明), public: 个人信息保护法 第七、十四、十七条."""
    return render(
        request,
        "accounts/privacy.html",
        {"version": privacy.PRIVACY_NOTICE_VERSION, "date": privacy.PRIVACY_NOTICE_DATE},
    )


# --- the inbox ------------------------------------------------------------------------------


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    rows = Notification.objects.filter(user=request.user.pk).order_by("-created_at", "-pk")
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    return render(request, "accounts/inbox.html", {"page": page})


@login_required
@require_POST
def inbox_read(request: HttpRequest) -> HttpResponse:
    count = services.mark_notifications_read(user=actor(request))
    messages.success(request, f"已将{count}条消息标为已读。" if count else "没有未读消息。")
    return redirect("accounts:inbox")


def _own_organization(request: HttpRequest) -> Organization:
    """The organization the signed-in contact speaks for (404 for anyone else)."""
    ids = scopes_of(request.user).get(Role.APPLICANT, frozenset())
    organization = (
        Organization.objects.filter(pk__in=ids).select_related("recommending_unit").first()
    )
    if organization is None:
        raise Http404
    return organization


@login_required
def organization_profile(
    request: HttpRequest, contact_form: ContactForm | None = None
) -> HttpResponse:
    """The contact's page for the organization's registration and its contacts."""
    organization = _own_organization(request)
    fields = {name: getattr(organization, name) for name in services.ORGANIZATION_PROFILE}
    form = OrganizationProfileForm(request.POST or None, initial=fields)
    status = 200
    if request.method == "POST" and contact_form is None:
        if form.is_valid():
            try:
                services.update_organization(
                    actor=actor(request), organization=organization, **form.cleaned_data
                )
            except ServiceError as exc:
                _show_refusal(form, exc)
            else:
                messages.success(request, "组织信息已保存；已提交的申报仍以提交时的信息为准。")
                return redirect("accounts:organization")
        status = 400
    contacts = User.objects.filter(
        role_assignments__role=Role.APPLICANT, role_assignments__organization=organization
    ).order_by("username")
    return render(
        request,
        "accounts/organization.html",
        {
            "organization": organization,
            "form": form if contact_form is None else OrganizationProfileForm(initial=fields),
            "contacts": contacts,
            "contact_form": contact_form or ContactForm(),
            # Kept for the Office (申报后登记信息变更) and shown here too: nothing is hidden.
            "changes": registration_changes(organization=organization),
        },
        status=400 if contact_form is not None else status,
    )


@login_required
@require_POST
def organization_add_contact(request: HttpRequest) -> HttpResponse:
    organization = _own_organization(request)
    form = ContactForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.add_contact(
                actor=actor(request),
                organization=organization,
                username=data["username"],
                password=data["password1"],
                full_name=data["full_name"],
                email=data["email"],
                phone=data["phone"],
            )
        except ServiceError as exc:
            _show_refusal(form, exc)
        else:
            messages.success(request, f"已添加联系人{data['full_name']}。")
            return redirect("accounts:organization")
    return organization_profile(request, contact_form=form)


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    """Every signed-in person changes their own password here (and must, first, when an
    administrator created the account: accounts.password_gate). The session is kept."""
    user = actor(request)
    form = PasswordChangeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.change_own_password(
                    user=user,
                    old_password=form.cleaned_data["old_password"],
                    new_password=form.cleaned_data["new_password1"],
                )
            except ServiceError as exc:
                _show_refusal(form, exc)
            else:
                update_session_auth_hash(request, user)
                messages.success(request, "密码已修改。")
                return redirect("accounts:dashboard")
        status = 400
    return render(
        request,
        "accounts/password_change.html",
        {
            "form": form,
            "forced": user.must_change_password,
            "expired": expired_message() if password_expired(user) else "",
        },
        status=status,
    )
