"""Programs as tenants, the core (issue 18 part 1, decision 0030): roles held in a program, the
current program of a request, lookups and the audit trail in it.

The walk over every URL is tests/test_isolation.py; these are the core's own rules, each with
the smallest world that shows it: Rugao (the `program` fixture, the default) and 示例市 loaded
from its pack beside it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import Organization, RecommendingUnit, Role, RoleAssignment, User
from accounts.selectors import programs_of
from accounts.services import create_user, grant_role
from audit.services import record
from intake.services import start_application
from lib import tenancy
from lib.errors import ServiceError
from programs import demo, packs
from programs.models import AwardProgram, Cycle
from programs.services import create_cycle, load_program, publish_call, set_cycle_dates
from tests.conftest import PASSWORD, client_for, otp_device

SHILI = Path(settings.BASE_DIR) / "data" / "programs" / "shili-demo.yaml"


@pytest.fixture
def shili(program: AwardProgram) -> AwardProgram:
    pack, sha256 = packs.read(SHILI)
    load_program(pack=pack, source="shili-demo.yaml", sha256=sha256)
    return AwardProgram.objects.get(slug=pack.slug)


def _staff(username: str, role: Role, program: AwardProgram) -> User:
    user = create_user(actor=None, actor_role="system", username=username, password=PASSWORD)
    grant_role(actor=None, actor_role="system", user=user, role=role, program=program)
    otp_device(user)
    return user


@pytest.fixture
def shili_cycle(shili: AwardProgram) -> Cycle:
    office = _staff("shili_office", Role.OFFICE, shili)
    with tenancy.using_program(shili):
        cycle = create_cycle(actor=office, program=shili, year=2026)
        set_cycle_dates(actor=office, cycle=cycle, dates=demo.SHILI_STAGES)
        publish_call(actor=office, cycle=cycle)
    return cycle


@pytest.mark.django_db
def test_a_program_role_is_held_in_one_program(program: AwardProgram, shili: AwardProgram) -> None:
    clerk = _staff("rugao_clerk", Role.OFFICE, program)
    assert programs_of(clerk) == {Role.OFFICE: frozenset({program.pk})}
    assert clerk.has_perm("programs.manage_cycle", program)
    assert not clerk.has_perm("programs.manage_cycle", shili)
    with tenancy.using_program(shili):
        assert not clerk.has_perm("programs.manage_cycle")  # nothing to manage in 示例市
    assert clerk.has_perm("programs.manage_cycle")  # no program named: the default, Rugao
    # An expert is the deployment's (the shared pool): no program on the row.
    expert = create_user(actor=None, actor_role="system", username="pool", password=PASSWORD)
    grant_role(actor=None, actor_role="system", user=expert, role=Role.EXPERT, program=shili)
    assert RoleAssignment.objects.get(user=expert).program is None


@pytest.mark.django_db
def test_the_database_refuses_an_office_role_without_a_program(program: AwardProgram) -> None:
    user = create_user(actor=None, actor_role="system", username="bare", password=PASSWORD)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role=Role.OFFICE)


@pytest.mark.django_db
def test_units_and_cycles_of_another_program_are_not_found(
    program: AwardProgram, shili: AwardProgram, shili_cycle: Cycle
) -> None:
    clerk = _staff("rugao_clerk", Role.OFFICE, program)
    client = client_for(clerk)
    # Rugao's clerk acts in Rugao: 示例市's cycle page and unit form are not there (404).
    assert client.get(reverse("programs:cycle_detail", args=[shili_cycle.pk])).status_code == 404
    unit = (
        RecommendingUnit.objects.filter(program=shili)
        .exclude(name__in=RecommendingUnit.objects.filter(program=program).values("name"))
        .first()
    )
    assert unit is not None  # 示例市 has units of its own names
    edit = {"name": "改名", "kind": unit.kind, "active": "on"}
    assert client.post(reverse("accounts:unit_change", args=[unit.pk]), edit).status_code == 404
    unit.refresh_from_db()
    assert unit.name != "改名"
    assert unit.name not in client.get(reverse("accounts:units")).content.decode()
    # 示例市's clerk sees its own.
    own = client_for(User.objects.get(username="shili_office"))
    assert own.get(reverse("programs:cycle_detail", args=[shili_cycle.pk])).status_code == 200


@pytest.mark.django_db
def test_whoever_works_in_two_programs_switches_between_them(
    program: AwardProgram, shili: AwardProgram, shili_cycle: Cycle
) -> None:
    clerk = _staff("both", Role.OFFICE, program)
    grant_role(actor=None, actor_role="system", user=clerk, role=Role.OFFICE, program=shili)
    client = client_for(clerk)
    home = client.get(reverse("accounts:dashboard")).content.decode()
    assert "qa-program-switch" in home
    assert shili.name in home
    cycle_page = reverse("programs:cycle_detail", args=[shili_cycle.pk])
    assert client.get(cycle_page).status_code == 404  # first in Rugao, the lower id
    response = client.post(reverse("programs:switch"), {"program": shili.slug})
    assert response.status_code == 302
    assert client.get(cycle_page).status_code == 200
    # A program the user holds nothing in cannot be chosen.
    rugao_only = client_for(_staff("rugao_only", Role.OFFICE, program))
    assert rugao_only.post(reverse("programs:switch"), {"program": shili.slug}).status_code == 404
    assert "qa-program-switch" not in rugao_only.get(reverse("accounts:dashboard")).content.decode()


@pytest.mark.django_db
@pytest.mark.req("A7.1")
def test_an_organization_applies_through_the_programs_own_unit(
    organization: Organization, shili_cycle: Cycle, make_user: Any
) -> None:
    """The organization of the fixture is registered under a Rugao town: 示例市's call refuses
    it with the reason, instead of filing it under another award's unit."""
    contact = make_user(Role.APPLICANT, organization=organization)
    with pytest.raises(ServiceError, match="不是示例市市长质量奖的推荐单位") as refused:
        start_application(actor=contact, cycle=shili_cycle, organization=organization)
    assert refused.value.code == "unit_of_another_program"


