"""Assignment of experts: lib.assignment.solve on city, province and national instances.

    .venv/bin/python benchmarks/assignment.py
    .venv/bin/python benchmarks/assignment.py --scales city,province --export /tmp/instances

No database. Each instance is drawn from a fixed seed: ~40 GB/T 4754 divisions with a skew
(a few manufacturing divisions dominate, as among Rugao's applicants), experts with 1–3
divisions, about one employer per 4 experts, capacities adding up to ~1.3 × the seats, and ~2%
of all pairs in conflict. Affinities are realistic (docs/benchmarks.md, "Assignment of
experts"): 80 for the same division, 50 for the same section, 15 otherwise, plus the expert's
standing and pair noise, passed as an `AffinityMatrix`. The checks of the result (violations,
loads) are computed here, independently of the solver. "plain optimum" is one OR-Tools
min-cost flow over every pair with the same hard constraints (conflicts, caps, k, employer
rule) and nothing else: the most total affinity any valid assignment can reach; "gap" is how
far ours is below it.

``--export DIR`` writes DIR/<scale>/scores.csv (application,expert,affinity for every pair),
constraints.csv (application,expert,-1 per conflict) and max_papers.csv (expert,max load), the
layout openreview-matcher reads, so other solvers can run on exactly the same instance.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import resource
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project root

import numpy as np
from ortools.graph.python import min_cost_flow

from benchmarks._common import out
from lib.assignment import AffinityMatrix, Application, Expert, Problem, solve
from lib.industries import divisions

# Forty divisions of GB/T 4754-2017, manufacturing first: the skew puts most applicants there.
DIVISIONS = tuple(
    "34 35 38 39 36 33 26 29 30 31 32 27 28 17 18 13 14 15 22 23 "  # noqa: SIM905 - a table
    "40 41 42 43 44 47 48 50 51 52 53 54 59 63 64 65 70 72 74 83".split()
)
# Affinity of a pair: a base by how close the expert's divisions are to the applicant's
# (GB/T 4754 division, else section, else neither), the expert's own standing, and noise.
SAME_DIVISION, SAME_SECTION, NEITHER = 80, 50, 15
EXPERT_SD, PAIR_SD = 6.0, 8.0


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


def instance(scale: Scale) -> tuple[Problem, np.ndarray]:
    """A reproducible instance (numpy's PCG64 from the scale's seed) and its affinity matrix.

    Applicants' divisions follow a Zipf-like skew; experts' divisions (1–3 each) a flatter one,
    so the popular divisions have fewer specialists per applicant and applications compete
    for them. Employers are shared: their sizes are skewed too (a few institutes with many
    experts, many with one or two). Load caps vary from 2 to 12 and add up to ~1.3 × the seats.
    About 2 % of the pairs are conflicts.
    """
    rng = np.random.default_rng(scale.seed)
    section = {code: letter for code, (letter, _) in divisions().items()}
    weights = 1.0 / np.arange(1, len(DIVISIONS) + 1) ** 0.9  # Zipf-like skew
    weights /= weights.sum()
    flatter = np.sqrt(weights) / np.sqrt(weights).sum()
    app_div = rng.choice(len(DIVISIONS), size=scale.applications, p=weights)
    applications = tuple(
        Application(f"A{i:05d}", DIVISIONS[d]) for i, d in enumerate(app_div.tolist())
    )
    seats = scale.applications * scale.k
    raw = rng.choice([2, 3, 4, 5, 6, 8, 10, 12], size=scale.experts)
    capacity = np.maximum(1, np.round(raw / raw.sum() * 1.3 * seats)).astype(int)
    employers = max(2, scale.experts // 4)
    size = 1.0 / np.arange(1, employers + 1) ** 0.8
    employer_of = rng.choice(employers, size=scale.experts, p=size / size.sum())
    experts = []
    for j in range(scale.experts):
        count = int(rng.integers(1, 4))
        divs = rng.choice(len(DIVISIONS), size=count, replace=False, p=flatter)
        experts.append(
            Expert(
                f"E{j:05d}",
                f"U{int(employer_of[j]):04d}",
                frozenset(DIVISIONS[d] for d in divs.tolist()),
                int(capacity[j]),
            )
        )
    # Closeness per (application division, expert): division, section or neither.
    sections = sorted(set(section.values()))
    knows_div = np.zeros((scale.experts, len(DIVISIONS)), dtype=bool)
    knows_sec = np.zeros((scale.experts, len(sections)), dtype=bool)
    for j, e in enumerate(experts):
        for d in e.industries:
            knows_div[j, DIVISIONS.index(d)] = True
            knows_sec[j, sections.index(section[d])] = True
    app_sec = np.array([sections.index(section[DIVISIONS[d]]) for d in app_div.tolist()])
    base = np.where(
        knows_div[:, app_div].T,
        SAME_DIVISION,
        np.where(knows_sec[:, app_sec].T, SAME_SECTION, NEITHER),
    )
    standing = rng.normal(0.0, EXPERT_SD, size=scale.experts)
    noise = rng.normal(0.0, PAIR_SD, size=(scale.applications, scale.experts))
    affinity = np.clip(np.rint(base + standing[None, :] + noise), 0, 100).astype(np.int64)
    pairs = scale.applications * scale.experts
    picks = rng.choice(pairs, size=pairs // 50, replace=False)  # 2% of all pairs
    conflicts = frozenset(
        (applications[p // scale.experts].id, experts[p % scale.experts].id) for p in picks.tolist()
    )
    matrix = AffinityMatrix([a.id for a in applications], [e.id for e in experts], affinity)
    return Problem(applications, tuple(experts), scale.k, conflicts, matrix), affinity


def allowed_matrix(problem: Problem) -> np.ndarray:
    """Pairs not in conflict, computed here without the library's helpers."""
    allowed = np.ones((len(problem.applications), len(problem.experts)), dtype=bool)
    app_index = {a.id: i for i, a in enumerate(problem.applications)}
    expert_index = {e.id: j for j, e in enumerate(problem.experts)}
    for a_id, e_id in problem.conflicts:
        allowed[app_index[a_id], expert_index[e_id]] = False
    return allowed


