"""A 2026 cycle whose review is done: organizations and individuals evaluated and ranked (the
Evaluation rows written directly: the review's own tests prove how they are computed)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from accounts.models import Individual, Organization, RecommendingUnit, Role, User
from intake.models import Application, State
from programs.models import Cycle
from review.models import Evaluation
from tests.intake.conftest import CST, in_window, open_cycle

__all__ = ["in_window", "open_cycle"]

COMMITTEE_DAY = dt.datetime(2026, 11, 10, 10, tzinfo=CST)
NOTICE_START = dt.date(2026, 11, 25)  # a Wednesday: 5 working days end on Tuesday 12-01


@dataclass
class Decided:
    cycle: Cycle
    office: User
    organizations: list[Application]  # best first
    individuals: list[Application]


def _evaluated(cycle: Cycle, application: Application, score: str, rank: int, office: User) -> None:
    Evaluation.objects.create(
        application=application,
        material_score=Decimal(score),
        site_score=Decimal(score) if application.kind == "organization" else None,
        material_weight=30 if application.kind == "organization" else 100,
        site_weight=70 if application.kind == "organization" else 0,
        final_score=Decimal(score),
        rank=rank,
        evaluated_by=office,
        evaluated_at=dt.datetime(2026, 9, 15, tzinfo=CST),
    )


@pytest.fixture
def decided(
    open_cycle: Cycle, personas: dict[str, User], make_user: Any, time_machine: Any
) -> Decided:
    office = personas["office"]
    unit = RecommendingUnit.objects.get(name="如城街道")
    organizations = []
    for n, score in enumerate(["720.50", "690.00", "655.25", "640.00", "600.00"]):
        org = Organization.objects.create(
            uscc=f"91320682MA1DEC{n:03d}X",
            name=f"如皋决策测试{n}号有限公司",
            recommending_unit=unit,
        )
        application = Application.objects.create(
            cycle=open_cycle,
            kind="organization",
            organization=org,
            recommending_unit=unit,
            state=State.EVALUATED,
            created_by=office,
        )
        _evaluated(open_cycle, application, score, n + 1, office)
        organizations.append(application)
    individuals = []
    for n, score in enumerate(["700.00", "650.00"]):
        user = make_user(Role.INDIVIDUAL, username=f"decided_person{n}")
        person = Individual.objects.create(
            user=user,
            name=["周明", "吴芳"][n],
            id_number=["320682198001010015", "320682197802020024"][n],
            recommending_unit=unit,
            position="cqo",
            quality_work_years=10,
            employer_name="如皋某公司",
        )
        application = Application.objects.create(
            cycle=open_cycle,
            kind="individual",
            individual=person,
            recommending_unit=unit,
            state=State.EVALUATED,
            created_by=office,
        )
        _evaluated(open_cycle, application, score, n + 1, office)
        individuals.append(application)
    time_machine.move_to(COMMITTEE_DAY, tick=False)
    return Decided(open_cycle, office, organizations, individuals)
