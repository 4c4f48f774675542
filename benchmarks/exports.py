"""The Excel exports at scale (issue 17; jobs/exports.py's thresholds, docs/decisions/0027):
how long each workbook takes to make for its rows, and what the bounded count that decides
between "at once" and "in the background" costs, against a database `benchmarks/generate.py
--keep` filled:

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/qa_bench \\
        .venv/bin/python benchmarks/exports.py

Each export: its own build function (the one its view and its background job call), R timed
runs after one warm-up, the median; the rows of the file; milliseconds a row; the row count at
which the file takes THRESHOLD_SECONDS at that rate (what jobs/exports.py's constants were set
from). Then the time of `too_large` at the export's threshold (it reads at most limit + 1
rows). Reads only; the rows were encrypted with the keys of the database's VAR_DIR.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project root

from benchmarks._common import out, var_dir

THRESHOLD_SECONDS = 2.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-r", type=int, default=3, help="timed runs per export")
    parser.add_argument("--only", default="", help="the exports whose label contains this")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DEBUG"] = "0"
    name = urlsplit(os.environ.get("DATABASE_URL", "")).path.lstrip("/")
    if not name:
        raise SystemExit("DATABASE_URL must name the database benchmarks/generate.py kept.")
    os.environ.setdefault("VAR_DIR", str(var_dir(name)))
    import django

    django.setup()
    from openpyxl import load_workbook

    from accounts.models import User
    from decision.selectors import ledger_entries
    from decision.views.awards import ledger_build
    from experts.models import Assignment
    from experts.views.groups import groups_build
    from intake.views.lists import _export_rows, export_build
    from jobs import exports as thresholds
    from programs.models import Cycle
    from review.office.ranking import ranking_build
    from review.office.selectors import ranked

    office = User.objects.get(username="office")
    cycle = Cycle.objects.filter(applications__evaluation__isnull=False).order_by("-year").first()
    if cycle is None:
        raise SystemExit("no evaluated cycle: run benchmarks/generate.py with --evaluated")

    def rows_of(content: bytes) -> int:
        book = load_workbook(io.BytesIO(content), read_only=True)
        return sum(sheet.max_row or 0 for sheet in book.worksheets)

    def timed(func: Callable[[], Any]) -> tuple[float, Any]:
        func()  # warm-up
        samples, result = [], None
        for _ in range(args.r):
            t0 = time.perf_counter()
            result = func()
            samples.append(time.perf_counter() - t0)
        return statistics.median(samples), result

    def members(stage: str) -> Any:
        return Assignment.objects.filter(
            removed_at__isnull=True, group__application__cycle=cycle, group__stage=stage
        )

    cases: list[tuple[str, Callable[[], tuple[str, bytes]], Any, int]] = [
        (
            "申报汇总 (Office, all)",
            lambda: export_build(office, {}),
            _export_rows(office, {}),
            thresholds.APPLICATIONS_ROWS,
        ),
        ("综合评价排名", lambda: ranking_build(cycle), ranked(cycle), thresholds.RANKING_ROWS),
        (
            "专家分组 material_review",
            lambda: groups_build({"cycle": str(cycle.pk), "stage": "material_review"}),
            members("material_review"),
            thresholds.GROUPS_ROWS,
        ),
        (
            "专家分组 site_review",
            lambda: groups_build({"cycle": str(cycle.pk), "stage": "site_review"}),
            members("site_review"),
            thresholds.GROUPS_ROWS,
        ),
        ("奖金台账", ledger_build, ledger_entries(), thresholds.LEDGER_ROWS),
    ]
    out(f"# benchmarks/exports.py  R={args.r} runs (median, after a warm-up)")
    out(f"# {django.db.connection.vendor}, cycle {cycle.year}")
    out()
    out("| export | rows | file | seconds | ms/row | rows in 2.5 s | threshold | count (ms) |")
    out("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, build, query, limit in cases:
        if args.only not in label:
            continue
        seconds, (_, content) = timed(build)
        rows = rows_of(content)
        per_row = seconds / max(rows, 1) * 1000

        def count(q: Any = query, n: int = limit) -> bool:
            return thresholds.too_large(q, n)

        count_seconds, _ = timed(count)
        out(
            f"| {label} | {rows:,} | {len(content) / 1024:,.0f} KiB | {seconds:.2f} "
            f"| {per_row:.2f} | {THRESHOLD_SECONDS / per_row * 1000:,.0f} | {limit:,} "
            f"| {count_seconds * 1000:.1f} |"
        )


if __name__ == "__main__":
    main()
