"""Forgotten passwords and verified addresses (issue 15 part 2; GB/T 22239-2019 8.1.4.1 a;
OWASP ASVS 5.0 V6.4 credential recovery): services, forms and pages.

**Verified addresses** (账号安全, /accounts/security/): the signed-in owner asks for a code to
their email or phone and types it back (`send_verification`, `confirm_verification`), which
stamps `User.email_verified_at` / `phone_verified_at` (`accounts.contact.verify`). A changed
address loses its stamp (`User.save`, one home). Only a verified address receives a reset code.

**Reset by the owner** (忘记密码, from the sign-in page):

1. /accounts/password/reset/: username and channel (邮箱/手机). `request_reset` answers
   nothing: the page always redirects to step 2 with the same words ("如该账号存在且已验证所选
   联系方式，验证码已发送…"), byte for byte the same response whatever exists, so nobody learns
   which usernames exist or which addresses are verified. A code goes out only to an active
   account's verified address, at most settings.PASSWORD_RESET_LIMIT (3) an hour per account;
   every request counts against the client address (accounts.throttling). Audited:
   `accounts.password.reset_request` (the username tried, the channel, whether a code went).
2. /accounts/password/reset/confirm/: username, code, new password twice. `reset_password`
   checks the code first (a wrong one counts against the code and the address, and every
   failure reads the same), then the password rules (so they answer only the code's holder),
   then sets the password: `must_change_password` cleared, `password_changed_at` and history
   (`User.save`), other sessions end (Django's session hash changes with the password), API
   tokens revoked, the sign-in lockout of the account lifted, `accounts.password.reset`
   audited, and the owner told on every verified address ("如非本人操作…").

A code-based reset is chosen by its owner: no forced change afterwards. An account created by
an administrator is already forced (accounts.password_gate).

**Reset started by an administrator** (三员分立: the system administrator manages accounts but
never knows a password): `start_reset` (page /accounts/users/<id>/reset/, linked from the
account's page in the Django admin) takes a reason and sends the code to the owner's verified
channel; the administrator never sees it; the owner is told in the message and in the inbox.
Nobody starts it for their own account (the owner uses 忘记密码). An owner with no verified
channel is refused: they verify their identity in person at the Office. One exception is the
account's first password (activation): an account an administrator created has no usable
password and has never signed in, so nobody has verified its address yet; its first code goes
to the email or phone recorded when it was made (`activation_channels`), and using the code
proves the address, which is stamped verified. The account holds nothing until the security
administrator grants it a role, and its owner enrols the second factor at the first sign-in.
Decision on the three administrators as each other's attackers: the system administrator may
start a reset of the security or audit administrator's account, because the code goes only to
that person's own verified address; it gives the system administrator nothing but an audit
event and a warning to the owner. The security and audit administrators cannot start resets at all.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any
from urllib.parse import urlencode

from axes.utils import reset as axes_reset
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from audit.services import record
from lib import throttle
from lib.access import actor, perm_required
from lib.errors import PermissionDenied, ServiceError
from lib.forms import BootstrapForm
from lib.sms import masked

from . import throttling
from .codes import (
    Channel,
    Purpose,
    check_code,
    deliver,
    issue_code,
    minutes,
    reset_channels,
    verified_channels,
)
from .models import Notification, OneTimeCode, Role, User

logger = logging.getLogger(__name__)

SENT = "如该账号存在且已验证所选联系方式，验证码已发送，{minutes}分钟内有效。"
CODE_REFUSED = (
    "用户名或验证码不正确，或验证码已过期、已使用、错误次数过多而失效。"
    "请核对后重试，或重新获取验证码。"
)
NO_VERIFIED_CHANNEL = (
    "该账号没有已验证的电子邮箱或手机号码，无法发送验证码。"
    "请账号本人持有效身份证件到委员会办公室当面核验身份后办理。"
)
ACCOUNT_SCOPE = "reset-account"
VERIFY_SCOPE = "verify-account"
VERIFY_LIMIT = 5
HOUR = 3600


def sent_message() -> str:
    return SENT.format(minutes=minutes())


def _throttled() -> ServiceError:
    return ServiceError(throttling.message(), code=throttling.CODE, status=429)


def _reset_limit() -> int:
    from django.conf import settings

    return int(getattr(settings, "PASSWORD_RESET_LIMIT", 3))


# --- services ------------------------------------------------------------------------------


def request_reset(*, username: str, channel: str, request: HttpRequest | None = None) -> None:
    """Send a reset code if `username` is an active account with `channel` verified and under
    its hourly limit; say nothing either way (the caller shows `sent_message()` always).

    Refusal: 429 when the client address is throttled (whatever the username)."""
    if request is not None:
        if throttling.blocked(request):
            raise _throttled()
        throttling.note_failure(request, what="reset")
    channel = Channel(channel)
    username = username.strip()[:150]
    user = User.objects.filter(username=username, is_active=True).first()
    delivered = False
    if (
        user is not None
        and channel in verified_channels(user)
        and throttle.hit(ACCOUNT_SCOPE, str(user.pk), limit=_reset_limit(), window_seconds=HOUR)
    ):
        # A failed delivery is logged by deliver(); the answer is the same.
        with contextlib.suppress(ServiceError):
            issue_code(user=user, purpose=Purpose.PASSWORD_RESET, channel=channel)
            delivered = True
    with transaction.atomic():
        record(
            actor=None,
            role="anonymous",
            action="accounts.password.reset_request",
            obj=user,
            after={"username": username, "channel": channel.value, "delivered": delivered},
        )


def reset_password(
    *, username: str, code: str, new_password: str, request: HttpRequest | None = None
) -> User:
    """Set a new password with a reset code (see the module's docstring for every effect).

    Refusals: CODE_REFUSED for any wrong username or code (counted against the code and the
    client address); the password rules' messages (field `new_password`) once the code is
    right; 429 when the client address is throttled."""
    if request is not None and throttling.blocked(request):
        raise _throttled()
    refused = ServiceError(CODE_REFUSED, code="code_invalid", fields={"code": ["验证码不正确"]})
    user = User.objects.filter(username=username.strip()[:150], is_active=True).first()
    if user is None:
        throttling.note_failure(request, what="code")
        raise refused
    try:
        check_code(user=user, purpose=Purpose.PASSWORD_RESET, code=code, consume=False)
    except ServiceError as exc:
        throttling.note_failure(request, what="code")
        raise refused from exc
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ServiceError("；".join(exc.messages), fields={"new_password": exc.messages}) from exc
    from .tokens import revoke_tokens

    with transaction.atomic():
        # Uses the code up; a second tab that was faster wins and this one is refused.
        check_code(user=user, purpose=Purpose.PASSWORD_RESET, code=code)
        row = OneTimeCode.objects.filter(user=user, purpose=Purpose.PASSWORD_RESET).first()
        user.set_password(new_password)
        user.must_change_password = False
        fields = ["password", "must_change_password"]
        if row is not None and row.channel not in verified_channels(user):
            # An activation code (see the docstring) proves the address it reached.
            stamp = "email_verified_at" if row.channel == Channel.EMAIL else "phone_verified_at"
            setattr(user, stamp, timezone.now())
            fields.append(stamp)
        user._qa_changed_by = user  # type: ignore[attr-defined]  # read by User.save's event
        user.save(update_fields=fields)
        revoke_tokens(actor=user, user=user, reason="重置密码")
        removed = axes_reset(username=user.username)
        record(
            actor=user,
            role="self",
            action="accounts.password.reset",
            obj=user,
            after={
                "channel": row.channel if row else "",
                "requested_by": row.requested_by_id if row else None,
                "attempts_removed": removed,
            },
        )
    _tell_owner(user)
    return user


def _tell_owner(user: User) -> None:
    """The owner learns of the reset on every verified address (one of them may not be the
    thief's)."""
    when = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    text = (
        f"您的账号（{user.username}）的登录密码已于{when}通过验证码重置，其他设备上的登录和API令牌"
        "已全部失效。如非本人操作，请立即联系委员会办公室。"
    )
    for channel in verified_channels(user):
        # A failed delivery is logged by deliver(); the password is already reset.
        with contextlib.suppress(ServiceError):
            deliver(
                user=user,
                channel=channel,
                subject="【如皋市质量奖评审系统】密码已重置",
                text=text,
                template="reset_notice",
            )


def start_reset(*, actor: User, user: User, reason: str, channel: str = "") -> str:
    """The system administrator starts a reset of another person's account: the code goes to
    the owner's verified `channel` (or the first verified one), never to the administrator.
    Returns the channel used.

    Refusals: 403 for anyone but the system administrator; one's own account; no reason; no
    verified channel (the owner verifies in person at the Office); more than
    PASSWORD_RESET_LIMIT an hour for the account (429). The code goes out as a background job
    after the commit (jobs, issue 17): a mail server that is down is retried, and a code that
    still fails shows on the Office's 后台任务; it is never sent once expired."""
    if not actor.has_perm("accounts.manage_users"):
        raise PermissionDenied("只有系统管理员可以为他人发起密码重置。")
    if actor.pk == user.pk:
        raise ServiceError(
            "不能为自己的账号发起密码重置（三员分立）：请在登录页使用“忘记密码”。",
            code="separation_of_duties",
        )
    if not reason.strip():
        raise ServiceError("发起密码重置须填写理由。", fields={"reason": ["请填写理由"]})
    if not user.is_active:
        raise ServiceError("该账号已停用。", code="state_conflict", status=409)
    channels = reset_channels(user)
    if not channels:
        raise ServiceError(NO_VERIFIED_CHANNEL, code="not_verified")
    chosen = Channel(channel) if channel in channels else Channel(channels[0])
    if not throttle.hit(ACCOUNT_SCOPE, str(user.pk), limit=_reset_limit(), window_seconds=HOUR):
        raise ServiceError(
            f"该账号一小时内已发起{_reset_limit()}次密码重置，请稍后再试。",
            code=throttling.CODE,
            status=429,
        )
    with transaction.atomic():
        record(
            actor=actor,
            role=Role.SYSADMIN,
            action="accounts.password.reset_request",
            obj=user,
            after={"username": user.username, "channel": chosen.value, "delivered": True},
            reason=reason.strip(),
        )
        Notification.objects.create(
            user=user,
            subject="管理员为您的账号发起了密码重置",
            body=(
                f"系统管理员{actor}为您的账号发起了密码重置（理由：{reason.strip()}），验证码已发送到"
                f"您的{chosen.label}，管理员看不到验证码。请在登录页“忘记密码”中输入验证码"
                "设置新密码；如非您本人申请，请联系委员会办公室。"
            ),
            url=reverse("accounts:password_reset_confirm"),
        )
        issue_code(user=user, purpose=Purpose.PASSWORD_RESET, channel=chosen, requested_by=actor)
    return chosen.value


def send_verification(*, user: User, channel: str) -> None:
    """Send a code proving the user's own email (channel email) or phone (channel sms).

    Refusals: no such address; more than VERIFY_LIMIT an hour (429). Delivery is a background
    job after the commit (retried; never sent once the code has expired)."""
    channel = Channel(channel)
    purpose = Purpose.VERIFY_EMAIL if channel == Channel.EMAIL else Purpose.VERIFY_PHONE
    if not throttle.hit(VERIFY_SCOPE, str(user.pk), limit=VERIFY_LIMIT, window_seconds=HOUR):
        raise ServiceError(
            f"一小时内最多发送{VERIFY_LIMIT}次验证码，请稍后再试。",
            code=throttling.CODE,
            status=429,
        )
    issue_code(user=user, purpose=purpose, channel=channel)


def verify_in_person(*, actor: User, user: User, channel: str, reason: str) -> None:
    """The security administrator records that the owner proved, in person at the Office with an
    identity document, the address of `channel` already on the account (the way back for an
    owner with no verified address; the system administrator, who edits addresses, cannot also
    vouch for them: 三员分立). Audited as `accounts.contact.verify`; the owner is told.

    Refusals: 403 for anyone but the security administrator; one's own account; no reason; no
    such address on the account."""
    if not actor.has_perm("accounts.manage_roles"):
        raise PermissionDenied("只有安全管理员可以登记当面核验。")
    if actor.pk == user.pk:
        raise ServiceError(
            "不能为自己的账号登记当面核验（三员分立）。", code="separation_of_duties"
        )
    if not reason.strip():
        raise ServiceError("登记当面核验须填写理由。", fields={"reason": ["请填写理由"]})
    channel = Channel(channel)
    address = user.email if channel == Channel.EMAIL else user.phone
    what = "电子邮箱" if channel == Channel.EMAIL else "手机号码"
    if not address:
        raise ServiceError(
            f"该账号没有登记{what}，请先由系统管理员在后台登记本人提供的{what}。",
            code="no_address",
        )
    stamp = "email_verified_at" if channel == Channel.EMAIL else "phone_verified_at"
    with transaction.atomic():
        setattr(user, stamp, timezone.now())
        user.save(update_fields=[stamp])
        record(
            actor=actor,
            role=Role.SECADMIN,
            action="accounts.contact.verify",
            obj=user,
            after={"channel": channel.value, "verified": True, "in_person": True},
            reason=reason.strip(),
        )
        Notification.objects.create(
            user=user,
            subject=f"您的{what}已经当面核验",
            body=(
                f"安全管理员{actor}根据您在委员会办公室的当面核验，登记您的{what}为已验证"
                f"（理由：{reason.strip()}）。忘记密码时，验证码将发送到这里；如非您本人办理，"
                "请立即联系委员会办公室。"
            ),
            url=reverse("accounts:security"),
        )


def confirm_verification(
    *, user: User, channel: str, code: str, request: HttpRequest | None = None
) -> None:
    """Stamp the address verified when `code` is right (`accounts.contact.verify`)."""
    channel = Channel(channel)
    purpose = Purpose.VERIFY_EMAIL if channel == Channel.EMAIL else Purpose.VERIFY_PHONE
    if request is not None and throttling.blocked(request):
        raise _throttled()
    try:
        check_code(user=user, purpose=purpose, code=code)
    except ServiceError:
        throttling.note_failure(request, what="code")
        raise
    stamp = "email_verified_at" if channel == Channel.EMAIL else "phone_verified_at"
    with transaction.atomic():
        setattr(user, stamp, timezone.now())
        user.save(update_fields=[stamp])
        record(
            actor=user,
            role="self",
            action="accounts.contact.verify",
            obj=user,
            after={"channel": channel.value, "verified": True},
        )


# --- forms ---------------------------------------------------------------------------------

CHANNEL_CHOICES = [(Channel.EMAIL.value, "电子邮箱"), (Channel.SMS.value, "手机短信")]


def _password_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class ResetRequestForm(BootstrapForm):
    username = forms.CharField(
        label="用户名", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username"})
    )
    channel = forms.ChoiceField(
        label="验证码发送到", choices=CHANNEL_CHOICES, widget=forms.RadioSelect
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"].widget.attrs["class"] = "form-check-input"


class ResetConfirmForm(BootstrapForm):
    username = forms.CharField(
        label="用户名", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username"})
    )
    code = forms.CharField(
        label="验证码",
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": "6"}
        ),
    )
    new_password1 = _password_field("新密码")
    new_password2 = _password_field("再次输入新密码")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("new_password1"), data.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", "两次输入的新密码不一致。")
        return data


class CodeForm(BootstrapForm):
    code = forms.CharField(
        label="验证码",
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class StartResetForm(BootstrapForm):
    channel = forms.ChoiceField(label="验证码发送到", choices=CHANNEL_CHOICES)
    reason = forms.CharField(label="理由", max_length=200)


# --- pages ---------------------------------------------------------------------------------


def _place(form: forms.Form, exc: ServiceError) -> None:
    aliases = {"new_password": "new_password1"}
    placed = False
    for name, errors in exc.fields.items():
        target = aliases.get(name, name)
        if target in form.fields:
            for error in errors:
                form.add_error(target, error)
            placed = True
    if not placed or exc.code == "code_invalid":
        form.add_error(None, exc.message)


def password_reset(request: HttpRequest) -> HttpResponse:
    """忘记密码, step 1: whatever is typed, the same redirect to step 2."""
    form = ResetRequestForm(request.POST or None, initial={"channel": Channel.EMAIL.value})
    if request.method == "POST" and form.is_valid():
        username, channel = form.cleaned_data["username"], form.cleaned_data["channel"]
        try:
            request_reset(username=username, channel=channel, request=request)
        except ServiceError as exc:
            if exc.status == 429:
                return throttling.refusal(request)
            raise
        query = urlencode({"username": username.strip()[:150], "sent": "1"})
        return redirect(f"{reverse('accounts:password_reset_confirm')}?{query}")
    return render(
        request,
        "accounts/password_reset.html",
        {"form": form, "minutes": minutes()},
        status=400 if form.is_bound else 200,
    )


def password_reset_confirm(request: HttpRequest) -> HttpResponse:
    """忘记密码, step 2: username, code, new password twice."""
    initial = {"username": request.GET.get("username", "")[:150]}
    form = ResetConfirmForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            reset_password(
                username=data["username"],
                code=data["code"],
                new_password=data["new_password1"],
                request=request,
            )
        except ServiceError as exc:
            if exc.status == 429:
                return throttling.refusal(request)
            _place(form, exc)
        else:
            messages.success(request, "密码已重置，请用新密码登录。")
            return redirect("accounts:login")
    return render(
        request,
        "accounts/password_reset_confirm.html",
        {"form": form, "sent": sent_message() if request.GET.get("sent") else ""},
        status=400 if form.is_bound else 200,
    )


@login_required
def security(request: HttpRequest) -> HttpResponse:
    """账号安全: the owner's addresses, verified or not, and the way to verify them."""
    user = actor(request)
    pending = request.GET.get("code", "")
    rows = [
        {
            "channel": Channel.EMAIL.value,
            "label": "电子邮箱",
            "address": user.email,
            "verified_at": user.email_verified_at if user.email else None,
        },
        {
            "channel": Channel.SMS.value,
            "label": "手机号码",
            "address": masked(user.phone) if user.phone else "",
            "verified_at": user.phone_verified_at if user.phone else None,
        },
    ]
    for row in rows:
        row["form"] = CodeForm(auto_id=f"id_{row['channel']}_%s")
        row["pending"] = pending == row["channel"]
    return render(
        request, "accounts/security.html", {"rows": rows, "minutes": minutes(), "user": user}
    )


@login_required
@require_POST
def security_send(request: HttpRequest) -> HttpResponse:
    channel = request.POST.get("channel", "")
    if channel not in Channel.values:
        messages.error(request, "请选择电子邮箱或手机。")
        return redirect("accounts:security")
    try:
        send_verification(user=actor(request), channel=channel)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:security")
    where = "邮箱" if channel == Channel.EMAIL else "手机"
    messages.success(request, f"验证码已发送到您的{where}，{minutes()}分钟内有效。")
    return redirect(f"{reverse('accounts:security')}?code={channel}")


@login_required
@require_POST
def security_confirm(request: HttpRequest) -> HttpResponse:
    channel = request.POST.get("channel", "")
    if channel not in Channel.values:
        messages.error(request, "请选择电子邮箱或手机。")
        return redirect("accounts:security")
    form = CodeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请输入验证码。")
        return redirect(f"{reverse('accounts:security')}?code={channel}")
    try:
        confirm_verification(
            user=actor(request), channel=channel, code=form.cleaned_data["code"], request=request
        )
    except ServiceError as exc:
        if exc.status == 429:
            return throttling.refusal(request)
        messages.error(request, exc.message)
        return redirect(f"{reverse('accounts:security')}?code={channel}")
    messages.success(request, "已验证。忘记密码时，可以用它接收验证码。")
    return redirect("accounts:security")


@perm_required("accounts.manage_roles")
@require_POST
def in_person_page(request: HttpRequest, pk: int) -> HttpResponse:
    """角色与锁定: the security administrator records an in-person verification."""
    user = get_object_or_404(User, pk=pk)
    try:
        verify_in_person(
            actor=actor(request),
            user=user,
            channel=request.POST.get("channel", Channel.EMAIL),
            reason=request.POST.get("reason", ""),
        )
    except (ServiceError, ValueError) as exc:
        messages.error(request, getattr(exc, "message", "请选择邮箱或手机。"))
    else:
        messages.success(request, f"已登记{user.username}的当面核验；本人可用“忘记密码”重置密码。")
    return redirect("accounts:roles")


@perm_required("accounts.manage_users")
def admin_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """The system administrator starts a reset of another account (reason required)."""
    user = get_object_or_404(User, pk=pk)
    channels = reset_channels(user)
    form = StartResetForm(
        request.POST or None, initial={"channel": channels[0] if channels else ""}
    )
    choices = form.fields["channel"]
    assert isinstance(choices, forms.ChoiceField)
    choices.choices = [c for c in CHANNEL_CHOICES if c[0] in channels] or [
        ("", "（无已验证的联系方式）")
    ]
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                used = start_reset(
                    actor=actor(request),
                    user=user,
                    reason=form.cleaned_data["reason"],
                    channel=form.cleaned_data["channel"],
                )
            except ServiceError as exc:
                if exc.status == 403:
                    raise
                form.add_error(None, exc.message)
            else:
                where = "邮箱" if used == Channel.EMAIL else "手机"
                messages.success(
                    request,
                    f"已向{user}的{where}发送重置验证码（您看不到验证码），并通知了本人。",
                )
                return redirect("admin:accounts_user_change", user.pk)
    return render(
        request,
        "accounts/admin_reset.html",
        {
            "form": form,
            "owner": user,
            "channels": channels,
            "activation": not verified_channels(user) and bool(channels),
            "own": user.pk == request.user.pk,
        },
        status=status,
    )