def plain_optimum(
    problem: Problem, aff: np.ndarray, allowed: np.ndarray, *, employer_rule: bool
) -> tuple[int, int]:
    """(seats filled, total affinity) of one min-cost flow over every allowed pair: caps, k,
    conflicts and (if asked) the employer rule, nothing else."""
    n, m = aff.shape
    rows, cols = np.nonzero(allowed)
    expert_node = 2 + np.arange(m)
    app_node = 2 + m + np.arange(n)
    if employer_rule:
        employer_ids = {u: t for t, u in enumerate(sorted({e.employer for e in problem.experts}))}
        employer_of = np.array([employer_ids[e.employer] for e in problem.experts])
        gates, gate_of = np.unique(
            rows * len(employer_ids) + employer_of[cols], return_inverse=True
        )
        gate_node = 2 + m + n + np.arange(len(gates))
        middle_tails = np.concatenate([expert_node[cols], gate_node])
        middle_heads = np.concatenate([gate_node[gate_of], app_node[gates // len(employer_ids)]])
        middle_costs = np.concatenate([-aff[rows, cols], np.zeros(len(gates))])
    else:
        middle_tails, middle_heads, middle_costs = (
            expert_node[cols],
            app_node[rows],
            -aff[rows, cols],
        )
    tails = np.concatenate([np.zeros(m, dtype=np.int64), middle_tails, app_node]).astype(np.int64)
    heads = np.concatenate([expert_node, middle_heads, np.ones(n)]).astype(np.int64)
    caps = np.concatenate(
        [
            [e.capacity for e in problem.experts],
            np.ones(len(middle_tails), dtype=np.int64),
            np.full(n, problem.k),
        ]
    ).astype(np.int64)
    costs = np.concatenate([np.zeros(m), middle_costs, np.zeros(n)]).astype(np.int64)
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    flow.set_node_supply(0, n * problem.k)
    flow.set_node_supply(1, -n * problem.k)
    if flow.solve_max_flow_with_min_cost() != flow.OPTIMAL:
        raise SystemExit("plain min-cost flow failed")
    return flow.maximum_flow(), -flow.optimal_cost()


@dataclass
class Checks:
    total: int
    worst: int
    weak_only: int  # applications without an expert of their division
    unfilled: int
    spread: str  # load max − min (min–max, idle experts)
    conflicts: int
    loads: int
    k: int
    employers: int


def check(problem: Problem, aff: np.ndarray, pairs: list[tuple[str, str]]) -> Checks:
    """Figures and rule breaks of any engine's pairs, without trusting anything it says."""
    experts = {e.id: e for e in problem.experts}
    app_index = {a.id: i for i, a in enumerate(problem.applications)}
    expert_index = {e.id: j for j, e in enumerate(problem.experts)}
    apps = {a.id: a for a in problem.applications}
    load = Counter(e for _, e in pairs)
    per_app: dict[str, list[Expert]] = {a: [] for a in apps}
    sums = dict.fromkeys(apps, 0)
    for a, e in pairs:
        per_app[a].append(experts[e])
        sums[a] += int(aff[app_index[a], expert_index[e]])
    loads = [load[e.id] for e in problem.experts]
    return Checks(
        total=sum(sums.values()),
        worst=min(sums.values()),
        weak_only=sum(
            not any(apps[a].industry in e.industries for e in v) for a, v in per_app.items()
        ),
        unfilled=sum(max(0, problem.k - len(v)) for v in per_app.values()),
        spread=f"{max(loads) - min(loads)} ({min(loads)}–{max(loads)}, {loads.count(0)})",
        conflicts=sum(pair in problem.conflicts for pair in pairs),
        loads=sum(load[e] > experts[e].capacity for e in load),
        k=sum(len(v) > problem.k for v in per_app.values()) + (len(pairs) - len(set(pairs))),
        employers=sum(len(v) - len({e.employer for e in v}) for v in per_app.values()),
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
    with (directory / "employers.csv").open("w", newline="") as f:  # for checking, not solving
        csv.writer(f).writerows((e.id, e.employer) for e in problem.experts)


def peak_rss_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", default="city,province,national")
    parser.add_argument("--export", type=Path, help="write the instances as CSV here")
    parser.add_argument("--repeat", type=int, default=3, help="solves per scale (median shown)")
    parser.add_argument("--no-plain", action="store_true", help="skip the plain optima")
    parser.add_argument(
        "--pairs",
        type=Path,
        help="also check other engines' answers: DIR/<scale>/<engine>.csv (application,expert)",
    )
    args = parser.parse_args()

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    out(
        f"# benchmarks/assignment.py  {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} | "
        f"Python {platform.python_version()} | {os.cpu_count()} cores, load {load}"
    )
    out()
    header = [
        "scale",
        "engine",
        "time s (median; all)",
        "total affinity",
        "% of plain optimum without / with the employer rule",
        "worst application",
        "apps without an industry expert",
        "unfilled seats",
        "load spread (min–max, idle)",
        "conflict / load / k / employer violations",
        "peak RSS MB",
    ]
    out("| " + " | ".join(header) + " |")
    out("|" + "|".join("---" for _ in header) + "|")
    for name in args.scales.split(","):
        scale = SCALES[name]
        problem, aff = instance(scale)
        if args.export:
            export(problem, aff, args.export / name)
        times, cpu = [], []
        for _ in range(max(1, args.repeat)):
            t0, c0 = time.perf_counter(), time.process_time()
            solution = solve(problem)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        rss = peak_rss_mb()
        rows: list[tuple[str, str, list[tuple[str, str]], str]] = [
            (
                f"**ours** ({solution.method})",
                f"{statistics.median(times):.3f} ({', '.join(f'{t:.3f}' for t in times)}; "
                f"CPU {statistics.median(cpu):.3f})",
                [(p.application, p.expert) for p in solution.pairs],
                f"{rss:,} (whole process)",
            )
        ]
        if args.pairs and (args.pairs / name).is_dir():
            for path in sorted((args.pairs / name).glob("*.csv")):
                with path.open() as f:
                    other = [(a, e) for a, e, *_ in csv.reader(f)]
                rows.append((path.stem, "see docs", other, "-"))
        plain = [0, 0]
        if not args.no_plain:
            allowed = allowed_matrix(problem)
            plain = [
                plain_optimum(problem, aff, allowed, employer_rule=rule)[1]
                for rule in (False, True)
            ]
        for engine, timing, pairs, memory in rows:
            c = check(problem, aff, pairs)
            share = " / ".join(f"{c.total / p:.2%}" if p else "-" for p in plain)
            out(
                "| "
                + " | ".join(
                    [
                        f"{name} {scale.applications:,}×{scale.experts:,} k{scale.k}",
                        engine,
                        timing,
                        f"{c.total:,}",
                        share,
                        str(c.worst),
                        str(c.weak_only),
                        str(c.unfilled),
                        c.spread,
                        f"{c.conflicts} / {c.loads} / {c.k} / {c.employers}",
                        memory,
                    ]
                )
                + " |"
            )
        if not args.no_plain:
            out(f"  plain optima {name}: {plain[0]:,} without, {plain[1]:,} with the employer rule")
        # Saturated = nothing to decide: every application gets the k best experts it could
        # have alone. Count the applications that do.
        own = np.sort(np.where(allowed_matrix(problem), aff, 0), axis=1)[:, -scale.k :].sum(axis=1)
        got = np.zeros(len(problem.applications), dtype=np.int64)
        index = {a.id: i for i, a in enumerate(problem.applications)}
        for p in solution.pairs:
            got[index[p.application]] += p.affinity
        at_max = int((got >= scale.k * 100).sum())
        out(
            f"  {name}: {int((got >= own).sum()):,} of {len(own):,} applications have their own "
            f"best {scale.k} (at the maximum total {scale.k * 100}: {at_max})"
        )
        if name == "national" and statistics.median(times) >= 5:
            out(f"  national target (< 5 s) NOT met: {statistics.median(times):.2f} s")


if __name__ == "__main__":
    main()
