"""The cycle's workflow as one table (`lib.workflow.Table`): what may happen to a year, by whom,
when.

A cycle (年度, A5.1) is opened as a draft (`services.create_cycle`: a new object, so not a row
here), gets the dates of the eight stages of article 11, is published with its call (A15.1) and
is closed when the government announces the winners (A20.2). Only the Office acts on it.

- `allowed_actions(cycle, user, on)`: what the 年度管理 page offers (and, in place of a refused
  button, why); `GET /api/v1/cycles/{id}/actions` answers the same.
- `TABLE.require`: the first line of each service of `programs.services`.
- `TABLE.move`: the only code that assigns `Cycle.status` (a conditional UPDATE: a double click
  or a second clerk is told, and nothing is published twice).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from accounts.models import Role
from lib import workflow as lib
from lib.workflow import Action, Option, refusals

from .models import Cycle, Stage
from .selectors import today
from .windows import stage_dates

__all__ = ["ACTIONS", "TABLE", "Action", "Option", "allowed_actions", "markdown", "refusals"]


def _dates_set(cycle: Cycle, on: dt.date) -> str | None:
    """A15.1: the call publishes the year's dates, so every stage of article 11 needs its dates
    first (whether they still satisfy the rules is checked by the service, as input)."""
    missing = [str(s.label) for s in Stage.ordered() if stage_dates(cycle, s) is None]
    if len(missing) == len(Stage):
        return "尚未设置第十一条各阶段日期，请先保存各阶段日期。"
    if missing:
        return f"尚未设置{'、'.join(missing)}的日期，请先保存各阶段日期。"
    return None


S = Cycle.Status
MANAGE = "programs.manage_cycle"

ACTIONS: tuple[Action, ...] = (
    # Changing the dates of a published year needs a reason (applicants rely on them): an input
    # the service asks for, not a window.
    Action(
        "set_dates", "设置各阶段日期", frozenset({S.DRAFT, S.PUBLISHED}), None,
        MANAGE, Role.OFFICE, "A11.1",
        lib.anytime, "年度结束前（发布申报通知后修改须填写理由）",
    ),
    Action(
        "publish", "发布申报通知", frozenset({S.DRAFT}), S.PUBLISHED,
        MANAGE, Role.OFFICE, "A15.1",
        _dates_set, "第十一条八个阶段的日期均已设置后",
    ),
    # The year ends with the government's announcement: `decision.services.announce` closes it
    # in its own transaction; no page has a button for it.
    Action(
        "close", "结束年度", frozenset({S.PUBLISHED}), S.CLOSED,
        MANAGE, Role.OFFICE, "A20.2",
        lib.anytime, "市政府公告获奖名单时",
        batch=True,
    ),
)  # fmt: skip

TABLE: lib.Table[Cycle] = lib.Table(
    Cycle, "status", dict(Cycle.Status.choices), ACTIONS, noun="该年度", clock=today
)


def allowed_actions(cycle: Cycle, user: Any, on: dt.date | None = None) -> dict[str, Option]:
    """What `user` may do on `cycle` on day `on` (today by default), and why not."""
    return TABLE.allowed_actions(cycle, user, on)


def markdown() -> str:
    """The table as docs/workflow.md shows it (`manage.py workflow_tables programs.cycle`)."""
    return TABLE.markdown({Role.OFFICE: "委员会办公室"})
