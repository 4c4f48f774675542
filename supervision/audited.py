"""What a revocation says of the award, its certificate and the bonus recovered
(`audit.integrity`; the rules are intake's and decision's). Imported by
`SupervisionConfig.ready`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit import integrity
from audit.integrity import Event
from decision.audited import BONUS, CERTIFICATE
from decision.models import BonusEntry
from intake.audited import AWARD

Said = list[tuple[str, Mapping[str, Any] | None]]


def _after(event: Event) -> dict[str, Any]:
    return event.after if isinstance(event.after, dict) else {}


def _revoked_award(event: Event) -> Said:
    return [(event.object_id, {"revoked_on": _after(event).get("on")})]


def _revoked_certificate(event: Event) -> Said:
    return [(event.object_id, {"revoked": True})]


def _recovered(event: Event) -> Said:
    after = _after(event)
    if after.get("recovery_entry") is None:
        return []
    values = {
        "award": int(event.object_id),
        "kind": BonusEntry.Kind.RECOVERY.value,
        "amount": after["recovered"],
        "on": after["on"],
    }
    return [(str(after["recovery_entry"]), values)]


integrity.add_source(AWARD, "supervision.award.revoke", _revoked_award)
integrity.add_source(CERTIFICATE, "supervision.award.revoke", _revoked_certificate)
integrity.add_source(BONUS, "supervision.award.revoke", _recovered)
