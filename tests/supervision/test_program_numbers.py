"""The supervision pages quote the program's own numbers (issue 18): the winner's duty to
report and its deadline (A23.1), the ban for fraud (A29.1). Rugao's pages read as the 2021
Measures do; another program's say its numbers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import get_commands, load_command_class
from django.urls import reverse

from accounts.models import User
from programs.models import Policy
from supervision.models import Sanction
from tests.conftest import client_for
from tests.decision.conftest import Decided, announced
from tests.supervision.test_pages import _at

OTHER = {"report_duty_years": 4, "report_deadline_days": 20, "fraud_ban_years": 5}


def _html(user: User, name: str) -> str:
    response = client_for(user).get(reverse(f"supervision:{name}"))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.req("A23.1", "A29.1", "I18.1")
def test_the_headers_say_the_rugao_measures(personas: dict[str, User], policy: Policy) -> None:
    office = personas["office"]
    assert "获奖者获奖后三年内发生违规的，应当自确认之日起30日内书面报告；" in _html(
        office, "cases"
    )
    assert "纳入信用管理并公开，3年内不得申报（《办法》第二十九条、第十三条）" in _html(
        office, "sanctions"
    )
    assert "已知违规确认日期且超过30日获奖者未书面报告的" in _html(office, "case_new")


@pytest.mark.req("A23.1", "A29.1", "I18.1")
def test_the_headers_say_the_policys_numbers(personas: dict[str, User], policy: Policy) -> None:
    Policy.objects.filter(pk=policy.pk).update(**OTHER)
    office = personas["office"]
    cases = _html(office, "cases")
    assert "获奖者获奖后四年内发生违规的，应当自确认之日起20日内书面报告；" in cases
    assert "三年内" not in cases
    assert "30日内" not in cases
    sanctions = _html(office, "sanctions")
    assert "纳入信用管理并公开，5年内不得申报" in sanctions
    assert "3年内" not in sanctions
    assert "已知违规确认日期且超过20日获奖者未书面报告的" in _html(office, "case_new")


@pytest.mark.req("A29.1", "I18.1")
def test_a_ban_shows_its_own_period(decided: Decided, time_machine: Any) -> None:
    """The sanction's label names no number; the ban's dates are the policy's period."""
    announced(decided, time_machine)
    Policy.objects.filter(pk=decided.cycle.policy_id).update(fraud_ban_years=5)
    _at(time_machine, dt.date(2027, 4, 1))
    application = decided.organizations[2]
    response = client_for(decided.office).post(
        reverse("supervision:sanctions"),
        {
            "application": application.pk,
            "kinds": ["ban"],
            "reason": "申报材料中的检测报告系伪造。",
            "decided_on": "2027-04-01",
            "decision_ref": "委员会2027年第1次会议",
        },
        follow=True,
    )
    html = response.content.decode()
    assert Sanction.Kind.BAN.label == "期限内不得申报"
    day = '<span class="text-nowrap">{}</span>'
    shown = day.format("2027-04-01") + "至" + day.format("2032-03-31")
    assert f'期限内不得申报<div class="small text-muted">{shown}</div>' in html


@pytest.mark.req("A23.1", "I18.1")
def test_the_reminder_command_names_no_number() -> None:
    command = load_command_class(get_commands()["remind_winners"], "remind_winners")
    assert "第二十三条" in command.help
    assert not any(n in command.help for n in ("三年", "3年", "30日"))
