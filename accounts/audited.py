"""What accounts gives `audit`: the role grants as the audit chain carries them
(`audit.integrity`), and the supervisors who receive every checkpoint of the chain
(`audit.anchors`). Imported by `AccountsConfig.ready`: audit cannot import accounts."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.urls import reverse

from audit import anchors, integrity
from audit.integrity import Event, Row

from .models import Role, RoleAssignment, User

ROLE_GRANT = "角色授予"


def role_grants() -> Iterator[Row]:
    for pk, user, username, role, unit, organization in RoleAssignment.objects.values_list(
        "pk", "user_id", "user__username", "role", "recommending_unit_id", "organization_id"
    ):
        yield Row(
            str(pk),
            f"#{pk}（{username}：{Role(role).label}）",
            {"user": user, "role": role, "recommending_unit": unit, "organization": organization},
        )


def _granted(event: Event) -> list[tuple[str, Mapping[str, Any] | None]]:
    after = event.after if isinstance(event.after, dict) else {}
    if "assignment" not in after:
        return []  # written before grants carried their row
    return [(str(after["assignment"]), {"user": int(event.object_id)} | after)]


def _contact_added(event: Event) -> list[tuple[str, Mapping[str, Any] | None]]:
    after = event.after if isinstance(event.after, dict) else {}
    if "assignment" not in after:
        return []
    values = {
        "user": after["user"],
        "role": after["role"],
        "recommending_unit": None,
        "organization": int(event.object_id),
    }
    return [(str(after["assignment"]), values)]


def _revoked(event: Event) -> list[tuple[str, Mapping[str, Any] | None]]:
    before = event.before if isinstance(event.before, dict) else {}
    return [(str(before["assignment"]), None)] if "assignment" in before else []


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
