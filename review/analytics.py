"""Rater analytics of a cycle (issue 5 item 7): how far each expert's submitted scores lie from
the consensus their group confirmed, and how much each application's cards disagree, so the
Office and the committee can spot a lenient or severe rater, or a group that needed discussion.

Plain functions over the database, a few queries whatever the number of cards; the pages read
them as stored (`CycleAnalytics`, computed by the task `review.tasks.refresh_analytics`, issue
17). Only submitted cards of experts still in their group count; a draft is not an opinion yet.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from statistics import fmean
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone

from experts.models import Expert, ReviewGroup
from lib import scoring
from programs.models import Cycle, Stage

from .models import (
    APPLICATION_FORM_FIELDS,
    Consensus,
    ConsensusItem,
    CycleAnalytics,
    ItemScore,
    Scorecard,
)

# An item counts as agreeing with the group when the expert's percentage is at most this many
# percentage points from the confirmed consensus (two steps of 5).
AGREEMENT_POINTS = 10
# A recomputation queued this long ago and still not done is taken as lost and queued again.
LOST_AFTER = dt.timedelta(minutes=10)
# The dispersion chart shows this many rows, the widest spreads (a chart of 4,000 bars reads
# as none); stored with the figures so that the page never sorts every row.
CHART_ROWS = 50


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


# One row per submitted item score: (scorecard, item, percent, group, expert). Plain tuples, no
# model instances: at 2,000 evaluated applications this is about 230,000 rows.
ScoreRow = tuple[int, int, int, int, int]


def _submitted_scores(cycle: Cycle) -> list[ScoreRow]:
    # percent__isnull=False: the stubs cannot know the percent is never None here.
    return list(
        ItemScore.objects.filter(  # type: ignore[arg-type]
            scorecard__state=Scorecard.State.SUBMITTED,
            scorecard__assignment__removed_at__isnull=True,
            scorecard__assignment__group__application__cycle=cycle,
            percent__isnull=False,
        )
        .order_by()
        .values_list(
            "scorecard_id",
            "item_id",
            "percent",
            "scorecard__assignment__group_id",
            "scorecard__assignment__expert_id",
        )
    )


def rater_figures(cycle: Cycle, scores: list[ScoreRow] | None = None) -> list[RaterFigure]:
    """Per expert: mean signed deviation from the confirmed consensus (lib/scoring.deviation)
    pooled over every item of every submitted card, and the share of those items within
    AGREEMENT_POINTS. Groups without a confirmed consensus are left out. Sorted by name.
    `scores` are `_submitted_scores(cycle)` when the caller has them already."""
    agreed = {
        (group_id, item_id): percent
        for group_id, item_id, percent in ConsensusItem.objects.filter(
            consensus__final=True, consensus__group__application__cycle=cycle
        )
        .order_by()
        .values_list("consensus__group_id", "item_id", "percent")
    }
    given: dict[int, list[int]] = defaultdict(list)
    reference: dict[int, list[int]] = defaultdict(list)
    cards: dict[int, set[int]] = defaultdict(set)
    for card_id, item_id, percent, group_id, expert in (
        _submitted_scores(cycle) if scores is None else scores
    ):
        agreed_percent = agreed.get((group_id, item_id))
        if agreed_percent is None:
            continue
        given[expert].append(percent)
        reference[expert].append(agreed_percent)
        cards[expert].add(card_id)
    names = dict(Expert.objects.filter(pk__in=given).values_list("pk", "name")) if given else {}
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


def dispersion(cycle: Cycle, scores: list[ScoreRow] | None = None) -> list[Dispersion]:
    """Per application and stage with at least two submitted cards: the mean over its items of
    the spread (highest minus lowest percentage, lib/scoring.spread). In the order of the
    applications, material review before site review."""
    by_group: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    cards: dict[int, set[int]] = defaultdict(set)
    for card_id, item_id, percent, group_id, _expert in (
        _submitted_scores(cycle) if scores is None else scores
    ):
        by_group[group_id][item_id].append(percent)
        cards[group_id].add(card_id)
    groups = (
        ReviewGroup.objects.filter(pk__in=[g for g in by_group if len(cards[g]) >= 2])
        .select_related("application__organization", "application__individual")
        # The application's form (and its draft copies) is never shown here: not loaded.
        .defer(*(f"application__{name}" for name in APPLICATION_FORM_FIELDS))
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


# --- stored (issue 17): computed once by review.tasks.refresh_analytics, read by the pages ------


def source(cycle: Cycle) -> dict[str, Any]:
    """What the figures are computed from: the submitted cards and the confirmed consensus of
    the cycle, each as a count and the latest time."""
    cards = Scorecard.objects.filter(
        state=Scorecard.State.SUBMITTED, assignment__group__application__cycle=cycle
    ).aggregate(n=Count("pk"), latest=Max("submitted_at"))
    agreed = Consensus.objects.filter(final=True, group__application__cycle=cycle).aggregate(
        n=Count("pk"), latest=Max("recorded_at")
    )
    return {
        "cards": cards["n"],
        "cards_latest": cards["latest"].isoformat() if cards["latest"] else None,
        "consensus": agreed["n"],
        "consensus_latest": agreed["latest"].isoformat() if agreed["latest"] else None,
    }


def refresh(cycle: Cycle, *, force: bool = False) -> CycleAnalytics:
    """Compute the cycle's figures and store them, unless they are fresh already (`force`
    recomputes anyway). They count as computed for the version read before the computation
    started: a change committed while it ran leaves the row stale and queues the next run."""
    row = CycleAnalytics.objects.filter(cycle=cycle).first()
    if row is not None and not row.stale and not force:
        return row
    version = row.version if row is not None else 1
    scores = _submitted_scores(cycle)
    rows = dispersion(cycle, scores)
    threshold = cycle.policy.consensus_spread_points
    fields = {
        "computed_version": version,
        "computed_at": timezone.now(),
        "raters": [asdict(f) for f in rater_figures(cycle, scores)],
        "dispersion": [asdict(d) for d in rows],
        "dispersion_count": len(rows),
        "spread_threshold": threshold,
        "flagged": [asdict(d) for d in above(rows, threshold)],
        "widest": [asdict(d) for d in widest(rows)],
        "source": source(cycle),
    }
    del scores
    row, _ = CycleAnalytics.objects.update_or_create(cycle=cycle, defaults=fields)
    return row


def above(rows: Iterable[Dispersion], threshold: int) -> list[Dispersion]:
    """The rows whose spread exceeds the discussion threshold (A17.1), in their order."""
    return [d for d in rows if d.spread > threshold]


def widest(rows: Iterable[Dispersion], n: int = CHART_ROWS) -> list[Dispersion]:
    """The `n` widest spreads (the first rows among equals), by application and stage."""
    order = {Stage.MATERIAL_REVIEW.value: 0, Stage.SITE_REVIEW.value: 1}
    chosen = sorted(rows, key=lambda d: -d.spread)[:n]
    return sorted(chosen, key=lambda d: (d.application_id, order.get(d.stage, 2)))


@dataclass(frozen=True)
class Stored:
    """The stored figures as the pages read them, and whether they are being recomputed:
    every rater; of the dispersion the count, the rows above the threshold asked for and the
    chart's widest rows, and every row only when asked for (`full`)."""

    computed_at: dt.datetime | None
    stale: bool
    raters: list[RaterFigure]
    dispersion_count: int
    flagged: list[Dispersion]  # above the threshold `stored` was asked about
    widest: list[Dispersion]
    dispersion: list[Dispersion] | None  # every row; None unless asked for


