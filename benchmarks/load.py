"""A bounded load run on loopback against the topology (issue 17 part 5): one gunicorn app
server, then two behind a local nginx, both on PostgreSQL with sessions, cache and throttles
in Redis and a real Celery worker, on the data set of `benchmarks/generate.py`.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/generate.py --db qa_bench --keep
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/load.py --db qa_bench [--users 50] [--duration 60]
    ... benchmarks/load.py --db qa_bench --topology one --users 20 --duration 15   # quicker

Each simulated user is a thread with its own session: it signs in through the real login
page (password, then the TOTP code of the demo rule for staff: `accounts.two_factor.demo_key`),
then repeats one operation back to back (a closed loop) for `--duration` seconds after
`--warmup` seconds not counted. `--mode mix` (the default) runs every operation at once, the
users spread evenly over them; `--mode each` runs one operation at a time with every user on
it, `--duration` seconds each, /healthz first (the method of issue 17's figures). The
operations:

- `/healthz` (anonymous): the floor every ratio is taken against, in the same run;
- `/` the home page (anonymous);
- the Office's application list `/applications/`, page 1 and a late page (80 % of the way);
- the ranking page `/review/cycles/<id>/ranking/` (Office);
- `GET /api/v1/cycles/{id}/evaluations` and `/groups` (Office, session);
- the group leader's matrix `/review/<application>/site_review/consensus/` (its leader);
- the expert's scorecard autosave: htmx POSTs of all 23 items to
  `/review/<application>/site_review/card/`, each with the revision the previous answered.

Each operation gets requests/s (requests that ended in the window), p50 and p95 latency (of
every request overlapping the window, so a page slower than the window still counts), errors
(any answer but 200, an autosave answered "未保存", a broken connection), and its ratio to
`/healthz`: throughput per user and p95. The topology `two` also proves the state is shared:
a session signed in on server 1 is valid on server 2 and back; sign-in failures counted on
both servers block the address on both (a lowered LOGIN_IP_FAILURE_LIMIT, a documentation
address in X-Forwarded-For); and the split of the requests between the servers (nginx's
X-Upstream header). That a task queued by
either server runs once is checked by `benchmarks/rush.py` (each submission's messages).

Processes (gunicorn, nginx, the Celery worker) run in their own process groups and are
stopped at the end, also after a failure or a SIGTERM; ports 8210.. and 8290 by default.
`--project DIR` serves another checkout of the code (e.g. `git archive` of an older commit)
against the same database. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import hmac
import http.client
import math
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the project root

from benchmarks._common import (  # noqa: E402
    database_url,
    exit_on_sigterm,
    out,
    percentile,
    var_dir,
)

PASSWORD = "Demo@2026"  # noqa: S105 - the documented demo password (programs.demo)
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
REVISION = re.compile(r'id="card-revision" value="(\d+)"')


# --- HTTP: one keep-alive connection and a cookie jar per user --------------------------------


class HttpError(Exception):
    pass


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Browser:
    """A signed-in (or anonymous) user: cookies, CSRF token, one HTTP/1.1 connection."""

    # Longer than gunicorn's --timeout (300 s): a request the server gives up on is killed
    # there and seen here as a broken connection, never left running for nobody.
    def __init__(self, host: str, port: int, timeout: float = 600.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        data = urlencode(body).encode() if body is not None else None
        head = {"Host": f"{self.host}:{self.port}", "User-Agent": "qa-bench-load"}
        if self.cookies:
            head["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if data is not None:
            head["Content-Type"] = "application/x-www-form-urlencoded"
            if "csrftoken" in self.cookies:
                head["X-CSRFToken"] = self.cookies["csrftoken"]
        head |= headers or {}
        for attempt in (1, 2):  # a keep-alive connection the server closed: once more
            conn = self._connection()
            try:
                conn.request(method, path, body=data, headers=head)
                response = conn.getresponse()
                payload = response.read()
            except (http.client.HTTPException, OSError) as exc:
                self.close()
                if attempt == 2:
                    raise HttpError(f"{method} {path}: {exc!r}") from exc
                continue
            for key, value in response.getheaders():
                if key.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    cookie = rest.split(";", 1)[0]
                    if cookie in ('""', "") or "max-age=0" in value.lower():
                        self.cookies.pop(name.strip(), None)
                    else:
                        self.cookies[name.strip()] = cookie
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            return Answer(
                response.status, payload, {k.lower(): v for k, v in response.getheaders()}
            )
        raise AssertionError("unreachable")

    def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        return self.request("GET", path, headers=headers)

    def post(
        self, path: str, body: dict[str, str], headers: dict[str, str] | None = None
    ) -> Answer:
        return self.request("POST", path, body, headers)


def totp(username: str, at: float | None = None) -> str:
    """The current code of the demo's TOTP key of `username` (RFC 6238: SHA-1, 30 s, 6 digits)."""
    key = hashlib.sha256(f"qa-demo-totp:{username}".encode()).digest()[:20]
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def demo_secret(username: str) -> str:
    return base64.b32encode(
        hashlib.sha256(f"qa-demo-totp:{username}".encode()).digest()[:20]
    ).decode()


