"""Reads for the user's desk: the workbench's to-do list and the header's winner link.

The desk sits above every stage (docs/architecture.md), so it names each stage's
`selectors.todos` here instead of finding them by module name: a new stage's list is one more
line below, and the import contract sees every dependency.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from accounts.models import Role, RoleAssignment
from accounts.selectors import scopes_of
from decision import selectors as decision
from experts import selectors as experts
from intake import selectors as intake
from intake.models import AwardRecord
from review import selectors as review
from supervision import selectors as supervision

Todo = tuple[str, int, str]

# In the order of the year's work.
_STAGES = (intake, experts, review, decision, supervision)


def todos(user: Any) -> list[Todo]:
    """What waits for this user across the stages: label, count, link."""
    items: list[Todo] = []
    for stage in _STAGES:
        items += stage.todos(user)
    return items


def assignments_of(user: Any) -> QuerySet[RoleAssignment]:
    """The user's roles with their scopes' names, for the workbench's greeting."""
    return RoleAssignment.objects.filter(user=user.pk).select_related(
        "recommending_unit", "organization", "program"
    )


def is_winner(user: Any, roles: frozenset[Role]) -> bool:
    """An applicant contact whose organization, or an individual who, holds an award (one
    query, for applicants only): their 我的获奖 page shows the duty to report (A23.1)."""
    if not roles & {Role.APPLICANT, Role.INDIVIDUAL}:
        return False
    organizations = scopes_of(user).get(Role.APPLICANT, frozenset())
    return AwardRecord.objects.filter(
        Q(organization_id__in=organizations) | Q(individual__user=user)
    ).exists()
