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
NOTICE_DAY = dt.datetime(2026, 11, 25, 9, tzinfo=CST)
ANNOUNCE_DAY = dt.datetime(2026, 12, 10, 9, tzinfo=CST)
NOTICE_START = dt.date(2026, 11, 25)  # a Wednesday: 5 working days end on Tuesday 12-01


def _uscc(first17: str) -> str:
    from lib.uscc import check_character

    return first17 + check_character(first17)


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
            uscc=_uscc(f"91320682MA1DEC{n:03d}"),
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


# --- the list driven through the services (each test file's starting points) -------------------


def default_list(d: Decided) -> list[tuple[Application, str]]:
    """Two organization awards, one nomination and the individual award: at the quotas."""
    o, i = d.organizations, d.individuals
    return [(o[0], "award"), (o[1], "award"), (o[2], "nomination"), (i[0], "award")]


def approved(d: Decided) -> Any:
    """The default list, reviewed by the committee (11-06) and approved by the government."""
    from decision import services

    proposal = services.save_proposal(actor=d.office, cycle=d.cycle, entries=default_list(d))
    services.record_approval(
        actor=d.office,
        proposal=proposal,
        body="committee",
        decided_on=dt.date(2026, 11, 6),
        reference="质量发展委员会2026年第3次全体会议",
        attendees="主任、副主任及委员11人",
        resolution="同意拟奖建议名单，报市政府批准。",
    )
    services.record_approval(
        actor=d.office,
        proposal=proposal,
        body="government",
        decided_on=dt.date(2026, 11, 9),
        reference="皋政复〔2026〕88号",
    )
    proposal.refresh_from_db()
    return proposal


def in_notice(d: Decided, time_machine: Any) -> Any:
    """`approved`, then published on 11-25 (the clock left on that day)."""
    from decision import services

    proposal = approved(d)
    time_machine.move_to(NOTICE_DAY, tick=False)
    return services.publish_notice(actor=d.office, proposal=proposal, starts_on=NOTICE_START)


def announced(d: Decided, time_machine: Any) -> list[Any]:
    """`in_notice`, closed and announced on 12-10 (the clock left on that day)."""
    from decision import services

    proposal = in_notice(d, time_machine)
    time_machine.move_to(ANNOUNCE_DAY, tick=False)
    services.close_notice(actor=d.office, proposal=proposal)
    return services.announce(
        actor=d.office,
        proposal=proposal,
        announced_on=ANNOUNCE_DAY.date(),
        document_number="皋政发〔2026〕120号",
    )
