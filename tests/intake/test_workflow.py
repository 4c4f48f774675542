"""The application's workflow table: what pages are told and what services do agree, on every
day, in every state, for every role; deadlines, the 逾期 list, notices and the timeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Individual, Notification, Organization, RecommendingUnit, Role, User
from experts import services as expert_services
from intake import selectors, services, workflow
from intake.models import Application, Kind, QualificationDecision, State, StateChange
from lib.errors import PermissionDenied, ServiceError, StateConflict
from programs.models import Cycle, Stage
from tests.conftest import STAGES_2026, client_for
from tests.intake.conftest import CST, complete_form
from tests.workflow_agreement import assert_agrees

# Every day that matters: each stage's eve, first day, last day and morrow.
DAYS = sorted(
    {
        day + dt.timedelta(days=shift)
        for start, end in STAGES_2026.values()
        for day in (start, end)
        for shift in (-1, 0, 1)
    }
)
ACTIONS = [a.name for a in workflow.ACTIONS if not a.batch]
PEOPLE = ["applicant", "recommender", "office", "supervisor", "committee", "outsider"]
ROLE_PERSONA: dict[str, str] = {
    Role.APPLICANT: "applicant",
    Role.RECOMMENDER: "recommender",
    Role.OFFICE: "office",
}


def _run_service(action: str, application: Application, user: User) -> None:
    """The service a page's button for `action` calls, with valid input."""
    if action == "edit":
        services.save_draft(actor=user, application=application, data=application.data)
    elif action == "submit":
        services.submit_application(actor=user, application=application)
    elif action == "withdraw":
        services.withdraw_application(actor=user, application=application, reason="")
    elif action == "recommend":
        services.recommend_application(actor=user, application=application, opinion="同意推荐")
    elif action in {"return", "office_return"}:
        services.return_application(actor=user, application=application, reason="请补充材料")
    elif action in {"accept", "not_accept"}:
        services.decide_qualification(
            actor=user,
            application=application,
            accept=action == "accept",
            reason="决定理由",
            articles=[] if action == "accept" else ["A16.1"],
        )
    elif action in {"correct_to_accepted", "correct_to_not_accepted"}:
        decision = application.decisions.first()
        if decision is None:  # the page has no correction form to offer (the view 404s)
            raise StateConflict("无资格审查决定可更正")
        services.correct_decision(
            actor=user, decision=decision, reason="更正理由", articles=["A16.1"]
        )
    elif action == "lapse":
        services.lapse_application(actor=user, application=application, reason="")
    elif action == "request_recusal":
        expert_services.request_recusal(
            actor=user,
            application=application,
            name="张三",
            reason=expert_services.RECUSAL_REASONS[0][0],
            note="曾为竞争对手提供咨询",
        )
    else:  # pragma: no cover - a new action needs its service here
        raise AssertionError(f"no service for {action}")


def _make(
    cycle: Cycle, kind: str, state: State, org: Organization, person: Individual
) -> Application:
    unit = RecommendingUnit.objects.get(name="如城街道")
    application = Application.objects.create(
        cycle=cycle,
        kind=kind,
        organization=org if kind == Kind.ORGANIZATION else None,
        individual=person if kind == Kind.INDIVIDUAL else None,
        recommending_unit=unit,
        state=state,
        data=complete_form(kind),
        version=0 if state == State.DRAFT else 1,
        created_by=person.user,
    )
    decided = state not in {State.DRAFT, State.SUBMITTED, State.RETURNED, State.RECOMMENDED}
    if decided and state not in {State.WITHDRAWN, State.LAPSED}:
        # 受理 came before every later state; 不予受理 is its own.
        QualificationDecision.objects.create(
            application=application,
            version=1,
            outcome=State.NOT_ACCEPTED if state == State.NOT_ACCEPTED else State.ACCEPTED,
            articles=["A16.1"] if state == State.NOT_ACCEPTED else [],
            reason="原决定",
            decided_by=person.user,
            decided_at=dt.datetime(2026, 5, 8, tzinfo=CST),
        )
    return application


