"""The ranking per kind with the rater analytics, its Excel sheet and the 综合评价报告 (A10.2,
A10.3, A18.1): the committee reads them; the Office and supervisors too."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from intake.models import Kind
from jobs import exports as large_exports
from lib import excel
from lib.access import perm_required
from lib.errors import ServiceError
from lib.http import file_response
from programs.models import Cycle

from .. import analytics
from . import selectors
from .common import DOCX, MANAGE, OVERSEE, RESULTS, STAGES, XLSX, refused

ROUNDING_RULE = (
    "条款得分＝分值×得分比例，阶段得分为各条款得分之和，均不取舍；综合得分＝各阶段得分按权重加权，"
    "只在最后一步四舍五入保留两位小数（《办法》第十条）。"
    "综合得分相同者名次相同（如1、2、2、4），标注“并列”，系统不作区分，由委员会审定。"
)


# Rows per page of each ranking table and of the dispersion table: at 2,000 evaluated
# applications the whole page was 1.8 MB of HTML (issue 17); the Excel sheet has every row.
PAGE_SIZE = 50


class _Counted(Paginator):
    """A paginator told how many rows there are (one query counts both kinds and the ties)."""

    def __init__(self, object_list: Any, per_page: int, count: int) -> None:
        super().__init__(object_list, per_page)
        self._known = count

    @property
    def count(self) -> int:  # type: ignore[override]
        return self._known


@perm_required(RESULTS)
def ranking(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """The ranking per kind from the evaluation, ties flagged (A10.2, A10.3, A18.1), 50 to a
    page (the Excel sheet has all), and the rater analytics as stored (`analytics.stored`, with
    the time they were computed): each expert's deviation from the consensus and agreement with
    the group, and the applications whose cards disagree more than the policy's threshold for
    discussion (all of them on request), as charts and as plain tables.

    Five statements whatever the numbers (issue 17 part R): the cycle, one count of both kinds
    and the ties, a page of each kind, the stored figures without the dispersion rows the page
    does not show. The cells are formatted here, not by the template's filters (number
    localisation and a URL reversal per row were most of the rendering)."""
    cycle = selectors.cycle_or_404(cycle_id, stages=False)
    counts = selectors.ranking_counts(cycle)
    can_oversee = request.user.has_perm(OVERSEE)
    record = _record_url() if can_oversee else None
    tables = []
    for kind, label in Kind.choices:
        ranked = selectors.ranked(cycle, kind).defer("category_percents")  # the radar's
        page = _Counted(ranked, PAGE_SIZE, counts[kind]).get_page(request.GET.get(f"page_{kind}"))
        tables.append(
            {
                "kind": kind,
                "label": label,
                "page": page,
                "rows": [_ranked_row(e, record) for e in page] if counts[kind] else [],
                "query": _query(request, f"page_{kind}"),
            }
        )
    evaluated = any(counts[kind] for kind in Kind.values)
    threshold = cycle.policy.consensus_spread_points
    show_all = request.GET.get("dispersion") == "all"
    figures = analytics.stored(cycle, threshold, full=show_all)
    spread = figures.dispersion if show_all and figures.dispersion is not None else figures.flagged
    spread_page = Paginator(spread, PAGE_SIZE).get_page(request.GET.get("page_dispersion"))
    # The raters' table a page at a time too (a provincial pool has hundreds of experts; the
    # rows were most of the page's rendering time); the charts keep every expert.
    raters_page = Paginator(figures.raters, PAGE_SIZE).get_page(request.GET.get("page_raters"))
    chart_data = {
        "raters": [
            {"name": r.name, "deviation": r.deviation, "agreement": r.agreement}
            for r in figures.raters
        ],
        # The widest spreads, whatever the threshold: a chart of 4,000 bars reads as none.
        "dispersion": _dispersion_series(figures.widest),
    }
    return render(
        request,
        "review/ranking.html",
        {
            "cycle": cycle,
            "tables": tables,
            "evaluated": evaluated,
            "ties": counts["ties"] > 0,
            "rounding_rule": ROUNDING_RULE,
            "figures": figures,
            "raters": raters_page,
            "rater_rows": [_rater_row(r) for r in raters_page],
            "raters_query": _query(request, "page_raters"),
            "dispersion": [
                {"row": d, "stage": STAGES[d.stage], "spread": f"{d.spread:.2f}"}
                for d in spread_page
            ],
            "dispersion_page": spread_page,
            "dispersion_total": figures.dispersion_count,
            "dispersion_all": show_all,
            "dispersion_query": _query(request, "page_dispersion"),
            "threshold": threshold,
            "agreement_points": analytics.AGREEMENT_POINTS,
            "chart_data": chart_data,
            "chart_limit": analytics.CHART_ROWS,
            "can_manage": request.user.has_perm(MANAGE),
            "can_oversee": can_oversee,
        },
    )


_NO_ID = "00000000-0000-0000-0000-000000000000"


def _record_url() -> Callable[[Any], str]:
    """`reverse("review:record", …)` for many rows: reversed once, the id put in per row."""
    pattern = reverse("review:record", args=[_NO_ID])
    return lambda public_id: pattern.replace(_NO_ID, str(public_id))


def _ranked_row(e: Any, record: Callable[[Any], str] | None) -> dict[str, Any]:
    """One evaluation as the ranking table shows it (the scores as stored: two decimals)."""
    application = e.application
    site = e.site_score is not None
    return {
        "rank": str(e.rank),  # a string: {{ int }} goes through number localisation
        "tied": e.tied,
        "name": application.applicant_name,
        "url": record(application.public_id) if record else "",
        "material": str(e.material_score),
        "site": str(e.site_score) if site else "",
        "weights": f"材料{e.material_weight}%" + (f"，现场{e.site_weight}%" if site else ""),
        "final": str(e.final_score),
    }


def _rater_row(r: analytics.RaterFigure) -> dict[str, Any]:
    lean = "（偏宽）" if r.deviation > 0 else "（偏严）" if r.deviation < 0 else ""
    return {
        "name": r.name,
        "cards": str(r.cards),
        "items": str(r.items),
        "deviation": f"{'+' if r.deviation > 0 else ''}{r.deviation:.2f}{lean}",
        "agreement": f"{r.agreement:.1f}%",
    }


def _query(request: HttpRequest, drop: str) -> str:
    """The page's other parameters, for a pager link that turns one table's page only."""
    return urlencode([(k, v) for k, values in request.GET.lists() if k != drop for v in values])


def _dispersion_series(rows: list[analytics.Dispersion]) -> dict[str, Any]:
    """One bar row per application, one series per stage that has any (null where none)."""
    names: dict[int, str] = {}
    by_stage: dict[str, dict[int, float]] = defaultdict(dict)
    for d in rows:
        names.setdefault(d.application_id, d.name)
        by_stage[d.stage][d.application_id] = d.spread
    return {
        "names": list(names.values()),
        "series": [
            {"name": label, "values": [by_stage[stage].get(pk) for pk in names]}
            for stage, label in STAGES.items()
            if by_stage.get(stage)
        ],
    }


RANKING_HEADERS = [
    "类别",
    "名次",
    "并列",
    "申报人",
    "材料评审得分",
    "材料评审权重（%）",
    "现场评审得分",
    "现场评审权重（%）",
    "综合得分",
]


def ranking_build(cycle: Cycle) -> tuple[str, bytes]:
    """The ranking as one Excel sheet (file name, content): what the view sends at once and
    what a background job makes (desk/exports.py, export "ranking")."""
    rows = [
        [
            e.application.get_kind_display(),
            e.rank,
            "并列" if e.tied else "",
            e.application.applicant_name,
            e.material_score,
            e.material_weight,
            e.site_score,
            e.site_weight if e.site_score is not None else None,
            e.final_score,
        ]
        for e in selectors.ranked(cycle).iterator(chunk_size=500)
    ]
    name = f"{cycle.year}年度综合评价排名.xlsx"
    data = excel.workbook_bytes(
        title=name.removesuffix(".xlsx"),
        headers=RANKING_HEADERS,
        rows=rows,
        sheet_name="综合评价排名",
        formats={
            "材料评审得分": excel.SCORE,
            "现场评审得分": excel.SCORE,
            "综合得分": excel.SCORE,
            "材料评审权重（%）": excel.INTEGER,
            "现场评审权重（%）": excel.INTEGER,
        },
    )
    return name, data


@perm_required(RESULTS)
def ranking_xlsx(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """The ranking as one Excel sheet, organizations first, for the committee's papers. Above
    `jobs.exports.RANKING_ROWS` evaluations it is made in the background for the requester."""
    cycle = selectors.cycle_or_404(cycle_id)
    if large_exports.too_large(selectors.ranked(cycle), large_exports.RANKING_ROWS):
        return large_exports.hand_over(request, "ranking", {"cycle": cycle.pk})
    name, data = ranking_build(cycle)
    return file_response(data, name, XLSX)


@perm_required(RESULTS)
def report(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """The 综合评价报告 as a Word document the Office edits and files (A18.1)."""
    from ..documents import evaluation_report_docx  # written alongside; heavy (charts)

    cycle = selectors.cycle_or_404(cycle_id)
    try:
        data = evaluation_report_docx(cycle)
    except ServiceError as exc:  # nothing evaluated yet
        refused(request, exc)
        return redirect("review:ranking", cycle_id=cycle.pk)
    return file_response(data, f"{cycle.year}年度综合评价报告.docx", DOCX)