def sign_in(
    browser: Browser, username: str, *, staff: bool, extra: dict[str, str] | None = None
) -> None:
    """The login page, then (staff) the two-factor page with the current TOTP code. A code
    refused because this device already used it in this 30 s step is retried in the next."""
    page = browser.get("/accounts/login/")
    token = CSRF_INPUT.search(page.text)
    if page.status != 200 or token is None:
        raise HttpError(f"login page of {username}: {page.status}")
    answer = browser.post(
        "/accounts/login/",
        {"csrfmiddlewaretoken": token.group(1), "username": username, "password": PASSWORD},
        extra,
    )
    if answer.status != 302:
        raise HttpError(f"sign-in of {username}: {answer.status} {answer.text[:200]}")
    location = answer.headers.get("location", "")
    if not staff:
        return
    if "two-factor" not in location:
        raise HttpError(f"sign-in of {username}: no second step ({location})")
    path = urlsplit(location).path + (
        "?" + urlsplit(location).query if urlsplit(location).query else ""
    )
    for _ in range(3):
        page = browser.get(path)
        token = CSRF_INPUT.search(page.text)
        if token is None:
            raise HttpError(f"two-factor page of {username}: {page.status}")
        answer = browser.post(
            path, {"csrfmiddlewaretoken": token.group(1), "otp": totp(username)}, extra
        )
        if answer.status == 302:
            return
        time.sleep(31 - time.time() % 30)  # the next time step
    raise HttpError(f"two-factor of {username}: {answer.status}")


# --- what the users do -----------------------------------------------------------------------


@dataclass
class Fixture:
    """Read once from the database: the ids and the users each operation needs."""

    cycle_id: int
    cycle_uuid: str
    late_path: str  # the Office list's page 80 % of the way down
    late_label: str
    item_codes: list[str]
    offices: list[str]
    leaders: list[tuple[str, str]]  # (username, application public id)
    scorers: list[tuple[str, str, int]]  # (username, application public id, card revision)
    applications: int


