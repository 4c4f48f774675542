"""The Office's board of review groups, one cycle and stage at a time: the solver's proposal,
locks, members and leaders by hand, the code of conduct, conflicts and recusal requests, and the
groups as Excel (A6.3, A17.1, A26.1, A27.1)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import two_factor
from experts import conflicts, forms, selectors, services
from experts.models import Assignment, ReviewGroup
from jobs import exports as large_exports
from lib import excel, industries
from lib.access import actor, perm_required, refused
from lib.errors import ServiceError
from lib.http import file_response
from lib.params import parse_int, query_int
from programs.context import current_program_or_none
from programs.models import Cycle, Stage
from programs.selectors import current_cycle, opened_cycles

from .common import GROUP_STAGES, MANAGE, XLSX, as_int


def _board_url(cycle: Cycle | int | None, stage: str) -> str:
    query = {"stage": stage}
    if cycle is not None:
        query["cycle"] = str(cycle.pk if isinstance(cycle, Cycle) else cycle)
    return reverse("experts:groups") + "?" + urlencode(query)


def _stage(value: str) -> str:
    return value if value in GROUP_STAGES else Stage.MATERIAL_REVIEW.value


def _board(request: HttpRequest) -> tuple[list[Cycle], Cycle | None, str]:
    """The opened cycles, the one asked for (else the current one) and the stage."""
    return _board_of(request.GET.get("stage", ""), query_int(request, "cycle"))


def _board_of(stage: str, wanted: int | None) -> tuple[list[Cycle], Cycle | None, str]:
    cycles = list(opened_cycles())
    cycle: Cycle | None = None
    if wanted is not None:
        cycle = next((c for c in cycles if c.pk == wanted), None)
    if cycle is None:
        program = current_program_or_none()
        cycle = current_cycle(program) if program else None
    return cycles, cycle, _stage(stage)


GROUP_EXPORT_HEADERS = [
    "年度",
    "阶段",
    "申报人",
    "类别",
    "专家",
    "组内角色",
    "职称",
    "工作单位",
    "熟悉行业",
    "产生方式",
    "已锁定",
    "分配依据",
    "评审监督员",
    "确定时间",
]


def groups_build(query: Any) -> tuple[str, bytes]:
    """The groups of the cycle and stage `query` names (`cycle`, `stage`: the board's query
    string) as Excel, one row per member: what the view sends at once and what a background job
    makes (desk/exports.py, export "groups")."""
    _, cycle, stage = _board_of(str(query.get("stage") or ""), parse_int(query.get("cycle")))
    if cycle is None:
        raise Http404
    rows = []
    for group in selectors.groups_for_export(cycle, stage):
        application = group.application
        for a in group.assignments.all():
            expert = a.expert
            employer = next(
                (e.employer_name for e in expert.employments.all() if e.ends_on is None), ""
            )
            rows.append(
                [
                    cycle.year,
                    GROUP_STAGES[stage],
                    application.applicant_name,
                    application.get_kind_display(),
                    expert.name,
                    "组长" if group.leader_id == expert.pk else "成员",
                    expert.title,
                    employer,
                    "、".join(industries.label(code) for code in expert.industries),
                    a.get_source_display(),
                    "是" if a.locked else "否",
                    "；".join(str(r) for r in a.reasons),
                    str(group.supervisor or ""),
                    timezone.localtime(group.confirmed_at) if group.confirmed_at else None,
                ]
            )
    name = f"{cycle.year}年度{GROUP_STAGES[stage]}专家组.xlsx"
    data = excel.workbook_bytes(
        title=name.removesuffix(".xlsx"),
        headers=GROUP_EXPORT_HEADERS,
        rows=rows,
        sheet_name=f"{GROUP_STAGES[stage]}专家组",
    )
    return name, data


def groups_scope(query: Any) -> str:
    """The cycle and stage in words, for the background export's page."""
    _, cycle, stage = _board_of(str(query.get("stage") or ""), parse_int(query.get("cycle")))
    return f"{cycle.year}年度{GROUP_STAGES[stage]}" if cycle else "（无评审年度）"


