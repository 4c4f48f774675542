"""The review pages of the Office, the supervisors and the committee: the board of both review
stages (phases, groups, cards, consensus, site visits, the evaluation), the cycle's rubrics, the
ranking with the rater analytics and its downloads, and one application's whole record.

Thin views (STYLE.md): they read, call `review.services` and render. The Office acts
(`review.manage`); supervisors read the same pages (`review.oversee`); the committee reads the
ranking (`review.view_results`)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from experts.models import Assignment, ReviewGroup
from intake.models import IN_REVIEW, Application, Kind, State
from lib import excel, rubrics, scoring
from lib.access import actor, perm_required
from lib.errors import ServiceError
from lib.http import file_response
from programs.models import Cycle, CycleStage, Stage
from programs.selectors import current_cycle, default_program, opened_cycles

from . import analytics, services
from .models import (
    REVIEW_STAGES,
    ConsensusItem,
    Evaluation,
    Feedback,
    ItemScore,
    ReviewPhase,
    Rubric,
    RubricItem,
    Scorecard,
)
from .office_forms import ScheduleForm

MANAGE = "review.manage"
OVERSEE = "review.oversee"
RESULTS = "review.view_results"
STAGES = {s.value: s.label for s in REVIEW_STAGES}
KINDS = dict(Kind.choices)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# How many refused applications a message names before "and N more" (the rest are on the board).
SHOWN_MISSING = 20


def _refused(request: HttpRequest, exc: ServiceError) -> None:
    """Show a service's refusal with everything it found missing; a forbidden action is 403."""
    if exc.status == 403:
        raise PermissionDenied(exc.message)
    missing = exc.fields.get("applications", [])
    text = exc.message
    if len(missing) > 5:  # the service's message names the first five
        head, _, _ = text.partition("：")
        shown = "；".join(missing[:SHOWN_MISSING])
        more = f"等{len(missing)}项" if len(missing) > SHOWN_MISSING else ""
        text = f"{head}：{shown}{more}"
    if exc.article and exc.article not in text:
        text = f"{text}（{exc.article}）"
    messages.error(request, text)


def _cycle(cycle_id: int) -> Cycle:
    return get_object_or_404(Cycle.objects.select_related("policy"), pk=cycle_id)


def _board_url(cycle: Cycle, anchor: str = "") -> str:
    url = reverse("review:board") + "?" + urlencode({"cycle": cycle.pk})
    return f"{url}#{anchor}" if anchor else url


def _choose_cycle(request: HttpRequest) -> tuple[list[Cycle], Cycle | None]:
    """The opened cycles and the one asked for (?cycle=), else the current one."""
    cycles = list(opened_cycles().select_related("policy"))
    wanted = request.GET.get("cycle", "")
    cycle = next((c for c in cycles if wanted.isdigit() and c.pk == int(wanted)), None)
    if cycle is None:
        program = default_program()
        current = current_cycle(program) if program else None
        cycle = next((c for c in cycles if current and c.pk == current.pk), None)
    return cycles, cycle


# --- the board ---------------------------------------------------------------------------------


def _group_row(application: Application, group: ReviewGroup | None) -> dict[str, Any]:
    members = list(group.assignments.all()) if group else []
    cards = [getattr(a, "scorecard", None) for a in members]
    return {
        "application": application,
        "group": group,
        "members": members,
        "total": len(members),
        "submitted": sum(1 for c in cards if c and c.state == Scorecard.State.SUBMITTED),
        "consensus": getattr(group, "consensus", None) if group else None,
        "visit": getattr(group, "site_visit", None) if group else None,
    }