@pytest.mark.req("A11.1", "A15.2", "A15.3", "A16.1", "A26.1")
@settings(
    max_examples=600,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    case=st.sampled_from(ACTIONS).flatmap(
        lambda action: st.tuples(
            st.just(action),
            # Mostly a state the action starts from and the role that takes it, so that most
            # examples reach the calendar; the rest any state and anybody.
            st.one_of(
                st.sampled_from(sorted(workflow.TABLE[action].sources)),
                st.sampled_from(list(State)),
            ),
            st.one_of(st.just(ROLE_PERSONA[workflow.TABLE[action].role]), st.sampled_from(PEOPLE)),
        )
    ),
    kind=st.sampled_from(list(Kind)),
    day=st.sampled_from(DAYS),
    closed=st.booleans(),
)
def test_pages_and_services_agree_on_every_day_state_and_role(
    open_cycle: Cycle,
    org: Organization,
    person: Individual,
    personas: dict[str, User],
    case: tuple[str, State, str],
    kind: str,
    day: dt.date,
    closed: bool,
) -> None:
    """What `allowed_actions` offers, the service does; what it refuses with a reason, the
    service refuses with that reason; what it does not offer, the service refuses outright."""
    action, state, who = case
    user = person.user if who == "applicant" and kind == Kind.INDIVIDUAL else personas[who]
    if action in {"return", "office_return"} and (action == "office_return") != (
        state == State.RECOMMENDED
    ):
        return  # one page button, one service: the state says which of the two it is
    if action.startswith("correct_to_") and (action == "correct_to_accepted") != (
        state == State.NOT_ACCEPTED
    ):
        return  # likewise: the decision in force says which correction the button makes
    with transaction.atomic():
        if closed:
            Cycle.objects.filter(pk=open_cycle.pk).update(status=Cycle.Status.CLOSED)
        cycle = Cycle.objects.prefetch_related("stages").get(pk=open_cycle.pk)
        application = _make(cycle, kind, state, org, person)
        with time_machine.travel(dt.datetime.combine(day, dt.time(10), tzinfo=CST), tick=False):
            option = workflow.allowed_actions(application, user).get(action)
            outcome: Any = "done"
            try:
                with transaction.atomic():
                    _run_service(action, application, user)
            except (PermissionDenied, StateConflict) as exc:
                outcome = exc
            except ServiceError as exc:
                outcome = exc
        transaction.set_rollback(True)
    assert_agrees(option, outcome, (action, state, who, day, closed))
    if option is not None and not option.allowed and option.action.quiet:
        assert all(
            option.action.label not in labels for labels, _ in workflow.refusals({action: option})
        )


@pytest.mark.req("A15.3", "A16.1")
def test_overdue_query_and_overdue_rule_are_the_same_deadlines(
    open_cycle: Cycle, org: Organization, person: Individual
) -> None:
    """The workbench counts with `overdue_q`, the services decide with `is_overdue`."""
    cycle = Cycle.objects.prefetch_related("stages").get(pk=open_cycle.pk)
    applications = {
        state: _make(cycle, Kind.ORGANIZATION if i == 0 else Kind.INDIVIDUAL, state, org, person)
        for i, state in enumerate([State.RECOMMENDED])
    }
    for state in (State.SUBMITTED, State.RETURNED, State.DRAFT):
        Application.objects.filter(pk=applications[State.RECOMMENDED].pk).update(state=state)
        applications[state] = Application.objects.get(pk=applications[State.RECOMMENDED].pk)
        for day in DAYS:
            in_query = Application.objects.filter(
                workflow.overdue_q(day), pk=applications[state].pk
            )
            assert in_query.exists() == workflow.is_overdue(applications[state], day), (state, day)
    Application.objects.filter(pk=applications[State.RECOMMENDED].pk).update(
        state=State.RECOMMENDED
    )
    recommended = Application.objects.get(pk=applications[State.RECOMMENDED].pk)
    for day in DAYS:
        in_query = Application.objects.filter(workflow.overdue_q(day), pk=recommended.pk)
        assert in_query.exists() == workflow.is_overdue(recommended, day), day
    assert workflow.due_date(recommended) == dt.date(2026, 5, 29)


