"""Who holds which role: read once per request and cached on the user object."""

from __future__ import annotations

from typing import Any

from .models import Role, RoleAssignment, User


def roles_of(user: Any) -> frozenset[Role]:
    """The roles an authenticated user holds (any scope); empty for anonymous visitors."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_qa_roles", None)
    if cached is None:
        cached = frozenset(
            Role(r) for r in RoleAssignment.objects.filter(user=user).values_list("role", flat=True)
        )
        user._qa_roles = cached
    return cached


def has_role(user: Any, role: Role) -> bool:
    return role in roles_of(user)


def users_with_role(role: Role) -> list[User]:
    return list(User.objects.filter(role_assignments__role=role, is_active=True).distinct())
