"""Pages and the API through django.test.Client (no network, no gunicorn), with the demo data.

    .venv/bin/python benchmarks/pages.py [-n 500]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/pages.py

Each URL gets a few untimed warm-up requests (template compilation, first connection), then
N timed GETs; SQL queries per request are counted on separate requests afterwards, so the
capture does not slow the timed ones. DEBUG is off. The last row repeats /audit/ after 10,000
more events, to show how the trail page scales with the chain.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from programs.context import current_program_or_none

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project root

from benchmarks._common import Row, bench_database, machine, out, pass_second_factor, table

WARMUP = 10
COUNTED = 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=500, help="timed GETs per URL")
    parser.add_argument("--more-events", type=int, default=10_000, help="events for the last row")
    args = parser.parse_args()

    with bench_database() as db:
        from django.conf import settings
        from django.db import connections, transaction
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from accounts.models import Role, User
        from audit.models import AuditEvent
        from audit.services import record
        from programs import demo, selectors
        from programs.models import Announcement

        if settings.DEBUG:
            raise SystemExit("DEBUG must be off for page timings")
        demo.seed()
        backend = "accounts.backends.PasswordBackend"
        anonymous = Client()
        office = Client()
        office.force_login(User.objects.get(username="office"), backend=backend)
        pass_second_factor(office, User.objects.get(username="office"))
        auditor = Client()
        auditor.force_login(User.objects.get(username="auditadmin"), backend=backend)
        pass_second_factor(auditor, User.objects.get(username="auditadmin"))
        call = Announcement.objects.get()
        cycle = selectors.current_cycle(current_program_or_none())  # type: ignore[arg-type]
        stage = selectors.current_stage(cycle) if cycle else None

        def measure(name: str, client: Client, url: str) -> Row:
            def get() -> int:
                response = client.get(url)
                if response.status_code != 200:
                    raise SystemExit(f"{name}: GET {url} answered {response.status_code}")
                return len(response.content)

            for _ in range(WARMUP):
                get()
            samples = []
            size = 0
            for _ in range(args.n):
                t0 = time.perf_counter()
                size = get()
                samples.append(time.perf_counter() - t0)
            counts = set()
            for _ in range(COUNTED):
                with CaptureQueriesContext(connections["default"]) as ctx:
                    get()
                counts.add(len(ctx.captured_queries))
            queries = "/".join(str(c) for c in sorted(counts))
            return Row(
                name, args.n, sum(samples), samples, cells=(queries, f"{size / 1024:.1f} KiB")
            )

        rows = [
            measure("GET / (home, anonymous)", anonymous, "/"),
            measure("GET announcement (anonymous)", anonymous, f"/announcements/{call.public_id}/"),
            measure("GET /api/v1/cycles (anonymous)", anonymous, "/api/v1/cycles"),
            measure("GET /office/cycles/ (office)", office, "/office/cycles/"),
            measure("GET /audit/ (auditadmin)", auditor, "/audit/"),
        ]
        demo_events = AuditEvent.objects.count()

        office_user = User.objects.get(username="office")
        with transaction.atomic():
            for i in range(args.more_events):
                record(
                    actor=office_user,
                    role=Role.OFFICE,
                    action="programs.cycle.set_dates",
                    obj=cycle,
                    before={"notice": ["2026-11-25", "2026-12-01"]},
                    after={"notice": ["2026-11-26", "2026-12-02"]},
                    reason=f"基准测试事件{i}",
                )
        total_events = AuditEvent.objects.count()
        rows.append(measure(f"GET /audit/ ({total_events:,} events)", auditor, "/audit/"))

        out(f"# benchmarks/pages.py  N={args.n} GETs per URL (after {WARMUP} warm-up)")
        out(machine(db))
        out(
            f"demo data: {demo_events} audit events; today {selectors.today()}, "
            f"current stage of the {demo.DEMO_YEAR} cycle: {stage.label if stage else 'none'}"
        )
        out()
        table(rows, extra=("SQL/request", "body"))


if __name__ == "__main__":
    main()
