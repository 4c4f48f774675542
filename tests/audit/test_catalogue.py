"""The one catalogue of audited actions (issue 14, part 6): every code the code records is in it
with a Chinese label, a category and an article, `record()` refuses any other, and every detail
key the services write has a Chinese name."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib import admin
from django.db import transaction

from accounts.admin import SysadminModelAdmin
from audit import catalogue
from audit.details import KEY_LABELS
from audit.models import AuditEvent
from audit.services import record
from lib.articles import cite

pytestmark = pytest.mark.req("A3.1")

ROOT = Path(__file__).resolve().parent.parent.parent
APPS = ["accounts", "programs", "intake", "experts", "review", "decision", "supervision", "audit"]
REQUIREMENT_IDS = frozenset(
    re.findall(r"^- (A\d{1,2}\.\d{1,2})", (ROOT / "docs" / "requirements.md").read_text(), re.M)
)
CJK = re.compile(r"[\u4e00-\u9fff]")


def _sources() -> Iterator[tuple[Path, ast.AST]]:
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path, ast.parse(path.read_text(), str(path))


def _literal_codes() -> set[str]:
    """Every action code written as a literal: `action="a.b"` (also inside a conditional
    expression) and the default of a parameter named `action`."""
    codes: set[str] = set()

    def strings(node: ast.AST) -> Iterator[str]:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and "." in sub.value:
                yield sub.value

    for _, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "action":
                codes.update(strings(node.value))
            if isinstance(node, ast.arguments):
                args = node.args[len(node.args) - len(node.defaults) :] + node.kwonlyargs
                defaults = node.defaults + [d for d in node.kw_defaults if d is not None]
                for arg, default in zip(args, defaults, strict=False):
                    if arg.arg == "action":
                        codes.update(strings(default))
    return {c for c in codes if re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", c)}


def test_every_entry_has_a_chinese_label_a_known_category_and_a_real_article() -> None:
    assert len(catalogue.ACTIONS) >= 100
    for code, action in catalogue.ACTIONS.items():
        assert action.code == code
        assert re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", code), code
        assert CJK.search(action.label), code
        assert "：" in action.label, code
        assert action.category in catalogue.CATEGORIES, code
        if action.article:
            assert action.article in REQUIREMENT_IDS, (code, action.article)
            assert action.citation == cite(action.article)
            assert re.fullmatch(r"第.+条(第（.+）项)?", action.citation), code
    labels = [a.label for a in catalogue.ACTIONS.values()]
    assert len(labels) == len(set(labels)), "two actions read the same on the trail page"
    for category, actions in catalogue.by_category():
        assert all(a.category == category for a in actions)


def test_every_code_the_source_records_is_catalogued() -> None:
    literal = _literal_codes()
    assert {"supervision.case.decide", "experts.conflict.declare"} <= literal
    missing = sorted(c for c in literal if c not in catalogue.ACTIONS)
    # Workflow action names (`accept`, `office_return`) carry no dot; dotted literals that are not
    # audit codes would show up here and be named.
    assert missing == []


def test_every_model_of_the_admin_site_has_its_add_change_delete_codes() -> None:
    """accounts/admin.py records admin.<model>.<add|change|delete> with an f-string."""
    models = [
        m._meta.model_name
        for m, model_admin in admin.site._registry.items()
        if isinstance(model_admin, SysadminModelAdmin)
    ]
    assert "user" in models
    for name in models:
        for op in ("add", "change", "delete"):
            assert f"admin.{name}.{op}" in catalogue.ACTIONS, (name, op)


@pytest.mark.django_db
def test_record_refuses_a_code_that_is_not_catalogued() -> None:
    with transaction.atomic():
        with pytest.raises(ValueError, match=r"未在 audit/catalogue\.py 登记"):
            record(actor=None, role="office", action="supervision.case.decidee")
        event = record(actor=None, role="office", action="supervision.case.decide")
    assert list(AuditEvent.objects.values_list("action", flat=True)) == [event.action]


def test_every_detail_key_the_services_write_has_a_chinese_name() -> None:
    keys: set[str] = set()
    for _, tree in _sources():
        for node in ast.walk(tree):
            name = getattr(node, "func", None)
            called = getattr(name, "id", getattr(name, "attr", ""))
            if isinstance(node, ast.Call) and called == "record":
                for kw in node.keywords:
                    if kw.arg in ("before", "after") and isinstance(kw.value, ast.Dict):
                        keys.update(
                            str(k.value) for k in kw.value.keys if isinstance(k, ast.Constant)
                        )
    assert {"article", "reason", "state", "expert", "seed"} <= keys | set(KEY_LABELS)
    unnamed = sorted(k for k in keys if k not in KEY_LABELS)
    assert unnamed == []
    assert all(CJK.search(label) for label in KEY_LABELS.values())
