from __future__ import annotations

from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = "获奖后监督与诚信"

    def ready(self) -> None:
        from . import audited  # noqa: F401  # registers its official results with audit.integrity
