"""The request being served, for `record()`: who is calling from where (issue 14, part 6).

`audit.middleware.AuditMiddleware` sets the current request in a context variable for the
length of the request; `record()` reads the client's address and user agent from it, so no
service has to pass them along. Outside a request (commands, the demo seed, tests calling the
services) there is none and the fields stay empty.

The address is honest about proxies: REMOTE_ADDR, the peer the server actually talked to,
unless that peer is listed in the setting AUDIT_TRUSTED_PROXIES (addresses of the deployment's
own reverse proxies); only then is X-Forwarded-For read, from the right, skipping the trusted
proxies, so a client cannot forge its address by sending the header itself.

The request id (the 参考编号 of config/observability.py, issue 17 part 4): `reference()` is the
id of the request being served (``request.request_id``, set by the first middleware), or,
inside a background job or a Celery task, the id of the request that queued it, which the job
and the task hand over with `working_for` (audit sits below both: it reads what they set and
imports neither).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
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
# The request a job or task works for (`working_for`); wins over the request being served, so
# a job run at once inside another request (tasks run eagerly in `make run` and the tests; the
# Office's 重试) names the request that queued it, as it would on a worker.
_working_for: ContextVar[str] = ContextVar("audit_working_for", default="")

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


def reference() -> str:
    """The request id the event being recorded belongs to, or "" (a command, the seed)."""
    queued_by = _working_for.get()
    if queued_by:
        return queued_by
    cur = _current.get()
    if cur is None:
        return ""
    return _clean(str(getattr(cur.request, "request_id", "") or ""), 64)


@contextmanager
def working_for(request_id: str) -> Iterator[None]:
    """Events recorded inside carry `request_id` (the request that queued the job or task);
    an empty id leaves the current one in place."""
    if not request_id:
        yield
        return
    token = _working_for.set(_clean(request_id, 64))
    try:
        yield
    finally:
        _working_for.reset(token)


def begin_working_for(request_id: str) -> Token[str] | None:
    """`working_for` split in two, for a Celery task (its start and end are two signals)."""
    return _working_for.set(_clean(request_id, 64)) if request_id else None


def end_working_for(token: Token[str] | None) -> None:
    if token is None:
        return
    try:
        _working_for.reset(token)
    except ValueError:  # ended in another context (a pool thread): just clear it
        _working_for.set("")


def note(code: str) -> None:
    cur = _current.get()
    if cur is not None:
        cur.recorded.append(code)
