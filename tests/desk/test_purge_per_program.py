"""Whoever registered and never applied is erased after the period of their own program's
Measures (issue 18; 个人信息保护法 第四十七条): the program of their recommending unit, not the
newest policy of any program. Rugao keeps 3 years, 示例市 2 (data/programs/*.yaml)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import Individual, RecommendingUnit, Role, User
from desk.retention import candidates
from programs import packs
from programs.models import AwardProgram, Policy
from programs.services import load_program

PACK = Path(settings.BASE_DIR) / "data" / "programs" / "shili-demo.yaml"
TODAY = dt.date(2026, 12, 5)


def _registered(
    make_user: Callable[..., User], key: str, id_number: str, unit: RecommendingUnit
) -> Individual:
    """A person who registered on 2024-06-01 (2½ years before TODAY) and never applied."""
    person = Individual.objects.create(
        user=make_user(Role.INDIVIDUAL, username=f"u_{key}"),
        name=f"{key}某",
        id_number=id_number,
        employer_name="某公司",
        recommending_unit=unit,
        position=Individual.Position.OTHER,
        quality_work_years=8,
    )
    registered = dt.datetime(2024, 6, 1, 10, tzinfo=timezone.get_current_timezone())
    Individual.objects.filter(pk=person.pk).update(created_at=registered)
    return person


@pytest.mark.req("A3.1")
def test_a_never_applied_registration_follows_its_units_programs_period(
    program: AwardProgram, policy: Policy, make_user: Callable[..., User], time_machine: Any
) -> None:
    time_machine.move_to(dt.datetime(2026, 12, 5, 10, tzinfo=timezone.get_current_timezone()))
    pack, sha256 = packs.read(PACK)
    load_program(pack=pack, source="data/programs/shili-demo.yaml", sha256=sha256)
    shili = AwardProgram.objects.get(slug="shili")
    assert (
        policy.personal_data_retention_years,
        shili.policies.get().personal_data_retention_years,
    ) == (3, 2)
    rugao_person = _registered(
        make_user,
        "rugao",
        "320682199001011234",
        RecommendingUnit.objects.get(program=program, name="如城街道"),
    )
    shili_person = _registered(
        make_user, "shili", "32068219800303345X", shili.recommending_units.order_by("pk")[0]
    )
    due = {s.obj.pk: s.years for s in candidates(TODAY) if s.kind == "individual"}
    # 2½ years: past 示例市's 2, within Rugao's 3.
    assert due == {shili_person.pk: 2}
    # Rugao's Measures with a 2-year period: its person is due as well, by its own number.
    Policy.objects.filter(pk=policy.pk).update(personal_data_retention_years=2)
    due = {s.obj.pk: s.years for s in candidates(TODAY) if s.kind == "individual"}
    assert due == {shili_person.pk: 2, rugao_person.pk: 2}
    # And 示例市's at 4: its person is kept.
    shili.policies.update(personal_data_retention_years=4)
    due = {s.obj.pk: s.years for s in candidates(TODAY) if s.kind == "individual"}
    assert due == {rugao_person.pk: 2}
