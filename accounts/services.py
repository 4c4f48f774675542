"""Accounts: creating users and granting roles, audited."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from audit.services import record
from lib.errors import ServiceError

from .models import ADMIN_ROLES, Organization, RecommendingUnit, Role, RoleAssignment, User


def create_user(
    *,
    actor: User | None,
    actor_role: str,
    username: str,
    password: str,
    full_name: str = "",
    email: str = "",
    phone: str = "",
) -> User:
    """Create an account after checking the password rules (8+ chars, 3 classes, no username).

    Side effects: the user row and an `accounts.user.create` audit event.
    """
    if User.objects.filter(username=username).exists():
        raise ServiceError(
            f"用户名“{username}”已被使用。", code="duplicate", fields={"username": ["已被使用"]}
        )
    user = User(username=username, full_name=full_name, email=email, phone=phone)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ServiceError("；".join(exc.messages), fields={"password": exc.messages}) from exc
    user.set_password(password)
    with transaction.atomic():
        user.full_clean()
        user.save()
        record(
            actor=actor,
            role=actor_role,
            action="accounts.user.create",
            obj=user,
            after={"username": username, "full_name": full_name, "email": email},
        )
    return user


def grant_role(
    *,
    actor: User | None,
    actor_role: str,
    user: User,
    role: Role,
    recommending_unit: RecommendingUnit | None = None,
    organization: Organization | None = None,
    reason: str = "",
) -> RoleAssignment:
    """Give `user` a role, scoped where the role needs it.

    Preconditions: a recommending-unit reviewer names a unit, an applicant contact an
    organization; nobody holds two of the three administrator roles (also a database
    constraint, so a race cannot slip past this check). Side effects: the assignment and an
    `accounts.role.grant` audit event.
    """
    if RoleAssignment.objects.filter(
        user=user, role=role, recommending_unit=recommending_unit, organization=organization
    ).exists():
        raise ServiceError(f"{user}已具有此角色。", code="duplicate")
    if role in ADMIN_ROLES:
        held = RoleAssignment.objects.filter(user=user, role__in=ADMIN_ROLES).exclude(role=role)
        if held.exists():
            other = Role(held.first().role).label  # type: ignore[union-attr]  # exists() above
            raise ServiceError(
                f"{user}已担任{other}；系统管理员、安全管理员、审计管理员三者不得由同一人兼任。",
                code="separation_of_duties",
            )
    assignment = RoleAssignment(
        user=user, role=role, recommending_unit=recommending_unit, organization=organization
    )
    try:
        assignment.full_clean()
    except ValidationError as exc:
        raise ServiceError("；".join(exc.messages), code="invalid_role") from exc
    try:
        with transaction.atomic():
            assignment.save()
            record(
                actor=actor,
                role=actor_role,
                action="accounts.role.grant",
                obj=user,
                after={
                    "role": role.value,
                    "recommending_unit": recommending_unit.pk if recommending_unit else None,
                    "organization": organization.pk if organization else None,
                },
                reason=reason,
            )
    except IntegrityError as exc:
        raise ServiceError("该角色已授予，或违反三员分立。", code="duplicate") from exc
    user.__dict__.pop("_qa_roles", None)
    return assignment
