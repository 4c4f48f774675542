"""The decision stage asks `intake.standing` who is a re-winner and what bonus is due
(A5.2, A21.1, A24.1): marked in one query on the ranking and the ledger, the same answer as the
Python functions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from decision import selectors, services
from intake import standing
from intake.models import AwardRecord
from tests.decision.conftest import Decided


def _earlier(decided: Decided, n: int, level: str, year: int = 2022, **more: Any) -> None:
    AwardRecord.objects.create(
        organization=decided.organizations[n].organization,
        year=year,
        level=level,
        announced_on=dt.date(year, 12, 20),
        document_number=f"皋政发〔{year}〕{n}号",
        created_by=decided.office,
        **more,
    )


@pytest.mark.req("A24.1", "A21.1", "A5.2")
def test_the_decision_stage_marks_and_pays_as_standing_says(decided: Decided) -> None:
    o = decided.organizations
    _earlier(decided, 0, "award")  # a re-winner
    _earlier(decided, 1, "nomination")  # may win its first 市长质量奖, with its bonus
    _earlier(decided, 2, "nomination")  # a repeated 提名奖: in the quota, no bonus
    _earlier(decided, 3, "award", revoked_on=dt.date(2024, 5, 1))  # revoked: not held
    policy = decided.cycle.policy
    assert [services.is_rewinner(a) for a in o[:4]] == [True, False, False, False]
    evaluations: list[Any] = selectors.ranked(decided.cycle)  # annotated with `rewinner`
    ranked = {e.application_id: e.rewinner for e in evaluations}
    assert [ranked[a.pk] for a in o[:4]] == [True, False, False, False]
    assert ranked[decided.individuals[0].pk] is False
    assert services.bonus_due(policy, o[0], "award") == 0
    assert services.bonus_due(policy, o[1], "award") == 200_000
    assert services.bonus_due(policy, o[2], "nomination") == 0
    assert services.bonus_due(policy, o[3], "award") == 200_000
    # Three organization awards and two nominations fit: the re-winner takes no place.
    entries = [(o[0], "award"), (o[1], "award"), (o[3], "award")]
    entries += [(o[2], "nomination"), (o[4], "nomination")]
    proposal = services.save_proposal(actor=decided.office, cycle=decided.cycle, entries=entries)
    marked = {e.application_id: e.rewinner for e in proposal.entries.all()}
    assert marked == {o[0].pk: True, o[1].pk: False, o[2].pk: False, o[3].pk: False, o[4].pk: False}


@pytest.mark.req("A24.1", "A21.1")
def test_the_ledger_tells_a_rewinner_from_a_repeated_nomination(decided: Decided) -> None:
    _earlier(decided, 0, "award", year=2020)
    _earlier(decided, 0, "award", year=2023)
    _earlier(decided, 1, "nomination", year=2020)
    _earlier(decided, 1, "nomination", year=2023)
    _earlier(decided, 2, "nomination", year=2020)
    _earlier(decided, 2, "award", year=2023)
    awards: list[Any] = list(selectors.ledger())  # annotated with `rewinner` and `repeated`
    rows = {
        (a.organization_id, a.year): standing.standing_note(
            a.level, rewinner=a.rewinner, first=not a.repeated
        )
        for a in awards
    }
    o = [a.organization_id for a in decided.organizations]
    assert rows == {
        (o[0], 2020): "首次获奖",
        (o[0], 2023): "再次获奖",
        (o[1], 2020): "首次获奖",
        (o[1], 2023): "再次获得市长质量奖提名奖",
        (o[2], 2020): "首次获奖",
        (o[2], 2023): "首次获奖",  # its first 市长质量奖
    }
