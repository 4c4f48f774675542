"""First things first: an account whose password an administrator set, or a staff account whose
password expired, changes it before anything else (issue 15 parts 2 and 3; GB/T 22239-2019
8.1.4.1 a; OWASP ASVS 5.0 V6.2).

`User.must_change_password` is set when an administrator creates the account (the admin's add
form, `accounts.services.create_user` with an actor) and cleared by
`accounts.services.change_own_password`. While it is set:

- `PasswordChangeGate` (middleware, after authentication) sends a signed-in visitor from any
  page to the change page (the page itself, sign-out and static files stay reachable), and
  answers a session call of the API with 403 `password_change_required`;
- `accounts.api.TokenAuth` answers a bearer call the same, except `POST /api/v1/auth/password`.

Accounts made by the system (the demo, the test personas, self-registration) are not forced.

Expiry (`password_expired`): a staff member's password (`accounts.selectors.is_staff_member`)
older than settings.PASSWORD_EXPIRY_DAYS (90; 0 turns expiry off), counted from
`User.password_changed_at` (stamped by `User.save` whenever a password is set) or
`date_joined` before that field existed, is treated the same way: the page redirects to the
change page, which says why (`expired_message()`); the API answers 403 `password_expired`.
Applicants' passwords do not expire (they sign in a few times a year).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

CODE = "password_change_required"
MESSAGE = "您的账号由管理员创建，须先修改初始密码，才能使用系统的其他功能。"
API_PASSWORD_PATH = "/api/v1/auth/password"  # noqa: S105  # a URL path, not a secret
EXPIRED_CODE = "password_expired"  # an error code, not a secret


def expired_message() -> str:
    return (
        f"您的密码已超过{settings.PASSWORD_EXPIRY_DAYS}天未更换，按等级保护要求须先修改密码，"
        "才能继续使用系统。"
    )


def refusal_body(code: str = CODE) -> dict[str, object]:
    message = MESSAGE if code == CODE else expired_message()
    return {"code": code, "message": message, "article": None, "fields": {}}


def password_age_start(user: Any) -> dt.datetime:
    return user.password_changed_at or user.date_joined


def expires_at(user: Any) -> dt.datetime | None:
    """When a staff member's password expires (None: no expiry for this person)."""
    days = int(getattr(settings, "PASSWORD_EXPIRY_DAYS", 0) or 0)
    if days <= 0 or not getattr(user, "is_authenticated", False):
        return None
    from .selectors import is_staff_member

    if not is_staff_member(user):
        return None
    return password_age_start(user) + dt.timedelta(days=days)


NOTICE_DAYS = 7


def expiry_notice(user: Any) -> str:
    """A line for the workbench in the last NOTICE_DAYS days before a staff password expires
    ("" otherwise, and once it has expired: the gate then speaks)."""
    when = expires_at(user)
    if when is None:
        return ""
    left = when - timezone.now()
    if left <= dt.timedelta(0) or left > dt.timedelta(days=NOTICE_DAYS):
        return ""
    days = max(1, left.days + (1 if left.seconds else 0))
    return (
        f"您的密码将在{days}天内（{timezone.localtime(when):%Y-%m-%d %H:%M}）到期，"
        "到期后须先修改密码才能继续使用系统。"
    )


def password_expired(user: Any) -> bool:
    when = expires_at(user)
    return when is not None and when <= timezone.now()


def refusal_code(user: Any) -> str:
    """CODE, EXPIRED_CODE, or "" when the user may go on."""
    if must_change(user):
        return CODE
    if password_expired(user):
        return EXPIRED_CODE
    return ""


def must_change(user: object) -> bool:
    return bool(
        getattr(user, "is_authenticated", False) and getattr(user, "must_change_password", False)
    )


class PasswordChangeGate:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.user.is_authenticated and not self._open(request.path):
            code = refusal_code(request.user)
            if code and request.path.startswith("/api/"):
                return JsonResponse(
                    refusal_body(code), status=403, json_dumps_params={"ensure_ascii": False}
                )
            if code:  # the change page says why (forced, or expired_message())
                return redirect("accounts:password_change")
        return self.get_response(request)

    @staticmethod
    def _open(path: str) -> bool:
        return path in {
            reverse("accounts:password_change"),
            reverse("accounts:logout"),
            # The second factor comes first (accounts.two_factor.TwoFactorGate, before this
            # gate): its pages must open, or the two gates would send each other round.
            reverse("accounts:otp_enrol"),
            reverse("accounts:otp_verify"),
            reverse("accounts:otp_recovery"),
            API_PASSWORD_PATH,
        } or path.startswith(settings.STATIC_URL or "/static/")