@pytest.mark.req("A16.1")
def test_lapsed_applications_leave_the_to_do_and_appear_under_overdue(
    open_cycle: Cycle,
    org: Organization,
    person: Individual,
    personas: dict[str, User],
    time_machine: Any,
) -> None:
    cycle = Cycle.objects.prefetch_related("stages").get(pk=open_cycle.pk)
    application = _make(cycle, Kind.ORGANIZATION, State.RECOMMENDED, org, person)
    office = personas["office"]
    time_machine.move_to(dt.datetime(2026, 5, 20, 10, tzinfo=CST), tick=False)
    todo = {label: n for label, n, _ in selectors.todos(office)}
    assert todo["待资格审查的申报"] == 1
    assert "逾期未处理的申报" not in todo
    with pytest.raises(ServiceError, match="尚未逾期"):
        services.lapse_application(actor=office, application=application)

    time_machine.move_to(dt.datetime(2026, 12, 5, 10, tzinfo=CST), tick=False)
    todo = {label: n for label, n, _ in selectors.todos(office)}
    assert todo["待资格审查的申报"] == 0
    assert todo["逾期未处理的申报"] == 1
    page = client_for(office).get("/applications/?state=overdue").content.decode()
    assert application.applicant_name in page
    detail = client_for(office).get(f"/applications/{application.public_id}/").content.decode()
    assert "资格审查已于2026年5月29日结束" in detail  # the reason in place of the buttons
    assert f'action="/applications/{application.public_id}/decide/"' not in detail
    assert "按逾期未受理办结" in detail

    steps = {s.stage: s.status for s in selectors.progress(application).steps}
    assert (steps[Stage.QUALIFICATION], steps[Stage.MATERIAL_REVIEW]) == ("overdue", "skipped")
    listed = client_for(office).get("/applications/").content.decode()
    assert "逾期未处理 1件" in listed
    assert 'class="qa-todo"' not in listed  # not the Office's work any more

    services.lapse_application(actor=office, application=application, reason="未在期限内审查")
    application.refresh_from_db()
    assert application.state == State.LAPSED
    note = Notification.objects.get(user__role_assignments__role=Role.APPLICANT)
    assert note.subject.startswith("逾期未受理")
    assert "资格审查" in note.body
    assert StateChange.objects.get(application=application).action == "lapse"


@pytest.mark.req("A16.1")
def test_a_decision_outside_qualification_is_refused_with_the_dates(
    open_cycle: Cycle,
    org: Organization,
    person: Individual,
    personas: dict[str, User],
    time_machine: Any,
) -> None:
    """The demo's finding: the Office could 受理 on 2026-12-05 and was told 将进入材料评审."""
    cycle = Cycle.objects.prefetch_related("stages").get(pk=open_cycle.pk)
    application = _make(cycle, Kind.ORGANIZATION, State.RECOMMENDED, org, person)
    time_machine.move_to(dt.datetime(2026, 12, 5, 10, tzinfo=CST), tick=False)
    with pytest.raises(ServiceError) as exc:
        services.decide_qualification(
            actor=personas["office"], application=application, accept=True, reason=""
        )
    assert exc.value.article == "A16.1"
    assert "资格审查已于2026年5月29日结束（2026年5月6日至2026年5月29日）" in exc.value.message
    assert Application.objects.get(pk=application.pk).state == State.RECOMMENDED


@pytest.mark.req("A26.1")
def test_recusal_is_offered_only_before_material_review(
    open_cycle: Cycle,
    org: Organization,
    person: Individual,
    personas: dict[str, User],
    time_machine: Any,
) -> None:
    cycle = Cycle.objects.prefetch_related("stages").get(pk=open_cycle.pk)
    application = _make(cycle, Kind.ORGANIZATION, State.ACCEPTED, org, person)
    applicant = personas["applicant"]
    assert workflow.allowed_actions(application, applicant)["request_recusal"].allowed
    time_machine.move_to(dt.datetime(2026, 6, 1, 9, tzinfo=CST), tick=False)
    option = workflow.allowed_actions(application, applicant)["request_recusal"]
    assert (option.allowed, option.reason) == (False, "材料评审已于2026年6月1日开始。")
    page = client_for(applicant).get(f"/applications/{application.public_id}/").content.decode()
    assert "材料评审已于2026年6月1日开始" in page
    assert "/experts/recusal/" not in page
    assert "申请专家回避</a>" not in page
    Application.objects.filter(pk=application.pk).update(state=State.AWARDED)
    application.refresh_from_db()
    assert "request_recusal" not in workflow.allowed_actions(application, applicant)


@pytest.mark.req("A15.3", "A16.1")
def test_the_actions_api_answers_what_the_page_shows(
    open_cycle: Cycle,
    org: Organization,
    person: Individual,
    personas: dict[str, User],
    time_machine: Any,
) -> None:
    from tests.conftest import api_call, api_client

    cycle = Cycle.objects.prefetch_related("stages").get(pk=open_cycle.pk)
    application = _make(cycle, Kind.ORGANIZATION, State.RECOMMENDED, org, person)
    time_machine.move_to(dt.datetime(2026, 12, 5, 10, tzinfo=CST), tick=False)
    office = api_client("p_office")
    response = api_call(office, "get", f"/applications/{application.public_id}/actions")
    assert response.status_code == 200
    rows = response.json()
    by_name = {r["action"]: r for r in rows}
    assert by_name["accept"] == {
        "action": "accept",
        "label": "受理",
        "allowed": False,
        "reason": "资格审查已于2026年5月29日结束（2026年5月6日至2026年5月29日）。",
        "article": "A16.1",
    }
    assert by_name["lapse"]["allowed"] is True
    town = api_client("p_recommender")
    answer = api_call(town, "get", f"/applications/{application.public_id}/actions")
    assert answer.json() == []  # recommended: the town's part is done


