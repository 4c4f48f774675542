"""Review groups (A17.1, A27.1): proposed by the solver or drawn at random, adjusted by hand
within the hard rules, never with a conflicted expert (A26.1)."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.models import Organization, User
from audit.models import AuditEvent
from experts import services
from experts.models import Assignment, Conflict, Expert, ReviewGroup
from intake.models import Application, State
from lib.errors import ServiceError
from programs.models import Cycle, Policy
from tests.experts.test_pool import QUALIFIED
from tests.intake.conftest import complete_form


@pytest.fixture
def pool(office: User, policy: Policy) -> list[Expert]:
    Policy.objects.filter(pk=policy.pk).update(expert_group_size=2)
    employers = ["南通大学", "南通大学", "省质量协会", "市标准化院"]
    industries = [["34"], ["15"], ["34"], ["15"]]
    from stdnum.cn import ric

    experts = []
    for n, employer in enumerate(employers):
        body = f"3206821970010{n + 1}00{n}"[:17]
        experts.append(
            services.save_expert(
                actor=office,
                id_number=body + ric.calc_check_digit(body + "0"),
                **(QUALIFIED | {"name": f"专家{n}", "industries": industries[n], "max_load": 2}),
                employments=[{"employer_name": employer}],
            )
        )
    return experts


@pytest.fixture
def accepted(open_cycle: Cycle, org: Organization, personas: dict[str, User]) -> Application:
    from intake import services as intake

    application = intake.start_application(
        actor=personas["applicant"], cycle=open_cycle, organization=org
    )
    intake.save_draft(actor=personas["applicant"], application=application, data=complete_form())
    intake.submit_application(actor=personas["applicant"], application=application)
    Application.objects.filter(pk=application.pk).update(
        state=State.ACCEPTED
    )  # decided in intake's tests
    return Application.objects.get(pk=application.pk)


def _members(application: Application) -> set[str]:
    return set(
        Assignment.objects.filter(
            group__application=application, removed_at__isnull=True
        ).values_list("expert__name", flat=True)
    )


@pytest.mark.req("A17.1", "A26.1")
def test_proposal_fills_the_group_with_an_industry_expert_and_no_conflict(
    accepted: Application, pool: list[Expert], office: User
) -> None:
    services.declare_conflict(
        actor=office, application=accepted, expert=pool[0], reason="consulting", note="咨询"
    )
    summary = services.propose_groups(actor=office, cycle=accepted.cycle, stage="material_review")
    members = _members(accepted)
    assert len(members) == 2
    assert "专家0" not in members  # conflicted
    assert "专家2" in members  # the only unconflicted expert of industry 34
    assert summary["unfilled"] == {}
    event = AuditEvent.objects.get(action="experts.groups.propose")
    assert (event.after or {})["worst_affinity"] == summary["worst_affinity"]


def test_never_two_experts_of_one_employer(
    accepted: Application, pool: list[Expert], office: User
) -> None:
    Expert.objects.filter(pk__in=[pool[2].pk, pool[3].pk]).update(status="suspended")
    summary = services.propose_groups(actor=office, cycle=accepted.cycle, stage="material_review")
    assert _members(accepted) in (
        {"专家0"},
        {"专家1"},
    )  # both work at 南通大学: one seat stays empty
    assert summary["unfilled"] == {str(accepted.pk): 1}


@pytest.mark.req("A17.1")
def test_locked_pairs_stay_through_a_draw_and_a_proposal(
    accepted: Application, pool: list[Expert], office: User
) -> None:
    services.draw_groups(actor=office, cycle=accepted.cycle, stage="material_review")
    assignment = Assignment.objects.filter(
        group__application=accepted, removed_at__isnull=True
    ).first()
    assert assignment is not None
    assert assignment.source == "random"
    services.set_locked(actor=office, assignment=assignment, locked=True)
    services.draw_groups(
        actor=office, cycle=accepted.cycle, stage="material_review", reason="一名专家出差"
    )
    assert assignment.expert.name in _members(accepted)
    services.propose_groups(
        actor=office, cycle=accepted.cycle, stage="material_review", reason="按匹配度优化"
    )
    assert assignment.expert.name in _members(accepted)
    assert AuditEvent.objects.filter(action="experts.groups.draw").count() == 2


@pytest.mark.req("A8.1", "A26.1")
def test_manual_assignment_keeps_the_hard_rules(
    accepted: Application, pool: list[Expert], office: User, policy: Policy
) -> None:
    group = ReviewGroup.objects.create(application=accepted, stage="material_review")
    Expert.objects.filter(pk=pool[3].pk).update(evidence_discipline="")
    with pytest.raises(ServiceError) as exc:
        services.assign_manually(
            actor=office, group=group, expert=Expert.objects.get(pk=pool[3].pk), reason="x"
        )
    assert exc.value.article == "A8.1"
    Conflict.objects.create(
        application=accepted,
        expert=pool[2],
        source="expert",
        reason="other",
        recorded_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
    )
    with pytest.raises(ServiceError) as exc:
        services.assign_manually(actor=office, group=group, expert=pool[2], reason="x")
    assert exc.value.article == "A26.1"
    services.assign_manually(actor=office, group=group, expert=pool[0], reason="熟悉该行业")
    with pytest.raises(ServiceError, match="同一单位"):
        services.assign_manually(actor=office, group=group, expert=pool[1], reason="x")


@pytest.mark.req("A27.1")
def test_leader_is_a_member_and_the_supervisor_a_supervisor(
    accepted: Application, pool: list[Expert], office: User, personas: dict[str, User]
) -> None:
    group = ReviewGroup.objects.create(application=accepted, stage="site_review")
    services.assign_manually(actor=office, group=group, expert=pool[0], reason="x")
    with pytest.raises(ServiceError, match="组长须是"):
        services.set_leader(actor=office, group=group, expert=pool[2])
    with pytest.raises(ServiceError, match="评审监督员"):
        services.set_leader(
            actor=office, group=group, expert=pool[0], supervisor=personas["auditadmin"]
        )
    services.set_leader(
        actor=office, group=group, expert=pool[0], supervisor=personas["supervisor"]
    )
    group.refresh_from_db()
    assert (group.leader, group.supervisor) == (pool[0], personas["supervisor"])


def test_office_opens_an_empty_group_and_fills_it_by_hand(
    accepted: Application, pool: list[Expert], office: User
) -> None:
    from tests.conftest import client_for

    client = client_for(office)
    response = client.post(
        f"/experts/applications/{accepted.public_id}/open-group/", {"stage": "material_review"}
    )
    assert response.status_code == 302
    group = ReviewGroup.objects.get(application=accepted)
    assert AuditEvent.objects.filter(action="experts.group.open").count() == 1
    services.open_group(actor=office, application=accepted, stage="material_review")  # idempotent
    assert AuditEvent.objects.filter(action="experts.group.open").count() == 1
    services.assign_manually(actor=office, group=group, expert=pool[0], reason="熟悉行业")
    assert _members(accepted) == {"专家0"}
