"""What the Office's review pages read: the board of a cycle, a rubric as stored (or the
default), the evaluations, and one application's whole record. Each is a fixed number of queries
whatever the number of applications, groups and members (tests/review/test_board.py).

The board selects the applications a review concerns by what they went through, not by their
state now: every application of the year with a review group, and those accepted and still in
review that have none yet. A year whose applications have since been proposed, awarded, not
awarded or revoked keeps its groups, cards, consensus, visits and feedback on the board."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from experts.models import Assignment, ReviewGroup
from intake.models import IN_REVIEW, Application, Kind, State
from lib import rubrics, scoring
from lib.errors import StateConflict
from programs.models import Cycle, CycleStage, Stage
from programs.selectors import opened_cycles, tenant_cycles

from ..boundaries import evaluate_refusal, schedule_refusal, stage_dates
from ..models import (
    APPLICATION_FORM_FIELDS,
    REVIEW_STAGES,
    ConsensusItem,
    Evaluation,
    Feedback,
    ItemScore,
    ReviewPhase,
    Rubric,
    RubricItem,
    Scorecard,
    SiteVisit,
)
from ..workflow import PHASE, Option, blank_phase, refusals

STAGES = {s.value: s.label for s in REVIEW_STAGES}


# --- the cycle and the group a page is about ------------------------------------------------------
# With their stages: the review's rules read each stage's dates (review.boundaries.stage_dates).


def cycles() -> list[Cycle]:
    """The opened cycles, closed ones too (their review stays readable), newest first."""
    return list(opened_cycles().select_related("policy").prefetch_related("stages"))


def cycle_or_404(cycle_id: int, *, stages: bool = True) -> Cycle:
    """The cycle with its policy, and its stages' dates unless `stages` is false (the ranking
    reads none)."""
    cycles = tenant_cycles().select_related("policy")
    return get_object_or_404(cycles.prefetch_related("stages") if stages else cycles, pk=cycle_id)


def group_or_404(group_id: int) -> ReviewGroup:
    return get_object_or_404(
        ReviewGroup.objects.filter(application__cycle__in=tenant_cycles()).select_related(
            "application__cycle", "application__organization", "application__individual"
        ),
        pk=group_id,  # a group of another program: 404 (decision 0030)
    )


# --- the board -----------------------------------------------------------------------------------


@dataclass
class BoardRow:
    """One application at one stage: its group, members, cards, consensus and (on site) the
    visit, the supervisor's report and the two-way feedback."""

    application: Application
    group: ReviewGroup | None
    members: list[Assignment]
    submitted: int
    visit: SiteVisit | None
    of_group: Feedback | None  # the organization's rating of the group (A28.1)
    of_applicant: Feedback | None  # the group's rating of the organization
    schedule_refusal: StateConflict | None  # why the Office may not schedule the visit now

    @property
    def total(self) -> int:
        return len(self.members)

    @property
    def consensus(self) -> Any:
        return getattr(self.group, "consensus", None) if self.group else None


@dataclass
class BoardStage:
    value: str
    label: str
    phase: ReviewPhase  # stored, or the blank one of a stage never opened
    dates: CycleStage | None
    rows: list[BoardRow]
    # Opening or closing scoring as the phase's table answers it for this user: the forms of
    # the allowed actions, the reasons in place of the others (none for a supervisor).
    options: dict[str, Option]

    @property
    def refusals(self) -> list[tuple[str, str]]:
        return refusals(self.options)

    @property
    def site(self) -> bool:
        return self.value == Stage.SITE_REVIEW

    @property
    def deadline(self) -> Any:
        return self.dates.ends_on if self.dates else None


@dataclass
class Board:
    stages: list[BoardStage]
    evaluated: int  # applications with an evaluation
    evaluable: int  # ... out of those evaluated or still in review
    started: bool
    evaluate_refusal: StateConflict | None


def _reviewed(cycle: Cycle) -> list[Application]:
    """The cycle's applications with a review group, or accepted and in review without one yet,
    whatever their state now; organizations first. Four queries."""
    active = Assignment.objects.filter(removed_at__isnull=True).select_related(
        "expert", "scorecard"
    )
    return list(
        Application.objects.filter(cycle=cycle)
        .filter(Q(state__in=IN_REVIEW) | Q(review_groups__isnull=False))
        .distinct()
        .select_related("organization", "individual", "evaluation")
        .prefetch_related(
            Prefetch(
                "review_groups",
                queryset=ReviewGroup.objects.select_related(
                    "leader", "supervisor", "consensus", "site_visit"
                ).prefetch_related(Prefetch("assignments", queryset=active)),
            ),
            "feedback",
        )
        .order_by("-kind", "pk")  # organizations first
    )


def _evaluation(application: Application) -> Evaluation | None:
    try:
        return application.evaluation
    except Evaluation.DoesNotExist:
        return None


def _row(cycle: Cycle, application: Application, group: ReviewGroup | None) -> BoardRow:
    members = list(group.assignments.all()) if group else []
    cards = [getattr(a, "scorecard", None) for a in members]
    visit = getattr(group, "site_visit", None) if group else None
    feedback = {f.direction: f for f in application.feedback.all()}
    return BoardRow(
        application=application,
        group=group,
        members=members,
        submitted=sum(1 for c in cards if c and c.state == Scorecard.State.SUBMITTED),
        visit=visit,
        of_group=feedback.get(Feedback.Direction.OF_GROUP),
        of_applicant=feedback.get(Feedback.Direction.OF_APPLICANT),
        schedule_refusal=schedule_refusal(cycle, visit),
    )


