"""Who holds which role: read once per request and cached on the user object."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models

from lib import tenancy

from .models import (
    STAFF_ROLES,
    Individual,
    Organization,
    RecommendingUnit,
    RegistrationChange,
    Role,
    RoleAssignment,
    User,
)


def scopes_of(user: Any) -> dict[Role, frozenset[int | None]]:
    """Each role the user holds with its scopes: unit ids for reviewers, organization ids for
    applicant contacts, {None} for unscoped roles. One query per request (cached on the user)."""
    return _roles(user)[0]


def programs_of(user: Any) -> dict[Role, frozenset[int]]:
    """Each program-held role (`PROGRAM_ROLES`, and a reviewer's through its unit) with the ids
    of the programs the user holds it in (decision 0030). Same query as `scopes_of`."""
    return _roles(user)[1]


def held_program_ids(user: Any) -> frozenset[int]:
    """Every program the user holds a role in (decision 0030): the switcher's choices."""
    held = _roles(user)[1]
    return frozenset().union(*held.values()) if held else frozenset()


def holds_here(user: Any, role: Role, program_id: int | None = None) -> bool:
    """Whether the user holds a program-held `role` in program `program_id`, else in the
    current program (the one the request or job names; without one, the default program,
    known from the same query: no statement of its own)."""
    if program_id is None:
        program_id = tenancy.known_id()
    if program_id is None:
        return role in _roles(user)[2]
    return program_id in _roles(user)[1].get(role, ())


def works_elsewhere(user: Any) -> bool:
    """Whether the request acts in a program other than the default one by the user's roles
    (known from the roles' query: a program is the default one when a role held in it says
    so). Lets the footer read that program's row only when it is not the default's."""
    known = tenancy.known_id()
    return known is not None and known not in _roles(user)[3] and bool(_roles(user)[1])


_Roles = tuple[
    dict[Role, frozenset[int | None]], dict[Role, frozenset[int]], frozenset[Role], frozenset[int]
]


def _roles(user: Any) -> _Roles:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return {}, {}, frozenset(), frozenset()
    cached = getattr(user, "_qa_roles", None)
    if cached is None:
        scopes: dict[Role, set[int | None]] = {}
        programs: dict[Role, set[int]] = {}
        in_default: set[Role] = set()
        default_ids: set[int] = set()
        rows = RoleAssignment.objects.filter(user=user).values_list(
            "role",
            "recommending_unit_id",
            "organization_id",
            "program_id",
            "recommending_unit__program_id",
            "program__is_default",
            "recommending_unit__program__is_default",
        )
        for role, unit_id, org_id, program_id, unit_program, default, unit_default in rows:
            scopes.setdefault(Role(role), set()).add(unit_id or org_id)
            if program_id or unit_program:
                programs.setdefault(Role(role), set()).add(program_id or unit_program)
            if default or unit_default:
                in_default.add(Role(role))
                default_ids.add(program_id or unit_program)
        cached = (
            {role: frozenset(ids) for role, ids in scopes.items()},
            {role: frozenset(ids) for role, ids in programs.items()},
            frozenset(in_default),
            frozenset(default_ids),
        )
        user._qa_roles = cached
    return cached  # type: ignore[no-any-return]


def roles_of(user: Any) -> frozenset[Role]:
    """The roles an authenticated user holds (any scope); empty for anonymous visitors."""
    return frozenset(scopes_of(user))


def has_role(user: Any, role: Role) -> bool:
    return role in roles_of(user)


def is_staff_member(user: Any) -> bool:
    """Holds a staff role (`STAFF_ROLES`): two factors and password expiry apply."""
    return any(role in STAFF_ROLES for role in roles_of(user))


def program_units() -> models.QuerySet[RecommendingUnit]:
    """The recommending units of the current program (decision 0030): what the Office lists, a
    form offers and an application may name. Another program's units are not offered."""
    return RecommendingUnit.objects.filter(tenancy.current_q())


def users_with_role(role: Role) -> list[User]:
    return list(User.objects.filter(role_assignments__role=role, is_active=True).distinct())


def individual_by_id_number(number: str) -> Individual | None:
    """The individual applicant registered with this 身份证号码 (any case of the X, spaces and
    full-width digits ignored), or None. The one lookup by identity number: the number is
    stored encrypted, so it goes through the blind index (lib/crypto.py)."""
    from lib.crypto import blind_index

    index = blind_index(number, kind="id_number")
    return Individual.objects.filter(id_number_index=index).first() if index else None


def organization_by_uscc(code: str) -> Organization | None:
    """The organization registered with this 统一社会信用代码 (upper-cased, spaces ignored), or
    None: the one lookup by code (registration's clash check)."""
    return Organization.objects.filter(uscc="".join(code.split()).upper()).first()


# --- the history of a registration -----------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class RegistrationChangeRow:
    """One change of a registration as a page shows it: when, by whom, each field before and
    after, in words."""

    at: dt.datetime
    by: str
    fields: list[FieldChange]


def _shown(model: type[models.Model], name: str, value: Any) -> str:
    """A stored value in words: choices by label, flags as 是/否, a GB/T 4754 division by name,
    a unit by its name."""
    from lib import industries

    if value in (None, ""):
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if name == "industry_code":
        return industries.label(str(value)) or str(value)
    if name == "recommending_unit":  # changed by the system administrator only
        found = RecommendingUnit.objects.filter(pk=value).first()
        return str(found) if found else str(value)
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return str(value)
    choices = dict(getattr(field, "choices", None) or [])
    return str(choices.get(value, value))


def _label(model: type[models.Model], name: str) -> str:
    try:
        return str(getattr(model._meta.get_field(name.removesuffix("_id")), "verbose_name", name))
    except FieldDoesNotExist:
        return name


def registration_changes(
    *,
    organization: Organization | None = None,
    individual: Individual | None = None,
    since: dt.datetime | None = None,
) -> list[RegistrationChangeRow]:
    """The changes of an organization's or a person's registration, oldest first, from `since`
    on (the application's submission, for 申报后登记信息变更); one query and one per unit shown."""
    model: type[models.Model] = Organization if organization is not None else Individual
    changes = RegistrationChange.objects.filter(
        organization=organization, individual=individual
    ).select_related("changed_by")
    if since is not None:
        changes = changes.filter(changed_at__gt=since)
    rows = []
    for change in changes:
        who = str(change.changed_by) if change.changed_by else "系统"
        if change.changed_as in Role.values:
            who += f"（{Role(change.changed_as).label}）"
        rows.append(
            RegistrationChangeRow(
                at=change.changed_at,
                by=who,
                fields=[
                    FieldChange(
                        _label(model, name),
                        _shown(model, name.removesuffix("_id"), change.before.get(name)),
                        _shown(model, name.removesuffix("_id"), value),
                    )
                    for name, value in change.after.items()
                ],
            )
        )
    return rows
