"""The pages of the exports made in the background (desk/exports.py): ask for one, follow it,
download it, and the requester's own list (我的导出). Only the requester sees a job (404 to
anyone else); its file is downloaded while the export's permission is still held."""

from __future__ import annotations

import mimetypes

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch
from django.views.decorators.http import require_GET, require_http_methods

from accounts import two_factor
from accounts.selectors import roles_of
from audit.middleware import ROLE_ORDER
from audit.services import record
from jobs.exports import export_url
from jobs.models import Job
from lib.access import actor
from lib.http import file_response

from . import exports

# While a job is not finished its page asks again this often (htmx, no inline script).
POLL_SECONDS = 3


def _role(user: object) -> str:
    held = {str(r) for r in roles_of(user)}
    return next((r for r in ROLE_ORDER if r in held), "self")


def _back(export: exports.Export, params: exports.Params) -> str:
    try:
        return export.back(params)
    except NoReverseMatch:  # pragma: no cover - a registry entry naming a page that went away
        return ""


def _stale(request: HttpRequest, export: exports.Export) -> HttpResponse | None:
    """Where to confirm a second factor first, for an export of personal data (as its own view
    asks: `two_factor.fresh_otp_required`); None when the session's last code is recent."""
    return two_factor.reauth_redirect(request) if export.otp else None


@login_required
@require_http_methods(["GET", "POST"])
def export_new(request: HttpRequest, name: str) -> HttpResponse:
    """GET: what will be exported and why in the background; POST: queue it for the requester
    and go to its page. The filter is the query string, as on the export's own page."""
    export = exports.EXPORTS.get(name)
    if export is None:
        raise Http404
    user = actor(request)
    if not user.has_perm(export.perm):
        raise PermissionDenied
    stale = _stale(request, export)
    if stale is not None:
        return stale
    params = exports.params_of(request.GET)
    if request.method == "POST":
        job = exports.queue(user=user, export=export, params=params)
        return redirect("accounts:my_job", job.pk)
    return render(
        request,
        "desk/export_new.html",
        {
            "export": export,
            "scope": export.scope(user, params),
            "back": _back(export, params),
        },
    )


@login_required
@require_GET
def my_jobs(request: HttpRequest) -> HttpResponse:
    """我的导出: the requester's latest exports made in the background."""
    rows = [
        {"job": job, "export": export, "expired": exports.expired(job)}
        for job, export in exports.mine(actor(request))
        if export is not None and request.user.has_perm(export.perm)
    ]
    return render(
        request, "desk/my_jobs.html", {"rows": rows, "keep_days": settings.JOB_RESULT_DAYS}
    )


@login_required
@require_GET
def my_job(request: HttpRequest, job_id: int) -> HttpResponse:
    found = exports.visible(request.user, job_id)
    if found is None:
        raise Http404
    job, export = found
    busy = job.state in (Job.State.QUEUED, Job.State.RUNNING)
    params = exports.params_in(job)
    rescoped = exports.rescoped(job, actor(request))
    return render(
        request,
        "desk/my_job.html",
        {
            "job": job,
            "export": export,
            "busy": busy,
            "poll": POLL_SECONDS,
            "ready": job.state == Job.State.DONE and bool(job.result) and not rescoped,
            "rescoped": rescoped,
            "expired": exports.expired(job),
            "keep_days": settings.JOB_RESULT_DAYS,
            # Jobs queued before the filter was kept (payload erased) show none.
            "scope": export.scope(actor(request), params) if job.payload_text else "",
            "again": export_url(export.name, params),
            "back": _back(export, params),
        },
    )


@login_required
@require_GET
def my_job_file(request: HttpRequest, job_id: int) -> HttpResponse:
    """The export's file, audited as the export's own download (before it leaves)."""
    found = exports.visible(request.user, job_id)
    if found is None:
        raise Http404
    job, export = found
    if job.state != Job.State.DONE or not job.result or exports.rescoped(job, actor(request)):
        raise Http404
    stale = _stale(request, export)
    if stale is not None:
        return stale
    try:
        with job.result.open("rb") as handle:  # decrypted and verified by the storage
            data = bytes(handle.read())
    except OSError:
        raise Http404 from None
    name = job.result_name or job.result.name.rsplit("/", 1)[-1]
    with transaction.atomic():
        # The view's own event: the middleware writes no second one.
        record(
            actor=actor(request),
            role=_role(request.user),
            action=export.action,
            obj=export.target(exports.params_in(job)),
            after={"file": name, "path": request.path, "job": job.pk},
        )
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return file_response(data, name, content_type)
