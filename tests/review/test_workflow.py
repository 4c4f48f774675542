"""The review's workflow tables (review.workflow): what pages and the API are told and what the
services do agree, for the scorecard and the review phase, on every day around the stages'
boundaries, in every state, for every person, in an open and a closed year."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import rules
import time_machine
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from intake.models import Application, State
from lib.errors import ServiceError
from programs.models import Cycle, Stage
from review import selectors, services, workflow
from review.models import Consensus, ItemScore, ReviewPhase, Rubric, Scorecard, SiteVisit
from tests.conftest import STAGES_2026, api_call, api_client, client_for
from tests.intake.conftest import CST
from tests.review.conftest import World, full_scores, rubric_of, score_and_submit
from tests.workflow_agreement import assert_agrees as _agree

MATERIAL = Stage.MATERIAL_REVIEW.value
SITE = Stage.SITE_REVIEW.value
# Each review stage's eve, first day, last day and morrow.
STAGE_DAYS = {
    stage.value: sorted(
        {edge + dt.timedelta(days=shift) for edge in STAGES_2026[stage] for shift in (-1, 0, 1)}
    )
    for stage in (Stage.MATERIAL_REVIEW, Stage.SITE_REVIEW)
}
DAYS = sorted({day for days in STAGE_DAYS.values() for day in days})


def stage_and_day() -> st.SearchStrategy[tuple[str, dt.date]]:
    """A review stage and a day: mostly around its own boundaries, else around either's."""
    return st.sampled_from(sorted(STAGE_DAYS)).flatmap(
        lambda stage: st.tuples(
            st.just(stage),
            st.one_of(st.sampled_from(STAGE_DAYS[stage]), st.sampled_from(DAYS)),
        )
    )


# A year still open more often than closed: a closed one refuses everything the same way.
YEAR_CLOSED = st.one_of(st.just(False), st.booleans())
# A stage's phase: no row yet (never opened), or a row in each state.
PHASE_STATES = ["none", *ReviewPhase.State.values]
AT = dt.datetime(2026, 6, 1, 9, tzinfo=CST)


def _phase(cycle: Cycle, stage: str, state: str) -> None:
    if state != "none":
        opened = None if state == ReviewPhase.State.NOT_OPENED else AT
        ReviewPhase.objects.create(cycle=cycle, stage=stage, state=state, opened_at=opened)


def _on(day: dt.date) -> Any:
    return time_machine.travel(dt.datetime.combine(day, dt.time(10), tzinfo=CST), tick=False)


@pytest.fixture
def rubrics(world: World) -> World:
    for kind in ("organization", "individual"):
        services.ensure_rubric(actor=world.office, cycle=world.cycle, kind=kind)
    return world


# --- the scorecard -------------------------------------------------------------------------------

CARD_ACTIONS = [a.name for a in workflow.CARD_ACTIONS]
CARD_PEOPLE = ["expert", "member", "leader", "office", "supervisor"]
ROLE_PERSONA = {"expert": "expert", workflow.LEADER: "leader"}


def _card_person(world: World, who: str) -> User:
    """The card is expert 1's; expert 2 is another member; expert 0 leads the group."""
    return {
        "expert": world.users[1],
        "member": world.users[2],
        "leader": world.users[0],
        "office": world.office,
        "supervisor": world.supervisor,
    }[who]


def _run_card_service(action: str, card: Scorecard, rubric: Rubric, user: User) -> None:
    """The service a page's button for `action` calls, with valid input."""
    if action == "save":
        services.save_scorecard(
            actor=user,
            assignment=card.assignment,
            scores=full_scores(rubric, 65),
            summary="总体良好。",
            revision=card.revision,
        )
    elif action == "submit":
        services.submit_scorecard(actor=user, scorecard=card)
    elif action == "return":
        services.reopen_scorecard(actor=user, scorecard=card, reason="4.7.2评分依据不足。")
    else:  # pragma: no cover - a new action needs its service here
        raise AssertionError(f"no service for {action}")


