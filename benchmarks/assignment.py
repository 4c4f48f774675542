"""Assignment of experts: lib.assignment.solve on city, province and national instances.

    .venv/bin/python benchmarks/assignment.py
    .venv/bin/python benchmarks/assignment.py --scales city,province --export /tmp/instances

No database. Each instance is drawn from a fixed seed: ~40 GB/T 4754 divisions with a skew
(a few manufacturing divisions dominate, as among Rugao's applicants), experts with 1–3
divisions, about one employer per 4 experts, capacities adding up to ~1.3 × the seats, and ~2%
of all pairs in conflict. Affinities are the library's default rule (100 same division, 20
otherwise). The checks of the result (violations, loads) are computed here, independently of
the solver. "plain optimum" is one OR-Tools min-cost flow over every pair with the same hard
constraints (conflicts, caps, k, employer rule) and nothing else: the most total affinity any
valid assignment can reach; "gap" is how far ours is below it.

``--export DIR`` writes DIR/<scale>/scores.csv (application,expert,affinity for every pair),
constraints.csv (application,expert,-1 per conflict) and max_papers.csv (expert,max load), the
layout openreview-matcher reads, so other solvers can run on exactly the same instance.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project root

import numpy as np
from ortools.graph.python import min_cost_flow

from benchmarks._common import out
from lib.assignment import Application, Expert, Problem, Solution, solve

# Forty divisions of GB/T 4754-2017, manufacturing first: the skew puts most applicants there.
DIVISIONS = tuple(
    "34 35 38 39 36 33 26 29 30 31 32 27 28 17 18 13 14 15 22 23 "  # noqa: SIM905 - a table
    "40 41 42 43 44 47 48 50 51 52 53 54 59 63 64 65 70 72 74 83".split()
)


@dataclass(frozen=True)
class Scale:
    name: str
    applications: int
    experts: int
    k: int
    seed: int


SCALES = {
    s.name: s
    for s in (
        Scale("city", 30, 40, 5, 1),
        Scale("province", 500, 300, 5, 2),
        Scale("national", 5000, 1500, 3, 3),
    )
}


def instance(scale: Scale) -> Problem:
    """A reproducible instance (numpy's PCG64 from the scale's seed)."""
    rng = np.random.default_rng(scale.seed)
    weights = 1.0 / np.arange(1, len(DIVISIONS) + 1) ** 0.9  # Zipf-like skew
    weights /= weights.sum()
    app_div = rng.choice(len(DIVISIONS), size=scale.applications, p=weights)
    applications = tuple(
        Application(f"A{i:05d}", DIVISIONS[d]) for i, d in enumerate(app_div.tolist())
    )
    employers = max(1, scale.experts // 4)
    seats = scale.applications * scale.k
    # Capacities 1.3 × seats in total, spread unevenly (some experts review more than others).
    share = rng.gamma(4.0, size=scale.experts)
    capacity = np.maximum(1, np.round(share / share.sum() * 1.3 * seats)).astype(int)
    experts = []
    for j in range(scale.experts):
        count = int(rng.integers(1, 4))
        divs = rng.choice(len(DIVISIONS), size=count, replace=False, p=weights)
        experts.append(
            Expert(
                f"E{j:05d}",
                f"U{int(rng.integers(employers)):04d}",
                frozenset(DIVISIONS[d] for d in divs.tolist()),
                int(capacity[j]),
            )
        )
    pairs = scale.applications * scale.experts
    picks = rng.choice(pairs, size=pairs // 50, replace=False)  # 2% of all pairs
    conflicts = frozenset(
        (applications[p // scale.experts].id, experts[p % scale.experts].id) for p in picks.tolist()
    )
    return Problem(applications, tuple(experts), scale.k, conflicts)


def affinity_matrix(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    """(affinity, allowed) over all pairs, computed here without the library's helpers."""
    n, m = len(problem.applications), len(problem.experts)
    aff = np.empty((n, m), dtype=np.int64)
    for j, e in enumerate(problem.experts):
        aff[:, j] = [100 if a.industry in e.industries else 20 for a in problem.applications]
    allowed = np.ones((n, m), dtype=bool)
    app_index = {a.id: i for i, a in enumerate(problem.applications)}
    expert_index = {e.id: j for j, e in enumerate(problem.experts)}
    for a_id, e_id in problem.conflicts:
        allowed[app_index[a_id], expert_index[e_id]] = False
    return aff, allowed