def board(cycle: Cycle, user: Any) -> Board:
    """Both review stages of a cycle: each stage's phase, dates and what `user` may do with it
    (`review.workflow.PHASE`), and per application its row. `cycle.stages` should be prefetched
    (the windows and refusals read the dates). Six queries whatever the number of applications
    (five in a closed year)."""
    phases = {p.stage: p for p in ReviewPhase.objects.filter(cycle=cycle)}
    for found in phases.values():
        found.cycle = cycle  # with its prefetched dates
    applications = _reviewed(cycle)
    stages = []
    for stage, label in STAGES.items():
        rows = []
        for application in applications:
            group = next((g for g in application.review_groups.all() if g.stage == stage), None)
            if group is None and application.state not in IN_REVIEW:
                continue  # never reviewed at this stage (e.g. withdrawn before it)
            if stage == Stage.SITE_REVIEW and application.kind != Kind.ORGANIZATION:
                continue  # individuals have no on-site review (A10.3)
            rows.append(_row(cycle, application, group))
        phase = phases.get(stage) or blank_phase(cycle, stage)
        stages.append(
            BoardStage(
                value=stage,
                label=label,
                phase=phase,
                dates=stage_dates(cycle, stage),
                rows=rows,
                options=PHASE.allowed_actions(phase, user),
            )
        )
    evaluated = sum(1 for a in applications if _evaluation(a) is not None)
    return Board(
        stages=stages,
        evaluated=evaluated,
        evaluable=sum(
            1 for a in applications if _evaluation(a) is not None or a.state in IN_REVIEW
        ),
        started=any(p.opened_at for p in phases.values()),
        evaluate_refusal=evaluate_refusal(cycle),
    )


# --- rubrics (A9.1) ------------------------------------------------------------------------------


def stored_rubric(
    cycle: Cycle, kind: str
) -> tuple[Rubric | None, list[dict[str, Any]], list[dict[str, Any]]]:
    """The cycle's copy with its categories and items, else (not copied yet) the rubric its
    policy holds, the one `services.ensure_rubric` will copy (the program's pack; data/gbt19580.yaml
    for a policy entered before packs)."""
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
    source = rubrics.rubric_in(cycle.policy.rubrics, kind)
    categories = [{"code": c.code, "name": c.name, "points": c.points} for c in source.categories]
    items = [
        {"code": i.code, "category": i.category, "name": i.name, "points": i.points, "type": i.type}
        for i in source.items
    ]
    return None, categories, items


# --- the ranking (A10, A18.1) --------------------------------------------------------------------


def ranked(cycle: Cycle, kind: str | None = None) -> Any:
    """The cycle's evaluations as a query, organizations first, by rank (one kind when given),
    without the applications' forms (never shown, and 2,000 of them cost seconds to decode)."""
    query = Evaluation.objects.filter(application__cycle=cycle)
    # One kind: by rank alone, the order of the index evaluation_rank_idx (SQLite does not drop
    # the constant kind from the order and sorted every joined row, 37 ms at 2,000).
    order = ("application__kind", "rank") if kind is None else ("rank",)
    if kind is not None:
        query = query.filter(application__kind=kind)
    return (
        query.select_related("application__organization", "application__individual")
        .defer(*(f"application__{name}" for name in APPLICATION_FORM_FIELDS))
        .order_by(*order, "application_id")
    )


def evaluations(cycle: Cycle) -> list[Evaluation]:
    """The cycle's evaluations, organizations first, by rank."""
    return list(ranked(cycle))


def ranking_counts(cycle: Cycle) -> dict[str, int]:
    """The cycle's evaluations per kind (`Kind` values as keys) and how many are tied
    (`ties`), in one query."""
    return Evaluation.objects.filter(application__cycle=cycle).aggregate(
        ties=Count("pk", filter=Q(tied=True)),
        **{kind: Count("pk", filter=Q(application__kind=kind)) for kind in Kind.values},
    )


# --- one application's record (A17.1, A27.1, A28.1) ----------------------------------------------


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


def application_record(public_id: Any) -> dict[str, Any]:
    """One application's whole review, or 404: each stage's cards by expert, the consensus per
    item with its comment, the site-visit record and the supervisor's report, the two-way
    feedback and the evaluation. A draft is the applicant's alone; once submitted the Office and
    supervisors read it."""
    application = (
        Application.objects.filter(cycle__in=tenant_cycles())  # another program's: 404
        .exclude(state=State.DRAFT)
        .select_related("cycle__policy", "organization", "individual")
        .filter(public_id=public_id)
        .first()
    )
    if application is None:
        raise Http404
    rubric = Rubric.objects.filter(cycle=application.cycle, applies_to=application.kind).first()
    items = list(rubric.items.all()) if rubric else []
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
    return {
        "application": application,
        "rubric": rubric,
        "stages": stages,
        "threshold": threshold,
        "of_group": feedback.get(Feedback.Direction.OF_GROUP),
        "of_applicant": feedback.get(Feedback.Direction.OF_APPLICANT),
        "site_expected": application.kind == Kind.ORGANIZATION,
        "evaluation": Evaluation.objects.filter(application=application).first(),
    }
