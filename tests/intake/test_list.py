"""The application list a page at a time (issue 17 part 3): keyset pages in an indexed order
(the to-do first, then newest submission first), walked forward and back without a row lost or
shown twice; counts capped; statements constant in rows and in how far one pages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import parse_qs

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import RecommendingUnit, User
from intake import selectors, workflow
from intake.models import Application, State
from programs.models import Cycle
from programs.services import create_cycle
from tests.conftest import api_call, api_client, client_for
from tests.intake.test_pages import _org

LIST = reverse("intake:list")
T0 = dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC)


def _add(cycle: Cycle, office: User, state: State, count: int, *, start: int = 0) -> None:
    """`count` applications in `state`, submitted a minute apart (every third one at the same
    minute as the one before it: the id breaks the tie)."""
    for i in range(start, start + count):
        org = _org(f"如皋列表{state}{i}有限公司", unit="如城街道" if i % 2 else "白蒲镇")
        Application.objects.create(
            cycle=cycle,
            kind="organization",
            organization=org,
            recommending_unit=org.recommending_unit,
            state=state,
            created_by=office,
            submitted_at=T0 + dt.timedelta(minutes=i - (i % 3 == 2)),
        )


def _expected(cycle: Cycle) -> list[str]:
    rows = Application.objects.filter(cycle=cycle).exclude(state=State.DRAFT)
    key = lambda a: (a.submitted_at, a.pk)  # noqa: E731
    todo = sorted((a for a in rows if a.state == State.RECOMMENDED), key=key, reverse=True)
    rest = sorted((a for a in rows if a.state != State.RECOMMENDED), key=key, reverse=True)
    return [a.applicant_name for a in todo + rest]


def _names(response: Any) -> list[str]:
    return [a.applicant_name for a in response.context["page"].rows]


@pytest.mark.req("A16.1")
def test_the_office_walks_the_list_forward_and_back(
    open_cycle: Cycle, personas: dict[str, User]
) -> None:
    office = personas["office"]
    _add(open_cycle, office, State.RECOMMENDED, 27)
    _add(open_cycle, office, State.ACCEPTED, 31, start=100)
    expected = _expected(open_cycle)
    client = client_for(office)

    pages: list[list[str]] = []
    flags: list[list[bool]] = []
    response = client.get(LIST)
    html = response.content.decode()
    assert "已推荐，待资格审查 27件" in html
    assert "本页20件，共58件" in html
    assert "上一页" not in html
    assert "第一页" not in html
    todo_rows = [a.is_todo for a in response.context["page"].rows]
    assert todo_rows == [True] * 20
    while True:
        pages.append(_names(response))
        flags.append([a.is_todo for a in response.context["page"].rows])
        after = response.context["page"].after
        if after is None:
            break
        assert f'after={after}" rel="next">下一页 ›</a>' in response.content.decode()
        response = client.get(LIST, {"after": str(after)})
        assert "« 第一页" in response.content.decode()
    assert [len(p) for p in pages] == [20, 20, 18]
    assert [name for page in pages for name in page] == expected  # every row once, in order
    # Page 2 spans the end of the to-do rows: 7 to-do, then the rest.
    assert flags[1] == [True] * 7 + [False] * 13

    back: list[list[str]] = [pages[-1]]
    while (before := response.context["page"].before) is not None:
        response = client.get(LIST, {"before": str(before)})
        back.insert(0, _names(response))
    assert back == pages
    assert response.context["page"].first


def test_the_pages_keep_the_filters_and_a_foreign_cursor_is_page_one(
    open_cycle: Cycle, personas: dict[str, User]
) -> None:
    office = personas["office"]
    _add(open_cycle, office, State.ACCEPTED, 45)
    client = client_for(office)
    unit = RecommendingUnit.objects.get(name="白蒲镇")
    first = client.get(LIST, {"unit": str(unit.pk), "state": "accepted"})
    html = first.content.decode()
    after = first.context["page"].after
    link = re.search(r'href="\?([^"]*)" rel="next"', html)
    assert link is not None
    assert parse_qs(link.group(1).replace("&amp;", "&")) == {
        "unit": [str(unit.pk)],
        "state": ["accepted"],
        "after": [str(after)],
    }
    second = client.get(LIST, {"unit": str(unit.pk), "state": "accepted", "after": str(after)})
    assert {a.recommending_unit_id for a in second.context["page"].rows} == {unit.pk}
    assert len(_names(first)) + len(_names(second)) == 23  # the even ones of 45
    for junk in ("x", "t.1.", "r.abc.1", "q.1.1", "r." + "9" * 40 + ".1"):
        assert _names(client.get(LIST, {"after": junk})) == _names(client.get(LIST))


def test_counts_are_capped(
    open_cycle: Cycle, personas: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    office = personas["office"]
    _add(open_cycle, office, State.RECOMMENDED, 7)
    monkeypatch.setattr(selectors, "COUNT_CAP", 5)
    html = client_for(office).get(LIST).content.decode()
    assert "已推荐，待资格审查 5件以上" in html
    assert "共5件以上" not in html  # one page: no pager


# Per persona: (statements, deadline subqueries in them) for page 1 of the list.
# The applicant's list also reads the other awards' open calls its organizations may apply to
# (one statement, decision 0030).
LIST_STATEMENTS = {"office": (12, 8), "recommender": (11, 9), "applicant": (17, 8)}


@pytest.mark.req("I17.3")
@pytest.mark.parametrize("persona", ["office", "recommender", "applicant"])
def test_statements_are_constant_in_rows_and_in_how_far_one_pages(
    open_cycle: Cycle,
    personas: dict[str, User],
    persona: str,
    django_assert_max_num_queries: Any,
) -> None:
    office = personas["office"]
    client = client_for(personas[persona])
    _add(open_cycle, office, State.RECOMMENDED, 5)
    _add(open_cycle, office, State.SUBMITTED, 5, start=100)
    client.get(LIST)  # the session and the first hits warm up
    with CaptureQueriesContext(connection) as n_rows:
        client.get(LIST)
    # The statements, and the deadline subqueries built into them (issue 17 part 3): the
    # to-do counted and listed with its own state's deadline only (`workflow.in_time_q`), the
    # whole rule once for the Office's overdue count (Office 20 subqueries before, the
    # recommender 15).
    subqueries = sum(q["sql"].count('"programs_cyclestage"') for q in n_rows.captured_queries)
    assert (len(n_rows), subqueries) == LIST_STATEMENTS[persona]
    _add(open_cycle, office, State.RECOMMENDED, 20, start=200)
    _add(open_cycle, office, State.SUBMITTED, 40, start=300)
    with django_assert_max_num_queries(len(n_rows)):
        first = client.get(LIST)
    after = first.context["page"].after
    if persona != "applicant":  # the applicant sees only their own
        assert after is not None
        for _ in range(2):
            with django_assert_max_num_queries(len(n_rows)):
                late = client.get(LIST, {"after": str(after)})
            after = late.context["page"].after
        with django_assert_max_num_queries(len(n_rows)):
            client.get(LIST, {"before": str(late.context["page"].before)})


def test_the_filters_list_each_year_and_unit_once(
    open_cycle: Cycle, personas: dict[str, User]
) -> None:
    office = personas["office"]
    older = create_cycle(actor=office, program=open_cycle.program, year=2025)
    _add(open_cycle, office, State.ACCEPTED, 6)
    _add(older, office, State.ACCEPTED, 3, start=50)
    visible = selectors.applications_for(office)
    with CaptureQueriesContext(connection) as queries:
        years, units = selectors.filter_choices(visible)
    assert len(queries) == 2
    assert years == [2026, 2025]
    assert sorted(name for _, name in units) == sorted(["如城街道", "白蒲镇"])
    # A town sees only its own unit's, and only submitted ones.
    town = selectors.applications_for(personas["recommender"])
    assert [name for _, name in selectors.filter_choices(town)[1]] == ["如城街道"]


def test_the_api_list_pages_in_the_same_order_with_constant_statements(
    open_cycle: Cycle, personas: dict[str, User], django_assert_max_num_queries: Any
) -> None:
    office = personas["office"]
    _add(open_cycle, office, State.RECOMMENDED, 12)
    _add(open_cycle, office, State.ACCEPTED, 33, start=100)
    who = api_client("p_office")
    first = api_call(who, "get", "/applications?page_size=20")
    with CaptureQueriesContext(connection) as one:
        first = api_call(who, "get", "/applications?page_size=20")
    body = first.json()
    assert body["count"] == 45
    ids = [r["id"] for r in body["results"]]
    with django_assert_max_num_queries(len(one)):
        third = api_call(who, "get", "/applications?page_size=20&page=3").json()
    ids += [
        r["id"] for r in api_call(who, "get", "/applications?page_size=20&page=2").json()["results"]
    ]
    ids += [r["id"] for r in third["results"]]
    newest_first = Application.objects.exclude(state=State.DRAFT).order_by(*selectors.NEWEST_FIRST)
    assert ids == [str(a.public_id) for a in newest_first]


@pytest.mark.req("A16.1", "I17.3")
def test_without_to_do_rows_the_office_list_reads_one_segment(
    open_cycle: Cycle, personas: dict[str, User]
) -> None:
    """Nothing waits for the Office (no recommended application): the page is read in one
    query, a statement fewer than with its to-do rows, and still newest submission first."""
    office = personas["office"]
    client = client_for(office)
    _add(open_cycle, office, State.ACCEPTED, 25)
    client.get(LIST)
    with CaptureQueriesContext(connection) as none_waiting:
        first = client.get(LIST)
    assert first.context["pending"] == 0
    second = client.get(LIST, {"after": str(first.context["page"].after)})
    assert _names(first) + _names(second) == _expected(open_cycle)
    _add(open_cycle, office, State.RECOMMENDED, 1, start=100)
    with CaptureQueriesContext(connection) as one_waiting:
        waiting = client.get(LIST)
    assert _names(waiting)[0] == "如皋列表recommended100有限公司"
    assert len(none_waiting) == len(one_waiting) - 1


@pytest.mark.req("A16.1", "I17.3")
def test_the_to_do_query_is_the_waiting_state_not_overdue(
    open_cycle: Cycle, personas: dict[str, User]
) -> None:
    """The list counts and lists the to-do with `in_time_q` (only that state's deadline):
    the same rows as the state less `overdue_q`, and as `is_overdue` decides, on each day
    around the deadlines."""
    _add(open_cycle, personas["office"], State.RECOMMENDED, 1)
    application = Application.objects.get(cycle=open_cycle)
    stages = open_cycle.stages.all()
    days = sorted(
        {
            d + dt.timedelta(days=k)
            for s in stages
            for d in (s.starts_on, s.ends_on)
            for k in (-1, 0, 1)
        }
    )
    for state in (State.DRAFT, State.RETURNED, State.SUBMITTED, State.RECOMMENDED):
        Application.objects.filter(pk=application.pk).update(state=state)
        application = Application.objects.select_related("cycle").get(pk=application.pk)
        one = Application.objects.filter(pk=application.pk)
        for day in days:
            in_time = one.filter(workflow.in_time_q(state, day)).exists()
            assert in_time == one.filter(state=state).exclude(workflow.overdue_q(day)).exists()
            assert in_time == (not workflow.is_overdue(application, day)), (state, day)
