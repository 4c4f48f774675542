"""Permission predicates (django-rules). Views and the API ask `user.has_perm(...)`.

Object-scoped predicates (an applicant's own application, a unit's jurisdiction, an expert's
assignments) are added by the apps that own those objects.
"""

from __future__ import annotations

from typing import Any

import rules

from lib import tenancy

from .models import PROGRAM_ROLES, Role
from .selectors import has_role, holds_here, programs_of, scopes_of

# Roles whose holder acts within a program: its own roles, and a reviewer's through its unit.
_HELD_IN_PROGRAM = (*PROGRAM_ROLES, Role.RECOMMENDER)


def _role(role: Role) -> Any:
    """Holds `role`; for a role held in a program, in the program of the object asked about
    (lib.tenancy.program_id_of) or, without an object or for an object of no program, in the
    current program. So every `has_perm(perm, application)` asks "in which program" here, in one
    place, and a clerk of 如皋 holds nothing over 示例市's rows (decision 0030)."""
    if role not in _HELD_IN_PROGRAM:

        @rules.predicate(name=f"has_role_{role.value}")
        def predicate(user: Any) -> bool:
            return has_role(user, role)

        return predicate

    @rules.predicate(name=f"has_role_{role.value}")
    def held_in_program(user: Any, obj: Any = None) -> bool:
        if not programs_of(user).get(role):
            return False
        return holds_here(user, role, tenancy.program_id_of(obj))

    return held_in_program


is_applicant = _role(Role.APPLICANT)
is_individual = _role(Role.INDIVIDUAL)
is_recommender = _role(Role.RECOMMENDER)
is_office = _role(Role.OFFICE)
is_expert = _role(Role.EXPERT)
is_supervisor = _role(Role.SUPERVISOR)
is_committee = _role(Role.COMMITTEE)
is_sysadmin = _role(Role.SYSADMIN)
is_secadmin = _role(Role.SECADMIN)
is_auditadmin = _role(Role.AUDITADMIN)
is_province = _role(Role.PROVINCE)

# Office work: cycles, their dates and calls, the working-day calendar.
rules.add_perm("programs.manage_cycle", is_office)
rules.add_perm("programs.manage_calendar", is_office)
# The Measures (办法与参数): read on the Office's page, revised by loading a pack (issue 18).
rules.add_perm("programs.view_policy", is_office)
rules.add_perm("programs.manage_policy", is_office)
# The provincial administrator's comparison of the programs within its region (issue 18 part 4).
rules.add_perm("programs.view_province", is_province)


@rules.predicate
def is_contact_of(user: Any, organization: Any) -> bool:
    """A contact (申报组织联系人) of this organization."""
    return organization is not None and organization.pk in scopes_of(user).get(
        Role.APPLICANT, frozenset()
    )


# An organization's contacts keep its registration and add colleagues.
rules.add_perm("accounts.edit_organization", is_contact_of)


@rules.predicate
def is_the_person(user: Any, individual: Any) -> bool:
    """The individual applicant's own account."""
    return individual is not None and is_individual(user) and individual.user_id == user.pk


# A person keeps their own registration (name, employer, position, years).
rules.add_perm("accounts.edit_individual", is_the_person)
# The full 身份证 number of an individual applicant or expert: Office staff only, each view
# audited (accounts.services.reveal_id_number).
rules.add_perm("accounts.reveal_id_number", is_office)
# The expert pool, conflicts and groups are the Office's (A6.2, A17.1).
rules.add_perm("experts.manage_pool", is_office)
# The recommending units of article 7 are the Office's list.
rules.add_perm("accounts.manage_units", is_office)
# Reading the audit trail: the audit administrator and the discipline supervisors (A27.1).
rules.add_perm("audit.view_trail", is_auditadmin | is_supervisor)
# Every program's events: the audit administrator (the deployment's); a program's supervisors
# read their program's (decision 0030).
rules.add_perm("audit.view_all_programs", is_auditadmin)
# Writing a checkpoint of the audit chain on demand: the audit administrator.
rules.add_perm("audit.write_anchor", is_auditadmin)
# The Django admin belongs to the system administrator alone.
rules.add_perm("accounts.use_admin", is_sysadmin)
# Accounts are the system administrator's; roles and lockouts the security administrator's
# (三员分立).
rules.add_perm("accounts.manage_users", is_sysadmin)
rules.add_perm("accounts.manage_roles", is_secadmin)


@rules.predicate
def owns_token(user: Any, token: Any) -> bool:
    """The account an API token belongs to."""
    return token is not None and token.user_id == user.pk


# API tokens: each owner lists and revokes their own; the security administrator any user's
# (issue 15, part 4).
rules.add_perm("accounts.revoke_token", owns_token | is_secadmin)
rules.add_perm("accounts.manage_tokens", is_secadmin)
