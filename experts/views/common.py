"""What the experts' page modules share."""

from __future__ import annotations

from typing import Any

from experts.models import ReviewGroup
from lib.params import parse_int

MANAGE = "experts.manage_pool"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GROUP_STAGES = {s.value: s.label for s in ReviewGroup.STAGES}


def as_int(value: Any) -> int | None:
    """A form's id field, or None when it is not a row id (1 to 18 ASCII digits)."""
    return parse_int(value)
