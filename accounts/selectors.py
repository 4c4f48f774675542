"""Who holds which role: read once per request and cached on the user object."""

from __future__ import annotations

from typing import Any

from .models import Role, RoleAssignment, User


def scopes_of(user: Any) -> dict[Role, frozenset[int | None]]:
    """Each role the user holds with its scopes: unit ids for reviewers, organization ids for
    applicant contacts, {None} for unscoped roles. One query per request (cached on the user)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return {}
    cached = getattr(user, "_qa_roles", None)
    if cached is None:
        scopes: dict[Role, set[int | None]] = {}
        rows = RoleAssignment.objects.filter(user=user).values_list(
            "role", "recommending_unit_id", "organization_id"
        )
        for role, unit_id, org_id in rows:
            scopes.setdefault(Role(role), set()).add(unit_id or org_id)
        cached = {role: frozenset(ids) for role, ids in scopes.items()}
        user._qa_roles = cached
    return cached


def roles_of(user: Any) -> frozenset[Role]:
    """The roles an authenticated user holds (any scope); empty for anonymous visitors."""
    return frozenset(scopes_of(user))


def has_role(user: Any, role: Role) -> bool:
    return role in roles_of(user)


def users_with_role(role: Role) -> list[User]:
    return list(User.objects.filter(role_assignments__role=role, is_active=True).distinct())
