"""Accounts: creating users and granting roles, audited."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, TypeVar

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from audit.services import record
from lib import tenancy
from lib.errors import PermissionDenied, ServiceError
from lib.fields import masked

from .models import (
    ADMIN_ROLES,
    PROGRAM_ROLES,
    Individual,
    Notification,
    Organization,
    RecommendingUnit,
    RegistrationChange,
    Role,
    RoleAssignment,
    User,
)

logger = logging.getLogger(__name__)


def _require(actor: User | None, perm: str, obj: Any = None) -> None:
    """`actor=None` is the system itself (seed data, self-registration flows)."""
    if actor is not None and not actor.has_perm(perm, obj):
        raise PermissionDenied()


def _checked_identity(username: str, phone: str) -> tuple[str, str]:
    """The username rule (accounts.validators) and the phone's written form (lib.phone), or a
    ServiceError naming the field: the same checks as the forms, for every other caller."""
    from lib import phone as phones

    from .validators import username_problem

    problem = username_problem(username)
    if problem:
        raise ServiceError(problem, code="invalid_username", fields={"username": [problem]})
    if not phone:
        return username, ""
    try:
        return username, phones.validate_phone(phone)
    except phones.InvalidPhone as exc:
        raise ServiceError(
            f"{exc}。", code="invalid_phone", fields={"phone": [f"{exc}。"]}
        ) from exc


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
    user row and an `accounts.user.create` audit event. An account created by an actor (not
    the system: seed data, self-registration) must change its password at first sign-in.
    """
    _require(actor, "accounts.manage_users")
    username, phone = _checked_identity(username, phone)
    if User.objects.filter(username=username).exists():
        raise ServiceError(
            f"用户名“{username}”已被使用。", code="duplicate", fields={"username": ["已被使用"]}
        )
    # An account made by someone else (the system administrator) starts with a password its
    # owner did not choose: changed at first sign-in (accounts.password_gate).
    user = User(
        username=username,
        full_name=full_name,
        email=email,
        phone=phone,
        must_change_password=actor is not None,
    )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ServiceError("；".join(exc.messages), fields={"password": exc.messages}) from exc
    user.set_password(password)
    try:
        user.full_clean()
    except ValidationError as exc:  # an address or a name the model refuses: a 400, never a 500
        raise ServiceError("；".join(exc.messages), fields=exc.message_dict) from exc
    with transaction.atomic():
        user.save()
        record(
            actor=actor,
            role=actor_role,
            action="accounts.user.create",
            obj=user,
            after={
                "username": username,
                "full_name": full_name,
                "email": masked(email, kind="email"),  # encrypted at rest: never whole here
                "must_change_password": user.must_change_password,
            },
        )
    return user


SEPARATION_RULE = (
    "系统管理员、安全管理员、审计管理员三者不得由同一人兼任，也不得兼任任何业务角色（三员分立）。"
)


def separation_refusal(user: User, role: Role | str) -> str:
    """Why `role` cannot join the roles `user` holds (三员分立), or "" when it can.

    An administrator role (系统管理员, 安全管理员, 审计管理员) is the only role of its holder: no
    second administrator role, no business role; and a business role is not granted to the
    holder of an administrator role.
    """
    held = {
        Role(r) for r in RoleAssignment.objects.filter(user=user).values_list("role", flat=True)
    }
    held.discard(Role(role))
    if not held:
        return ""
    admin_held = [r for r in held if r in ADMIN_ROLES]
    if Role(role) in ADMIN_ROLES:
        other = "、".join(str(r.label) for r in sorted(held))
        return f"{user}已担任{other}，不能再担任{Role(role).label}：{SEPARATION_RULE}"
    if admin_held:
        return f"{user}已担任{admin_held[0].label}，不能再担任{Role(role).label}：{SEPARATION_RULE}"
    return ""


