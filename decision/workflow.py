"""The decision stage's workflow objects as tables (`lib.workflow.Table`): the year's list
(`Proposal`, A19.1-A20.2) and an objection to it (`Objection`, A20.2).

The list: the Office drafts it, records the committee's 审定 (A19.1) and then the city
government's agreement (A20.1: the notice publishes "经市人民政府同意的拟奖名单"), publishes the
notice, anyone objects while it runs, the Office ends it once it is over and every objection
is answered, and records the government's announcement (A20.2), which closes the year.

Windows come from the cycle's stage dates (`programs.windows`) where the Measures' stages
frame the act: drafting until 审定 ends, the committee's 审定 inside it, the government's
agreement before 公示 starts (article 20 puts it before the notice, though article 11 lists
批准 last: the 批准 stage is the announcement), publishing until 公示 ends (a notice may be
published ahead and start later), the announcement inside 批准. Objecting and ending the
notice follow the notice's own dates, which the Office set when it published it. Nothing
happens in a closed cycle: the announcement closes it, and nothing of the list follows.

An objection is decided (成立 or 不成立) once, by the Office, while open; the window is the
objection's own: it was filed within its notice (`services.file_objection` refuses others).

The certificate has no table: it has no state of its own. It is valid while its award
(`intake.AwardRecord.revoked_on`) stands, and `supervision.services.revoke_award` revokes both.

- `PROPOSAL.allowed_actions` / `OBJECTION.allowed_actions`: what the board, the objection page,
  the public notice and `GET /api/v1/proposals/{id}/actions`, `…/objections/{receipt}/actions`
  offer, and why not.
- `require`: the first check of each service in `decision/services.py`.
- `move`: the only code that assigns `Proposal.state` and `Objection.outcome` (a conditional
  UPDATE: a double click or a second clerk is told, nothing is recorded twice).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounts.models import Role
from lib import workflow as lib
from lib.workflow import Action, Option, refusals
from programs import windows
from programs.models import Stage
from programs.selectors import today
from programs.windows import day

from .models import Objection, Proposal

__all__ = [
    "OBJECTION",
    "OBJECTION_ACTIONS",
    "PROPOSAL",
    "PROPOSAL_ACTIONS",
    "Action",
    "Option",
    "notice_window",
    "objection_markdown",
    "proposal_markdown",
    "refusals",
]

S = Proposal.State
O = Objection.Outcome  # noqa: E741 - the table reads better with the enum's initial
MANAGE = "decision.manage"
PUBLIC = "public"  # the audit log's role for anyone without an account


def notice_window(proposal: Proposal, on: dt.date) -> str | None:
    """A20.1, A20.2: objections are received from the notice's first day to its last."""
    if reason := windows.closed(proposal.cycle):
        return reason
    starts, ends = proposal.notice_starts_on, proposal.notice_ends_on
    if starts is None or ends is None:
        return "公示尚未发布，不受理异议。"
    if on < starts:
        return f"公示将于{day(starts)}开始，现在不在公示期内，不受理异议。"
    if on > ends:
        return f"公示期已于{day(ends)}结束，不再受理异议。"
    return None


def _notice_over(proposal: Proposal, on: dt.date) -> str | None:
    """A20.2: the notice ends once its last day has passed and every objection is answered
    (the objections are counted only for a notice that is over: one query)."""
    if reason := windows.closed(proposal.cycle):
        return reason
    ends = proposal.notice_ends_on
    if ends is not None and on <= ends:
        return f"公示期至{day(ends)}，期满后方可结束公示。"
    pending = Objection.objects.filter(proposal=proposal, outcome=O.OPEN).count()
    if pending:
        return f"尚有{pending}件异议未核查答复，答复后方可结束公示。"
    return None


