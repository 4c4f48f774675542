"""Two factors: a TOTP code after the password (issue 15 part 1; GB/T 22239-2019 8.1.4.1 d;
OWASP ASVS 5.0 V6.4-V6.6).

The one home of the rules. Devices are django-otp's (`otp_totp.TOTPDevice`, the authenticator
app; `otp_static.StaticDevice`, 10 recovery codes, each spent by its use).

Who
    `required(user)`: every staff member (`accounts.selectors.is_staff_member`: every role but
    applicant and individual, the three administrators included) must present a code; an
    applicant or individual may enrol from 两步验证 (/accounts/two-factor/) and is then asked at
    every sign-in too.

Sign-in
    Password (the login page) → the verify page (/accounts/two-factor/verify/: the 6-digit code
    of the app, or one recovery code) — or, for a staff member with no device yet, the enrolment
    page (/accounts/two-factor/enrol/: a QR code and the secret in groups, confirmed by a first
    code), then once the 10 recovery codes. A wrong code is refused and audited; each failure
    locks the device for 1, 2, 4, 8… seconds (django-otp's throttling).

Enforcement, in the core
    `TwoFactorGate` (middleware, after django-otp's and before the password gate): a signed-in
    person for whom `required` holds and whose session is not verified reaches only the enrol
    and verify pages, sign-out and static files; any other page redirects there keeping `next`,
    and a session call of the API answers 403 `otp_required`. Bearer tokens:
    `POST /api/v1/auth/token` takes the code (or a recovery code) in `otp`, refused without it
    for such a person; a token so issued counts as verified.

Re-authentication (role grants and revocations, unlocks, revoking another's API token, the
reveal of an ID number, the committee's approval, the revocation of a title, exports with
personal data): the last code must be at most `settings.REAUTH_MINUTES` (default 5) old.
    Pages: `@fresh_otp_required` on the view. Stale, a GET (an export) goes to the confirm page
    (/accounts/two-factor/confirm/?next=…) and comes back to the same address after the code; a
    POST is not carried out: the person is sent to the confirm page, which returns them to the
    page they came from to submit again (the message says so).
    API: `require_fresh_otp(request)` at the top of the operation. A session's last code, or a
    bearer token's issuance, counts when recent; otherwise the request carries a current code in
    the header `X-OTP`, else 403 `reauth_required`.

Lost device: only the security administrator resets another person's devices (never their
own), with a reason (`reset_devices`); the owner is told and enrols again at the next sign-in.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode, urlsplit

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import checks
from django.db import transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.services import record
from lib.access import perm_required
from lib.errors import PermissionDenied, ServiceError

from .models import Role, User
from .selectors import has_role, is_staff_member

CODE = "otp_required"
MESSAGE = "请先完成两步验证（输入动态口令），才能使用系统的其他功能。"
REAUTH_CODE = "reauth_required"
REAUTH_MESSAGE = (
    "此操作需要重新验证动态口令：距上次验证已超过{minutes}分钟。"
    "请在请求头 X-OTP 中提供当前的6位验证码或一个恢复码。"
)
REAUTH_HEADER = "X-OTP"
VERIFIED_AT = "otp_verified_at"  # session key: time.time() of the session's last code
RECOVERY_SHOWN = "otp_recovery_codes"  # session key: the new recovery codes, shown once
RECOVERY_COUNT = 10
API_TOKEN_PATH = "/api/v1/auth/token"  # noqa: S105  # a URL path, not a secret


def refusal_body() -> dict[str, object]:
    return {"code": CODE, "message": MESSAGE, "article": None, "fields": {}}


# --- who ----------------------------------------------------------------------------------------


def totp_device(user: Any, *, confirmed: bool | None = True) -> TOTPDevice | None:
    rows = TOTPDevice.objects.filter(user=user.pk)
    if confirmed is not None:
        rows = rows.filter(confirmed=confirmed)
    return rows.order_by("-pk").first()


def enrolled(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user.pk, confirmed=True).exists()


def required(user: Any) -> bool:
    """Must present a second factor: every staff member, and anyone who enrolled."""
    if not getattr(user, "is_authenticated", False):
        return False
    return is_staff_member(user) or enrolled(user)


def session_verified(request: HttpRequest) -> bool:
    """The session presented a code (django-otp's middleware checks the device still exists)."""
    is_verified = getattr(request.user, "is_verified", None)
    return bool(is_verified and is_verified())


def pending_url(request: HttpRequest, next_url: str = "") -> str | None:
    """Where a signed-in person goes before anything else, or None when nothing is pending."""
    user = request.user
    if not required(user) or session_verified(request):
        return None
    name = "accounts:otp_verify" if enrolled(user) else "accounts:otp_enrol"
    return _with_next(reverse(name), next_url)


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _safe_next(request: HttpRequest, default: str = "") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default or reverse(settings.LOGIN_REDIRECT_URL)


def api_refusal(user: Any) -> str:
    """Why `POST /api/v1/auth/token` refused a token to a person who owes a code."""
    if not enrolled(user):
        return "工作人员须先在网页登录并绑定动态口令（两步验证），才能申请API令牌。"
    return "此账号须两步验证：请在 otp 字段中填写验证器当前显示的6位验证码，或一个恢复码。"


# --- the gate -----------------------------------------------------------------------------------


class TwoFactorGate:
    """A signed-in person who owes a code reaches only the two-factor pages (module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not self._open(request.path) and (target := self._pending(request)):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    refusal_body(), status=403, json_dumps_params={"ensure_ascii": False}
                )
            return redirect(target)
        return self.get_response(request)

    @staticmethod
    def _pending(request: HttpRequest) -> str | None:
        if not getattr(request.user, "is_authenticated", False):
            return None
        return pending_url(request, request.get_full_path() if request.method == "GET" else "")

    @staticmethod
    def _open(path: str) -> bool:
        return path in {
            reverse("accounts:otp_enrol"),
            reverse("accounts:otp_verify"),
            reverse("accounts:logout"),
            API_TOKEN_PATH,
        } or path.startswith(settings.STATIC_URL or "/static/")


# --- devices and codes --------------------------------------------------------------------------


def secret_groups(device: TOTPDevice) -> str:
    """The base32 secret in groups of four, for typing into an app by hand."""
    secret = base64.b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// address as an SVG QR code in a data: URI (CSP allows img-src data:)."""
    return str(segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2))


