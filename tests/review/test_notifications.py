"""Whom the review tells (inbox and e-mail, `accounts.services.notify`, in the action's
transaction): experts when assigned, when their stage's scoring opens, when a card is returned and
3 working days before a scoring deadline (`remind_experts`, once per card and deadline); the
organization and the group's supervisor when a site visit is scheduled (A17.1, A27.1, A28.1)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command

from accounts.models import Notification, Organization, User
from experts import services as experts
from intake.models import Application, State
from lib.errors import StateConflict
from programs.models import Cycle
from review import services
from review.models import ScoringReminder
from tests.intake.conftest import CST
from tests.review.conftest import (
    SITE_DAY,
    World,
    agree,
    full_scores,
    rubric_of,
    score_and_submit,
)
from tests.review.test_office import extra_organization

MATERIAL = "material_review"
SITE = "site_review"


def _sent(subject: str = "") -> dict[User, list[Notification]]:
    """The messages by recipient (those whose subject contains `subject`)."""
    found: dict[User, list[Notification]] = {}
    messages = Notification.objects.filter(subject__contains=subject)
    for n in messages.select_related("user").order_by("pk"):
        found.setdefault(n.user, []).append(n)
    return found


@pytest.fixture
def inbox(world: World) -> None:
    """Start from an empty inbox: the world's own setup told people things already."""
    Notification.objects.all().delete()
    mail.outbox.clear()


# --- experts -------------------------------------------------------------------------------------


@pytest.mark.req("A17.1")
def test_an_expert_assigned_by_hand_is_told_the_application_stage_and_dates(
    world: World, inbox: None
) -> None:
    application = extra_organization(world, 7)  # three hand assignments per stage
    sent = _sent()
    assert set(sent) == set(world.users)
    for user in world.users:
        subjects = [n.subject for n in sent[user]]
        assert subjects == ["评审任务：2026年度材料评审", "评审任务：2026年度现场评审"]
        material, site = sent[user]
        assert application.applicant_name in material.body
        assert "2026年6月1日至2026年7月10日" in material.body
        assert "2026年7月13日至2026年9月11日" in site.body
        assert material.url == "/experts/mine/"


