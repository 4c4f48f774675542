"""Print every workflow table as Markdown (docs/workflow.md holds each one's output)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from desk.workflows import TABLES


class Command(BaseCommand):
    help = "打印各流转表（Markdown），docs/workflow.md 收录其输出。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("key", nargs="?", help="只打印一个表，如 intake.application")

    def handle(self, *args: Any, key: str | None = None, **options: Any) -> None:
        for name, (_title, markdown) in TABLES.items():
            if key in (None, name):
                self.stdout.write(f"<!-- workflow_table:{name} -->\n{markdown()}")
                self.stdout.write(f"<!-- /workflow_table:{name} -->\n")