@pytest.mark.req("A11.1", "A17.1")
@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    case=st.sampled_from(CARD_ACTIONS).flatmap(
        lambda action: st.tuples(
            st.just(action),
            # Mostly the state the action starts from and the person who takes it, so that
            # most examples reach the calendar; the rest any state and anybody.
            st.one_of(
                st.sampled_from(sorted(workflow.CARD[action].sources)),
                st.sampled_from(Scorecard.State.values),
            ),
            st.one_of(
                st.just(ROLE_PERSONA[workflow.CARD[action].role]), st.sampled_from(CARD_PEOPLE)
            ),
        )
    ),
    when=stage_and_day(),
    phase=st.one_of(st.just(ReviewPhase.State.OPEN.value), st.sampled_from(PHASE_STATES)),
    closed=YEAR_CLOSED,
    confirmed=st.booleans(),
)
def test_scorecard_pages_and_services_agree_on_every_day_state_and_person(
    rubrics: World,
    case: tuple[str, str, str],
    when: tuple[str, dt.date],
    phase: str,
    closed: bool,
    confirmed: bool,
) -> None:
    """What `CARD.allowed_actions` offers, the service does; what it refuses with a reason,
    the service refuses with that reason and article; what it does not offer, the service
    refuses outright (403, 409, or 404 for another expert's card)."""
    world = rubrics
    action, state, who = case
    stage, day = when
    user = _card_person(world, who)
    with transaction.atomic():
        if closed:
            Cycle.objects.filter(pk=world.cycle.pk).update(status=Cycle.Status.CLOSED)
        _phase(world.cycle, stage, phase)
        rubric = rubric_of(world, world.organization)
        submitted = state == Scorecard.State.SUBMITTED
        card = Scorecard.objects.create(
            assignment=world.assignment(world.organization, 1, stage),
            rubric=rubric,
            state=state,
            revision=3,
            submitted_at=AT if submitted else None,
        )
        ItemScore.objects.bulk_create(
            ItemScore(scorecard=card, item=item, percent=60, strengths="方法系统。")
            for item in rubric.items.all()
        )
        if confirmed:
            Consensus.objects.create(
                group=world.group(world.organization, stage),
                final=True,
                recorded_by=world.users[0],
                recorded_at=AT,
            )
        # As a request reads it.
        card = Scorecard.objects.select_related("assignment__group__application__cycle").get(
            pk=card.pk
        )
        with _on(day):
            option = workflow.CARD.allowed_actions(card, user).get(action)
            outcome: Any = "done"
            try:
                with transaction.atomic():
                    _run_card_service(action, card, rubric, user)
            except ServiceError as exc:
                outcome = exc
        target = workflow.CARD[action].target
        if outcome == "done":
            assert Scorecard.objects.get(pk=card.pk).state == (target or state)
        transaction.set_rollback(True)
    _agree(option, outcome, (action, state, who, stage, phase, day, closed, confirmed))


# --- the review phase -----------------------------------------------------------------------------

PHASE_ACTIONS = [a.name for a in workflow.PHASE_ACTIONS]
PHASE_PEOPLE = ["office", "supervisor", "committee", "expert", "outsider"]


def _ready_for_site(world: World) -> None:
    """The organization's material consensus confirmed and its visit scheduled: 现场评审 may
    open for it."""
    Application.objects.filter(pk=world.organization.pk).update(state=State.MATERIAL_REVIEW)
    Consensus.objects.create(
        group=world.group(world.organization),
        final=True,
        recorded_by=world.users[0],
        recorded_at=AT,
    )
    SiteVisit.objects.create(
        group=world.group(world.organization, SITE),
        starts_on=dt.date(2026, 7, 20),
        ends_on=dt.date(2026, 7, 21),
        place="厂区",
        scheduled_by=world.office,
    )