def read_fixture(db: str, project: Path) -> Fixture:
    """Django on the benchmark database, read only, in this process, with the models of the
    code the servers run (`--project`)."""
    sys.path.insert(0, str(project))
    os.environ["DATABASE_URL"] = database_url(db)
    os.environ["VAR_DIR"] = str(var_dir(db))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DEBUG"] = "0"
    import django

    django.setup()
    from django.db import connections
    from django.utils import timezone

    from experts.models import ReviewGroup
    from intake.models import Application
    from programs.models import Cycle
    from review.models import Rubric, Scorecard

    cycle = Cycle.objects.get(year=timezone.localdate().year, program__slug="rugao")
    rubric = Rubric.objects.get(cycle=cycle, applies_to="organization")
    codes = list(rubric.items.order_by("position").values_list("code", flat=True))
    visible = (
        Application.objects.filter(cycle__program=cycle.program).exclude(state="draft").count()
    )
    groups = list(
        ReviewGroup.objects.filter(
            application__cycle=cycle, application__state="site_review", stage="site_review"
        )
        .select_related("leader__user", "application")
        .order_by("pk")
    )
    leaders, scorers, used = [], [], set()
    for g in groups:
        assert g.leader is not None
        assert g.leader.user is not None
        if g.leader.user.username not in used:
            used.add(g.leader.user.username)
            leaders.append((g.leader.user.username, str(g.application.public_id)))
    cards = (
        Scorecard.objects.filter(assignment__group__in=groups, state="draft")
        .select_related("assignment__expert__user", "assignment__group__application")
        .order_by("pk")
    )
    for c in cards:
        expert_user = c.assignment.expert.user
        assert expert_user is not None
        name = expert_user.username
        if name not in used:
            used.add(name)
            scorers.append((name, str(c.assignment.group.application.public_id), c.revision))
    from accounts.models import User

    # A late page: `?page=N` where the list has numbered pages; where it has keyset pages
    # (intake.selectors.Cursor), `?after=` the row 80 % of the way down the rows after the
    # Office's to-do segment (state recommended), newest submission first.
    from intake import selectors as intake_selectors

    if hasattr(intake_selectors, "Cursor") and hasattr(intake_selectors, "NEWEST_FIRST"):
        rest = (
            Application.objects.filter(cycle__program=cycle.program)
            .exclude(state__in=["draft", "recommended"])
            .order_by(*intake_selectors.NEWEST_FIRST)
        )
        n = rest.count()
        row = rest.values_list("submitted_at", "pk")[int(n * 0.8)]
        cursor = intake_selectors.Cursor("r", row[0], row[1])
        late_path, late_label = f"/applications/?after={cursor}", f"after row {int(n * 0.8):,}"
    else:
        page = max(1, int(visible / 20 * 0.8))
        late_path, late_label = f"/applications/?page={page}", f"page {page}"

    offices = list(
        User.objects.filter(username__startswith="bo", role_assignments__role="office")
        .order_by("username")
        .values_list("username", flat=True)
    )
    fixture = Fixture(
        cycle_id=cycle.pk,
        cycle_uuid=str(cycle.public_id),
        late_path=late_path,
        late_label=late_label,
        item_codes=codes,
        offices=offices,
        leaders=leaders,
        scorers=scorers,
        applications=visible,
    )
    connections.close_all()
    return fixture


@dataclass
class Operation:
    key: str  # for --ops
    name: str
    role: str  # "anonymous", "office", "leader", "scorer"
    path: str
    autosave: bool = False


# --ops: the operations of this run (empty: all); /healthz is always measured.
SELECTED: set[str] = set()


def operations(fx: Fixture) -> list[Operation]:
    api = f"/api/v1/cycles/{fx.cycle_uuid}"
    every = [
        Operation("healthz", "/healthz (floor)", "anonymous", "/healthz"),
        Operation("home", "home page /", "anonymous", "/"),
        Operation("list", "Office list, page 1", "office", "/applications/"),
        Operation("late", f"Office list, {fx.late_label}", "office", fx.late_path),
        Operation("ranking", "ranking page", "office", f"/review/cycles/{fx.cycle_id}/ranking/"),
        Operation(
            "evaluations", "GET /api/v1/cycles/{id}/evaluations", "office", f"{api}/evaluations"
        ),
        Operation("groups", "GET /api/v1/cycles/{id}/groups", "office", f"{api}/groups"),
        Operation("matrix", "leader's matrix", "leader", "/review/{app}/site_review/consensus/"),
        Operation(
            "autosave",
            "scorecard autosave (POST)",
            "scorer",
            "/review/{app}/site_review/card/",
            True,
        ),
    ]
    return [o for o in every if not SELECTED or o.key in SELECTED | {"healthz"}]


@dataclass
class Sample:
    op: str
    started: float
    seconds: float
    ok: bool
    note: str = ""
    server: str = ""
    in_window: bool = True  # ended before the window closed (counts in the throughput)


