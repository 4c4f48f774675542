"""A truthful demo (issue 16 part 8): built after its year's windows, the demo still dates its
announcements and its inbox messages on the days they happened in that year (decision 0008),
never on the day it was built; and `seed_demo` prints a short page (the address, the logins,
the staff's TOTP secrets), no e-mail."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Notification
from accounts.two_factor import demo_secret
from programs.demo import DEMO_STAGES
from programs.models import Announcement, Stage
from tests.intake.conftest import CST

pytestmark = [pytest.mark.django_db, pytest.mark.req("A15.1")]

BUILT = dt.datetime(2026, 12, 20, 15, 30, tzinfo=CST)  # after every day the demo plays


@pytest.fixture
def seeded(time_machine: Any) -> str:
    time_machine.move_to(BUILT, tick=False)
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_announcements_and_messages_carry_the_days_they_happened(seeded: str) -> None:
    call = Announcement.objects.get(
        cycle__program__slug="rugao", cycle__year=2026, kind=Announcement.Kind.CALL
    )
    opens, _ = DEMO_STAGES[Stage.APPLICATION]
    published = timezone.localtime(call.published_at).date()
    assert published.year == 2026
    assert published < opens  # the call went out before its window, not on the build day
    for a in Announcement.objects.all():
        day = timezone.localtime(a.published_at).date()
        assert day < BUILT.date(), a.title
        assert day.year in (2025, 2026), a.title
    days = {
        timezone.localtime(d).date()
        for d in Notification.objects.values_list("created_at", flat=True)
    }
    assert Notification.objects.count() > 100
    assert BUILT.date() not in days
    assert all(d.year in (2025, 2026) and d < BUILT.date() for d in days), sorted(days)
    assert len(days) > 10  # spread over the year, as the stages went


def test_seed_output_is_short_and_has_the_logins(seeded: str) -> None:
    lines = seeded.strip().splitlines()
    assert len(lines) <= 20, seeded
    assert "Demo@2026" in seeded
    assert "http://" in seeded  # the address
    assert demo_secret("office") in seeded
    # The other programs' staff (issue 18): 示例市's Office and 江苏's provincial administrator.
    assert demo_secret("shili_office") in seeded
    assert demo_secret("province_admin") in seeded
    assert "Content-Type" not in seeded
    assert mail.outbox == []  # the demo's messages stay in the inboxes
