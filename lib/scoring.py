"""The arithmetic of scoring (A10.1-A10.3, A17.1, A18.1), model-free and exact.

Everything is Decimal; nothing is rounded until the final score, which is rounded once, half up,
to two decimal places (`FINAL_PLACES`): item points = item points x percent / 100 (exact: points
are integers and percentages multiples of 5); a stage score is the sum of its item points
(exact); the final score is the weighted sum of the stage scores, weights in whole percent from
the policy, then rounded. Ranking is competition ranking ("1, 2, 2, 4"): equal final scores share
a rank and are flagged as ties for the committee, never broken silently.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from statistics import fmean
from typing import Generic, TypeVar

FINAL_PLACES = Decimal("0.01")
PERCENT_STEP = 5

K = TypeVar("K", bound=Hashable)


def check_percent(value: object) -> int:
    """A scorer's percentage: an integer 0-100 in steps of 5, else ValueError (Chinese)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("得分比例应为0至100之间、5的整数倍的整数。")
    if not 0 <= value <= 100 or value % PERCENT_STEP:
        raise ValueError(f"得分比例{value}%无效：应为0至100之间、5的整数倍。")
    return value


def item_points(points: int, percent: int) -> Decimal:
    """An item's points at a percentage, exact."""
    return Decimal(points) * Decimal(percent) / Decimal(100)


def stage_score(items: Iterable[tuple[int, int]]) -> Decimal:
    """The sum of item points over (item points, percent) pairs, exact, written with two
    decimal places (percentages are multiples of 5 of integer points: never more places)."""
    return sum((item_points(p, pct) for p, pct in items), Decimal(0)).quantize(FINAL_PLACES)


def final_score(stages: Sequence[tuple[Decimal, int]]) -> Decimal:
    """The weighted score over (stage score, weight in percent) pairs, rounded once, half up.
    Weights must sum to 100 (the policy checks that they do)."""
    if sum(w for _, w in stages) != 100:
        raise ValueError("各阶段权重之和应为100%。")
    total = sum((score * Decimal(w) for score, w in stages), Decimal(0)) / Decimal(100)
    return total.quantize(FINAL_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Ranked(Generic[K]):
    key: K
    score: Decimal
    rank: int
    tied: bool


def rank(scores: Mapping[K, Decimal]) -> list[Ranked[K]]:
    """Competition ranking, best first. Equal scores share the rank and are flagged `tied`; the
    order among tied entries is only for display (by key) and means nothing."""
    ordered = sorted(scores.items(), key=lambda kv: (-kv[1], str(kv[0])))
    counts: dict[Decimal, int] = {}
    for _, score in ordered:
        counts[score] = counts.get(score, 0) + 1
    result: list[Ranked[K]] = []
    for position, (key, score) in enumerate(ordered, start=1):
        shared = result[-1].rank if result and result[-1].score == score else position
        result.append(Ranked(key, score, shared, counts[score] > 1))
    return result


def spread(percents: Sequence[int]) -> int:
    """The difference between the highest and lowest percentage given (0 for one scorer)."""
    return max(percents) - min(percents) if percents else 0


def mean(values: Sequence[int | Decimal]) -> Decimal | None:
    """The arithmetic mean as a Decimal rounded half up to 2 places, or None when empty."""
    if not values:
        return None
    return (sum((Decimal(v) for v in values), Decimal(0)) / len(values)).quantize(
        FINAL_PLACES, rounding=ROUND_HALF_UP
    )


def deviation(given: Sequence[int], reference: Sequence[int]) -> float | None:
    """The mean signed difference (given - reference), in percentage points: positive for a
    lenient scorer, negative for a severe one. None when nothing is paired."""
    pairs = list(zip(given, reference, strict=True))
    return fmean(g - r for g, r in pairs) if pairs else None