@perm_required(MANAGE)
@two_factor.fresh_otp_required  # experts' names, employers and contacts: personal data
def export_groups(request: HttpRequest) -> HttpResponse:
    """The groups of a cycle and stage as Excel, one row per member (for the Office's files).
    Above `jobs.exports.GROUPS_ROWS` members it is made in the background for the requester."""
    _, cycle, stage = _board(request)
    if cycle is None:
        raise Http404
    members = Assignment.objects.filter(
        removed_at__isnull=True, group__application__cycle=cycle, group__stage=stage
    )
    if large_exports.too_large(members, large_exports.GROUPS_ROWS):
        return large_exports.hand_over(request, "groups", {"cycle": cycle.pk, "stage": stage})
    name, data = groups_build({"cycle": str(cycle.pk), "stage": stage})
    return file_response(data, name, XLSX)


@perm_required(MANAGE)
def groups(request: HttpRequest) -> HttpResponse:
    """The Office's board of one cycle and stage: each application's group, with why each member
    was chosen, and the actions on them (A17.1, A26.1, A27.1)."""
    cycles, cycle, stage = _board(request)
    context: dict[str, Any] = {
        "cycles": cycles,
        "cycle": cycle,
        "stage": stage,
        "stages": GROUP_STAGES,
    }
    if cycle is None:
        return render(request, "experts/groups.html", context)
    policy = cycle.policy
    qualified = [
        e for e in selectors.experts_by_name() if not services.qualification_gaps(e, policy)
    ]
    # The board shows what the records show now (A26.1): detection runs for the year (by the
    # system: looking at the board is nobody's act) before the conflicts and candidates are read.
    conflicted = services.current_conflicts(cycle)
    rows = []
    for application in selectors.board(cycle, stage):
        group = next(iter(application.review_groups.all()), None)
        members = list(group.assignments.all()) if group else []
        seated = {m.expert_id for m in members}
        rows.append(
            {
                "application": application,
                "group": group,
                "members": members,
                # Who may be added by hand: neither a member nor conflicted with the applicant.
                "candidates": [
                    e
                    for e in qualified
                    if e.pk not in seated and (application.pk, e.pk) not in conflicted
                ],
            }
        )
    code = selectors.code_of_conduct(cycle)
    requests, named = selectors.recusal_requests(cycle)
    draws = selectors.draws(cycle, stage)
    context |= {
        # A closed year: its groups are shown as they were, the reason in place of the buttons.
        "refusal": services.closed_refusal(cycle),
        # Nothing in review for the stage: the proposal and the draw say why instead.
        "grouping_refusal": services.grouping_refusal(cycle, stage),
        "rows": rows,
        "group_size": policy.expert_group_size,
        "lookback_years": policy.lookback_years,
        "qualified": qualified,
        "supervisors": selectors.supervisors(cycle),
        "code": code,
        "signed": selectors.acknowledgements(cycle),
        "code_form": forms.CodeForm(initial={"text": code.text if code else ""}),
        "conflicts": selectors.conflicts(cycle),
        # The applicants' recusal requests with the pool experts each one matches.
        "recusals": [
            {"request": r, "matches": conflicts.recusal_matches(r, named)} for r in requests
        ],
        # Every random draw of the stage, with its seed, reason and pairs (A17.1).
        "draws": draws,
        # After a completed draw, 优化分配 replaces drawn pairs: the form asks for a reason.
        "drawn": any(d["draw"].completed_at for d in draws),
    }
    return render(request, "experts/groups.html", context)


def _cycle(cycle_id: int) -> Cycle:
    cycle = selectors.cycle(cycle_id)
    if cycle is None:
        raise Http404
    return cycle


def _group(group_id: int) -> ReviewGroup:
    group = selectors.group(group_id)
    if group is None:
        raise Http404
    return group


@perm_required(MANAGE)
@require_POST
def open_group(request: HttpRequest, public_id: Any) -> HttpResponse:
    application = selectors.application(public_id=public_id)
    if application is None:
        raise Http404
    stage = _stage(request.POST.get("stage", ""))
    try:
        services.open_group(actor=actor(request), application=application, stage=stage)
    except ServiceError as exc:
        refused(request, exc)
    else:
        messages.success(request, f"已为{application.applicant_name}建立专家组，请加入专家。")
    return redirect(_board_url(application.cycle_id, stage))