@pytest.mark.req("A11.1", "A17.1")
@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    case=st.sampled_from(PHASE_ACTIONS).flatmap(
        lambda action: st.tuples(
            st.just(action),
            st.one_of(
                st.sampled_from(sorted(workflow.PHASE[action].sources)),
                st.sampled_from(PHASE_STATES),
            ),
            st.one_of(st.just("office"), st.sampled_from(PHASE_PEOPLE)),
        )
    ),
    when=stage_and_day(),
    closed=YEAR_CLOSED,
)
def test_phase_pages_and_services_agree_on_every_day_state_and_person(
    world: World,
    personas: dict[str, User],
    case: tuple[str, str, str],
    when: tuple[str, dt.date],
    closed: bool,
) -> None:
    """The board's open and close buttons (or their reasons) and `open_phase`/`close_phase`
    agree, with every application in scope ready, so that only the table can refuse."""
    action, state, who = case
    stage, day = when
    user = personas[who]
    with transaction.atomic():
        if closed:
            Cycle.objects.filter(pk=world.cycle.pk).update(status=Cycle.Status.CLOSED)
        if stage == SITE:
            _ready_for_site(world)
        _phase(world.cycle, stage, state)
        cycle = Cycle.objects.prefetch_related("stages").get(pk=world.cycle.pk)
        with _on(day):
            phase = selectors.phase_or_blank(cycle, stage)
            option = workflow.PHASE.allowed_actions(phase, user).get(action)
            outcome: Any = "done"
            try:
                with transaction.atomic():
                    if action == "open":
                        services.open_phase(actor=user, cycle=cycle, stage=stage)
                    else:
                        services.close_phase(actor=user, cycle=cycle, stage=stage)
            except ServiceError as exc:
                outcome = exc
        if outcome == "done":
            moved = ReviewPhase.objects.get(cycle=cycle, stage=stage)
            assert moved.state == workflow.PHASE[action].target
        transaction.set_rollback(True)
    _agree(option, outcome, (action, state, who, stage, day, closed))


# --- the pages and the API ------------------------------------------------------------------------


@pytest.mark.req("A11.1", "A17.1")
def test_the_board_shows_the_reason_instead_of_the_button(world: World, time_machine: Any) -> None:
    board = reverse("review:board") + f"?cycle={world.cycle.pk}"
    time_machine.move_to(dt.datetime(2026, 5, 31, 10, tzinfo=CST), tick=False)
    html = client_for(world.office).get(board).content.decode()
    material = html.split('id="stage-site_review"')[0]
    assert "<strong>开放评分</strong>：材料评审自2026年6月1日开始，届时方可开放评分。" in material
    assert 'value="open"' not in material
    assert '<span class="badge state-neutral">尚未开放评分</span>' in material
    time_machine.move_to(dt.datetime(2026, 6, 1, 10, tzinfo=CST), tick=False)
    office = client_for(world.office)  # a day later: a new session
    html = office.get(board).content.decode()
    material = html.split('id="stage-site_review"')[0]
    assert 'value="open"' in material
    assert "qa-refusal" not in material
    services.open_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    material = office.get(board).content.decode().split('id="stage-site_review"')[0]
    assert 'value="close"' in material
    assert '<span class="badge state-progress">评分进行中</span>' in material
    # Supervisors read the same board: no buttons, no reasons.
    html = client_for(world.supervisor).get(board).content.decode()
    assert 'name="action"' not in html
    assert "qa-refusal" not in html


@pytest.mark.req("A17.1")
def test_the_card_and_consensus_pages_show_reasons_instead_of_buttons(
    world: World, time_machine: Any
) -> None:
    card_url = reverse("review:card", args=[world.individual.public_id, MATERIAL])
    consensus_url = reverse("review:consensus", args=[world.individual.public_id, MATERIAL])
    member, leader = client_for(world.users[1]), client_for(world.users[0])
    html = member.get(card_url).content.decode()
    assert "<strong>保存草稿、提交评分表</strong>：材料评审尚未开放评分" in html
    assert 'id="card"' not in html
    services.open_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    html = member.get(card_url).content.decode()
    assert 'id="card"' in html
    assert "提交评分表</button>" in html
    assert "qa-refusal" not in html
    card = score_and_submit(world, world.individual, 1, 70)
    reopen = reverse("review:reopen", args=[card.public_id])
    assert f'action="{reopen}"' in leader.get(consensus_url).content.decode()
    services.close_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    html = leader.get(consensus_url).content.decode()
    assert "<strong>退回评分表</strong>：材料评审评分已关闭。" in html
    assert f'action="{reopen}"' not in html
    # The service refuses with the same words and the action's article.
    with pytest.raises(ServiceError) as refused:
        services.reopen_scorecard(actor=world.users[0], scorecard=card, reason="请补充")
    assert refused.value.message == "不能退回评分表：材料评审评分已关闭。"
    assert (refused.value.code, refused.value.article) == ("outside_window", "A17.1")
    assert leader.post(reopen, {"reason": "请补充"}).status_code == 302
    assert Scorecard.objects.get(pk=card.pk).state == Scorecard.State.SUBMITTED


