"""Reads of the supervision app: the Office's workbench, and the winner's duty to report as
the case page, the cases list and the API read it (A23.1)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.urls import reverse

from experts.models import Draw, Expert
from intake import standing
from intake.models import Application, State
from programs.models import Cycle
from programs.selectors import today

from .models import Case


def program_cases() -> QuerySet[Case]:
    """The current program's violation cases: those on its awards (decision 0030; another
    program's case is not listed and its page is 404)."""
    return Case.objects.filter(standing.program_awards_q("award__"))


def todos(user: Any) -> list[tuple[str, int, str]]:
    """What waits for the Office after the award (for the workbench): cases not yet
    investigated, a winner's written report among them (A23.1, A23.2)."""
    if not getattr(user, "is_authenticated", False) or not user.has_perm("supervision.manage"):
        return []
    waiting = program_cases().filter(state=Case.State.OPEN).count()
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


# --- the year page, a page of applications at a time (issue 17) ---------------------------------


@dataclass(frozen=True)
class CardCursor:
    """The card a page of the year page starts after: its kind and id (`organization.42`)."""

    kind: str
    pk: int

    def __str__(self) -> str:
        return f"{self.kind}.{self.pk}"

    @classmethod
    def parse(cls, text: str | None) -> CardCursor | None:
        kind, _, pk = (text or "").partition(".")
        if kind not in {"organization", "individual"} or not pk.isdigit() or len(pk) > 18:
            return None
        return cls(kind, int(pk))

    @classmethod
    def of(cls, application: Application) -> CardCursor:
        return cls(application.kind, application.pk)


def cycle_cards(cycle: Cycle, *, after: CardCursor | None = None) -> QuerySet[Application]:
    """The year's submitted applications in the year page's order (kind, id), after `after`;
    without the forms (never shown there)."""
    rows = (
        Application.objects.filter(cycle=cycle)
        .exclude(state=State.DRAFT)
        .defer("data", "draft_typed", "draft_errors", "individual__id_number")
        .order_by("kind", "pk")
    )
    if after is not None:
        # The redundant `kind >=` lets the (cycle, kind, id) index seek to the cursor's kind.
        rows = rows.filter(Q(kind__gte=after.kind) & (Q(kind__gt=after.kind) | Q(pk__gt=after.pk)))
    return rows


def cycle_counts(cycle: Cycle) -> list[tuple[str, int]]:
    """The year's submitted applications by state, in the states' order (one grouped count
    over the (cycle, state) index)."""
    found = dict(
        Application.objects.filter(cycle=cycle)
        .exclude(state=State.DRAFT)
        .values_list("state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [(str(label), found[value]) for value, label in State.choices if value in found]


def draws_for(cycle: Cycle, application_ids: Iterable[int]) -> list[dict[str, Any]]:
    """Every random draw of the year (A17.1), oldest first, each with who drew, the seed and
    the reason, and its pairs for the applications given (the page's): `total` says for how
    many applications the draw was made. Three queries; the draw's problem is not loaded."""
    wanted = set(application_ids)
    found = list(
        Draw.objects.filter(cycle=cycle)
        .select_related("drawn_by")
        .defer("problem")
        .order_by("drawn_at", "pk")
    )
    pairs = {d.pk: [(int(a), int(e)) for a, e in d.pairs] for d in found}
    shown = {a for p in pairs.values() for a, _ in p if a in wanted}
    applicants = {
        a.pk: a.applicant_name
        for a in Application.objects.filter(pk__in=shown)
        .select_related("organization", "individual")
        .defer("data", "draft_typed", "draft_errors", "individual__id_number")
    }
    experts = {e for p in pairs.values() for a, e in p if a in wanted}
    names = dict(Expert.objects.filter(pk__in=experts).values_list("pk", "name"))
    out = []
    counted: dict[str, int] = {}
    for draw in found:
        counted[draw.stage] = counted.get(draw.stage, 0) + 1  # the n-th draw of its stage
        by_applicant: dict[str, list[str]] = defaultdict(list)
        for a, e in pairs[draw.pk]:
            if a in wanted:
                by_applicant[applicants.get(a, str(a))].append(names.get(e, str(e)))
        out.append(
            {
                "number": counted[draw.stage],
                "draw": draw,
                "groups": sorted(by_applicant.items()),
                "total": len({a for a, _ in pairs[draw.pk]}),
            }
        )
    return out
