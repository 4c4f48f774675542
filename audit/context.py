"""The request being served, for `record()`: who is calling from where (issue 14, part 6).

`audit.middleware.AuditMiddleware` sets the current request in a context variable for the
length of the request; `record()` reads the client's address and user agent from it, so no
service has to pass them along. Outside a request (commands, the demo seed, tests calling the
services) there is none and the fields stay empty.

The address is honest about proxies: REMOTE_ADDR, the peer the server actually talked to,
unless that peer is listed in the setting AUDIT_TRUSTED_PROXIES (addresses of the deployment's
own reverse proxies); only then is X-Forwarded-For read, from the right, skipping the trusted
proxies, so a client cannot forge its address by sending the header itself.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field

from django.conf import settings
from django.http import HttpRequest


@dataclass
class Current:
    request: HttpRequest
    # Codes recorded while serving this request (the middleware writes no second event for a
    # download or a read the view has already recorded).
    recorded: list[str] = field(default_factory=list)


_current: ContextVar[Current | None] = ContextVar("audit_current_request", default=None)

UA_MAX = 300


def _clean(text: str, limit: int) -> str:
    """Printable text only: a header may carry NUL or control characters (PostgreSQL refuses
    NUL in text), and the trail shows what it stores."""
    return "".join(ch for ch in text if ch.isprintable())[:limit]


def current() -> Current | None:
    return _current.get()


def client_ip(request: HttpRequest) -> str:
    remote = _clean(str(request.META.get("REMOTE_ADDR") or ""), 45)
    trusted = set(getattr(settings, "AUDIT_TRUSTED_PROXIES", ()))
    if remote not in trusted:
        return remote
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return _clean(hop, 45)
    return remote


def client() -> tuple[str, str]:
    """(address, user agent) of the request being served, or ("", "") outside one."""
    cur = _current.get()
    if cur is None:
        return "", ""
    agent = _clean(str(cur.request.META.get("HTTP_USER_AGENT") or ""), UA_MAX)
    return client_ip(cur.request), agent


def note(code: str) -> None:
    cur = _current.get()
    if cur is not None:
        cur.recorded.append(code)
