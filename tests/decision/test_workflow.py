"""The decision stage's workflow tables (`decision/workflow.py`): what the board, the objection
page, the public notice and the API are told and what the services do agree, on every day
around the stage boundaries, in every state, for every role, in an open or a closed year."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Role, User
from decision import services, workflow
from decision.models import Approval, Entry, Objection, Proposal
from intake.models import Application, State
from lib.errors import ServiceError, StateConflict
from lib.workdays import UnknownCalendarYear
from programs.models import Cycle, Stage
from programs.selectors import work_calendar
from tests.conftest import STAGES_2026, api_call, api_client, client_for
from tests.decision.conftest import CST, NOTICE_START, Decided, default_list
from tests.workflow_agreement import assert_agrees as _agree

P = Proposal.State
NOTICE_END = dt.date(2026, 12, 1)  # NOTICE_START's fifth working day
# Every day that matters: each stage's eve, first day, middle, last day and morrow (the
# notice's own dates are the 公示 stage's).
DAYS = sorted(
    {
        day + dt.timedelta(days=shift)
        for start, end in STAGES_2026.values()
        for day in (start, end)
        for shift in (-1, 0, 1)
    }
    | {start + (end - start) / 2 for start, end in STAGES_2026.values()}
)
# Half the examples on the decision stages' own boundaries (审定, 公示, 批准).
DECISION_DAYS = [
    day
    for stage in (Stage.COMMITTEE_REVIEW, Stage.NOTICE, Stage.APPROVAL)
    for day in DAYS
    if STAGES_2026[stage][0] - dt.timedelta(days=1)
    <= day
    <= STAGES_2026[stage][1] + dt.timedelta(days=1)
]
ANY_DAY = st.one_of(st.sampled_from(DECISION_DAYS), st.sampled_from(DAYS))
MOSTLY_NOT = st.sampled_from([False, False, True])  # a closed year, an unanswered objection
PEOPLE = ["anon", "applicant", "office", "supervisor", "committee", "outsider"]
ROLE_PERSONA = {Role.OFFICE: "office", workflow.PUBLIC: "anon"}
ORDER = list(P)
# Where the listed applications stand while the list is in each state.
APPLICATION_STATE = {
    P.DRAFT: State.EVALUATED,
    P.COMMITTEE_APPROVED: State.PROPOSED,
    P.GOVERNMENT_APPROVED: State.PROPOSED,
    P.IN_NOTICE: State.IN_NOTICE,
    P.NOTICE_CLOSED: State.IN_NOTICE,
    P.ANNOUNCED: State.AWARDED,
}


def _reached(state: P, step: P) -> bool:
    return ORDER.index(state) >= ORDER.index(step)


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=CST)


def _user(personas: dict[str, User | None], who: str) -> Any:
    return personas[who] or AnonymousUser()


def _cycle(d: Decided, closed: bool) -> Cycle:
    if closed:
        Cycle.objects.filter(pk=d.cycle.pk).update(status=Cycle.Status.CLOSED)
    return Cycle.objects.select_related("policy").prefetch_related("stages").get(pk=d.cycle.pk)


def _make_proposal(d: Decided, cycle: Cycle, state: P, day: dt.date, pending: bool) -> Proposal:
    """The list as the services would have left it in `state` (entries, approvals, notice
    dates, the applications' states), with an unanswered objection when `pending`."""
    proposal = Proposal.objects.create(cycle=cycle, state=state)
    for n, (application, level) in enumerate(default_list(d)):
        Entry.objects.create(proposal=proposal, application=application, level=level, position=n)
        Application.objects.filter(pk=application.pk).update(state=APPLICATION_STATE[state])
    for body, step, on in (
        (Approval.Body.COMMITTEE, P.COMMITTEE_APPROVED, dt.date(2026, 11, 6)),
        (Approval.Body.GOVERNMENT, P.GOVERNMENT_APPROVED, dt.date(2026, 11, 9)),
    ):
        if _reached(state, step):
            Approval.objects.create(
                proposal=proposal,
                body=body,
                decided_on=min(on, day),  # never after the day the examples act on
                reference="第3次全体会议",
                recorded_by=d.office,
                recorded_at=_at(min(on, day)),
            )
    if _reached(state, P.IN_NOTICE):
        proposal.notice_starts_on, proposal.notice_ends_on = NOTICE_START, NOTICE_END
        proposal.notice_published_at = _at(NOTICE_START, 9)
        proposal.save()
        if pending:
            _objection(proposal, NOTICE_START + dt.timedelta(days=1))
    return proposal


def _objection(proposal: Proposal, filed_on: dt.date, **fields: Any) -> Objection:
    return Objection.objects.create(
        proposal=proposal,
        receipt=f"YY2026TEST{Objection.objects.count():06d}",
        entry=proposal.entries.first(),
        name="张三",
        identity="如皋市民",
        contact="zhangsan@example.com",
        content="请核查。",
        filed_at=_at(filed_on),
        **fields,
    )


def _first_workday(day: dt.date) -> dt.date:
    try:
        calendar = work_calendar()
        while not calendar.is_workday(day):
            day += dt.timedelta(days=1)
    except UnknownCalendarYear:  # 2027: the service says so (when its window lets it ask)
        pass
    return day


def _run_proposal(action: str, d: Decided, proposal: Proposal, user: Any, day: dt.date) -> None:
    """The service a page's form for `action` calls, with valid input."""
    if action == "edit":
        services.save_proposal(actor=user, cycle=proposal.cycle, entries=default_list(d))
    elif action in {"approve_committee", "approve_government"}:
        services.record_approval(
            actor=user,
            proposal=proposal,
            body="committee" if action == "approve_committee" else "government",
            decided_on=day,
            reference="质量发展委员会2026年第3次全体会议",
        )
    elif action == "publish_notice":
        services.publish_notice(actor=user, proposal=proposal, starts_on=_first_workday(day))
    elif action == "object":
        services.file_objection(
            proposal=proposal,
            name="李四",
            identity="如皋市民",
            contact="lisi@example.com",
            content="请核查该公司的质量事故。",
            actor=user if user.is_authenticated else None,
        )
    elif action == "close_notice":
        services.close_notice(actor=user, proposal=proposal)
    elif action == "announce":
        services.announce(
            actor=user, proposal=proposal, announced_on=day, document_number="皋政发〔2026〕120号"
        )
    else:  # pragma: no cover - a new action needs its service here
        raise AssertionError(f"no service for {action}")


def _outcome(run: Any) -> Any:
    try:
        with transaction.atomic():
            run()
    except ServiceError as exc:  # PermissionDenied and StateConflict included
        return exc
    return "done"


def _case(table: Any, states: list[Any]) -> Any:
    """An action; mostly (two in three) a state it starts from and the role that takes it (so
    that most examples reach the calendar), the rest any state and anybody."""
    names = [a.name for a in table.actions if not a.batch]
    return st.sampled_from(names).flatmap(
        lambda name: st.tuples(
            st.just(name),
            st.one_of(
                st.sampled_from(sorted(table[name].sources)),
                st.sampled_from(sorted(table[name].sources)),
                st.sampled_from(states),
            ),
            st.one_of(
                st.just(ROLE_PERSONA[table[name].role]),
                st.just(ROLE_PERSONA[table[name].role]),
                st.sampled_from(PEOPLE),
            ),
        )
    )


EXAMPLES = settings(
    max_examples=600,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.req("A19.1", "A20.1", "A20.2", "A11.1")
@EXAMPLES
@given(
    case=_case(workflow.PROPOSAL, list(P)),
    day=ANY_DAY,
    closed=MOSTLY_NOT,
    pending=MOSTLY_NOT,
)
def test_the_lists_pages_and_services_agree_on_every_day_state_and_role(
    decided: Decided,
    personas: dict[str, User | None],
    case: tuple[str, P, str],
    day: dt.date,
    closed: bool,
    pending: bool,
) -> None:
    """What `PROPOSAL.allowed_actions` offers, the service does; what it refuses with a reason,
    the service refuses with that reason; what it does not offer, the service refuses outright."""
    action, state, who = case
    user = _user(personas, who)
    with transaction.atomic():
        cycle = _cycle(decided, closed)
        proposal = _make_proposal(decided, cycle, state, day, pending)
        with time_machine.travel(_at(day), tick=False):
            option = workflow.PROPOSAL.allowed_actions(proposal, user).get(action)
            outcome = _outcome(lambda: _run_proposal(action, decided, proposal, user, day))
        transaction.set_rollback(True)
    _agree(option, outcome, (action, state, who, day, closed, pending))


@pytest.mark.req("A20.1", "A20.2")
@EXAMPLES
@given(
    case=_case(workflow.OBJECTION, list(Objection.Outcome)),
    filed_on=st.sampled_from([NOTICE_START - dt.timedelta(days=1), NOTICE_START, NOTICE_END]),
    late=MOSTLY_NOT,
    day=ANY_DAY,
    closed=MOSTLY_NOT,
)
def test_an_objections_pages_and_services_agree_on_every_day_state_and_role(
    decided: Decided,
    personas: dict[str, User | None],
    case: tuple[str, Objection.Outcome, str],
    filed_on: dt.date,
    late: bool,
    day: dt.date,
    closed: bool,
) -> None:
    action, outcome, who = case
    user = _user(personas, who)
    filed = NOTICE_END + dt.timedelta(days=1) if late else filed_on
    with transaction.atomic():
        cycle = _cycle(decided, closed)
        proposal = _make_proposal(decided, cycle, P.IN_NOTICE, day, pending=False)
        objection = _objection(proposal, filed, outcome=outcome)
        objection.proposal = proposal
        with time_machine.travel(_at(day), tick=False):
            option = workflow.OBJECTION.allowed_actions(objection, user).get(action)
            result = _outcome(
                lambda: services.decide_objection(
                    actor=user,
                    objection=objection,
                    outcome="upheld" if action == "uphold" else "dismissed",
                    findings="经核查。",
                    reply="答复。",
                    withdraw=action == "uphold",
                )
            )
        transaction.set_rollback(True)
    _agree(option, result, (action, outcome, who, filed, day, closed))


def test_every_action_of_the_tables_is_well_formed() -> None:
    """Each action names real states, a known permission and an article of the Measures."""
    from pathlib import Path

    import rules

    requirements = (Path(__file__).resolve().parents[2] / "docs" / "requirements.md").read_text(
        encoding="utf-8"
    )
    for table in (workflow.PROPOSAL, workflow.OBJECTION):
        for action in table.actions:
            assert action.sources, action.name
            assert rules.perm_exists(action.permission), action.name
            assert action.article in requirements, action.name
            assert action.label, action.name
            assert action.window_text, action.name
            assert action.role in ROLE_PERSONA, action.name


# --- the pages show the reason in place of the button ------------------------------------------


def _board(d: Decided) -> str:
    return reverse("decision:board") + f"?cycle={d.cycle.pk}"


@pytest.mark.req("A20.1", "A20.2")
def test_the_board_says_why_the_notice_cannot_end_yet(
    decided: Decided, personas: dict[str, User | None], time_machine: Any
) -> None:
    from tests.decision.conftest import in_notice

    proposal = in_notice(decided, time_machine)
    services.file_objection(
        proposal=proposal, name="李四", identity="如皋市民", contact="x@example.com", content="异"
    )
    button = "结束公示</button>"
    time_machine.move_to(_at(NOTICE_END, 17), tick=False)
    board = client_for(personas["office"]).get(_board(decided)).content.decode()
    assert button not in board
    assert "<strong>结束公示</strong>：公示期至2026年12月1日，期满后方可结束公示。" in board
    time_machine.move_to(_at(NOTICE_END + dt.timedelta(days=1), 9), tick=False)
    office = client_for(personas["office"])  # a new day, a new session
    board = office.get(_board(decided)).content.decode()
    assert button not in board
    assert "尚有1件异议未核查答复，答复后方可结束公示。" in board
    # The API answers the same, the page's reason word for word.
    proposal.refresh_from_db()
    rows = api_call(api_client("p_office"), "get", f"/proposals/{proposal.pk}/actions").json()
    by_name = {r["action"]: r for r in rows}
    assert by_name["close_notice"] == {
        "action": "close_notice",
        "label": "结束公示",
        "allowed": False,
        "reason": "尚有1件异议未核查答复，答复后方可结束公示。",
        "article": "A20.2",
    }
    assert by_name["object"]["allowed"] is False  # the notice is over
    objection = Objection.objects.get()
    services.decide_objection(
        actor=decided.office, objection=objection, outcome="dismissed", findings="无", reply="无"
    )
    board = office.get(_board(decided)).content.decode()
    assert button in board
    assert "期满后方可结束公示" not in board
    # Readers are offered nothing and told nothing of the Office's work.
    read = client_for(personas["committee"]).get(_board(decided)).content.decode()
    assert button not in read
    assert "qa-refused" not in read


@pytest.mark.req("A19.1")
def test_after_the_committee_stage_the_draft_cannot_be_edited_and_the_pages_say_why(
    decided: Decided, personas: dict[str, User | None], time_machine: Any
) -> None:
    services.save_proposal(actor=decided.office, cycle=decided.cycle, entries=default_list(decided))
    time_machine.move_to(_at(dt.date(2026, 11, 16)), tick=False)  # 审定 ended on 11-13
    office = client_for(personas["office"])
    reason = "审定已于2026年11月13日结束。"
    board = office.get(_board(decided)).content.decode()
    assert "修改拟奖名单</a>" not in board
    assert "记录委员会审定</button>" not in board
    assert f"<strong>拟定拟奖名单</strong>：{reason}" in board
    assert "审定已于2026年11月13日结束（2026年10月19日至2026年11月13日）。" in board
    page = office.get(reverse("decision:proposal", args=[decided.cycle.pk])).content.decode()
    assert "保存拟奖名单" not in page
    assert reason in page
    refused = office.post(
        reverse("decision:proposal", args=[decided.cycle.pk]),
        {f"level_{decided.organizations[0].pk}": "award"},
    )
    assert refused.status_code == 400
    assert "不能拟定拟奖名单：审定已于2026年11月13日结束" in refused.content.decode()
    with pytest.raises(ServiceError) as exc:
        services.record_approval(
            actor=decided.office,
            proposal=Proposal.objects.get(),
            body="committee",
            decided_on=dt.date(2026, 11, 13),
            reference="第3次全体会议",
        )
    assert (exc.value.code, exc.value.article) == ("outside_window", "A19.1")
    assert Proposal.objects.get().state == P.DRAFT


@pytest.mark.req("A20.2")
def test_an_objection_filed_outside_its_notice_is_not_decided_and_its_page_says_why(
    decided: Decided, personas: dict[str, User | None], time_machine: Any
) -> None:
    """Only `file_objection` makes objections, and it refuses late ones; a row from elsewhere
    (an import, the admin) is refused with the reason rather than counted as answered."""
    from tests.decision.conftest import in_notice

    proposal = in_notice(decided, time_machine)
    objection = _objection(proposal, NOTICE_END + dt.timedelta(days=1))
    page = client_for(personas["office"]).get(
        reverse("decision:objection", args=[objection.receipt])
    )
    html = page.content.decode()
    assert "保存核查结论并答复" not in html
    assert "该异议于2026年12月2日提出，不在公示期（2026年11月25日至2026年12月1日）内" in html
    rows = api_call(
        api_client("p_office"), "get", f"/objections/{objection.receipt}/actions"
    ).json()
    assert {r["action"]: r["allowed"] for r in rows} == {"uphold": False, "dismiss": False}
    committee = api_call(
        api_client("p_committee"), "get", f"/objections/{objection.receipt}/actions"
    )
    assert (committee.status_code, committee.json()) == (200, [])
    assert (
        api_call(api_client("p_applicant"), "get", f"/objections/{objection.receipt}/actions")
    ).status_code == 403
    assert (
        api_call(api_client("p_office"), "get", "/objections/YY2026NOSUCH0000/actions")
    ).status_code == 404


@pytest.mark.req("A20.2")
def test_a_decided_objection_offers_nothing_and_a_second_decision_is_refused(
    decided: Decided, personas: dict[str, User | None], time_machine: Any
) -> None:
    from tests.decision.conftest import in_notice

    proposal = in_notice(decided, time_machine)
    objection = services.file_objection(
        proposal=proposal, name="李四", identity="如皋市民", contact="x@example.com", content="异"
    )
    stale = Objection.objects.get(pk=objection.pk)  # a second tab
    assert set(workflow.OBJECTION.allowed_actions(objection, decided.office)) == {
        "uphold",
        "dismiss",
    }
    services.decide_objection(
        actor=decided.office, objection=objection, outcome="dismissed", findings="无", reply="无"
    )
    assert workflow.OBJECTION.allowed_actions(objection, decided.office) == {}
    with pytest.raises(StateConflict, match="请刷新页面"):  # the conditional UPDATE finds none
        workflow.OBJECTION.move(stale, "uphold")
    assert Objection.objects.get().outcome == Objection.Outcome.DISMISSED
