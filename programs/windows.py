"""Windows of the workflow tables (`lib.workflow`) computed from a cycle's stage dates.

Each builder returns a function of (object, day) answering None (allowed) or the reason it is
not, in the words a page shows ("资格审查已于2026年5月29日结束（2026年5月6日至2026年5月29日）。").
The stage dates are read from `cycle.stages.all()`, so a caller that prefetched them asks no
query. `cycle_of` finds the cycle of the object (its `.cycle` by default).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from lib.workflow import Window

from .models import Cycle, Stage

CycleOf = Callable[[Any], Cycle]


def _own_cycle(obj: Any) -> Cycle:
    return obj if isinstance(obj, Cycle) else obj.cycle


def day(value: dt.date) -> str:
    """A date as the pages write it in sentences: 2026年5月29日."""
    return f"{value.year}年{value.month}月{value.day}日"


def stage_dates(cycle: Cycle, stage: Stage) -> tuple[dt.date, dt.date] | None:
    """The stage's first and last day (both inclusive), or None when not set."""
    for row in cycle.stages.all():
        if row.stage == stage:
            return row.starts_on, row.ends_on
    return None


def closed(cycle: Cycle) -> str | None:
    """Nothing of a closed cycle changes (the year's evaluation has ended)."""
    if cycle.status == Cycle.Status.CLOSED:
        return f"{cycle.year}年度评审已结束。"
    return None


def _unset(cycle: Cycle, stage: Stage) -> str:
    return f"{cycle.year}年度尚未发布{stage.label}的时间安排。"


def _published_stage(stage: Stage, cycle_of: CycleOf, *, from_start: bool) -> Window:
    """Allowed until the stage's last day (and from its first when `from_start`), the cycle
    published and not closed."""

    def window(obj: Any, on: dt.date) -> str | None:
        cycle = cycle_of(obj)
        if reason := closed(cycle):
            return reason
        dates = stage_dates(cycle, stage)
        if dates is None or cycle.status != Cycle.Status.PUBLISHED:
            return _unset(cycle, stage)
        span = f"（{day(dates[0])}至{day(dates[1])}）" if from_start else ""
        if from_start and on < dates[0]:
            return f"{stage.label}将于{day(dates[0])}开始{span}。"
        if on > dates[1]:
            return f"{stage.label}已于{day(dates[1])}结束{span}。"
        return None

    return window


def within(stage: Stage, cycle_of: CycleOf = _own_cycle) -> Window:
    """Allowed from the stage's first day to its last, the cycle published and not closed."""
    return _published_stage(stage, cycle_of, from_start=True)


def until_end_of(stage: Stage, cycle_of: CycleOf = _own_cycle) -> Window:
    """Allowed until the stage's last day (work may be prepared before it opens)."""
    return _published_stage(stage, cycle_of, from_start=False)


def from_start_of(stage: Stage, cycle_of: CycleOf = _own_cycle) -> Window:
    """Allowed from the stage's first day on, the cycle not closed."""

    def window(obj: Any, on: dt.date) -> str | None:
        cycle = cycle_of(obj)
        if reason := closed(cycle):
            return reason
        dates = stage_dates(cycle, stage)
        if dates is None:
            return _unset(cycle, stage)
        if on < dates[0]:
            return f"{stage.label}将于{day(dates[0])}开始。"
        return None

    return window


def before(stage: Stage, cycle_of: CycleOf = _own_cycle) -> Window:
    """Allowed until the day before the stage starts, the cycle not closed."""

    def window(obj: Any, on: dt.date) -> str | None:
        cycle = cycle_of(obj)
        if reason := closed(cycle):
            return reason
        dates = stage_dates(cycle, stage)
        if dates is not None and on >= dates[0]:
            return f"{stage.label}已于{day(dates[0])}开始。"
        return None

    return window


def open_cycle(cycle_of: CycleOf = _own_cycle) -> Window:
    """Allowed while the cycle is not closed."""

    def window(obj: Any, on: dt.date) -> str | None:
        return closed(cycle_of(obj))

    return window
