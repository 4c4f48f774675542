"""What the people of the review may see (A17.1, A27.1, A28.1): an expert only their own
assignments (assigned, code signed, confirmed free of conflict: `experts.selectors`), other
members' scores only after submitting their own card and when the phase allows it; the leader
the group's matrix; the supervisor the site visit of their group. Anything else is a 404."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.urls import reverse

from accounts.models import Role
from accounts.selectors import scopes_of
from experts.models import Assignment, Expert, ReviewGroup
from experts.selectors import openable_applications
from intake.models import Application, Kind
from lib import scoring
from programs.models import Cycle, Stage

from .boundaries import phase_in
from .models import (
    APPLICATION_FORM_FIELDS,
    REVIEW_STAGES,
    Consensus,
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
from .workflow import CARD, Option, blank_phase

STAGES = {s.value: s for s in REVIEW_STAGES}
# Set on an assignment `assignment_for` returns: the user it was found openable for.
OPENABLE_BY = "_openable_by"


def _expert(user: Any) -> Expert | None:
    return getattr(user, "expert", None) if getattr(user, "is_authenticated", False) else None


def assignment_for(user: Any, public_id: Any, stage: str) -> Assignment:
    """The expert's active assignment on the application at the stage, or 404: not assigned,
    code not signed, conflicted or not yet confirmed free of conflict (A26.1)."""
    expert = _expert(user)
    if expert is None or stage not in STAGES:
        raise Http404
    # With the cycle's dates and phases: the scorecard's windows read them (review.workflow).
    application = (
        openable_applications(user)
        # The policy too: the leader's matrix reads its threshold.
        .select_related("cycle__policy", "organization", "individual")
        .defer(*APPLICATION_FORM_FIELDS)
        .prefetch_related("cycle__stages", "cycle__review_phases")
        .filter(public_id=public_id)
        .first()
    )
    if application is None:
        raise Http404
    assignment = (
        Assignment.objects.filter(
            group__application=application,
            group__stage=stage,
            expert=expert,
            removed_at__isnull=True,
        )
        .select_related("group__leader", "group__supervisor", "expert")
        .first()
    )
    if assignment is None:
        raise Http404
    # The application as loaded above (cycle, organization, individual joined).
    assignment.group.application = application
    # Checked just now that this user may open it: the services need not ask again.
    setattr(assignment, OPENABLE_BY, user.pk)
    return assignment


def card_for_member(user: Any, card_id: Any) -> Scorecard:
    """A card of a group the user is an active member of (the leader may act on it, the
    others get a 403 from the service), or 404."""
    expert = _expert(user)
    if expert is None:
        raise Http404
    card = (
        Scorecard.objects.filter(public_id=card_id)
        .select_related("assignment__group__application", "assignment__expert")
        .first()
    )
    if card is None:
        raise Http404
    group = card.assignment.group
    if (
        not group.assignments.filter(expert=expert, removed_at__isnull=True).exists()
        or not openable_applications(user).filter(pk=group.application_id).exists()
    ):
        raise Http404
    return card


def is_leader(assignment: Assignment) -> bool:
    return assignment.group.leader_id == assignment.expert_id


def phase_of(application: Application, stage: str) -> ReviewPhase | None:
    """The stage's phase of the application's cycle (from its prefetched phases, if any)."""
    return phase_in(application.cycle, stage)


def phase_or_blank(cycle: Cycle, stage: str) -> ReviewPhase:
    """The stored phase of a stage (with `cycle` as given: its prefetched dates serve the
    windows), or the blank one of a stage never opened (`review.workflow.blank_phase`)."""
    found = ReviewPhase.objects.filter(cycle=cycle, stage=stage).first()
    if found is None:
        return blank_phase(cycle, stage)
    found.cycle = cycle
    return found


def rubric_of(application: Application) -> Rubric | None:
    """The cycle's rubric for the applicant's kind (created when the first phase opens)."""
    return Rubric.objects.filter(cycle=application.cycle_id, applies_to=application.kind).first()


def rubric_with_items(application: Application) -> Rubric | None:
    """`rubric_of` with its items loaded (the scorecard's save reads them once, issue 17)."""
    return (
        Rubric.objects.filter(cycle=application.cycle_id, applies_to=application.kind)
        .prefetch_related("items")
        .first()
    )


def rubric_items(rubric: Rubric) -> list[RubricItem]:
    return list(rubric.items.all())


def rubric_and_items(application: Application) -> tuple[Rubric | None, list[RubricItem]]:
    """`rubric_of` and its items in one query (the items with their rubric joined)."""
    items = list(
        RubricItem.objects.filter(
            rubric__cycle=application.cycle_id, rubric__applies_to=application.kind
        ).select_related("rubric")
    )
    return (items[0].rubric, items) if items else (rubric_of(application), [])


def own_card(assignment: Assignment) -> Scorecard | None:
    """The expert's card, with its scores and the assignment as given; None until the first
    save creates it."""
    card = (
        Scorecard.objects.filter(assignment=assignment)
        .prefetch_related(Prefetch("scores", queryset=ItemScore.objects.all()))
        .first()
    )
    if card is not None:
        card.assignment = assignment
    return card


def card_options(card: Scorecard, user: Any, names: Iterable[str]) -> dict[str, Option]:
    """What `user` may do with the card now, and why not (the scorecard's table), among the
    actions `names` a page offers."""
    wanted = set(names)
    return {k: o for k, o in CARD.allowed_actions(card, user).items() if k in wanted}


def others_visible(card: Scorecard | None, phase: ReviewPhase | None) -> bool:
    """A17.1: an expert sees the other members' scores only once their own card is submitted,
    and only when the phase allows it."""
    return (
        card is not None
        and card.state == Scorecard.State.SUBMITTED
        and phase is not None
        and phase.others_visible
    )


def other_scores(
    assignment: Assignment, card: Scorecard | None, phase: ReviewPhase | None
) -> dict[int, list[tuple[str, int | None]]]:
    """The other members' submitted percentages by item id, as (name, percent), or nothing at
    all while `others_visible` is false."""
    if not others_visible(card, phase):
        return {}
    scores = (
        ItemScore.objects.filter(
            scorecard__assignment__group=assignment.group_id,
            scorecard__assignment__removed_at__isnull=True,
            scorecard__state=Scorecard.State.SUBMITTED,
        )
        .exclude(scorecard__assignment=assignment)
        .select_related("scorecard__assignment__expert")
        .order_by("scorecard__assignment__assigned_at", "item__position")
    )
    found: dict[int, list[tuple[str, int | None]]] = defaultdict(list)
    for s in scores:
        found[s.item_id].append((s.scorecard.assignment.expert.name, s.percent))
    return dict(found)


# --- the leader's matrix ------------------------------------------------------------------------


def median_percent(percents: list[int]) -> int | None:
    """The members' median rounded half up to a multiple of 5: the consensus proposed first."""
    if not percents:
        return None
    median = Decimal(str(statistics.median(percents)))
    step = scoring.PERCENT_STEP
    return int((median / step).quantize(Decimal(1), rounding=ROUND_HALF_UP)) * step


@dataclass
class MatrixRow:
    item: RubricItem
    cells: list[tuple[str, int | None]]  # (member's name, percent), in `Matrix.members` order
    mean: Decimal | None
    spread: int
    flagged: bool
    percent: int | None  # the consensus shown: saved draft, else the median
    strengths: str
    opportunities: str


@dataclass
class Member:
    assignment: Assignment
    card: Scorecard | None
    score: Decimal | None  # the card's points, once submitted

    @property
    def submitted(self) -> bool:
        return self.card is not None and self.card.state == Scorecard.State.SUBMITTED


@dataclass
class Matrix:
    group: ReviewGroup
    members: list[Member]
    rows: list[MatrixRow]
    categories: list[dict[str, Any]]
    threshold: int
    total_points: int
    consensus: Consensus | None
    mean_score: Decimal | None
    consensus_score: Decimal | None
    pending: list[Member] = field(default_factory=list)

    @property
    def flagged(self) -> int:
        return sum(1 for r in self.rows if r.flagged)


def _joined(texts: list[str]) -> str:
    seen: list[str] = []
    for text in texts:
        text = text.strip()
        if text and text not in seen:
            seen.append(text)
    return "\n".join(seen)


def matrix(group: ReviewGroup, application: Application) -> Matrix:
    """Items x members for the leader (percent per cell), per item the mean, the spread and a
    flag when the spread exceeds the policy's threshold, the consensus proposed or saved, and
    the members' mean stage score. Four queries whatever the numbers of members and items (five
    once a consensus is saved; the cycle's policy comes with the application)."""
    threshold = application.cycle.policy.consensus_spread_points
    assignments = list(
        Assignment.objects.filter(group=group, removed_at__isnull=True)
        .select_related("expert", "scorecard")
        .order_by("assigned_at", "pk")
    )
    for a in assignments:
        a.group = group  # the group as given: the cards' windows read its application and cycle
    rubric, items = rubric_and_items(application)
    cards = {a.pk: getattr(a, "scorecard", None) for a in assignments}
    by_card: dict[int, dict[int, ItemScore]] = defaultdict(dict)
    card_ids = [c.pk for c in cards.values() if c is not None]
    for row in ItemScore.objects.filter(scorecard__in=card_ids) if card_ids else []:
        by_card[row.scorecard_id][row.item_id] = row
    consensus = (
        Consensus.objects.filter(group=group)
        .prefetch_related(Prefetch("items", queryset=ConsensusItem.objects.all()))
        .first()
    )
    agreed = {c.item_id: c for c in consensus.items.all()} if consensus else {}
    members = []
    for a in assignments:
        card = cards[a.pk]
        score = None
        if card is not None and card.state == Scorecard.State.SUBMITTED:
            score = scoring.stage_score(
                (i.points, mine.percent)
                for i in items
                if (mine := by_card[card.pk].get(i.pk)) is not None and mine.percent is not None
            )
        members.append(Member(a, card, score))
    rows = []
    for item in items:
        given = [
            by_card[m.card.pk].get(item.pk) if m.submitted and m.card is not None else None
            for m in members
        ]
        cells = [
            (m.assignment.expert.name, s.percent if s is not None else None)
            for m, s in zip(members, given, strict=True)
        ]
        percents = [p for _, p in cells if p is not None]
        spread = scoring.spread(percents)
        saved = agreed.get(item.pk)
        rows.append(
            MatrixRow(
                item=item,
                cells=cells,
                mean=scoring.mean(percents),
                spread=spread,
                flagged=spread > threshold,
                percent=saved.percent if saved else median_percent(percents),
                strengths=saved.strengths
                if saved
                else _joined([s.strengths for s in given if s is not None]),
                opportunities=saved.opportunities
                if saved
                else _joined([s.opportunities for s in given if s is not None]),
            )
        )
    scores = [m.score for m in members if m.score is not None]
    return Matrix(
        group=group,
        members=members,
        rows=rows,
        categories=rubric.categories if rubric else [],
        threshold=threshold,
        total_points=rubric.total_points if rubric else 0,
        consensus=consensus,
        mean_score=scoring.mean(scores),
        consensus_score=consensus.score if consensus and consensus.final else None,
        pending=[m for m in members if not m.submitted],
    )


# --- site visits and feedback -------------------------------------------------------------------


def site_group(application: Application) -> ReviewGroup | None:
    return (
        ReviewGroup.objects.filter(application=application, stage=Stage.SITE_REVIEW)
        .select_related("leader", "supervisor")
        .first()
    )


def visit_of(group: ReviewGroup | None) -> SiteVisit | None:
    if group is None:
        return None
    return (
        SiteVisit.objects.filter(group=group).select_related("recorded_by", "reported_by").first()
    )


def site_for(user: Any, public_id: Any) -> tuple[Application, ReviewGroup, str]:
    """The site group of an organization for its leader ("leader") or its supervisor
    ("supervisor"), or 404 for anybody else."""
    if not getattr(user, "is_authenticated", False):
        raise Http404
    application = (
        Application.objects.filter(public_id=public_id, kind=Kind.ORGANIZATION)
        .select_related("cycle", "organization")
        .first()
    )
    group = site_group(application) if application else None
    if application is None or group is None:
        raise Http404
    if group.supervisor_id is not None and group.supervisor_id == user.pk:
        return application, group, "supervisor"
    expert = _expert(user)
    if (
        expert is not None
        and group.leader_id == expert.pk
        and group.assignments.filter(expert=expert, removed_at__isnull=True).exists()
        and openable_applications(user).filter(pk=application.pk).exists()
    ):
        return application, group, "leader"
    raise Http404


def feedback_for(user: Any, public_id: Any) -> tuple[Application, ReviewGroup | None, str]:
    """Who gives which feedback on an organization (A28.1): its contact rates the group
    (`of_group`), the site group's leader rates the organization (`of_applicant`); 404 else."""
    if not getattr(user, "is_authenticated", False):
        raise Http404
    application = (
        Application.objects.filter(public_id=public_id, kind=Kind.ORGANIZATION)
        .select_related("cycle", "organization")
        .first()
    )
    if application is None:
        raise Http404
    group = site_group(application)
    if user.has_perm("intake.edit_application", application):
        return application, group, Feedback.Direction.OF_GROUP
    expert = _expert(user)
    if (
        group is not None
        and expert is not None
        and group.leader_id == expert.pk
        and openable_applications(user).filter(pk=application.pk).exists()
    ):
        return application, group, Feedback.Direction.OF_APPLICANT
    raise Http404


def own_feedback(application: Application, direction: str) -> Feedback | None:
    return Feedback.objects.filter(application=application, direction=direction).first()


# --- the workbench --------------------------------------------------------------------------------


def _open_phase_q(prefix: str = "") -> Q:
    """Groups whose stage's phase is open in their application's cycle."""
    open_phases = ReviewPhase.objects.filter(state=ReviewPhase.State.OPEN).values_list(
        "cycle_id", "stage"
    )
    q = Q(pk__in=[])
    for cycle_id, stage in open_phases:
        q |= Q(**{f"{prefix}application__cycle_id": cycle_id, f"{prefix}stage": stage})
    return q


def _unsubmitted_cards(user: Any) -> QuerySet[Assignment]:
    expert = _expert(user)
    if expert is None:
        return Assignment.objects.none()
    return (
        Assignment.objects.filter(
            expert=expert,
            removed_at__isnull=True,
            group__application__in=openable_applications(user),
        )
        .filter(_open_phase_q("group__"))
        .exclude(scorecard__state=Scorecard.State.SUBMITTED)
    )


def _groups_awaiting_consensus(user: Any) -> QuerySet[ReviewGroup]:
    expert = _expert(user)
    if expert is None:
        return ReviewGroup.objects.none()
    unsubmitted = Assignment.objects.filter(removed_at__isnull=True).exclude(
        scorecard__state=Scorecard.State.SUBMITTED
    )
    return (
        ReviewGroup.objects.filter(
            leader=expert, application__in=openable_applications(user), assignments__isnull=False
        )
        .exclude(pk__in=unsubmitted.values("group_id"))
        .exclude(consensus__final=True)
        .distinct()
    )


def todos(user: Any) -> list[tuple[str, int, str]]:
    """What waits in the review (for the workbench): an expert's cards to submit, a leader's
    consensus to confirm, a supervisor's report, an organization's feedback on its group."""
    if not getattr(user, "is_authenticated", False):
        return []
    items: list[tuple[str, int, str]] = []
    scopes = scopes_of(user)
    if _expert(user) is not None:
        items.append(("待提交的评分表", _unsubmitted_cards(user).count(), "/experts/mine/"))
        if ReviewGroup.objects.filter(leader=_expert(user)).exists():
            waiting = _groups_awaiting_consensus(user).count()
            items.append(("待确认的专家组共识", waiting, "/experts/mine/"))
    if Role.SUPERVISOR in scopes:
        reports = SiteVisit.objects.filter(
            group__supervisor=user, recorded_at__isnull=False, reported_at__isnull=True
        ).select_related("group__application")
        first = reports.order_by("starts_on").first()
        link = reverse("review:site", args=[first.group.application.public_id]) if first else "/"
        items.append(("待提交的现场评审监督报告", reports.count(), link))
    if Role.APPLICANT in scopes:
        organizations = [o for o in scopes[Role.APPLICANT] if o is not None]
        due = SiteVisit.objects.filter(
            group__application__organization__in=organizations, recorded_at__isnull=False
        ).exclude(
            group__application__feedback__direction=Feedback.Direction.OF_GROUP,
        )
        first_due = due.select_related("group__application").order_by("starts_on").first()
        if first_due is not None:
            link = reverse("review:feedback", args=[first_due.group.application.public_id])
            items.append(("待评价的现场评审专家组", due.count(), link))
    return items


def has_evaluation(application: Application) -> bool:
    """Whether the 综合评价 has scored the application (its feedback report exists)."""
    return Evaluation.objects.filter(application=application).exists()
