"""The review's official results as the audit chain carries them (`audit.integrity`): each
submitted scorecard (percent per item and its points), each confirmed consensus (percent per
item and the stage score) and each application's 综合评价. Imported by `ReviewConfig.ready`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any

from django.db.models import F
from django.db.models.functions import Coalesce

from audit import integrity
from audit.integrity import Event, Row
from lib import scoring
from programs.models import Stage

from .models import Consensus, ConsensusItem, Evaluation, ItemScore, Scorecard

SCORECARD = "评审专家评分表"
CONSENSUS = "专家组共识"
EVALUATION = "综合评价"


def _points(rows: Iterable[tuple[int, str, int | None, int]]) -> dict[int, dict[str, Any]]:
    """Per parent id: the percent per item code and the points, from (parent, code, percent,
    item points) rows in item order."""
    items: dict[int, dict[str, int | None]] = defaultdict(dict)
    scored: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for parent, code, percent, points in rows:
        items[parent][code] = percent
        if percent is not None:
            scored[parent].append((points, percent))
    return {
        parent: {"items": codes, "score": scoring.stage_score(scored[parent])}
        for parent, codes in items.items()
    }


def _applicant(application: str) -> Coalesce:
    return Coalesce(F(f"{application}__organization__name"), F(f"{application}__individual__name"))


def scorecards() -> Iterator[Row]:
    values = _points(
        ItemScore.objects.filter(scorecard__state=Scorecard.State.SUBMITTED)
        .order_by("scorecard_id", "item__position")
        .values_list("scorecard_id", "item__code", "percent", "item__points")
    )
    cards = Scorecard.objects.filter(state=Scorecard.State.SUBMITTED).annotate(
        applicant=_applicant("assignment__group__application")
    )
    for pk, expert, applicant, stage in cards.values_list(
        "pk", "assignment__expert__name", "applicant", "assignment__group__stage"
    ):
        shown = values.get(pk, {"items": {}, "score": Decimal("0.00")})
        yield Row(str(pk), f"#{pk}（{expert}，{applicant}{Stage(stage).label}）", shown)


def consensus() -> Iterator[Row]:
    values = _points(
        ConsensusItem.objects.filter(consensus__final=True)
        .order_by("consensus_id", "item__position")
        .values_list("consensus_id", "item__code", "percent", "item__points")
    )
    confirmed = Consensus.objects.filter(final=True).annotate(
        applicant=_applicant("group__application")
    )
    for pk, applicant, stage, score in confirmed.values_list(
        "pk", "applicant", "group__stage", "score"
    ):
        # The stored score as it is (not the items' sum): a score edited alone shows too.
        shown = values.get(pk, {"items": {}})
        yield Row(str(pk), f"#{pk}（{applicant}{Stage(stage).label}）", {**shown, "score": score})


def evaluations() -> Iterator[Row]:
    for e in Evaluation.objects.annotate(applicant=_applicant("application")).values_list(
        "application_id",
        "applicant",
        "material_score",
        "site_score",
        "final_score",
        "rank",
        "tied",
    ):
        app, name, material, site, final, rank, tied = e
        yield Row(
            str(app),
            f"申报 #{app}（{name}）",
            {
                "material_score": material,
                "site_score": site,
                "final_score": final,
                "rank": rank,
                "tied": tied,
            },
        )


def _results(event: Event) -> list[tuple[str, Mapping[str, Any] | None]]:
    results = event.after.get("results", {}) if isinstance(event.after, dict) else {}
    return list(results.items())


integrity.register(
    SCORECARD,
    scorecards,
    {"review.scorecard.submit": integrity.own, "review.scorecard.reopen": integrity.gone},
)
integrity.register(CONSENSUS, consensus, {"review.consensus.confirm": integrity.own})
integrity.register(EVALUATION, evaluations, {"review.evaluate": _results})