def _filed_in_notice(objection: Objection, on: dt.date) -> str | None:
    """A20.1, A20.2: an objection the Office answers is one filed while the notice ran (the
    day does not matter: the Measures set the Office no deadline, and the notice cannot end
    while one is open)."""
    proposal = objection.proposal
    if reason := windows.closed(proposal.cycle):
        return reason
    filed = timezone.localdate(objection.filed_at)
    starts, ends = proposal.notice_starts_on, proposal.notice_ends_on
    if starts is None or ends is None or not starts <= filed <= ends:
        period = f"（{day(starts)}至{day(ends)}）" if starts and ends else ""
        return f"该异议于{day(filed)}提出，不在公示期{period}内，不予受理。"
    return None


PROPOSAL_ACTIONS: tuple[Action, ...] = (
    Action(
        "edit", "拟定拟奖名单", frozenset({S.DRAFT}), None,
        MANAGE, Role.OFFICE, "A19.1",
        windows.until_end_of(Stage.COMMITTEE_REVIEW), "审定阶段结束前",
    ),
    Action(
        "approve_committee", "记录委员会审定", frozenset({S.DRAFT}), S.COMMITTEE_APPROVED,
        MANAGE, Role.OFFICE, "A19.1",
        windows.within(Stage.COMMITTEE_REVIEW), "审定阶段内",
    ),
    Action(
        "approve_government", "记录市政府批准", frozenset({S.COMMITTEE_APPROVED}),
        S.GOVERNMENT_APPROVED,
        MANAGE, Role.OFFICE, "A20.1",
        windows.before(Stage.NOTICE), "公示阶段开始前（公示的是经市人民政府同意的名单）",
    ),
    Action(
        "publish_notice", "发布公示", frozenset({S.GOVERNMENT_APPROVED}), S.IN_NOTICE,
        MANAGE, Role.OFFICE, "A20.1",
        windows.until_end_of(Stage.NOTICE), "公示阶段结束前（可提前发布，公示期自所选开始日起算）",
    ),
    # Anyone, under their real name: the public pages and the API without a token.
    Action(
        "object", "提出异议", frozenset({S.IN_NOTICE}), None,
        "decision.object", PUBLIC, "A20.2",
        notice_window, "公示期内（公示开始日至结束日）",
        quiet=True,
    ),
    Action(
        "close_notice", "结束公示", frozenset({S.IN_NOTICE}), S.NOTICE_CLOSED,
        MANAGE, Role.OFFICE, "A20.2",
        _notice_over, "公示期满后，且异议均已核查答复",
    ),
    Action(
        "announce", "记录市政府公告", frozenset({S.NOTICE_CLOSED}), S.ANNOUNCED,
        MANAGE, Role.OFFICE, "A20.2",
        windows.within(Stage.APPROVAL), "批准阶段内",
    ),
)  # fmt: skip

OBJECTION_ACTIONS: tuple[Action, ...] = (
    Action(
        "uphold", "认定异议成立", frozenset({O.OPEN}), O.UPHELD,
        MANAGE, Role.OFFICE, "A20.2",
        _filed_in_notice, "公示期内提出的异议，核查后",
    ),
    Action(
        "dismiss", "认定异议不成立", frozenset({O.OPEN}), O.DISMISSED,
        MANAGE, Role.OFFICE, "A20.2",
        _filed_in_notice, "公示期内提出的异议，核查后",
    ),
)  # fmt: skip

PROPOSAL: lib.Table[Proposal] = lib.Table(
    Proposal, "state", dict(S.choices), PROPOSAL_ACTIONS, noun="拟奖名单", clock=today
)
OBJECTION: lib.Table[Objection] = lib.Table(
    Objection, "outcome", dict(O.choices), OBJECTION_ACTIONS, noun="该异议", clock=today
)

# The action that records each outcome of an objection.
DECIDE: dict[str, str] = {O.UPHELD: "uphold", O.DISMISSED: "dismiss"}

_WHO = {Role.OFFICE: "委员会办公室", PUBLIC: "任何单位和个人（实名）"}


def proposal_markdown() -> str:
    """`manage.py workflow_tables decision.proposal`: the table as docs/workflow.md shows it."""
    return PROPOSAL.markdown(_WHO)


def objection_markdown() -> str:
    """`manage.py workflow_tables decision.objection`."""
    return OBJECTION.markdown(_WHO)
