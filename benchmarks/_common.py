"""Scaffolding shared by the benchmark scripts (docs/benchmarks.md).

Each script calls `bench_database()` before importing anything of Django's: it points
`VAR_DIR` at a temporary directory (so SQLite, the secret key and uploads are throwaway), or,
when `DATABASE_URL` names a PostgreSQL server, creates a separate database `bench_<pid>` on
that server and drops it at the end. The database named in `DATABASE_URL` itself is only used
to issue CREATE/DROP DATABASE; its tables are never touched. Then `django.setup()` and a quiet
`migrate`.

Figures are wall-clock `time.perf_counter()` per operation (or per batch of operations when
one operation is too short to time on its own; the table says so).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit


def out(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


@dataclass
class Database:
    label: str = ""  # "SQLite 3.40.1 (WAL, synchronous=NORMAL)" / "PostgreSQL 15.20"
    vendor: str = ""  # "sqlite" / "postgresql"


def _pg_admin_connect(url: str) -> Any:
    import psycopg

    return psycopg.connect(url, autocommit=True)


@contextlib.contextmanager
def bench_database() -> Iterator[Database]:
    """A throwaway migrated database for this process; Django is set up inside."""
    tmp = tempfile.TemporaryDirectory(prefix="qa-bench-")
    os.environ["VAR_DIR"] = tmp.name
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    admin_url = os.environ.get("DATABASE_URL", "")
    bench_name = ""
    if admin_url:
        parts = urlsplit(admin_url)
        if not parts.scheme.startswith("postgres"):
            raise SystemExit(
                "DATABASE_URL must be a postgresql:// URL (or unset for a throwaway SQLite)."
            )
        from psycopg import sql

        bench_name = f"bench_{os.getpid()}"
        with _pg_admin_connect(admin_url) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(bench_name)))
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path="/" + bench_name))
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0, interactive=False)
        db = Database(vendor=connection.vendor)
        if connection.vendor == "sqlite":
            import sqlite3

            db.label = f"SQLite {sqlite3.sqlite_version} (WAL, synchronous=NORMAL, temp dir)"
        else:
            with connection.cursor() as cursor:
                cursor.execute("SHOW server_version")
                version = cursor.fetchone()[0]
            db.label = f"PostgreSQL {version} (database {bench_name}, 127.0.0.1 TCP)"
        yield db
    finally:
        if "django.conf" in sys.modules:
            from django.conf import settings

            if settings.configured:  # not when setup itself failed
                from django.db import connections

                connections.close_all()
        if bench_name:
            from psycopg import sql

            with _pg_admin_connect(admin_url) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        sql.Identifier(bench_name)
                    )
                )
            os.environ["DATABASE_URL"] = admin_url
        tmp.cleanup()


def machine(db: Database) -> str:
    """When, on what, and how busy the machine was (other processes skew the figures)."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} | "
        f"Python {platform.python_version()} ({platform.python_implementation()}) | "
        f"{os.cpu_count()} cores, load {load} | {platform.system()} {platform.machine()} | "
        f"{db.label}"
    )


# --- timing ---------------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    ops: int
    total: float  # seconds, sum of the timed samples
    samples: list[float] = field(default_factory=list)  # seconds per operation, one per sample
    per: int = 1  # operations per timed sample
    cells: tuple[str, ...] = ()  # the extra columns of table()

    @property
    def mean(self) -> float:
        return self.total / self.ops if self.ops else math.nan

    @property
    def p95(self) -> float:
        return percentile(self.samples, 95)

    @property
    def rate(self) -> float:
        return self.ops / self.total if self.total else math.inf


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def timed(
    name: str,
    args: Sequence[Any],
    fn: Callable[[Any], object],
    *,
    per: int = 1,
    cells: tuple[str, ...] = (),
) -> Row:
    """Call fn(arg) for each arg; time each call, or each batch of `per` calls."""
    clock = time.perf_counter
    samples: list[float] = []
    total = 0.0
    for start in range(0, len(args), per):
        batch = args[start : start + per]
        t0 = clock()
        for arg in batch:
            fn(arg)
        elapsed = clock() - t0
        total += elapsed
        samples.append(elapsed / len(batch))
    return Row(name, len(args), total, samples, per, cells)


