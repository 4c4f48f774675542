"""The recommending unit's and the Office's actions on an application."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from intake import forms, selectors, services
from intake.models import (
    Application,
    EligibilityResult,
    QualificationDecision,
)
from lib.access import actor, refused
from lib.errors import ServiceError

from .common import _application, _text_action, _to_detail

# --- the recommending unit and the Office --------------------------------------------------


@login_required
@require_POST
def recommend(request: HttpRequest, public_id: Any) -> HttpResponse:
    return _text_action(
        request,
        public_id,
        forms.OpinionForm,
        "opinion",
        "推荐意见不能超过2000字。",
        "已签署推荐意见，申报已报送委员会办公室。",
        lambda application, text: services.recommend_application(
            actor=actor(request), application=application, opinion=text
        ),
    )


@login_required
@require_POST
def return_application(request: HttpRequest, public_id: Any) -> HttpResponse:
    return _text_action(
        request,
        public_id,
        forms.ReasonForm,
        "reason",
        "退回理由不能超过2000字。",
        "已退回申报人修改。",
        lambda application, text: services.return_application(
            actor=actor(request), application=application, reason=text
        ),
    )


@login_required
@require_POST
def lapse(request: HttpRequest, public_id: Any) -> HttpResponse:
    return _text_action(
        request,
        public_id,
        forms.ReasonForm,
        "reason",
        "说明不能超过2000字。",
        "已按逾期未受理办结，已通知申报人和推荐单位。",
        lambda application, text: services.lapse_application(
            actor=actor(request), application=application, reason=text
        ),
    )


def _confirmable_rules(application: Application) -> list[str]:
    """The rules of the submitted version that only the Office can confirm."""
    return [
        r.rule
        for r in selectors.latest_eligibility(application)
        if r.outcome == EligibilityResult.Outcome.CONFIRM
    ]


@login_required
@require_POST
def decide(request: HttpRequest, public_id: Any) -> HttpResponse:
    application = _application(request, public_id)
    confirmable = _confirmable_rules(application)
    form = forms.DecideForm(request.POST, kind=application.kind, confirmable=confirmable)
    if not form.is_valid():
        messages.error(request, "请选择受理或不予受理，并从列表中选择条款。")
        return _to_detail(application)
    accept = form.cleaned_data["outcome"] == "accept"
    try:
        services.decide_qualification(
            actor=actor(request),
            application=application,
            accept=accept,
            reason=form.cleaned_data["reason"],
            articles=form.cleaned_data["articles"],
            confirmed=form.cleaned_data["confirmed"],
        )
    except ServiceError as exc:
        refused(request, exc)
    else:
        messages.success(request, "已受理。" if accept else "已决定不予受理，已通知申报人。")
    return _to_detail(application)


@login_required
@require_POST
def correct(request: HttpRequest, public_id: Any, decision_id: int) -> HttpResponse:
    application = _application(request, public_id)
    decision = (
        QualificationDecision.objects.select_related("application")
        .filter(application=application, pk=decision_id)
        .first()
    )
    if decision is None:
        raise Http404
    confirmable = _confirmable_rules(application)
    form = forms.CorrectForm(request.POST, kind=application.kind, confirmable=confirmable)
    if not form.is_valid():
        messages.error(request, "请从列表中选择条款。")
        return _to_detail(application)
    try:
        services.correct_decision(
            actor=actor(request),
            decision=decision,
            reason=form.cleaned_data["reason"],
            articles=form.cleaned_data["articles"],
            confirmed=form.cleaned_data["confirmed"],
        )
    except ServiceError as exc:
        refused(request, exc)
    else:
        messages.success(request, "已更正资格审查决定，已通知申报人。")
    return _to_detail(application)