@dataclass
class User:
    op: Operation
    browser: Browser
    username: str = ""
    application: str = ""
    revision: int = 0
    samples: list[Sample] = field(default_factory=list)

    def once(self, fx: Fixture, n: int) -> tuple[bool, str, str]:
        path = self.op.path.format(app=self.application)
        if not self.op.autosave:
            answer = self.browser.get(path)
            server = answer.headers.get("x-upstream", "")
            return answer.status == 200, f"{answer.status}" if answer.status != 200 else "", server
        body = {"revision": str(self.revision), "summary": f"第{n}次自动保存"}
        for k, code in enumerate(fx.item_codes):
            body[f"percent-{code}"] = str(((n + k) % 21) * 5)
            body[f"strengths-{code}"] = "方法系统，展开充分。"
            body[f"opportunities-{code}"] = f"改进机会{n}"
        answer = self.browser.post(path, body, {"HX-Request": "true"})
        found = REVISION.search(answer.text)
        server = answer.headers.get("x-upstream", "")
        if answer.status != 200 or found is None:
            return False, f"{answer.status} {answer.text[:80]!r}", server
        self.revision = REVISIONS[self.username] = int(found.group(1))
        return True, "", server


def pools_of(fx: Fixture) -> dict[str, list[Any]]:
    return {
        "office": list(fx.offices),
        "leader": list(fx.leaders),
        "scorer": list(fx.scorers),
    }


def take(op: Operation, pools: dict[str, list[Any]], port: int) -> User:
    """A user for `op`: anonymous, or the next unused account of its role."""
    user = User(op, Browser("127.0.0.1", port))
    if op.role not in pools:
        return user
    if not pools[op.role]:
        raise SystemExit(f"not enough {op.role} accounts in the data set for --users")
    if op.role == "office":
        user.username = pools["office"].pop(0)
    elif op.role == "leader":
        user.username, user.application = pools["leader"].pop(0)
    else:
        user.username, user.application, user.revision = pools["scorer"].pop(0)
        user.revision = REVISIONS.get(user.username, user.revision)
    return user


# The latest revision each expert's card answered (the next topology's saves continue from it).
REVISIONS: dict[str, int] = {}

# The cookies of every session signed in by this run, by username: the next topology reuses
# them (the sessions live in Redis, so servers started later accept them: one more proof that
# the session store is shared), which spares a password hash per user.
SIGNED: dict[str, dict[str, str]] = {}


def sign_in_all(people: list[User]) -> None:
    """Every signed-in user through the login page and the TOTP page, 8 at a time, unless an
    earlier topology of this run signed them in already."""
    errors: list[str] = []

    def login(u: User) -> None:
        try:
            sign_in(u.browser, u.username, staff=True)
            SIGNED[u.username] = dict(u.browser.cookies)
        except HttpError as exc:
            errors.append(str(exc))

    t0 = time.perf_counter()
    staff = [u for u in people if u.username and u.username not in SIGNED]
    reused = [u for u in people if u.username in SIGNED]
    for u in reused:
        u.browser.cookies = dict(SIGNED[u.username])
    in_parallel([lambda u=u: login(u) for u in staff], width=8)
    if errors:
        raise SystemExit("sign-in failed: " + "; ".join(errors[:3]))
    if reused:  # the earlier servers are gone: the sessions must come from Redis
        probe = reused[0]
        answer = probe.browser.get("/accounts/two-factor/")
        if answer.status != 200:
            raise SystemExit(f"a session of the earlier topology is refused: {answer.status}")
    out(
        f"  {len(staff)} users signed in through the login and TOTP pages "
        f"({time.perf_counter() - t0:.1f} s); {len(reused)} sessions of the earlier "
        "topology reused (read from Redis by the new servers)"
    )


def loop_all(fx: Fixture, people: list[User], duration: float, warmup: float) -> None:
    """Each user repeats its operation back to back. The window opens after `warmup` and lasts
    `duration` seconds: the requests that ended in it make the throughput; the latencies are
    those of every request that overlapped it (a request started in the window and ending
    after it is waited for: a slow page is not left out)."""
    start = time.perf_counter() + warmup
    end = start + duration
    for u in people:
        u.samples = []

    def loop(u: User) -> None:
        n = 0
        while True:
            t = time.perf_counter()
            if t >= end:
                return
            n += 1
            try:
                ok, note, server = u.once(fx, n)
            except HttpError as exc:
                ok, note, server = False, str(exc)[:120], ""
            done = time.perf_counter()
            if done >= start:  # overlaps the window: its latency counts
                u.samples.append(
                    Sample(u.op.name, t, done - t, ok, note, server, start <= done <= end)
                )

    in_parallel([lambda u=u: loop(u) for u in people], width=len(people))


