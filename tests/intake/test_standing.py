"""An applicant's standing, in one place (`intake/standing.py`): when a past winner may apply
again, who is a re-winner, what bonus is due, and the last days of a ban, a credit entry and the
duty to report (A21.1, A23.1, A24.1, A29.1), every number from the policy. The eligibility rule,
the decision stage and the supervision stage ask these functions, so they agree."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from accounts.models import Organization, User
from intake import eligibility, schema, standing
from intake.models import Ban
from programs.models import Policy
from supervision import services as supervision_services
from tests.intake.conftest import complete_form

REFERENCE = dt.date(2026, 3, 2)
LEAP_WIN = dt.date(2024, 2, 29)
DAYS = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 12, 31))
YEARS = st.integers(min_value=1, max_value=10)
FORM = schema.parse(complete_form())


def _policy(**numbers: Any) -> Policy:
    """The 2021 numbers (the model's defaults), some changed: no database needed."""
    return Policy(**numbers)


def _held(level: str, announced_on: dt.date) -> eligibility.HeldAward:
    return eligibility.HeldAward(announced_on.year, level, announced_on)


def _reapply_rule(
    policy: Policy, awards: list[eligibility.HeldAward], on: dt.date
) -> eligibility.Finding:
    ctx = eligibility.Context(
        form=FORM,
        policy=policy,
        division_code="320682",
        reference=on,
        organization=Organization(name="示例公司", uscc="91320682MA1XYK1235"),
        awards=awards,
    )
    outcome, message, evidence = eligibility.RULES_BY_KEY["a24_reapply"].check(ctx)
    return eligibility.Finding("a24_reapply", "A24.1", outcome, message, evidence)


# --- the arithmetic of full years ---------------------------------------------------------------


@pytest.mark.req("A24.1", "A29.1", "A23.1")
@settings(max_examples=300, deadline=None)
@given(day=DAYS, years=YEARS)
@example(day=LEAP_WIN, years=3)
@example(day=LEAP_WIN, years=4)
def test_full_years_end_on_the_same_date_or_after_28_february(day: dt.date, years: int) -> None:
    end = standing.after_full_years(day, years)
    assert end.year == day.year + years
    if (day.month, day.day) == (2, 29) and end.day != 29:
        # 《民法典》第二百零二条: no 29 February, the period's last day is the month's end.
        assert end - dt.timedelta(days=1) == dt.date(end.year, 2, 28)
        assert end == dt.date(end.year, 3, 1)
    else:
        assert (end.month, end.day) == (day.month, day.day)
    # Never shorter than `years` common years, never longer than `years` leap years.
    assert 365 * years <= (end - day).days <= 366 * years


@pytest.mark.req("A24.1")
@settings(max_examples=200, deadline=None)
@given(first=DAYS, second=DAYS, years=YEARS)
def test_a_later_start_never_ends_earlier(first: dt.date, second: dt.date, years: int) -> None:
    early, late = sorted([first, second])
    assert standing.after_full_years(early, years) <= standing.after_full_years(late, years)


def test_a_win_announced_on_a_leap_day() -> None:
    policy = _policy()
    award = _held("award", LEAP_WIN)
    assert standing.reapply_from(award, policy) == dt.date(2027, 3, 1)
    assert standing.duty_ends(LEAP_WIN, policy) == dt.date(2027, 2, 28)
    assert standing.ban_ends(LEAP_WIN, policy) == dt.date(2027, 2, 28)
    assert standing.credit_list_ends(LEAP_WIN, policy) == dt.date(2027, 2, 28)
    assert standing.reapply_from(award, _policy(reapply_gap_years=4)) == dt.date(2028, 2, 29)
    assert _reapply_rule(policy, [award], dt.date(2027, 2, 28)).outcome == "fail"
    assert _reapply_rule(policy, [award], dt.date(2027, 3, 1)).outcome == "pass"


# --- A24.1: when a past winner may apply again --------------------------------------------------


@pytest.mark.req("A24.1")
@settings(max_examples=200, deadline=None)
@given(announced=DAYS, gap=YEARS, offset=st.integers(min_value=-800, max_value=800))
@example(announced=LEAP_WIN, gap=3, offset=0)
@example(announced=LEAP_WIN, gap=3, offset=-1)
def test_the_rule_refuses_exactly_until_the_reapplication_date(
    announced: dt.date, gap: int, offset: int
) -> None:
    policy = _policy(reapply_gap_years=gap)
    award = _held("award", announced)
    again = standing.reapply_from(award, policy)
    assert again == standing.after_full_years(announced, gap)
    on = again + dt.timedelta(days=offset)
    finding = _reapply_rule(policy, [award], on)
    assert finding.outcome == ("fail" if on < again else "pass")
    if finding.outcome == "fail":
        assert f"未满{gap}年" in finding.message
        assert f"{again:%Y年%m月%d日}起方可重新申报" in finding.message
    else:
        assert "再次获奖不占用名额、不颁发奖金（第二十四条）" in finding.message


@pytest.mark.req("A24.1")
def test_the_gap_is_the_policys(policy: Policy) -> None:
    award = _held("award", dt.date(2023, 3, 2))
    assert _reapply_rule(policy, [award], REFERENCE).outcome == "pass"
    policy.reapply_gap_years = 4
    assert _reapply_rule(policy, [award], REFERENCE).outcome == "fail"
    assert standing.reapply_from(award, policy) == dt.date(2027, 3, 2)


@pytest.mark.req("A24.1")
def test_a_nomination_winner_need_not_wait_unless_the_policy_says_so() -> None:
    nomination = _held("nomination", dt.date(2025, 12, 20))
    as_written = _policy()
    assert as_written.nomination_waits is False  # the 2021 Measures as written
    assert standing.reapply_from(nomination, as_written) == dt.date(2025, 12, 20)
    finding = _reapply_rule(as_written, [nomination], REFERENCE)
    assert finding.outcome == "pass"
    assert "无须等待" in finding.message
    assert "获市长质量奖的按首次获奖颁发奖金" in finding.message
    assert standing.reapply_year(nomination, as_written, (3, 2)) == 2026

    stricter = _policy(nomination_waits=True)
    assert standing.reapply_from(nomination, stricter) == dt.date(2028, 12, 20)
    refused = _reapply_rule(stricter, [nomination], REFERENCE)
    assert refused.outcome == "fail"
    assert "2025年度获市长质量奖提名奖" in refused.message
    assert standing.reapply_year(nomination, stricter, (3, 2)) == 2029
    waited = _reapply_rule(stricter, [nomination], dt.date(2029, 3, 2))
    assert (waited.outcome, "获提名奖已满3年" in waited.message) == ("pass", True)


@pytest.mark.req("A24.1")
def test_the_longest_wait_counts() -> None:
    policy = _policy(nomination_waits=True)
    awards = [_held("award", dt.date(2022, 12, 10)), _held("nomination", dt.date(2024, 12, 10))]
    assert standing.reapply_blocker(awards, policy, REFERENCE) == awards[1]
    assert standing.reapply_blocker(awards, _policy(), REFERENCE) is None


@pytest.mark.req("A24.1")
@pytest.mark.parametrize(
    ("application_day", "year"), [((3, 2), 2030), ((12, 10), 2029), ((12, 11), 2029)]
)
def test_the_first_cycle_year_to_apply_again(application_day: tuple[int, int], year: int) -> None:
    award = _held("award", dt.date(2026, 12, 10))
    assert standing.reapply_year(award, _policy(), application_day) == year


# --- A24.1 and A21.1: re-winners and bonuses ----------------------------------------------------


@pytest.mark.req("A24.1", "A5.2")
@pytest.mark.parametrize(
    ("kind", "earlier", "rewinner"),
    [
        ("organization", [], False),
        ("organization", ["award"], True),
        ("organization", ["nomination"], False),  # A24.1 speaks of the 市长质量奖
        ("organization", ["nomination", "award"], True),
        ("individual", ["award"], False),  # A24.1 speaks of organizations; A5.2's quota holds
    ],
)
def test_a_rewinner_won_the_award_before(kind: str, earlier: list[str], rewinner: bool) -> None:
    assert standing.is_rewinner(kind, earlier) is rewinner


@pytest.mark.req("A21.1", "A24.1")
@pytest.mark.parametrize(
    ("kind", "level", "earlier", "due"),
    [
        ("organization", "award", [], 200_000),
        ("organization", "nomination", [], 100_000),
        ("organization", "award", ["nomination"], 200_000),  # a first 市长质量奖 pays (A21.1)
        ("organization", "nomination", ["nomination"], 0),  # a repeated 提名奖 does not
        ("organization", "award", ["award"], 0),  # a re-winner (A24.1)
        ("organization", "nomination", ["award"], 0),  # a re-winner too
        ("individual", "award", [], 0),  # individuals: plaque and certificate
    ],
)
def test_the_bonus_is_paid_once_per_level_and_never_to_a_rewinner(
    kind: str, level: str, earlier: list[str], due: int
) -> None:
    assert standing.bonus_due(_policy(), kind=kind, level=level, earlier_levels=earlier) == due


@pytest.mark.req("A21.1")
def test_the_amounts_are_the_policys() -> None:
    policy = _policy(
        bonus_organization_award=300_000,
        bonus_organization_nomination=150_000,
        bonus_individual_award=50_000,
    )
    assert standing.bonus_due(policy, kind="organization", level="award", earlier_levels=[]) == (
        300_000
    )
    assert (
        standing.bonus_due(
            policy, kind="organization", level="award", earlier_levels=["nomination"]
        )
        == 300_000
    )
    assert (
        standing.bonus_due(policy, kind="organization", level="nomination", earlier_levels=[])
        == 150_000
    )
    assert standing.bonus_due(policy, kind="individual", level="award", earlier_levels=[]) == 50_000
    assert (
        standing.bonus_due(policy, kind="individual", level="award", earlier_levels=["award"]) == 0
    )


# --- A29.1 and A23.1: the ban, the credit list, the duty to report ----------------------------


@pytest.mark.req("A29.1", "A23.1")
@settings(max_examples=200, deadline=None)
@given(start=DAYS, ban=YEARS, credit=YEARS, duty=YEARS)
@example(start=LEAP_WIN, ban=3, credit=3, duty=3)
def test_each_period_ends_the_day_before_its_full_years(
    start: dt.date, ban: int, credit: int, duty: int
) -> None:
    policy = _policy(fraud_ban_years=ban, credit_list_years=credit, report_duty_years=duty)
    one = dt.timedelta(days=1)
    assert standing.ban_ends(start, policy) + one == standing.after_full_years(start, ban)
    assert standing.credit_list_ends(start, policy) + one == standing.after_full_years(
        start, credit
    )
    assert standing.duty_ends(start, policy) + one == standing.after_full_years(start, duty)


@pytest.mark.req("A29.1")
@settings(max_examples=100, deadline=None)
@given(start=DAYS, years=YEARS)
def test_a_ban_refuses_up_to_its_last_day_and_no_longer(start: dt.date, years: int) -> None:
    policy = _policy(fraud_ban_years=years)
    ends = standing.ban_ends(start, policy)
    ban = eligibility.ActiveBan(start, ends, "申报材料造假")
    ctx = eligibility.Context(
        form=FORM,
        policy=policy,
        division_code="320682",
        reference=ends,
        organization=Organization(name="示例公司", uscc="91320682MA1XYK1235"),
        bans=[ban],
    )
    check = eligibility.RULES_BY_KEY["a29_ban"].check
    assert check(ctx)[0] == "fail"
    assert check(dataclasses.replace(ctx, reference=ends + dt.timedelta(days=1)))[0] == "pass"


# --- the callers use it --------------------------------------------------------------------------


@pytest.mark.req("A29.1")
def test_the_offices_ban_lasts_the_policys_years(
    policy: Policy, office: User, organization: Organization
) -> None:
    policy.fraud_ban_years = 2
    policy.save(update_fields=["fraud_ban_years"])
    ban = standing.record_ban(
        actor=office,
        organization=organization,
        starts_on=dt.date(2026, 4, 1),
        reason="申报材料中的检测报告系伪造。",
        decision_ref="委员会2026年第1次会议",
    )
    assert (ban.starts_on, ban.ends_on) == (dt.date(2026, 4, 1), dt.date(2028, 3, 31))
    assert Ban.objects.get().ends_on == standing.ban_ends(dt.date(2026, 4, 1), policy)


def test_an_award_from_before_the_system_reads_the_policy_in_force(
    policy: Policy, office: User, organization: Organization
) -> None:
    award = standing.record_prior_award(
        actor=office,
        organization=organization,
        year=2022,
        level="award",
        announced_on=dt.date(2023, 1, 16),
        document_number="皋政发〔2023〕5号",
    )
    assert standing.policy_for(award) == policy
    assert standing.policy_in_force(dt.date(2019, 1, 1)) == policy  # the earliest we hold
    assert supervision_services.duty_ends(award) == dt.date(2026, 1, 15)
    policy.report_duty_years = 5
    policy.save(update_fields=["report_duty_years"])
    assert supervision_services.duty_ends(award) == dt.date(2028, 1, 15)