def _clean(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


def _verify(user: User, code: str) -> tuple[str | None, str]:
    """('totp' | 'recovery' | None, refusal message). A recovery code is spent by its use."""
    code = _clean(code)
    if not code:
        return None, "请输入验证码。"
    kinds: list[tuple[str, Any]] = []
    if code.isdigit() and len(code) == 6:
        kinds = [("totp", d) for d in TOTPDevice.objects.filter(user=user, confirmed=True)]
    elif len(code) <= 16:
        kinds = [("recovery", d) for d in StaticDevice.objects.filter(user=user, confirmed=True)]
    for kind, device in kinds:
        with transaction.atomic():
            locked = type(device).objects.select_for_update().get(pk=device.pk)
            allowed, info = locked.verify_is_allowed()
            if not allowed:
                wait = ""
                if info and info.get("locked_until"):
                    left = (info["locked_until"] - timezone.now()).total_seconds()
                    seconds = max(1, int(left) + 1)
                    wait = f"请{seconds}秒后再试。"
                return None, f"验证码错误次数过多，已暂时锁定。{wait}"
            if locked.verify_token(code):
                return kind, ""
    return None, "验证码不正确或已过期，请重新输入。"


def check_code(*, user: User, code: str, channel: str) -> str:
    """Verify a code and audit it (`accounts.otp.verify`, `accounts.otp.verify_failure`, and
    `accounts.otp.recovery_used` for a recovery code). Returns the kind ('totp' or 'recovery');
    raises ServiceError(403 otp_invalid) when wrong."""
    kind, refusal = _verify(user, code)
    with transaction.atomic():
        if kind is None:
            record(
                actor=user,
                role="self",
                action="accounts.otp.verify_failure",
                obj=user,
                after={"channel": channel},
            )
        elif kind == "totp":
            record(
                actor=user,
                role="self",
                action="accounts.otp.verify",
                obj=user,
                after={"channel": channel, "factor": "动态口令"},
            )
        else:
            record(
                actor=user,
                role="self",
                action="accounts.otp.recovery_used",
                obj=user,
                after={"channel": channel, "factor": "恢复码", "remaining": recovery_left(user)},
            )
    if kind is None:
        raise ServiceError(refusal, code="otp_invalid", fields={"otp": [refusal]}, status=403)
    return kind


def recovery_left(user: Any) -> int:
    return StaticToken.objects.filter(device__user=user.pk, device__confirmed=True).count()


def new_recovery_codes(user: User) -> list[str]:
    """Replace the person's recovery codes with 10 new ones (the old ones stop working)."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="恢复码", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def mark_verified(request: HttpRequest, *, user: User) -> None:
    """The session presented a code now (django-otp's session key, and the time for re-auth)."""
    device = totp_device(user) or StaticDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        otp_login(request, device)
    request.session[VERIFIED_AT] = time.time()


def confirm_enrolment(*, user: User, device: TOTPDevice, code: str) -> list[str]:
    """A first code confirms the device; returns the 10 recovery codes (shown once)."""
    if device.user_id != user.pk or device.confirmed:
        raise PermissionDenied
    if not device.verify_is_allowed()[0]:
        raise ServiceError(
            "验证码错误次数过多，已暂时锁定，请稍等几秒再试。", fields={"otp": ["请稍后再试"]}
        )
    if not device.verify_token(_clean(code)):
        raise ServiceError(
            "验证码不正确：请核对手机时间，并输入应用中当前显示的6位数字。",
            fields={"otp": ["验证码不正确"]},
        )
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = new_recovery_codes(user)
        record(
            actor=user,
            role="self",
            action="accounts.otp.enrol",
            obj=user,
            after={"recovery_codes": RECOVERY_COUNT},
        )
    return codes


def regenerate_recovery_codes(*, user: User) -> list[str]:
    with transaction.atomic():
        codes = new_recovery_codes(user)
        record(
            actor=user,
            role="self",
            action="accounts.otp.recovery_regenerate",
            obj=user,
            after={"recovery_codes": RECOVERY_COUNT},
        )
    return codes


def reset_devices(*, actor: User, user: User, reason: str) -> int:
    """The security administrator removes another person's devices (a lost phone); the owner is
    told and enrols again at the next sign-in. Never one's own; a reason is required."""
    from .services import notify

    if not has_role(actor, Role.SECADMIN):
        raise PermissionDenied("只有安全管理员可以重置动态口令。")
    if actor.pk == user.pk:
        raise PermissionDenied("不能重置自己的动态口令：请由另一位安全管理员办理。")
    if not reason.strip():
        raise ServiceError("重置动态口令须填写理由。", fields={"reason": ["请填写理由"]})
    with transaction.atomic():
        removed = TOTPDevice.objects.filter(user=user).delete()[0]
        StaticDevice.objects.filter(user=user).delete()
        record(
            actor=actor,
            role=Role.SECADMIN,
            action="accounts.otp.reset",
            obj=user,
            after={"username": user.username},
            reason=reason.strip(),
        )
        notify(
            users=[user],
            subject="您的动态口令已被重置",
            body=(
                f"安全管理员重置了您账号（{user.username}）的动态口令和恢复码，原因：{reason.strip()}。"
                "原来的验证器和恢复码已失效；下次登录时请按页面提示重新绑定。"
                "如非您本人申请，请立即联系安全管理员。"
            ),
        )
    return removed


# --- re-authentication --------------------------------------------------------------------------


def _window() -> float:
    return float(settings.REAUTH_MINUTES) * 60


def session_fresh(request: HttpRequest) -> bool:
    at = request.session.get(VERIFIED_AT) if hasattr(request, "session") else None
    return (
        session_verified(request) and isinstance(at, int | float) and time.time() - at <= _window()
    )


def _bearer_token(request: HttpRequest) -> Any:
    from .models import ApiToken

    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    key = header.removeprefix("Bearer ").strip()
    return ApiToken.objects.filter(key_hash=hashlib.sha256(key.encode()).hexdigest()).first()


def require_fresh_otp(request: HttpRequest) -> None:
    """For an API operation: a recent code (session or token), else a current one in `X-OTP`."""
    user = request.user
    if not required(user):
        return
    if session_fresh(request):
        return
    token = _bearer_token(request)
    if token is not None and time.time() - token.created_at.timestamp() <= _window():
        return
    if code := request.headers.get(REAUTH_HEADER, ""):
        check_code(user=user, code=code, channel="api")  # type: ignore[arg-type]
        if getattr(request, "session", None) is not None and session_verified(request):
            request.session[VERIFIED_AT] = time.time()
        return
    raise ServiceError(
        REAUTH_MESSAGE.format(minutes=settings.REAUTH_MINUTES), code=REAUTH_CODE, status=403
    )


def reauth_redirect(request: HttpRequest) -> HttpResponse | None:
    """None when the session's last code is recent (or no code is required); else where to go
    for a fresh one, coming back to this page (a GET) or to the form it was posted from."""
    if not required(request.user) or session_fresh(request):
        return None
    if request.method in ("GET", "HEAD"):
        back = request.get_full_path()
    else:
        referer = request.headers.get("Referer", "")
        allowed = url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()})
        parts = urlsplit(referer)
        back = (parts.path + (f"?{parts.query}" if parts.query else "")) if allowed else ""
        messages.warning(
            request,
            f"此操作需要重新验证动态口令（距上次验证已超过{settings.REAUTH_MINUTES}分钟），"
            "本次提交未执行。请输入验证码，返回原页面后再提交一次。",
        )
    return redirect(_with_next(reverse("accounts:otp_reauth"), back))