@pytest.mark.req("A17.1")
def test_the_actions_api_answers_what_the_pages_show(world: World) -> None:
    application = f"/applications/{world.organization.public_id}"
    mine = f"{application}/{MATERIAL}/scorecard/actions"
    member, leader = api_client("reviewer1"), api_client("reviewer0")
    before = api_call(member, "get", mine)
    assert before.status_code == 200
    assert before.json() == [
        {
            "action": "save",
            "label": "保存草稿",
            "allowed": False,
            "reason": "材料评审尚未开放评分，请等待委员会办公室通知。",
            "article": "A17.1",
        },
        {
            "action": "submit",
            "label": "提交评分表",
            "allowed": False,
            "reason": "材料评审尚未开放评分，请等待委员会办公室通知。",
            "article": "A17.1",
        },
    ]
    office = api_client("p_office")
    phase = f"/cycles/{world.cycle.public_id}/phases/{MATERIAL}"
    assert [r["action"] for r in api_call(office, "get", f"{phase}/actions").json()] == ["open"]
    assert api_call(api_client("p_supervisor"), "get", f"{phase}/actions").json() == []
    assert api_call(member, "get", f"{phase}/actions").status_code == 403
    opened = api_call(office, "post", f"{phase}/open", {})
    assert (opened.json()["state"], opened.json()["is_open"]) == ("open", True)
    rows = api_call(member, "get", mine).json()
    assert [(r["action"], r["allowed"]) for r in rows] == [("save", True), ("submit", True)]
    # Identifiers outside the Office are opaque; an expert asks about their own card only.
    assert api_call(api_client("p_supervisor"), "get", mine).status_code == 404
    card = score_and_submit(world, world.organization, 1, 60)
    assert api_call(member, "get", mine).json() == []  # submitted: the member's part is done
    theirs = f"/scorecards/{card.public_id}/actions"
    assert api_call(member, "get", theirs).status_code == 404  # not the leader
    assert api_call(api_client("reviewer2"), "get", theirs).status_code == 404
    returned = api_call(leader, "get", theirs).json()
    assert [(r["action"], r["allowed"]) for r in returned] == [("return", True)]


# --- the tables themselves ------------------------------------------------------------------------


def test_every_action_of_the_review_tables_is_well_formed() -> None:
    """Each action names real states, a known permission, a documented article and window."""
    requirements = (Path(__file__).resolve().parents[2] / "docs" / "requirements.md").read_text(
        encoding="utf-8"
    )
    for table in (workflow.CARD, workflow.PHASE):
        for action in table.actions:
            assert action.sources <= set(table.labels), action.name
            assert rules.perm_exists(action.permission), action.name
            assert action.article in requirements, action.name
            assert action.label, action.name
            assert action.window_text, action.name
            assert not action.batch, action.name


def test_the_phase_flag_became_its_state(transactional_db: None, cycle: Cycle) -> None:
    """Migration 0004: a phase open is open, one opened once and shut is closed, one never
    opened stays not opened."""
    before, after = [("review", "0003_scoring_reminder")], [("review", "0004_reviewphase_state")]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(before)
        old = executor.loader.project_state(before).apps.get_model("review", "ReviewPhase")
        old.objects.create(cycle_id=cycle.pk, stage=MATERIAL, is_open=False, opened_at=AT)
        old.objects.create(cycle_id=cycle.pk, stage=SITE, is_open=True, opened_at=AT)
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        states = dict(ReviewPhase.objects.values_list("stage", "state"))
        assert states == {MATERIAL: "closed", SITE: "open"}
        ReviewPhase.objects.filter(stage=SITE).update(state="not_opened", opened_at=None)
        executor = MigrationExecutor(connection)
        executor.migrate(before)
        old = executor.loader.project_state(before).apps.get_model("review", "ReviewPhase")
        assert dict(old.objects.values_list("stage", "is_open")) == {MATERIAL: False, SITE: False}
    finally:
        # Every app back at its latest migration: the tests after this one in the same
        # worker need the whole schema (review 0005 and later too, not only 0004).
        MigrationExecutor(connection).migrate(latest)
