"""Audit chain: appends (one transaction each) and a full verify_chain().

    .venv/bin/python benchmarks/audit_chain.py [-n 5000] [--threads-n 2000]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \
        .venv/bin/python benchmarks/audit_chain.py

On PostgreSQL it also appends from 2 threads at once: every append locks the single ChainHead
row until its transaction commits, so concurrent appends queue behind each other.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project root

from benchmarks._common import Row, bench_database, machine, out, table, timed


def payloads(n: int) -> list[dict[str, Any]]:
    """Realistic before/after shapes, cycling through three kinds of change."""
    base = dt.date(2026, 3, 2)
    stages = [
        "application",
        "qualification",
        "material_review",
        "site_review",
        "evaluation",
        "committee_review",
        "notice",
        "approval",
    ]
    result: list[dict[str, Any]] = []
    for i in range(n):
        kind = i % 3
        if kind == 0:  # like programs.cycle.set_dates: eight stages, old and new dates
            shift = dt.timedelta(days=i % 7)
            dates = {
                s: [base + dt.timedelta(days=30 * k), base + dt.timedelta(days=30 * k + 20)]
                for k, s in enumerate(stages)
            }
            moved = {s: [a + shift, b + shift] for s, (a, b) in dates.items()}
            result.append(
                {
                    "action": "programs.cycle.set_dates",
                    "before": dates,
                    "after": moved,
                    "reason": f"根据第{i}次办公室会议调整评审日程，顺延{i % 7}天。",
                }
            )
        elif kind == 1:  # like accounts.role.grant: a small dict
            result.append(
                {
                    "action": "accounts.role.grant",
                    "before": None,
                    "after": {"role": "expert", "recommending_unit": None, "organization": None},
                    "reason": "专家库年度增补",
                }
            )
        else:  # like programs.calendar.enter: a year's ~40 days as a list
            year = 2027 + i % 10
            days = [
                [dt.date(year, 1 + d % 12, 1 + d % 28), d % 6 == 0, "国庆节" if d % 2 else "春节"]
                for d in range(40)
            ]
            result.append(
                {
                    "action": "programs.calendar.enter",
                    "before": None,
                    "after": {"notice_ref": f"国办发明电〔{year - 1}〕{i % 20}号", "days": days},
                    "reason": "",
                }
            )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=5000, help="appends, one transaction each")
    parser.add_argument(
        "--threads-n", type=int, default=2000, help="appends per mode, 1 vs 2 threads"
    )
    parser.add_argument("--rounds", type=int, default=4, help="1-thread/2-thread rounds")
    parser.add_argument("--verify-runs", type=int, default=3)
    args = parser.parse_args()

    with bench_database() as db:
        from django.db import connections, transaction
        from django.test.utils import CaptureQueriesContext

        from accounts.models import Role
        from audit.models import AuditEvent
        from audit.services import record, verify_chain
        from programs import demo
        from programs.models import Cycle

        demo.seed()
        office = demo.seed_users()["office"]
        # As the services hold it: with its program, which str(cycle) reads for object_repr.
        cycle = Cycle.objects.select_related("program").get(year=demo.DEMO_YEAR)
        seeded = AuditEvent.objects.count()

        def append(p: dict[str, Any]) -> None:
            with transaction.atomic():
                record(
                    actor=office,
                    role=Role.OFFICE,
                    action=p["action"],
                    obj=cycle,
                    before=p["before"],
                    after=p["after"],
                    reason=p["reason"],
                )

        # The SQL statements of one append, transaction control included.
        with CaptureQueriesContext(connections["default"]) as ctx:
            append(payloads(1)[0])
        statements = [
            q["sql"].split()[0] + (" … FOR UPDATE" if "FOR UPDATE" in q["sql"] else "")
            for q in ctx.captured_queries
        ]

        rows: list[Row] = []
        work = payloads(args.n)
        rows.append(timed("append (atomic + record)", work, append))

        total_events = AuditEvent.objects.count()
        reports = []
        verify_samples = []
        for _ in range(args.verify_runs):
            t0 = time.perf_counter()
            reports.append(verify_chain())
            verify_samples.append(time.perf_counter() - t0)
        if not all(r.ok and r.checked == total_events for r in reports):
            raise SystemExit(f"verify_chain failed: {reports[-1]}")
        rows.append(
            Row(
                f"verify_chain() over {total_events:,} events (per event)",
                total_events * args.verify_runs,
                sum(verify_samples),
                [s / total_events for s in verify_samples],
                cells=(f"{args.verify_runs} runs, {statistics.mean(verify_samples):.3f} s each",),
            )
        )

        threaded_note = ""
        if db.vendor == "postgresql":
            # Alternate rounds of 1 thread and 2 threads, so that load from other processes on
            # the machine falls on both alike.
            per_round = args.threads_n // args.rounds
            single: list[float] = []
            pair: list[float] = []
            pair_wall = 0.0
            errors: list[BaseException] = []

            def worker(chunk: list[dict[str, Any]], barrier: threading.Barrier) -> None:
                try:
                    connections["default"].ensure_connection()  # this thread's own connection
                    barrier.wait()
                    for p in chunk:
                        t0 = time.perf_counter()
                        append(p)
                        pair.append(time.perf_counter() - t0)  # list.append is thread-safe
                except BaseException as exc:  # reported below
                    errors.append(exc)
                finally:
                    connections.close_all()

            for _ in range(args.rounds):
                single += timed("", payloads(per_round), append).samples
                barrier = threading.Barrier(2)
                chunks = [payloads(per_round // 2), payloads(per_round // 2)]
                threads = [threading.Thread(target=worker, args=(c, barrier)) for c in chunks]
                t0 = time.perf_counter()
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                pair_wall += time.perf_counter() - t0
                if errors:
                    raise SystemExit(f"threaded append failed: {errors[0]!r}")
            rows.append(
                Row(
                    f"append, 1 thread ({len(single):,})",
                    len(single),
                    sum(single),
                    single,
                    cells=(f"{args.rounds} rounds, alternating with the row below",),
                )
            )
            rows.append(
                Row(
                    f"append, 2 threads ({len(pair):,}; wall clock)",
                    len(pair),
                    pair_wall,
                    pair,
                    cells=(
                        f"mean/op = wall / ops; mean latency {sum(pair) / len(pair) * 1e3:.2f} ms;"
                        f" sum of latencies = {sum(pair) / pair_wall:.2f}x wall",
                    ),
                )
            )
            report = verify_chain()
            if not report.ok or report.checked != AuditEvent.objects.count():
                raise SystemExit(f"chain broken after threaded appends: {report}")
            threaded_note = f"after threads: verify_chain ok, {report.checked:,} events"
        else:
            threaded_note = "2-thread appends: skipped on SQLite (one writer at a time by design)"

        out(f"# benchmarks/audit_chain.py  N={args.n:,}")
        out(machine(db))
        out(
            f"chain before: {seeded} demo events; one append = {len(statements)} SQL: "
            + ", ".join(statements)
        )
        out()
        table(rows, extra=("note",))
        out()
        out(threaded_note)


if __name__ == "__main__":
    main()