def plain_optimum(problem: Problem, aff: np.ndarray, allowed: np.ndarray) -> tuple[int, int]:
    """(seats filled, total affinity) of one min-cost flow over every allowed pair."""
    n, m = aff.shape
    rows, cols = np.nonzero(allowed)
    employer_ids = {u: t for t, u in enumerate(sorted({e.employer for e in problem.experts}))}
    employer_of = np.array([employer_ids[e.employer] for e in problem.experts])
    gates, gate_of = np.unique(rows * len(employer_ids) + employer_of[cols], return_inverse=True)
    expert_node = 2 + np.arange(m)
    app_node = 2 + m + np.arange(n)
    gate_node = 2 + m + n + np.arange(len(gates))
    tails = np.concatenate([np.zeros(m, dtype=np.int64), expert_node[cols], gate_node, app_node])
    heads = np.concatenate(
        [expert_node, gate_node[gate_of], app_node[gates // len(employer_ids)], np.ones(n)]
    ).astype(np.int64)
    caps = np.concatenate(
        [
            [e.capacity for e in problem.experts],
            np.ones(len(rows) + len(gates), dtype=np.int64),
            np.full(n, problem.k),
        ]
    ).astype(np.int64)
    costs = np.concatenate(
        [np.zeros(m), -aff[rows, cols], np.zeros(len(gates)), np.zeros(n)]
    ).astype(np.int64)
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    flow.set_node_supply(0, n * problem.k)
    flow.set_node_supply(1, -n * problem.k)
    if flow.solve_max_flow_with_min_cost() != flow.OPTIMAL:
        raise SystemExit("plain min-cost flow failed")
    return flow.maximum_flow(), -flow.optimal_cost()


@dataclass
class Checks:
    conflicts: int
    loads: int
    k: int
    employers: int
    weak_only: int
    spread: int


def check(problem: Problem, solution: Solution) -> Checks:
    """Count rule breaks in the solution, without trusting anything the solver says."""
    experts = {e.id: e for e in problem.experts}
    apps = {a.id: a for a in problem.applications}
    load = Counter(p.expert for p in solution.pairs)
    per_app: dict[str, list[Expert]] = {a: [] for a in apps}
    for p in solution.pairs:
        per_app[p.application].append(experts[p.expert])
    return Checks(
        conflicts=sum((p.application, p.expert) in problem.conflicts for p in solution.pairs),
        loads=sum(load[e] > experts[e].capacity for e in load),
        k=sum(len(v) > problem.k for v in per_app.values())
        + (len(solution.pairs) - len({(p.application, p.expert) for p in solution.pairs})),
        employers=sum(len(v) - len({e.employer for e in v}) for v in per_app.values()),
        weak_only=sum(
            bool(v) and not any(apps[a].industry in e.industries for e in v)
            for a, v in per_app.items()
        ),
        spread=max(load[e.id] for e in problem.experts) - min(load[e.id] for e in problem.experts),
    )


def export(problem: Problem, aff: np.ndarray, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    app_ids = [a.id for a in problem.applications]
    with (directory / "scores.csv").open("w", newline="") as f:
        for i, a_id in enumerate(app_ids):
            f.write("".join(f"{a_id},{e.id},{aff[i, j]}\n" for j, e in enumerate(problem.experts)))
    with (directory / "constraints.csv").open("w", newline="") as f:
        csv.writer(f).writerows((a, e, -1) for a, e in sorted(problem.conflicts))
    with (directory / "max_papers.csv").open("w", newline="") as f:
        csv.writer(f).writerows((e.id, e.capacity) for e in problem.experts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", default="city,province,national")
    parser.add_argument("--export", type=Path, help="write the instances as CSV here")
    parser.add_argument("--no-plain", action="store_true", help="skip the plain optimum")
    args = parser.parse_args()

    import datetime as dt
    import os
    import platform

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    out(
        f"# benchmarks/assignment.py  {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} | "
        f"Python {platform.python_version()} | {os.cpu_count()} cores, load {load}"
    )
    out()
    header = [
        "scale",
        "apps × experts, k",
        "engine",
        "solve",
        "total affinity",
        "worst app",
        "weak-only apps",
        "unfilled seats",
        "load spread",
        "conflict / load / k / employer violations",
        "plain optimum (time)",
        "gap",
    ]
    out("| " + " | ".join(header) + " |")
    out("|" + "|".join("---" for _ in header) + "|")
    for name in args.scales.split(","):
        scale = SCALES[name]
        problem = instance(scale)
        aff, allowed = affinity_matrix(problem)
        if args.export:
            export(problem, aff, args.export / name)
        t0 = time.perf_counter()
        solution = solve(problem)
        elapsed = time.perf_counter() - t0
        c = check(problem, solution)
        plain, gap = "skipped", "-"
        if not args.no_plain:
            t1 = time.perf_counter()
            seats, total = plain_optimum(problem, aff, allowed)
            plain = f"{total:,} ({time.perf_counter() - t1:.2f} s)"
            gap = f"{(total - solution.total_affinity) / total:.3%}"
            if seats != len(solution.pairs):
                gap += f" (plain fills {seats:,} seats, ours {len(solution.pairs):,})"
        out(
            "| "
            + " | ".join(
                [
                    name,
                    f"{scale.applications:,} × {scale.experts:,}, k={scale.k}",
                    solution.method,
                    f"{elapsed:.2f} s",
                    f"{solution.total_affinity:,}",
                    str(solution.worst_affinity),
                    str(c.weak_only),
                    str(sum(solution.unfilled.values())),
                    str(c.spread),
                    f"{c.conflicts} / {c.loads} / {c.k} / {c.employers}",
                    plain,
                    gap,
                ]
            )
            + " |"
        )
        if name == "national" and elapsed >= 5:
            out(f"  national target (< 5 s) NOT met: {elapsed:.2f} s")


if __name__ == "__main__":
    main()
