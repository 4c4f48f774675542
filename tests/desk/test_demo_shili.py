"""示例市's 2026 year in the demo (issue 18 part 4, desk/demo.py): built through the services
inside 示例市, its three organizations are recommended by 示例市's own reviewers and accepted by
示例市's Office, and its 材料评审 groups come from the pool it shares with Rugao (so the
province's page counts shared experts for 2026) and agree their scores. Seeding twice adds
nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Notification, Role, User
from audit.models import AuditEvent
from desk import province
from experts.models import Acknowledgement, Assignment, NoConflictConfirmation, ReviewGroup
from intake.models import Application, QualificationDecision, Recommendation, State
from programs.models import AwardProgram, Cycle, Stage
from review.models import Consensus, ReviewPhase, Scorecard
from tests.conftest import client_for
from tests.intake.conftest import CST

pytestmark = [pytest.mark.django_db, pytest.mark.req("A17.1")]

BUILT = dt.datetime(2026, 12, 20, 15, 30, tzinfo=CST)  # after every day the demo plays


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            User,
            Application,
            Recommendation,
            QualificationDecision,
            ReviewGroup,
            Assignment,
            Acknowledgement,
            NoConflictConfirmation,
            Scorecard,
            Consensus,
            ReviewPhase,
            Notification,
            AuditEvent,
        )
    }


def test_shili_runs_its_2026_with_the_shared_pool_and_seeding_twice_adds_nothing(
    time_machine: Any,
) -> None:
    time_machine.move_to(BUILT, tick=False)
    call_command("seed_demo", stdout=None)
    shili = AwardProgram.objects.get(slug="shili")
    cycle = Cycle.objects.get(program=shili, year=2026)

    # Three applications, each recommended by a reviewer of its own 示例市 unit, within the
    # window, and accepted by 示例市's Office.
    applications = list(Application.objects.filter(cycle=cycle).order_by("pk"))
    assert len(applications) == 3
    assert {a.state for a in applications} == {State.MATERIAL_REVIEW}  # accepted, then reviewed
    for application in applications:
        unit = application.recommending_unit
        assert unit.program == shili
        recommendation = application.recommendations.get()
        reviewer = recommendation.reviewer
        assert reviewer.role_assignments.get(role=Role.RECOMMENDER).recommending_unit == unit
        decision = application.decisions.get()
        assert decision.decided_by.username == "shili_office"
        assert decision.outcome == QualificationDecision.Outcome.ACCEPTED

    # A led 材料评审 group for each, drawn from the pool Rugao's 2026 groups use too.
    rugao_2026 = set(
        Assignment.objects.filter(
            removed_at__isnull=True, group__application__cycle__program__slug="rugao"
        )
        .filter(group__application__cycle__year=2026)
        .values_list("expert_id", flat=True)
    )
    groups = ReviewGroup.objects.filter(application__cycle=cycle, stage=Stage.MATERIAL_REVIEW)
    assert groups.count() == 3
    for group in groups:
        members = set(
            group.assignments.filter(removed_at__isnull=True).values_list("expert_id", flat=True)
        )
        assert len(members) == cycle.policy.expert_group_size
        assert group.leader_id in members
        assert group.leader_id in rugao_2026  # a leader who also reviews in Rugao
        signed = NoConflictConfirmation.objects.filter(application=group.application)
        assert set(signed.values_list("expert_id", flat=True)) == members
        consensus = group.consensus
        assert consensus.final
        assert consensus.score is not None
    assert ReviewPhase.objects.get(cycle=cycle, stage=Stage.MATERIAL_REVIEW).state == "closed"
    shared_2026 = {
        e for g in groups for e in g.assignments.values_list("expert_id", flat=True)
    } & rugao_2026
    assert len(shared_2026) >= 2

    # The province's selectors count them: 示例市's year and Rugao's share experts.
    data = province.overview(region=AwardProgram.objects.get(slug="jiangsu"), year=2026)
    rows = {r.program.slug: r for r in data.rows}
    assert (rows["shili"].submitted, rows["shili"].accepted) == (3, 3)
    assert rows["shili"].shared_experts >= len(shared_2026)
    assert rows["rugao"].shared_experts >= len(shared_2026)
    assert sum("示例市市长质量奖" in e.programs for e in data.shared) >= len(shared_2026)

    # ... and the provincial administrator's page shows them.
    page = client_for(User.objects.get(username="province_admin")).get(
        reverse("province:overview"), {"year": 2026}
    )
    assert page.status_code == 200
    assert "示例市市长质量奖" in page.content.decode()

    before = _counts()
    call_command("seed_demo", stdout=None)
    assert _counts() == before
