"""The year's board of the list (审定, 公示 and 批准): its steps from the draft to the
announcement and the Office's next action; the draft from the ranking (A5.2, A19.1, A24.1), the
committee's and the government's approvals with their documents (A6.1, A19.1), the notice
(A20.1, A20.2) and the announcement (A20.2, A21.1). Which forms the board shows is the workflow
table's answer (`decision.workflow.PROPOSAL`): a form for each allowed action, the reason in
place of the others."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts import two_factor
from decision import forms, selectors, services
from decision.models import Approval, Objection, Proposal
from decision.workflow import PROPOSAL, refusals
from intake.models import Kind
from lib.access import actor, perm_required, refused, refused_on_form
from lib.errors import ServiceError
from lib.http import file_response
from lib.params import query_int
from lib.workdays import UnknownCalendarYear
from programs.context import current_program_or_none
from programs.models import Cycle
from programs.selectors import current_cycle, opened_cycles, today, work_calendar

from .common import (
    MANAGE,
    REWINNER_NOTE,
    VIEW,
    board_url,
    cycle_or_404,
    may_oversee,
    proposal_or_404,
)

# The list's steps as the board shows them, and which one is under way in each state.
STEPS = ["拟定", "委员会审定", "市政府批准", "公示", "公示结束", "公告"]
CURRENT_STEP = {
    Proposal.State.DRAFT: 0,
    Proposal.State.COMMITTEE_APPROVED: 2,
    Proposal.State.GOVERNMENT_APPROVED: 3,
    Proposal.State.IN_NOTICE: 3,
    Proposal.State.NOTICE_CLOSED: 5,
    Proposal.State.ANNOUNCED: len(STEPS),
}


def _choose_cycle(request: HttpRequest) -> tuple[list[Cycle], Cycle | None]:
    """The opened cycles and the one asked for (?cycle=), else the current one."""
    # The stage dates too: the workflow table's windows read them.
    cycles = list(opened_cycles().select_related("policy", "program").prefetch_related("stages"))
    wanted = query_int(request, "cycle")
    cycle = next((c for c in cycles if c.pk == wanted), None)
    if cycle is None:
        program = current_program_or_none()
        current = current_cycle(program) if program else None
        cycle = next((c for c in cycles if current and c.pk == current.pk), None)
    return cycles, cycle


# --- the notice's dates (A20.1) ----------------------------------------------------------------


def _first_workday(day: dt.date) -> dt.date:
    """`day` if it is a working day, else the next one (the default start of a notice)."""
    calendar = work_calendar()
    while not calendar.is_workday(day):
        day += dt.timedelta(days=1)
    return day


def _notice_preview(cycle: Cycle, starts_on: dt.date | None) -> dict[str, Any]:
    """The notice's end for a start, as `services.notice_end` will set it, or why there is none."""
    if starts_on is None:
        return {"error": "请选择公示开始日期。"}
    try:
        if not work_calendar().is_workday(starts_on):
            return {"starts_on": starts_on, "error": f"{starts_on:%Y-%m-%d}不是工作日。"}
        ends_on = services.notice_end(starts_on, cycle.policy)
    except UnknownCalendarYear as exc:
        return {"starts_on": starts_on, "error": f"尚未录入{exc.year}年的节假日安排，无法计算。"}
    return {"starts_on": starts_on, "ends_on": ends_on, "days": cycle.policy.notice_working_days}


