"""Rater analytics of a cycle (issue 5 item 7): how far each expert's submitted scores lie from
the consensus their group confirmed, and how much each application's cards disagree, so the
Office and the committee can spot a lenient or severe rater, or a group that needed discussion.

Plain functions over the database, three queries each at most, whatever the number of cards.
Only submitted cards of experts still in their group count; a draft is not an opinion yet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import fmean
from typing import Any

from experts.models import ReviewGroup
from lib import scoring
from programs.models import Cycle, Stage

from .models import ConsensusItem, ItemScore, Scorecard

# An item counts as agreeing with the group when the expert's percentage is at most this many
# percentage points from the confirmed consensus (two steps of 5).
AGREEMENT_POINTS = 10


@dataclass(frozen=True)
class RaterFigure:
    """One expert over every confirmed group of the cycle they scored in."""

    expert_id: int
    name: str
    cards: int  # submitted cards compared with a confirmed consensus
    items: int  # item scores compared
    deviation: float  # mean (given - consensus), percentage points: + lenient, - severe
    agreement: float  # % of the items within AGREEMENT_POINTS of the consensus


@dataclass(frozen=True)
class Dispersion:
    """One application at one stage: the mean over items of the spread of its cards."""

    application_id: int
    name: str
    kind: str
    stage: str
    cards: int
    spread: float  # percentage points, mean over the items scored


def _submitted_scores(cycle: Cycle) -> list[Mapping[str, Any]]:
    return list(
        ItemScore.objects.filter(
            scorecard__state=Scorecard.State.SUBMITTED,
            scorecard__assignment__removed_at__isnull=True,
            scorecard__assignment__group__application__cycle=cycle,
            percent__isnull=False,
        )
        .order_by("scorecard_id", "item_id")
        .values(
            "scorecard_id",
            "item_id",
            "percent",
            "scorecard__assignment__group_id",
            "scorecard__assignment__expert_id",
            "scorecard__assignment__expert__name",
        )
    )


def rater_figures(cycle: Cycle) -> list[RaterFigure]:
    """Per expert: mean signed deviation from the confirmed consensus (lib/scoring.deviation)
    pooled over every item of every submitted card, and the share of those items within
    AGREEMENT_POINTS. Groups without a confirmed consensus are left out. Sorted by name."""
    agreed = {
        (row["consensus__group_id"], row["item_id"]): row["percent"]
        for row in ConsensusItem.objects.filter(
            consensus__final=True, consensus__group__application__cycle=cycle
        ).values("consensus__group_id", "item_id", "percent")
    }
    given: dict[int, list[int]] = defaultdict(list)
    reference: dict[int, list[int]] = defaultdict(list)
    cards: dict[int, set[int]] = defaultdict(set)
    names: dict[int, str] = {}
    for row in _submitted_scores(cycle):
        key = (row["scorecard__assignment__group_id"], row["item_id"])
        if key not in agreed:
            continue
        expert: int = row["scorecard__assignment__expert_id"]
        names[expert] = row["scorecard__assignment__expert__name"]
        given[expert].append(row["percent"])
        reference[expert].append(agreed[key])
        cards[expert].add(row["scorecard_id"])
    figures = []
    for expert, values in given.items():
        paired = list(zip(values, reference[expert], strict=True))
        deviation = scoring.deviation(values, reference[expert])
        assert deviation is not None  # every expert here has at least one paired item
        close = sum(1 for g, r in paired if abs(g - r) <= AGREEMENT_POINTS)
        figures.append(
            RaterFigure(
                expert_id=expert,
                name=names[expert],
                cards=len(cards[expert]),
                items=len(paired),
                deviation=round(deviation, 2),
                agreement=round(100 * close / len(paired), 1),
            )
        )
    return sorted(figures, key=lambda f: (f.name, f.expert_id))


def dispersion(cycle: Cycle) -> list[Dispersion]:
    """Per application and stage with at least two submitted cards: the mean over its items of
    the spread (highest minus lowest percentage, lib/scoring.spread). In the order of the
    applications, material review before site review."""
    by_group: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    cards: dict[int, set[int]] = defaultdict(set)
    for row in _submitted_scores(cycle):
        group_id: int = row["scorecard__assignment__group_id"]
        by_group[group_id][row["item_id"]].append(row["percent"])
        cards[group_id].add(row["scorecard_id"])
    groups = (
        ReviewGroup.objects.filter(pk__in=[g for g in by_group if len(cards[g]) >= 2])
        .select_related("application__organization", "application__individual")
        .order_by("application_id", "stage")
    )
    result = []
    for group in groups:
        items = by_group[group.pk]
        result.append(
            Dispersion(
                application_id=group.application_id,
                name=group.application.applicant_name,
                kind=group.application.kind,
                stage=group.stage,
                cards=len(cards[group.pk]),
                spread=round(fmean(scoring.spread(p) for p in items.values()), 2),
            )
        )
    # "material_review" sorts before "site_review" already; keep it explicit for readers.
    order = {Stage.MATERIAL_REVIEW.value: 0, Stage.SITE_REVIEW.value: 1}
    return sorted(result, key=lambda d: (d.application_id, order.get(d.stage, 2)))
