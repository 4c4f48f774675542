"""Cycles: one per year, the stages of article 11 in order, the notice in working days, the call."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import User
from audit.models import AuditEvent
from lib.errors import PermissionDenied, ServiceError, StateConflict
from programs.models import Announcement, AwardProgram, Cycle, CycleStage, Policy, Stage
from programs.services import create_cycle, publish_call, set_cycle_dates
from tests.conftest import STAGES_2026, client_for


# Only the requirements that *are* policy numbers: A5.2 ("quotas are policy values") and
# A10.1 (1000 points). The rules that use the other numbers are proved where they act.
@pytest.mark.req("A5.2", "A10.1")
def test_policy_2021_holds_every_number_of_the_measures(policy: Policy) -> None:
    numbers = {
        "quota_organization_award": 2,
        "quota_organization_nomination": 2,
        "quota_individual_award": 1,
        "total_points": 1000,
        "weight_material_organization": 30,
        "weight_site_organization": 70,
        "weight_material_individual": 100,
        "bonus_organization_award": 200_000,
        "bonus_organization_nomination": 100_000,
        "bonus_individual_award": 0,
        "notice_working_days": 5,
        "min_operation_years": 5,
        "min_gbt19580_years": 2,
        "lookback_years": 3,
        "reapply_gap_years": 3,
        "report_deadline_days": 30,
        "report_duty_years": 3,
        "fraud_ban_years": 3,
        "credit_list_years": 3,
        "personal_data_retention_years": 3,
        "nomination_waits": False,
        "min_environmental_rating": "blue",
    }
    assert {k: getattr(policy, k) for k in numbers} == numbers
    assert policy.effective_on == dt.date(2021, 6, 8)


def test_policy_weights_must_sum_to_whole(policy: Policy) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Policy.objects.filter(pk=policy.pk).update(weight_site_organization=60)


@pytest.mark.req("A5.1", "A6.2", "A3.1")
def test_create_cycle_opens_a_draft_and_audits_it(program: AwardProgram, office: User) -> None:
    cycle = create_cycle(actor=office, program=program, year=2026)
    assert cycle.status == Cycle.Status.DRAFT
    assert cycle.policy.document_number.startswith("如皋市人民政府")
    event = AuditEvent.objects.get(action="programs.cycle.create")
    assert (event.actor, event.role, event.object_id) == (office, "office", str(cycle.pk))
    assert event.after == {"year": 2026, "policy": cycle.policy.document_number, "status": "draft"}


@pytest.mark.req("A5.1")
def test_create_cycle_refuses_a_second_cycle_for_the_same_year(
    program: AwardProgram, office: User
) -> None:
    create_cycle(actor=office, program=program, year=2026)
    with pytest.raises(StateConflict, match="每年评定一次") as exc:
        create_cycle(actor=office, program=program, year=2026)
    assert exc.value.article == "A5.1"
    assert Cycle.objects.count() == 1
    assert AuditEvent.objects.filter(action="programs.cycle.create").count() == 1


@pytest.mark.req("A6.2")
@pytest.mark.parametrize(
    "role",
    ["applicant", "recommender", "expert", "supervisor", "committee", "sysadmin", "auditadmin"],
)
def test_only_the_office_creates_cycles(
    program: AwardProgram, personas: dict[str, User], role: str
) -> None:
    with pytest.raises(PermissionDenied):
        create_cycle(actor=personas[role], program=program, year=2026)
    assert not Cycle.objects.exists()


@pytest.mark.req("A11.1")
def test_set_dates_stores_all_eight_stages_in_order(cycle: Cycle) -> None:
    rows = CycleStage.objects.filter(cycle=cycle).order_by("starts_on")
    assert [r.stage for r in rows] == [s.value for s in Stage]
    assert [str(s.label) for s in Stage] == [
        "申报推荐",
        "资格审查",
        "材料评审",
        "现场评审",
        "综合评价",
        "审定",
        "公示",
        "批准",
    ]


@pytest.mark.req("A11.1")
def test_set_dates_refuses_a_missing_stage(program: AwardProgram, office: User) -> None:
    cycle = create_cycle(actor=office, program=program, year=2026)
    dates = dict(STAGES_2026)
    del dates[Stage.SITE_REVIEW]
    with pytest.raises(ServiceError, match="现场评审") as exc:
        set_cycle_dates(actor=office, cycle=cycle, dates=dates)
    assert exc.value.article == "A11.1"
    assert not cycle.stages.exists()


@pytest.mark.req("A11.1")
def test_set_dates_refuses_stages_out_of_order(program: AwardProgram, office: User) -> None:
    cycle = create_cycle(actor=office, program=program, year=2026)
    dates = dict(STAGES_2026)
    dates[Stage.QUALIFICATION] = (
        dt.date(2026, 4, 20),
        dt.date(2026, 5, 29),
    )  # before 申报推荐 ends
    with pytest.raises(ServiceError) as exc:
        set_cycle_dates(actor=office, cycle=cycle, dates=dates)
    assert exc.value.article == "A11.1"
    assert "资格审查" in exc.value.fields["qualification"][0]
    assert "申报推荐" in exc.value.fields["qualification"][0]


@pytest.mark.req("A20.1")
def test_set_dates_refuses_a_notice_shortened_by_national_day(
    program: AwardProgram, office: User
) -> None:
    """2026-09-28..10-08 spans 11 calendar days but only 4 working days (10-01..10-07 off)."""
    cycle = create_cycle(actor=office, program=program, year=2026)
    dates = dict(STAGES_2026)
    dates[Stage.EVALUATION] = (dt.date(2026, 9, 14), dt.date(2026, 9, 18))
    dates[Stage.COMMITTEE_REVIEW] = (dt.date(2026, 9, 21), dt.date(2026, 9, 25))
    dates[Stage.NOTICE] = (dt.date(2026, 9, 28), dt.date(2026, 10, 8))
    with pytest.raises(ServiceError, match="仅含4个工作日") as exc:
        set_cycle_dates(actor=office, cycle=cycle, dates=dates)
    assert exc.value.article == "A20.1"
    assert "第二十条" in exc.value.message
    dates[Stage.NOTICE] = (dt.date(2026, 9, 28), dt.date(2026, 10, 9))  # + the 5th working day
    set_cycle_dates(actor=office, cycle=cycle, dates=dates)
    assert cycle.stages.get(stage=Stage.NOTICE).ends_on == dt.date(2026, 10, 9)


@pytest.mark.req("A20.1")
def test_set_dates_in_an_unknown_year_is_a_clear_error(program: AwardProgram, office: User) -> None:
    cycle = create_cycle(actor=office, program=program, year=2027)
    dates = {s: (a.replace(year=2027), b.replace(year=2027)) for s, (a, b) in STAGES_2026.items()}
    with pytest.raises(ServiceError, match="2027年") as exc:
        set_cycle_dates(actor=office, cycle=cycle, dates=dates)
    assert "放假安排" in exc.value.fields["notice"][0]


def test_set_dates_after_publishing_needs_a_reason(cycle: Cycle, office: User) -> None:
    publish_call(actor=office, cycle=cycle)
    dates = dict(STAGES_2026)
    dates[Stage.APPROVAL] = (dt.date(2026, 12, 2), dt.date(2026, 12, 30))
    with pytest.raises(ServiceError, match="理由"):
        set_cycle_dates(actor=office, cycle=cycle, dates=dates)
    set_cycle_dates(actor=office, cycle=cycle, dates=dates, reason="市政府会议改期")
    event = AuditEvent.objects.filter(action="programs.cycle.set_dates").last()
    assert event is not None
    assert event.reason == "市政府会议改期"
    assert (event.before or {})["approval"] == ["2026-12-02", "2026-12-31"]
    assert (event.after or {})["approval"] == ["2026-12-02", "2026-12-30"]


@pytest.mark.req("A15.1", "A3.1")
def test_publish_call_makes_a_public_announcement_with_the_dates(
    cycle: Cycle, office: User
) -> None:
    announcement = publish_call(actor=office, cycle=cycle)
    cycle.refresh_from_db()
    assert cycle.status == Cycle.Status.PUBLISHED
    assert cycle.published_at is not None
    assert announcement.kind == Announcement.Kind.CALL
    assert announcement.title == "关于开展2026年度如皋市市长质量奖申报工作的通知"
    assert "申报推荐：2026年3月2日至2026年4月30日" in announcement.body
    assert "公示：2026年11月25日至2026年12月1日" in announcement.body
    assert "不收取任何费用" in announcement.body
    event = AuditEvent.objects.get(action="programs.cycle.publish")
    assert event.before == {"status": "draft"}
    assert event.after == {"status": "published", "announcement": str(announcement.public_id)}


@pytest.mark.req("A15.1")
def test_publish_call_twice_publishes_once(cycle: Cycle, office: User) -> None:
    publish_call(actor=office, cycle=cycle)
    stale = Cycle.objects.get(pk=cycle.pk)
    stale.status = Cycle.Status.DRAFT  # a second clerk's page still shows the draft
    with pytest.raises(StateConflict, match="已发布申报通知"):
        publish_call(actor=office, cycle=stale)
    assert Announcement.objects.count() == 1
    assert AuditEvent.objects.filter(action="programs.cycle.publish").count() == 1


@pytest.mark.req("A15.1")
def test_publish_call_refuses_a_cycle_without_dates(program: AwardProgram, office: User) -> None:
    cycle = create_cycle(actor=office, program=program, year=2026)
    with pytest.raises(ServiceError, match="不能发布申报通知：尚未设置第十一条各阶段日期") as exc:
        publish_call(actor=office, cycle=cycle)
    assert (exc.value.code, exc.value.article) == ("outside_window", "A15.1")
    assert Cycle.objects.get().status == Cycle.Status.DRAFT


@pytest.mark.req("A15.1", "A3.1")
def test_home_page_shows_the_published_timeline_and_call(cycle: Cycle, office: User) -> None:
    announcement = publish_call(actor=office, cycle=cycle)
    html = client_for(None).get(reverse("programs:home")).content.decode()
    html = html[html.index('id="main"') :]  # the page, not the header's links
    positions = [html.index(str(stage.label)) for stage in Stage]
    assert positions == sorted(positions)
    assert "2026年3月2日" in html
    assert announcement.title in html
    detail = client_for(None).get(reverse("programs:announcement", args=[announcement.public_id]))
    assert "2026年4月30日" in detail.content.decode()


def test_home_page_hides_a_draft_cycle(cycle: Cycle) -> None:
    html = client_for(None).get(reverse("programs:home")).content.decode()
    assert "申报通知尚未发布" in html
    assert "2026年3月2日" not in html


@pytest.mark.req("A20.1")
def test_home_page_counts_working_days_left_in_the_current_stage(
    cycle: Cycle, office: User, time_machine
) -> None:
    publish_call(actor=office, cycle=cycle)
    time_machine.move_to(
        dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    )
    html = client_for(None).get(reverse("programs:home")).content.decode()
    # 公示 2026-11-25..12-01: on Saturday 11-28, Monday 11-30 and Tuesday 12-01 remain.
    assert "剩余2个工作日" in html


def test_home_page_query_count_is_constant(
    cycle: Cycle, office: User, django_assert_max_num_queries
) -> None:
    publish_call(actor=office, cycle=cycle)
    with django_assert_max_num_queries(8):
        client_for(None).get(reverse("programs:home"))