def _parse_date(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        return None


# --- the board ---------------------------------------------------------------------------------


def _steps(proposal: Proposal | None) -> list[dict[str, Any]]:
    current = CURRENT_STEP[Proposal.State(proposal.state)] if proposal else 0
    return [
        {
            "n": n + 1,
            "label": label,
            "state": "done" if n < current else "current" if n == current else "upcoming",
        }
        for n, label in enumerate(STEPS)
    ]


def _render_board(
    request: HttpRequest,
    cycles: list[Cycle],
    cycle: Cycle | None,
    bound: dict[str, django_forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The board; `bound` holds a refused form to show again with what was typed."""
    can_manage = request.user.has_perm(MANAGE)
    context: dict[str, Any] = {"cycles": cycles, "cycle": cycle, "can_manage": can_manage}
    if cycle is None:
        return render(request, "decision/board.html", context, status=status)
    data = selectors.board(cycle)
    proposal = data.proposal
    # What this person may do now, and why not: the table's answer (before the first draft,
    # about the list the cycle would have).
    actions = PROPOSAL.allowed_actions(proposal or Proposal(cycle=cycle), request.user)
    allowed = {name for name, option in actions.items() if option.allowed}
    bound = bound or {}
    context |= {
        "data": data,
        "proposal": proposal,
        "state": proposal.state if proposal else None,  # what the board shows, not its buttons
        "State": Proposal.State,
        "actions": actions,
        "refusals": refusals(actions),
        "steps": _steps(proposal),
        "may_oversee": may_oversee(request.user),
        "live": [e for e in data.entries if not e.withdrawn_at],
        "open_objections": sum(1 for o in data.objections if o.outcome == Objection.Outcome.OPEN),
        "rewinner_note": REWINNER_NOTE,
        "today": today(),
    }
    # The committee reviews a list with entries: an empty draft has nothing to submit.
    if "approve_committee" in allowed and data.entries:
        context["approval_form"] = bound.get("approval") or forms.ApprovalForm(
            body=Approval.Body.COMMITTEE, initial={"decided_on": today()}
        )
    elif "approve_government" in allowed:
        context["approval_form"] = bound.get("approval") or forms.ApprovalForm(
            body=Approval.Body.GOVERNMENT, initial={"decided_on": today()}
        )
    if "publish_notice" in allowed:
        form = bound.get("notice")
        start: dt.date | None
        wanted = _parse_date(request.GET.get("starts_on", ""))
        if form is None:
            try:
                start = wanted or _first_workday(today())
            except UnknownCalendarYear:
                start = today()
            form = forms.NoticeForm(initial={"starts_on": start})
        else:
            start = form.cleaned_data.get("starts_on") if hasattr(form, "cleaned_data") else None
        context["notice_form"] = form
        context["preview"] = _notice_preview(cycle, start)
    if "announce" in allowed:
        context["announce_form"] = bound.get("announce") or forms.AnnounceForm(
            initial={"announced_on": today()}
        )
    return render(request, "decision/board.html", context, status=status)


@perm_required(VIEW)
def board(request: HttpRequest) -> HttpResponse:
    """A year's list at a glance: its steps from the draft to the announcement, what each step
    recorded (approvals, the notice, objections, the announcement and the winners) and the
    Office's next action (A5.2, A6.1, A19.1, A20.1, A20.2, A21.1)."""
    cycles, cycle = _choose_cycle(request)
    return _render_board(request, cycles, cycle)


def _board_again(
    request: HttpRequest, cycle: Cycle, key: str, form: django_forms.Form
) -> HttpResponse:
    cycles, _ = _choose_cycle(request)
    return _render_board(request, cycles, cycle, {key: form}, status=400)


# --- the draft (A5.2, A19.1, A24.1) ------------------------------------------------------------


def _quotas(cycle: Cycle, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each quota of article 5 with how many chosen rows take a place in it (re-winners none)."""
    policy = cycle.policy
    quotas = [
        ("organization_award", "组织市长质量奖", policy.quota_organization_award),
        ("organization_nomination", "组织市长质量奖提名奖", policy.quota_organization_nomination),
        ("individual_award", "个人市长质量奖", policy.quota_individual_award),
    ]
    counts = {key: 0 for key, _, _ in quotas}
    for row in rows:
        key = f"{row['evaluation'].application.kind}_{row['level']}"
        if row["level"] and not row["evaluation"].rewinner and key in counts:
            counts[key] += 1
    return [
        {"key": key, "label": label, "limit": limit, "count": counts[key]}
        for key, label, limit in quotas
    ]


@perm_required(VIEW)
def proposal(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """The Office drafts the list from the ranking: a level per evaluated application, the
    quotas counted as it chooses, re-winners outside them (A24.1). Saving is refused with every
    reason when over a quota or under a score line (A5.2), the choices kept. The table says
    whether the list may be edited now (`edit`), and why not."""
    if request.method == "POST" and not request.user.has_perm(MANAGE):
        raise PermissionDenied
    cycle = cycle_or_404(cycle_id)
    existing = selectors.proposal_of(cycle)
    if existing is not None and existing.state not in PROPOSAL["edit"].sources:
        messages.info(request, "拟奖名单已经委员会审定，不能再修改。")
        return redirect(board_url(cycle, "proposal"))
    actions = PROPOSAL.allowed_actions(existing or Proposal(cycle=cycle), request.user)
    option = actions.get("edit")
    editable = option is not None and option.allowed
    evaluations = selectors.ranked(cycle)
    chosen = selectors.levels(existing)
    errors: list[str] = []
    if request.method == "POST":
        chosen = {
            e.application_id: request.POST.get(f"level_{e.application_id}", "").strip()
            for e in evaluations
        }
        entries = [
            (e.application, chosen[e.application_id])
            for e in evaluations
            if chosen[e.application_id]
        ]
        try:
            services.save_proposal(actor=actor(request), cycle=cycle, entries=entries)
        except ServiceError as exc:
            if exc.status == 403:
                raise PermissionDenied(exc.message) from exc
            errors = exc.fields.get("entries") or [exc.message]
        else:
            messages.success(
                request,
                f"拟奖名单已保存：{len(entries)}个对象。请提交质量发展委员会审定。",
            )
            return redirect(board_url(cycle, "proposal"))
    policy = cycle.policy
    rows: list[dict[str, Any]] = []
    for e in evaluations:
        level = chosen.get(e.application_id, "")
        rows.append(
            {
                "evaluation": e,
                "level": level,
                "levels": (
                    [("award", "市长质量奖")]
                    if e.application.kind == Kind.INDIVIDUAL
                    else list(services.LEVELS.items())
                ),
                "below_award": policy.min_score_award is not None
                and e.final_score < policy.min_score_award,
                "below_nomination": policy.min_score_nomination is not None
                and e.final_score < policy.min_score_nomination,
            }
        )
    kinds = [
        {
            "kind": kind,
            "label": label,
            "rows": [r for r in rows if r["evaluation"].application.kind == kind],
        }
        for kind, label in Kind.choices
    ]
    return render(
        request,
        "decision/proposal.html",
        {
            "cycle": cycle,
            "policy": policy,
            "kinds": kinds,
            "quotas": _quotas(cycle, rows),
            "errors": errors,
            "editable": editable,
            "refusals": refusals(actions),
            "rewinner_note": REWINNER_NOTE,
        },
        status=400 if errors else 200,
    )


# --- approvals (A6.1, A19.1) -------------------------------------------------------------------


@perm_required(MANAGE)
@require_POST
@two_factor.fresh_otp_required
def approval(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """Record the committee's 审定, then the city government's approval with its 文号."""
    cycle = cycle_or_404(cycle_id)
    proposal = proposal_or_404(cycle)
    body = request.POST.get("body", "")
    form = forms.ApprovalForm(request.POST, body=body)
    uploads = request.FILES.getlist("attachments")
    too_big = [u.name for u in uploads if (u.size or 0) > services.MAX_EVIDENCE_BYTES]
    if too_big:  # checked before reading: an oversized upload is never loaded into memory
        form.add_error(None, f"附件“{'、'.join(str(n) for n in too_big)}”超过20 MB。")
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.record_approval(
                actor=actor(request),
                proposal=proposal,
                body=data["body"],
                decided_on=data["decided_on"],
                reference=data["reference"],
                attendees=data.get("attendees", ""),
                resolution=data.get("resolution", ""),
                attachments=[(u.name or "", u.read()) for u in uploads],
            )
        except ServiceError as exc:
            refused_on_form(form, exc)
        else:
            label = Approval.Body(data["body"]).label
            messages.success(request, f"已记录{label}：{data['reference']}。")
            return redirect(board_url(cycle, "approvals"))
    return _board_again(request, cycle, "approval", form)


@perm_required(VIEW)
def approval_attachment(request: HttpRequest, attachment_id: int) -> HttpResponse:
    """A document of the committee's or the government's decision, for those who read the
    decision stage."""
    item = selectors.approval_attachment(attachment_id)
    if item is None:
        raise Http404
    with item.file.open("rb") as handle:
        data = handle.read()
    return file_response(data, item.original_name, item.content_type)


# --- the notice (A20.1, A20.2) -----------------------------------------------------------------


@perm_required(MANAGE)
def notice(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """GET: the end of a notice starting on ?starts_on= (the board's preview, as htmx fragment or
    back on the board without JavaScript). POST: publish the notice (A20.1)."""
    cycle = cycle_or_404(cycle_id)
    if request.method == "GET":
        if request.headers.get("HX-Request"):
            preview = _notice_preview(cycle, _parse_date(request.GET.get("starts_on", "")))
            return render(request, "decision/_notice_end.html", {"preview": preview})
        query = urlencode({"cycle": cycle.pk, "starts_on": request.GET.get("starts_on", "")})
        return redirect(reverse("decision:board") + f"?{query}#notice")
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    proposal = proposal_or_404(cycle)
    form = forms.NoticeForm(request.POST)
    if form.is_valid():
        try:
            published = services.publish_notice(
                actor=actor(request), proposal=proposal, starts_on=form.cleaned_data["starts_on"]
            )
        except ServiceError as exc:
            refused_on_form(form, exc)
        else:
            messages.success(
                request,
                f"已发布公示：{published.notice_starts_on:%Y年%-m月%-d日}至"
                f"{published.notice_ends_on:%Y年%-m月%-d日}。",
            )
            return redirect(board_url(cycle, "notice"))
    return _board_again(request, cycle, "notice", form)


@perm_required(MANAGE)
@require_POST
def close(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """End the notice: refused before its last day has passed or while an objection is open."""
    cycle = cycle_or_404(cycle_id)
    try:
        services.close_notice(actor=actor(request), proposal=proposal_or_404(cycle))
    except ServiceError as exc:
        refused(request, exc)
    else:
        messages.success(request, "公示已结束，可记录市政府公告。")
    return redirect(board_url(cycle, "notice"))


@perm_required(MANAGE)
@require_POST
def announce(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """Record the government's announcement: the winners get their awards, certificates and
    bonuses due (A20.2, A21.1)."""
    cycle = cycle_or_404(cycle_id)
    proposal = proposal_or_404(cycle)
    form = forms.AnnounceForm(request.POST)
    if form.is_valid():
        try:
            awards = services.announce(
                actor=actor(request),
                proposal=proposal,
                announced_on=form.cleaned_data["announced_on"],
                document_number=form.cleaned_data["document_number"],
            )
        except ServiceError as exc:
            refused_on_form(form, exc)
        else:
            messages.success(request, f"已记录公告：{len(awards)}个获奖者，证书已生成。")
            return redirect(board_url(cycle, "announcement"))
    return _board_again(request, cycle, "announce", form)
