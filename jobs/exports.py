"""When an export is made in the background, and the hand-over to its page (issue 17;
docs/decisions/0024, 0027).

The export's own view counts its rows, bounded (`too_large`: at most limit + 1 are read), and
makes a small file at once, as it always did; a large one it hands over (`hand_over`), with its
filter, to ``accounts:export_new <name>`` (desk/exports.py), which queues it for the requester
alone. The thresholds live here, one per export, because the views that read them sit in every
app from intake to supervision, all above this one and below the desk (lint-imports: a lower
app never imports a higher one). They are the award's engineering, not numbers of the Measures:
not on `Policy`.

Each is a row count whose workbook takes under about 3 s on the shared 2-core test machine
(`benchmarks/exports.py` on PostgreSQL, 4,000 applications, 2,200 evaluated; figures in
docs/decisions/0027): 申报汇总 0.73 ms a row, 排名 0.89, 专家分组 1.35, so 2,000 rows take
1.5–2.7 s; the bounded count that decides costs 1–4 ms. The ledger has a few rows a year.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

# The Office's application list (intake:export, 申报汇总): one row per application.
APPLICATIONS_ROWS = 2000
# The ranking (review:ranking_xlsx, 综合评价排名): one row per evaluated application.
RANKING_ROWS = 2000
# The expert groups (experts:export_groups, 专家分组): one row per member of a group.
GROUPS_ROWS = 2000
# The award ledger (decision:ledger_xlsx, 奖金台账): one row per bonus entry.
LEDGER_ROWS = 2000
# The API's 申报汇总 (GET /api/v1/applications/export.xlsx) stays synchronous for a program
# that asks by machine; above this it answers 422 and names the filters that split it (state,
# cycle). A script can wait longer than a person: five times the page's threshold.
API_APPLICATIONS_MAX = 10000


def too_large(rows: QuerySet[Any], limit: int) -> bool:
    """Whether `rows` holds more than `limit` rows, reading at most limit + 1 of them."""
    return rows.order_by().values("pk")[: limit + 1].count() > limit


def export_url(name: str, params: Mapping[str, Any] | None = None) -> str:
    """The page that asks for export `name` in the background, with its filter."""
    url = reverse("accounts:export_new", args=[name])
    query = urlencode({k: v for k, v in (params or {}).items() if v not in (None, "")})
    return f"{url}?{query}" if query else url


def hand_over(
    request: HttpRequest, name: str, extra: Mapping[str, Any] | None = None
) -> HttpResponse:
    """Send the requester of a large export to its background page, keeping the filter (the
    query string, plus `extra`: what the export's address carries, e.g. the cycle)."""
    params: dict[str, Any] = {k: request.GET.get(k) for k in request.GET}
    params.update(extra or {})
    return HttpResponseRedirect(export_url(name, params))
