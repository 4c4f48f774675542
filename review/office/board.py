"""The review board (评审进度) of a cycle and the Office's actions on it: open or close a stage's
scoring, schedule a site visit, run the evaluation (A17.1, A18.1, A27.1)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from intake.models import Kind
from lib.access import actor, perm_required
from lib.errors import ServiceError
from programs.models import Stage

from .. import services
from . import selectors
from .common import (
    MANAGE,
    OVERSEE,
    RESULTS,
    STAGES,
    board_url,
    choose_cycle,
    refused,
)
from .forms import ScheduleForm


@login_required
def board(request: HttpRequest) -> HttpResponse:
    """Both review stages of a cycle at a glance: whether scoring is open and until when, each
    application's group, cards, consensus and (on site) the visit, the supervisor's report and
    the two-way feedback, with the Office's actions, or the reason an action is not possible now
    (A17.1, A18.1, A27.1, A28.1). Every application the year reviewed is shown, whatever its
    state now. Supervisors see the same page without the buttons; committee members, who see
    results only, are taken to the cycle's ranking."""
    if not request.user.has_perm(OVERSEE):
        if not request.user.has_perm(RESULTS):
            raise PermissionDenied
        _, chosen = choose_cycle(request)
        if chosen is None:
            raise Http404
        return redirect("review:ranking", cycle_id=chosen.pk)
    cycles, cycle = choose_cycle(request)
    context: dict[str, Any] = {
        "cycles": cycles,
        "cycle": cycle,
        "can_manage": request.user.has_perm(MANAGE),
        "kinds": Kind.choices,
    }
    if cycle is not None:
        context["board"] = selectors.board(cycle, request.user)
    return render(request, "review/board.html", context)


@perm_required(MANAGE)
@require_POST
def phase(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """Open or close scoring of a stage (A17.1): opening is refused with the list of what is
    still missing (groups, leaders, supervisors, site visits), outside the stage's dates and in
    a closed year (A11.1)."""
    cycle = selectors.cycle_or_404(cycle_id)
    stage = request.POST.get("stage", "")
    action = request.POST.get("action", "")
    label = STAGES.get(stage, "评审")
    try:
        if action == "open":
            services.open_phase(
                actor=actor(request),
                cycle=cycle,
                stage=stage,
                others_visible=request.POST.get("others_visible") == "on",
            )
            messages.success(request, f"已开放{label}评分，评价准则自此固定。")
        elif action == "close":
            services.close_phase(actor=actor(request), cycle=cycle, stage=stage)
            messages.success(request, f"已关闭{label}评分。")
        else:
            raise ServiceError("操作无效：应为开放评分或关闭评分。")
    except ServiceError as exc:
        refused(request, exc)
    return redirect(board_url(cycle, f"stage-{stage}"))


@perm_required(MANAGE)
@require_POST
def schedule(request: HttpRequest, group_id: int) -> HttpResponse:
    """Schedule (or move) an organization's on-site review (A17.1)."""
    group = selectors.group_or_404(group_id)
    form = ScheduleForm(request.POST)
    name = group.application.applicant_name
    if not form.is_valid():
        errors = [f"{form.fields[f].label}：{e}" for f, es in form.errors.items() for e in es]
        messages.error(request, f"{name}的现场评审未安排：" + "；".join(errors))
    else:
        try:
            visit = services.schedule_site_visit(
                actor=actor(request), group=group, **form.cleaned_data
            )
        except ServiceError as exc:
            refused(request, exc)
        else:
            messages.success(
                request,
                f"已安排{name}的现场评审：{visit.starts_on:%Y-%m-%d}至{visit.ends_on:%Y-%m-%d}，"
                f"{visit.place}。",
            )
    return redirect(board_url(group.application.cycle, f"stage-{Stage.SITE_REVIEW.value}"))


@perm_required(MANAGE)
@require_POST
def evaluate(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """Run the comprehensive evaluation (A10.2, A10.3, A18.1): refused with what is missing."""
    cycle = selectors.cycle_or_404(cycle_id)
    try:
        results = services.evaluate(actor=actor(request), cycle=cycle)
    except ServiceError as exc:
        refused(request, exc)
        return redirect(board_url(cycle, "evaluate"))
    ties = sum(1 for e in results if e.tied)
    text = f"已完成综合评价：{len(results)}项申报已按类别排名"
    text += f"，其中{ties}项并列，请委员会审定。" if ties else "。"
    messages.success(request, text)
    return redirect("review:ranking", cycle_id=cycle.pk)
