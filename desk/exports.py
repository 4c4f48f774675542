"""Exports made in the background (issue 17 part 1; docs/decisions/0024): one flow for any
export too large to make while its requester waits.

An export is described once (`Export`: its name, what it is, the permission it needs, the audit
code of its download, and `build`, the very function its view uses to make the file) and
registered in `EXPORTS`. Then

- its page hands over to ``accounts:export_new <name>`` with its filter as the query string
  (a lower app, e.g. supervision, links or redirects there by URL name: it imports nothing of
  the desk). That page names the export and its filter and, on 在后台生成 (a POST), queues one
  "desk.export" job for the requester (`queue`);
- a worker runs `build` with the filter and keeps the file as the job's result, encrypted at
  rest (jobs.Job.result);
- the requester follows it on ``accounts:my_job`` (排队中 / 进行中, refreshed every few seconds;
  失败 with the reason; the download once 已完成) and finds it again under 我的导出.

Only the requester sees the job and its file, and only while still holding the export's
permission (a role revoked since the request): to anyone else, the Office included, it does not
exist (404). The permission is checked when asked, when made and when downloaded. The download
is audited as the export's own download was (`Export.action`, e.g. ``download.audit_export``),
by the view, before the file leaves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from accounts.models import User
from jobs.models import Job
from jobs.registry import Permanent, Result, handler
from jobs.services import enqueue
from lib.errors import ServiceError

KIND = "desk.export"
# The filter is a page's query string: a few short fields.
MAX_PARAMS = 20
MAX_VALUE = 200

Params = dict[str, str]


@dataclass(frozen=True)
class Export:
    name: str  # in the URL: /accounts/me/exports/<name>/
    title: str  # 审计日志
    perm: str  # needed to ask, to be made and to download
    action: str  # the download's audit code (audit/catalogue.py)
    build: Callable[[Params], tuple[str, bytes]]  # the filter -> (file name, content)
    scope: Callable[[Params], str]  # the filter in words, for the page
    back: str = ""  # the URL name of the page the export comes from


EXPORTS: dict[str, Export] = {}


def register(export: Export) -> Export:
    EXPORTS[export.name] = export
    return export


def params_of(query: Mapping[str, Any]) -> Params:
    """The filter of a query string (a QueryDict): each field's last value, bounded."""
    getter = getattr(query, "get", None)
    out: Params = {}
    for key in list(query)[:MAX_PARAMS]:
        value = getter(key) if getter is not None else query[key]
        if key and value not in (None, ""):
            out[str(key)[:50]] = str(value)[:MAX_VALUE]
    return out


def ref(export: Export) -> str:
    return f"{KIND}:{export.name}"


def queue(*, user: User, export: Export, params: Params) -> Job:
    """Queue `export` with `params` for `user` (who must hold its permission)."""
    if not user.has_perm(export.perm):  # the views check first; never queued for a stranger
        raise ServiceError("您无权进行该导出。", code="forbidden", status=403)
    return enqueue(
        KIND,
        {"export": export.name, "params": params, "user": user.pk},
        label=f"导出：{export.title}",
        ref=ref(export),
        requested_by=user,
        # A failed export is asked for again by its requester: no 25-minute waits.
        max_attempts=2,
    )


def export_of(job: Job) -> Export | None:
    if job.kind != KIND or not job.ref.startswith(f"{KIND}:"):
        return None
    return EXPORTS.get(job.ref.split(":", 1)[1])


@handler(KIND)
def make(job: Job) -> Result:
    payload = job.payload
    export = EXPORTS.get(str(payload.get("export", "")))
    if export is None:
        raise Permanent("未知的导出类型")
    user = User.objects.filter(pk=int(payload.get("user") or 0), is_active=True).first()
    if user is None or not user.has_perm(export.perm):
        raise Permanent("发起人已无权进行该导出")
    params = payload.get("params") or {}
    name, content = export.build({str(k): str(v) for k, v in dict(params).items()})
    return Result(name, content)


def visible(user: Any, job_id: int) -> tuple[Job, Export] | None:
    """The export job `job_id` if `user` asked for it and still may have it; else None (the
    views answer 404: nobody else learns that it exists)."""
    if not getattr(user, "is_authenticated", False):
        return None
    job = Job.objects.filter(pk=job_id, kind=KIND, requested_by=user).first()
    export = export_of(job) if job is not None else None
    if job is None or export is None or not user.has_perm(export.perm):
        return None
    return job, export


def mine(user: User, limit: int = 20) -> list[tuple[Job, Export | None]]:
    """The user's latest export jobs, newest first (我的导出)."""
    jobs = Job.objects.filter(kind=KIND, requested_by=user).order_by("-created_at", "-pk")
    return [(j, export_of(j)) for j in jobs[:limit]]


# --- the exports --------------------------------------------------------------------------------


def _audit_form(params: Params) -> Any:
    from audit.views import TrailFilterForm

    return TrailFilterForm(params or None)


def _audit_build(params: Params) -> tuple[str, bytes]:
    from audit.export import workbook

    stamp = timezone.localtime().strftime("%Y%m%d")
    return f"审计日志_{stamp}.xlsx", workbook(_audit_form(params))


def _audit_scope(params: Params) -> str:
    form = _audit_form(params)
    form.is_valid()
    return str(form.conditions() or "全部事件")


AUDIT = register(
    Export(
        name="audit",
        title="审计日志",
        perm="audit.view_trail",
        action="download.audit_export",
        build=_audit_build,
        scope=_audit_scope,
        back="audit:trail",
    )
)