def test_batch_transitions_notify_every_applicant_in_constant_queries(
    open_cycle: Cycle,
    org: Organization,
    person: Individual,
    personas: dict[str, User],
    django_assert_max_num_queries: Callable[..., Any],
) -> None:
    """A stage that moves every application tells each applicant (and its unit) at once: the
    number of queries does not grow with the number of applications."""
    cycle = Cycle.objects.prefetch_related("stages").get(pk=open_cycle.pk)
    applications = [
        _make(cycle, Kind.ORGANIZATION, State.IN_NOTICE, org, person),
        _make(cycle, Kind.INDIVIDUAL, State.IN_NOTICE, org, person),
    ]
    for a in applications:
        a.cycle = cycle
    with django_assert_max_num_queries(8):
        workflow.transition_all(applications, "award")
    applicant = personas["applicant"]
    assert applicant.notifications.get().subject == "获奖：2026年度市长质量奖申报"
    assert person.user.notifications.get().subject == "获奖：2026年度市长质量奖申报"
    reviewer = personas["recommender"]
    assert reviewer.notifications.count() == 2
    assert StateChange.objects.filter(action="award").count() == 2


@pytest.mark.req("A11.1", "A28.1")
def test_the_applicants_timeline_shows_each_stage_and_keeps_the_feedback(
    open_cycle: Cycle,
    org: Organization,
    person: Individual,
    personas: dict[str, User],
) -> None:
    cycle = Cycle.objects.prefetch_related("stages").get(pk=open_cycle.pk)
    application = _make(cycle, Kind.INDIVIDUAL, State.ACCEPTED, org, person)
    for name in ("start_material_review", "evaluate", "propose"):
        workflow.transition(application, name)
    steps = {s.stage: s for s in selectors.progress(application).steps}
    assert Stage.SITE_REVIEW not in steps  # individuals skip it (A10.3)
    assert steps[Stage.MATERIAL_REVIEW].status == "done"
    assert [c.action for c in steps[Stage.EVALUATION].events] == ["evaluate"]
    assert steps[Stage.NOTICE].status == "current"
    assert steps[Stage.APPROVAL].status == "upcoming"
    assert steps[Stage.NOTICE].starts_on == dt.date(2026, 11, 25)
    assert application.state in selectors.FEEDBACK_STATES  # 拟奖 keeps the report link
    subjects = list(person.user.notifications.values_list("subject", flat=True))
    assert {s.split("：")[0] for s in subjects} == {"材料评审开始", "综合评价完成", "拟奖"}


def test_every_action_of_the_table_is_well_formed() -> None:
    """Each action names real states, a known permission and an article of the Measures."""
    from pathlib import Path

    import rules

    requirements = (Path(__file__).resolve().parents[2] / "docs" / "requirements.md").read_text(
        encoding="utf-8"
    )
    for action in workflow.ACTIONS:
        assert action.sources, action.name
        assert action.sources <= set(State), action.name
        assert rules.perm_exists(action.permission), action.name
        assert action.article in requirements, action.name
        assert action.label, action.name
        assert action.window_text, action.name
    assert len(workflow.TABLE.by_name) == len(workflow.ACTIONS)


@pytest.mark.req("A16.1")
def test_the_page_reads_the_stage_dates_once_for_all_its_actions(
    open_cycle: Cycle, org: Organization, person: Individual, personas: dict[str, User]
) -> None:
    """Every action's window reads the cycle's stage dates: the page loads them once (with the
    application), not once per action."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    application = _make(open_cycle, Kind.ORGANIZATION, State.RECOMMENDED, org, person)
    client = client_for(personas["office"])
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/applications/{application.public_id}/").status_code == 200
    stage_reads = [q for q in queries.captured_queries if "programs_cyclestage" in q["sql"]]
    assert len(stage_reads) <= 2, [q["sql"][:120] for q in stage_reads]  # the page, eligibility
