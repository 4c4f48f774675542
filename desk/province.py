"""各地奖项概况: the provincial administrator's view of the programs within its region (issue 18,
decision 0030).

A province-level program (江苏省, division code 320000) holds the 省级管理员; the page compares
the programs whose division code lies within its region (`lib.uscc.area_prefix`: a province by
its first two digits, a prefecture by four), per program and year: applications submitted and
accepted, awards by category, the experts serving in two or more of those programs, the stage
dates. It lives in `desk` because it reads every stage (intake, experts, decision's awards),
which `programs` may not import (docs/architecture.md, Import direction).

Nothing confidential crosses: counts and dates only, the shared experts by name and the number
of programs they serve; never an application's contents, an applicant's name, a score or a
person's data.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from experts.models import Assignment
from intake.models import Application, AwardRecord, Kind, QualificationDecision
from lib import excel
from lib.access import perm_required
from lib.http import file_response
from lib.params import query_int
from lib.uscc import area_prefix
from programs.context import current_program
from programs.models import AwardProgram, Cycle, Stage
from programs.selectors import today

VIEW = "programs.view_province"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The award categories of every program's Measures (第二条、第十四条), as columns.
CATEGORIES: list[tuple[tuple[str, str], str]] = [
    ((Kind.ORGANIZATION, AwardRecord.Level.AWARD), "组织·质量奖"),
    ((Kind.ORGANIZATION, AwardRecord.Level.NOMINATION), "组织·提名奖"),
    ((Kind.INDIVIDUAL, AwardRecord.Level.AWARD), "个人·质量奖"),
]


# --- selectors ---------------------------------------------------------------------------------


@dataclass
class ProgramYear:
    """One program's year, in counts and dates only."""

    program: AwardProgram
    cycle: Cycle
    submitted: int = 0
    accepted: int = 0
    awards: list[int] = field(default_factory=list)  # in the order of CATEGORIES
    revoked: int = 0
    shared_experts: int = 0
    # (stage label, starts_on, ends_on) in the order of article 11; a stage without dates is
    # left out.
    stages: list[tuple[str, Any, Any]] = field(default_factory=list)

    @property
    def labelled_awards(self) -> list[tuple[str, int]]:
        return [(label, n) for (_, label), n in zip(CATEGORIES, self.awards, strict=True)]

    @property
    def stage_cells(self) -> list[tuple[str, str]]:
        """(stage label, its dates) for each stage of article 11, in a narrow column: a date of
        the year itself as 月-日, another year's in full; '未设置' for a stage without dates."""
        dates = {label: (start, end) for label, start, end in self.stages}

        def day(d: Any) -> str:
            return f"{d:%m-%d}" if d.year == self.cycle.year else f"{d:%Y-%m-%d}"

        cells = []
        for stage in Stage.ordered():
            if stage.label in dates:
                start, end = dates[stage.label]
                cells.append((stage.label, f"{day(start)}至{day(end)}"))
            else:
                cells.append((stage.label, "未设置"))
        return cells


@dataclass(frozen=True)
class SharedExpert:
    name: str
    programs: list[str]  # the programs' names, in the page's order


@dataclass(frozen=True)
class Overview:
    region: AwardProgram
    programs: list[AwardProgram]
    years: list[int]  # every year shown, for the filter
    rows: list[ProgramYear]
    shared: list[SharedExpert]


def programs_within(region: AwardProgram) -> list[AwardProgram]:
    """The programs whose division code lies within `region`'s (the region's own included):
    the same prefix rule as an applicant's registration (decision 0030, item 5)."""
    prefix = area_prefix(region.division_code)
    return list(
        AwardProgram.objects.filter(division_code__startswith=prefix).order_by(
            "division_code", "pk"
        )
    )


def overview(*, region: AwardProgram, year: int | None = None) -> Overview:
    """The page's numbers, in six statements whatever the number of programs and years.

    Draft years (筹备中) are left out: their call is not public. An application counts as
    submitted once it was submitted at least once (`version`), as accepted while an accepted
    qualification decision of it stands (not corrected); an award while not revoked.
    """
    programs = programs_within(region)
    by_id = {p.pk: p for p in programs}
    every = list(
        Cycle.objects.filter(program__in=programs)
        .exclude(status=Cycle.Status.DRAFT)
        .order_by("-year", "program__division_code", "program_id")
        .prefetch_related("stages")
    )
    years = sorted({c.year for c in every}, reverse=True)
    shown = [c for c in every if year is None or c.year == year]
    accepted = QualificationDecision.objects.filter(
        application=OuterRef("pk"),
        outcome=QualificationDecision.Outcome.ACCEPTED,
        corrected_by__isnull=True,
    )
    counted = (
        Application.objects.filter(cycle__in=shown)
        .annotate(was_accepted=Exists(accepted))
        .values("cycle_id")
        .annotate(
            submitted=Count("pk", filter=Q(version__gte=1)),
            accepted=Count("pk", filter=Q(was_accepted=True)),
        )
        .order_by()
    )
    rows = {
        c.pk: ProgramYear(program=by_id[c.program_id], cycle=c, awards=[0] * len(CATEGORIES))
        for c in shown
    }
    for c in rows.values():
        dates = {s.stage: s for s in c.cycle.stages.all()}
        c.stages = [
            (stage.label, dates[stage].starts_on, dates[stage].ends_on)
            for stage in Stage.ordered()
            if stage in dates
        ]
    for entry in counted:
        rows[entry["cycle_id"]].submitted = entry["submitted"]
        rows[entry["cycle_id"]].accepted = entry["accepted"]
    columns = {key: i for i, (key, _) in enumerate(CATEGORIES)}
    awards = (
        AwardRecord.objects.filter(application__cycle__in=shown)
        .values("application__cycle_id", "application__kind", "level")
        .annotate(standing=Count("pk", filter=Q(revoked_on__isnull=True)), total=Count("pk"))
        .order_by()
    )
    for a in awards:
        row = rows[a["application__cycle_id"]]
        column = columns.get((a["application__kind"], a["level"]))
        if column is not None:
            row.awards[column] += a["standing"]
        row.revoked += a["total"] - a["standing"]
    shared = _shared_experts(programs, {c.pk: c.program_id for c in every}, rows)
    return Overview(
        region=region, programs=programs, years=years, rows=list(rows.values()), shared=shared
    )


