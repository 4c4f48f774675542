"""The violation case's workflow table (A23.1, A23.2): what the case page is offered and what the
services do agree, in every state, for every role, on any day after the award (the Measures set
the Office and the committee no deadline); the page renders only what the table offers; the API
answers the same."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Organization, Role, User
from intake.models import AwardRecord
from lib.errors import ServiceError
from programs.models import AwardProgram
from programs.selectors import now
from supervision import services, workflow
from supervision.models import Case
from tests.conftest import api_call, api_client, client_for
from tests.workflow_agreement import assert_agrees

CST = dt.timezone(dt.timedelta(hours=8))
ANNOUNCED = dt.date(2025, 12, 10)
CONFIRMED = dt.date(2026, 3, 2)
# The award's first day, the winner's report due (30 days after confirmation) and the day after,
# the last day of the duty to report (three years) and the day after.
DAYS = [
    ANNOUNCED,
    CONFIRMED,
    CONFIRMED + dt.timedelta(days=30),
    CONFIRMED + dt.timedelta(days=31),
    dt.date(2028, 12, 9),
    dt.date(2028, 12, 10),
]
ACTIONS = [a.name for a in workflow.ACTIONS if not a.batch]
# "applicant" speaks for the winning organization.
PEOPLE = ["office", "supervisor", "committee", "applicant", "recommender", "expert", "outsider"]
ROLE_PERSONA: dict[str, str] = {Role.OFFICE: "office"}


@pytest.fixture
def award(program: AwardProgram, organization: Organization, office: User) -> AwardRecord:
    """A 2025 award entered by the Office (won before the system: no application)."""
    return AwardRecord.objects.create(
        organization=organization,
        year=2025,
        level=AwardRecord.Level.AWARD,
        announced_on=ANNOUNCED,
        document_number="皋政发〔2025〕88号",
        created_by=office,
    )


def _make(award: AwardRecord, state: str, office: User) -> Case:
    reported = state != Case.State.OPEN
    decided = state == Case.State.DECIDED
    return Case.objects.create(
        award=award,
        source=Case.Source.SPOT_CHECK,
        what_happened="监督抽查产品不合格。",
        confirmed_on=CONFIRMED,
        report_due_on=CONFIRMED + dt.timedelta(days=30),
        opened_by=office,
        opened_at=now(),
        state=state,
        findings="经核查情况属实。" if reported else "",
        reported_at=now() if reported else None,
        outcome=Case.Outcome.WARNING if decided else "",
        decided_on=CONFIRMED if decided else None,
        decision_ref="委员会2026年第1次会议" if decided else "",
    )


def _run_service(action: str, case: Case, user: User, outcome: str, day: dt.date) -> None:
    """The service a page's form for `action` calls, with valid input."""
    if action == "report":
        services.report_to_committee(actor=user, case=case, findings="经核查情况属实。")
    elif action == "decide":
        services.decide_case(
            actor=user,
            case=case,
            outcome=outcome,
            decided_on=day,
            decision_ref="如皋市质量发展委员会会议纪要",
        )
    else:  # pragma: no cover - a new action needs its service here
        raise AssertionError(f"no service for {action}")


@pytest.mark.req("A23.1", "A23.2")
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    case=st.sampled_from(ACTIONS).flatmap(
        lambda action: st.tuples(
            st.just(action),
            st.one_of(
                st.sampled_from(sorted(workflow.TABLE[action].sources)),
                st.sampled_from(list(Case.State)),
            ),
            st.one_of(st.just(ROLE_PERSONA[workflow.TABLE[action].role]), st.sampled_from(PEOPLE)),
        )
    ),
    outcome=st.sampled_from(list(Case.Outcome)),
    revoked=st.booleans(),
    day=st.sampled_from(DAYS),
)
def test_pages_and_services_agree_on_every_state_role_and_day(
    award: AwardRecord,
    personas: dict[str, User],
    case: tuple[str, str, str],
    outcome: str,
    revoked: bool,
    day: dt.date,
) -> None:
    """What `allowed_actions` offers, the service does; what it does not offer, the service
    refuses outright (403 or 409). A title already revoked (by another case or for fraud) changes
    nothing the table offers; revoking it again is then no valid input."""
    action, state, who = case
    user = personas[who]
    if revoked and outcome == Case.Outcome.REVOCATION:
        outcome = Case.Outcome.WARNING
    with transaction.atomic():
        if revoked:
            AwardRecord.objects.filter(pk=award.pk).update(revoked_on=ANNOUNCED)
        found = _make(AwardRecord.objects.get(pk=award.pk), state, personas["office"])
        with time_machine.travel(dt.datetime.combine(day, dt.time(10), tzinfo=CST), tick=False):
            option = workflow.allowed_actions(found, user).get(action)
            result: Any = "done"
            try:
                with transaction.atomic():
                    _run_service(action, found, user, outcome, day)
            except ServiceError as exc:
                result = exc
        transaction.set_rollback(True)
    assert_agrees(option, result, (action, state, who, day))


