"""The site visit: the leader's record and the supervisor's report (A17.1, A27.1)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from lib.access import actor, refused, refused_on_form
from lib.errors import ServiceError
from review import boundaries, forms, selectors, services

from .common import _status

# --- the site visit (A17.1, A27.1) -----------------------------------------------------------


def _site_page(
    request: HttpRequest,
    public_id: Any,
    *,
    record_form: forms.SiteRecordForm | None = None,
    report_form: forms.SupervisorReportForm | None = None,
    status: int = 200,
) -> HttpResponse:
    application, group, role = selectors.site_for(request.user, public_id)
    visit = selectors.visit_of(group)
    if record_form is None:
        record_form = forms.SiteRecordForm(
            initial={k: getattr(visit, k) for k in services.SITE_RECORD_FIELDS} if visit else {}
        )
    if report_form is None:
        report_form = forms.SupervisorReportForm(
            initial={
                "group_conduct": visit.group_conduct,
                "applicant_conduct": visit.applicant_conduct,
            }
            if visit
            else {}
        )
    return render(
        request,
        "review/site.html",
        {
            "application": application,
            "group": group,
            "role": role,
            "visit": visit,
            # Why the leader cannot write the record, or the supervisor report, now (the
            # services' own rules).
            "record_refusal": boundaries.site_record_refusal(application.cycle, visit)
            if visit
            else None,
            "report_refusal": boundaries.report_refusal(application.cycle),
            "record_form": record_form,
            "report_form": report_form,
            "record_fields": services.SITE_RECORD_FIELDS,
        },
        status=status,
    )


@login_required
def site(request: HttpRequest, public_id: Any) -> HttpResponse:
    """The site visit for its group's leader (record) and supervisor (report); 404 else."""
    return _site_page(request, public_id)


def _site_action(request: HttpRequest, public_id: Any, role: str) -> tuple[Any, Any] | HttpResponse:
    """The visit for the role acting, or a redirect when none is scheduled; 403 for the other
    role of the page."""
    _, group, who = selectors.site_for(request.user, public_id)
    if who != role:
        raise PermissionDenied
    visit = selectors.visit_of(group)
    if visit is None:
        messages.error(request, "委员会办公室尚未安排现场评审。")
        return redirect("review:site", public_id=public_id)
    return group, visit


@login_required
@require_POST
def site_record(request: HttpRequest, public_id: Any) -> HttpResponse:
    found = _site_action(request, public_id, "leader")
    if isinstance(found, HttpResponse):
        return found
    _, visit = found
    form = forms.SiteRecordForm(request.POST)
    form.is_valid()
    try:
        services.record_site_visit(
            actor=actor(request),
            visit=visit,
            **{k: request.POST.get(k, "") for k in services.SITE_RECORD_FIELDS},
        )
    except ServiceError as exc:
        if exc.status in (403, 404):
            refused(request, exc)
        messages.error(request, exc.message)
        refused_on_form(form, exc)
        return _site_page(request, public_id, record_form=form, status=_status(exc))
    messages.success(request, "现场评审记录已保存。")
    return redirect("review:site", public_id=public_id)


@login_required
@require_POST
def site_report(request: HttpRequest, public_id: Any) -> HttpResponse:
    found = _site_action(request, public_id, "supervisor")
    if isinstance(found, HttpResponse):
        return found
    _, visit = found
    form = forms.SupervisorReportForm(request.POST)
    form.is_valid()
    try:
        services.file_supervisor_report(
            actor=actor(request),
            visit=visit,
            group_conduct=request.POST.get("group_conduct", ""),
            applicant_conduct=request.POST.get("applicant_conduct", ""),
        )
    except ServiceError as exc:
        if exc.status in (403, 404):
            refused(request, exc)
        messages.error(request, exc.message)
        refused_on_form(form, exc)
        return _site_page(request, public_id, report_form=form, status=_status(exc))
    messages.success(request, "监督报告已提交。")
    return redirect("review:site", public_id=public_id)
