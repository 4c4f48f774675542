"""Two-way feedback and the applicant's feedback report (A28.1)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from intake.models import Application
from intake.selectors import FEEDBACK_STATES, get_application_for_user
from lib.access import actor, refused, refused_on_form
from lib.errors import ServiceError
from lib.http import file_response
from review import boundaries, forms, selectors, services
from review.models import Feedback

from .common import DOCX, _status

# --- two-way feedback (A28.1) ----------------------------------------------------------------


@login_required
def feedback(request: HttpRequest, public_id: Any) -> HttpResponse:
    """After the site visit: the organization's contact rates the expert group, the group's
    leader rates the organization; once each, then read-only."""
    application, group, direction = selectors.feedback_for(request.user, public_id)
    visit = selectors.visit_of(group)
    given = selectors.own_feedback(application, direction)
    form_class: type[forms.GroupFeedbackForm] | type[forms.ApplicantFeedbackForm] = (
        forms.GroupFeedbackForm
        if direction == Feedback.Direction.OF_GROUP
        else forms.ApplicantFeedbackForm
    )
    form = form_class(request.POST or None)
    status = 200
    if request.method == "POST" and given is None:
        if form.is_valid():
            try:
                services.give_feedback(
                    actor=actor(request),
                    application=application,
                    direction=direction,
                    **form.cleaned_data,
                )
            except ServiceError as exc:
                if exc.status in (403, 404):
                    refused(request, exc)
                messages.error(request, exc.message)
                refused_on_form(form, exc)
                status = _status(exc)
            else:
                messages.success(request, "评价已提交，谢谢。")
                return redirect("review:feedback", public_id=public_id)
        else:
            status = 400
    elif request.method == "POST":
        messages.error(request, "已提交过评价，不能重复提交。")
        return redirect("review:feedback", public_id=public_id)
    return render(
        request,
        "review/feedback.html",
        {
            "application": application,
            "direction": direction,
            "of_group": direction == Feedback.Direction.OF_GROUP,
            "visit": visit,
            # Why feedback cannot be given now (the service's own rule).
            "refusal": boundaries.feedback_refusal(application.cycle, visit),
            "given": given,
            "form": form,
        },
        status=status,
    )


def _evaluated(application: Application) -> bool:
    """The report exists from the evaluation on, for good (the states of
    `intake.selectors.FEEDBACK_STATES`, the same the application page links it in)."""
    return application.state in FEEDBACK_STATES and selectors.has_evaluation(application)


@login_required
def feedback_report(request: HttpRequest, public_id: Any) -> HttpResponse:
    """The applicant's own feedback report (strengths and opportunities by category, no expert
    names) as Word, once its application is evaluated; a 404 before and for anybody else."""
    application = get_application_for_user(request.user, public_id)
    if not request.user.has_perm("intake.edit_application", application):
        raise Http404
    if not _evaluated(application):
        raise Http404
    from review.documents import feedback_report_docx  # python-docx, loaded on demand

    data = feedback_report_docx(application)
    name = f"{application.cycle.year}年度{application.applicant_name}评审反馈报告.docx"
    return file_response(data, name, DOCX)
