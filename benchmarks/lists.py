"""The everyday pages that must not grow with the data (issue 17 part 3), in process through
django.test.Client, against a database `benchmarks/generate.py --keep` filled:

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/qa_bench .venv/bin/python benchmarks/lists.py

The Office's list (page 1 and a late page), the API list (page 1 and a late page), the
supervisors' year page and the home page (anonymous and signed in). Each URL: a few untimed
warm-up GETs, then N timed ones; statements per request and the body size from separate GETs.
The rows were encrypted with the keys in the database's VAR_DIR (`generate.py` keeps them in
`$TMPDIR/qa-bench-<name>`), which this script uses unless VAR_DIR is set. It writes only the
benchmark's own TOTP devices (the second factor of the staff it signs in)
and sessions under the cache prefix `bench-lists`.

The late pages: `?page=` where the list still numbers pages, else the keyset cursor of the row
the page would start after (the same rows).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project root

from benchmarks._common import var_dir

WARMUP = 5
COUNTED = 3
PAGE = 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=30, help="timed GETs per URL")
    parser.add_argument("--late", type=int, default=400, help="the late page's number")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("CACHE_KEY_PREFIX", "bench-lists")
    # The keys that encrypted the rows stay with the generated database (its VAR_DIR).
    name = urlsplit(os.environ.get("DATABASE_URL", "")).path.lstrip("/")
    if not name:
        raise SystemExit("DATABASE_URL must name the database benchmarks/generate.py kept.")
    os.environ.setdefault("VAR_DIR", str(var_dir(name)))
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from benchmarks._common import Row, out, pass_second_factor, table
    from intake import selectors
    from intake.models import Application, State
    from programs.models import Cycle

    def signed_in(username: str) -> Client:
        client = Client()
        user = User.objects.get(username=username)
        client.force_login(user, backend="accounts.backends.PasswordBackend")
        pass_second_factor(client, user)
        return client

    office, supervisor, anonymous = signed_in("office"), signed_in("supervisor"), Client()
    cycle = Cycle.objects.order_by("-year").first()
    assert cycle is not None
    visible = Application.objects.exclude(state=State.DRAFT).count()
    late_row = args.late * PAGE - 1
    if hasattr(selectors, "list_page"):  # keyset: the cursor of the row before the late page
        todo = Application.objects.filter(state=State.RECOMMENDED).count()
        segment = "t" if late_row < todo else "r"
        rows = Application.objects.exclude(state=State.DRAFT)
        rows = (
            rows.filter(state=State.RECOMMENDED)
            if segment == "t"
            else rows.exclude(state=State.RECOMMENDED)
        )
        row = rows.order_by(*selectors.NEWEST_FIRST)[late_row - (0 if segment == "t" else todo)]
        late_list = f"/applications/?after={selectors.Cursor.of(segment, row)}"
    else:
        late_list = f"/applications/?page={args.late + 1}"

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
            with CaptureQueriesContext(connection) as ctx:
                get()
            counts.add(len(ctx.captured_queries))
        queries = "/".join(str(c) for c in sorted(counts))
        return Row(name, args.n, sum(samples), samples, cells=(queries, f"{size / 1024:.1f} KiB"))

    results: list[Any] = [
        measure("/applications/ page 1 (Office)", office, "/applications/"),
        measure(f"/applications/ page {args.late + 1} (Office)", office, late_list),
        measure("/api/v1/applications page 1", office, "/api/v1/applications"),
        measure(
            f"/api/v1/applications page {args.late + 1}",
            office,
            f"/api/v1/applications?page={args.late + 1}",
        ),
        measure("supervisors' year page", supervisor, f"/supervision/cycles/{cycle.pk}/"),
        measure("/ home (anonymous)", anonymous, "/"),
        measure("/ home (Office)", office, "/"),
    ]
    out(f"# benchmarks/lists.py  N={args.n} GETs per URL (after {WARMUP} warm-up)")
    out(f"{connection.vendor}, {visible:,} submitted applications in {cycle.year}")
    out()
    table(results, extra=("SQL/request", "body"))


if __name__ == "__main__":
    main()
