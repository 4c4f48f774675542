"""Stage boundaries in the review (A11.1, A17.1): scoring only within its stage's dates, never in
a closed year; each page shows the services' own reason where a button would be refused. The
scorecard's and the phase's rules are their workflow tables' windows (tests/review/
test_workflow.py checks pages and services agree on every day); the others are raised as they
are."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import Notification
from audit.models import AuditEvent
from experts.models import ReviewGroup
from intake.models import Application, State
from lib.errors import ServiceError, StateConflict
from programs.models import Cycle, Stage
from programs.services import set_cycle_dates
from review import services
from review.models import ReviewPhase, Scorecard, SiteVisit
from tests.conftest import STAGES_2026, client_for
from tests.intake.conftest import CST
from tests.review.conftest import (
    SITE_DAY,
    World,
    agree,
    full_scores,
    rubric_of,
    score_and_submit,
)

MATERIAL = "material_review"
SITE = "site_review"
BEFORE_MATERIAL = dt.datetime(2026, 5, 20, 10, tzinfo=CST)
AFTER_MATERIAL = dt.datetime(2026, 7, 11, 10, tzinfo=CST)  # 材料评审 ended on 07-10
BEFORE_SITE = dt.datetime(2026, 7, 11, 11, tzinfo=CST)  # 现场评审 starts on 07-13
CLOSED_YEAR = "2026年度评价工作已结束，评审记录只能查阅，不能再更改。"


def _individual_card(world: World, n: int) -> Scorecard:
    return Scorecard.objects.get(assignment=world.assignment(world.individual, n))


@pytest.fixture
def midway(world: World, time_machine: Any) -> SiteVisit:
    """材料评审: the organization agreed; for the individual expert 0 has submitted and expert 1
    keeps a draft. On 07-20 the organization's visit is scheduled, 现场评审 opens and the leader
    records the visit."""
    services.open_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    agree(world, world.organization, (50, 60, 70))
    score_and_submit(world, world.individual, 0, 70)
    services.save_scorecard(
        actor=world.users[1],
        assignment=world.assignment(world.individual, 1),
        scores=full_scores(rubric_of(world, world.individual), 70),
        revision=0,
    )
    time_machine.move_to(SITE_DAY, tick=False)
    group = world.group(world.organization, SITE)
    visit = services.schedule_site_visit(
        actor=world.office,
        group=group,
        starts_on=dt.date(2026, 7, 20),
        ends_on=dt.date(2026, 7, 21),
        place="厂区",
    )
    services.open_phase(actor=world.office, cycle=world.cycle, stage=SITE)
    services.record_site_visit(actor=world.users[0], visit=visit, items_verified="4.1至4.7")
    return visit


def _close(world: World) -> None:
    """The announcement closes the year (programs.services.close_cycle); here only its result.
    The objects the world holds are read again, as a new request would."""
    Cycle.objects.filter(pk=world.cycle.pk).update(status=Cycle.Status.CLOSED)
    world.cycle.refresh_from_db()
    world.organization = Application.objects.get(pk=world.organization.pk)
    world.individual = Application.objects.get(pk=world.individual.pk)
    for key, group in world.groups.items():
        world.groups[key] = ReviewGroup.objects.get(pk=group.pk)


# --- a closed year -----------------------------------------------------------------------------


@pytest.mark.req("A11.1")
def test_nothing_of_a_closed_year_changes(world: World, midway: SiteVisit) -> None:
    services.close_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    _close(world)
    visit = SiteVisit.objects.get(pk=midway.pk)
    rubric = services.ensure_rubric(actor=world.office, cycle=world.cycle, kind="individual")
    items = [
        {"code": i.code, "category": i.category, "name": i.name, "points": i.points, "type": i.type}
        for i in rubric.items.all()
    ]
    person_scores = full_scores(rubric_of(world, world.individual), 70)
    # The phase's and the scorecard's actions: their table's window (the action's article).
    windowed: dict[str, Callable[[], Any]] = {
        "open_phase": lambda: services.open_phase(
            actor=world.office, cycle=world.cycle, stage=MATERIAL
        ),
        "close_phase": lambda: services.close_phase(
            actor=world.office, cycle=world.cycle, stage=SITE
        ),
        "save_scorecard": lambda: services.save_scorecard(
            actor=world.users[1],
            assignment=world.assignment(world.individual, 1),
            scores=person_scores,
            revision=1,
        ),
        "submit_scorecard": lambda: services.submit_scorecard(
            actor=world.users[1], scorecard=_individual_card(world, 1)
        ),
        "reopen_scorecard": lambda: services.reopen_scorecard(
            actor=world.users[0], scorecard=_individual_card(world, 0), reason="请补充"
        ),
    }
    # The others: the rule's own refusal (code cycle_closed, A11.1).
    ruled: dict[str, Callable[[], Any]] = {
        "save_consensus": lambda: services.save_consensus(
            actor=world.users[0],
            group=world.group(world.individual),
            items=person_scores,
            revision=0,
        ),
        "schedule_site_visit": lambda: services.schedule_site_visit(
            actor=world.office,
            group=world.group(world.organization, SITE),
            starts_on=dt.date(2026, 7, 27),
            ends_on=dt.date(2026, 7, 28),
            place="厂区",
        ),
        "record_site_visit": lambda: services.record_site_visit(
            actor=world.users[0], visit=visit, items_verified="4.1"
        ),
        "file_supervisor_report": lambda: services.file_supervisor_report(
            actor=world.supervisor, visit=visit, group_conduct="守纪", applicant_conduct="配合"
        ),
        "give_feedback": lambda: services.give_feedback(
            actor=world.applicant,
            application=world.organization,
            direction="of_group",
            work_quality=5,
            integrity=5,
        ),
        "save_rubric": lambda: services.save_rubric(
            actor=world.office,
            cycle=world.cycle,
            kind="individual",
            categories=rubric.categories,
            items=items,
        ),
        "evaluate": lambda: services.evaluate(actor=world.office, cycle=world.cycle),
    }
    events, messages = AuditEvent.objects.count(), Notification.objects.count()
    for name, action in windowed.items():
        with pytest.raises(ServiceError) as refused:
            action()
        assert refused.value.code == "outside_window", name
        assert refused.value.message.endswith("：" + CLOSED_YEAR), name
        assert refused.value.article == "A17.1"
    for name, action in ruled.items():
        with pytest.raises(StateConflict) as conflict:
            action()
        assert conflict.value.code == "cycle_closed", name
        assert conflict.value.message == CLOSED_YEAR
        assert conflict.value.article == "A11.1"
    assert (AuditEvent.objects.count(), Notification.objects.count()) == (events, messages)
    assert _individual_card(world, 0).state == Scorecard.State.SUBMITTED
    assert ReviewPhase.objects.get(stage=SITE).state == "open"  # left as the year ended


@pytest.mark.req("A11.1")
def test_a_closed_year_shows_its_reason_instead_of_every_button(
    world: World, midway: SiteVisit, personas: dict[str, Any]
) -> None:
    _close(world)
    reason = CLOSED_YEAR + "（《办法》第十一条）"  # a rule's own refusal, as its page cites it
    office = client_for(world.office)
    html = office.get(reverse("review:board") + f"?cycle={world.cycle.pk}").content.decode()
    assert 'name="action"' not in html
    assert reverse("review:schedule", args=[world.group(world.organization, SITE).pk]) not in html
    # Close material, close site (the phase's table), evaluate (the visit is recorded).
    assert html.count("关闭评分</strong>：" + CLOSED_YEAR) == 2
    assert html.count(reason) == 1
    rubric = office.get(reverse("review:rubric", args=[world.cycle.pk, "individual"]))
    assert reason in rubric.content.decode()
    assert 'name="item_code"' not in rubric.content.decode()

    public_id = world.individual.public_id
    card = client_for(world.users[1]).get(reverse("review:card", args=[public_id, MATERIAL]))
    assert "保存草稿、提交评分表</strong>：" + CLOSED_YEAR in card.content.decode()
    assert 'name="revision"' not in card.content.decode()
    consensus = client_for(world.users[0]).get(
        reverse("review:consensus", args=[public_id, MATERIAL])
    )
    html = consensus.content.decode()
    assert reason in html
    assert "退回评分表</strong>：" + CLOSED_YEAR in html
    assert 'value="confirm"' not in html
    assert reverse("review:reopen", args=[_individual_card(world, 0).public_id]) not in html

    site = reverse("review:site", args=[world.organization.public_id])
    html = client_for(world.users[0]).get(site).content.decode()
    assert reason in html
    assert reverse("review:site_record", args=[world.organization.public_id]) not in html
    html = client_for(world.supervisor).get(site).content.decode()
    assert reason in html
    assert reverse("review:site_report", args=[world.organization.public_id]) not in html
    feedback = reverse("review:feedback", args=[world.organization.public_id])
    html = client_for(world.applicant).get(feedback).content.decode()
    assert reason in html
    assert 'name="work_quality"' not in html


# --- a stage's dates -----------------------------------------------------------------------------


@pytest.mark.req("A11.1", "A17.1")
def test_scoring_opens_only_within_the_stage_dates(world: World, time_machine: Any) -> None:
    time_machine.move_to(BEFORE_MATERIAL, tick=False)
    with pytest.raises(ServiceError, match="材料评审自2026年6月1日开始，届时方可开放评分") as e:
        services.open_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    assert (e.value.code, e.value.article) == ("outside_window", "A17.1")
    time_machine.move_to(AFTER_MATERIAL, tick=False)
    with pytest.raises(ServiceError, match="不能开放评分：材料评审已于2026年7月10日结束"):
        services.open_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    assert not ReviewPhase.objects.exists()
    assert set(Application.objects.values_list("state", flat=True)) == {State.ACCEPTED}

    time_machine.move_to(dt.datetime(2026, 6, 2, 10, tzinfo=CST), tick=False)
    services.open_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    services.close_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    # Re-opening after the stage's last day (what happened to 2025) is refused ...
    time_machine.move_to(AFTER_MATERIAL, tick=False)
    with pytest.raises(ServiceError, match="如需延长，请先在年度管理中修改材料评审的日期"):
        services.open_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    assert ReviewPhase.objects.get(stage=MATERIAL).state == "closed"
    # ... an extension is a change of the year's dates, with a reason, audited.
    dates = dict(STAGES_2026) | {Stage.MATERIAL_REVIEW: (dt.date(2026, 6, 1), dt.date(2026, 7, 17))}
    dates[Stage.SITE_REVIEW] = (dt.date(2026, 7, 20), dt.date(2026, 9, 11))
    set_cycle_dates(actor=world.office, cycle=world.cycle, dates=dates, reason="材料较多，延长一周")
    reopened = services.open_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    assert reopened.state == "open"


@pytest.mark.req("A11.1", "A17.1")
def test_site_scoring_waits_for_its_stage(world: World, time_machine: Any) -> None:
    services.open_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    agree(world, world.organization, (50, 60, 70))
    time_machine.move_to(BEFORE_SITE, tick=False)
    services.schedule_site_visit(
        actor=world.office,
        group=world.group(world.organization, SITE),
        starts_on=dt.date(2026, 7, 20),
        ends_on=dt.date(2026, 7, 21),
        place="厂区",
    )
    with pytest.raises(ServiceError, match="现场评审自2026年7月13日开始，届时方可开放评分"):
        services.open_phase(actor=world.office, cycle=world.cycle, stage=SITE)
    assert not ReviewPhase.objects.filter(stage=SITE).exists()


@pytest.mark.req("A11.1", "A17.1")
def test_cards_and_consensus_stop_when_the_stage_ends(world: World, time_machine: Any) -> None:
    services.open_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    for n in (0, 1, 2):
        score_and_submit(world, world.individual, n, 70)
    draft = services.save_scorecard(
        actor=world.users[1],
        assignment=world.assignment(world.organization, 1),
        scores=full_scores(rubric_of(world, world.organization), 60),
        revision=0,
    )
    time_machine.move_to(AFTER_MATERIAL, tick=False)
    deadline = "材料评审评分已于2026年7月10日截止"
    with pytest.raises(ServiceError, match="不能提交评分表：" + deadline):
        services.submit_scorecard(actor=world.users[1], scorecard=draft)
    # Returning a card the member could never submit again is refused too.
    with pytest.raises(ServiceError, match="不能退回评分表：" + deadline):
        services.reopen_scorecard(
            actor=world.users[0], scorecard=_individual_card(world, 2), reason="请补充证据"
        )
    assert _individual_card(world, 2).state == Scorecard.State.SUBMITTED
    with pytest.raises(StateConflict, match="材料评审已于2026年7月10日结束，专家组共识不能再记录"):
        services.save_consensus(
            actor=world.users[0],
            group=world.group(world.individual),
            items=full_scores(rubric_of(world, world.individual), 70),
            final=True,
            revision=0,
        )
    assert not hasattr(world.group(world.individual), "consensus")


@pytest.mark.req("A11.1", "A17.1")
def test_the_pages_show_the_stage_reason_instead_of_the_buttons(
    world: World, time_machine: Any
) -> None:
    services.open_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    for n in (0, 1, 2):
        score_and_submit(world, world.individual, n, 70)
    services.close_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    time_machine.move_to(AFTER_MATERIAL, tick=False)
    board = client_for(world.office).get(reverse("review:board") + f"?cycle={world.cycle.pk}")
    material = board.content.decode().split('id="stage-site_review"')[0]
    assert "开放评分</strong>：材料评审已于2026年7月10日结束；如需延长" in material
    assert 'value="open"' not in material

    public_id = world.individual.public_id
    leader = client_for(world.users[0])
    html = leader.get(reverse("review:consensus", args=[public_id, MATERIAL])).content.decode()
    assert "材料评审已于2026年7月10日结束，专家组共识不能再记录或修改" in html
    assert 'value="confirm"' not in html
    assert html.count("退回评分表</strong>：材料评审评分已关闭。") == 3
    card = leader.get(reverse("review:card", args=[world.organization.public_id, MATERIAL]))
    html = card.content.decode()
    assert "保存草稿、提交评分表</strong>：材料评审评分已关闭。" in html
    assert 'name="revision"' not in html
