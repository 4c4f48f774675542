from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from lib.access import actor, perm_required
from lib.errors import ServiceError

from . import services
from .forms import GrantRoleForm, LoginForm, ReasonForm, UnitForm
from .models import RecommendingUnit, Role, RoleAssignment, User
from .selectors import roles_of


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


class LogoutView(auth_views.LogoutView):
    """POST only (Django 5): a link cannot sign anyone out."""


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    assignments = RoleAssignment.objects.filter(user=request.user.pk).select_related(
        "recommending_unit", "organization"
    )
    return render(
        request,
        "accounts/dashboard.html",
        {"assignments": assignments, "roles": roles_of(request.user), "Role": Role},
    )


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


@perm_required("accounts.manage_units")
def units_page(
    request: HttpRequest, form: UnitForm | None = None, status: int = 200
) -> HttpResponse:
    """The Office's list of recommending units (article 7): towns, departments, associations."""
    units = RecommendingUnit.objects.order_by("kind", "name")
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
    unit = get_object_or_404(RecommendingUnit, pk=pk) if pk is not None else None
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
