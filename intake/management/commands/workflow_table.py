"""Print the application's workflow table as Markdown (docs/workflow.md holds its output)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from intake.workflow import markdown


class Command(BaseCommand):
    help = "打印申报的流转表（Markdown），docs/workflow.md 收录其输出。"

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(markdown())
