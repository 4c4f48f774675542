"""A cycle in review: an accepted organization and an accepted individual, three signed and
confirmed experts in each group (the first leads), the site group with its supervisor, and
helpers that drive a stage to its consensus through the services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest

from accounts.models import Individual, Organization, Role, User
from experts import services as experts
from experts.models import Assignment, Expert, ReviewGroup
from intake import services as intake
from intake.models import Application, State
from programs.models import Cycle, Policy
from review import services
from review.models import Rubric, Scorecard
from tests.experts.test_pool import QUALIFIED
from tests.intake.conftest import CST, complete_form, in_window, open_cycle, org, person

__all__ = ["in_window", "open_cycle", "org", "person"]

MATERIAL_DAY = dt.datetime(2026, 6, 2, 10, tzinfo=CST)
SITE_DAY = dt.datetime(2026, 7, 20, 10, tzinfo=CST)
EVALUATION_DAY = dt.datetime(2026, 9, 15, 10, tzinfo=CST)
ID_NUMBERS = ["320682197501010017", "320682198001010015", "320682197802020024"]


@dataclass
class World:
    cycle: Cycle
    office: User
    organization: Application
    individual: Application
    experts: list[Expert]
    users: list[User]  # users[i] is experts[i]; users[0] leads every group
    supervisor: User
    applicant: User
    person_user: User
    groups: dict[tuple[int, str], ReviewGroup] = field(default_factory=dict)

    def group(self, application: Application, stage: str = "material_review") -> ReviewGroup:
        return self.groups[(application.pk, stage)]

    def assignment(
        self, application: Application, n: int, stage: str = "material_review"
    ) -> Assignment:
        return Assignment.objects.get(
            group=self.group(application, stage), expert=self.experts[n], removed_at__isnull=True
        )


def _accepted(application: Application) -> Application:
    Application.objects.filter(pk=application.pk).update(state=State.ACCEPTED)
    application.refresh_from_db()
    return application


def _group(world: World, application: Application, stage: str) -> ReviewGroup:
    group = experts.open_group(actor=world.office, application=application, stage=stage)
    for expert in world.experts:
        experts.assign_manually(actor=world.office, group=group, expert=expert, reason="测试分组")
    experts.set_leader(
        actor=world.office,
        group=group,
        expert=world.experts[0],
        supervisor=world.supervisor if stage == "site_review" else None,
    )
    world.groups[(application.pk, stage)] = group
    return group


@pytest.fixture
def world(
    open_cycle: Cycle,
    org: Organization,
    person: Individual,
    personas: dict[str, User],
    make_user: Any,
    policy: Policy,
    time_machine: Any,
) -> World:
    office = personas["office"]
    Policy.objects.filter(pk=policy.pk).update(expert_group_size=3)
    applicant = personas["applicant"]
    organization = intake.start_application(actor=applicant, cycle=open_cycle, organization=org)
    intake.save_draft(actor=applicant, application=organization, data=complete_form())
    intake.submit_application(actor=applicant, application=organization)
    person_user = person.user
    individual = intake.start_application(actor=person_user, cycle=open_cycle, individual=person)
    intake.save_draft(actor=person_user, application=individual, data=complete_form("individual"))
    intake.submit_application(actor=person_user, application=individual)
    pool, users = [], []
    for n, id_number in enumerate(ID_NUMBERS):
        user = make_user(Role.EXPERT, username=f"reviewer{n}")
        expert = experts.save_expert(
            actor=office,
            id_number=id_number,
            **(QUALIFIED | {"name": ["赵强", "钱敏", "孙立"][n]}),
            employments=[{"employer_name": f"评审单位{n}"}],
        )
        Expert.objects.filter(pk=expert.pk).update(user=user)
        pool.append(Expert.objects.get(pk=expert.pk))
        users.append(User.objects.get(pk=user.pk))
    w = World(
        cycle=open_cycle,
        office=office,
        organization=_accepted(organization),
        individual=_accepted(individual),
        experts=pool,
        users=users,
        supervisor=personas["supervisor"],
        applicant=applicant,
        person_user=person_user,
    )
    _group(w, w.organization, "material_review")
    _group(w, w.individual, "material_review")
    _group(w, w.organization, "site_review")
    experts.set_code_of_conduct(actor=office, cycle=open_cycle, text="一、公正评审。")
    for user in users:
        experts.acknowledge(actor=user, cycle=open_cycle)
        for application in (w.organization, w.individual):
            experts.confirm_no_conflict(actor=user, application=application)
    time_machine.move_to(MATERIAL_DAY, tick=False)
    return w


def full_scores(rubric: Rubric, percent: int = 60, **by_code: int) -> dict[str, dict[str, Any]]:
    """Every item scored (`by_code` overrides single items), with a strength each."""
    return {
        item.code: {
            "percent": by_code.get(item.code.replace(".", "_"), percent),
            "strengths": f"{item.name}方法系统。",
            "opportunities": "",
        }
        for item in rubric.items.all()
    }


def rubric_of(world: World, application: Application) -> Rubric:
    return Rubric.objects.get(cycle=world.cycle, applies_to=application.kind)


def score_and_submit(
    world: World, application: Application, n: int, percent: int, stage: str = "material_review"
) -> Scorecard:
    assignment = world.assignment(application, n, stage)
    card = services.save_scorecard(
        actor=world.users[n],
        assignment=assignment,
        scores=full_scores(rubric_of(world, application), percent),
        revision=0,
    )
    return services.submit_scorecard(actor=world.users[n], scorecard=card)


def agree(
    world: World,
    application: Application,
    percents: tuple[int, int, int],
    stage: str = "material_review",
    consensus: int | None = None,
) -> Any:
    """The three experts score every item at their percent; the leader confirms `consensus`
    (default: the middle one) for every item."""
    for n, pct in enumerate(percents):
        score_and_submit(world, application, n, pct, stage)
    agreed = consensus if consensus is not None else sorted(percents)[1]
    return services.save_consensus(
        actor=world.users[0],
        group=world.group(application, stage),
        items=full_scores(rubric_of(world, application), agreed),
        comment="综合意见",
        final=True,
        revision=0,
    )


def through_evaluation(world: World, time_machine: Any) -> list[Any]:
    """Material review for both, site review for the organization, then the evaluation."""
    services.open_phase(actor=world.office, cycle=world.cycle, stage="material_review")
    agree(world, world.organization, (50, 60, 70))
    agree(world, world.individual, (70, 75, 80))
    time_machine.move_to(SITE_DAY, tick=False)
    services.schedule_site_visit(
        actor=world.office,
        group=world.group(world.organization, "site_review"),
        starts_on=dt.date(2026, 7, 20),
        ends_on=dt.date(2026, 7, 21),
        place="如皋示例机械有限公司",
    )
    services.open_phase(actor=world.office, cycle=world.cycle, stage="site_review")
    agree(world, world.organization, (60, 65, 70), stage="site_review")
    time_machine.move_to(EVALUATION_DAY, tick=False)
    return services.evaluate(actor=world.office, cycle=world.cycle)
