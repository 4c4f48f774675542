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

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db.models import Model
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.selectors import scopes_of
from jobs.models import Job
from jobs.registry import Permanent, Result, handler
from jobs.services import enqueue
from lib.errors import ServiceError
from lib.params import parse_int

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
    # (the requester, the filter) -> (file name, content): the function the view itself uses.
    build: Callable[[User, Params], tuple[str, bytes]]
    scope: Callable[[User, Params], str]  # the filter in words, for the pages
    back: Callable[[Params], str] = lambda params: ""  # the page the export comes from
    # Personal data (applicants, experts, winners): a recent second factor to ask for it and
    # to download it, as the export's own view demands (accounts.two_factor).
    otp: bool = False
    # What the download's audit event is about, as the view's own download names it (the
    # ranking: its cycle); None for an export of no one object.
    target: Callable[[Params], Model | None] = lambda params: None


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


# The filter kept (shown on 我的导出); the file expires; the requester's alone (not on 后台任务).
@handler(KIND, keep_payload=True, expire_result=True, private=True)
def make(job: Job) -> Result:
    payload = job.payload
    export = EXPORTS.get(str(payload.get("export", "")))
    if export is None:
        raise Permanent("未知的导出类型")
    user = User.objects.filter(pk=int(payload.get("user") or 0), is_active=True).first()
    if user is None or not user.has_perm(export.perm):
        raise Permanent("发起人已无权进行该导出")
    try:
        name, content = export.build(user, params_in(job))
    except Http404 as exc:  # what it named is gone (a cycle deleted, a stage renamed)
        raise Permanent("导出的对象已不存在") from exc
    return Result(name, content, basis=scope_basis(user))


def scope_basis(user: User) -> str:
    """A digest of the roles and their scopes `user` holds now (a unit reviewer's units, a
    contact's organizations): what an export was made under. A file made under other scopes is
    not handed out (`rescoped`): a reviewer moved to another town keeps no file of the first."""
    scopes = sorted(
        (role.value, sorted(str(i) for i in ids)) for role, ids in scopes_of(user).items()
    )
    text = json.dumps(scopes, separators=(",", ":"))
    return "scope:" + hashlib.sha256(text.encode()).hexdigest()[:40]


def rescoped(job: Job, user: User) -> bool:
    """Whether the export's file was made under roles or scopes `user` no longer holds as they
    were (a job kept before the basis was recorded is judged by the permission alone)."""
    return bool(job.result_basis) and job.result_basis != scope_basis(user)


def params_in(job: Job) -> Params:
    """The filter an export job was asked with (kept in its payload, encrypted)."""
    params = job.payload.get("params") or {}
    return {str(k): str(v) for k, v in dict(params).items()}


def expired(job: Job) -> bool:
    """A finished export whose file the retention removed (jobs.services.prune): 已过期."""
    return job.state == Job.State.DONE and not job.result and bool(job.result_name)


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


def _audit_build(user: User, params: Params) -> tuple[str, bytes]:
    from audit.export import workbook

    stamp = timezone.localtime().strftime("%Y%m%d")
    return f"审计日志_{stamp}.xlsx", workbook(_audit_form(params), user)


def _audit_scope(user: User, params: Params) -> str:
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
        back=lambda params: reverse("audit:trail"),
    )
)


def _applications_build(user: User, params: Params) -> tuple[str, bytes]:
    from intake.views.lists import export_build

    return export_build(user, params)


def _applications_scope(user: User, params: Params) -> str:
    from intake.views.lists import export_scope

    return export_scope(user, params)


APPLICATIONS = register(
    Export(
        name="applications",
        title="申报汇总",
        # What the requester sees is what the list shows them (intake.selectors); the role
        # that lets them see it is checked again when made and when downloaded.
        perm="desk.export_applications",
        action="download.applications_export",
        build=_applications_build,
        scope=_applications_scope,
        back=lambda params: reverse("intake:list"),
        otp=True,
    )
)


def _cycle(params: Params) -> Model | None:
    from programs.selectors import tenant_cycles

    pk = parse_int(params.get("cycle"))
    return tenant_cycles().filter(pk=pk).first() if pk else None


def _ranking_build(user: User, params: Params) -> tuple[str, bytes]:
    from review.office.ranking import ranking_build

    cycle = _cycle(params)
    if cycle is None:
        raise Http404
    return ranking_build(cycle)  # type: ignore[arg-type]  # _cycle returns a Cycle


def _ranking_scope(user: User, params: Params) -> str:
    cycle = _cycle(params)
    return f"{getattr(cycle, 'year', '')}年度全部参评申报" if cycle else "（评审年度不存在）"


def _ranking_back(params: Params) -> str:
    pk = parse_int(params.get("cycle"))
    return reverse("review:ranking", kwargs={"cycle_id": pk}) if pk else ""


RANKING = register(
    Export(
        name="ranking",
        title="综合评价排名",
        perm="review.view_results",
        action="download.ranking",
        build=_ranking_build,
        scope=_ranking_scope,
        back=_ranking_back,
        target=_cycle,
    )
)


def _groups_build(user: User, params: Params) -> tuple[str, bytes]:
    from experts.views.groups import groups_build

    return groups_build(params)


def _groups_scope(user: User, params: Params) -> str:
    from experts.views.groups import groups_scope

    return groups_scope(params)


def _groups_back(params: Params) -> str:
    return reverse("experts:groups") + "?" + urlencode(params) if params else ""


GROUPS = register(
    Export(
        name="groups",
        title="专家分组",
        perm="experts.manage_pool",
        action="download.groups_export",
        build=_groups_build,
        scope=_groups_scope,
        back=_groups_back,
        otp=True,
    )
)


def _ledger_build(user: User, params: Params) -> tuple[str, bytes]:
    from decision.views.awards import ledger_build

    return ledger_build()


LEDGER = register(
    Export(
        name="ledger",
        title="奖金台账",
        perm="decision.view",
        action="download.ledger",
        build=_ledger_build,
        scope=lambda user, params: "全部奖项的全部台账记录",
        back=lambda params: reverse("decision:ledger"),
        otp=True,
    )
)
