"""The one home of the acts no service sees: downloads, reads and refusals (issue 14, part 6).

`AuditMiddleware` keeps the request being served in `audit.context` (so every event carries
the client's address and user agent) and, on the response, records:

- a **download**: any response with `Content-Disposition: attachment` (every file leaves by
  `lib.http.file_response`). The event names the file and, when the URL names one, the object
  (`DOWNLOADS` maps the URL name to its action code and object). Fail closed: the event is
  written before the file leaves, and if it cannot be written the request fails (500) and the
  file does not leave. Files that carry nothing confidential (`PUBLIC_DOWNLOADS`, a blank
  import template) are not recorded.
- a **read** of an application by anyone but its applicant (`READS`: the application page,
  the Office's record page, the API's application): one event per 200 GET.
- a **refusal**: 403, API 401, and the redirect of an anonymous visitor from a protected page
  to the login page, with the path. Fail open: a refusal whose event cannot be written is
  logged and answered as it was (a 403 never becomes a 500, and an unrecorded refusal changes
  nothing in the data).

A view that already recorded its own event (intake.attachment.download,
experts.attachment.download, experts.materials.view) gets no second one: `record()` notes the
codes it wrote during the request (`audit.context`). Every event locks the chain head
(appends are serialized), so reads are limited to the pages above.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import resolve_url

from . import catalogue, context
from .services import record

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Target:
    """What a URL names: the action code, and the object (model label, lookup field, the URL
    keyword argument that holds its key)."""

    action: str
    model: str = ""
    field: str = "pk"
    kwarg: str = ""


_APPLICATION = ("intake.Application", "public_id")

DOWNLOADS: dict[str, Target] = {
    "intake:form_docx": Target("download.application_form", *_APPLICATION, "public_id"),
    "api:form_docx": Target("download.application_form", *_APPLICATION, "application_id"),
    "intake:export": Target("download.applications_export"),
    "api:export": Target("download.applications_export"),
    "review:ranking_xlsx": Target("download.ranking", "programs.Cycle", "pk", "cycle_id"),
    "review:report": Target("download.evaluation_report", "programs.Cycle", "pk", "cycle_id"),
    "review:feedback_report": Target("download.feedback_report", *_APPLICATION, "public_id"),
    "experts:export_groups": Target("download.groups_export"),
    "decision:certificate_pdf": Target(
        "download.certificate", "decision.Certificate", "number", "number"
    ),
    "decision:ledger_xlsx": Target("download.ledger"),
    "decision:approval_attachment": Target(
        "download.approval_attachment", "decision.ApprovalAttachment", "pk", "attachment_id"
    ),
    "decision:evidence": Target(
        "download.objection_evidence", "decision.ObjectionEvidence", "pk", "evidence_id"
    ),
    "supervision:audit_export": Target("download.audit_export"),
    "province:export": Target("download.province_overview"),
}
# Nothing confidential: not recorded.
PUBLIC_DOWNLOADS = frozenset({"experts:import_template"})

READS: dict[str, Target] = {
    "intake:detail": Target("access.application.view", *_APPLICATION, "public_id"),
    "review:record": Target("access.application.view", *_APPLICATION, "public_id"),
    "api:detail": Target("access.application.view", *_APPLICATION, "application_id"),
}
# A reader holding only these roles reads their own application: not recorded.
APPLICANT_ROLES = frozenset({"applicant", "individual"})

# The role an event names when the reader holds several (staff roles first).
ROLE_ORDER = (
    "office",
    "supervisor",
    "auditadmin",
    "secadmin",
    "sysadmin",
    "committee",
    "expert",
    "recommender",
    "applicant",
    "individual",
)

_FILENAME = re.compile(r"filename\*=utf-8''([^;]+)|filename=\"?([^\";]+)\"?", re.IGNORECASE)


def _filename(disposition: str) -> str:
    match = _FILENAME.search(disposition)
    if match is None:
        return ""
    return unquote(match[1]) if match[1] else match[2]


def _roles(user: Any) -> list[str]:
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_qa_roles", None)  # accounts.selectors caches them per request
    if cached is not None:
        held = {str(r) for r in cached[0]}  # (scopes, programs)
    else:
        model = apps.get_model("accounts", "RoleAssignment")
        held = set(model.objects.filter(user=user).values_list("role", flat=True))
    return [r for r in ROLE_ORDER if r in held] + sorted(held - set(ROLE_ORDER))


def _role(user: Any, roles: list[str]) -> str:
    if not getattr(user, "is_authenticated", False):
        return "anonymous"
    return roles[0] if roles else "self"


def _object(target: Target, kwargs: dict[str, Any]) -> models.Model | None:
    if not target.model or target.kwarg not in kwargs:
        return None
    model = apps.get_model(target.model)
    try:
        return model._default_manager.filter(**{target.field: kwargs[target.kwarg]}).first()
    except (ValueError, TypeError, LookupError):
        return None  # a malformed key: the view refused it already


def _actor(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


def _login_path() -> str:
    return str(resolve_url(settings.LOGIN_URL))


class AuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        token = context._current.set(context.Current(request))
        try:
            response = self.get_response(request)
            self._after(request, response)
        finally:
            context._current.reset(token)
        return response

    def _after(self, request: HttpRequest, response: HttpResponseBase) -> None:
        status = response.status_code
        match = getattr(request, "resolver_match", None)
        url_name = match.view_name if match is not None else ""
        kwargs = dict(match.kwargs) if match is not None else {}
        disposition = str(response.get("Content-Disposition", ""))
        if status == 200 and disposition.lower().startswith("attachment"):
            if url_name not in PUBLIC_DOWNLOADS:
                self._download(request, url_name, kwargs, disposition)  # fail closed
            return
        if status == 200 and request.method == "GET" and url_name in READS:
            self._read(request, READS[url_name], kwargs)
            return
        if status in (401, 403) or self._sent_to_login(request, response):
            try:
                self._refusal(request, status, response)
            except Exception:  # fail open: the refusal stands as answered
                log.exception("审计事件写入失败（拒绝访问 %s %s）", status, request.path)

    def _recorded(self, category: str) -> bool:
        cur = context.current()
        return cur is not None and any(catalogue.category_of(c) == category for c in cur.recorded)

    def _download(
        self, request: HttpRequest, url_name: str, kwargs: dict[str, Any], disposition: str
    ) -> None:
        if self._recorded(catalogue.FILES):
            return  # the view recorded this download itself
        target = DOWNLOADS.get(url_name, Target("download.file"))
        roles = _roles(request.user)
        obj = _object(target, kwargs)
        with transaction.atomic():
            record(
                actor=_actor(request.user),
                role=_role(request.user, roles),
                action=target.action,
                obj=obj,
                after={"file": _filename(disposition), "path": request.path},
            )

    def _read(self, request: HttpRequest, target: Target, kwargs: dict[str, Any]) -> None:
        if self._recorded(catalogue.ACCESS):
            return
        roles = _roles(request.user)
        if not roles or set(roles) <= APPLICANT_ROLES:
            return  # an applicant reading its own application
        obj = _object(target, kwargs)
        with transaction.atomic():
            record(
                actor=_actor(request.user),
                role=_role(request.user, roles),
                action=target.action,
                obj=obj,
                after={"path": request.path},
            )

    def _sent_to_login(self, request: HttpRequest, response: HttpResponseBase) -> bool:
        if response.status_code != 302 or getattr(request.user, "is_authenticated", False):
            return False
        location = urlsplit(str(response.get("Location", "")))
        return location.path == _login_path() and request.path != _login_path()

    def _refusal(self, request: HttpRequest, status: int, response: HttpResponseBase) -> None:
        cur = context.current()
        if cur is not None and "accounts.login_failed" in cur.recorded:
            return  # a failed sign-in is its own event
        action = "access.denied" if status == 403 else "access.unauthenticated"
        roles = _roles(request.user)
        with transaction.atomic():
            record(
                actor=_actor(request.user),
                role=_role(request.user, roles),
                action=action,
                after={
                    "path": request.path[:500],
                    "method": request.method,
                    "status": status,
                    # The 参考编号 the error page showed (config/errors.py): the person quotes
                    # it, the Office finds the event by it.
                    **({"error_reference": ref} if (ref := response.get("X-Reference")) else {}),
                },
            )
