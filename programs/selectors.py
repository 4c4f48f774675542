"""Reads for programs, cycles and the work calendar."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from lib.workdays import UnknownCalendarYear, WorkCalendar

from .models import (
    Announcement,
    AwardProgram,
    Cycle,
    CycleStage,
    HolidayArrangement,
    HolidayDay,
    Stage,
)

_as_of: ContextVar[dt.date | None] = ContextVar("as_of", default=None)


def today() -> dt.date:
    """Today in China Standard Time (TIME_ZONE): every deadline of the Measures is such a date."""
    return _as_of.get() or timezone.localdate()


def now() -> dt.datetime:
    """The time recorded on domain rows (submitted, decided); 10:00 on the `as_of` day when the
    demo rebuilds a past year. Audit events always carry the real time."""
    day = _as_of.get()
    if day is None:
        return timezone.now()
    return dt.datetime.combine(day, dt.time(10, 0), tzinfo=timezone.get_current_timezone())


@contextmanager
def as_of(day: dt.date) -> Iterator[None]:
    """Let the services see `day` as today. Only `seed_demo` uses it, to build a past year's
    applications through the same services and deadlines a real year went through."""
    token = _as_of.set(day)
    try:
        yield
    finally:
        _as_of.reset(token)


def work_calendar() -> WorkCalendar:
    """chinesecalendar plus every arrangement the Office has entered (two queries)."""
    days = HolidayDay.objects.values_list("day", "is_workday")
    years = HolidayArrangement.objects.values_list("year", flat=True)
    return WorkCalendar(overrides=dict(days), entered_years=frozenset(years))


def default_program() -> AwardProgram | None:
    """The deployment's default program (`is_default`). Only for what belongs to no program's
    cycle yet: awards entered by hand from before the system (AwardRecord without an
    application). Everything else asks `programs.context.current_program()`."""
    return AwardProgram.objects.filter(is_default=True).first()


def cycles_with_stages() -> QuerySet[Cycle]:
    return Cycle.objects.select_related("program", "policy").prefetch_related(
        Prefetch("stages", queryset=CycleStage.objects.order_by("starts_on"))
    )


def tenant_cycles() -> QuerySet[Cycle]:
    """The current program's cycles (decision 0030): the base of every lookup of a cycle by an
    id from a URL or a form, so a cycle of another program is not found (404)."""
    from lib import tenancy

    return Cycle.objects.filter(tenancy.current_q())


def opened_cycles() -> QuerySet[Cycle]:
    """Every cycle of the current program whose call has been published, the ones since closed
    too (their boards and records stay readable), newest first: the cycle choosers of the
    Office's pages."""
    return tenant_cycles().exclude(status=Cycle.Status.DRAFT).order_by("-year")


def current_cycle(program: AwardProgram, *, on: dt.date | None = None) -> Cycle | None:
    """The cycle a visitor should see: this year's, else the latest one published (a closed
    cycle included: its timeline and results stay on the home page until the next call)."""
    on = on or today()
    published = cycles_with_stages().filter(program=program).exclude(status=Cycle.Status.DRAFT)
    return published.filter(year=on.year).first() or published.order_by("-year").first()


@dataclass(frozen=True)
class TimelineRow:
    stage: Stage
    starts_on: dt.date
    ends_on: dt.date
    state: str  # "done" | "current" | "upcoming"
    working_days_left: int | None  # for the current stage; None when the calendar does not know


def timeline(
    cycle: Cycle, *, on: dt.date | None = None, calendar: WorkCalendar | None = None
) -> list[TimelineRow]:
    """Each stage of article 11 with its dates, which one is current and working days left."""
    on = on or today()
    by_stage = {Stage(s.stage): s for s in cycle.stages.all()}
    rows = []
    for stage in Stage.ordered():
        if stage not in by_stage:
            continue
        s = by_stage[stage]
        if s.ends_on < on:
            state = "done"
        elif s.starts_on <= on:
            state = "current"
        else:
            state = "upcoming"
        left = None
        if state == "current":
            calendar = calendar or work_calendar()
            try:
                left = calendar.count_workdays(on, s.ends_on)
            except UnknownCalendarYear:
                left = None
        rows.append(TimelineRow(stage, s.starts_on, s.ends_on, state, left))
    return rows


def current_stage(cycle: Cycle, *, on: dt.date | None = None) -> Stage | None:
    """The stage whose dates contain `on`, or None between or outside stages."""
    on = on or today()
    for s in cycle.stages.all():
        if s.starts_on <= on <= s.ends_on:
            return Stage(s.stage)
    return None


def public_announcements(program: AwardProgram, *, limit: int = 10) -> QuerySet[Announcement]:
    """The latest announcements for the home page's list: title, kind and date (the body, a
    whole call for applications, is read on the announcement's own page)."""
    return Announcement.objects.filter(program=program).defer("body")[:limit]
