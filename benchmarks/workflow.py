"""The application's workflow table at scale: a stage that moves every application at once
(`transition_all`, with its `StateChange` rows and one message per applicant contact and unit
reviewer), what a page asks per application (`allowed_actions`), and the Office's to-do counts
(`intake.selectors.todos`, with the 逾期 query) over a cycle of N applications.

    .venv/bin/python benchmarks/workflow.py [--sizes 100,1000,10000] [-n 2000]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/workflow.py
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project root

from benchmarks._common import Row, bench_database, machine, out, table, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100,1000,10000", help="applications per cycle")
    parser.add_argument("-n", type=int, default=2000, help="timed allowed_actions calls")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    # The messages' e-mails (sent on commit, after the timed part) are kept in memory, not
    # printed: 10,000 MIME bodies would bury the table.
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"

    with bench_database() as db:
        import datetime as dt

        from django.db import connection, transaction
        from django.test.utils import CaptureQueriesContext

        from accounts.models import (
            Notification,
            Organization,
            RecommendingUnit,
            Role,
            RoleAssignment,
            User,
        )
        from intake import selectors, workflow
        from intake.models import Application, State
        from programs import demo
        from programs.models import Cycle
        from programs.selectors import as_of

        demo.seed()
        office = User.objects.get(username="office")
        units = list(RecommendingUnit.objects.all()[:10])
        rows: list[Row] = []

        def cycle_with(n: int, year: int, state: State, *, contacts: bool) -> list[Application]:
            """N organizations (each with one contact) in a copy of the demo cycle, in `state`."""
            base = Cycle.objects.get(year=demo.DEMO_YEAR)
            cycle = Cycle.objects.create(
                program=base.program, year=year, policy=base.policy, status=base.status
            )
            for s in base.stages.all():
                cycle.stages.create(
                    stage=s.stage,
                    starts_on=s.starts_on.replace(year=year),
                    ends_on=s.ends_on.replace(year=year),
                )
            orgs = Organization.objects.bulk_create(
                Organization(
                    uscc=f"91{year}{i:012d}X"[:18],
                    name=f"企业{year}-{i}",
                    recommending_unit=units[i % len(units)],
                )
                for i in range(n)
            )
            # One contact per organization (bulk: no password hashing, the accounts never sign
            # in), so every moved application has someone to tell.
            users = User.objects.bulk_create(
                User(username=f"c{year}_{i}", email=f"c{year}_{i}@example.invalid")
                for i in range(len(orgs) if contacts else 0)
            )
            RoleAssignment.objects.bulk_create(
                RoleAssignment(user=u, role=Role.APPLICANT, organization=o)
                for u, o in zip(users, orgs, strict=False)
            )
            Application.objects.bulk_create(
                Application(
                    cycle=cycle,
                    kind="organization",
                    organization=org,
                    recommending_unit=org.recommending_unit,
                    state=state,
                    created_by=office,
                )
                for org in orgs
            )
            return list(
                Application.objects.filter(cycle=cycle).select_related(
                    "cycle", "organization", "individual", "recommending_unit"
                )
            )

        for year, n in zip(range(2040, 2040 + len(sizes)), sizes, strict=True):
            applications = cycle_with(n, year, State.IN_NOTICE, contacts=True)
            before = Notification.objects.count()
            with transaction.atomic(), CaptureQueriesContext(connection) as queries:
                t0 = time.perf_counter()
                workflow.transition_all(applications, "award")
                elapsed = time.perf_counter() - t0
            sent = Notification.objects.count() - before
            rows.append(
                Row(
                    f"transition_all: award {n:,} applications",
                    n,
                    elapsed,
                    [elapsed / n],
                    cells=(str(len(queries.captured_queries)), f"{sent:,}"),
                )
            )

            # The Office's to-do counts with N recommended applications, half of them overdue.
            late = cycle_with(n, year + 100, State.RECOMMENDED, contacts=False)
            half = [a.pk for a in late[: n // 2]]
            Application.objects.filter(pk__in=half).update(state=State.SUBMITTED)
            on = dt.date(year + 100, 12, 5)
            with as_of(on), CaptureQueriesContext(connection) as queries:
                t0 = time.perf_counter()
                counts = selectors.todos(office)
                elapsed = time.perf_counter() - t0
            overdue = {label: k for label, k, _ in counts}.get("逾期未处理的申报", 0)
            rows.append(
                Row(
                    f"todos (Office) over {n:,} waiting applications",
                    1,
                    elapsed,
                    [elapsed],
                    cells=(str(len(queries.captured_queries)), f"{overdue:,} overdue"),
                )
            )

        # What a page asks per application: the Office on a recommended application.
        sample = list(
            Application.objects.filter(state=State.RECOMMENDED)
            .select_related("cycle")
            .prefetch_related("cycle__stages")[: args.n]
        )
        office = User.objects.get(username="office")  # roles cached on this object
        workflow.allowed_actions(sample[0], office)
        with CaptureQueriesContext(connection) as queries:
            workflow.allowed_actions(sample[0], office)
        row = timed(
            "allowed_actions (Office, recommended)",
            sample,
            lambda a: workflow.allowed_actions(a, office),
        )
        row.cells = (str(len(queries.captured_queries)), "")
        rows.insert(0, row)

        out(machine(db))
        out()
        table(rows, extra=["queries", "messages / found"])


if __name__ == "__main__":
    main()
