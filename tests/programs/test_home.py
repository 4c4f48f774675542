"""The home page does not grow with the data (issue 17 part 3): the same statements and a
bounded body with many years' announcements, for a visitor and a signed-in user."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from programs.models import Announcement, AwardProgram, Cycle
from programs.services import publish_call
from tests.conftest import client_for


def _history(program: AwardProgram, office: User, years: range) -> None:
    """Past years' announcements, their bodies whole notices."""
    for year in years:
        for n in range(3):
            Announcement.objects.create(
                program=program,
                kind=Announcement.Kind.GENERAL,
                title=f"{year}年度通知{n}",
                body="申报通知正文。" * 2000,
                published_at=timezone.now() - dt.timedelta(days=365 * (2026 - year) + n),
                published_by=office,
            )


@pytest.mark.parametrize("persona", ["anon", "office", "applicant"])
def test_home_page_statements_and_size_do_not_grow_with_the_years(
    cycle: Cycle,
    office: User,
    personas: dict[str, Any],
    persona: str,
    django_assert_max_num_queries: Any,
) -> None:
    publish_call(actor=office, cycle=cycle)
    client = client_for(personas[persona])
    home = reverse("programs:home")
    _history(cycle.program, office, range(2022, 2024))
    client.get(home)
    with CaptureQueriesContext(connection) as few:
        small = client.get(home).content
    _history(cycle.program, office, range(2010, 2022))
    with django_assert_max_num_queries(len(few)) as many:
        large = client.get(home).content
    assert len(large) < len(small) * 1.2
    # The list shows titles: no announcement's body is read for it.
    assert not any('"programs_announcement"."body"' in q["sql"] for q in many.captured_queries)
