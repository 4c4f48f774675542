"""The experts' tests build on the intake fixtures (a published cycle inside its window)."""

from tests.intake.conftest import in_window, open_cycle, org, person

__all__ = ["in_window", "open_cycle", "org", "person"]
