"""The deadline rush (issue 17 part 5): 1,000 distinct applicants submit their drafts within one
minute against two app servers behind nginx (or one), then the database is checked.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/generate.py --db qa_bench --keep
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/rush.py --db qa_bench [--applicants 1000] [--within 60]

The applicants are the rush organizations' contacts of `benchmarks/generate.py` (`rush0001..`),
each with a complete draft in the cycle whose window is open today. First every applicant gets
a session (not part of the minute): written into the sessions store the servers share, as
`django.contrib.auth.login` would (`--sign-in prepared`, the default), or through the login
page, 32 at a time (`--sign-in login`: one password hash each, minutes on two cores); then the
submissions (`POST /applications/<id>/submit/`, the page's 提交申报 button) start at evenly
spaced moments over `--within` seconds, each from its applicant's own session, on up to
`--threads` threads.
A submission is counted as accepted when the server redirects to the application's page
(a refusal redirects back to the form).

Afterwards, in the database (Django in this process, read only), for each applicant's
application: the state is 已提交; exactly one version (number 1); exactly one
`intake.application.submit` audit event; each reviewer of its town got exactly one inbox message
about it; and, when the code has background jobs (`jobs.Job`, issue 17 part 1), the e-mail jobs
queued by the submissions all ran, each once (one attempt, done), after waiting for the worker
to drain the queue. Then `audit.services.verify_chain()` over the whole chain. The figures and
every check are printed; the exit status is 1 if any check fails.

The servers, nginx and the Celery worker are those of `benchmarks/load.py` (same knobs: ports,
`--project`, `--workers`), stopped at the end, also after a failure. A rush changes the data
set: run `generate.py --replace` before another one.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the project root

from benchmarks._common import database_url, exit_on_sigterm, out, percentile, var_dir  # noqa: E402
from benchmarks.load import (  # noqa: E402
    Browser,
    HttpError,
    collectstatic,
    in_parallel,
    ms,
    sign_in,
    topology,
)


@dataclass
class Applicant:
    username: str
    application: str  # public id
    pk: int
    browser: Browser | None = None
    status: int = 0
    location: str = ""
    started: float = 0.0
    seconds: float = 0.0
    late: float = 0.0  # how long after its moment the submission started
    server: str = ""
    error: str = ""


def setup_django(db: str, project: Path, prefix: str, redis_url: str) -> None:
    """Django in this process on the benchmark database, with the code the servers run and
    their Redis (for prepared sessions)."""
    sys.path.insert(0, str(project))
    os.environ["CACHE_KEY_PREFIX"] = prefix
    os.environ["REDIS_URL"] = redis_url
    os.environ["DATABASE_URL"] = database_url(db)
    os.environ["VAR_DIR"] = str(var_dir(db))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DEBUG"] = "0"
    import django

    django.setup()


def applicants(n: int) -> tuple[list[Applicant], int]:
    from django.db import connections
    from django.utils import timezone

    from intake.models import Application

    year = timezone.localdate().year + 1
    rows = list(
        Application.objects.filter(
            cycle__year=year,
            cycle__program__slug="rugao",
            state="draft",
            created_by__username__startswith="rush",
        )
        .order_by("pk")
        .values_list("created_by__username", "public_id", "pk")[:n]
    )
    connections.close_all()
    if len(rows) < n:
        raise SystemExit(
            f"only {len(rows)} rush drafts left in the data set (a rush uses them up): "
            "run benchmarks/generate.py --replace"
        )
    return [Applicant(u, str(p), pk) for u, p, pk in rows], year


def prepared_sessions(people: list[Applicant], front: int) -> None:
    """Each applicant's session written straight into the sessions store the servers share
    (Redis, their CACHE_KEY_PREFIX, their SECRET_KEY from the same VAR_DIR): what
    `django.contrib.auth.login` stores, without a password hash per applicant. The CSRF
    cookie is a fresh secret, sent back in X-CSRFToken as the page's script does."""
    import secrets
    import string
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.db import connections

    from accounts.models import User

    store = import_module(settings.SESSION_ENGINE).SessionStore
    users = {u.username: u for u in User.objects.filter(username__in=[p.username for p in people])}
    alphabet = string.ascii_letters + string.digits
    for p in people:
        user = users[p.username]
        session = store()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "accounts.backends.PasswordBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        p.browser = Browser("127.0.0.1", front)
        p.browser.cookies = {
            settings.SESSION_COOKIE_NAME: str(session.session_key),
            settings.CSRF_COOKIE_NAME: "".join(secrets.choice(alphabet) for _ in range(32)),
        }
    connections.close_all()


def counts_before() -> dict[str, int]:
    from django.db import connection, connections
    from django.db.models import Max

    from accounts.models import Notification
    from audit.models import AuditEvent

    result = {
        "notifications": Notification.objects.count(),
        "notification_id": Notification.objects.aggregate(m=Max("pk"))["m"] or 0,
        "events": AuditEvent.objects.count(),
    }
    if "jobs_job" in connection.introspection.table_names():
        with connection.cursor() as cursor:
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM jobs_job")
            result["job_id"] = cursor.fetchone()[0]
    connections.close_all()
    return result


