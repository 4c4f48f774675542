"""docs/workflow.md shows every workflow table as the code defines it."""

from __future__ import annotations

from pathlib import Path

import pytest

from desk.workflows import TABLES, markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "workflow.md"


@pytest.mark.parametrize("key", sorted(TABLES))
def test_the_documented_table_is_the_table(key: str) -> None:
    doc = DOC.read_text(encoding="utf-8")
    start, end = f"<!-- workflow_table:{key} -->\n", f"<!-- /workflow_table:{key} -->"
    assert start in doc, f"docs/workflow.md lacks the {key} table"
    shown = doc.split(start)[1].split(end)[0]
    assert shown == markdown(key), f"run `manage.py workflow_tables {key}` and paste its output"
