"""The review's hot paths: an expert's autosave of a whole scorecard, and the evaluation of a
cycle (scores, weights, ranking) at city, province and national sizes.

    .venv/bin/python benchmarks/review.py [--sizes 30,500,5000] [-n 200]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/review.py

The evaluation rows are built with bulk inserts (confirmed consensus of all 23 items for the
material and the site stage of each organization, percentages drawn from a seeded generator),
then `review.services.evaluate` is timed once per size, with its query count. The autosave row
times `review.services.save_scorecard` with all 23 items, each save changing every percentage
(the worst case: 23 changed rows, the card and the audit event).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project root

from benchmarks._common import Row, bench_database, machine, out, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="30,500,5000", help="applications per evaluation")
    parser.add_argument("-n", type=int, default=200, help="timed autosaves")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    with bench_database() as db:
        import datetime as dt

        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from accounts.models import Organization, RecommendingUnit, User
        from experts import services as experts
        from experts.models import Assignment, Expert, ReviewGroup
        from intake.models import Application, State
        from programs import demo
        from programs.models import Cycle
        from programs.selectors import as_of
        from review import services
        from review.models import Consensus, ConsensusItem, ReviewPhase, Rubric

        demo.seed()
        office = User.objects.get(username="office")
        unit = RecommendingUnit.objects.first()
        assert unit is not None
        rows: list[Row] = []
        rnd = random.Random(19580)  # noqa: S311 - reproducible figures, not security

        def cycle_with(n: int, year: int) -> Cycle:
            base = Cycle.objects.get(year=demo.DEMO_YEAR)
            cycle = Cycle.objects.create(program=base.program, year=year, policy=base.policy)
            for s in base.stages.all():
                cycle.stages.create(stage=s.stage, starts_on=s.starts_on, ends_on=s.ends_on)
            rubrics = {
                k: services.ensure_rubric(actor=office, cycle=cycle, kind=k)
                for k in ("organization", "individual")
            }
            items = {k: list(r.items.all()) for k, r in rubrics.items()}
            apps = []
            for i in range(n):
                org = Organization.objects.create(
                    uscc=f"91{year}{i:012d}X"[:18], name=f"企业{year}-{i}", recommending_unit=unit
                )
                apps.append(
                    Application(
                        cycle=cycle,
                        kind="organization",
                        organization=org,
                        recommending_unit=unit,
                        state=State.SITE_REVIEW,
                        created_by=office,
                    )
                )
            Application.objects.bulk_create(apps)
            apps = list(Application.objects.filter(cycle=cycle))
            groups = []
            for a in apps:
                groups.append(ReviewGroup(application=a, stage="material_review"))
                if a.kind == "organization":
                    groups.append(ReviewGroup(application=a, stage="site_review"))
            ReviewGroup.objects.bulk_create(groups)
            groups = list(
                ReviewGroup.objects.filter(application__cycle=cycle).select_related("application")
            )
            now = dt.datetime.now(dt.UTC)
            Consensus.objects.bulk_create(
                Consensus(group=g, final=True, recorded_by=office, recorded_at=now) for g in groups
            )
            agreed = []
            for c in Consensus.objects.filter(group__application__cycle=cycle).select_related(
                "group__application"
            ):
                for item in items[c.group.application.kind]:
                    agreed.append(
                        ConsensusItem(consensus=c, item=item, percent=rnd.randrange(6, 19) * 5)
                    )
            ConsensusItem.objects.bulk_create(agreed, batch_size=5000)
            return cycle

        for year, n in zip(range(2030, 2030 + len(sizes)), sizes, strict=True):
            t0 = time.perf_counter()
            cycle = cycle_with(n, year)
            built = time.perf_counter() - t0
            with CaptureQueriesContext(connection) as queries:
                t0 = time.perf_counter()
                results = services.evaluate(actor=office, cycle=cycle)
                elapsed = time.perf_counter() - t0
            assert len(results) == n
            ties = sum(1 for r in results if r.tied)
            rows.append(
                Row(
                    f"evaluate {n} applications",
                    n,
                    elapsed,
                    [elapsed / n],
                    cells=(str(len(queries.captured_queries)), str(ties), f"{built:.1f} s"),
                )
            )

        # Autosave: one expert, one card of 23 items, every percentage changed each time.
        cycle = Cycle.objects.get(year=demo.DEMO_YEAR)
        org = Organization.objects.create(
            uscc="91320682MA1BENCH9X", name="基准测试企业", recommending_unit=unit
        )
        application = Application.objects.create(
            cycle=cycle,
            kind="organization",
            organization=org,
            recommending_unit=unit,
            state=State.MATERIAL_REVIEW,
            created_by=office,
        )
        user = User.objects.create(username="bench_expert")
        from accounts.models import Role
        from accounts.services import grant_role

        grant_role(actor=None, actor_role="system", user=user, role=Role.EXPERT)
        expert = Expert.objects.create(
            name="基准专家", id_number="320682197501010017", category="industry", practice_years=10
        )
        Expert.objects.filter(pk=expert.pk).update(user=user)
        user.refresh_from_db()
        group = ReviewGroup.objects.create(application=application, stage="material_review")
        assignment = Assignment.objects.create(
            group=group, expert=expert, source="manual", assigned_at=dt.datetime.now(dt.UTC)
        )
        experts.set_code_of_conduct(actor=office, cycle=cycle, text="守则")
        with as_of(dt.date(demo.DEMO_YEAR, 6, 2)):
            experts.acknowledge(actor=user, cycle=cycle)
            experts.confirm_no_conflict(actor=user, application=application)
            ReviewPhase.objects.create(
                cycle=cycle,
                stage="material_review",
                state=ReviewPhase.State.OPEN,
                opened_at=dt.datetime.now(dt.UTC),
            )
            services.ensure_rubric(actor=office, cycle=cycle, kind="organization")
            codes = list(
                Rubric.objects.get(cycle=cycle, applies_to="organization").items.values_list(
                    "code", flat=True
                )
            )
            revision = [0]

            def save(i: int) -> None:
                scores = {
                    code: {"percent": (i + k) % 21 * 5, "strengths": f"第{i}次"}
                    for k, code in enumerate(codes)
                }
                card = services.save_scorecard(
                    actor=user, assignment=assignment, scores=scores, revision=revision[0]
                )
                revision[0] = card.revision

            save(-1)  # the first save creates the 23 rows
            from benchmarks._common import timed

            with CaptureQueriesContext(connection) as queries:
                save(-2)
            row = timed("autosave a 23-item scorecard", list(range(args.n)), save)
            row.cells = (str(len(queries.captured_queries)), "", "")
            rows.insert(0, row)

        out(machine(db))
        out()
        table(rows, extra=["queries", "ties", "setup"])


if __name__ == "__main__":
    main()
