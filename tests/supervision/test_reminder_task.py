"""The winners' reminder as the Celery beat runs it (issue 17: `supervision.remind_winners`,
the first ten days of each quarter's first month; it acts on the first working day only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from lib.workdays import WorkCalendar
from supervision import services, tasks
from supervision.tasks import first_workday_of_month
from tests.decision.conftest import CST


def test_the_first_working_day_of_a_month() -> None:
    # National Day: 1-7 October off, 8 October the first working day; a Saturday worked.
    days = {dt.date(2026, 10, d): False for d in range(1, 8)} | {dt.date(2026, 10, 10): True}
    calendar = WorkCalendar(overrides=days | {dt.date(2026, 10, 8): True})
    assert [d for d in range(1, 11) if first_workday_of_month(dt.date(2026, 10, d), calendar)] == [
        8
    ]
    # A year the calendar does not know: Monday to Friday (1 March 2100 is a Monday).
    assert first_workday_of_month(dt.date(2100, 3, 1), WorkCalendar())
    assert not first_workday_of_month(dt.date(2100, 3, 2), WorkCalendar())


@pytest.mark.req("A23.1")
@pytest.mark.django_db
def test_the_beat_task_reminds_on_the_first_working_day_only(
    monkeypatch: pytest.MonkeyPatch, time_machine: Any
) -> None:
    calls: list[dt.date | None] = []

    def send_reminders(on: dt.date | None = None) -> int:
        calls.append(on)
        return 4

    monkeypatch.setattr(services, "send_reminders", send_reminders)
    # 2027-01-01 is New Year's Day (a rest day in any calendar); 2027-01-04 a Monday.
    monkeypatch.setattr(
        tasks,
        "first_workday_of_month",
        lambda day, calendar: day == dt.date(2027, 1, 4),
    )
    time_machine.move_to(dt.datetime(2027, 1, 1, 9, tzinfo=CST), tick=False)
    assert tasks.remind_winners.apply().get() == 0
    time_machine.move_to(dt.datetime(2027, 1, 4, 9, tzinfo=CST), tick=False)
    assert tasks.remind_winners.apply().get() == 4
    assert calls == [dt.date(2027, 1, 4)]