def _shared_experts(
    programs: list[AwardProgram], program_of_cycle: dict[int, int], rows: dict[int, ProgramYear]
) -> list[SharedExpert]:
    """The experts in review groups (not removed) of two or more of the programs, each with its
    programs; and, on each year's row, how many of its experts are shared. Over every year of
    the programs, whatever the year filter: sharing is a property of the pool."""
    served = (
        Assignment.objects.filter(
            removed_at__isnull=True, group__application__cycle__program__in=programs
        )
        .exclude(group__application__cycle__status=Cycle.Status.DRAFT)
        .values_list("expert_id", "expert__name", "group__application__cycle_id")
        .order_by()
        .distinct()
    )
    names: dict[int, str] = {}
    cycles_of: dict[int, set[int]] = defaultdict(set)
    for expert_id, name, cycle_id in served:
        names[expert_id] = name
        cycles_of[expert_id].add(cycle_id)
    order = {p.pk: i for i, p in enumerate(programs)}
    program_names = {p.pk: p.name for p in programs}
    shared: list[SharedExpert] = []
    for expert_id, cycle_ids in cycles_of.items():
        in_programs = {program_of_cycle[c] for c in cycle_ids}
        if len(in_programs) < 2:
            continue
        shared.append(
            SharedExpert(
                name=names[expert_id],
                programs=[program_names[p] for p in sorted(in_programs, key=order.__getitem__)],
            )
        )
        for cycle_id in cycle_ids:
            if cycle_id in rows:
                rows[cycle_id].shared_experts += 1
    shared.sort(key=lambda e: (-len(e.programs), e.name))
    return shared


# --- views -------------------------------------------------------------------------------------


def _region() -> AwardProgram:
    """The program the administrator acts in: `programs.view_province` holds only where the
    user is 省级管理员 (accounts/rules.py asks in the current program), so the current program
    is the province's."""
    return current_program()


@perm_required(VIEW)
def province(request: HttpRequest) -> HttpResponse:
    """各地奖项概况: the programs of the region, per year."""
    year = query_int(request, "year", lo=2000, hi=2100)
    data = overview(region=_region(), year=year)
    return render(
        request,
        "desk/province.html",
        {
            "data": data,
            "program": data.region,  # the footer names the province's office
            "year": year,
            "categories": [label for _, label in CATEGORIES],
            "stages": [stage.label for stage in Stage.ordered()],
        },
    )


HEADERS = [
    "奖项",
    "行政区划代码",
    "年度",
    "状态",
    "已提交申报",
    "已受理",
    *(label for _, label in CATEGORIES),
    "已撤销",
    "共享专家（人）",
    *(stage.label for stage in Stage.ordered()),
]


def export_rows(data: Overview) -> list[list[object]]:
    """The page's tables as spreadsheet rows: the counts, then the stage dates as on the page
    (月-日 within the year), so that a row prints on one A4 line."""
    rows: list[list[object]] = []
    for r in data.rows:
        rows.append(
            [
                r.program.name,
                r.program.division_code,
                r.cycle.year,
                r.cycle.get_status_display(),
                r.submitted,
                r.accepted,
                *r.awards,
                r.revoked,
                r.shared_experts,
                *(dates for _, dates in r.stage_cells),
            ]
        )
    return rows


@perm_required(VIEW)
def province_xlsx(request: HttpRequest) -> HttpResponse:
    """The same table as Excel (counts and dates only; the audit middleware records the
    download)."""
    year = query_int(request, "year", lo=2000, hi=2100)
    data = overview(region=_region(), year=year)
    scope = f"{year}年度" if year else "各年度"
    title = f"{data.region.name}·各地奖项概况（{scope}，{today():%Y-%m-%d}）"
    body = excel.workbook_bytes(
        title=title,
        headers=HEADERS,
        rows=export_rows(data),
        sheet_name="各地奖项概况",
        formats=dict.fromkeys(HEADERS[4 : -len(Stage.ordered())], excel.INTEGER),
    )
    return file_response(body, f"{title}.xlsx", XLSX)
