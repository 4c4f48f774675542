"""The Office's 后台任务 page (/office/jobs/; issue 17): every background job newest first —
what it is, its state, attempts, times and last error — filtered by state, a page at a time;
重试 a failed job, 取消 a queued one, each with a reason (audited). A job's payload (addresses,
texts, codes) is never shown. The logic is jobs.services and jobs.selectors."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.selectors import has_role
from jobs import selectors, services
from jobs.models import Job
from lib.access import actor, perm_required
from lib.errors import ServiceError

VIEW = "jobs.view_job"
MANAGE = "jobs.manage_job"


def _cursor(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 else None


@perm_required(VIEW)
def jobs(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    if state not in Job.State.values:
        state = ""
    every = _role(request) == Role.SYSADMIN  # the deployment's; the Office its program's
    found = selectors.page(
        viewer=request.user,
        every_program=every,
        state=state,
        after=_cursor(request.GET.get("after")),
        before=_cursor(request.GET.get("before")),
    )
    counts = selectors.counts(request.user, every_program=every)
    filters = [("", "全部", None)] + [(s.value, s.label, counts.get(s.value)) for s in Job.State]
    return render(
        request,
        "desk/jobs.html",
        {
            "page": found,
            "state": state,
            "filters": filters,
            "query": urlencode({"state": state}) if state else "",
            "can_manage": request.user.has_perm(MANAGE),
            "failed": counts.get(Job.State.FAILED.value, 0),
        },
    )


def _role(request: HttpRequest) -> str:
    return Role.OFFICE if has_role(request.user, Role.OFFICE) else Role.SYSADMIN


def _back(request: HttpRequest) -> HttpResponse:
    state = request.POST.get("state", "")
    url = "jobs:list"
    if state in Job.State.values:
        response = redirect(url)
        response["Location"] += f"?{urlencode({'state': state})}"
        return response
    return redirect(url)


def _act(request: HttpRequest, job_id: int, act: Any, refused: str, done: str) -> HttpResponse:
    """Retry or cancel one job with the clerk's reason (the service checks and audits)."""
    every = _role(request) == Role.SYSADMIN
    job = get_object_or_404(
        selectors.listed(request.user, every_program=every).defer("payload_text"), pk=job_id
    )
    try:
        reason = request.POST.get("reason", "")
        act(actor=actor(request), role=_role(request), job=job, reason=reason)
    except ServiceError as exc:
        messages.error(request, f"{refused}“{job.label}”：{exc.display}")
    else:
        messages.success(request, done.format(label=job.label))
    return _back(request)


@perm_required(MANAGE)
@require_POST
def retry(request: HttpRequest, job_id: int) -> HttpResponse:
    return _act(request, job_id, services.retry, "未重试", "已将“{label}”重新排队，稍后执行。")


@perm_required(MANAGE)
@require_POST
def cancel(request: HttpRequest, job_id: int) -> HttpResponse:
    return _act(request, job_id, services.cancel, "未取消", "已取消“{label}”，它不会再执行。")
