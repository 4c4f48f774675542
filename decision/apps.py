from __future__ import annotations

from django.apps import AppConfig


class DecisionConfig(AppConfig):
    name = "decision"
    verbose_name = "审定、公示与批准"