def wait_for_jobs(since_id: int, seconds: float) -> dict[str, int]:
    """Wait until no job queued since `since_id` is queued or running (the worker drained)."""
    from django.db import connection, connections

    deadline = time.time() + seconds
    states: dict[str, int] = {}
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT state, COUNT(*) FROM jobs_job WHERE id > %s GROUP BY state", [since_id]
            )
            states = dict(cursor.fetchall())
        if (not states.get("queued") and not states.get("running")) or time.time() > deadline:
            connections.close_all()
            return states
        time.sleep(2)


def check(people: list[Applicant], before: dict[str, int]) -> list[tuple[str, bool]]:
    from django.db import connection, connections
    from django.db.models import Count

    from accounts.models import Notification, Role, RoleAssignment
    from audit.models import AuditEvent
    from audit.services import verify_chain
    from intake.models import Application, ApplicationVersion

    pks = [p.pk for p in people]
    results: list[tuple[str, bool]] = []
    states = dict(
        Application.objects.filter(pk__in=pks)
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    results.append((f"applications by state: {states}", states == {"submitted": len(pks)}))
    versions = dict(
        ApplicationVersion.objects.filter(application__in=pks)
        .values("application")
        .annotate(n=Count("pk"))
        .values_list("application", "n")
    )
    once = sum(1 for pk in pks if versions.get(pk) == 1)
    results.append(
        (f"applications with exactly one version: {once:,} of {len(pks):,}", once == len(pks))
    )
    events = dict(
        AuditEvent.objects.filter(
            action="intake.application.submit", object_id__in=[str(pk) for pk in pks]
        )
        .values("object_id")
        .annotate(n=Count("pk"))
        .values_list("object_id", "n")
    )
    once = sum(1 for pk in pks if events.get(str(pk)) == 1)
    results.append(
        (
            f"applications with exactly one intake.application.submit event: "
            f"{once:,} of {len(pks):,}",
            once == len(pks),
        )
    )
    # Inbox: each reviewer of the application's town, one message about it.
    apps = {a.pk: a for a in Application.objects.filter(pk__in=pks)}
    reviewers: dict[int, set[int]] = {}
    for unit, user in RoleAssignment.objects.filter(
        role=Role.RECOMMENDER, recommending_unit__in={a.recommending_unit_id for a in apps.values()}
    ).values_list("recommending_unit", "user"):
        reviewers.setdefault(unit, set()).add(user)
    expected = sum(len(reviewers.get(a.recommending_unit_id, ())) for a in apps.values())
    by_url: dict[tuple[int, str], int] = {}
    fresh = Notification.objects.filter(pk__gt=before["notification_id"])
    for user, url in fresh.values_list("user", "url").iterator():
        by_url[(user, url)] = by_url.get((user, url), 0) + 1
    exact = 0
    for a in apps.values():
        path = f"/applications/{a.public_id}/"
        if all(by_url.get((u, path)) == 1 for u in reviewers.get(a.recommending_unit_id, ())):
            exact += 1
    new_messages = Notification.objects.count() - before["notifications"]
    results.append(
        (
            f"inbox: {new_messages:,} new messages, {expected:,} expected (each town reviewer, "
            f"one per application); applications whose reviewers got exactly one: {exact:,}",
            exact == len(pks) and new_messages >= expected,
        )
    )
    if "job_id" in before:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT kind, state, attempts, COUNT(*) FROM jobs_job WHERE id > %s "
                "GROUP BY kind, state, attempts ORDER BY kind, state, attempts",
                [before["job_id"]],
            )
            rows = cursor.fetchall()
        total = sum(r[3] for r in rows)
        listed = "; ".join(f"{k} {s} attempts={a}: {n:,}" for k, s, a, n in rows)
        ran_once = sum(r[3] for r in rows if r[1] == "done" and r[2] == 1)
        results.append(
            (
                f"background jobs queued by the rush: {total:,} ({listed}); "
                f"done after exactly one attempt: {ran_once:,}",
                total > 0 and ran_once == total,
            )
        )
    else:
        results.append(("no jobs table in this code: e-mail is sent by the web worker", True))
    t0 = time.perf_counter()
    report = verify_chain()
    results.append(
        (
            f"audit.services.verify_chain() over {AuditEvent.objects.count():,} events "
            f"({time.perf_counter() - t0:.1f} s): {report}",
            report.ok,
        )
    )
    connections.close_all()
    return results


