"""Who reviews what: proposing review groups (issue 4, A17.1, A26.1) and 专家随机抽取.

Pure data in, pure data out; the ``experts`` app turns its rows into a ``Problem`` and stores
the ``Solution``. Every solution, always, honours the hard constraints:

- no pair in ``conflicts`` (A26.1: a conflicted expert is never assigned);
- an expert reviews at most ``capacity`` applications;
- an application gets at most ``k`` experts, exactly ``k`` when the pool allows (the seats it
  cannot fill are reported in ``Solution.unfilled``, never silently dropped);
- never two experts of one employer on one application;
- the Office's ``locked`` pairs are present (``Infeasible`` when they break a rule above).

Among those, ``solve`` prefers, lexicographically:

1. the most filled seats;
2. the most applications with at least one expert of the applicant's industry ("where the pool
   allows");
3. fairness: the best worst-served application (the minimum over applications of the summed
   affinity of its experts);
4. the total affinity;
5. the fewest changes from ``previous`` (a tie-breaker only: it never costs one affinity point);
6. the most even workload (the least sum of squared loads): among otherwise equal answers the
   reviews are spread over the pool (exact engine; the flow engine spreads ties by a hash).

Affinity of a pair is ``Problem.affinity[(application, expert)]`` when given (0..100; a dict,
or an ``AffinityMatrix`` for every pair of a large instance), else 100
when the expert lists the applicant's GB/T 4754 division and 20 otherwise. We do not guess
closeness between divisions (same section, neighbouring codes): an explicit score is the place
for that, and a two-level rule is easy to explain to an expert who was not chosen.

Two engines, same constraints, same preferences:

``exact`` (small problems, up to ``EXACT_MAX_PAIRS`` eligible pairs; a city's cycle, 30 × 40,
went here until issue 17 and took 1–3 s for six CP-SAT stages, now 10–40 ms in the flow
engine with the same worst-served application): CP-SAT from OR-Tools, one solve per
preference with the previous optima fixed, so every preference above is optimal. Maximizing the
minimum of sums is NP-hard in general (it contains the "Santa Claus" allocation problem), so no
network flow can promise (3); this is why small problems go to an exact solver.

``flow`` (larger problems; issue 17, decision 0025): stages, each a flow problem OR-Tools
solves exactly, and no re-solves in the common case ::

    source ──cap: room──> expert e ──cap 1, cost −affinity──> gate (a, employer of e) ──cap 1──>
    app a ──cap: seats──> sink

  The gate (cap 1) is the employer rule: whatever path the flow takes, one employer sends at
  most one expert to an application.

  1. Leads (preference 2, exact): one expert of the applicant's division for as many
     applications as the pool allows. For a single expert the employer rule cannot bite, so
     this is a bipartite b-matching (expert room as capacity); among maximum matchings the
     weakest lead is made as strong as possible (bottleneck threshold, by max flows), then
     the most lead affinity. The leads are then fixed, their colleagues barred from the same
     application.
  2. The other seats: a max flow checks that every seat still fills (else the shortest
     applications get all their experts back, up to ``_WIDENINGS`` times); on small instances
     a bottleneck threshold (the largest T such that, with pairs of affinity ≥ T only, every
     seat still fills) maximizes the weakest seat; then one min-cost flow through the gates
     for the most affinity (and the ``previous`` pairs among equals).
  3. Fairness repair (preference 3): while the worst-served application can be raised by
     moving one seat (to an expert with room) or two (an expert taken from another
     application, which gets the freed expert or one with room instead) without pushing
     anyone to its level, the best such move is made. Each move keeps every hard rule and the
     industry experts and strictly improves the sorted vector of application sums.

  When not every seat can be filled, the seats-first engine takes over: one min-cost flow
  with an industry-seat bonus and increasing seat costs (missing seats spread over
  applications), ``solve_max_flow_with_min_cost`` filling the most seats (preference 1, exact),
  re-solved while a gate carries a non-matching expert into the industry seat (a "fake"
  industry seat: the employer gates and "of the applicant's division" cut across each other,
  which is why coverage cannot be one exact flow together with the gates).

  The flow engine is exact on seats and on coverage when every seat fills, best effort on
  fairness and total (measured in docs/benchmarks.md); small instances, where the difference
  shows, go to the exact engine.

  Large instances (above ``PRUNE_ABOVE_PAIRS`` pairs) are pruned first: each application keeps
  its ``candidates`` best experts by affinity, its best k industry matches, and, twice, its
  best ``candidates // 2`` among the experts few applications list yet (fewer candidate arcs
  than twice their room), so the popular experts' overflow has somewhere to go; ties spread
  over experts by a fixed hash. Short applications get all their experts back; pruning never
  creates an unfilled seat or a missing industry expert.

Integer costs only. The keep-bonus for a ``previous`` pair is 1 and every affinity point is
worth P = (number of previous pairs) + 1, so all keep-bonuses together are worth less than one
affinity point: re-solving never gives up quality to stay put, but among equally good answers
it picks the one closest to the last.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow
from ortools.sat.python import cp_model

__all__ = [
    "DEFAULT_MATCH_AFFINITY",
    "DEFAULT_OTHER_AFFINITY",
    "AffinityMatrix",
    "Application",
    "Expert",
    "Infeasible",
    "Pair",
    "Problem",
    "Solution",
    "random_draw",
    "solve",
]

DEFAULT_MATCH_AFFINITY = 100
DEFAULT_OTHER_AFFINITY = 20

# Above this many eligible pairs "auto" uses the flow engine (a city cycle, 30 x 40, is 1,200:
# CP-SAT's six stages take 1–3 s there, the flow engine 10 ms with the same worst application).
EXACT_MAX_PAIRS = 300
# Above this many eligible pairs the flow engine prunes candidates per application.
PRUNE_ABOVE_PAIRS = 20_000
_EXACT_SECONDS_PER_STAGE = 20.0
_FAKE_SEAT_ROUNDS = 1_000  # each round bans at least one gate; ends far sooner
_WIDENINGS = 3  # pruned flow: times the short applications get all their experts back
_REPAIR_ROUNDS = 2_000  # fairness moves; each strictly improves, so this is only a bound

Method = Literal["auto", "exact", "flow"]


class Infeasible(ValueError):
    """The locked pairs break a hard constraint; the message (Chinese) says which."""


class AffinityMatrix(Mapping[tuple[str, str], int]):
    """Explicit affinities of every (application, expert) pair as one dense matrix.

    A ``Mapping`` like the plain dict ``Problem.affinity`` takes, for instances too large for a
    dict of pairs (a national one has 7.5 million): the flow engine reads the matrix as it is.
    Ids missing from the matrix fall back to the default rule. Read-only.
    """

    def __init__(self, applications: Sequence[str], experts: Sequence[str], values: Any) -> None:
        raw = np.asarray(values)
        if raw.shape != (len(applications), len(experts)):
            raise ValueError(
                f"affinity matrix is {raw.shape}, expected {(len(applications), len(experts))}"
            )
        if raw.size and (raw.min() < 0 or raw.max() > 100):
            raise ValueError("affinity must be within 0..100")
        self.applications = tuple(applications)
        self.experts = tuple(experts)
        self._rows = {a: i for i, a in enumerate(self.applications)}
        self._columns = {e: j for j, e in enumerate(self.experts)}
        if len(self._rows) != len(self.applications) or len(self._columns) != len(self.experts):
            raise ValueError("duplicate ids in the affinity matrix")
        self.matrix = raw.astype(np.int16)  # a copy: later changes to ``values`` do not leak in
        self.matrix.flags.writeable = False

    def row(self, application: str) -> int:
        return self._rows.get(application, -1)

    def column(self, expert: str) -> int:
        return self._columns.get(expert, -1)

    def __getitem__(self, key: tuple[str, str]) -> int:
        return int(self.matrix[self._rows[key[0]], self._columns[key[1]]])

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return ((a, e) for a in self.applications for e in self.experts)

    def __len__(self) -> int:
        return len(self.applications) * len(self.experts)


@dataclass(frozen=True)
class Expert:
    id: str
    employer: str  # employer key; never two experts of one employer on one application
    industries: frozenset[str]  # GB/T 4754 division codes, e.g. {"34", "35"}
    capacity: int  # most applications this expert reviews


@dataclass(frozen=True)
class Application:
    id: str
    industry: str  # the applicant's GB/T 4754 division code


@dataclass(frozen=True)
class Problem:
    """One assignment request. ``locked`` and ``previous`` are (application, expert) id pairs."""

    applications: tuple[Application, ...]
    experts: tuple[Expert, ...]
    k: int
    conflicts: frozenset[tuple[str, str]] = frozenset()
    affinity: Mapping[tuple[str, str], int] = field(default_factory=dict, hash=False)
    locked: frozenset[tuple[str, str]] = frozenset()
    previous: frozenset[tuple[str, str]] = frozenset()

    def __post_init__(self) -> None:
        if self.k < 1:
            raise ValueError(f"k must be >= 1, got {self.k}")
        for kind, ids in (
            ("application", [a.id for a in self.applications]),
            ("expert", [e.id for e in self.experts]),
        ):
            dup = [i for i, n in Counter(ids).items() if n > 1]
            if dup:
                raise ValueError(f"duplicate {kind} ids: {sorted(dup)}")
        for e in self.experts:
            if e.capacity < 0:
                raise ValueError(f"expert {e.id}: capacity must be >= 0")
        if isinstance(self.affinity, AffinityMatrix):
            return  # checked and read-only already
        for pair, value in self.affinity.items():
            if not 0 <= value <= 100:
                raise ValueError(f"affinity of {pair} must be within 0..100, got {value}")
        # Frozen means frozen: later changes to the caller's dict must not change the problem.
        object.__setattr__(self, "affinity", MappingProxyType(dict(self.affinity)))

    def affinity_of(self, application: Application, expert: Expert) -> int:
        explicit = self.affinity.get((application.id, expert.id))
        if explicit is not None:
            return explicit
        if application.industry in expert.industries:
            return DEFAULT_MATCH_AFFINITY
        return DEFAULT_OTHER_AFFINITY


@dataclass(frozen=True)
class Pair:
    application: str
    expert: str
    affinity: int
    reasons: tuple[str, ...]  # in Chinese, shown to the Office


@dataclass(frozen=True)
class Solution:
    pairs: tuple[Pair, ...]
    worst_affinity: int  # min over applications of the summed affinity of its experts
    total_affinity: int
    unfilled: dict[str, int]  # application id -> seats left empty (pool too small)
    method: str = ""  # "exact", "flow" or "random(seed=…)"
    problem: Problem | None = field(default=None, repr=False, compare=False)

    def experts_of(self, application_id: str) -> list[str]:
        return [p.expert for p in self.pairs if p.application == application_id]

    def explain(self, application_id: str) -> list[str]:
        """Why these experts, and why not the three best of the others (Chinese)."""
        problem = self.problem
        if problem is None:
            raise ValueError("this solution carries no problem to explain against")
        app = next((a for a in problem.applications if a.id == application_id), None)
        if app is None:
            raise KeyError(application_id)
        experts = {e.id: e for e in problem.experts}
        chosen = [p for p in self.pairs if p.application == application_id]
        lines = [f"专家{p.expert}：" + "；".join(p.reasons) for p in chosen]
        if self.unfilled.get(application_id):
            lines.append(
                f"尚缺{self.unfilled[application_id]}名专家：专家库中无其他可分配的专家"
                "（均存在利益冲突、达到分配上限或与已选专家同单位）"
            )
        load = Counter(p.expert for p in self.pairs)
        chosen_ids = {p.expert for p in chosen}
        employers = {experts[p.expert].employer: p.expert for p in chosen}
        weakest = min((p.affinity for p in chosen), default=None)
        others = [e for e in problem.experts if e.id not in chosen_ids]
        others.sort(key=lambda e: (-problem.affinity_of(app, e), e.id))
        for e in others[:3]:
            aff = problem.affinity_of(app, e)
            if (app.id, e.id) in problem.conflicts:
                why = "存在利益冲突，回避"
            elif e.employer in employers:
                why = f"与已选专家{employers[e.employer]}同属一个单位（{e.employer}）"
            elif load[e.id] >= e.capacity:
                why = f"该专家已分配{load[e.id]}件，达到上限{e.capacity}件"
            elif weakest is not None and aff < weakest:
                why = f"匹配度{aff}，低于已选专家的最低匹配度{weakest}"
            else:
                why = f"匹配度{aff}，为兼顾其他申报的分配（公平与总体匹配度）未选"
            lines.append(f"未选专家{e.id}：{why}")
        return lines


# --- shared preparation ---------------------------------------------------------------------


@dataclass
class _Prepared:
    """Indices and the state left by the locked pairs."""

    problem: Problem
    app_index: dict[str, int]
    expert_index: dict[str, int]
    seats: list[int]  # seats still open per application after the locked pairs
    room: list[int]  # capacity left per expert after the locked pairs
    locked_by_app: dict[int, list[int]]
    covered_by_lock: list[bool]


def _prepare(problem: Problem) -> _Prepared:
    app_index = {a.id: i for i, a in enumerate(problem.applications)}
    expert_index = {e.id: j for j, e in enumerate(problem.experts)}
    seats = [problem.k] * len(problem.applications)
    room = [e.capacity for e in problem.experts]
    locked_by_app: dict[int, list[int]] = defaultdict(list)
    for a_id, e_id in sorted(problem.locked):
        if a_id not in app_index or e_id not in expert_index:
            raise Infeasible(f"锁定的分配（申报{a_id}—专家{e_id}）引用了不存在的申报或专家。")
        if (a_id, e_id) in problem.conflicts:
            raise Infeasible(f"锁定的分配（申报{a_id}—专家{e_id}）存在利益冲突，不能锁定。")
        i, j = app_index[a_id], expert_index[e_id]
        locked_by_app[i].append(j)
        seats[i] -= 1
        room[j] -= 1
    for i, js in locked_by_app.items():
        a_id = problem.applications[i].id
        if seats[i] < 0:
            raise Infeasible(f"申报{a_id}锁定了{len(js)}名专家，超过每组{problem.k}名的人数。")
        by_employer: dict[str, list[str]] = defaultdict(list)
        for j in js:
            by_employer[problem.experts[j].employer].append(problem.experts[j].id)
        for employer, ids in by_employer.items():
            if len(ids) > 1:
                raise Infeasible(
                    f"申报{a_id}锁定的专家{'、'.join(ids)}来自同一单位（{employer}），"
                    "同一单位的专家不能评审同一申报。"
                )
    for j, left in enumerate(room):
        if left < 0:
            e = problem.experts[j]
            raise Infeasible(
                f"专家{e.id}锁定了{e.capacity - left}件申报，超过其分配上限{e.capacity}件。"
            )
    covered = [
        any(
            problem.applications[i].industry in problem.experts[j].industries
            for j in locked_by_app.get(i, [])
        )
        for i in range(len(problem.applications))
    ]
    return _Prepared(problem, app_index, expert_index, seats, room, dict(locked_by_app), covered)


def _eligible(prep: _Prepared, i: int, j: int) -> bool:
    """A free pair the solver may add on top of the locked ones."""
    problem = prep.problem
    a, e = problem.applications[i], problem.experts[j]
    if prep.seats[i] <= 0 or prep.room[j] <= 0 or (a.id, e.id) in problem.conflicts:
        return False
    return all(
        j != m and problem.experts[m].employer != e.employer for m in prep.locked_by_app.get(i, [])
    )


def _solution(prep: _Prepared, chosen: Iterable[tuple[int, int]], method: str) -> Solution:
    """Locked pairs plus ``chosen`` free pairs, with their reasons and the summary figures."""
    problem = prep.problem
    all_pairs = sorted({(i, j) for i, js in prep.locked_by_app.items() for j in js} | set(chosen))
    load = Counter(j for _, j in all_pairs)
    sums = [0] * len(problem.applications)
    count = [0] * len(problem.applications)
    pairs: list[Pair] = []
    for i, j in all_pairs:
        a, e = problem.applications[i], problem.experts[j]
        aff = problem.affinity_of(a, e)
        sums[i] += aff
        count[i] += 1
        reasons: list[str] = []
        if a.industry in e.industries:
            reasons.append(f"行业匹配（{a.industry}）")
        else:
            reasons.append(f"非本行业专家（申报行业{a.industry}）")
        reasons.append(f"匹配度{aff}")
        if (a.id, e.id) in problem.locked:
            reasons.append("已锁定")
        elif (a.id, e.id) in problem.previous:
            reasons.append("沿用上次分配")
        reasons.append(f"该专家已分配{load[j]}件（上限{e.capacity}）")
        pairs.append(Pair(a.id, e.id, aff, tuple(reasons)))
    unfilled = {
        a.id: problem.k - count[i]
        for i, a in enumerate(problem.applications)
        if count[i] < problem.k
    }
    return Solution(
        pairs=tuple(pairs),
        worst_affinity=min(sums, default=0),
        total_affinity=sum(sums),
        unfilled=unfilled,
        method=method,
        problem=problem,
    )


# --- exact engine (CP-SAT) ------------------------------------------------------------------


def _solve_exact(prep: _Prepared) -> Solution:
    problem = prep.problem
    apps, experts = problem.applications, problem.experts
    model = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    for i in range(len(apps)):
        for j in range(len(experts)):
            if _eligible(prep, i, j):
                x[i, j] = model.new_bool_var(f"x{i}_{j}")
    by_app: dict[int, list[tuple[int, int]]] = defaultdict(list)
    by_expert: dict[int, list[tuple[int, int]]] = defaultdict(list)
    by_gate: dict[tuple[int, str], list[tuple[int, int]]] = defaultdict(list)
    for i, j in x:
        by_app[i].append((i, j))
        by_expert[j].append((i, j))
        by_gate[i, experts[j].employer].append((i, j))
    for i, ps in by_app.items():
        model.add(sum(x[p] for p in ps) <= prep.seats[i])
    for j, ps in by_expert.items():
        model.add(sum(x[p] for p in ps) <= prep.room[j])
    for ps in by_gate.values():
        if len(ps) > 1:
            model.add_at_most_one(x[p] for p in ps)

    aff = {(i, j): problem.affinity_of(apps[i], experts[j]) for (i, j) in x}
    fixed_sums = [
        sum(problem.affinity_of(apps[i], experts[j]) for j in prep.locked_by_app.get(i, []))
        for i in range(len(apps))
    ]
    covered = []
    for i, a in enumerate(apps):
        if prep.covered_by_lock[i]:
            continue
        matching = [x[p] for p in by_app.get(i, []) if a.industry in experts[p[1]].industries]
        if matching:
            c = model.new_bool_var(f"c{i}")
            model.add(c <= sum(matching))
            covered.append(c)
    worst = model.new_int_var(0, 100 * problem.k, "worst")
    for i in range(len(apps)):
        model.add(worst <= fixed_sums[i] + sum(aff[p] * x[p] for p in by_app.get(i, [])))
    prev = [x[i, j] for (i, j) in x if (apps[i].id, experts[j].id) in problem.previous]
    # The sum of squared loads (locked reviews included): among equally good groups, the work
    # is spread evenly instead of falling on the same few experts.
    squares = []
    for j, e in enumerate(experts):
        load = model.new_int_var(0, e.capacity, f"load{j}")
        model.add(load == e.capacity - prep.room[j] + sum(x[p] for p in by_expert.get(j, [])))
        square = model.new_int_var(0, e.capacity * e.capacity, f"square{j}")
        model.add_multiplication_equality(square, [load, load])
        squares.append(square)

    stages = [
        sum(x.values()),
        sum(covered),
        worst,
        sum(aff[p] * x[p] for p in x),
        sum(prev),
        -sum(squares),
    ]
    solver = cp_model.CpSolver()
    # One worker: the answer must not depend on thread timing (re-solving returns the same).
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = _EXACT_SECONDS_PER_STAGE
    values: dict[tuple[int, int], bool] = {}
    for objective in stages:
        if isinstance(objective, int):  # nothing to choose (no eligible pair or no match)
            continue
        if values:
            model.clear_hints()
            for p, v in values.items():
                model.add_hint(x[p], v)
        model.maximize(objective)
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # pragma: no cover - no limit hit
            raise RuntimeError(f"CP-SAT returned {solver.status_name(status)}")
        values = {p: bool(solver.value(v)) for p, v in x.items()}
        # Fix this preference at its optimum (or at the best found when time ran out).
        model.add(objective >= round(solver.objective_value))
    return _solution(prep, [p for p, v in values.items() if v], "exact")


# --- flow engine ----------------------------------------------------------------------------


@dataclass
class _Arcs:
    """Candidate pairs as parallel arrays (free pairs only; locked ones are already placed)."""

    app: np.ndarray
    expert: np.ndarray
    affinity: np.ndarray
    match: np.ndarray
    keep: np.ndarray


@dataclass
class _Dense:
    """Application × expert matrices of the free pairs (a national instance: 7.5 million)."""

    aff: np.ndarray  # int32 affinity
    ok: np.ndarray  # bool: the solver may add this pair (no conflict, seat and room left, …)
    match: np.ndarray  # bool: the expert lists the applicant's division
    keep: np.ndarray  # int8: 1 for a ``previous`` pair
    employer_of: np.ndarray  # per expert: employer number
    employers: int


def _dense(prep: _Prepared) -> _Dense:
    """Every pair's affinity and eligibility, built with numpy (no Python loop over pairs)."""
    problem = prep.problem
    apps, experts = problem.applications, problem.experts
    n, m = len(apps), len(experts)
    divisions = sorted({a.industry for a in apps})
    div_index = {d: t for t, d in enumerate(divisions)}
    knows = np.zeros((m, max(len(divisions), 1)), dtype=bool)
    for j, e in enumerate(experts):
        for d in e.industries:
            if d in div_index:
                knows[j, div_index[d]] = True
    app_div = np.array([div_index[a.industry] for a in apps], dtype=np.int64)
    match = knows[:, app_div].T if n and m else np.zeros((n, m), dtype=bool)
    source = problem.affinity
    if isinstance(source, AffinityMatrix):
        rows = np.array([source.row(a.id) for a in apps], dtype=np.int64)
        cols = np.array([source.column(e.id) for e in experts], dtype=np.int64)
        if n and m and (rows >= 0).all() and (cols >= 0).all():
            aff = source.matrix[np.ix_(rows, cols)].astype(np.int32)
        else:
            aff = np.where(match, DEFAULT_MATCH_AFFINITY, DEFAULT_OTHER_AFFINITY).astype(np.int32)
            ri, cj = np.nonzero(rows >= 0)[0], np.nonzero(cols >= 0)[0]
            aff[np.ix_(ri, cj)] = source.matrix[np.ix_(rows[ri], cols[cj])]
    else:
        aff = np.where(match, DEFAULT_MATCH_AFFINITY, DEFAULT_OTHER_AFFINITY).astype(np.int32)
    ok = np.ones((n, m), dtype=bool)
    ok[np.array(prep.seats, dtype=np.int64) <= 0, :] = False
    ok[:, np.array(prep.room, dtype=np.int64) <= 0] = False

    def cells(pairs: Iterable[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
        idx = [
            (prep.app_index[a], prep.expert_index[e])
            for a, e in pairs
            if a in prep.app_index and e in prep.expert_index
        ]
        return (
            np.array([i for i, _ in idx], dtype=np.int64),
            np.array([j for _, j in idx], dtype=np.int64),
        )

    if source and not isinstance(source, AffinityMatrix):
        rows, cols = cells(source)
        aff[rows, cols] = [
            source[apps[i].id, experts[j].id]
            for i, j in zip(rows.tolist(), cols.tolist(), strict=True)
        ]
    ok[cells(problem.conflicts)] = False
    employer_ids = {emp: t for t, emp in enumerate(sorted({e.employer for e in experts}))}
    employer_of = np.array([employer_ids[e.employer] for e in experts], dtype=np.int64)
    for i, js in prep.locked_by_app.items():
        for j in js:
            ok[i, employer_of == employer_of[j]] = False  # the locked expert and colleagues
    keep = np.zeros((n, m), dtype=np.int8)
    keep[cells(problem.previous)] = 1
    return _Dense(aff, ok, match, keep, employer_of, max(len(employer_ids), 1))


def _arcs(dense: _Dense, mask: np.ndarray) -> _Arcs:
    rows, cols = np.nonzero(mask)
    return _Arcs(
        rows,
        cols,
        dense.aff[rows, cols].astype(np.int64),
        dense.match[rows, cols],
        dense.keep[rows, cols].astype(np.int64),
    )


def _candidates(dense: _Dense, per_app: int, k: int, room: np.ndarray) -> np.ndarray:
    """Per application its best ``per_app`` pairs by affinity and its best k industry matches
    (``previous`` pairs always), then a fallback: twice, its best ``per_app // 2`` among the
    experts that few applications list yet (candidate arcs < 2 × room), so that the pruned graph
    still has somewhere to put the seats the popular experts cannot take. A fixed hash breaks
    ties so that applications spread their load over equal experts."""
    n, m = dense.aff.shape
    salt = (
        (np.arange(n, dtype=np.uint32)[:, None] * np.uint32(2_654_435_761))
        ^ (np.arange(m, dtype=np.uint32)[None, :] * np.uint32(40_503))
    ) >> np.uint32(20)  # 12 bits
    score = (dense.aff + dense.keep.astype(np.int32) * 1_000) * 4096 + salt.astype(np.int32)
    score[~dense.ok] = -1
    chosen = np.zeros((n, m), dtype=bool)

    def take(key: np.ndarray, limit: int) -> None:
        limit = min(limit, m)
        top = np.argpartition(-key, limit - 1, axis=1)[:, :limit]
        picked = np.take_along_axis(key, top, axis=1) >= 0
        chosen[np.repeat(np.arange(n), limit)[picked.ravel()], top[picked]] = True

    take(score, per_app)
    take(np.where(dense.match, score, -1), k)
    for _ in range(2):
        spare = chosen.sum(axis=0) < 2 * room
        take(np.where(spare[None, :], score, -1), max(per_app // 2, 1))
    return chosen


def _subset(arcs: _Arcs, mask: np.ndarray) -> _Arcs:
    return _Arcs(
        arcs.app[mask], arcs.expert[mask], arcs.affinity[mask], arcs.match[mask], arcs.keep[mask]
    )


def _max_seats(
    dense: _Dense, arcs: _Arcs, room: np.ndarray, seats: np.ndarray, threshold: int = 0
) -> tuple[int, np.ndarray]:
    """Most seats fillable with pairs of affinity ≥ threshold (employer gates included), and
    per application the seats filled: one max flow, no costs."""
    n, m = dense.aff.shape
    use = arcs.affinity >= threshold
    app, expert = arcs.app[use], arcs.expert[use]
    gates, gate_of = np.unique(
        app * dense.employers + dense.employer_of[expert], return_inverse=True
    )
    gate_node = 2 + m + n + np.arange(len(gates))
    tails = np.concatenate(
        [np.zeros(m, dtype=np.int64), 2 + expert, gate_node, 2 + m + np.arange(n)]
    )
    heads = np.concatenate(
        [2 + np.arange(m), gate_node[gate_of], 2 + m + gates // dense.employers, np.ones(n)]
    ).astype(np.int64)
    caps = np.concatenate([room, np.ones(len(app) + len(gates), dtype=np.int64), seats]).astype(
        np.int64
    )
    flow = max_flow.SimpleMaxFlow()
    flow.add_arcs_with_capacity(tails, heads, caps)
    if flow.solve(0, 1) != flow.OPTIMAL:  # pragma: no cover - integer capacities, no overflow
        raise RuntimeError("max flow failed")
    filled = flow.flows(np.arange(len(tails) - n, len(tails)))
    return int(flow.optimal_flow()), np.asarray(filled, dtype=np.int64)


def _bottleneck(levels: np.ndarray, feasible: Callable[[int], bool]) -> int:
    """The largest level for which ``feasible`` holds, given that it holds for the lowest."""
    lo, hi = 0, len(levels) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if feasible(int(levels[mid])):
            lo = mid
        else:
            hi = mid - 1
    return int(levels[lo])


def _leads(prep: _Prepared, dense: _Dense, mask: np.ndarray) -> dict[int, int]:
    """First stage: one expert of the applicant's division for as many applications as the pool
    allows (a bipartite b-matching: the employer rule cannot bite on a single expert), the
    weakest such pair as strong as possible, then the most affinity."""
    n, m = dense.aff.shape
    need = (np.array(prep.seats) > 0) & ~np.array(prep.covered_by_lock, dtype=bool)
    arcs = _arcs(dense, mask & dense.match & need[:, None])
    if not len(arcs.app):
        return {}
    room = np.maximum(np.array(prep.room, dtype=np.int64), 0)

    def graph(threshold: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        use = arcs.affinity >= threshold
        app, expert = arcs.app[use], arcs.expert[use]
        tails = np.concatenate([np.zeros(m, dtype=np.int64), 2 + expert, 2 + m + np.arange(n)])
        heads = np.concatenate([2 + np.arange(m), 2 + m + app, np.ones(n, dtype=np.int64)])
        caps = np.concatenate([room, np.ones(len(app) + n, dtype=np.int64)])
        weight = int(dense.keep.sum()) + 1  # all keep-bonuses together < one affinity point
        costs = np.concatenate(
            [
                np.zeros(m, dtype=np.int64),
                -(arcs.affinity[use] * weight + arcs.keep[use]),
                np.zeros(n, dtype=np.int64),
            ]
        )
        return tails, heads, caps, costs

    def count(threshold: int) -> int:
        tails, heads, caps, _ = graph(threshold)
        flow = max_flow.SimpleMaxFlow()
        flow.add_arcs_with_capacity(tails, heads, caps)
        flow.solve(0, 1)
        return int(flow.optimal_flow())

    covered = count(0)
    threshold = _bottleneck(np.unique(arcs.affinity), lambda t: count(t) == covered)
    tails, heads, caps, costs = graph(threshold)
    flow = min_cost_flow.SimpleMinCostFlow()
    ids = flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    flow.set_node_supply(0, covered)
    flow.set_node_supply(1, -covered)
    if flow.solve() != flow.OPTIMAL:  # pragma: no cover - feasible by the max flow above
        raise RuntimeError("min-cost flow failed (leads)")
    used = np.asarray(flow.flows(ids[m : len(ids) - n])) > 0
    use = arcs.affinity >= threshold
    return dict(zip(arcs.app[use][used].tolist(), arcs.expert[use][used].tolist(), strict=True))


def _solve_fast(
    prep: _Prepared, dense: _Dense, mask: np.ndarray, *, pruned: bool = False
) -> tuple[list[tuple[int, int]] | None, np.ndarray]:
    """Leads first, then every other seat: a bottleneck threshold (the largest T such that all
    seats still fill with pairs of affinity ≥ T, found by max flows), then one min-cost flow
    with the employer gates for the most affinity (and the ``previous`` pairs among equals).
    None when not every seat fills, with the applications left short (the caller widens their
    candidates, or the exact-on-seats engine takes over)."""
    n = dense.aff.shape[0]
    leads = _leads(prep, dense, mask)
    room = np.maximum(np.array(prep.room, dtype=np.int64), 0)
    seats = np.maximum(np.array(prep.seats, dtype=np.int64), 0)
    mask = mask.copy()
    allowed = dense.ok.copy()  # what widening may add back: all but the leads' colleagues
    if leads:
        li = np.array(list(leads), dtype=np.int64)
        lj = np.array(list(leads.values()), dtype=np.int64)
        np.subtract.at(room, lj, 1)
        seats[li] -= 1
        colleagues = dense.employer_of[None, :] == dense.employer_of[lj][:, None]
        mask[li] &= ~colleagues
        allowed[li] &= ~colleagues
    for array in (mask, allowed):
        array[seats <= 0, :] = False
        array[:, room <= 0] = False
    arcs = _arcs(dense, mask)
    total = int(seats.sum())
    chosen = list(leads.items())
    if total == 0:
        return chosen, np.zeros(n, dtype=bool)
    filled, per_app = _max_seats(dense, arcs, room, seats)
    for _ in range(_WIDENINGS):
        if filled == total or (mask == allowed).all():
            break
        mask |= allowed & (per_app < seats)[:, None]  # short applications: all their experts
        arcs = _arcs(dense, mask)
        filled, per_app = _max_seats(dense, arcs, room, seats)
    if filled < total:
        return None, per_app < seats
    if pruned:  # large: the repair stage does the fairness work (as well, measured, and sooner)
        return _min_cost(prep, dense, arcs, room, seats, total, chosen)
    # No threshold above the weakest application's seats-th best pair can fill its seats.
    order = np.lexsort((-arcs.affinity, arcs.app))
    rank = np.arange(len(order)) - np.searchsorted(arcs.app[order], arcs.app[order])
    last = rank == (seats[arcs.app[order]] - 1)
    ceiling = int(arcs.affinity[order][last].min()) if last.any() else 0
    levels = np.unique(arcs.affinity)
    threshold = _bottleneck(
        levels[levels <= ceiling], lambda t: _max_seats(dense, arcs, room, seats, t)[0] == total
    )
    return _min_cost(
        prep, dense, _subset(arcs, arcs.affinity >= threshold), room, seats, total, chosen
    )


def _min_cost(
    prep: _Prepared,
    dense: _Dense,
    arcs: _Arcs,
    room: np.ndarray,
    seats: np.ndarray,
    total: int,
    chosen: list[tuple[int, int]],
) -> tuple[list[tuple[int, int]] | None, np.ndarray]:
    """The most affinity (then the most ``previous`` pairs) filling every seat: one min-cost flow
    through the employer gates."""
    n, m = dense.aff.shape
    weight = int(dense.keep.sum()) + 1  # all keep-bonuses together < one affinity point
    gates, gate_of = np.unique(
        arcs.app * dense.employers + dense.employer_of[arcs.expert], return_inverse=True
    )
    gate_node = 2 + m + n + np.arange(len(gates))
    tails = np.concatenate(
        [np.zeros(m, dtype=np.int64), 2 + arcs.expert, gate_node, 2 + m + np.arange(n)]
    )
    heads = np.concatenate(
        [2 + np.arange(m), gate_node[gate_of], 2 + m + gates // dense.employers, np.ones(n)]
    ).astype(np.int64)
    caps = np.concatenate([room, np.ones(len(arcs.app) + len(gates), dtype=np.int64), seats])
    costs = np.concatenate(
        [
            np.zeros(m, dtype=np.int64),
            -(arcs.affinity * weight + arcs.keep),
            np.zeros(len(gates) + n, dtype=np.int64),
        ]
    )
    flow = min_cost_flow.SimpleMinCostFlow()
    ids = flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps.astype(np.int64), costs)
    flow.set_node_supply(0, total)
    flow.set_node_supply(1, -total)
    if flow.solve() != flow.OPTIMAL:  # pragma: no cover - feasible by the max flow above
        raise RuntimeError("min-cost flow failed")
    used = np.asarray(flow.flows(ids[m : m + len(arcs.app)])) > 0
    chosen += list(zip(arcs.app[used].tolist(), arcs.expert[used].tolist(), strict=True))
    return chosen, np.zeros(n, dtype=bool)


@dataclass
class _FlowResult:
    chosen: list[tuple[int, int]]
    filled: int
    covered: int
    seats: np.ndarray  # per application: free seats filled
    arc_ids: np.ndarray  # indices into the arcs given to _flow_once of the chosen pairs
    has_expert: np.ndarray  # per application: an expert of its division among the chosen


def _flow_once(
    prep: _Prepared, arcs: _Arcs, threshold: int, weight: int, *, rounds: int
) -> _FlowResult:
    """One min-cost flow over ``arcs`` with affinity ≥ threshold (see the module docstring)."""
    problem = prep.problem
    n, m = len(problem.applications), len(problem.experts)
    original = np.nonzero(arcs.affinity >= threshold)[0]
    arcs = _subset(arcs, arcs.affinity >= threshold)
    employer_ids = {emp: t for t, emp in enumerate(sorted({e.employer for e in problem.experts}))}
    employer_of = np.array([employer_ids[e.employer] for e in problem.experts], dtype=np.int64)
    gate_key = arcs.app * max(len(employer_ids), 1) + employer_of[arcs.expert]
    gates, gate_of_arc = np.unique(gate_key, return_inverse=True)
    gate_app = gates // max(len(employer_ids), 1)
    has_match = np.zeros(len(gates), dtype=bool)
    has_match[gate_of_arc[arcs.match]] = True
    if n:  # an application already covered by a locked expert needs no industry seat
        has_match &= ~np.array(prep.covered_by_lock, dtype=bool)[gate_app]
    banned = np.zeros(len(gates), dtype=bool)  # gates caught feeding a fake industry seat

    source, sink = 0, 1
    expert_node = 2 + np.arange(m)
    app_node = 2 + m + np.arange(n)
    seat_node = 2 + m + n + np.arange(n)  # the industry seat of each application
    gate_node = 2 + m + 2 * n + np.arange(len(gates))
    # Split in two (in -> out, cap 1): the out side has two exits, app and industry seat.
    gate_out = gate_node + len(gates)
    k = problem.k
    total_seats = int(sum(max(s, 0) for s in prep.seats))
    step = 101 * weight  # (j−1)·step on seat j: more than one seat's affinity
    # Worth more than a whole application's affinity: an industry expert is never traded for
    # affinity elsewhere one application at a time. (Strictly lexicographic would need
    # total_seats times this, which slowed OR-Tools' cost scaling 10x on large instances.)
    cov = (100 * weight + step) * k + 1

    empty = np.zeros(0, dtype=np.int64)
    result = _FlowResult([], 0, 0, np.zeros(n, dtype=np.int64), empty, np.zeros(n, dtype=bool))
    for _ in range(rounds):
        flow = min_cost_flow.SimpleMinCostFlow()
        tails: list[np.ndarray] = []
        heads: list[np.ndarray] = []
        caps: list[np.ndarray] = []
        costs: list[np.ndarray] = []

        def add(t: np.ndarray, h: np.ndarray, c: np.ndarray, w: np.ndarray) -> None:
            tails.append(t)  # noqa: B023 - used within this iteration only
            heads.append(h)  # noqa: B023 - used within this iteration only
            caps.append(c)  # noqa: B023 - used within this iteration only
            costs.append(w)  # noqa: B023 - used within this iteration only

        room = np.maximum(np.array(prep.room, dtype=np.int64), 0)
        add(np.full(m, source), expert_node, room, np.zeros(m, dtype=np.int64))
        add(
            expert_node[arcs.expert],
            gate_node[gate_of_arc],
            np.ones(len(arcs.app), dtype=np.int64),
            -(arcs.affinity * weight + arcs.keep),
        )
        one = np.ones(len(gates), dtype=np.int64)
        add(gate_node, gate_out, one, np.zeros(len(gates), dtype=np.int64))
        add(gate_out, app_node[gate_app], one, np.zeros(len(gates), dtype=np.int64))
        lead = has_match & ~banned
        add(
            gate_out[lead],
            seat_node[gate_app[lead]],
            np.ones(int(lead.sum()), dtype=np.int64),
            np.zeros(int(lead.sum()), dtype=np.int64),
        )
        add(seat_node, app_node, np.ones(n, dtype=np.int64), np.full(n, -cov, dtype=np.int64))
        for s in range(k):
            open_ = np.array([prep.seats[i] > s for i in range(n)], dtype=bool)
            count = int(open_.sum())
            add(
                app_node[open_],
                np.full(count, sink),
                np.ones(count, dtype=np.int64),
                np.full(count, s * step, dtype=np.int64),
            )
        all_tails = np.concatenate(tails)
        ids = flow.add_arcs_with_capacity_and_unit_cost(
            all_tails, np.concatenate(heads), np.concatenate(caps), np.concatenate(costs)
        )
        flow.set_node_supply(source, total_seats)
        flow.set_node_supply(sink, -total_seats)
        status = flow.solve_max_flow_with_min_cost()
        if status != flow.OPTIMAL:
            raise RuntimeError(f"min-cost flow failed: status {status}")
        flows = flow.flows(ids)
        start = m
        used = flows[start : start + len(arcs.app)] > 0
        chosen_app, chosen_expert = arcs.app[used], arcs.expert[used]
        start += len(arcs.app) + 2 * len(gates)
        lead_flow = np.zeros(len(gates), dtype=bool)
        lead_flow[np.nonzero(lead)[0][flows[start : start + int(lead.sum())] > 0]] = True
        # A gate's flow came from exactly one expert; is that expert of the right division?
        real = np.zeros(len(gates), dtype=bool)
        real[gate_of_arc[used & arcs.match]] = True
        fake = lead_flow & ~real
        has_expert = np.zeros(n, dtype=bool)
        has_expert[chosen_app[arcs.match[used]]] = True
        result = _FlowResult(
            list(zip(chosen_app.tolist(), chosen_expert.tolist(), strict=True)),
            int(used.sum()),
            int(has_expert.sum()),
            np.bincount(chosen_app, minlength=n),
            original[used],
            has_expert,
        )
        if not fake.any():
            break
        banned |= fake
    return result


def _seats_first(
    prep: _Prepared, dense: _Dense, mask: np.ndarray, pruned: bool
) -> list[tuple[int, int]]:
    """The engine exact on seats, for pools that cannot fill every seat: one min-cost flow with
    industry seats and seat costs (module docstring), a bottleneck threshold, and re-solves
    while a gate feeds a fake industry seat; pruned candidates widen where a seat stayed empty."""
    full = _arcs(dense, dense.ok)
    weight = int(full.keep.sum()) + 1

    def best(arcs: _Arcs) -> _FlowResult:
        """Bottleneck search: the largest threshold that fills and covers as much as T=0."""
        base = _flow_once(prep, arcs, 0, weight, rounds=_FAKE_SEAT_ROUNDS)
        levels = sorted(set(arcs.affinity.tolist()))
        # The base answer itself only uses pairs at or above its weakest: start there.
        if not levels:
            return base
        weakest = min((int(arcs.affinity[t]) for t in base.arc_ids), default=levels[0])
        lo, hi, found = levels.index(weakest), len(levels) - 1, base
        while lo < hi:  # levels[lo] is known to be feasible
            mid = (lo + hi + 1) // 2
            trial = _flow_once(prep, arcs, levels[mid], weight, rounds=_FAKE_SEAT_ROUNDS)
            if trial.filled == base.filled and trial.covered >= base.covered:
                lo, found = mid, trial
            else:
                hi = mid - 1
        return found

    if not pruned:
        return best(full).chosen
    sub = mask[full.app, full.expert]
    result = best(_subset(full, sub))
    # Pruning must never cost a seat or an industry expert: widen where it might have.
    short = _short_apps(prep, result, full)
    if short.any():
        sub |= short[full.app]
        result = best(_subset(full, sub))
        if _short_apps(prep, result, full).any():
            result = best(full)
    return result.chosen


def _short_apps(prep: _Prepared, result: _FlowResult, full: _Arcs) -> np.ndarray:
    """Applications with an empty seat, or without an industry expert though one is eligible."""
    n = len(prep.problem.applications)
    could_cover = np.zeros(n, dtype=bool)
    could_cover[full.app[full.match]] = True
    covered = result.has_expert | np.array(prep.covered_by_lock, dtype=bool)
    return (result.seats < np.maximum(np.array(prep.seats), 0)) | (could_cover & ~covered)


def _repair(prep: _Prepared, dense: _Dense, chosen: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Last stage, fairness: while the worst-served application can be raised by moving one
    seat (an expert with room left) or two (an expert taken from another application, which
    gets the freed expert or one with room instead) without pushing anyone to or below its
    level, do it. Every move keeps the seats, the industry experts, the employer rule, the
    conflicts and the load caps; each strictly raises the sorted vector of application sums
    (leximin), so the loop ends; ``_REPAIR_ROUNDS`` bounds it all the same."""
    n, m = dense.aff.shape
    if not chosen or not n:
        return chosen
    aff, ok, match, emp = dense.aff, dense.ok, dense.match, dense.employer_of
    groups: list[list[int]] = [[] for _ in range(n)]
    apps_of: list[set[int]] = [set() for _ in range(m)]
    for i, j in chosen:
        groups[i].append(j)
        apps_of[j].add(i)
    fixed = [prep.locked_by_app.get(i, []) for i in range(n)]
    sums = np.array([int(aff[i, groups[i] + fixed[i]].sum()) for i in range(n)], dtype=np.int64)
    room = np.array(prep.room, dtype=np.int64) - np.bincount([j for _, j in chosen], minlength=m)
    everyone = np.arange(m)
    blocked = np.zeros(dense.employers, dtype=bool)

    def options(i: int, leaving: int, extra: int) -> np.ndarray:
        """Experts who may take ``leaving``'s seat on application i (``extra``: also this one
        though it has no room, because it is about to free a place)."""
        members = groups[i] + fixed[i]
        blocked[:] = False
        blocked[[emp[x] for x in members if x != leaving]] = True
        allowed = ok[i] & ~blocked[emp] & ((room > 0) | (everyone == extra))
        allowed[members] = False
        if match[i, leaving] and sum(bool(match[i, x]) for x in members) == 1:
            allowed &= match[i]  # the application's only industry expert leaves
        return allowed

    for _ in range(_REPAIR_ROUNDS):
        a = int(np.argmin(sums))
        level = int(sums[a])
        best: tuple[int, int, tuple[int, int, int, int, int]] | None = None
        for w in sorted(groups[a], key=lambda x: (int(aff[a, x]), x))[:2]:
            base = level - int(aff[a, w])
            allowed = options(a, w, -1)
            better = aff[a] > aff[a, w]
            single = allowed & better
            if single.any():
                e = int(np.argmax(np.where(single, aff[a], -1)))
                value = base + int(aff[a, e])
                if best is None or (value, value - level) > best[:2]:
                    best = (value, value - level, (a, w, e, -1, -1))
            blocked[:] = False
            blocked[[emp[x] for x in groups[a] + fixed[a] if x != w]] = True
            taken = ok[a] & ~blocked[emp] & (room <= 0) & better
            taken[groups[a] + fixed[a]] = False
            tops = np.nonzero(taken)[0]
            tops = tops[np.argsort(-aff[a, tops], kind="stable")[:8]]
            for e in tops.tolist():
                new_a = base + int(aff[a, e])
                if best is not None and new_a <= best[0]:
                    break
                for b in sorted(apps_of[e]):
                    if b == a:
                        continue
                    replace = options(b, e, w)
                    if not replace.any():
                        continue
                    f = int(np.argmax(np.where(replace, aff[b], -1)))
                    new_b = int(sums[b]) - int(aff[b, e]) + int(aff[b, f])
                    value = min(new_a, new_b)
                    delta = new_a + new_b - level - int(sums[b])
                    if value > level and (best is None or (value, delta) > best[:2]):
                        best = (value, delta, (a, w, e, b, f))
        if best is None:
            break
        a, w, e, b, f = best[2]
        groups[a].remove(w)
        groups[a].append(e)
        apps_of[w].discard(a)
        apps_of[e].add(a)
        sums[a] += int(aff[a, e]) - int(aff[a, w])
        room[w] += 1
        room[e] -= 1
        if b >= 0:
            groups[b].remove(e)
            groups[b].append(f)
            apps_of[e].discard(b)
            apps_of[f].add(b)
            sums[b] += int(aff[b, f]) - int(aff[b, e])
            room[e] += 1
            room[f] -= 1
    return [(i, j) for i in range(n) for j in groups[i]]


def _solve_flow(prep: _Prepared, candidates: int | None) -> Solution:
    problem = prep.problem
    n, m = len(problem.applications), len(problem.experts)
    dense = _dense(prep)
    if candidates is None and n * m > PRUNE_ABOVE_PAIRS:
        candidates = max(4 * problem.k, 12)
    pruned = candidates is not None and candidates < m
    mask = (
        dense.ok & _candidates(dense, candidates, problem.k, np.array(prep.room))  # type: ignore[arg-type]
        if pruned
        else dense.ok
    )
    chosen, short = _solve_fast(prep, dense, mask, pruned=pruned)
    for _ in range(_WIDENINGS if pruned else 0):
        # Pruning must never cost a seat or an industry expert: widen where it might have.
        if chosen is not None:
            could = (dense.ok & dense.match).any(axis=1) & ~np.array(
                prep.covered_by_lock, dtype=bool
            )
            has = np.zeros(n, dtype=bool)
            for i, j in chosen:
                has[i] |= bool(dense.match[i, j])
            short = could & ~has
        if not short.any():
            break
        mask = mask | (dense.ok & short[:, None])
        widened, short = _solve_fast(prep, dense, mask, pruned=pruned)
        chosen = widened if widened is not None or chosen is None else chosen
    if chosen is None:
        chosen = _seats_first(prep, dense, mask, pruned)
    chosen = _repair(prep, dense, chosen)
    return _solution(prep, chosen, f"flow(candidates={candidates})" if pruned else "flow")


# --- entry points ---------------------------------------------------------------------------


def solve(problem: Problem, *, method: Method = "auto", candidates: int | None = None) -> Solution:
    """Propose review groups (preferences in the module docstring).

    ``method="auto"`` uses the exact engine up to ``EXACT_MAX_PAIRS`` eligible pairs and the
    flow engine above. ``candidates`` forces flow-engine pruning to that many experts per
    application (default: prune only above ``PRUNE_ABOVE_PAIRS`` pairs). Raises ``Infeasible``
    when the locked pairs break a hard constraint.
    """
    prep = _prepare(problem)
    if method == "auto":
        pairs = sum(max(s, 0) > 0 for s in prep.seats) * sum(r > 0 for r in prep.room)
        method = "exact" if pairs <= EXACT_MAX_PAIRS else "flow"
    if method == "exact":
        return _solve_exact(prep)
    return _solve_flow(prep, candidates)


def random_draw(problem: Problem, *, seed: int, attempts: int = 20) -> Solution:
    """专家随机抽取: each seat drawn uniformly among the experts eligible for it at that moment.

    Eligible: no conflict, under the load cap, no colleague (same employer) already on the
    application. Applications are visited in a random order so that none is always first.
    A draw can paint itself into a corner (the last application finds only colleagues of its
    experts); then the draw is repeated from the same random stream, up to ``attempts`` times,
    and the first draw that fills as many seats as an optimal solution is kept (else the
    fullest). Everything comes from ``random.Random(seed)``, so the caller records the seed
    and anyone can replay the draw.
    """
    prep = _prepare(problem)
    # The seed is the secret (the caller draws it from `secrets` and records it first); the
    # stream must replay from it, which a CSPRNG would not.
    rng = random.Random(seed)  # noqa: S311 - replayable from its recorded CSPRNG seed
    dense = _dense(prep)
    filled, _ = _max_seats(
        dense,
        _arcs(dense, dense.ok),
        np.maximum(np.array(prep.room, dtype=np.int64), 0),
        np.maximum(np.array(prep.seats, dtype=np.int64), 0),
    )
    target = filled + sum(len(v) for v in prep.locked_by_app.values())
    best: list[tuple[int, int]] | None = None
    n, m = len(problem.applications), len(problem.experts)
    for _ in range(max(1, attempts)):
        room = list(prep.room)
        chosen: list[tuple[int, int]] = []
        order = list(range(n))
        rng.shuffle(order)
        for i in order:
            used_employers = {problem.experts[j].employer for j in prep.locked_by_app.get(i, [])}
            picked: set[int] = set(prep.locked_by_app.get(i, []))
            for _seat in range(max(prep.seats[i], 0)):
                pool = [
                    j
                    for j in range(m)
                    if room[j] > 0
                    and j not in picked
                    and problem.experts[j].employer not in used_employers
                    and (problem.applications[i].id, problem.experts[j].id) not in problem.conflicts
                ]
                if not pool:
                    break
                j = rng.choice(pool)
                picked.add(j)
                used_employers.add(problem.experts[j].employer)
                room[j] -= 1
                chosen.append((i, j))
        if best is None or len(chosen) > len(best):
            best = chosen
        if len(best) + target - filled >= target:
            break
    return _solution(prep, best or [], f"random(seed={seed})")
