"""The cycle's workflow table: what the 年度管理 page is offered and what the services do agree,
in every state, for every role, on every day; the page shows reasons instead of refused buttons;
the API answers the same; closing the year is the announcement's, never a button."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Role, User
from audit.models import AuditEvent
from lib.errors import PermissionDenied, ServiceError, StateConflict
from programs import selectors, services, workflow
from programs.models import AwardProgram, Cycle, CycleStage, Stage
from tests.conftest import STAGES_2026, api_call, api_client, client_for
from tests.workflow_agreement import assert_agrees

CST = dt.timezone(dt.timedelta(hours=8))
# Every day that matters to the stages: each stage's eve, first day, last day and morrow.
DAYS = sorted(
    {
        day + dt.timedelta(days=shift)
        for start, end in STAGES_2026.values()
        for day in (start, end)
        for shift in (-1, 0, 1)
    }
)
ACTIONS = [a.name for a in workflow.ACTIONS if not a.batch]
PEOPLE = ["office", "supervisor", "committee", "applicant", "recommender", "expert", "outsider"]
ROLE_PERSONA: dict[str, str] = {Role.OFFICE: "office"}
# None: no dates yet; "partial": one stage missing; "all": the eight stages of article 11.
DATES = [None, "partial", "all"]


def _make(program: AwardProgram, status: str, dates: str | None) -> Cycle:
    cycle = Cycle.objects.create(
        program=program, year=2026, policy=program.policies.get(), status=status
    )
    if dates is not None:
        CycleStage.objects.bulk_create(
            CycleStage(cycle=cycle, stage=stage, starts_on=start, ends_on=end)
            for stage, (start, end) in STAGES_2026.items()
            if dates == "all" or stage != Stage.SITE_REVIEW
        )
    return selectors.cycles_with_stages().get(pk=cycle.pk)


def _run_service(action: str, cycle: Cycle, user: User) -> None:
    """The service a page's button for `action` calls, with valid input."""
    if action == "set_dates":
        services.set_cycle_dates(
            actor=user, cycle=cycle, dates=STAGES_2026, reason="市政府会议改期"
        )
    elif action == "publish":
        services.publish_call(actor=user, cycle=cycle)
    else:  # pragma: no cover - a new action needs its service here
        raise AssertionError(f"no service for {action}")


@pytest.mark.req("A5.1", "A11.1", "A15.1")
@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    case=st.sampled_from(ACTIONS).flatmap(
        lambda action: st.tuples(
            st.just(action),
            # Mostly a state the action starts from and the Office, so that most examples reach
            # the window; the rest any state and anybody.
            st.one_of(
                st.sampled_from(sorted(workflow.TABLE[action].sources)),
                st.sampled_from(list(Cycle.Status)),
            ),
            st.one_of(st.just(ROLE_PERSONA[workflow.TABLE[action].role]), st.sampled_from(PEOPLE)),
        )
    ),
    dates=st.sampled_from(DATES),
    day=st.sampled_from(DAYS),
)
def test_pages_and_services_agree_on_every_state_role_and_day(
    program: AwardProgram,
    personas: dict[str, User],
    case: tuple[str, str, str],
    dates: str | None,
    day: dt.date,
) -> None:
    """What `allowed_actions` offers, the service does; what it refuses with a reason, the
    service refuses with that reason and article; what it does not offer, the service refuses
    outright (403 or 409)."""
    action, status, who = case
    user = personas[who]
    with transaction.atomic():
        cycle = _make(program, status, dates)
        with time_machine.travel(dt.datetime.combine(day, dt.time(10), tzinfo=CST), tick=False):
            option = workflow.allowed_actions(cycle, user).get(action)
            outcome: Any = "done"
            try:
                with transaction.atomic():
                    _run_service(action, cycle, user)
            except ServiceError as exc:
                outcome = exc
        transaction.set_rollback(True)
    assert_agrees(option, outcome, (action, status, who, day))


@pytest.mark.req("A20.2", "A5.1")
@pytest.mark.parametrize("status", list(Cycle.Status))
@pytest.mark.parametrize("who", ["office", "committee", "supervisor"])
def test_closing_the_year_is_the_announcements_and_only_from_published(
    program: AwardProgram, personas: dict[str, User], status: str, who: str
) -> None:
    """`close` is a batch action: no page offers it; `decision.services.announce` takes it
    (the Office), and only from 已发布申报通知."""
    cycle = _make(program, status, "all")
    user = personas[who]
    assert "close" not in workflow.allowed_actions(cycle, user)
    if who != "office":
        with pytest.raises(PermissionDenied):
            services.close_cycle(actor=user, cycle=cycle)
    elif status != Cycle.Status.PUBLISHED:
        with pytest.raises(StateConflict, match="不能结束年度"):
            services.close_cycle(actor=user, cycle=cycle)
    else:
        services.close_cycle(actor=user, cycle=cycle)
        assert Cycle.objects.get(pk=cycle.pk).status == Cycle.Status.CLOSED
        closed = AuditEvent.objects.get(action="programs.cycle.close")
        assert (closed.before, closed.after) == ({"status": "published"}, {"status": "closed"})
        return
    assert Cycle.objects.get(pk=cycle.pk).status == status
    assert not AuditEvent.objects.filter(action="programs.cycle.close").exists()


