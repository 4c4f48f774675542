"""A signed-in page view or API call writes nothing per request (issue 17 part 3): the session's
latest activity is noted at most once a minute, a token's `last_used_at` likewise; the idle limit
still holds (tests/accounts/test_sessions.py)."""

from __future__ import annotations

import datetime as dt
from importlib import import_module
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import ApiToken, User
from tests.conftest import api_call, api_client, client_for

CST = dt.timezone(dt.timedelta(hours=8))
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=CST)
PAGE = "/accounts/me/"


def _at(time_machine: Any, seconds: float) -> None:
    time_machine.move_to(START + dt.timedelta(seconds=seconds), tick=False)


def _writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


@pytest.mark.req("A3.1")
def test_page_views_write_the_session_at_most_once_a_minute(
    personas: dict[str, User], time_machine: Any
) -> None:
    _at(time_machine, 0)
    client = client_for(personas["office"])
    assert client.get(PAGE).status_code == 200
    store = import_module(settings.SESSION_ENGINE).SessionStore
    with mock.patch.object(store, "save", autospec=True, side_effect=store.save) as save:
        for second in (10, 20, 50):
            _at(time_machine, second)
            with CaptureQueriesContext(connection) as queries:
                assert client.get(PAGE).status_code == 200
            assert _writes(queries) == [], second
        assert save.call_count == 0
        _at(time_machine, 70)  # a minute after the last note: noted again, once
        assert client.get(PAGE).status_code == 200
        assert client.get(PAGE).status_code == 200
        assert save.call_count == 1


@pytest.mark.req("A3.1")
def test_the_idle_limit_counts_from_the_latest_noted_minute(
    personas: dict[str, User], time_machine: Any
) -> None:
    """Requests every 50 s for an hour keep the session (each minute is noted); 30 minutes
    without a request still end it."""
    _at(time_machine, 0)
    client = client_for(personas["office"])
    for second in range(0, 3600, 50):
        _at(time_machine, second)
        assert client.get(PAGE).status_code == 200, second
    _at(time_machine, 3550 + 31 * 60)
    assert client.get(PAGE).status_code == 302


@pytest.mark.req("A3.1")
def test_a_token_notes_its_use_at_most_once_a_minute(
    personas: dict[str, User], time_machine: Any
) -> None:
    _at(time_machine, 0)
    who = api_client("p_office")
    assert api_call(who, "get", "/me").status_code == 200
    token = ApiToken.objects.get(user__username="p_office")
    first = token.last_used_at
    assert first == START
    _at(time_machine, 30)
    with CaptureQueriesContext(connection) as queries:
        assert api_call(who, "get", "/me").status_code == 200
    assert not [sql for sql in _writes(queries) if "accounts_apitoken" in sql]
    token.refresh_from_db()
    assert token.last_used_at == first
    _at(time_machine, 61)
    assert api_call(who, "get", "/me").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == START + dt.timedelta(seconds=61)
