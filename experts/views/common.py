"""What the experts' page modules share."""

from __future__ import annotations

from typing import Any

from experts.models import ReviewGroup

MANAGE = "experts.manage_pool"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GROUP_STAGES = {s.value: s.label for s in ReviewGroup.STAGES}


def as_int(value: Any) -> int | None:
    """A form's id field, or None when it is not a number."""
    return int(value) if isinstance(value, str) and value.isdigit() else None