@pytest.mark.req("A15.1", "A11.1")
def test_the_cycle_page_shows_why_it_cannot_be_published_instead_of_the_button(
    program: AwardProgram, office: User
) -> None:
    cycle = services.create_cycle(actor=office, program=program, year=2026)
    url = reverse("programs:cycle_detail", args=[cycle.pk])
    publish = reverse("programs:cycle_publish", args=[cycle.pk])
    page = client_for(office).get(url).content.decode()
    assert "<strong>发布申报通知</strong>：尚未设置第十一条各阶段日期，请先保存各阶段日期。" in page
    assert f'action="{publish}"' not in page
    assert 'action="{}"'.format(reverse("programs:cycle_set_dates", args=[cycle.pk])) in page

    partial = {s: d for s, d in STAGES_2026.items() if s != Stage.APPROVAL}
    CycleStage.objects.bulk_create(
        CycleStage(cycle=cycle, stage=s, starts_on=a, ends_on=b) for s, (a, b) in partial.items()
    )
    page = client_for(office).get(url).content.decode()
    assert "尚未设置批准的日期" in page
    assert f'action="{publish}"' not in page
    # What the page does not offer, the service refuses with the same reason.
    with pytest.raises(ServiceError, match="尚未设置批准的日期") as exc:
        services.publish_call(actor=office, cycle=cycle)
    assert (exc.value.code, exc.value.article) == ("outside_window", "A15.1")

    services.set_cycle_dates(actor=office, cycle=cycle, dates=STAGES_2026)
    page = client_for(office).get(url).content.decode()
    assert f'action="{publish}"' in page
    assert "qa-refused" not in page
    client_for(office).post(publish)
    assert Cycle.objects.get(pk=cycle.pk).status == Cycle.Status.PUBLISHED

    Cycle.objects.filter(pk=cycle.pk).update(status=Cycle.Status.CLOSED)
    page = client_for(office).get(url).content.decode()
    assert "2026年度已结束，各阶段日期仅供查阅。" in page
    assert "保存日期</button>" not in page
    assert f'action="{publish}"' not in page


@pytest.mark.req("A15.1")
def test_the_actions_api_answers_what_the_page_shows(
    program: AwardProgram, personas: dict[str, User]
) -> None:
    office = personas["office"]
    cycle = services.create_cycle(actor=office, program=program, year=2026)
    path = f"/cycles/{cycle.public_id}/actions"
    answer = api_call(api_client("p_office"), "get", path)
    assert answer.status_code == 200
    assert {row["action"]: row for row in answer.json()} == {
        "set_dates": {
            "action": "set_dates",
            "label": "设置各阶段日期",
            "allowed": True,
            "reason": "",
            "article": "A11.1",
        },
        "publish": {
            "action": "publish",
            "label": "发布申报通知",
            "allowed": False,
            "reason": "尚未设置第十一条各阶段日期，请先保存各阶段日期。",
            "article": "A15.1",
        },
    }
    supervisor = api_client("p_supervisor")
    assert api_call(supervisor, "get", path).status_code == 404  # a draft is the Office's
    services.set_cycle_dates(actor=office, cycle=cycle, dates=STAGES_2026)
    services.publish_call(actor=office, cycle=cycle)
    assert [r["action"] for r in api_call(api_client("p_office"), "get", path).json()] == [
        "set_dates"
    ]
    assert api_call(supervisor, "get", path).json() == []  # published: known, nothing to do
    assert client_for(None).get(f"/api/v1{path}").status_code == 401


def test_every_action_of_the_table_is_well_formed() -> None:
    """Each action names real states, a known permission and an article of the Measures."""
    from pathlib import Path

    import rules

    requirements = (Path(__file__).resolve().parents[2] / "docs" / "requirements.md").read_text(
        encoding="utf-8"
    )
    for action in workflow.ACTIONS:
        assert action.sources, action.name
        assert action.sources <= set(Cycle.Status), action.name
        assert rules.perm_exists(action.permission), action.name
        assert action.article in requirements, action.name
        assert action.label, action.name
        assert action.window_text, action.name
