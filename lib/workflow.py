"""Workflow tables: what may happen to an object, by whom, when (one table per workflow object).

A `Table` lists an object's `Action`s: the states each starts from, the state it leads to (None
for an act that keeps the state), the permission (a django-rules predicate asked with the
object), the window in which it is allowed (a function of the object and the day, answering
None or the reason it is not), the article of the Measures it carries out, and whom it tells.
From the one table:

- `allowed_actions(obj, user, on)`: what this person may do now and, for what their role could
  do but the calendar forbids, why. Pages render a form per allowed action and the reasons in
  place of the others (`refusals`); the API's `GET …/actions` returns the same.
- `require(obj, name, user, on)`: the services' check (403, 409, or a 400 `outside_window`
  citing the article): a page never offers what the service refuses.
- `move(obj, name, **fields)` / `move_all(objs, name)`: the only code that assigns the state:
  a conditional `UPDATE … WHERE state IN (sources)` (a double click or a second clerk is told,
  nothing is written twice), in the caller's transaction.
- `markdown()`: the table as docs/workflow.md shows it.

Model-free: each app builds its tables over its own models (`intake.workflow`, ...).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.db import models, transaction
from django.utils import timezone

from .errors import PermissionDenied, ServiceError, StateConflict

T = TypeVar("T", bound=models.Model)

# A window answers, for an object and a day, None (allowed) or the reason it is not.
Window = Callable[[Any, dt.date], str | None]


def anytime(obj: Any, on: dt.date) -> str | None:
    return None


@dataclass(frozen=True)
class Action:
    name: str
    label: str  # the button's words
    sources: frozenset[str]
    target: str | None
    permission: str
    role: str  # who, as the audit log names them (accounts.models.Role)
    article: str
    window: Window = anytime
    window_text: str = "—"  # the window in words, for the documentation
    notices: tuple[Any, ...] = ()  # what the app's table sends (its own notice type)
    batch: bool = False  # moved by a service for many objects at once: never a button
    quiet: bool = False  # a page mentions it only when allowed


@dataclass(frozen=True)
class Option:
    """An action this person could take on this object: allowed now, or why not."""

    action: Action
    allowed: bool
    reason: str = ""

    @property
    def name(self) -> str:
        return self.action.name

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action.name,
            "label": self.action.label,
            "allowed": self.allowed,
            "reason": self.reason,
            "article": self.action.article,
        }


@dataclass
class Table(Generic[T]):
    """The workflow of one model: its state field, the labels of its states and its actions."""

    model: type[T]
    state_field: str
    labels: dict[str, str]  # state -> label (the TextChoices of the field)
    actions: Sequence[Action]
    noun: str = "该对象"  # how refusals name the object ("该申报")
    applies: Callable[[Action, Any], bool] = field(default=lambda action, obj: True)
    # Today in China Standard Time; the project passes programs.selectors.today (which the demo
    # data's builder can set to a past day).
    clock: Callable[[], dt.date] = timezone.localdate
    by_name: dict[str, Action] = field(init=False)

    def __post_init__(self) -> None:
        self.by_name = {a.name: a for a in self.actions}
        assert len(self.by_name) == len(self.actions), "action names are unique"
        for a in self.actions:
            unknown = (set(a.sources) | ({a.target} if a.target else set())) - set(self.labels)
            assert not unknown, f"{a.name}: unknown states {unknown}"

    def __getitem__(self, name: str) -> Action:
        return self.by_name[name]

    def state_of(self, obj: T) -> str:
        return str(getattr(obj, self.state_field))

    # --- asking -------------------------------------------------------------------------------

    def allowed_actions(self, obj: T, user: Any, on: dt.date | None = None) -> dict[str, Option]:
        """The actions `user` may take on `obj` on day `on`, keyed by name: only those whose
        permission the user holds and whose sources include the object's state; each says
        whether its window allows it now and, if not, why. Batch actions never appear."""
        on = on or self.clock()
        state = self.state_of(obj)
        options = {}
        for action in self.actions:
            if action.batch or state not in action.sources or not self.applies(action, obj):
                continue
            if not user.has_perm(action.permission, obj):
                continue
            reason = action.window(obj, on)
            options[action.name] = Option(action, reason is None, reason or "")
        return options

    def require(self, obj: T, name: str, user: Any, on: dt.date | None = None) -> Action:
        """The services' check, from the same rows as `allowed_actions`: the permission (403),
        the state (409) and the window (400, citing the article). `user=None` is the system."""
        action = self.by_name[name]
        if user is not None and not user.has_perm(action.permission, obj):
            raise PermissionDenied()
        state = self.state_of(obj)
        if state not in action.sources or not self.applies(action, obj):
            raise StateConflict(self._conflict(action, state))
        reason = action.window(obj, on or self.clock())
        if reason:
            raise ServiceError(
                f"不能{action.label}：{reason}", code="outside_window", article=action.article
            )
        return action

    def _conflict(self, action: Action, state: str) -> str:
        return (
            f"{self.noun}当前状态为“{self.labels.get(state, state)}”，不能{action.label}"
            "（可能已被他人处理，请刷新页面）。"
        )

    # --- moving -------------------------------------------------------------------------------

    def move(self, obj: T, name: str, /, **fields: Any) -> str:
        """Assign the action's target with a conditional UPDATE; returns the state it left.
        When another person (or a double click) moved it first, nothing is written and the
        caller is told."""
        action = self.by_name[name]
        assert action.target is not None, f"{name} keeps the state"
        updated = self.model._default_manager.filter(
            pk=obj.pk, **{f"{self.state_field}__in": action.sources}
        ).update(**{self.state_field: action.target}, **fields)
        if updated == 0:
            obj.refresh_from_db(fields=[self.state_field])
            raise StateConflict(self._conflict(action, self.state_of(obj)))
        before = self.state_of(obj)
        setattr(obj, self.state_field, action.target)
        for key, value in fields.items():
            setattr(obj, key, value)
        return before

    def move_all(self, objs: Sequence[T], name: str) -> list[str]:
        """`move` for many objects in one conditional UPDATE: all move, or none does and the
        caller is told. Returns the states they left, in order."""
        action = self.by_name[name]
        assert action.target is not None, f"{name} keeps the state"
        if not objs:
            return []
        with transaction.atomic():  # a savepoint: a partial update is rolled back with the raise
            updated = self.model._default_manager.filter(
                pk__in=[o.pk for o in objs], **{f"{self.state_field}__in": action.sources}
            ).update(**{self.state_field: action.target})
            if updated != len(objs):
                raise StateConflict("部分记录的状态已被他人改变，操作未执行，请刷新页面后重试。")
        before = [self.state_of(o) for o in objs]
        for o in objs:
            setattr(o, self.state_field, action.target)
        return before

    # --- documentation ------------------------------------------------------------------------

    def markdown(self, who: Mapping[str, str], told: Callable[[Action], str] | None = None) -> str:
        """The table as Markdown: action, from, to, who, when, article (and whom it tells)."""
        order = list(self.labels)

        def states(values: Iterable[str]) -> str:
            return "、".join(self.labels[v] for v in sorted(values, key=order.index))

        head = "| 操作 | 从 | 到 | 谁 | 何时 | 条款 |" + (" 通知 |" if told else "")
        lines = [head, "|---" * (7 if told else 6) + "|"]
        for a in self.actions:
            target = self.labels[a.target] if a.target else "（不变）"
            row = (
                f"| {a.label} (`{a.name}`{'，批量' if a.batch else ''}) | {states(a.sources)} "
                f"| {target} | {who.get(a.role, a.role)} | {a.window_text} | {a.article} |"
            )
            lines.append(row + (f" {told(a)} |" if told else ""))
        return "\n".join(lines) + "\n"


def refusals(options: dict[str, Option]) -> list[tuple[str, str]]:
    """What a page says in place of the buttons it does not show: the refused actions grouped
    by their reason ("受理、不予受理", "资格审查已于…结束"), quiet actions left out."""
    grouped: dict[str, list[str]] = {}
    for option in options.values():
        if not option.allowed and not option.action.quiet:
            grouped.setdefault(option.reason, []).append(option.action.label)
    return [("、".join(labels), reason) for reason, labels in grouped.items()]
