"""Session lifetime and the headers of every response (issue 15, part 4; GB/T 22239-2019
8.1.4.1 c, 登录连接超时自动退出; OWASP ASVS 5.0 V7.3, V3.4).

- `SessionLifetimeMiddleware`: a web session ends after `SESSION_IDLE_MINUTES` without a
  request and, however busy, `SESSION_ABSOLUTE_HOURS` after sign-in; both shorter for the three
  administrators (`*_ADMIN`). The sign-in time is stored in the session at sign-in
  (`note_sign_in`, on Django's `user_logged_in`); an expired session is signed out (the logout
  is audited) and the visitor sent to the login page with a Chinese message (the API: 401).
- `SecurityHeadersMiddleware`: `Cache-Control: no-store` on every response to a signed-in
  caller (pages, JSON, files: nothing of theirs stays in a shared or browser cache) and a
  `Permissions-Policy` that turns off the browser features the system never uses, on every
  response. Public pages for anonymous visitors keep their own caching.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from .models import ADMIN_ROLES
from .selectors import roles_of

SIGNED_IN_KEY = "_qa_signed_in"
SEEN_KEY = "_qa_seen"
# Seconds between two notes of the latest activity (each note is a session write).
SEEN_EVERY = 60

IDLE_MESSAGE = "您已超过{minutes}分钟未操作，为保护账号安全已自动退出，请重新登录。"
ABSOLUTE_MESSAGE = "本次登录已满{hours}小时，为保护账号安全已自动退出，请重新登录。"

# Features no page of the system uses: a page (or a script injected into one) cannot ask for
# them.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
)


def is_administrator(user: Any) -> bool:
    """One of the three administrators (三员): the shorter limits apply."""
    return any(role in ADMIN_ROLES for role in roles_of(user))


def limits(user: Any) -> tuple[int, int]:
    """(idle seconds, absolute seconds) of this user's sessions."""
    if is_administrator(user):
        return (
            settings.SESSION_IDLE_MINUTES_ADMIN * 60,
            settings.SESSION_ABSOLUTE_HOURS_ADMIN * 3600,
        )
    return settings.SESSION_IDLE_MINUTES * 60, settings.SESSION_ABSOLUTE_HOURS * 3600


def note_sign_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """`user_logged_in` receiver: the session remembers when its sign-in happened."""
    session = getattr(request, "session", None)
    if session is not None:
        now = timezone.now().timestamp()
        session[SIGNED_IN_KEY] = now
        session[SEEN_KEY] = now


class SessionLifetimeMiddleware:
    """After the session, authentication and messages middlewares."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            expired = self._expired(request, user)
            if expired:
                logout(request)
                if request.path.startswith("/api/"):
                    if "Authorization" not in request.headers:
                        body: dict[str, object] = {
                            "code": "session_expired",
                            "message": expired,
                            "article": None,
                            "fields": {},
                        }
                        return JsonResponse(
                            body, status=401, json_dumps_params={"ensure_ascii": False}
                        )
                else:
                    messages.warning(request, expired)
                    return redirect_to_login(request.get_full_path())
        return self.get_response(request)

    @staticmethod
    def _expired(request: HttpRequest, user: Any) -> str:
        """The Chinese reason the session has ended, or "" while it lasts (and note this
        request as its latest activity)."""
        session = request.session
        now = timezone.now().timestamp()
        idle, absolute = limits(user)
        # A session from before this middleware: its lifetime counts from now.
        signed_in = float(session.setdefault(SIGNED_IN_KEY, now))
        seen = float(session.get(SEEN_KEY, now))
        if now - signed_in >= absolute:
            return ABSOLUTE_MESSAGE.format(hours=absolute // 3600)
        if now - seen >= idle:
            return IDLE_MESSAGE.format(minutes=idle // 60)
        if now - seen >= SEEN_EVERY or SEEN_KEY not in session:
            # Noted to the minute: a session is written at most once a minute by page views
            # (SESSION_SAVE_EVERY_REQUEST is off), so the idle limit counts from a request at
            # most a minute before the latest one.
            session[SEEN_KEY] = now
        return ""


class SecurityHeadersMiddleware:
    """Near the top of MIDDLEWARE (right after SecurityMiddleware), so static files get the
    Permissions-Policy too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in or "Authorization" in request.headers:
            add_never_cache_headers(response)
        return response
