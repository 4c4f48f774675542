"""The review's pages and APIs at scale (issue 17 part 3): a cycle with N evaluated
organizations (default 2,000), each with a material and a site group of three experts, every
card submitted with 23 item scores, every consensus confirmed; then, in process through Django's
test client, the median time, statement count and size of

- the ranking page (综合评价排名) as the Office opens it, first view and later views,
- GET /api/v1/cycles/{id}/evaluations, /cycles/{id}/groups and /experts (one answer),
- an expert's scorecard autosave (htmx POST of all 23 items),

and, where the code has it, the stored analytics' recomputation (`review.analytics.refresh`).

    .venv/bin/python benchmarks/review_scale.py [--apps 2000] [-n 5]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/<yours> .venv/bin/python \\
        benchmarks/review_scale.py --database-as-is

The data are bulk inserts that keep the models' rules (one card per assignment, percentages in
steps of 5, one consensus per group, three distinct experts per group); the evaluation runs
through `review.services.evaluate`. Only the URLs and models that existed before issue 17 are
used, so the same script measures an older checkout (run it from that tree) for a before/after.
Without `--database-as-is` a throwaway database is made (benchmarks/_common.bench_database);
with it, DATABASE_URL is used as it is (an empty database of your own, migrated here).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project root

from benchmarks._common import out

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_number(n: int) -> str:
    """A valid identity number (GB 11643 check digit), distinct for n < 28,000."""
    first17 = f"3206821970{1 + n // 28 % 12:02d}{1 + n % 28:02d}{n // 336 % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


@contextlib.contextmanager
def database(as_is: bool) -> Iterator[str]:
    if not as_is:
        from benchmarks._common import bench_database

        with bench_database() as db:
            yield db.label
        return
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DEBUG"] = "0"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    yield f"{connection.vendor} {connection.settings_dict['NAME']} (as is)"


def measure(label: str, n: int, call: Callable[[], Any]) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    size = queries = 0
    for _ in range(n):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = call()
            times.append(time.perf_counter() - t0)
        queries = len(ctx.captured_queries)
        size = len(getattr(response, "content", b""))
        status = getattr(response, "status_code", 200)
        assert status == 200, (label, status, getattr(response, "content", b"")[:300])
    return {
        "label": label,
        "median_ms": round(statistics.median(times) * 1000, 1),
        "max_ms": round(max(times) * 1000, 1),
        "queries": queries,
        "kib": round(size / 1024, 1),
    }


def explain(cycle: Any) -> None:
    """The plans of the queries the ranking page and the APIs run on every request."""
    from experts.models import Expert, ReviewGroup
    from review.models import Evaluation

    ranked = (
        Evaluation.objects.filter(application__cycle=cycle, application__kind="organization")
        .select_related("application__organization", "application__individual")
        .defer("application__data", "application__draft_typed", "application__draft_errors")
        .order_by("application__kind", "rank", "application_id")
    )
    groups = ReviewGroup.objects.filter(
        application__cycle__public_id=cycle.public_id, stage="material_review"
    ).order_by("application_id", "pk")
    plans = {
        "ranking page / evaluations API: one page": ranked[:50],
        "ranking page / evaluations API: the rows counted": ranked.order_by().values("pk"),
        "groups API: one page": groups[:20],
        "experts API: one page": Expert.objects.order_by("name", "pk")[:20],
    }
    for name, query in plans.items():
        out(f"--- {name}")
        out(query.explain(analyze=True))
    from review.models import CycleAnalytics

    out("--- stored analytics")
    out(CycleAnalytics.objects.filter(cycle=cycle).explain(analyze=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--apps", type=int, default=2000, help="evaluated organizations")
    parser.add_argument("--experts", type=int, default=300)
    parser.add_argument("-n", type=int, default=5, help="timed repetitions of each request")
    parser.add_argument("--database-as-is", action="store_true")
    parser.add_argument(
        "--explain", action="store_true", help="print the plans of the pages' queries (PostgreSQL)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile 5 views of the ranking page (top 30)"
    )
    parser.add_argument(
        "--queries", action="store_true", help="each statement of one ranking view, timed"
    )
    args = parser.parse_args()

    with database(args.database_as_is) as label:
        from django.db import connection
        from django.test import Client
        from django.urls import reverse
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from accounts import two_factor
        from accounts.models import Organization, RecommendingUnit, Role, User
        from accounts.services import grant_role
        from experts import services as experts
        from experts.models import Assignment, Expert, ReviewGroup
        from intake.models import Application, State
        from programs import demo
        from programs.models import Cycle
        from programs.selectors import as_of
        from review import services
        from review.models import (
            Consensus,
            ConsensusItem,
            ItemScore,
            ReviewPhase,
            Rubric,
            Scorecard,
        )

        rnd = random.Random(19580)  # noqa: S311 - reproducible data, not security
        t_seed = time.perf_counter()
        demo.seed()
        office = User.objects.get(username="office")
        unit = RecommendingUnit.objects.first()
        assert unit is not None  # the demo's units
        base = Cycle.objects.get(year=demo.DEMO_YEAR)
        cycle = Cycle.objects.create(program=base.program, year=2031, policy=base.policy)
        for s in base.stages.all():
            cycle.stages.create(stage=s.stage, starts_on=s.starts_on, ends_on=s.ends_on)
        rubric = services.ensure_rubric(actor=office, cycle=cycle, kind="organization")
        services.ensure_rubric(actor=office, cycle=cycle, kind="individual")
        items = list(rubric.items.all())
        Expert.objects.bulk_create(
            Expert(
                name=f"专家{i:04d}",
                id_number=id_number(i),
                category="industry",
                practice_years=10,
                industries=["34"],
            )
            for i in range(args.experts)
        )
        pool = list(Expert.objects.order_by("pk"))
        Organization.objects.bulk_create(
            Organization(
                uscc=f"9132{i:013d}X", name=f"规模测试企业{i:05d}有限公司", recommending_unit=unit
            )
            for i in range(args.apps)
        )
        form = {"sections": {f"s{k}": "经营质量说明。" * 40 for k in range(12)}}  # ~8 KB
        Application.objects.bulk_create(
            (
                Application(
                    cycle=cycle,
                    kind="organization",
                    organization=org,
                    recommending_unit=unit,
                    state=State.SITE_REVIEW,
                    created_by=office,
                    data=form,
                )
                for org in Organization.objects.filter(name__startswith="规模测试企业")
            ),
            batch_size=500,
        )
        apps = list(Application.objects.filter(cycle=cycle).only("pk"))
        ReviewGroup.objects.bulk_create(
            ReviewGroup(application_id=a.pk, stage=stage)
            for a in apps
            for stage in ("material_review", "site_review")
        )
        groups = list(ReviewGroup.objects.filter(application__cycle=cycle).only("pk"))
        at = dt.datetime.now(dt.UTC)
        Assignment.objects.bulk_create(
            (
                Assignment(group_id=g.pk, expert=e, source="manual", assigned_at=at)
                for g in groups
                for e in rnd.sample(pool, 3)
            ),
            batch_size=2000,
        )
        ReviewGroup.objects.filter(application__cycle=cycle).update(leader=pool[0])
        assignments = list(
            Assignment.objects.filter(group__application__cycle=cycle).only("pk", "group_id")
        )
        Scorecard.objects.bulk_create(
            (
                Scorecard(
                    assignment_id=a.pk,
                    rubric=rubric,
                    state=Scorecard.State.SUBMITTED,
                    revision=2,
                    saved_at=at,
                    submitted_at=at,
                )
                for a in assignments
            ),
            batch_size=2000,
        )
        cards = list(
            Scorecard.objects.filter(assignment__group__application__cycle=cycle).values_list(
                "pk", "assignment__group_id"
            )
        )
        base_percent = {g.pk: rnd.randrange(8, 17) for g in groups}
        ItemScore.objects.bulk_create(
            (
                ItemScore(
                    scorecard_id=card,
                    item=item,
                    percent=min(100, 5 * (base_percent[group] + rnd.randrange(-3, 4))),
                    strengths="有系统的方法并展开。",
                )
                for card, group in cards
                for item in items
            ),
            batch_size=5000,
        )
        Consensus.objects.bulk_create(
            Consensus(group_id=g.pk, final=True, recorded_by=office, recorded_at=at, revision=1)
            for g in groups
        )
        ConsensusItem.objects.bulk_create(
            (
                ConsensusItem(consensus=c, item=item, percent=5 * base_percent[c.group_id])
                for c in Consensus.objects.filter(group__application__cycle=cycle)
                for item in items
            ),
            batch_size=5000,
        )
        for c in Consensus.objects.filter(group__application__cycle=cycle).prefetch_related(
            "items__item"
        ):
            Consensus.objects.filter(pk=c.pk).update(score=services.consensus_score(c))
        services.evaluate(actor=office, cycle=cycle)
        seeded = time.perf_counter() - t_seed
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")

        # The Office, its second factor passed, as a browser holds it.
        def signed_in(who: User) -> Client:
            client = Client()
            client.force_login(who)
            device = TOTPDevice.objects.create(user=who, name="bench", confirmed=True)
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session[two_factor.VERIFIED_AT] = time.time()
            session.save()
            return client

        client = signed_in(office)

        rows = [measure("/healthz (the floor)", args.n, lambda: client.get("/healthz"))]
        ranking = reverse("review:ranking", args=[cycle.pk])
        rows.append(measure("ranking page, first view", 1, lambda: client.get(ranking)))
        rows.append(measure("ranking page", args.n, lambda: client.get(ranking)))
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.runcall(lambda: [client.get(ranking) for _ in range(5)])
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
        if args.queries:
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as ctx:
                client.get(ranking)
            for q in ctx.captured_queries:
                out(f"{float(q['time']) * 1000:8.1f} ms  {q['sql'][:160]}")
            from review.office import selectors as office_selectors

            out(office_selectors.ranked(cycle, "organization")[:50].explain())
        api = f"/api/v1/cycles/{cycle.public_id}"
        rows.append(measure("GET evaluations", args.n, lambda: client.get(f"{api}/evaluations")))
        rows.append(measure("GET groups (material)", args.n, lambda: client.get(f"{api}/groups")))
        rows.append(measure("GET experts", args.n, lambda: client.get("/api/v1/experts")))
        with contextlib.suppress(ImportError):
            from review import analytics

            if hasattr(analytics, "refresh"):
                rows.append(
                    measure(
                        "analytics.refresh (the task)",
                        args.n,
                        lambda: analytics.refresh(cycle, force=True),
                    )
                )

        # An expert's autosave of a whole card (the demo year's material review).
        demo_cycle = base
        org = Organization.objects.create(
            uscc="91320682MA1BENCH9X", name="基准测试企业", recommending_unit=unit
        )
        application = Application.objects.create(
            cycle=demo_cycle,
            kind="organization",
            organization=org,
            recommending_unit=unit,
            state=State.MATERIAL_REVIEW,
            created_by=office,
        )
        user = User.objects.create(username="bench_expert")
        grant_role(actor=None, actor_role="system", user=user, role=Role.EXPERT)
        expert = Expert.objects.create(
            name="基准专家", id_number=id_number(27_000), category="industry", practice_years=10
        )
        Expert.objects.filter(pk=expert.pk).update(user=user)
        user.refresh_from_db()
        group = ReviewGroup.objects.create(application=application, stage="material_review")
        Assignment.objects.create(
            group=group, expert=expert, source="manual", assigned_at=dt.datetime.now(dt.UTC)
        )
        experts.set_code_of_conduct(actor=office, cycle=demo_cycle, text="守则")
        with as_of(dt.date(demo.DEMO_YEAR, 6, 2)):
            experts.acknowledge(actor=user, cycle=demo_cycle)
            experts.confirm_no_conflict(actor=user, application=application)
            ReviewPhase.objects.get_or_create(
                cycle=demo_cycle,
                stage="material_review",
                defaults={"state": ReviewPhase.State.OPEN, "opened_at": dt.datetime.now(dt.UTC)},
            )
            services.ensure_rubric(actor=office, cycle=demo_cycle, kind="organization")
            codes = list(
                Rubric.objects.get(cycle=demo_cycle, applies_to="organization").items.values_list(
                    "code", flat=True
                )
            )
            expert_client = signed_in(user)
            url = reverse("review:card", args=[application.public_id, "material_review"])
            revision = [0]
            turn = [0]

            def save() -> Any:
                turn[0] += 1
                data = {"revision": str(revision[0]), "summary": ""}
                for k, code in enumerate(codes):
                    data[f"percent-{code}"] = str((turn[0] + k) % 21 * 5)
                    data[f"strengths-{code}"] = f"第{turn[0]}次"
                    data[f"opportunities-{code}"] = ""
                response = expert_client.post(url, data, headers={"HX-Request": "true"})
                assert "已自动保存" in response.content.decode(), (
                    response.status_code,
                    response.get("Location"),
                    response.content[:400],
                )
                revision[0] += 1
                return response

            save()  # creates the card and its 23 rows
            rows.append(measure("autosave a 23-item card (htmx)", max(args.n, 20), save))

        if args.explain:
            explain(cycle)
        out(f"{label}; seeded {args.apps} evaluated organizations in {seeded:.0f} s")
        out(
            f"{'operation':34} {'median ms':>10} {'max ms':>9} {'x healthz':>10} {'queries':>8} "
            f"{'KiB':>8}"
        )
        floor = rows[0]["median_ms"] or 0.1
        for r in rows:
            out(
                f"{r['label']:34} {r['median_ms']:>10} {r['max_ms']:>9} "
                f"{r['median_ms'] / floor:>10.1f} {r['queries']:>8} {r['kib']:>8}"
            )


if __name__ == "__main__":
    main()