@pytest.mark.django_db
def test_a_programs_supervisors_read_their_programs_trail(
    program: AwardProgram, shili: AwardProgram, shili_cycle: Cycle
) -> None:
    with transaction.atomic():
        record(actor=None, role="system", action="programs.cycle.close", obj=shili_cycle)
    event_repr = str(shili_cycle)
    rugao_supervisor = client_for(_staff("rugao_sup", Role.SUPERVISOR, program))
    shili_supervisor = client_for(_staff("shili_sup", Role.SUPERVISOR, shili))
    trail = reverse("audit:trail")
    assert event_repr not in rugao_supervisor.get(trail).content.decode()
    assert event_repr in shili_supervisor.get(trail).content.decode()
    auditor = create_user(actor=None, actor_role="system", username="auditor", password=PASSWORD)
    grant_role(actor=None, actor_role="system", user=auditor, role=Role.AUDITADMIN)
    otp_device(auditor)
    assert event_repr in client_for(auditor).get(trail).content.decode()


@pytest.mark.django_db
def test_a_service_refuses_a_clerk_of_another_program_whatever_page_came_first(
    program: AwardProgram, shili_cycle: Cycle
) -> None:
    """The guarantee is in the service, not in the page's lookup: Rugao's clerk, acting in
    Rugao, calling the services on 示例市's cycle directly, is refused."""
    from experts.services import set_code_of_conduct
    from lib.errors import PermissionDenied
    from review.services import evaluate

    clerk = _staff("rugao_clerk", Role.OFFICE, program)
    with pytest.raises(PermissionDenied):
        evaluate(actor=clerk, cycle=shili_cycle)
    with pytest.raises(PermissionDenied):
        set_code_of_conduct(actor=clerk, cycle=shili_cycle, text="廉洁评审")
    with pytest.raises(PermissionDenied):
        create_cycle(actor=clerk, program=shili_cycle.program, year=2027)
    assert not Cycle.objects.filter(program=shili_cycle.program, year=2027).exists()


