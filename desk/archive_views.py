"""The Office's 年度归档 page: each year with its archives, the button that has one made once
the year has closed (a background job, desk/jobs.py), and the downloads (a fresh code first:
the archive holds every applicant's materials). The logic is desk/archive.py; these views only
call it."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from accounts import two_factor
from accounts.models import Role
from audit.services import record
from jobs.models import Job
from lib.access import actor, perm_required
from lib.errors import ServiceError
from programs.selectors import tenant_cycles

from . import archive
from . import jobs as desk_jobs

# While an archive is being made the page asks again this often (htmx polling).
POLL_SECONDS = 4

MANAGE = "programs.manage_cycle"


@perm_required(MANAGE)
def archives(request: HttpRequest) -> HttpResponse:
    """Every year, newest first: its status, whether it may be archived, its archives and the
    archive being made (生成中, the page asking again every few seconds) or that failed (失败,
    retried from the Office's job list)."""
    # The current program's years (decision 0030: another program's are not listed, made or
    # downloaded here).
    cycles = list(tenant_cycles().select_related("program").order_by("-year", "program__name"))
    made = archive.archives_of(cycles)
    jobs = desk_jobs.archive_jobs(cycles)
    rows = []
    for c in cycles:
        job = jobs.get(c.pk)
        latest = made[c.pk][0].created_at if made[c.pk] else None
        if job is not None and job.state == Job.State.FAILED and latest and latest > job.created_at:
            job = None  # an archive made since the failure: the failure is history
        rows.append(
            {
                "cycle": c,
                "refusal": archive.refusal(c),
                "archives": made[c.pk],
                "job": job,
                "busy": job is not None and job.state in desk_jobs.BUSY,
            }
        )
    return render(
        request,
        "desk/archives.html",
        {
            "rows": rows,
            "busy": any(r["busy"] for r in rows),
            "poll": POLL_SECONDS,
            "jobs_url": reverse("jobs:list"),  # the Office retries a failed job there
        },
    )


@perm_required(MANAGE)
@require_POST
def archive_make(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """Queue the year's archive (a worker makes it: tens of seconds at scale); a second click
    while one is queued or running queues nothing and says so."""
    cycle = get_object_or_404(tenant_cycles().select_related("program", "policy"), pk=cycle_id)
    try:
        job, queued = desk_jobs.queue_archive(actor=actor(request), cycle=cycle)
    except ServiceError as exc:
        messages.error(request, exc.display)
        return redirect("accounts:archives")
    job.refresh_from_db(fields=["state"])  # without a broker it has run already
    if not queued:
        messages.info(
            request,
            f"{cycle.year}年度归档正在生成（{job.get_state_display()}），无需再次点击；"
            "完成后显示在本页。",
        )
    elif job.state == Job.State.DONE:
        messages.success(request, f"已生成{cycle.year}年度归档。清单的SM3已记入审计日志。")
    elif job.state == Job.State.FAILED:
        messages.error(request, f"{cycle.year}年度归档生成失败：{job.last_error}")
    else:
        messages.success(
            request,
            f"已开始生成{cycle.year}年度归档（后台任务），文件较多时需要一两分钟；"
            "本页会自动刷新，完成后显示在下方。",
        )
    return redirect("accounts:archives")


@perm_required(MANAGE)
@two_factor.fresh_otp_required  # every applicant's materials and personal data
def archive_download(request: HttpRequest, event_id: int) -> HttpResponse:
    event = archive.archive_event(event_id)
    name = (event.after or {}).get("file") if event is not None else None
    # An archive of the current program's years only: another program's is 404.
    cycle = tenant_cycles().filter(pk=event.object_id).first() if event else None
    if not name or cycle is None or not archive.exists(name):
        raise Http404
    with transaction.atomic():
        # The view's own event (the middleware then writes no second one).
        record(
            actor=actor(request),
            role=Role.OFFICE,
            action=archive.DOWNLOAD,
            obj=cycle,
            after={"file": name, "seq": event.seq if event else None},
        )
    response = StreamingHttpResponse(archive.open_stored(name), content_type="application/zip")
    response["Content-Disposition"] = (
        content_disposition_header(as_attachment=True, filename=name.rsplit("/", 1)[-1])
        or "attachment"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # Streamed from the storage a chunk at a time (an archive may be large); the decorators'
    # signature names HttpResponse, which a streaming response serves the same way.
    return cast(HttpResponse, response)
