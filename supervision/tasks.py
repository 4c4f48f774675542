"""Background work of the supervision stage (issue 17), run by the Celery workers
(config/celery.py) on the beat's schedule (config/settings.py CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from lib.workdays import UnknownCalendarYear, WorkCalendar


def first_workday_of_month(day: dt.date, calendar: WorkCalendar) -> bool:
    """Whether `day` is its month's first working day (the Office's calendar; a year it does
    not know yet: Monday to Friday)."""

    def working(d: dt.date) -> bool:
        try:
            return calendar.is_workday(d)
        except UnknownCalendarYear:
            return d.weekday() < 5

    return working(day) and not any(working(day.replace(day=n)) for n in range(1, day.day))


@shared_task(name="supervision.remind_winners", ignore_result=True)
def remind_winners() -> int:
    """On the first working day of each quarter (the beat runs it on the first ten days of
    January, April, July and October; it acts on one of them; was cron): remind every winner
    inside its three years of the duty to report violations within 30 days (A23.1). Returns
    how many people were reminded (0 on the other days)."""
    from programs.selectors import today, work_calendar

    from . import services

    on = today()
    if not first_workday_of_month(on, work_calendar()):
        return 0
    return services.send_reminders(on)
