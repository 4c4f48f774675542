"""The violation case's workflow as one table (`lib.workflow.Table`): A23.1 and A23.2.

A case is opened by a winner's written report (`services.report_violation`) or by the Office
(`services.open_case`): new objects, so not rows here. The Office investigates and reports its
findings to the committee; it then records the committee's decision (no action, a warning, or
revocation of the title, whose consequences `services.revoke_award` carries out).

Windows: a case follows the award, not the year's stages, so no action waits for the cycle's
dates. The one deadline of the Measures here is the winner's: its report is due within the
policy's days of the confirmation date (A23.1), and a late report is accepted and flagged,
never refused; whether it is due, on time, late or missing is read on the day from
`selectors.report_duties`, never stored. The Measures give the Office and the
committee no deadline: both actions are allowed at any time in their state.

- `allowed_actions(case, user, on)`: what the case page offers (and why not);
  `GET /api/v1/cases/{id}/actions` answers the same.
- `TABLE.require`: the first line of `report_to_committee` and `decide_case`.
- `TABLE.move`: the only code that assigns `Case.state` (a conditional UPDATE: a second clerk
  or a double click is told, and a decision is never recorded twice).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from accounts.models import Role
from lib import workflow as lib
from lib.workflow import Action, Option, refusals
from programs.selectors import today

from .models import Case

__all__ = ["ACTIONS", "TABLE", "Action", "Option", "allowed_actions", "markdown", "refusals"]

S = Case.State
MANAGE = "supervision.manage"

ACTIONS: tuple[Action, ...] = (
    Action(
        "report", "核查情况报委员会", frozenset({S.OPEN}), S.REPORTED,
        MANAGE, Role.OFFICE, "A23.2",
        lib.anytime, "核查后任何时候（《办法》未规定期限）",
    ),
    # The Office records what the committee decided; a revocation also revokes the certificate,
    # recovers the bonus, moves the application to 奖项已撤销 and publishes the announcement.
    Action(
        "decide", "记录委员会决定", frozenset({S.REPORTED}), S.DECIDED,
        MANAGE, Role.OFFICE, "A23.2",
        lib.anytime, "报委员会后任何时候（《办法》未规定期限）",
    ),
)  # fmt: skip

TABLE: lib.Table[Case] = lib.Table(
    Case, "state", dict(Case.State.choices), ACTIONS, noun="该案件", clock=today
)


def allowed_actions(case: Case, user: Any, on: dt.date | None = None) -> dict[str, Option]:
    """What `user` may do on `case` on day `on` (today by default), and why not."""
    return TABLE.allowed_actions(case, user, on)


def markdown() -> str:
    """The table as docs/workflow.md shows it (`manage.py workflow_tables supervision.case`)."""
    return TABLE.markdown({Role.OFFICE: "委员会办公室"})
