"""The review's workflow tables (`lib.workflow`): the scorecard and the review phase.

Their windows are the review's stage rules (`review.boundaries`), so a page, the API and the
service read one rule: `allowed_actions` gives the rule's words where the button would be,
`require` refuses with them (400 `outside_window`, citing the action's article), and `move` is
the only code that assigns `Scorecard.state` and `ReviewPhase.state` (a conditional UPDATE: a
double click or a second window is told, nothing happens twice).

- **Scorecard** (`CARD`): its expert saves the draft and submits it; the group's leader returns
  a submitted card to draft (A17.1), while the stage's scoring is open, inside the stage's dates
  of a year not closed, and before the group's consensus is confirmed. A card is created by its
  first save: before that, the pages ask about `blank_card(assignment)`.
- **Review phase** (`PHASE`): the Office opens a stage's scoring inside the stage's dates and
  closes it (also after them), never in a closed year (A11.1, A17.1). A stage never opened may
  have no row: pages ask about `blank_phase(cycle, stage)`.

The group's consensus keeps its `final` flag and its one rule (`boundaries.consensus_refusal`):
see docs/workflow.md.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from accounts.models import Role
from experts.models import Assignment
from lib import workflow as lib
from lib.workflow import Action, Option, refusals
from programs.models import Cycle
from programs.selectors import today

from . import boundaries
from .models import Consensus, ReviewPhase, Scorecard

__all__ = [
    "CARD",
    "PHASE",
    "Option",
    "blank_card",
    "blank_phase",
    "phase_markdown",
    "refusals",
    "scorecard_markdown",
]

# The group's leader: an expert (the audit log names the role 评审专家) who leads the group.
LEADER = "leader"


def _reason(refusal: Any) -> str | None:
    return refusal.message if refusal is not None else None


# --- windows: the stage rules ------------------------------------------------------------------


def _scoring(card: Scorecard, on: dt.date) -> str | None:
    group = card.assignment.group
    cycle = group.application.cycle
    phase = boundaries.phase_in(cycle, group.stage)
    return _reason(boundaries.scoring_refusal(cycle, group.stage, phase, on=on))


def _returnable(card: Scorecard, on: dt.date) -> str | None:
    """A returned card must be submittable again (scoring open), and the consensus not yet
    confirmed: it is the stage's score, built on the cards as they are."""
    if reason := _scoring(card, on):
        return reason
    consensus: Consensus | None = getattr(card.assignment.group, "consensus", None)
    if consensus is not None and consensus.final:
        return "专家组共识已确认。"
    return None


def _openable(phase: ReviewPhase, on: dt.date) -> str | None:
    return _reason(boundaries.open_phase_refusal(phase.cycle, phase.stage, on=on))


def _year_open(phase: ReviewPhase, on: dt.date) -> str | None:
    return _reason(boundaries.cycle_closed(phase.cycle))


# --- the tables --------------------------------------------------------------------------------

Card = Scorecard.State
_SCORING = "评分开放期间、该阶段日期内（年度结束前）"

CARD_ACTIONS: tuple[Action, ...] = (
    Action("save", "保存草稿", frozenset({Card.DRAFT}), None, "review.score", Role.EXPERT,
           "A17.1", _scoring, _SCORING),
    Action("submit", "提交评分表", frozenset({Card.DRAFT}), Card.SUBMITTED, "review.score",
           Role.EXPERT, "A17.1", _scoring, _SCORING),
    Action("return", "退回评分表", frozenset({Card.SUBMITTED}), Card.DRAFT, "review.return_card",
           LEADER, "A17.1", _returnable, _SCORING + "，专家组共识确认前"),
)  # fmt: skip

CARD: lib.Table[Scorecard] = lib.Table(
    Scorecard, "state", dict(Card.choices), CARD_ACTIONS, noun="该评分表", clock=today
)

Phase = ReviewPhase.State

PHASE_ACTIONS: tuple[Action, ...] = (
    Action("open", "开放评分", frozenset({Phase.NOT_OPENED, Phase.CLOSED}), Phase.OPEN,
           "review.manage", Role.OFFICE, "A17.1", _openable, "该阶段日期内（年度结束前）"),
    Action("close", "关闭评分", frozenset({Phase.OPEN}), Phase.CLOSED, "review.manage",
           Role.OFFICE, "A17.1", _year_open, "年度结束前（该阶段结束后亦可）"),
)  # fmt: skip

PHASE: lib.Table[ReviewPhase] = lib.Table(
    ReviewPhase, "state", dict(Phase.choices), PHASE_ACTIONS, noun="该评审阶段", clock=today
)


def blank_card(assignment: Assignment) -> Scorecard:
    """The card an assignment has before its first save (not stored): a draft."""
    return Scorecard(assignment=assignment, state=Card.DRAFT)


def blank_phase(cycle: Cycle, stage: str) -> ReviewPhase:
    """The phase of a stage never opened (not stored)."""
    return ReviewPhase(cycle=cycle, stage=stage, state=Phase.NOT_OPENED)


# --- documentation ---------------------------------------------------------------------------

_WHO: dict[str, str] = {
    Role.EXPERT: "评分表所属专家",
    LEADER: "专家组组长",
    Role.OFFICE: "委员会办公室",
}


def phase_markdown() -> str:
    """The phase's table as docs/workflow.md shows it (generated: a test holds the two equal)."""
    return PHASE.markdown(_WHO)


def scorecard_markdown() -> str:
    """The scorecard's table as docs/workflow.md shows it."""
    return CARD.markdown(_WHO)
