from __future__ import annotations

from django.apps import AppConfig


class DecisionConfig(AppConfig):
    name = "decision"
    verbose_name = "审定、公示与批准"

    def ready(self) -> None:
        from . import audited  # noqa: F401  # registers its official results with audit.integrity