@login_required
def board(request: HttpRequest) -> HttpResponse:
    """Both review stages of a cycle at a glance: whether scoring is open and until when, each
    application's group, cards, consensus and (on site) the visit, with the Office's actions
    (A17.1, A18.1, A27.1). Supervisors see the same page without the buttons; committee
    members, who see results only, are taken to the cycle's ranking."""
    if not request.user.has_perm(OVERSEE):
        if not request.user.has_perm("review.view_results"):
            raise PermissionDenied
        _, chosen = _choose_cycle(request)
        if chosen is None:
            raise Http404
        return redirect("review:ranking", cycle_id=chosen.pk)
    cycles, cycle = _choose_cycle(request)
    context: dict[str, Any] = {
        "cycles": cycles,
        "cycle": cycle,
        "can_manage": request.user.has_perm(MANAGE),
        "kinds": Kind.choices,
    }
    if cycle is None:
        return render(request, "review/board.html", context)
    phases = {p.stage: p for p in ReviewPhase.objects.filter(cycle=cycle)}
    deadlines = {
        s.stage: s.ends_on for s in CycleStage.objects.filter(cycle=cycle, stage__in=STAGES)
    }
    active = Assignment.objects.filter(removed_at__isnull=True).select_related(
        "expert", "scorecard"
    )
    applications = list(
        Application.objects.filter(cycle=cycle, state__in=IN_REVIEW)
        .select_related("organization", "individual")
        .prefetch_related(
            Prefetch(
                "review_groups",
                queryset=ReviewGroup.objects.select_related(
                    "leader", "supervisor", "consensus", "site_visit"
                ).prefetch_related(Prefetch("assignments", queryset=active)),
            )
        )
        .order_by("-kind", "pk")  # organizations first
    )
    stages = []
    for stage, label in STAGES.items():
        rows = []
        for application in applications:
            if stage == Stage.SITE_REVIEW and application.kind != Kind.ORGANIZATION:
                continue  # individuals have no on-site review (A10.3)
            group = next((g for g in application.review_groups.all() if g.stage == stage), None)
            rows.append(_group_row(application, group))
        stages.append(
            {
                "value": stage,
                "label": label,
                "phase": phases.get(stage),
                "deadline": deadlines.get(stage),
                "rows": rows,
                "site": stage == Stage.SITE_REVIEW,
            }
        )
    evaluated = sum(1 for a in applications if a.state == State.EVALUATED)
    context |= {
        "stages": stages,
        "evaluated": evaluated,
        "in_review": len(applications),
        "started": any(p.opened_at for p in phases.values()),
    }
    return render(request, "review/board.html", context)


