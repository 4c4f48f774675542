"""Fixtures for 申报推荐 and 资格审查: a published 2026 cycle, the clock inside its window, and
complete forms for both kinds of applicant."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from accounts.models import Individual, Organization, RecommendingUnit, User
from accounts.registration import register_individual
from intake import services
from intake.models import Application
from intake.schema import declarations_for
from lib.rubrics import rubric_for
from programs.models import Cycle
from programs.services import publish_call

CST = dt.timezone(dt.timedelta(hours=8))


def complete_form(kind: str = "organization", **overrides: Any) -> dict[str, Any]:
    """A form that passes `missing_for_submission` for the 2026 cycle (application date
    2026-03-02: figures for 2023-2025)."""
    form: dict[str, Any] = {
        "contact_name": "王磊",
        "contact_phone": "0513-87000001",
        "summary": "公司主营通用设备制造，推行卓越绩效管理多年。",
        "employees": 420,
        "figures": [
            {"year": y, "revenue": "52000.00", "profit": "4100.00", "tax": "2300.00"}
            for y in (2023, 2024, 2025)
        ],
        "gbt19580_since": "2019-05-01",
        "declarations": {key: {"holds": True, "note": "见附件"} for key in declarations_for(kind)},
        "self_evaluation": {
            item.code: {"text": f"{item.name}的做法与成效。", "percent": 60}
            for item in rubric_for(kind).items
        },
    }
    if kind == "individual":
        for key in ("employees", "figures", "gbt19580_since"):
            form.pop(key)
    form.update(overrides)
    return form


@pytest.fixture
def in_window(time_machine) -> None:  # type: ignore[no-untyped-def]
    time_machine.move_to(dt.datetime(2026, 3, 10, 10, 0, tzinfo=CST), tick=False)


# A day inside 资格审查 (2026-05-06 to 05-29), where the Office decides (A16.1).
QUALIFICATION_DAY = dt.datetime(2026, 5, 11, 10, 0, tzinfo=CST)


@pytest.fixture
def to_qualification(time_machine) -> Callable[[], None]:  # type: ignore[no-untyped-def]
    """Move the clock into 资格审查, after the applications were prepared in the window."""
    return lambda: time_machine.move_to(QUALIFICATION_DAY, tick=False)


@pytest.fixture
def open_cycle(cycle: Cycle, office: User, in_window: None) -> Cycle:
    publish_call(actor=office, cycle=cycle)
    cycle.refresh_from_db()
    return cycle


@pytest.fixture
def applicant(personas: dict[str, User]) -> User:
    return personas["applicant"]


@pytest.fixture
def draft(open_cycle: Cycle, org: Organization, applicant: User) -> Application:
    """The demo organization's draft in the open cycle, its 申报表 complete."""
    application = services.start_application(actor=applicant, cycle=open_cycle, organization=org)
    services.save_draft(actor=applicant, application=application, data=complete_form())
    return application


@pytest.fixture
def org(organization: Organization) -> Organization:
    """The demo organization made fully eligible: established 2012, industrial rated green."""
    Organization.objects.filter(pk=organization.pk).update(chief_quality_officer="张华")
    organization.refresh_from_db()
    return organization


@pytest.fixture
def person(program: object) -> Individual:
    individual, _ = register_individual(
        name="李娜",
        id_number="320682198503150026",
        recommending_unit=RecommendingUnit.objects.get(name="如城街道"),
        position=Individual.Position.CHIEF_QUALITY_OFFICER,
        quality_work_years=12,
        employer_name="如皋示例机械有限公司",
        username="lina",
        password="Lantern#2026ok",
    )
    return individual