def fresh_otp_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For a page: a stale code sends the person to the confirm page first (module docstring)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return reauth_redirect(request) or view(request, *args, **kwargs)

    return wrapped


# --- pages --------------------------------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]  # login_required


@login_required
def enrol(request: HttpRequest) -> HttpResponse:
    """Bind an authenticator app: only while the person has no confirmed device."""
    user = _user(request)
    next_url = _safe_next(request)
    if enrolled(user):
        return HttpResponseRedirect(pending_url(request, next_url) or next_url)
    device = totp_device(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="验证器", confirmed=False)
    error = ""
    status = 200
    if request.method == "POST":
        try:
            codes = confirm_enrolment(user=user, device=device, code=request.POST.get("otp", ""))
        except ServiceError as exc:
            error, status = exc.message, 400
        else:
            mark_verified(request, user=user)
            request.session[RECOVERY_SHOWN] = codes
            return redirect(_with_next(reverse("accounts:otp_recovery"), next_url))
    return render(
        request,
        "accounts/otp_enrol.html",
        {
            "qr": qr_data_uri(device),
            "secret": secret_groups(device),
            "issuer": settings.OTP_TOTP_ISSUER,
            "account": f"{settings.OTP_TOTP_ISSUER}:{user.username}",
            "next": next_url,
            "error": error,
            "forced": is_staff_member(user),
        },
        status=status,
    )


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """The second step of a sign-in: a code of the app, or one recovery code."""
    user = _user(request)
    next_url = _safe_next(request)
    if not required(user) or session_verified(request):
        return HttpResponseRedirect(next_url)
    if not enrolled(user):
        return redirect(_with_next(reverse("accounts:otp_enrol"), next_url))
    error = ""
    status = 200
    if request.method == "POST":
        try:
            kind = check_code(user=user, code=request.POST.get("otp", ""), channel="web")
        except ServiceError as exc:
            error, status = exc.message, 400
        else:
            mark_verified(request, user=user)
            if kind == "recovery":
                messages.warning(
                    request,
                    f"您使用了一个恢复码（已作废），还剩{recovery_left(user)}个。"
                    "恢复码用完前请在“两步验证”页重新生成。",
                )
            return HttpResponseRedirect(next_url)
    return render(
        request,
        "accounts/otp_verify.html",
        {"next": next_url, "error": error, "title": "两步验证", "reauth": False},
        status=status,
    )