@pytest.mark.req("A17.1")
def test_a_proposal_tells_each_newly_assigned_expert_once(world: World, inbox: None) -> None:
    organization = Organization.objects.create(
        uscc="91320682MA1XYK888X",
        name="如皋新申报有限公司",
        recommending_unit=world.organization.recommending_unit,
        industry_code="34",
        established_on=dt.date(2012, 5, 18),
    )
    newcomer = Application.objects.create(
        cycle=world.cycle,
        kind="organization",
        organization=organization,
        recommending_unit=organization.recommending_unit,
        state=State.ACCEPTED,
        created_by=world.office,
    )
    experts.propose_groups(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    sent = _sent()
    # Every expert gets the newcomer; nobody hears again of the groups they already sat in.
    assert set(sent) == set(world.users)
    for user in world.users:
        (message,) = sent[user]
        assert newcomer.applicant_name in message.body
        assert world.organization.applicant_name not in message.body
        assert "材料评审（2026年6月1日至2026年7月10日）" in message.body
    experts.propose_groups(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    assert Notification.objects.count() == 3  # nothing new, nothing said


@pytest.mark.req("A17.1")
def test_opening_scoring_tells_the_stage_members_and_nobody_else(
    world: World, inbox: None, personas: dict[str, User]
) -> None:
    services.open_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    sent = _sent("已开放评分")
    assert set(sent) == set(world.users)
    # The applicants hear of their application's move from its transition table, not from here.
    assert not set(_sent()) & {world.supervisor, world.office}
    for user in world.users:
        (message,) = sent[user]
        assert message.subject == "2026年度材料评审已开放评分"
        assert "材料评审（2026年6月1日至2026年7月10日）已开放评分，评分截止2026年7月10日" in (
            message.body
        )
        assert world.organization.applicant_name in message.body
        assert "李娜" in message.body
    assert len(mail.outbox) == 0  # the test users have no e-mail address; the inbox has it


@pytest.mark.req("A17.1")
def test_site_scoring_tells_only_the_site_groups(
    world: World, inbox: None, time_machine: Any
) -> None:
    services.open_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    agree(world, world.organization, (50, 60, 70))
    time_machine.move_to(SITE_DAY, tick=False)
    services.schedule_site_visit(
        actor=world.office,
        group=world.group(world.organization, SITE),
        starts_on=dt.date(2026, 7, 20),
        ends_on=dt.date(2026, 7, 21),
        place="厂区",
    )
    Notification.objects.all().delete()
    services.open_phase(actor=world.office, cycle=world.cycle, stage=SITE)
    sent = _sent("已开放评分")
    assert set(sent) == set(world.users)
    for user in world.users:
        (message,) = sent[user]
        assert "现场评审（2026年7月13日至2026年9月11日）已开放评分" in message.body
        assert world.organization.applicant_name in message.body
        assert "李娜" not in message.body  # individuals have no site review


@pytest.mark.req("A17.1")
def test_a_returned_card_tells_its_expert_why_and_until_when(world: World, inbox: None) -> None:
    services.open_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    card = score_and_submit(world, world.individual, 2, 70)
    Notification.objects.all().delete()
    services.reopen_scorecard(actor=world.users[0], scorecard=card, reason="4.2条缺少证据")
    sent = _sent()
    assert set(sent) == {world.users[2]}
    (message,) = sent[world.users[2]]
    assert message.subject == "评分表被退回：李娜材料评审"
    assert "赵强退回了您对李娜的材料评审评分表，理由：4.2条缺少证据" in message.body
    assert "2026年7月10日前重新提交" in message.body
    assert message.url == f"/review/{world.individual.public_id}/material_review/card/"


# --- the site visit -----------------------------------------------------------------------------


@pytest.mark.req("A17.1", "A27.1")
def test_a_scheduled_visit_tells_the_organization_and_the_supervisor_the_dates(
    world: World, inbox: None, time_machine: Any
) -> None:
    time_machine.move_to(SITE_DAY, tick=False)
    group = world.group(world.organization, SITE)
    services.schedule_site_visit(
        actor=world.office,
        group=group,
        starts_on=dt.date(2026, 7, 22),
        ends_on=dt.date(2026, 7, 23),
        place="一号会议室",
    )
    sent = _sent()
    assert set(sent) == {world.applicant, world.supervisor}
    (told,) = sent[world.applicant]
    assert told.subject == "现场评审安排：2026年7月22日"
    assert "现场评审安排在2026年7月22日至2026年7月23日，地点：一号会议室" in told.body
    assert told.url == f"/applications/{world.organization.public_id}/"
    (supervising,) = sent[world.supervisor]
    assert "您是如皋示例机械有限公司2026年度现场评审的评审监督员" in supervising.body
    assert "2026年7月22日至2026年7月23日" in supervising.body
    assert supervising.url == f"/review/{world.organization.public_id}/site/"

    Notification.objects.all().delete()
    services.schedule_site_visit(
        actor=world.office,
        group=group,
        starts_on=dt.date(2026, 7, 27),
        ends_on=dt.date(2026, 7, 27),
        place="一号会议室",
    )
    sent = _sent()
    assert set(sent) == {world.applicant, world.supervisor}
    assert sent[world.applicant][0].subject == "现场评审改期：2026年7月27日"
    assert "现场评审调整为2026年7月27日，" in sent[world.applicant][0].body


def test_a_refused_schedule_tells_nobody(world: World, inbox: None) -> None:
    Cycle.objects.filter(pk=world.cycle.pk).update(status=Cycle.Status.CLOSED)
    group = world.group(world.organization, SITE)
    group.application = Application.objects.get(pk=world.organization.pk)
    with pytest.raises(StateConflict):
        services.schedule_site_visit(
            actor=world.office,
            group=group,
            starts_on=dt.date(2026, 7, 22),
            ends_on=dt.date(2026, 7, 23),
            place="一号会议室",
        )
    assert not Notification.objects.exists()


# --- reminders before the deadline -------------------------------------------------------------


def _at(day: str) -> dt.date:
    return dt.date.fromisoformat(day)


@pytest.mark.req("A17.1")
def test_experts_still_scoring_are_reminded_three_working_days_before_the_deadline(
    world: World, inbox: None, time_machine: Any
) -> None:
    services.open_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    agree(world, world.organization, (50, 60, 70))  # everybody submitted the organization
    score_and_submit(world, world.individual, 0, 70)  # the leader submitted 李娜 too
    services.save_scorecard(
        actor=world.users[1],
        assignment=world.assignment(world.individual, 1),
        scores=full_scores(rubric_of(world, world.individual), 70),
        revision=0,
    )
    Notification.objects.all().delete()
    # Deadline Friday 07-10: on Monday 07-06 four working days remain after the day.
    assert services.send_scoring_reminders(_at("2026-07-06")) == (0, [])
    assert not Notification.objects.exists()
    assert services.send_scoring_reminders(_at("2026-07-07")) == (2, [])
    sent = _sent()
    assert set(sent) == {world.users[1], world.users[2]}  # a draft, and a card never opened
    for user in (world.users[1], world.users[2]):
        (message,) = sent[user]
        assert message.subject == "评分截止提醒：材料评审2026年7月10日截止"
        assert "评分将于2026年7月10日（含当日）截止" in message.body
        assert "李娜" in message.body
        assert world.organization.applicant_name not in message.body
    assert ScoringReminder.objects.count() == 2
    # Running again, the same day or the next, sends nothing twice.
    assert services.send_scoring_reminders(_at("2026-07-07")) == (0, [])
    assert services.send_scoring_reminders(_at("2026-07-09")) == (0, [])
    assert Notification.objects.count() == 2
    # After the deadline nothing is sent.
    assert services.send_scoring_reminders(_at("2026-07-11")) == (0, [])


@pytest.mark.req("A17.1")
def test_remind_experts_runs_from_cron_once(world: World, inbox: None, time_machine: Any) -> None:
    services.open_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    Notification.objects.all().delete()
    time_machine.move_to(dt.datetime(2026, 7, 8, 8, tzinfo=CST), tick=False)
    out = io.StringIO()
    call_command("remind_experts", stdout=out)
    assert "已提醒3位专家" in out.getvalue()
    call_command("remind_experts", stdout=out)
    assert "已提醒0位专家" in out.getvalue()
    assert {n.user for n in Notification.objects.all()} == set(world.users)
    assert Notification.objects.count() == 3
    for n in Notification.objects.all():
        assert world.organization.applicant_name in n.body
        assert "李娜" in n.body


def test_closed_phases_and_years_are_not_reminded(world: World, inbox: None) -> None:
    services.open_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    Notification.objects.all().delete()
    services.close_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    assert services.send_scoring_reminders(_at("2026-07-08")) == (0, [])
    services.open_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    Notification.objects.all().delete()
    Cycle.objects.filter(pk=world.cycle.pk).update(status=Cycle.Status.CLOSED)
    assert services.send_scoring_reminders(_at("2026-07-08")) == (0, [])
    assert not Notification.objects.exists()
