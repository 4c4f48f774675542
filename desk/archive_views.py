"""The Office's 年度归档 page: each year with its archives, the button that makes one once the
year has closed, and the downloads (a fresh code first: the archive holds every applicant's
materials). The logic is desk/archive.py; these views only call it."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from accounts import two_factor
from accounts.models import Role
from audit.services import record
from lib.access import actor, perm_required
from lib.errors import ServiceError
from programs.models import Cycle

from . import archive

MANAGE = "programs.manage_cycle"


@perm_required(MANAGE)
def archives(request: HttpRequest) -> HttpResponse:
    """Every year, newest first: its status, whether it may be archived and its archives."""
    cycles = list(Cycle.objects.select_related("program").order_by("-year", "program__name"))
    made = archive.archives_of(cycles)
    rows = [{"cycle": c, "refusal": archive.refusal(c), "archives": made[c.pk]} for c in cycles]
    return render(request, "desk/archives.html", {"rows": rows})


@perm_required(MANAGE)
@require_POST
def archive_make(request: HttpRequest, cycle_id: int) -> HttpResponse:
    cycle = get_object_or_404(Cycle.objects.select_related("program", "policy"), pk=cycle_id)
    try:
        made = archive.create(actor=actor(request), cycle=cycle)
    except ServiceError as exc:
        messages.error(request, exc.display)
    else:
        messages.success(
            request,
            f"已生成{cycle.year}年度归档（{made.files}个文件）。清单的SM3已记入审计日志。",
        )
    return redirect("accounts:archives")


@perm_required(MANAGE)
@two_factor.fresh_otp_required  # every applicant's materials and personal data
def archive_download(request: HttpRequest, event_id: int) -> HttpResponse:
    event = archive.archive_event(event_id)
    name = (event.after or {}).get("file") if event is not None else None
    if not name or not archive.exists(name):
        raise Http404
    cycle = Cycle.objects.filter(pk=event.object_id).first() if event else None
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