@login_required
def reauth(request: HttpRequest) -> HttpResponse:
    """A fresh code before a sensitive action; back to `next` afterwards."""
    user = _user(request)
    next_url = _safe_next(request)
    if not required(user):
        return HttpResponseRedirect(next_url)
    error = ""
    status = 200
    if request.method == "POST":
        try:
            check_code(user=user, code=request.POST.get("otp", ""), channel="web")
        except ServiceError as exc:
            error, status = exc.message, 400
        else:
            mark_verified(request, user=user)
            return HttpResponseRedirect(next_url)
    return render(
        request,
        "accounts/otp_verify.html",
        {"next": next_url, "error": error, "title": "重新验证动态口令", "reauth": True},
        status=status,
    )


@login_required
def recovery(request: HttpRequest) -> HttpResponse:
    """The new recovery codes, shown once (kept in the session only until this page)."""
    codes = request.session.pop(RECOVERY_SHOWN, None)
    if not codes:
        return redirect("accounts:otp_settings")
    return render(
        request, "accounts/otp_recovery.html", {"codes": codes, "next": _safe_next(request)}
    )


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    """One's own two factors: enrol (optional for applicants), recovery codes left."""
    user = _user(request)
    return render(
        request,
        "accounts/otp_settings.html",
        {
            "enrolled": enrolled(user),
            "staff": is_staff_member(user),
            "recovery_left": recovery_left(user),
        },
    )


