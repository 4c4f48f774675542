"""The one rule every workflow table's property test checks (lib/workflow.py, decision 0013):
what a page is offered the service does; what it is refused with a reason the service refuses
with that reason and the action's article; what it is not offered the service refuses outright
(forbidden, the wrong state, or an object this person may not know exists)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import event

from lib.errors import PermissionDenied, ServiceError, StateConflict
from lib.workflow import Option


def attempt(run: Callable[[], object]) -> Any:
    """Run a service: "done", or the ServiceError it raised (PermissionDenied and
    StateConflict included)."""
    try:
        run()
    except ServiceError as exc:
        return exc
    return "done"


def refused_outright(outcome: Any) -> bool:
    return isinstance(outcome, PermissionDenied | StateConflict) or (
        isinstance(outcome, ServiceError) and outcome.status == 404
    )


def assert_agrees(option: Option | None, outcome: Any, case: Any = None) -> None:
    """`option` is what `allowed_actions` answered for the action (None: not offered), `outcome`
    what the service did (`attempt`). Hypothesis's statistics show how often each path ran."""
    seen = (
        "offered and done"
        if option and option.allowed
        else "offered with a reason"
        if option
        else "not offered"
    )
    event(seen)
    if option is not None and option.allowed:
        assert outcome == "done", (case, option, outcome)
    elif option is not None:
        assert isinstance(outcome, ServiceError), (case, option, outcome)
        assert not refused_outright(outcome), (case, option, outcome)
        assert outcome.code == "outside_window", (case, outcome)
        assert outcome.message == f"不能{option.action.label}：{option.reason}", (case, outcome)
        assert outcome.article == option.action.article, (case, outcome)
    else:
        assert refused_outright(outcome), (case, outcome)