@pytest.mark.django_db
@pytest.mark.req("A24.1")
def test_the_wait_after_an_award_is_the_awards_own_program(
    organization: Organization, cycle: Cycle, shili_cycle: Cycle, make_user: Any
) -> None:
    """A 如皋 award of 2024 makes its holder wait for 如皋's award (A24.1), not for 示例市's:
    each program's rules read each program's awards."""
    import datetime as dt

    from intake.models import Application, Kind
    from intake.services import check_eligibility
    from intake.standing import record_prior_award
    from tests.intake.conftest import complete_form

    office = make_user(Role.OFFICE)
    record_prior_award(
        actor=office,
        organization=organization,
        year=2024,
        level="award",
        announced_on=dt.date(2024, 12, 10),
        document_number="皋政发〔2024〕1号",
    )

    def wait(c: Cycle) -> list[str]:
        probe = Application(cycle=c, kind=Kind.ORGANIZATION, organization=organization)
        return [f.message for f in check_eligibility(probe, complete_form()) if "未满" in f.message]

    assert wait(cycle)  # Rugao: 2024's award, 3 years to wait
    assert wait(shili_cycle) == []


@pytest.mark.django_db
def test_the_footer_names_the_office_of_the_program_worked_in(
    program: AwardProgram, shili: AwardProgram, shili_cycle: Cycle
) -> None:
    shili_clerk = client_for(User.objects.get(username="shili_office"))
    page = shili_clerk.get(reverse("accounts:dashboard")).content.decode()
    assert shili.office_name in page
    assert program.office_name not in page
    rugao_clerk = client_for(_staff("rugao_clerk", Role.OFFICE, program))
    assert program.office_name in rugao_clerk.get(reverse("accounts:dashboard")).content.decode()


@pytest.mark.django_db
@pytest.mark.req("A7.1", "A12.1")
def test_an_organization_registered_once_applies_to_another_award_of_its_region(
    program: AwardProgram, shili_cycle: Cycle, make_user: Any, time_machine: Any
) -> None:
    """Decision 0030: an organization registered in 示例市's region but under a Rugao unit
    (it registered on Rugao's site) is offered 示例市's call on its list, chooses one of
    示例市's units, and applies there through the page; a unit of another award is refused."""
    import datetime as dt

    from intake.models import Application
    from lib.uscc import check_character

    time_machine.move_to(dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC))
    body = "91329901MA1TEN001"  # 329901: 示例市's division code (fictitious)
    rugao_unit = RecommendingUnit.objects.filter(program=program).first()
    assert rugao_unit is not None
    org = Organization.objects.create(
        uscc=body + check_character(body), name="示例乙精密有限公司", recommending_unit=rugao_unit
    )
    contact = client_for(make_user(Role.APPLICANT, organization=org))
    page = contact.get(reverse("intake:list")).content.decode()
    assert "示例市市长质量奖（本组织登记地在其区域内，可申报）" in page
    shili_unit = RecommendingUnit.objects.filter(program=shili_cycle.program).first()
    assert shili_unit is not None
    assert f'<option value="{shili_unit.pk}">' in page
    start = reverse("intake:start")
    chosen = {"as": f"organization:{org.public_id}", "cycle": str(shili_cycle.public_id)}
    contact.post(start, {**chosen, "unit": rugao_unit.pk})  # Rugao's unit: not 示例市's
    assert not Application.objects.filter(organization=org).exists()
    contact.post(start, {**chosen, "unit": shili_unit.pk})
    application = Application.objects.get(organization=org)
    assert application.cycle == shili_cycle
    assert application.recommending_unit == shili_unit
