"""Throttling of sign-in failures per client address: one address trying passwords against
many accounts (credential stuffing) is stopped (issue 15 part 2; GB/T 22239-2019 8.1.4.1 b;
OWASP ASVS 5.0 V6.3.1).

Two limits, two stores, chosen deliberately:

- **Per account: django-axes** (AXES_FAILURE_LIMIT = 5 failures, 30 minutes, keyed by the
  username only), in the database as before. It stays there: its lockouts are listed and lifted
  by the security administrator on the roles page (`accounts.services.locked_usernames`,
  `unlock_account`, audited), which reads `axes.models.AccessAttempt`; moving axes to its cache
  handler would lose that page and the audit of the unlock, for no gain (one row per failing
  username is cheap).
- **Per client address: here**, counters in Redis (lib/throttle.py, shared by every worker).
  Failed sign-ins on the page and on `POST /api/v1/auth/token` (Django's `user_login_failed`
  signal, which both send), reset requests and wrong one-time codes count against the address
  (`audit.context.client_ip`: REMOTE_ADDR, or X-Forwarded-For behind AUDIT_TRUSTED_PROXIES).
  Past settings.LOGIN_IP_FAILURE_LIMIT (30) in LOGIN_IP_WINDOW_MINUTES (15) the address gets
  429 with a Chinese message on those entry points until the window ends. The limit is high
  because a government office signs in from behind one proxy: 30 failures in 15 minutes is far
  above a room of clerks mistyping, far below a stuffing run. The start of a block is audited
  once (`accounts.login.throttled`), not every refused try.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from audit.context import client_ip
from audit.services import record
from lib import throttle

SCOPE = "auth-ip"
CODE = "throttled"
MESSAGE = (
    "来自您所在网络地址的登录（或验证码）失败次数过多，已暂停{minutes}分钟。"
    "请稍后再试；如需帮助，请联系委员会办公室。"
)


def limit() -> int:
    return int(settings.LOGIN_IP_FAILURE_LIMIT)


def window_seconds() -> int:
    return int(settings.LOGIN_IP_WINDOW_MINUTES) * 60


def message() -> str:
    return MESSAGE.format(minutes=settings.LOGIN_IP_WINDOW_MINUTES)


def address(request: HttpRequest) -> str:
    return client_ip(request) or "unknown"


def blocked(request: HttpRequest) -> bool:
    """True when the request's address has used up its failures in this window."""
    return throttle.blocked(SCOPE, address(request), limit=limit())


def note_failure(request: HttpRequest | None, *, what: str = "login") -> None:
    """Count one failure of the request's address; audit the block when it starts."""
    if request is None:
        return
    where = address(request)
    count = throttle.count(SCOPE, where, window_seconds=window_seconds())
    if count == limit():
        with transaction.atomic():
            record(
                actor=None,
                role="anonymous",
                action="accounts.login.throttled",
                after={"client_address": where, "what": what, "failures": count},
            )


def refusal(request: HttpRequest) -> HttpResponse:
    """429: JSON for the API, the Chinese page for people."""
    if request.path.startswith("/api/"):
        body: dict[str, object] = {
            "code": CODE,
            "message": message(),
            "article": None,
            "fields": {},
        }
        return JsonResponse(body, status=429, json_dumps_params={"ensure_ascii": False})
    return render(
        request,
        "accounts/locked_out.html",
        {"message": message(), "title": "暂停登录"},
        status=429,
    )
