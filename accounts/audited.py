"""What accounts gives `audit`: the role grants as the audit chain carries them
(`audit.integrity`), and the supervisors who receive every checkpoint of the chain
(`audit.anchors`). Imported by `AccountsConfig.ready`: audit cannot import accounts."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.apps import apps
from django.urls import reverse

from audit import anchors, integrity
from audit.integrity import Event, Row

from .models import PROGRAM_ROLES, Role, RoleAssignment, User

ROLE_GRANT = "角色授予"


def _key(user: Any, role: Any, unit: Any, organization: Any) -> str:
    """A grant is its user, role and scope (unique): events written before grants named their
    row map as well as new ones."""
    return f"{user}:{role}:{unit or ''}:{organization or ''}"


def role_grants() -> Iterator[Row]:
    rows = RoleAssignment.objects.values_list(
        "pk",
        "user_id",
        "user__username",
        "role",
        "recommending_unit_id",
        "organization_id",
        "program_id",
    )
    for pk, user, username, role, unit, organization, program in rows:
        yield Row(
            _key(user, role, unit, organization),
            f"#{pk}（{username}：{Role(role).label}）",
            {"role": role, "program": program},
        )


def _program_granted(after: Mapping[str, Any]) -> Any:
    """The program a grant names; a grant of an Office, supervisor or committee role written
    before roles were held in programs (decision 0030) was the default program's, where the
    migration put its row."""
    if "program" in after or after.get("role") not in {r.value for r in PROGRAM_ROLES}:
        return after.get("program")
    model = apps.get_model("programs", "AwardProgram")
    return model.objects.filter(is_default=True).values_list("pk", flat=True).first()


def _scope(event: Event, values: Any) -> str:
    values = values if isinstance(values, dict) else {}
    return _key(
        event.object_id,
        values.get("role"),
        values.get("recommending_unit"),
        values.get("organization"),
    )


def _granted(event: Event) -> list[tuple[str, Mapping[str, Any] | None]]:
    after = event.after if isinstance(event.after, dict) else {}
    return [(_scope(event, after), {"role": after.get("role"), "program": _program_granted(after)})]


def _contact_added(event: Event) -> list[tuple[str, Mapping[str, Any] | None]]:
    after = event.after if isinstance(event.after, dict) else {}
    if "user" not in after:
        return []  # written before the event named the contact's account
    role = after.get("role", Role.APPLICANT.value)
    return [(_key(after["user"], role, None, event.object_id), {"role": role, "program": None})]


def _revoked(event: Event) -> list[tuple[str, Mapping[str, Any] | None]]:
    return [(_scope(event, event.before), None)]


def tell_supervisors(checkpoint: anchors.Checkpoint) -> None:
    """Every supervisor receives the checkpoint (inbox and e-mail on commit), so a copy of it
    lives outside the system's own storage too."""
    from .services import notify

    supervisors = User.objects.filter(role_assignments__role=Role.SUPERVISOR).distinct()
    notify(
        users=supervisors,
        subject=f"审计链检查点：第 {checkpoint.seq} 号事件",
        body=(
            f"系统已写入审计链检查点，请留存本邮件以备核对。\n"
            f"时间（UTC）：{checkpoint.at}\n事件序号：{checkpoint.seq}\n"
            f"事件总数：{checkpoint.count}\n链头哈希（SM3）：{checkpoint.hash}\n"
            f"签名（HMAC-SM3）：{checkpoint.mac}"
        ),
        url=reverse("audit:trail"),
    )


integrity.register(
    ROLE_GRANT,
    role_grants,
    {
        "accounts.role.grant": _granted,
        "accounts.organization.add_contact": _contact_added,
        "accounts.role.revoke": _revoked,
    },
)
anchors.register_announcer(tell_supervisors)
