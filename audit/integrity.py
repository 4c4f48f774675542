"""The state matches the chain (issue 14, part 5; A3.1, A27.1).

Every official result (stage scores, consensus, evaluation, proposal entries, approvals, role
grants, awards, certificates, bonus entries) is carried in the `after` of its audit event, so a
value changed in the database behind the services (a final score set to 999 in SQL) differs
from its last audited value. `verify_state()` names every such row.

The registry: audit sits below every app, so each app registers the results it owns (in a
module its AppConfig.ready imports, `<app>/audited.py`): a `Rule` says which rows are official
now and their values (`rows`, one query for the whole table), and, per event code that speaks
of them, how to read the audited values from an event (`sources`). An app that writes an event
about another app's result adds its reading to that rule (`add_source`), so each reading lives
beside the service that writes the event. An event's reading gives (row key, values) pairs:
values merge into what earlier events said of the row (a revocation adds its date to the
award), None means the row left the official state (a role revoked, a card returned).

Cost: one query per rule plus one pass over the events carrying any registered code, in
sequence order, whatever the number of rows (docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .models import AuditEvent
from .services import ChainReport, jsonable, verify_chain


class Event(NamedTuple):
    """What a reading sees of an event."""

    seq: int
    action: str
    object_type: str
    object_id: str
    object_repr: str
    before: Any
    after: Any
    reason: str


class Row(NamedTuple):
    key: str  # the row, as the readings name it (usually its primary key)
    label: str  # the row as people read it
    values: Mapping[str, Any]  # the official values now


Reading = Callable[[Event], Iterable[tuple[str, Mapping[str, Any] | None]]]


@dataclass
class Rule:
    name: str  # the result in Chinese: 专家组共识
    rows: Callable[[], Iterable[Row]]
    sources: dict[str, Reading] = field(default_factory=dict)


RULES: dict[str, Rule] = {}


def register(name: str, rows: Callable[[], Iterable[Row]], sources: Mapping[str, Reading]) -> None:
    """Register (or replace, on a second ready()) the rule for one official result."""
    RULES[name] = Rule(name, rows, dict(sources))


def add_source(name: str, action: str, reading: Reading) -> None:
    """Another app's event that also carries values of the result `name`."""
    RULES[name].sources[action] = reading


def own(event: Event) -> Iterable[tuple[str, Mapping[str, Any] | None]]:
    """The common reading: the event's object is the row and its `after` the values."""
    return [(event.object_id, event.after if isinstance(event.after, Mapping) else {})]


def gone(event: Event) -> Iterable[tuple[str, Mapping[str, Any] | None]]:
    """The event's object left the official state."""
    return [(event.object_id, None)]


@dataclass(frozen=True)
class Mismatch:
    result: str
    label: str
    problem: str

    def __str__(self) -> str:
        return f"{self.result} {self.label}：{self.problem}"


@dataclass(frozen=True)
class StateReport:
    checked: int
    mismatches: list[Mismatch]
    unverifiable: int  # rows whose events predate the values they now carry

    @property
    def ok(self) -> bool:
        return not self.mismatches

    @property
    def summary(self) -> str:
        older = (
            f"；{self.unverifiable} 行的审计事件早于本项校验、未载明数值，未能比对"
            if self.unverifiable
            else ""
        )
        if self.ok:
            return f"数据与审计记录一致：共比对 {self.checked} 行正式结果{older}。"
        return (
            f"数据与审计记录不一致：{len(self.mismatches)} 处"
            f"（共比对 {self.checked} 行正式结果{older}）。"
        )

    def __str__(self) -> str:
        return "\n".join([self.summary, *(f"  - {m}" for m in self.mismatches)])


def _shown(value: Any) -> str:
    return "（空）" if value is None or value == "" else str(value)


def _differences(name: str, now: Any, then: Any) -> list[str]:
    """Each differing value, a mapping's by its key (one item of 23 names that item)."""
    if now == then:
        return []
    if isinstance(now, dict) and isinstance(then, dict):
        return [
            f"{name}[{key}] 现为 {_shown(now.get(key))}，审计记录为 {_shown(then.get(key))}"
            for key in sorted(now.keys() | then.keys(), key=str)
            if now.get(key) != then.get(key)
        ]
    return [f"{name} 现为 {_shown(now)}，审计记录为 {_shown(then)}"]


_MISSING = object()


def audited_values(rules: Iterable[Rule]) -> dict[str, dict[str, dict[str, Any] | None]]:
    """Per rule, per row key, what the events say now: one pass over the events carrying any
    of the rules' codes, in sequence order."""
    rules = list(rules)
    by_action: dict[str, list[tuple[str, Reading]]] = {}
    for rule in rules:
        for action, reading in rule.sources.items():
            by_action.setdefault(action, []).append((rule.name, reading))
    state: dict[str, dict[str, dict[str, Any] | None]] = {rule.name: {} for rule in rules}
    events = (
        AuditEvent.objects.filter(action__in=list(by_action))
        .order_by("seq")
        .values_list(*Event._fields)
        .iterator(chunk_size=5000)
    )
    for values in events:
        event = Event(*values)
        for name, reading in by_action[event.action]:
            known = state[name]
            for key, said in reading(event):
                old = known.get(key)
                if said is None:
                    known[key] = None
                else:
                    known[key] = ({**old} if old else {}) | dict(said)
    return state


def verify_state(names: Iterable[str] | None = None) -> StateReport:
    """Compare every official row now with its last audited values (all rules, or `names`)."""
    rules = [RULES[n] for n in names] if names is not None else list(RULES.values())
    state = audited_values(rules)
    mismatches: list[Mismatch] = []
    checked = unverifiable = 0
    for rule in rules:
        known = state[rule.name]
        for row in rule.rows():
            checked += 1
            said = known.get(row.key, _MISSING)
            if said is _MISSING:
                mismatches.append(Mismatch(rule.name, row.label, "没有审计记录"))
                continue
            if said is None:
                mismatches.append(
                    Mismatch(rule.name, row.label, "审计记录显示已撤销或退回，数据中仍然有效")
                )
                continue
            assert isinstance(said, dict)
            compared = False
            for name, value in row.values.items():
                if name not in said:
                    continue
                compared = True
                mismatches += [
                    Mismatch(rule.name, row.label, problem)
                    for problem in _differences(name, jsonable(value), said[name])
                ]
            if not compared:
                unverifiable += 1
    return StateReport(checked, mismatches, unverifiable)


@dataclass(frozen=True)
class Verification:
    """What 校验 on the trail page shows: the chain against its checkpoints, and the state."""

    chain: ChainReport
    state: StateReport

    @property
    def ok(self) -> bool:
        return self.chain.ok and self.state.ok


def verify() -> Verification:
    return Verification(verify_chain(), verify_state())
