from __future__ import annotations

from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = "评审与综合评价"

    def ready(self) -> None:
        from . import audited  # noqa: F401  # registers the review's results with audit.integrity
