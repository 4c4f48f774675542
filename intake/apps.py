from __future__ import annotations

from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = "申报推荐与资格审查"

    def ready(self) -> None:
        from . import audited  # noqa: F401  # registers its official results with audit.integrity