def settle(port: int, limit: float = 600) -> float:
    """Wait until /healthz answers within 0.5 s twice in a row: the previous phase's requests
    are all served before the next phase starts. Returns the seconds waited."""
    t0 = time.perf_counter()
    quick = 0
    browser = Browser("127.0.0.1", port)
    while quick < 2 and time.perf_counter() - t0 < limit:
        t = time.perf_counter()
        try:
            ok = browser.get("/healthz").status == 200
        except HttpError:
            ok = False
        quick = quick + 1 if ok and time.perf_counter() - t < 0.5 else 0
        time.sleep(0.5)
    browser.close()
    return time.perf_counter() - t0


def run_mix(fx: Fixture, port: int, users: int, duration: float, warmup: float) -> list[User]:
    """All operations at once, the users spread evenly over them."""
    ops = operations(fx)
    pools = pools_of(fx)
    people = [take(ops[i % len(ops)], pools, port) for i in range(users)]
    sign_in_all(people)
    loop_all(fx, people, duration, warmup)
    for u in people:
        u.browser.close()
    return people


def run_each(fx: Fixture, port: int, users: int, duration: float, warmup: float) -> list[User]:
    """One operation at a time, every user on it (the issue's method), /healthz first; the
    Office's operations share the same signed-in Office users, one phase after another."""
    ops = operations(fx)
    pools = pools_of(fx)
    sessions: dict[str, list[User]] = {}
    for role in ("office", "leader", "scorer"):
        op = next((o for o in ops if o.role == role), None)
        if op is not None:
            sessions[role] = [take(op, pools, port) for _ in range(users)]
    sign_in_all([u for group in sessions.values() for u in group])
    everyone: list[User] = []
    for op in ops:
        if op.role == "anonymous":
            people = [User(op, Browser("127.0.0.1", port)) for _ in range(users)]
        else:
            people = [
                User(op, s.browser, s.username, s.application, s.revision)
                for s in sessions[op.role]
            ]
        loop_all(fx, people, duration, warmup)
        if op.role == "scorer":
            for s, u in zip(sessions["scorer"], people, strict=True):
                s.revision = u.revision
        everyone += people
        done = [smp for u in people for smp in u.samples]
        waited = settle(port)
        out(f"  {op.name}: {len(done):,} requests (then {waited:.0f} s until the server idles)")
    for group in sessions.values():
        for u in group:
            u.browser.close()
    return everyone


