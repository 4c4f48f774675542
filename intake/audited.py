"""The awards as the audit chain carries them (`audit.integrity`): each AwardRecord's level,
year and revocation. Entered here (`intake.award_record.add`); the announcement
(`decision.audited`) and a revocation (`supervision.audited`) add their readings. Imported by
`IntakeConfig.ready`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from audit import integrity
from audit.integrity import Event, Row

from .models import AwardRecord

AWARD = "获奖记录"


def awards() -> Iterator[Row]:
    for pk, name, year, level, revoked_on in AwardRecord.objects.values_list(
        "pk", "recorded_name", "year", "level", "revoked_on"
    ):
        yield Row(
            str(pk),
            f"#{pk}（{name}{year}年度{AwardRecord.Level(level).label}）",
            {"level": level, "year": year, "revoked_on": revoked_on},
        )


def _entered(event: Event) -> list[tuple[str, Mapping[str, Any] | None]]:
    after = event.after if isinstance(event.after, dict) else {}
    if "award" not in after:
        return []
    return [
        (str(after["award"]), {"level": after["level"], "year": after["year"], "revoked_on": None})
    ]


integrity.register(AWARD, awards, {"intake.award_record.add": _entered})
