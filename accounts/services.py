"""Accounts: creating users and granting roles, audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from audit.services import record
from lib.errors import PermissionDenied, ServiceError

from .models import ADMIN_ROLES, Organization, RecommendingUnit, Role, RoleAssignment, User


def _require(actor: User | None, perm: str) -> None:
    """`actor=None` is the system itself (seed data, self-registration flows)."""
    if actor is not None and not actor.has_perm(perm):
        raise PermissionDenied()


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

    Preconditions: the actor is the system administrator (or the system). Side effects: the
    user row and an `accounts.user.create` audit event.
    """
    _require(actor, "accounts.manage_users")
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
    _require(actor, "accounts.manage_roles")
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


def revoke_role(*, actor: User, assignment: RoleAssignment, reason: str) -> None:
    """Take a role away (the security administrator, with a reason).

    Side effects: the assignment is deleted and an `accounts.role.revoke` audit event keeps
    what it was.
    """
    _require(actor, "accounts.manage_roles")
    if not reason.strip():
        raise ServiceError("撤销角色须填写理由。", fields={"reason": ["请填写理由"]})
    with transaction.atomic():
        deleted, _ = RoleAssignment.objects.filter(pk=assignment.pk).delete()
        if not deleted:
            raise ServiceError(
                "该角色已被撤销（可能已被他人处理）。", code="state_conflict", status=409
            )
        record(
            actor=actor,
            role=Role.SECADMIN,
            action="accounts.role.revoke",
            obj=assignment.user,
            before={
                "role": assignment.role,
                "recommending_unit": assignment.recommending_unit_id,
                "organization": assignment.organization_id,
            },
            reason=reason.strip(),
        )


def locked_usernames() -> QuerySet[Any]:
    """Usernames locked out by django-axes right now (5 failures, 30 minutes)."""
    from axes.models import AccessAttempt

    now = timezone.now()
    recent = now - settings.AXES_COOLOFF_TIME
    return (
        AccessAttempt.objects.filter(failures_since_start__gte=settings.AXES_FAILURE_LIMIT)
        .filter(Q(expiration__expires_at__gt=now) | Q(attempt_time__gte=recent))
        .values_list("username", flat=True)
        .distinct()
    )


def unlock_account(*, actor: User, username: str, reason: str) -> int:
    """Lift a lockout before its 30 minutes are over (the security administrator)."""
    _require(actor, "accounts.manage_roles")
    if not reason.strip():
        raise ServiceError("解锁须填写理由。", fields={"reason": ["请填写理由"]})
    with transaction.atomic():
        removed = axes_reset(username=username)
        user = User.objects.filter(username=username).first()
        record(
            actor=actor,
            role=Role.SECADMIN,
            action="accounts.unlock",
            obj=user,
            after={"username": username, "attempts_removed": removed},
            reason=reason.strip(),
        )
    return removed


def record_login(*, user: User, channel: str) -> None:
    """A successful sign-in, in the audit chain (等级保护 requires security audit of logins)."""
    with transaction.atomic():
        record(
            actor=user, role="self", action="accounts.login", obj=user, after={"channel": channel}
        )


def record_logout(*, user: User | None) -> None:
    if user is None or not user.pk:
        return
    with transaction.atomic():
        record(actor=user, role="self", action="accounts.logout", obj=user)


def record_login_failure(*, username: str, channel: str) -> None:
    """A failed sign-in: the name tried, never the password."""
    with transaction.atomic():
        record(
            actor=None,
            role="anonymous",
            action="accounts.login_failed",
            after={"username": username[:150], "channel": channel},
        )


def token_expiry() -> dt.datetime:
    return timezone.now() + dt.timedelta(hours=settings.API_TOKEN_HOURS)


UNIT_FIELDS = ("name", "kind", "also_known_as", "active")


def save_recommending_unit(
    *,
    actor: User,
    unit: RecommendingUnit | None,
    name: str,
    kind: str,
    also_known_as: str = "",
    active: bool = True,
) -> RecommendingUnit:
    """Add a recommending unit of article 7 or edit one (the Office keeps this list).

    Units are never deleted: applications and reviewers point at them; an old unit is made
    inactive instead. Side effects: the row and an `accounts.unit.add` / `accounts.unit.change`
    audit event with the old and new values.
    """
    _require(actor, "accounts.manage_units")
    name = name.strip()
    clash = RecommendingUnit.objects.filter(name=name)
    if unit is not None:
        clash = clash.exclude(pk=unit.pk)
    if not name or clash.exists():
        raise ServiceError(
            "请填写推荐单位名称。" if not name else f"推荐单位“{name}”已存在。",
            fields={"name": ["名称为空或重复"]},
        )
    with transaction.atomic():
        before = None
        if unit is None:
            unit = RecommendingUnit()
        else:
            unit = RecommendingUnit.objects.select_for_update().get(pk=unit.pk)
            before = {f: getattr(unit, f) for f in UNIT_FIELDS}
        unit.name, unit.kind, unit.also_known_as, unit.active = (
            name,
            kind,
            also_known_as.strip(),
            active,
        )
        try:
            unit.full_clean()
        except ValidationError as exc:
            raise ServiceError("；".join(exc.messages)) from exc
        unit.save()
        record(
            actor=actor,
            role=Role.OFFICE,
            action="accounts.unit.change" if before else "accounts.unit.add",
            obj=unit,
            before=before,
            after={f: getattr(unit, f) for f in UNIT_FIELDS},
        )
    return unit