def grant_role(
    *,
    actor: User | None,
    actor_role: str,
    user: User,
    role: Role,
    recommending_unit: RecommendingUnit | None = None,
    organization: Organization | None = None,
    program: Any = None,
    reason: str = "",
) -> RoleAssignment:
    """Give `user` a role, scoped where the role needs it.

    Preconditions: a recommending-unit reviewer names a unit, an applicant contact an
    organization; nobody grants a role to themselves (also a database constraint on
    `granted_by`); an administrator role is its holder's only role (`separation_refusal`; two
    administrator roles are also refused by a database constraint, so a race cannot slip past).
    Side effects: the assignment and an `accounts.role.grant` audit event.
    """
    _require(actor, "accounts.manage_roles")
    if role in PROGRAM_ROLES and program is None:
        program = tenancy.current()  # the program the granting request acts in
    elif role not in PROGRAM_ROLES:
        program = None
    if RoleAssignment.objects.filter(
        user=user,
        role=role,
        recommending_unit=recommending_unit,
        organization=organization,
        program=program,
    ).exists():
        raise ServiceError(f"{user}已具有此角色。", code="duplicate")
    refusal = (
        "不得为自己授予角色（三员分立：授权须由他人进行）。"
        if actor is not None and actor.pk == user.pk
        else separation_refusal(user, role)
    )
    if refusal:
        if actor is not None:
            # The attempt stays in the trail (a caller that rolls back its own transaction on
            # the refusal takes the event with it; the pages and the API do not).
            with transaction.atomic():
                record(
                    actor=actor,
                    role=actor_role,
                    action="accounts.role.grant_refused",
                    obj=user,
                    after={"role": Role(role).value},
                    reason=refusal,
                )
        raise ServiceError(refusal, code="separation_of_duties")
    assignment = RoleAssignment(
        user=user,
        role=role,
        recommending_unit=recommending_unit,
        organization=organization,
        program=program,
        granted_by=actor,
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
                    "assignment": assignment.pk,
                    "role": role.value,
                    "recommending_unit": recommending_unit.pk if recommending_unit else None,
                    "organization": organization.pk if organization else None,
                    **({"program": program.pk} if program else {}),
                },
                reason=reason,
            )
    except IntegrityError as exc:
        raise ServiceError("该角色已授予，或违反三员分立。", code="duplicate") from exc
    user.__dict__.pop("_qa_roles", None)
    return assignment


def change_own_password(
    *, user: User, old_password: str, new_password: str, keep_token_hash: str = ""
) -> None:
    """The signed-in person changes their own password (the page and `POST /api/v1/auth/password`).

    Preconditions: the current password is right; the new one passes the password rules and
    differs from the old. Side effects: the hash, `must_change_password` cleared, the
    `accounts.password.change` event written by `User.save` (who, never the hash), and every API
    token of the user revoked (`accounts.token.revoke` each) but the one the change was made
    with (`keep_token_hash`, by the API): a token stolen with the old password dies with it.
    The caller keeps the web session (`update_session_auth_hash`).
    """
    if not user.check_password(old_password):
        raise ServiceError(
            "当前密码不正确。", code="bad_credentials", fields={"old_password": ["当前密码不正确"]}
        )
    if old_password == new_password:
        raise ServiceError(
            "新密码不能与当前密码相同。", fields={"new_password": ["不能与当前密码相同"]}
        )
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ServiceError("；".join(exc.messages), fields={"new_password": exc.messages}) from exc
    with transaction.atomic():
        user.set_password(new_password)
        user._qa_changed_by = user  # type: ignore[attr-defined]  # read by User.save's event
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        from .tokens import revoke_tokens

        revoke_tokens(actor=user, user=user, reason="修改密码", keep_hash=keep_token_hash)


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
                "assignment": assignment.pk,
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
    # A unit is its program's (decision 0030): a new one joins the program the Office acts in.
    program_id = unit.program_id if unit is not None else tenancy.current_id()
    if program_id is None:
        raise ServiceError("尚未设立任何奖项，不能添加推荐单位。")
    clash = RecommendingUnit.objects.filter(program_id=program_id, name=name)
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
            unit = RecommendingUnit(program_id=program_id)
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


def notify(*, users: Iterable[User], subject: str, body: str, url: str = "") -> None:
    """Put a message in each user's inbox and email it once the transaction commits.

    Called inside the service's transaction: if the change rolls back, no message exists and no
    email leaves. One message of `notify_each`.
    """
    notify_each([(users, subject, body, url)])


