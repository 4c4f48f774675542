"""The dependency audit's verdict (scripts/audit_deps.py, `make audit-deps`): a found
vulnerability fails; a service that answers for no package says the audit was not done and
does not fail. (The run against the real service is `make audit-deps` itself.)"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.req("A3.1")

_spec = importlib.util.spec_from_file_location(
    "audit_deps", Path(__file__).resolve().parent.parent / "scripts" / "audit_deps.py"
)
assert _spec is not None
assert _spec.loader is not None
audit_deps: Any = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(audit_deps)


def test_a_known_vulnerability_fails_and_names_the_fix() -> None:
    status, text = audit_deps.verdict(
        {
            "dependencies": [
                {
                    "name": "django",
                    "version": "5.2.1",
                    "vulns": [{"id": "PYSEC-2025-1", "fix_versions": ["5.2.2"]}],
                },
                {"name": "segno", "version": "1.6.6", "vulns": []},
            ]
        },
        "pypi",
    )
    assert status == 1
    assert text == "发现 1 个已知漏洞：\n  django 5.2.1：PYSEC-2025-1（修复版本：5.2.2）"


def test_a_service_that_answers_for_nothing_is_reported_not_failed() -> None:
    reason = "Dependency not found on PyPI and could not be audited: django (5.2.19)"
    status, text = audit_deps.verdict(
        {"dependencies": [{"name": "django", "version": "5.2.19", "skip_reason": reason}]},
        "pypi",
    )
    assert status == 0
    assert text.startswith("依赖漏洞库不可达，未完成依赖审计（pypi：1 个依赖均无法查询")


def test_all_checked_and_clean_passes() -> None:
    status, text = audit_deps.verdict(
        {"dependencies": [{"name": "segno", "version": "1.6.6", "vulns": []}]}, "osv"
    )
    assert (status, text) == (0, "依赖审计通过：1 个依赖均无已知漏洞（osv）。")
