"""Audit chain: appends (one transaction each) and a full verify_chain(); then the chain grown
to --state-events more events (inserted in bulk with valid hashes; a quarter are scorecard
submissions carrying 23 items, a quarter role grants, as `audit.integrity` reads them), a
checkpoint written, and `verify_state()`, `verify_chain()` against the checkpoint and the whole
`manage.py audit_verify --state` timed over it.

    .venv/bin/python benchmarks/audit_chain.py [-n 5000] [--threads-n 2000] [--state-events N]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \
        .venv/bin/python benchmarks/audit_chain.py

On PostgreSQL it also appends from 2 threads at once: every append locks the single ChainHead
row until its transaction commits, so concurrent appends queue behind each other.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
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


def _scorecard_after(i: int) -> dict[str, Any]:
    codes = [f"4.{c}.{k}" for c in range(1, 8) for k in range(1, 5)][:23]
    return {
        "items": {code: 50 + (i + n) % 10 * 5 for n, code in enumerate(codes)},
        "score": "600.00",
    }


def grow_and_check(n: int, runs: int) -> tuple[list[Row], str]:
    """Append `n` events in bulk (valid chain, hashes computed as `record` does), write a
    checkpoint, then time the checks over the whole chain."""
    from io import StringIO

    from django.core.management import call_command
    from django.utils import timezone

    from audit import anchors
    from audit.integrity import verify_state
    from audit.models import AuditEvent, ChainHead
    from audit.services import _digest, jsonable, verify_chain

    head = ChainHead.objects.get(id=1)
    seq, prev = head.seq, head.hash
    shapes = payloads(min(n, 3000))
    at = timezone.now()
    batch: list[AuditEvent] = []
    t0 = time.perf_counter()
    for i in range(n):
        seq += 1
        if i % 4 == 0:
            action, otype, after = (
                "review.scorecard.submit",
                "review.scorecard",
                _scorecard_after(i),
            )
            before, reason = None, ""
        elif i % 4 == 1:
            action, otype = "accounts.role.grant", "accounts.user"
            after = {
                "assignment": 10**7 + i,
                "role": "expert",
                "recommending_unit": None,
                "organization": None,
            }
            before, reason = None, "专家库年度增补"
        else:
            shape = shapes[i % len(shapes)]
            action, otype = shape["action"], "programs.cycle"
            before, after, reason = shape["before"], shape["after"], shape["reason"]
        event = AuditEvent(
            seq=seq,
            created_at=at,
            actor_id=None,
            actor_username="",
            role="office",
            action=action,
            object_type=otype,
            object_id=str(10**7 + i),
            object_repr="",
            before=jsonable(before) if before is not None else None,
            after=jsonable(after),
            reason=reason,
            prev_hash=prev,
        )
        event.hash = prev = _digest(event)
        batch.append(event)
        if len(batch) == 5000:
            AuditEvent.objects.bulk_create(batch)
            batch = []
    AuditEvent.objects.bulk_create(batch)
    ChainHead.objects.filter(id=1).update(seq=seq, hash=prev)
    built = time.perf_counter() - t0
    checkpoint = anchors.write(reason="benchmark")
    total = AuditEvent.objects.count()

    state_samples, chain_samples, command_samples = [], [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        state = verify_state()
        state_samples.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        chain = verify_chain()
        chain_samples.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        call_command("audit_verify", "--state", stdout=StringIO(), stderr=StringIO())
        command_samples.append(time.perf_counter() - t0)
    if not (state.ok and chain.ok and chain.anchors >= 1):
        raise SystemExit(f"checks failed: {chain} / {state}")
    relevant = AuditEvent.objects.filter(
        action__in=["review.scorecard.submit", "accounts.role.grant"]
    ).count()

    def row(label: str, samples: list[float]) -> Row:
        return Row(
            label,
            total * runs,
            sum(samples),
            [s / total for s in samples],
            cells=(f"{runs} runs, {statistics.mean(samples):.3f} s each",),
        )

    rows = [
        row(f"verify_state() over {total:,} events (per event)", state_samples),
        row(f"verify_chain() + 1 checkpoint, {total:,} events (per event)", chain_samples),
        row(f"audit_verify --state, {total:,} events (per event)", command_samples),
    ]
    note = (
        f"state check: {n:,} events added in bulk ({built:.1f} s), {relevant:,} of them read by "
        f"the state check; checkpoint at #{checkpoint.seq:,}; {state.checked:,} official rows "
        f"compared; chain: {chain}"
    )
    return rows, note


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=5000, help="appends, one transaction each")
    parser.add_argument(
        "--threads-n", type=int, default=2000, help="appends per mode, 1 vs 2 threads"
    )
    parser.add_argument("--rounds", type=int, default=4, help="1-thread/2-thread rounds")
    parser.add_argument("--verify-runs", type=int, default=3)
    parser.add_argument(
        "--state-events", type=int, default=100_000, help="events added for the state check"
    )
    args = parser.parse_args()
    # The checkpoints' mail to the supervisors stays in memory, not on the console.
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

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

        state_note = ""
        if args.state_events:
            state_rows, state_note = grow_and_check(args.state_events, args.verify_runs)
            rows += state_rows

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
        if state_note:
            out(state_note)


if __name__ == "__main__":
    main()
