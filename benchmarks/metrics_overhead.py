"""What the per-request SQL metrics cost (issue 17 part 4, docs/decisions/0028): `/healthz`
through django.test.Client with the statements metered (`config.observability.QueryMeter`, two
histograms observed per request) and without (METRICS_DB off); the meter's cost on one
statement; and the fixed part of a request (the wrapper put on and taken off, the two
observations) timed alone, which the shared machine's noise does not drown.

    .venv/bin/python benchmarks/metrics_overhead.py [-n 500] [--rounds 10]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/metrics_overhead.py

prometheus_client runs in its multiprocess mode, as under gunicorn (PROMETHEUS_MULTIPROC_DIR,
a temporary directory): each observation is written to a memory-mapped file. The two modes
alternate in rounds of N requests (on, off, off, on, on, off, ...) so that a load change of
the shared machine falls on both; the figure is the median over the rounds of each mode's mean
per request, and the difference of the two medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project root

from benchmarks._common import bench_database, machine, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=500, help="requests per round")
    parser.add_argument("--rounds", type=int, default=10, help="rounds of each mode")
    args = parser.parse_args()

    multiproc = tempfile.TemporaryDirectory(prefix="qa-prometheus-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = multiproc.name  # before prometheus_client loads
    with bench_database() as db:
        from django.conf import settings
        from django.db import connection
        from django.test import Client, RequestFactory

        from config.observability import QueryMeter, observe_queries

        client = Client()

        def round_of(metered: bool) -> float:
            settings.METRICS_DB = metered
            started = time.perf_counter()
            for _ in range(args.n):
                client.get("/healthz")
            return (time.perf_counter() - started) / args.n

        for metered in (True, False):  # warm-up: first connection, the metrics' files
            settings.METRICS_DB = metered
            for _ in range(50):
                assert client.get("/healthz").status_code == 200
        on: list[float] = []
        off: list[float] = []
        for i in range(args.rounds):  # each mode first in half the rounds
            for metered in (True, False) if i % 2 == 0 else (False, True):
                (on if metered else off).append(round_of(metered))

        def statements(metered: bool, count: int = 20_000) -> float:
            with connection.cursor() as cursor:
                started = time.perf_counter()
                if metered:
                    with connection.execute_wrapper(QueryMeter()):
                        for _ in range(count):
                            cursor.execute("SELECT 1")
                else:
                    for _ in range(count):
                        cursor.execute("SELECT 1")
                return (time.perf_counter() - started) / count

        plain = [statements(False) for _ in range(5)]
        wrapped = [statements(True) for _ in range(5)]

        request = RequestFactory().get("/healthz")
        request.resolver_match = client.get("/healthz").wsgi_request.resolver_match
        meter = QueryMeter()
        meter.count, meter.seconds = 1, 0.0001

        def per_request(count: int = 20_000) -> float:
            started = time.perf_counter()
            for _ in range(count):
                with connection.execute_wrapper(QueryMeter()):
                    pass
                observe_queries(request, meter)
            return (time.perf_counter() - started) / count

        fixed = [per_request() for _ in range(5)]

        on_us, off_us = statistics.median(on) * 1e6, statistics.median(off) * 1e6
        out(f"# Metrics overhead | {machine(db)}")
        out(f"/healthz, {args.rounds} rounds of {args.n} requests each mode, median of means:")
        out(f"  metered    {on_us:8.1f} µs/request")
        out(f"  unmetered  {off_us:8.1f} µs/request")
        out(f"  overhead   {on_us - off_us:8.1f} µs/request ({(on_us / off_us - 1) * 100:+.1f} %)")
        p, w = statistics.median(plain) * 1e6, statistics.median(wrapped) * 1e6
        out(f"SELECT 1 through a cursor, 5 x 20,000: {p:.2f} µs plain, {w:.2f} µs metered "
            f"({w - p:+.2f} µs a statement)")  # fmt: skip
        out(f"Per request, alone (wrapper on and off, two observations): "
            f"{statistics.median(fixed) * 1e6:.1f} µs")  # fmt: skip
    multiproc.cleanup()


if __name__ == "__main__":
    main()
