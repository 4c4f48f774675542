"""The decision's official results as the audit chain carries them (`audit.integrity`): the
entries of the list (level, re-winner, withdrawn), the approvals, the certificates and the
bonus ledger; and what the announcement says of the awards (`intake.audited`). Imported by
`DecisionConfig.ready`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from audit import integrity
from audit.integrity import Event, Row
from intake.audited import AWARD

from .models import Approval, BonusEntry, Certificate, Entry

ENTRY = "拟奖名单条目"
APPROVAL = "审定与批准"
CERTIFICATE = "荣誉证书"
BONUS = "奖金台账条目"

Said = list[tuple[str, Mapping[str, Any] | None]]


def _after(event: Event) -> dict[str, Any]:
    return event.after if isinstance(event.after, dict) else {}


def entries() -> Iterator[Row]:
    # An application is on one list only (its cycle's), so it names its entry.
    for app, name, level, rewinner, withdrawn_at in Entry.objects.values_list(
        "application_id", "recorded_name", "level", "rewinner", "withdrawn_at"
    ):
        values = {"level": level, "rewinner": rewinner, "withdrawn": withdrawn_at is not None}
        yield Row(str(app), f"申报 #{app}（{name}）", values)


def _listed(event: Event) -> Said:
    return [
        (
            str(e["application"]),
            {"level": e["level"], "rewinner": e["rewinner"], "withdrawn": False},
        )
        for e in _after(event).get("entries", [])
    ]


def _withdrawn(event: Event) -> Said:
    after = _after(event)
    if not after.get("withdrawn") or after.get("application") is None:
        return []
    return [(str(after["application"]), {"withdrawn": True})]


def approvals() -> Iterator[Row]:
    for pk, year, body, decided_on, reference in Approval.objects.values_list(
        "pk", "proposal__cycle__year", "body", "decided_on", "reference"
    ):
        yield Row(
            str(pk),
            f"#{pk}（{year}年度{Approval.Body(body).label}）",
            {"body": body, "decided_on": decided_on, "reference": reference},
        )


def _approved(event: Event) -> Said:
    after = _after(event)
    return [(str(after["approval"]), after)] if "approval" in after else []


def certificates() -> Iterator[Row]:
    for award, number, issued_on, revoked_reason in Certificate.objects.values_list(
        "award_id", "number", "issued_on", "revoked_reason"
    ):
        yield Row(
            str(award),
            f"{number}",
            {"number": number, "issued_on": issued_on, "revoked": bool(revoked_reason)},
        )


def bonus_entries() -> Iterator[Row]:
    for pk, award, kind, amount, on in BonusEntry.objects.values_list(
        "pk", "award_id", "kind", "amount", "on"
    ):
        yield Row(
            str(pk),
            f"#{pk}（奖项 #{award}，{BonusEntry.Kind(kind).label}）",
            {"award": award, "kind": kind, "amount": amount, "on": on},
        )


def _bonus_recorded(event: Event) -> Said:
    after = _after(event)
    if "entry" not in after:
        return []
    return [(str(after["entry"]), {"award": int(event.object_id)} | after)]


# The announcement makes the awards, their certificates and the bonuses due.
def _announced_awards(event: Event) -> Said:
    return [
        (str(a["award"]), {"level": a["level"], "year": a["year"], "revoked_on": None})
        for a in _after(event).get("awards", [])
    ]


def _announced_certificates(event: Event) -> Said:
    on = _after(event).get("announced_on")
    return [
        (str(a["award"]), {"number": a["certificate"], "issued_on": on, "revoked": False})
        for a in _after(event).get("awards", [])
    ]


def _announced_bonuses(event: Event) -> Said:
    on = _after(event).get("announced_on")
    return [
        (
            str(a["bonus_entry"]),
            {
                "award": a["award"],
                "kind": BonusEntry.Kind.DUE.value,
                "amount": a["bonus_due"],
                "on": on,
            },
        )
        for a in _after(event).get("awards", [])
        if a.get("bonus_entry") is not None
    ]


integrity.register(
    ENTRY,
    entries,
    {"decision.proposal.save": _listed, "decision.objection.decide": _withdrawn},
)
integrity.register(APPROVAL, approvals, {"decision.approval.record": _approved})
integrity.register(CERTIFICATE, certificates, {"decision.announce": _announced_certificates})
integrity.register(
    BONUS,
    bonus_entries,
    {"decision.announce": _announced_bonuses, "decision.bonus.record": _bonus_recorded},
)
integrity.add_source(AWARD, "decision.announce", _announced_awards)
