"""The per-request cost of decrypting personal data (issue 15 part 5): the Office's application
list and its Excel export over 1,000 applications, half of them individual applicants whose
身份证 numbers are stored SM4-encrypted (lib/fields.py).

    .venv/bin/python benchmarks/decryption.py [--applications 1000] [-n 200]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/decryption.py

Each URL gets a few untimed warm-up requests, then N timed GETs through django.test.Client as
the Office (median and p95 in milliseconds); SQL queries per request are counted on separate
requests. Two modes in one process, over the same rows:

- "SM4 decrypt": as built; every encrypted column read is verified and decrypted.
- "no decrypt": `EncryptedTextField.from_db_value` replaced by a pass-through (the ciphertext
  is handed on as it is): what the same code costs without the decryption.

Run on a checkout from before the encryption (``git worktree add /tmp/before <commit>``), the
script measures the plain-column code instead (one mode, "plain columns").
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project root

from benchmarks._common import bench_database, machine, out, pass_second_factor

WARMUP = 10
COUNTED = 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--applications", type=int, default=1000, help="applications listed")
    parser.add_argument("-n", type=int, default=200, help="timed GETs per URL and mode")
    args = parser.parse_args()

    with bench_database() as db:
        from django.db import connections
        from django.test import Client
        from django.test.utils import CaptureQueriesContext
        from django.urls import reverse

        from accounts.models import Individual, Organization, RecommendingUnit, User
        from intake.models import Application, State
        from programs import demo
        from programs.models import Cycle

        demo.seed()
        office_user = User.objects.get(username="office")
        units = list(RecommendingUnit.objects.all()[:10])
        base = Cycle.objects.get(year=demo.DEMO_YEAR)
        n = args.applications
        half = n // 2
        year = 2040
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
            for i in range(n - half)
        )
        # Individual applicants: an account each (email and phone) and a valid 身份证 number.
        users = User.objects.bulk_create(
            User(
                username=f"p{i}",
                full_name=f"申报人{i}",
                email=f"p{i}@example.invalid",
                phone=f"139{i:08d}",
            )
            for i in range(half)
        )

        def id_number(i: int) -> str:
            from stdnum.cn import ric

            body = f"320682{1960 + i % 40}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
            return body + ric.calc_check_digit(body + "0")

        people = Individual.objects.bulk_create(
            Individual(
                user=u,
                name=f"申报人{i}",
                id_number=id_number(i),
                employer_name=f"单位{i}",
                recommending_unit=units[i % len(units)],
                position="cqo",
                quality_work_years=10,
            )
            for i, u in enumerate(users)
        )
        Application.objects.bulk_create(
            [
                Application(
                    cycle=cycle,
                    kind="organization",
                    organization=org,
                    recommending_unit=org.recommending_unit,
                    state=State.RECOMMENDED,
                    created_by=office_user,
                )
                for org in orgs
            ]
            + [
                Application(
                    cycle=cycle,
                    kind="individual",
                    individual=person,
                    recommending_unit=person.recommending_unit,
                    state=State.RECOMMENDED,
                    created_by=office_user,
                )
                for person in people
            ]
        )

        office = Client()
        office.force_login(office_user, backend="accounts.backends.PasswordBackend")
        pass_second_factor(office, office_user)
        listed = reverse("intake:list") + f"?year={year}"
        urls = [
            ("申报列表（第1页，20行）", listed),
            ("申报列表（个人申报人，第1页）", listed + "&kind=individual"),
            (f"申报汇总 Excel（{n:,}行）", reverse("intake:export") + f"?year={year}"),
        ]

        def get(url: str) -> None:
            response = office.get(url)
            if response.status_code != 200:
                raise SystemExit(f"GET {url} answered {response.status_code}")

        modes = _modes()
        out(f"# Decryption on the Office's application list, {n:,} applications ({half:,} 个人)")
        out()
        out(machine(db))
        out()
        out("| page | mode | queries | decryptions | median ms | p95 ms |")
        out("|---|---|---|---|---|---|")
        for name, url in urls:
            timed = args.n if "Excel" not in name else max(args.n // 10, 10)
            # The modes take turns request by request, so a busy machine slows both alike.
            samples: dict[str, list[float]] = {mode: [] for mode, _ in modes}
            counts: dict[str, set[int]] = {mode: set() for mode, _ in modes}
            decrypts: dict[str, int] = {}
            for mode, switch in modes:
                with switch():
                    for _ in range(WARMUP):
                        get(url)
                    for _ in range(COUNTED):
                        with CaptureQueriesContext(connections["default"]) as ctx:
                            get(url)
                        counts[mode].add(len(ctx.captured_queries))
                    with _counting() as counted:
                        get(url)
                    decrypts[mode] = counted[0]
            for _ in range(timed):
                for mode, switch in modes:
                    with switch():
                        t0 = time.perf_counter()
                        get(url)
                        samples[mode].append(time.perf_counter() - t0)
            for mode, _ in modes:
                ordered = sorted(samples[mode])
                median = statistics.median(ordered)
                p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
                queries = "/".join(map(str, sorted(counts[mode])))
                out(
                    f"| {name} | {mode} | {queries} | {decrypts[mode]} | {median * 1e3:.2f} "
                    f"| {p95 * 1e3:.2f} |"
                )
        _per_decryption()


@contextlib.contextmanager
def _counting() -> Iterator[list[int]]:
    """How many values one request decrypts (lib.crypto.decrypt_text calls); 0 on old code."""
    counted = [0]
    try:
        from lib import crypto
    except ImportError:
        yield counted
        return
    original = crypto.decrypt_text

    def counting(token: str, *, purpose: str) -> str:
        counted[0] += 1
        return original(token, purpose=purpose)

    crypto.decrypt_text = counting  # type: ignore[assignment]
    try:
        yield counted
    finally:
        crypto.decrypt_text = original  # type: ignore[assignment]


def _per_decryption() -> None:
    """The cost of one decryption and one blind index, alone (median of 20 runs of 1,000)."""
    try:
        from lib import crypto
    except ImportError:
        return
    token = crypto.encrypt_text("32068219850315107X", purpose="bench")
    runs = []
    for _ in range(20):
        t0 = time.perf_counter()
        for _ in range(1000):
            crypto.decrypt_text(token, purpose="bench")
        runs.append((time.perf_counter() - t0) / 1000)
    index = []
    for _ in range(20):
        t0 = time.perf_counter()
        for _ in range(1000):
            crypto.blind_index("32068219850315107X", kind="id_number")
        index.append((time.perf_counter() - t0) / 1000)
    out()
    out(
        f"One `decrypt_text`: {statistics.median(runs) * 1e6:.1f} µs (median of 20 × 1,000); "
        f"one `blind_index`: {statistics.median(index) * 1e6:.1f} µs."
    )


def _modes() -> list[tuple[str, Callable[[], AbstractContextManager[object]]]]:
    import contextlib

    try:
        from lib.fields import EncryptedTextField
    except ImportError:
        return [("plain columns", contextlib.nullcontext)]

    @contextlib.contextmanager
    def passthrough():  # type: ignore[no-untyped-def]
        original = EncryptedTextField.from_db_value
        EncryptedTextField.from_db_value = lambda self, value, expression, connection: value  # type: ignore[method-assign]
        try:
            yield
        finally:
            EncryptedTextField.from_db_value = original  # type: ignore[method-assign]

    return [("SM4 decrypt", contextlib.nullcontext), ("no decrypt", passthrough)]


if __name__ == "__main__":
    main()
