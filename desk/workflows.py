"""Every workflow table of the system, for the documentation (`manage.py workflow_tables`).

Each app keeps its own tables (`<app>/workflow.py`, built on `lib.workflow.Table`); this module,
above the stages, only lists them. docs/workflow.md holds each table's Markdown between
`<!-- workflow_table:<key> -->` and `<!-- /workflow_table:<key> -->`; a test keeps the document
equal to what `markdown()` prints here.
"""

from __future__ import annotations

from collections.abc import Callable

from intake import workflow as intake_workflow

# key -> (title, the table's Markdown)
TABLES: dict[str, tuple[str, Callable[[], str]]] = {
    "intake.application": ("申报（Application）", intake_workflow.markdown),
}


def markdown(key: str) -> str:
    return TABLES[key][1]()
