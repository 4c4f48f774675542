"""The user's desk over the demo year: the workbench's to-do list gathered from every stage, and
what one visit of it costs in queries for each kind of user (a list of counts, not rows: it
must not grow with the year's applications)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from desk import selectors
from tests.conftest import client_for

# The demo's today: the 2026 notice is running (programs.demo.DEMO_STAGES).
NOTICE_DAY = dt.datetime(2026, 11, 26, 10, tzinfo=dt.UTC)

# Queries of one visit to 我的工作台 after the first (which also fills per-process caches):
# user, roles, each stage's to-do counts, the header (expert profile, winner, unread notices)
# and the roles' names. The session is in Redis (read there, not from the database) and is not
# written on a visit within a minute of the last (issue 17: no write per page view).
# One of each is the second factor's (accounts.two_factor): staff, the session's TOTP device
# (django-otp checks it still exists); an applicant, whether they enrolled.
DASHBOARD_QUERIES = {"office": 11, "applicant": 10, "expert": 12, "town": 8}


@pytest.fixture
def demo_year(db: None, time_machine: Any) -> None:
    time_machine.move_to(NOTICE_DAY, tick=False)
    call_command("seed_demo", stdout=None)


def test_the_dashboard_costs_a_fixed_number_of_queries_per_role(demo_year: None) -> None:
    spent = {}
    for username in DASHBOARD_QUERIES:
        client = client_for(User.objects.get(username=username))
        client.get(reverse("accounts:dashboard"))
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("accounts:dashboard"))
        assert page.status_code == 200
        assert page.templates[0].name == "desk/dashboard.html"
        spent[username] = len(queries)
    assert spent == DASHBOARD_QUERIES


def test_the_workbench_gathers_each_stages_todos_and_the_header_the_winners_page(
    demo_year: None,
) -> None:
    labels = {
        name: [label for label, _, _ in selectors.todos(User.objects.get(username=name))]
        for name in DASHBOARD_QUERIES
    }
    assert labels == {
        "office": ["待资格审查的申报", "逾期未处理的申报", "待核查答复的异议", "待核查的违规案件"],
        "applicant": ["待完善或退回修改的申报"],
        "expert": ["待确认无利害关系的评审任务", "待提交的评分表", "待确认的专家组共识"],
        "town": ["待审核推荐的申报"],
    }
    office = client_for(User.objects.get(username="office"))
    page = office.get(reverse("accounts:dashboard"))
    assert page.request["PATH_INFO"] == "/accounts/me/"
    assert ("待核查的违规案件", 1, "/supervision/cases/?state=open") in page.context["todos"]
    assert "待核查的违规案件" in page.content.decode()

    # The 2025 winners' contacts see 我的获奖 (A23.1); an applicant without an award does not.
    winner = client_for(User.objects.get(username="org2025_1"))
    nav = winner.get(reverse("accounts:dashboard")).context["nav_items"]
    assert ("我的获奖", reverse("supervision:my_award"), []) in nav
    nav = (
        client_for(User.objects.get(username="applicant")).get("/accounts/me/").context["nav_items"]
    )
    assert "我的获奖" not in [label for label, _, _ in nav]