def duration(seconds: float) -> str:
    if math.isnan(seconds):
        return "-"
    if seconds < 1e-6:
        return f"{seconds * 1e9:.0f} ns"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def rate(value: float) -> str:
    if math.isinf(value):
        return "-"
    if value >= 10_000:
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def table(rows: Sequence[Row], *, extra: Sequence[str] = ()) -> None:
    """A Markdown table (pastes into docs/benchmarks.md as is); `extra` names Row.cells."""
    header = ["operation", "ops", "total s", "mean/op", "p95/op", "ops/s", *extra]
    lines = [header]
    for r in rows:
        p95 = duration(r.p95) + (f" (batches of {r.per})" if r.per > 1 else "")
        line = [r.name, f"{r.ops:,}", f"{r.total:.3f}", duration(r.mean), p95, rate(r.rate)]
        cells = [*r.cells, *[""] * len(extra)][: len(extra)]
        lines.append(line + cells)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for i, line in enumerate(lines):
        out("| " + " | ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) + " |")
        if i == 0:
            out("|" + "|".join("-" * (w + 2) for w in widths) + "|")


def pass_second_factor(client: Any, user: Any) -> None:
    """Staff present a second factor before any page (issue 15 part 1): a confirmed TOTP device
    and the session marked as verified now, as tests/conftest.py does."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts import two_factor

    device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[two_factor.VERIFIED_AT] = time.time()
    session.save()


# --- named databases (issue 17: generate once, load and rush against it) ----------------------


def database_url(name: str, admin_url: str | None = None) -> str:
    """`DATABASE_URL` (a postgresql:// URL naming any database of the server) pointed at `name`."""
    admin_url = admin_url or os.environ.get("DATABASE_URL", "")
    parts = urlsplit(admin_url)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit("DATABASE_URL must be a postgresql:// URL naming the server.")
    return urlunsplit(parts._replace(path="/" + name))


def database_exists(name: str) -> bool:
    with _pg_admin_connect(os.environ["DATABASE_URL"]) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return row is not None


def drop_database(name: str) -> None:
    """Drop the PostgreSQL database `name` (connections forced out); the admin connection is
    to the database `DATABASE_URL` names, never to `name`."""
    from psycopg import sql

    admin_url = os.environ.get("DATABASE_URL", "")
    if urlsplit(admin_url).path.strip("/") == name:
        raise SystemExit(f"DATABASE_URL names {name}: point it at another database to drop it.")
    with _pg_admin_connect(admin_url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
    import shutil

    shutil.rmtree(var_dir(name), ignore_errors=True)


def var_dir(name: str) -> Path:
    """The VAR_DIR kept with a named database: its keys (SECRET_KEY, PII_KEYS, BLIND_INDEX_KEY,
    AUDIT_ANCHOR_KEY) encrypted and indexed the rows, so every process reading the database
    (app servers, workers, the load and rush scripts) must use the same directory."""
    return Path(tempfile.gettempdir()) / f"qa-bench-{name}"


def exit_on_sigterm() -> None:
    """SIGTERM (a `kill`, a CI timeout) unwinds like Ctrl-C: the `finally` blocks drop the
    databases and stop the processes."""
    import signal

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


@contextlib.contextmanager
def named_database(name: str, *, keep: bool, replace: bool = False) -> Iterator[Database]:
    """Like `bench_database()` but the PostgreSQL database is `name` and stays when `keep`,
    with its VAR_DIR (`var_dir(name)`), for the load and rush scripts; both are removed at the
    end otherwise, also after a failure."""
    import shutil

    from psycopg import sql

    admin_url = os.environ.get("DATABASE_URL", "")
    if not admin_url:
        raise SystemExit("--db needs DATABASE_URL=postgresql://... naming the server.")
    if database_exists(name):
        if not replace:
            raise SystemExit(f"database {name} exists (use --replace, or --drop {name})")
        drop_database(name)
    var = var_dir(name)
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    os.environ["VAR_DIR"] = str(var)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    with _pg_admin_connect(admin_url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    os.environ["DATABASE_URL"] = database_url(name, admin_url)
    ok = False
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0, interactive=False)
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        yield Database(
            label=f"PostgreSQL {version} (database {name}, 127.0.0.1 TCP)", vendor="postgresql"
        )
        ok = True
    finally:
        if "django.conf" in sys.modules:
            from django.conf import settings

            if settings.configured:
                from django.db import connections

                connections.close_all()
        os.environ["DATABASE_URL"] = admin_url
        if not (ok and keep):
            drop_database(name)