def _stored(row: CycleAnalytics | None, threshold: int, full: bool) -> Stored:
    if row is None:
        return Stored(None, True, [], 0, [], [], [] if full else None)
    every = [Dispersion(**d) for d in row.dispersion] if full else None
    if row.spread_threshold == threshold:
        flagged = [Dispersion(**d) for d in row.flagged]
    else:  # the policy's threshold changed since: cut the stored rows again
        rows = every or [Dispersion(**d) for d in _every_row(row)]
        flagged = above(rows, threshold)
    return Stored(
        computed_at=row.computed_at,
        stale=row.stale,
        raters=[RaterFigure(**f) for f in row.raters],
        dispersion_count=row.dispersion_count,
        flagged=flagged,
        widest=[Dispersion(**d) for d in row.widest],
        dispersion=every,
    )


def _every_row(row: CycleAnalytics) -> list[dict[str, Any]]:
    """The row's `dispersion`, read now if the row was loaded without it."""
    if "dispersion" in row.get_deferred_fields():
        found = CycleAnalytics.objects.filter(pk=row.pk).values_list("dispersion", flat=True)
        return found.first() or []
    return row.dispersion


def _read(cycle: Cycle, full: bool) -> CycleAnalytics | None:
    rows = CycleAnalytics.objects.filter(cycle=cycle)
    return (rows if full else rows.defer("dispersion")).first()


