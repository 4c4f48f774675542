"""Every workflow table of the system, for the documentation (`manage.py workflow_tables`).

Each app keeps its own tables (`<app>/workflow.py`, built on `lib.workflow.Table`); this module,
above the stages, only lists them. docs/workflow.md holds each table's Markdown between
`<!-- workflow_table:<key> -->` and `<!-- /workflow_table:<key> -->`; a test keeps the document
equal to what `markdown()` prints here.
"""

from __future__ import annotations

from collections.abc import Callable

from decision import workflow as decision_workflow
from intake import workflow as intake_workflow
from programs import workflow as programs_workflow
from review import workflow as review_workflow
from supervision import workflow as supervision_workflow

# key -> (title, the table's Markdown)
TABLES: dict[str, tuple[str, Callable[[], str]]] = {
    "programs.cycle": ("年度（Cycle）", programs_workflow.markdown),
    "intake.application": ("申报（Application）", intake_workflow.markdown),
    "review.phase": ("评审阶段（ReviewPhase）", review_workflow.phase_markdown),
    "review.scorecard": ("评分表（Scorecard）", review_workflow.scorecard_markdown),
    "decision.proposal": ("拟奖名单（Proposal）", decision_workflow.proposal_markdown),
    "decision.objection": ("公示异议（Objection）", decision_workflow.objection_markdown),
    "supervision.case": ("违规案件（Case）", supervision_workflow.markdown),
}


def markdown(key: str) -> str:
    return TABLES[key][1]()