def notify_each(messages: Iterable[tuple[Iterable[User], str, str, str]]) -> None:
    """`notify` for many messages at once (users, subject, body, url): one inbox insert, and one
    "mail.send" background job per message that has addresses, all queued with one more insert
    (accounts/jobs.py; issue 17). The mail leaves after the commit, from a worker, retried when
    the server is down; a failure for good shows on the Office's job list. One job per message
    (not per batch): a retry sends again only what failed."""
    from .jobs import mail_item, queue_mails

    rows = []
    mails = []
    for users, subject, body, url in messages:
        recipients = [u for u in users if u.is_active]
        rows += [Notification(user=u, subject=subject, body=body, url=url) for u in recipients]
        addresses = [u.email for u in recipients if u.email]
        if addresses:
            text = f"{body}\n\n{settings.SITE_URL}{url}" if url else body
            mails.append(mail_item(subject, text, addresses))
    Notification.objects.bulk_create(rows)
    queue_mails(mails)


def mark_notifications_read(*, user: User) -> int:
    """Mark the user's unread messages read (not audited: reading one's mail is not an act)."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


ORGANIZATION_PROFILE = (
    "name",
    "registered_address",
    "industry_code",
    "established_on",
    "legal_representative",
    "is_construction",
    "is_industrial",
    "environmental_rating",
    "chief_quality_officer",
)


def update_organization(*, actor: User, organization: Organization, **changes: Any) -> Organization:
    """An organization's contact keeps its registration up to date (the 统一社会信用代码 and the
    town are fixed: a change of either is a new registration or the Office's business).

    Applications already submitted keep what they froze; the next submission reads the new
    facts. Side effects: the row and an `accounts.organization.update` event with the changes.
    """
    from lib import industries

    _require(actor, "accounts.edit_organization", organization)
    unknown = set(changes) - set(ORGANIZATION_PROFILE)
    if unknown:
        raise ServiceError(f"不能修改：{'、'.join(sorted(unknown))}。")
    if changes.get("industry_code") and changes["industry_code"] not in industries.divisions():
        raise ServiceError("请选择GB/T 4754-2017的行业大类。", fields={"industry_code": ["无效"]})
    if changes.get("established_on") and changes["established_on"] > timezone.localdate():
        raise ServiceError("成立日期不能晚于今天。", fields={"established_on": ["晚于今天"]})
    return _update_registration(
        actor=actor,
        role=Role.APPLICANT,
        action="accounts.organization.update",
        subject=organization,
        changes=changes,
    )


INDIVIDUAL_PROFILE = ("name", "employer_name", "position", "quality_work_years")


def update_individual(*, actor: User, individual: Individual, **changes: Any) -> Individual:
    """A person keeps their registration up to date (the 身份证 number and the recommending
    unit are fixed: a change of either is the Office's business).

    Like an organization's: applications already submitted keep what they froze, the public
    records their names (`intake.models.RecordedHolder`), and the change joins the history.
    Side effects: the row, its `RegistrationChange` and an `accounts.individual.update` event.
    """
    _require(actor, "accounts.edit_individual", individual)
    unknown = set(changes) - set(INDIVIDUAL_PROFILE)
    if unknown:
        raise ServiceError(f"不能修改：{'、'.join(sorted(unknown))}。")
    if "position" in changes and changes["position"] not in Individual.Position.values:
        raise ServiceError("请选择身份。", fields={"position": ["请选择身份。"]})
    years = changes.get("quality_work_years")
    if years is not None and not 0 <= years <= 70:
        raise ServiceError("年限应在0至70之间。", fields={"quality_work_years": ["超出范围"]})
    return _update_registration(
        actor=actor,
        role=Role.INDIVIDUAL,
        action="accounts.individual.update",
        subject=individual,
        changes=changes,
    )


_Registration = TypeVar("_Registration", Organization, Individual)


def _update_registration(
    *, actor: User, role: str, action: str, subject: _Registration, changes: dict[str, Any]
) -> _Registration:
    """The one way a registration (an organization's or a person's) changes: the row locked,
    text trimmed, only the fields whose value differs saved, validated by the model, its
    `RegistrationChange` kept and the audit event `action` written, all in one transaction.
    Nothing is written when nothing differs."""
    with transaction.atomic():
        row = type(subject).objects.select_for_update().get(pk=subject.pk)
        cleaned = {k: v.strip() if isinstance(v, str) else v for k, v in changes.items()}
        before = {f: getattr(row, f) for f in cleaned if getattr(row, f) != cleaned[f]}
        if not before:
            return row
        for name in before:
            setattr(row, name, cleaned[name])
        try:
            row.full_clean()
        except ValidationError as exc:
            raise ServiceError("；".join(exc.messages), fields=exc.message_dict) from exc
        row.save(update_fields=list(before))
        after = {f: getattr(row, f) for f in before}
        note_registration_change(
            actor=actor,
            role=role,
            before=before,
            after=after,
            organization=row if isinstance(row, Organization) else None,
            individual=row if isinstance(row, Individual) else None,
        )
        record(actor=actor, role=role, action=action, obj=row, before=before, after=after)
    return row


def note_registration_change(
    *,
    actor: User | None,
    role: str,
    before: dict[str, Any],
    after: dict[str, Any],
    organization: Organization | None = None,
    individual: Individual | None = None,
) -> RegistrationChange | None:
    """Keep one change of a registration in its history (`RegistrationChange`), inside the
    caller's transaction, beside the caller's audit event: the Office reads it on the
    application page (申报后登记信息变更) and the organization's page. Only the fields whose value
    changed are kept; nothing is written when none did."""
    from audit.services import jsonable

    changed = [f for f in after if before.get(f) != after[f]]
    if not changed:
        return None
    return RegistrationChange.objects.create(
        organization=organization,
        individual=individual,
        before=jsonable({f: before.get(f) for f in changed}),
        after=jsonable({f: after[f] for f in changed}),
        changed_at=timezone.now(),
        changed_by=actor,
        changed_as=role,
    )


def add_contact(
    *,
    actor: User,
    organization: Organization,
    username: str,
    password: str,
    full_name: str,
    email: str = "",
    phone: str = "",
) -> User:
    """A contact of an organization adds a colleague as another contact (申报联系人).

    The colleague's first password was typed by someone else (the contact): it is changed at
    the colleague's first sign-in (`must_change_password`, accounts.password_gate)."""
    _require(actor, "accounts.edit_organization", organization)
    with transaction.atomic():
        user = create_user(
            actor=None,
            actor_role=Role.APPLICANT,
            username=username,
            password=password,
            full_name=full_name,
            email=email,
            phone=phone,
        )
        User.objects.filter(pk=user.pk).update(must_change_password=True)
        user.must_change_password = True
        assignment = RoleAssignment.objects.create(
            user=user, role=Role.APPLICANT, organization=organization
        )
        record(
            actor=actor,
            role=Role.APPLICANT,
            action="accounts.organization.add_contact",
            obj=organization,
            # The role granted, as `accounts.role.grant` carries it (audit_verify --state).
            after={
                "username": username,
                "full_name": full_name,
                "assignment": assignment.pk,
                "user": user.pk,
                "role": Role.APPLICANT.value,
                "must_change_password": True,
            },
        )
    return user


def reveal_id_number(*, actor: User, individual: Individual, reason: str = "") -> str:
    """The full 身份证 number, for Office staff allowed to see it; every view is audited."""
    _require(actor, "accounts.reveal_id_number")
    with transaction.atomic():
        record(
            actor=actor,
            role=Role.OFFICE,
            action="accounts.individual.reveal_id",
            obj=individual,
            reason=reason,
        )
    return individual.id_number


def applicant_users(
    *, organization: Organization | None = None, individual: Individual | None = None
) -> list[User]:
    """Who speaks for an applicant: the organization's contacts, or the person."""
    if individual is not None:
        return [individual.user]
    return list(
        User.objects.filter(
            role_assignments__role=Role.APPLICANT, role_assignments__organization=organization
        )
    )


def unit_reviewers(unit: RecommendingUnit) -> list[User]:
    return list(
        User.objects.filter(
            role_assignments__role=Role.RECOMMENDER, role_assignments__recommending_unit=unit
        )
    )