def rush(front: int, people: list[Applicant], within: float, threads: int) -> float:
    """Submissions at evenly spaced moments over `within` seconds; returns the wall clock."""
    start = time.perf_counter() + 1
    step = within / len(people)
    queue = list(enumerate(people))
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                i, p = queue.pop(0)
            moment = start + i * step
            wait = moment - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            p.started = time.perf_counter()
            p.late = max(0.0, p.started - moment)
            assert p.browser is not None
            try:
                answer = p.browser.post(f"/applications/{p.application}/submit/", {})
                p.status = answer.status
                p.location = answer.headers.get("location", "")
                p.server = answer.headers.get("x-upstream", f":{front}")
            except HttpError as exc:
                p.error = str(exc)[:200]
            p.seconds = time.perf_counter() - p.started

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", required=True, help="the database benchmarks/generate.py kept")
    parser.add_argument("--applicants", type=int, default=1000, help="distinct applicants")
    parser.add_argument("--within", type=float, default=60, help="seconds the submissions span")
    parser.add_argument("--threads", type=int, default=100, help="client threads")
    parser.add_argument("--topology", default="two", choices=["one", "two"])
    parser.add_argument("--drain", type=float, default=300, help="seconds to wait for the jobs")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers per server")
    parser.add_argument("--port", type=int, default=8210, help="first app server's port")
    parser.add_argument("--proxy-port", type=int, default=8290, help="nginx's port")
    parser.add_argument("--project", type=Path, default=ROOT, help="the code the servers run")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0", help="REDIS_URL")
    parser.add_argument("--broker-db", type=int, default=12, help="Redis database of the broker")
    parser.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")
    parser.add_argument("--keep-logs", action="store_true", help="keep the servers' logs")
    parser.add_argument(
        "--sign-in",
        default="prepared",
        choices=["prepared", "login"],
        help="sessions written into the shared store (default; no password hashing), or "
        "signed in through the login page (1,000 password hashes: minutes on 2 cores)",
    )
    args = parser.parse_args()
    args.throttle_limit = 30
    exit_on_sigterm()
    args.admin_url = os.environ.get("DATABASE_URL", "")
    args.project = args.project.resolve()
    prefix = f"qa-bench-rush-{os.getpid()}"
    setup_django(args.db, args.project, prefix, args.redis_url)
    people, year = applicants(args.applicants)
    before = counts_before()
    load = os.getloadavg()
    out(
        f"# benchmarks/rush.py --db {args.db}: {len(people):,} applicants of the {year} cycle "
        f"within {args.within:.0f} s, topology {args.topology}"
    )
    out(
        f"{time.strftime('%Y-%m-%d %H:%M %Z')} | {os.cpu_count()} cores, load "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} | code {args.project}"
    )
    collectstatic(args)
    servers = 2 if args.topology == "two" else 1
    failures = 0
    with topology(args, servers, prefix) as (front, _ports, _stack):
        errors: list[str] = []

        def login(p: Applicant) -> None:
            p.browser = Browser("127.0.0.1", front)
            try:
                sign_in(p.browser, p.username, staff=False)
            except HttpError as exc:
                errors.append(str(exc))

        t0 = time.perf_counter()
        if args.sign_in == "login":
            in_parallel([lambda p=p: login(p) for p in people], width=32)
            how = "through the login page, 32 at a time"
        else:
            prepared_sessions(people, front)
            how = "prepared sessions in the shared store"
        signed = time.perf_counter() - t0
        if errors:
            raise SystemExit(f"{len(errors)} sign-ins failed: {errors[:3]}")
        out(f"- {len(people):,} applicants signed in in {signed:.1f} s ({how}; not timed)")
        wall = rush(front, people, args.within, args.threads)
        if "job_id" in before:  # the worker drains the queue before it is stopped
            t0 = time.perf_counter()
            states = wait_for_jobs(before["job_id"], args.drain)
            out(f"- jobs drained in {time.perf_counter() - t0:.1f} s after the rush: {states}")
        for p in people:
            p.browser.close() if p.browser else None
    accepted = [
        p for p in people if p.status == 302 and p.location.rstrip("/").endswith(p.application)
    ]
    refused = [p for p in people if p not in accepted]
    latencies = [p.seconds for p in people]
    servers_used: dict[str, int] = {}
    for p in people:
        servers_used[p.server] = servers_used.get(p.server, 0) + 1
    out(f"- submissions: {len(people):,} in {wall:.1f} s ({len(people) / wall:.1f}/s), "
        f"accepted {len(accepted):,}, refused or failed {len(refused):,}")  # fmt: skip
    out(f"- latency p50 {ms(percentile(latencies, 50))}, p95 {ms(percentile(latencies, 95))}, "
        f"max {ms(max(latencies))}; started late (all threads busy): p95 "
        f"{ms(percentile([p.late for p in people], 95))}")  # fmt: skip
    out("- per app server: " + ", ".join(f"{k} {v:,}" for k, v in sorted(servers_used.items())))
    for p in refused[:5]:
        out(f"  - {p.username}: {p.status} {p.location} {p.error}")
    failures += len(refused)
    out("\nChecks in the database:\n")
    for text, ok in check(people, before):
        out(f"- [{'ok' if ok else 'FAILED'}] {text}")
        failures += 0 if ok else 1
    if failures:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
