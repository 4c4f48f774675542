"""Supervision builds on the decision's fixtures: a cycle whose winners are announced."""

from tests.decision.conftest import decided, in_window, open_cycle

__all__ = ["decided", "in_window", "open_cycle"]