def in_parallel(jobs: list[Any], width: int) -> None:
    """Run the callables on `width` threads and wait for all."""
    pending = list(jobs)
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if not pending:
                    return
                job = pending.pop(0)
            job()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(min(width, len(jobs)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


@dataclass
class Figure:
    name: str
    users: int
    requests: int
    errors: int
    rate: float  # requests/s
    p50: float
    p95: float
    notes: list[str]


def figures(people: list[User], duration: float) -> list[Figure]:
    by_op: dict[str, list[User]] = {}
    for u in people:
        by_op.setdefault(u.op.name, []).append(u)
    result = []
    for name, group in by_op.items():
        samples = [s for u in group for s in u.samples]
        ok = [s.seconds for s in samples if s.ok]
        notes = sorted({s.note for s in samples if not s.ok})[:3]
        completed = [s for s in samples if s.in_window]
        result.append(
            Figure(
                name,
                len(group),
                len(completed),
                sum(1 for s in samples if not s.ok),
                len(completed) / duration,
                percentile(ok, 50) if ok else math.nan,
                percentile(ok, 95) if ok else math.nan,
                notes,
            )
        )
    return result


def print_table(title: str, rows: list[Figure]) -> None:
    floor = next(r for r in rows if r.name.startswith("/healthz"))
    per_user = floor.rate / floor.users if floor.users else math.nan
    out(f"\n### {title}\n")
    out(
        "| operation | users | requests | errors | req/s | p50 | p95 "
        "| req/s per user ÷ healthz's | p95 ÷ healthz's |"
    )
    out("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        ratio = (r.rate / r.users) / per_user if per_user else math.nan
        p95_ratio = r.p95 / floor.p95 if floor.p95 else math.nan
        out(
            f"| {r.name} | {r.users} | {r.requests:,} | {r.errors} | {r.rate:,.1f} | "
            f"{ms(r.p50)} | {ms(r.p95)} | {ratio:.3f} | {p95_ratio:,.1f} |"
        )
    for r in rows:
        if r.notes:
            out(f"- errors of {r.name}: {'; '.join(r.notes)}")


def ms(seconds: float) -> str:
    if math.isnan(seconds):
        return "-"
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


# --- the processes ---------------------------------------------------------------------------


@dataclass
class Stack:
    """The processes of one topology, each in its own process group."""

    tmp: Path
    env: dict[str, str]
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(
        self, name: str, argv: list[str], cwd: Path, env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"{name}.log").open("wb")  # closed with the process (stop)
        proc = subprocess.Popen(  # noqa: S603 - our own programs, no shell
            argv,
            cwd=cwd,
            env=self.env | (env or {}),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.procs.clear()


def server_env(args: argparse.Namespace, tmp: Path, prefix: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    env |= {
        "DATABASE_URL": database_url(args.db, args.admin_url),
        "VAR_DIR": str(var_dir(args.db)),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "DEMO": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "REDIS_URL": args.redis_url,
        "CACHE_KEY_PREFIX": prefix,
        "CELERY_BROKER_URL": f"redis://127.0.0.1:6379/{args.broker_db}",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp / "mail"),
        "SITE_URL": f"http://127.0.0.1:{args.proxy_port}",
        "AUDIT_TRUSTED_PROXIES": "127.0.0.1",
        "LOGIN_IP_FAILURE_LIMIT": str(args.throttle_limit),
        # A run's sessions sit idle between phases (and across the two topologies).
        "SESSION_IDLE_MINUTES": "600",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(args.project),
    }
    return env


def wait_ready(port: int, seconds: float = 90) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if Browser("127.0.0.1", port, timeout=5).get("/healthz").status == 200:
                return
        except HttpError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"nothing answers /healthz on port {port}")


NGINX = """worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/nginx-body;
  proxy_temp_path {tmp}/nginx-proxy;
  fastcgi_temp_path {tmp}/nginx-fastcgi;
  uwsgi_temp_path {tmp}/nginx-uwsgi;
  scgi_temp_path {tmp}/nginx-scgi;
  client_max_body_size 30m;
  upstream app {{
{servers}
    keepalive 64;
  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_read_timeout 300s;
      add_header X-Upstream $upstream_addr always;
    }}
  }}
}}
"""


@contextlib.contextmanager
def topology(
    args: argparse.Namespace, servers: int, prefix: str
) -> Iterator[tuple[int, list[int], Stack]]:
    """`servers` gunicorn app servers (+ nginx in front of two or more) and a Celery worker;
    yields (front port, server ports, stack). Everything is stopped on the way out."""
    tmp = Path(tempfile.mkdtemp(prefix=f"qa-load-{servers}-"))
    (tmp / "mail").mkdir()
    stack = Stack(tmp, server_env(args, tmp, prefix))
    venv = Path(sys.executable).parent
    try:
        conf = args.project / "deploy" / "gunicorn.conf.py"
        ports = [args.port + i for i in range(servers)]
        stack.start(
            "celery",
            [str(venv / "celery"), "-A", "config", "worker", "-l", "WARNING", "-c", "2",
             "-n", f"qa-bench-{os.getpid()}@%h", "--without-gossip", "--without-mingle"],
            args.project,
        )  # fmt: skip
        for port in ports:
            argv = [str(venv / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}"]
            argv += ["--error-logfile", str(tmp / f"gunicorn-{port}.err")]
            if conf.exists():
                argv += ["-c", str(conf)]
            if args.workers or not conf.exists():
                argv += ["--workers", str(args.workers or 4)]
            argv += ["--timeout", "300", "--forwarded-allow-ips", "127.0.0.1"]
            # deploy/gunicorn.conf.py's metrics directory and access log: per server, off
            # (the older code had neither; the comparison keeps like with like).
            own = {"PROMETHEUS_MULTIPROC_DIR": str(tmp / f"prometheus-{port}")}
            stack.start(f"gunicorn-{port}", argv, args.project, own | {"GUNICORN_ACCESS_LOG": ""})
        front = ports[0]
        if servers > 1:
            (tmp / "nginx.conf").write_text(
                NGINX.format(
                    tmp=tmp,
                    port=args.proxy_port,
                    servers="\n".join(f"    server 127.0.0.1:{p};" for p in ports),
                )
            )
            stack.start(
                "nginx",
                [args.nginx, "-p", str(tmp), "-e", str(tmp / "nginx-error.log"), "-c",
                 str(tmp / "nginx.conf"), "-g", "daemon off;"],
                tmp,
            )  # fmt: skip
            front = args.proxy_port
        for port in [*ports, front]:
            wait_ready(port)
        yield front, ports, stack
    finally:
        stack.stop()
        if not args.keep_logs:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            out(f"  logs kept in {tmp}")


def collectstatic(args: argparse.Namespace) -> None:
    env = server_env(args, Path(tempfile.gettempdir()), "qa-bench-static")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=args.project,
        env=env,
        check=True,
    )


# --- the proofs of shared state (two servers) --------------------------------------------------


def prove_sharing(
    args: argparse.Namespace, fx: Fixture, ports: list[int], stack: Stack
) -> list[str]:
    lines = []
    first, second = ports[0], ports[1]
    # Sessions: signed in on one server, the other one serves the signed-in page.
    user = fx.offices[-1]
    for here, there in ((first, second), (second, first)):
        browser = Browser("127.0.0.1", here)
        sign_in(browser, user, staff=True)
        other = Browser("127.0.0.1", there)
        other.cookies = dict(browser.cookies)
        answer = other.get("/applications/")
        shared = answer.status == 200 and "申报" in answer.text
        lines.append(
            f"session signed in on :{here} (password + TOTP), then GET /applications/ on :{there}: "
            f"{answer.status} ({'valid' if shared else 'NOT valid'})"
        )
        time.sleep(31 - time.time() % 30)  # the next TOTP step for the second sign-in
    # Throttle: failures alternate between the servers; the limit is reached on their sum.
    address = f"198.51.100.{os.getpid() % 250 + 1}"
    limit = args.throttle_limit
    statuses = []
    for i in range(limit):
        port = (first, second)[i % 2]
        client = Browser("127.0.0.1", port)
        page = client.get("/accounts/login/", {"X-Forwarded-For": address})
        token = CSRF_INPUT.search(page.text)
        assert token is not None
        answer = client.post(
            "/accounts/login/",
            {
                "csrfmiddlewaretoken": token.group(1),
                "username": f"nobody-{uuid.uuid4().hex[:8]}",
                "password": "wrong",
            },
            {"X-Forwarded-For": address},
        )
        statuses.append(answer.status)
    after = {}
    for port in (first, second):
        client = Browser("127.0.0.1", port)
        page = client.get("/accounts/login/", {"X-Forwarded-For": address})
        token = CSRF_INPUT.search(page.text)
        assert token is not None
        after[port] = client.post(
            "/accounts/login/",
            {
                "csrfmiddlewaretoken": token.group(1),
                "username": fx.offices[0],
                "password": PASSWORD,
            },
            {"X-Forwarded-For": address},
        ).status
    lines.append(
        f"throttle (LOGIN_IP_FAILURE_LIMIT={limit}): {limit} failed sign-ins from {address}, "
        f"alternately on :{first} and :{second} ({limit // 2} each, answers "
        f"{sorted(set(statuses))}); then the right password from that address: "
        f":{first} {after[first]}, :{second} {after[second]} "
        f"({'blocked on both' if set(after.values()) == {429} else 'NOT blocked on both'})"
    )
    return lines


# --- main ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", required=True, help="the database benchmarks/generate.py kept")
    parser.add_argument("--topology", default="both", choices=["one", "two", "both"])
    parser.add_argument("--users", type=int, default=50, help="simulated users (threads)")
    parser.add_argument("--duration", type=float, default=60, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=5, help="seconds before measuring")
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="gunicorn workers per server (default: deploy/gunicorn.conf.py, else 4)",
    )
    parser.add_argument("--port", type=int, default=8210, help="first app server's port")
    parser.add_argument("--proxy-port", type=int, default=8290, help="nginx's port")
    parser.add_argument("--project", type=Path, default=ROOT, help="the code the servers run")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0", help="REDIS_URL")
    parser.add_argument(
        "--broker-db", type=int, default=12, help="Redis database of the Celery broker"
    )
    parser.add_argument(
        "--throttle-limit", type=int, default=6, help="LOGIN_IP_FAILURE_LIMIT of the servers"
    )
    parser.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")
    parser.add_argument("--keep-logs", action="store_true", help="keep the servers' logs")
    parser.add_argument(
        "--mode",
        default="mix",
        choices=["mix", "each"],
        help="mix: all operations at once, users spread over them; each: one operation at a "
        "time with every user on it, --duration seconds each (the issue's method)",
    )
    parser.add_argument(
        "--ops",
        default="",
        help="only these operations, comma-separated (healthz is always measured): home, list, "
        "late, ranking, evaluations, groups, matrix, autosave",
    )
    args = parser.parse_args()
    exit_on_sigterm()
    SELECTED.update(k.strip() for k in args.ops.split(",") if k.strip())
    args.admin_url = os.environ.get("DATABASE_URL", "")
    args.project = args.project.resolve()
    fx = read_fixture(args.db, args.project)
    prefix = f"qa-bench-load-{os.getpid()}"
    load = os.getloadavg()
    out(
        f"# benchmarks/load.py --db {args.db} --mode {args.mode}: {args.users} users, "
        f"{args.duration:.0f} s (+{args.warmup:.0f} s warm-up)"
        + (" per operation" if args.mode == "each" else "")
    )
    out(
        f"{time.strftime('%Y-%m-%d %H:%M %Z')} | {os.cpu_count()} cores, load "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} | code {args.project} | "
        f"{fx.applications:,} applications visible to the Office"
    )
    collectstatic(args)
    results: dict[str, list[Figure]] = {}
    for servers in (1,) if args.topology == "one" else (2,) if args.topology == "two" else (1, 2):
        label = "one app server" if servers == 1 else f"{servers} app servers behind nginx"
        with topology(args, servers, prefix) as (front, ports, stack):
            out(f"\n## {label} (front :{front})")
            run = run_mix if args.mode == "mix" else run_each
            people = run(fx, front, args.users, args.duration, args.warmup)
            rows = figures(people, args.duration)
            results[label] = rows
            print_table(f"{label}, load {os.getloadavg()[0]:.2f}", rows)
            if servers > 1:
                split: dict[str, int] = {}
                for u in people:
                    for smp in u.samples:
                        split[smp.server or "?"] = split.get(smp.server or "?", 0) + 1
                out("")
                out(
                    "- requests per app server (nginx X-Upstream): "
                    + ", ".join(f"{k} {v:,}" for k, v in sorted(split.items()))
                )
                for line in prove_sharing(args, fx, ports, stack):
                    out(f"- {line}")
    if len(results) == 2:
        one, two = results.values()
        out(f"\n### two servers ÷ one, same operations (--mode {args.mode})\n")
        out("| operation | req/s one | req/s two | ratio |")
        out("|---|---|---|---|")
        for a, b in zip(one, two, strict=True):
            out(
                f"| {a.name} | {a.rate:,.1f} | {b.rate:,.1f} | "
                f"{b.rate / a.rate if a.rate else math.nan:.2f} |"
            )
        total_one = sum(r.rate for r in one)
        total_two = sum(r.rate for r in two)
        out(
            f"| all operations | {total_one:,.1f} | {total_two:,.1f} | "
            f"{total_two / total_one:.2f} |"
        )


if __name__ == "__main__":
    main()