@perm_required(MANAGE)
@require_POST
def propose(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """优化分配, or (`method=draw`) 随机抽取 with a seed from the system, for every group of the
    stage. A second draw of the stage needs a reason (the form's `reason`)."""
    cycle = _cycle(cycle_id)
    stage = _stage(request.POST.get("stage", ""))
    drawing = request.POST.get("method") == "draw"
    try:
        if drawing:
            summary = services.draw_groups(
                actor=actor(request),
                cycle=cycle,
                stage=stage,
                reason=request.POST.get("reason", ""),
            )
        else:
            summary = services.propose_groups(
                actor=actor(request),
                cycle=cycle,
                stage=stage,
                reason=request.POST.get("reason", ""),
            )
    except ServiceError as exc:
        refused(request, exc)
    else:
        unfilled = sum(summary["unfilled"].values())
        how = f"随机抽取（系统生成种子{summary['seed']}）" if drawing else "优化分配"
        messages.success(
            request,
            f"已按{how}生成{summary['applications']}个专家组：最弱匹配{summary['worst_affinity']}，"
            f"总匹配度{summary['total_affinity']}，"
            + (f"尚缺{unfilled}个席位。" if unfilled else "各组均已配齐。"),
        )
    return redirect(_board_url(cycle, stage))


@perm_required(MANAGE)
@require_POST
def lock(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment: Assignment | None = selectors.assignment(assignment_id)
    if assignment is None:
        raise Http404
    locked = request.POST.get("locked") == "1"
    try:
        services.set_locked(actor=actor(request), assignment=assignment, locked=locked)
    except ServiceError as exc:
        refused(request, exc)
    else:
        messages.success(request, f"已{'锁定' if locked else '解除锁定'}{assignment.expert}。")
    group = assignment.group
    return redirect(_board_url(group.application.cycle_id, group.stage))


@perm_required(MANAGE)
@require_POST
def assign(request: HttpRequest, group_id: int) -> HttpResponse:
    """Put a qualified expert in the group by hand (locked)."""
    group = _group(group_id)
    expert = selectors.expert_by_pk(as_int(request.POST.get("expert")))
    if expert is None:
        messages.error(request, "请选择专家。")
    else:
        try:
            services.assign_manually(
                actor=actor(request),
                group=group,
                expert=expert,
                reason=request.POST.get("reason", "").strip() or "人工调整",
            )
        except ServiceError as exc:
            refused(request, exc)
        else:
            messages.success(request, f"已将{expert}加入专家组。")
    return redirect(_board_url(group.application.cycle_id, group.stage))


@perm_required(MANAGE)
@require_POST
def leader(request: HttpRequest, group_id: int) -> HttpResponse:
    """Name the leader and, for 现场评审, the supervisor."""
    group = _group(group_id)
    expert = selectors.expert_by_pk(as_int(request.POST.get("leader")))
    supervisor = selectors.user(as_int(request.POST.get("supervisor")))
    if expert is None:
        messages.error(request, "请选择组长。")
    else:
        try:
            services.set_leader(
                actor=actor(request), group=group, expert=expert, supervisor=supervisor
            )
        except ServiceError as exc:
            refused(request, exc)
        else:
            messages.success(request, f"已设定组长{expert}。")
    return redirect(_board_url(group.application.cycle_id, group.stage))


@perm_required(MANAGE)
@require_POST
def code(request: HttpRequest, cycle_id: int) -> HttpResponse:
    cycle = _cycle(cycle_id)
    try:
        services.set_code_of_conduct(
            actor=actor(request), cycle=cycle, text=request.POST.get("text", "")
        )
    except ServiceError as exc:
        refused(request, exc)
    else:
        messages.success(request, f"已发布{cycle.year}年度评审专家工作守则。")
    return redirect(_board_url(cycle, _stage(request.POST.get("stage", ""))))
