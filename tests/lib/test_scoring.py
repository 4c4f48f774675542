"""The arithmetic of scoring (A10.1-A10.3): exact, rounded once, ranked without breaking ties."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib import scoring

percents = st.sampled_from(range(0, 101, 5))
points = st.integers(min_value=1, max_value=400)
scores = st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False, allow_infinity=False)


@pytest.mark.req("A10.1")
def test_percent_must_be_a_multiple_of_5_within_0_to_100() -> None:
    assert scoring.check_percent(65) == 65
    for bad in (-5, 62, 105, 60.0, "60", True, None):
        with pytest.raises(ValueError, match="5的整数倍"):
            scoring.check_percent(bad)


@pytest.mark.req("A10.1")
@given(st.lists(st.tuples(points, percents), min_size=1, max_size=30))
def test_a_stage_score_is_exact_and_bounded_by_the_points(items: list[tuple[int, int]]) -> None:
    total = scoring.stage_score(items)
    assert total == sum(Decimal(p * pct) / 100 for p, pct in items)
    assert 0 <= total <= sum(p for p, _ in items)
    assert total == total.quantize(Decimal("0.01"))  # multiples of 5% of integers: 2 places


@pytest.mark.req("A10.2")
def test_final_score_weights_material_and_site_and_rounds_half_up_once() -> None:
    assert scoring.final_score([(Decimal("600"), 30), (Decimal("650"), 70)]) == Decimal("635.00")
    # 0.3 x 612.25 + 0.7 x 700.05 = 183.675 + 490.035 = 673.71: no double rounding.
    assert scoring.final_score([(Decimal("612.25"), 30), (Decimal("700.05"), 70)]) == Decimal(
        "673.71"
    )
    # Exactly half a cent rounds up: 0.3 x 0.05 = 0.015 -> 0.02.
    assert scoring.final_score([(Decimal("0.05"), 30), (Decimal("0"), 70)]) == Decimal("0.02")
    with pytest.raises(ValueError, match="100%"):
        scoring.final_score([(Decimal("600"), 30), (Decimal("650"), 60)])


@pytest.mark.req("A10.3")
@given(scores)
def test_an_individual_final_score_is_the_material_score(material: Decimal) -> None:
    assert scoring.final_score([(material, 100)]) == material.quantize(Decimal("0.01"))


@pytest.mark.req("A10.2")
@given(scores, scores, st.integers(min_value=0, max_value=100))
def test_the_final_score_lies_between_the_stage_scores(
    material: Decimal, site: Decimal, weight: int
) -> None:
    final = scoring.final_score([(material, weight), (site, 100 - weight)])
    low, high = sorted([material, site])
    assert low.quantize(Decimal("0.01")) <= final <= high.quantize(Decimal("0.01"))


@pytest.mark.req("A18.1")
def test_ranking_shares_places_for_ties_and_flags_them() -> None:
    ranked = scoring.rank(
        {"甲": Decimal("700"), "乙": Decimal("650"), "丙": Decimal("700"), "丁": Decimal("600")}
    )
    assert [(r.key, r.rank, r.tied) for r in ranked] == [
        ("丙", 1, True),
        ("甲", 1, True),
        ("乙", 3, False),
        ("丁", 4, False),
    ]


@pytest.mark.req("A18.1")
@given(st.dictionaries(st.text(min_size=1, max_size=4), scores, max_size=12), st.randoms())
def test_ranking_does_not_depend_on_input_order(
    table: dict[str, Decimal], rnd: random.Random
) -> None:
    items = list(table.items())
    rnd.shuffle(items)
    shuffled = dict(items)
    assert scoring.rank(table) == scoring.rank(shuffled)
    ranked = scoring.rank(table)
    for r in ranked:
        better = sum(1 for v in table.values() if v > r.score)
        assert r.rank == better + 1
        assert r.tied == (sum(1 for v in table.values() if v == r.score) > 1)


def test_spread_mean_and_deviation() -> None:
    assert scoring.spread([60, 95, 70]) == 35
    assert scoring.spread([]) == 0
    assert scoring.mean([60, 65, 70]) == Decimal("65.00")
    assert scoring.mean([]) is None
    assert scoring.deviation([70, 80], [60, 60]) == 15.0
    assert scoring.deviation([], []) is None
