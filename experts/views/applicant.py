"""The applicant's side of the pool: asking that named people not review it (A26.1)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from experts import forms, selectors, services
from intake import workflow
from intake.selectors import get_application_for_user
from lib.access import actor, refused_on_form
from lib.errors import ServiceError


@login_required
def recusal(request: HttpRequest, public_id: Any) -> HttpResponse:
    """The applicant's requests that named people not review it (A26.1). The page never says
    whether a named person is in the pool."""
    application = get_application_for_user(request.user, public_id)
    if not request.user.has_perm("intake.edit_application", application):
        raise Http404
    form = forms.RecusalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_recusal(
                actor=actor(request), application=application, **form.cleaned_data
            )
        except ServiceError as exc:
            refused_on_form(form, exc)
        else:
            messages.success(
                request,
                f"已记录对“{form.cleaned_data['name']}”的回避申请；"
                "该人员如在专家库中，将不参与本申报的评审。",
            )
            return redirect("experts:recusal", public_id=application.public_id)
    stage = selectors.material_review(application.cycle)
    # Whether a request may be made now is the workflow table's answer, as on the service.
    option = workflow.allowed_actions(application, request.user).get("request_recusal")
    return render(
        request,
        "experts/recusal.html",
        {
            "application": application,
            "form": form,
            "requests": selectors.recusals_of(application),
            "closes_on": stage.starts_on if stage else None,
            "is_open": option is not None and option.allowed,
            "closed_reason": option.reason if option else "该申报当前的状态不能申请专家回避。",
        },
        status=400 if form.errors else 200,
    )