@login_required
@require_POST
@fresh_otp_required
def recovery_regenerate(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not enrolled(user):
        return redirect("accounts:otp_settings")
    request.session[RECOVERY_SHOWN] = regenerate_recovery_codes(user=user)
    return redirect(_with_next(reverse("accounts:otp_recovery"), reverse("accounts:otp_settings")))


@perm_required("accounts.manage_roles")
@require_POST
@fresh_otp_required
def reset_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The security administrator resets another person's devices (from 角色与锁定)."""
    user = User.objects.filter(pk=pk).first()
    if user is None:
        raise Http404
    try:
        reset_devices(actor=_user(request), user=user, reason=request.POST.get("reason", ""))
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已重置{user.username}的动态口令；对方下次登录时重新绑定。")
    return redirect("accounts:roles")


# --- the demo's secrets -------------------------------------------------------------------------


def demo_key(username: str) -> str:
    """The demo's fixed TOTP key of a username (hex, 20 bytes): documented, hence never valid
    in production (`check_demo_secrets`)."""
    return hashlib.sha256(f"qa-demo-totp:{username}".encode()).digest()[:20].hex()


def demo_secret(username: str) -> str:
    return base64.b32encode(bytes.fromhex(demo_key(username))).decode()


@checks.register(checks.Tags.security, deploy=True)
def check_demo_secrets(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """`check --deploy` fails while any TOTP device holds a demo secret (programs.demo)."""
    from django.db import DatabaseError

    try:
        rows = list(TOTPDevice.objects.values_list("key", "user__username"))
    except DatabaseError:
        return []  # no tables yet (before `migrate`): nothing to hold a secret
    found = sorted(name for key, name in rows if key == demo_key(name))
    if not found:
        return []
    return [
        checks.Error(
            f"{len(found)}个账号的动态口令使用演示数据的公开密钥（如 {', '.join(found[:5])}）。",
            hint="生产数据库不得载入演示数据：删除这些账号或由安全管理员重置其动态口令。",
            id="accounts.E015",
        )
    ]
