"""Reads of the supervision app: the Office's workbench, and the winner's duty to report as
the case page, the cases list and the API read it (A23.1)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from programs.selectors import today

from .models import Case


def todos(user: Any) -> list[tuple[str, int, str]]:
    """What waits for the Office after the award (for the workbench): cases not yet
    investigated, a winner's written report among them (A23.1, A23.2)."""
    if not getattr(user, "is_authenticated", False) or not user.has_perm("supervision.manage"):
        return []
    waiting = Case.objects.filter(state=Case.State.OPEN).count()
    return [("待核查的违规案件", waiting, reverse("supervision:cases") + "?state=open")]


# --- the winner's duty to report (A23.1) -------------------------------------------------------

DUTY_LABELS = {
    "unknown": "确认日期未知",
    "due": "报告期内",
    "on_time": "按期报告",
    "late": "逾期报告",
    "failed": "未按规定报告",
}


@dataclass(frozen=True)
class ReportDuty:
    """Where a case's written report by the winner stands on a day (A23.1): `unknown` (no
    confirmation date, so no deadline), `due` (not reported, the deadline not yet passed),
    `on_time`, `late` (reported after the deadline), `failed` (not reported, the deadline
    passed)."""

    state: str
    due: dt.date | None
    reported_on: dt.date | None

    @property
    def label(self) -> str:
        return DUTY_LABELS[self.state]

    @property
    def late(self) -> bool:
        return self.state == "late"

    @property
    def failed(self) -> bool:
        return self.state == "failed"


def report_duties(cases: Iterable[Case], on: dt.date | None = None) -> dict[int, ReportDuty]:
    """The one reading of the winner's duty to report (A23.1) for each case, keyed by pk: the
    due date against the day `on` (today by default) and the report's date. A winner's case is
    its own report; for a case the Office opened, the report is the winner's earliest written
    report (made by `on`) of a violation on the same award confirmed on or after the case's
    confirmation date. Derived, never stored: a case becomes `failed` the day after its
    deadline without anybody writing it. One query for any number of cases."""
    day = on or today()
    cases = list(cases)
    awards = {c.award_id for c in cases if c.source != Case.Source.WINNER and c.report_due_on}
    reports: dict[int, list[tuple[dt.date | None, dt.date | None]]] = defaultdict(list)
    if awards:
        rows = Case.objects.filter(
            award_id__in=awards, source=Case.Source.WINNER, reported_on__lte=day
        ).values_list("award_id", "confirmed_on", "reported_on")
        for award_id, confirmed_on, reported_on in rows:
            reports[award_id].append((confirmed_on, reported_on))
    result = {}
    for case in cases:
        due = case.report_due_on
        if case.source == Case.Source.WINNER:
            reported = case.reported_on
        else:
            reported = min(
                (
                    r
                    for confirmed, r in reports.get(case.award_id, [])
                    if r is not None
                    and case.confirmed_on is not None
                    and confirmed is not None
                    and confirmed >= case.confirmed_on
                ),
                default=None,
            )
        if due is None:
            state = "unknown"
        elif reported is not None:
            state = "late" if reported > due else "on_time"
        else:
            state = "failed" if day > due else "due"
        result[case.pk] = ReportDuty(state, due, reported)
    return result


def report_duty(case: Case, on: dt.date | None = None) -> ReportDuty:
    """`report_duties` for one case (the case page, the API)."""
    return report_duties([case], on)[case.pk]