def stored(cycle: Cycle, threshold: int, *, full: bool = False) -> Stored:
    """The cycle's stored figures (one query when fresh; every dispersion row only with
    `full`), the rows above `threshold` picked out. Missing or stale figures are queued for
    recomputation once, not on every view: the first view after a change claims the queueing
    with a conditional UPDATE. Where tasks run eagerly (tests, `make run`) the figures are then
    fresh and read again."""
    row = _read(cycle, full)
    if row is not None and not row.stale:
        return _stored(row, threshold, full)
    if _claim_queue(cycle, row):
        from .tasks import refresh_analytics  # tasks import this module

        refresh_analytics.delay(cycle.pk)
        row = _read(cycle, full)
    return _stored(row, threshold, full)


def stored_raters(cycles: Iterable[Cycle]) -> dict[int, list[RaterFigure]]:
    """The stored rater figures of several cycles (the supervisors' expert page): one query when
    they are fresh; missing or stale ones are queued once, as `stored` does."""
    cycles = list(cycles)
    # Only the raters: the dispersion is not read here (thousands of rows a cycle).
    only = CycleAnalytics.objects.defer("dispersion", "flagged", "widest")
    rows = {row.cycle_id: row for row in only.filter(cycle__in=cycles)}
    queued = False
    for cycle in cycles:
        row = rows.get(cycle.pk)
        if (row is None or row.stale) and _claim_queue(cycle, row):
            from .tasks import refresh_analytics

            refresh_analytics.delay(cycle.pk)
            queued = True
    if queued:  # computed already where tasks run eagerly
        rows = {row.cycle_id: row for row in only.filter(cycle__in=cycles)}
    return {pk: [RaterFigure(**f) for f in row.raters] for pk, row in rows.items()}


def _claim_queue(cycle: Cycle, row: CycleAnalytics | None) -> bool:
    """True for the one caller that is to queue the recomputation of `cycle`."""
    at = timezone.now()
    if row is None:
        _, created = CycleAnalytics.objects.get_or_create(
            cycle=cycle, defaults={"queued_version": 1, "queued_at": at}
        )
        return created
    # Not queued since the last change, or queued long ago and never done (a lost task).
    return bool(
        CycleAnalytics.objects.filter(pk=row.pk)
        .filter(
            Q(queued_at__isnull=True)
            | Q(queued_version__lt=F("version"))
            | Q(queued_at__lt=at - LOST_AFTER)
        )
        .update(queued_version=F("version"), queued_at=at)
    )


def changed(cycle_id: int) -> None:
    """Called by the services that change the figures' inputs, inside their transaction: the
    stored figures are stale from now, and are recomputed once the change commits (the first
    view that finds them stale queues them too: harmless, a fresh cycle is not recomputed)."""
    if not CycleAnalytics.objects.filter(cycle_id=cycle_id).update(version=F("version") + 1):
        CycleAnalytics.objects.get_or_create(cycle_id=cycle_id)

    def queue() -> None:
        from .tasks import refresh_analytics

        refresh_analytics.delay(cycle_id)

    transaction.on_commit(queue)