@perm_required(MANAGE)
@require_POST
def phase(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """Open or close scoring of a stage (A17.1): opening is refused with the list of what is
    still missing (groups, leaders, supervisors, site visits)."""
    cycle = _cycle(cycle_id)
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
        _refused(request, exc)
    return redirect(_board_url(cycle, f"stage-{stage}"))


@perm_required(MANAGE)
@require_POST
def schedule(request: HttpRequest, group_id: int) -> HttpResponse:
    """Schedule (or move) an organization's on-site review (A17.1)."""
    group = get_object_or_404(
        ReviewGroup.objects.select_related(
            "application__cycle", "application__organization", "application__individual"
        ),
        pk=group_id,
    )
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
            _refused(request, exc)
        else:
            messages.success(
                request,
                f"已安排{name}的现场评审：{visit.starts_on:%Y-%m-%d}至{visit.ends_on:%Y-%m-%d}，"
                f"{visit.place}。",
            )
    return redirect(_board_url(group.application.cycle, f"stage-{Stage.SITE_REVIEW.value}"))


@perm_required(MANAGE)
@require_POST
def evaluate(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """Run the comprehensive evaluation (A10.2, A10.3, A18.1): refused with what is missing."""
    cycle = _cycle(cycle_id)
    try:
        results = services.evaluate(actor=actor(request), cycle=cycle)
    except ServiceError as exc:
        _refused(request, exc)
        return redirect(_board_url(cycle, "evaluate"))
    ties = sum(1 for e in results if e.tied)
    text = f"已完成综合评价：{len(results)}项申报已按类别排名"
    text += f"，其中{ties}项并列，请委员会审定。" if ties else "。"
    messages.success(request, text)
    return redirect("review:ranking", cycle_id=cycle.pk)


# --- rubrics (A9.1) ----------------------------------------------------------------------------


def _number(raw: str) -> int | str:
    """Points as typed: an integer when it is one; otherwise the text, which the service refuses
    with the item's code."""
    raw = raw.strip()
    return int(raw) if raw.isdigit() else raw


def _posted_rubric(request: HttpRequest) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    post = request.POST
    categories = [
        {"code": code, "name": name.strip(), "points": _number(points)}
        for code, name, points in zip(
            post.getlist("cat_code"),
            post.getlist("cat_name"),
            post.getlist("cat_points"),
            strict=False,
        )
    ]
    items = []
    for code, category, name, points, type_ in zip(
        post.getlist("item_code"),
        post.getlist("item_category"),
        post.getlist("item_name"),
        post.getlist("item_points"),
        post.getlist("item_type"),
        strict=False,
    ):
        if not code.strip() and not name.strip():
            continue  # an empty row: a deleted item or an unused blank line
        items.append(
            {
                "code": code.strip(),
                "category": category,
                "name": name.strip(),
                "points": _number(points),
                "type": type_,
            }
        )
    return categories, items


def _stored_rubric(
    cycle: Cycle, kind: str
) -> tuple[Rubric | None, list[dict[str, Any]], list[dict[str, Any]]]:
    """The cycle's copy, else the default from data/gbt19580.yaml (not copied yet)."""
    rubric = Rubric.objects.filter(cycle=cycle, applies_to=kind).first()
    if rubric is not None:
        items = [
            {
                "code": i.code,
                "category": i.category,
                "name": i.name,
                "points": i.points,
                "type": i.type,
            }
            for i in rubric.items.all()
        ]
        return rubric, list(rubric.categories), items
    source = rubrics.rubric_for(kind)
    categories = [{"code": c.code, "name": c.name, "points": c.points} for c in source.categories]
    items = [
        {"code": i.code, "category": i.category, "name": i.name, "points": i.points, "type": i.type}
        for i in source.items
    ]
    return None, categories, items


@perm_required(OVERSEE)
def rubric(request: HttpRequest, cycle_id: int, kind: str) -> HttpResponse:
    """The cycle's rubric for one kind (A9.1): editable by the Office until review starts, each
    error listed when the items do not add up; read-only afterwards and for supervisors."""
    if kind not in KINDS:
        raise Http404
    cycle = _cycle(cycle_id)
    can_manage = request.user.has_perm(MANAGE)
    started = services.review_started(cycle)
    stored, categories, items = _stored_rubric(cycle, kind)
    errors: list[str] = []
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        categories, items = _posted_rubric(request)
        try:
            saved = services.save_rubric(
                actor=actor(request), cycle=cycle, kind=kind, categories=categories, items=items
            )
        except ServiceError as exc:
            if exc.status == 403:
                raise PermissionDenied(exc.message) from exc
            errors = exc.fields.get("items") or [exc.message]
            if exc.article:
                errors = [f"{e}（{exc.article}）" for e in errors]
            started = services.review_started(cycle)
        else:
            messages.success(
                request, f"已保存{cycle.year}年度{saved.name}（第{saved.version}版）。"
            )
            return redirect("review:rubric", cycle_id=cycle.pk, kind=kind)
    sums: dict[str, int] = defaultdict(int)
    for item in items:
        if isinstance(item["points"], int):
            sums[str(item["category"])] += item["points"]
    for c in categories:
        c["sum"] = sums.get(str(c["code"]), 0)
    total = stored.total_points if stored else rubrics.rubric_for(kind).total_points
    return render(
        request,
        "review/rubric.html",
        {
            "cycle": cycle,
            "kind": kind,
            "kind_label": KINDS[kind],
            "other_kind": next(k for k in KINDS if k != kind),
            "kinds": Kind.choices,
            "stored": stored,
            "name": stored.name if stored else rubrics.rubric_for(kind).name,
            "total": total,
            "items_total": sum(sums.values()),
            "categories": categories,
            "items": items,
            "blank_rows": range(3),
            "types": RubricItem.Type.choices,
            "editable": can_manage and not started,
            "started": started,
            "errors": errors,
        },
        status=400 if errors else 200,
    )


# --- the ranking and the rater analytics (A10, A18.1) ------------------------------------------


def _evaluations(cycle: Cycle) -> list[Evaluation]:
    return list(
        Evaluation.objects.filter(application__cycle=cycle)
        .select_related("application__organization", "application__individual")
        .order_by("application__kind", "rank", "application_id")
    )


ROUNDING_RULE = (
    "条款得分＝分值×得分比例，阶段得分为各条款得分之和，均不取舍；综合得分＝各阶段得分按权重加权，"
    "只在最后一步四舍五入保留两位小数（《办法》第十条）。"
    "综合得分相同者名次相同（如1、2、2、4），标注“并列”，系统不作区分，由委员会审定。"
)


@perm_required(RESULTS)
def ranking(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """The ranking per kind from the evaluation, ties flagged (A10.2, A10.3, A18.1), and the
    rater analytics: each expert's deviation from the consensus and agreement with the group,
    each application's dispersion, as charts and as a plain table."""
    cycle = _cycle(cycle_id)
    evaluations = _evaluations(cycle)
    tables = [
        {
            "kind": kind,
            "label": label,
            "rows": [e for e in evaluations if e.application.kind == kind],
        }
        for kind, label in Kind.choices
    ]
    raters = analytics.rater_figures(cycle)
    spread = analytics.dispersion(cycle)
    chart_data = {
        "raters": [
            {"name": r.name, "deviation": r.deviation, "agreement": r.agreement} for r in raters
        ],
        "dispersion": _dispersion_series(spread),
    }
    return render(
        request,
        "review/ranking.html",
        {
            "cycle": cycle,
            "tables": tables,
            "evaluated": bool(evaluations),
            "ties": any(e.tied for e in evaluations),
            "rounding_rule": ROUNDING_RULE,
            "raters": raters,
            "dispersion": [{"row": d, "stage": STAGES[d.stage]} for d in spread],
            "agreement_points": analytics.AGREEMENT_POINTS,
            "chart_data": chart_data,
            "can_manage": request.user.has_perm(MANAGE),
            "can_oversee": request.user.has_perm(OVERSEE),
        },
    )


def _dispersion_series(rows: list[analytics.Dispersion]) -> dict[str, Any]:
    """One bar row per application, one series per stage that has any (null where none)."""
    names: dict[int, str] = {}
    by_stage: dict[str, dict[int, float]] = defaultdict(dict)
    for d in rows:
        names.setdefault(d.application_id, d.name)
        by_stage[d.stage][d.application_id] = d.spread
    return {
        "names": list(names.values()),
        "series": [
            {"name": label, "values": [by_stage[stage].get(pk) for pk in names]}
            for stage, label in STAGES.items()
            if by_stage.get(stage)
        ],
    }


RANKING_HEADERS = [
    "类别",
    "名次",
    "并列",
    "申报人",
    "材料评审得分",
    "材料评审权重（%）",
    "现场评审得分",
    "现场评审权重（%）",
    "综合得分",
]


@perm_required(RESULTS)
def ranking_xlsx(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """The ranking as one Excel sheet, organizations first, for the committee's papers."""
    cycle = _cycle(cycle_id)
    rows = [
        [
            e.application.get_kind_display(),
            e.rank,
            "并列" if e.tied else "",
            e.application.applicant_name,
            e.material_score,
            e.material_weight,
            e.site_score,
            e.site_weight if e.site_score is not None else None,
            e.final_score,
        ]
        for e in _evaluations(cycle)
    ]
    name = f"{cycle.year}年度综合评价排名.xlsx"
    data = excel.workbook_bytes(
        title=name.removesuffix(".xlsx"),
        headers=RANKING_HEADERS,
        rows=rows,
        sheet_name="综合评价排名",
    )
    return file_response(data, name, XLSX)


@perm_required(RESULTS)
def report(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """The 综合评价报告 as a Word document the Office edits and files (A18.1)."""
    from .documents import evaluation_report_docx  # written alongside; heavy (charts)

    cycle = _cycle(cycle_id)
    try:
        data = evaluation_report_docx(cycle)
    except ServiceError as exc:  # nothing evaluated yet
        _refused(request, exc)
        return redirect("review:ranking", cycle_id=cycle.pk)
    return file_response(data, f"{cycle.year}年度综合评价报告.docx", DOCX)


# --- one application's record (A17.1, A27.1, A28.1) -------------------------------------------


def _matrix(
    items: list[RubricItem],
    members: list[Assignment],
    scores: dict[tuple[int, int], int | None],
    agreed: dict[int, ConsensusItem],
    threshold: int,
) -> list[dict[str, Any]]:
    """Item x expert: each expert's percentage, the mean and spread of submitted cards, the
    consensus, and whether the spread calls for discussion."""
    rows = []
    for item in items:
        given = [scores.get((a.pk, item.pk)) for a in members]
        submitted = [
            p
            for a, p in zip(members, given, strict=True)
            if p is not None
            and getattr(a, "scorecard", None) is not None
            and a.scorecard.state == Scorecard.State.SUBMITTED
        ]
        spread = scoring.spread(submitted)
        rows.append(
            {
                "item": item,
                "given": [
                    {"name": a.expert.name, "percent": p}
                    for a, p in zip(members, given, strict=True)
                ],
                "mean": scoring.mean(submitted),
                "spread": spread if len(submitted) > 1 else None,
                "flagged": len(submitted) > 1 and spread > threshold,
                "agreed": agreed.get(item.pk),
            }
        )
    return rows


@perm_required(OVERSEE)
def record(request: HttpRequest, public_id: Any) -> HttpResponse:
    """One application's whole review, read-only: each stage's cards by expert, the consensus
    per item with its comment, the site-visit record and the supervisor's report, the two-way
    feedback (A28.1: only the Office and supervisors see it) and the evaluation."""
    # A draft is the applicant's alone; once submitted the Office and supervisors read it.
    application = get_object_or_404(
        Application.objects.exclude(state=State.DRAFT).select_related(
            "cycle__policy", "organization", "individual"
        ),
        public_id=public_id,
    )
    rubric_ = Rubric.objects.filter(cycle=application.cycle, applies_to=application.kind).first()
    items = list(rubric_.items.all()) if rubric_ else []
    active = Assignment.objects.filter(removed_at__isnull=True).select_related(
        "expert", "scorecard"
    )
    groups = list(
        application.review_groups.select_related(
            "leader",
            "supervisor",
            "consensus__recorded_by",
            "site_visit__recorded_by",
            "site_visit__reported_by",
            "site_visit__scheduled_by",
        ).prefetch_related(Prefetch("assignments", queryset=active))
    )
    scores: dict[tuple[int, int], int | None] = {}
    texts: dict[int, list[ItemScore]] = defaultdict(list)
    for s in ItemScore.objects.filter(
        scorecard__assignment__group__application=application,
        scorecard__assignment__removed_at__isnull=True,
    ).select_related("item", "scorecard"):
        scores[(s.scorecard.assignment_id, s.item_id)] = s.percent
        if s.strengths or s.opportunities:
            texts[s.scorecard.assignment_id].append(s)
    agreed: dict[int, dict[int, ConsensusItem]] = defaultdict(dict)
    for c in ConsensusItem.objects.filter(consensus__group__application=application).select_related(
        "item", "consensus"
    ):
        agreed[c.consensus.group_id][c.item_id] = c
    threshold = application.cycle.policy.consensus_spread_points
    order = {s.value: n for n, s in enumerate(REVIEW_STAGES)}
    stages = []
    for group in sorted(groups, key=lambda g: order.get(g.stage, 9)):
        members = list(group.assignments.all())
        stages.append(
            {
                "group": group,
                "label": STAGES.get(group.stage, group.stage),
                "members": members,
                "cards": [
                    {"member": a, "card": getattr(a, "scorecard", None), "texts": texts[a.pk]}
                    for a in members
                ],
                "matrix": _matrix(items, members, scores, agreed[group.pk], threshold),
                "texts": sum(
                    1 for c in agreed[group.pk].values() if c.strengths or c.opportunities
                ),
                "consensus": getattr(group, "consensus", None),
                "visit": getattr(group, "site_visit", None),
                "members_mean": _members_mean(members, scores, items),
            }
        )
    feedback = {f.direction: f for f in Feedback.objects.filter(application=application)}
    return render(
        request,
        "review/record.html",
        {
            "application": application,
            "rubric": rubric_,
            "stages": stages,
            "threshold": threshold,
            "of_group": feedback.get(Feedback.Direction.OF_GROUP),
            "of_applicant": feedback.get(Feedback.Direction.OF_APPLICANT),
            "site_expected": application.kind == Kind.ORGANIZATION,
            "evaluation": Evaluation.objects.filter(application=application).first(),
        },
    )


def _members_mean(
    members: list[Assignment], scores: dict[tuple[int, int], int | None], items: list[RubricItem]
) -> Decimal | None:
    """The mean of the submitted cards' stage scores, shown beside the consensus score."""
    totals = []
    for a in members:
        card = getattr(a, "scorecard", None)
        if card is None or card.state != Scorecard.State.SUBMITTED:
            continue
        pairs = [(i.points, scores.get((a.pk, i.pk))) for i in items]
        totals.append(scoring.stage_score((p, pct) for p, pct in pairs if pct is not None))
    return scoring.mean(totals)