@pytest.mark.req("A23.2", "A27.1")
def test_the_case_page_offers_what_the_table_offers_and_nothing_else(
    award: AwardRecord, personas: dict[str, User], time_machine: Any
) -> None:
    time_machine.move_to(dt.datetime(2026, 4, 10, 10, tzinfo=CST), tick=False)
    office, supervisor = personas["office"], personas["supervisor"]
    case = _make(award, Case.State.OPEN, office)
    url = reverse("supervision:case", args=[case.public_id])
    report = reverse("supervision:case_report", args=[case.public_id])
    decide = reverse("supervision:case_decide", args=[case.public_id])

    page = client_for(office).get(url).content.decode()
    assert list(workflow.allowed_actions(case, office)) == ["report"]
    assert f'action="{report}"' in page
    assert f'action="{decide}"' not in page
    assert "qa-refused" not in page  # nothing refused: no reason to show
    watching = client_for(supervisor).get(url).content.decode()
    assert workflow.allowed_actions(case, supervisor) == {}
    assert f'action="{report}"' not in watching
    assert "您以只读身份查阅" in watching

    client_for(office).post(report, {"findings": "经核查情况属实。"})
    case.refresh_from_db()
    assert case.state == Case.State.REPORTED
    page = client_for(office).get(url).content.decode()
    assert f'action="{decide}"' in page
    assert f'action="{report}"' not in page
    # A stale second report (another clerk's page) is refused by the table, not written twice.
    again = client_for(office).post(report, {"findings": "再次上报"}, follow=True).content.decode()
    assert "该案件当前状态为“已报委员会”，不能核查情况报委员会" in again
    case.refresh_from_db()
    assert case.findings == "经核查情况属实。"

    client_for(office).post(
        decide, {"outcome": "warning", "decided_on": "2026-04-10", "decision_ref": "委员会决定"}
    )
    case.refresh_from_db()
    assert (case.state, case.outcome) == (Case.State.DECIDED, Case.Outcome.WARNING)
    page = client_for(office).get(url).content.decode()
    assert f'action="{decide}"' not in page
    assert f'action="{report}"' not in page


@pytest.mark.req("A23.2")
def test_the_actions_api_answers_what_the_page_shows(
    award: AwardRecord, personas: dict[str, User]
) -> None:
    case = _make(award, Case.State.OPEN, personas["office"])
    path = f"/cases/{case.public_id}/actions"
    answer = api_call(api_client("p_office"), "get", path)
    assert answer.status_code == 200
    assert answer.json() == [
        {
            "action": "report",
            "label": "核查情况报委员会",
            "allowed": True,
            "reason": "",
            "article": "A23.2",
        }
    ]
    assert api_call(api_client("p_supervisor"), "get", path).json() == []
    # The winner and anybody else who may not read cases: refused before the lookup, so an
    # unknown id and a known one answer alike.
    winner = api_client("p_applicant")
    assert api_call(winner, "get", path).status_code == 403
    unknown = "/cases/00000000-0000-0000-0000-000000000000/actions"
    assert api_call(winner, "get", unknown).status_code == 403
    assert api_call(api_client("p_office"), "get", unknown).status_code == 404


def test_every_action_of_the_table_is_well_formed() -> None:
    from pathlib import Path

    import rules

    requirements = (Path(__file__).resolve().parents[2] / "docs" / "requirements.md").read_text(
        encoding="utf-8"
    )
    for action in workflow.ACTIONS:
        assert action.sources <= set(Case.State), action.name
        assert rules.perm_exists(action.permission), action.name
        assert action.article in requirements, action.name
        assert action.label, action.name
        assert action.window_text, action.name
