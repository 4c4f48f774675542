"""Who may see and act on an application (django-rules predicates, STYLE.md 4)."""

from __future__ import annotations

from typing import Any

import rules

from accounts.models import Role
from accounts.rules import is_office, is_supervisor
from accounts.selectors import scopes_of

from .models import Application, State


@rules.predicate
def is_own_application(user: Any, application: Application | None) -> bool:
    if application is None:
        return False
    scopes = scopes_of(user)
    if application.organization_id is not None:
        return application.organization_id in scopes.get(Role.APPLICANT, frozenset())
    individual = application.individual
    return Role.INDIVIDUAL in scopes and individual is not None and individual.user_id == user.pk


@rules.predicate
def is_unit_reviewer(user: Any, application: Application | None) -> bool:
    """A reviewer of the recommending unit whose jurisdiction the application is in (A7.1)."""
    if application is None:
        return False
    return application.recommending_unit_id in scopes_of(user).get(Role.RECOMMENDER, frozenset())


@rules.predicate
def is_past_draft(user: Any, application: Application | None) -> bool:
    return application is not None and application.state != State.DRAFT


rules.add_perm(
    "intake.view_application",
    is_own_application | ((is_unit_reviewer | is_office | is_supervisor) & is_past_draft),
)
rules.add_perm("intake.edit_application", is_own_application)
rules.add_perm("intake.recommend_application", is_unit_reviewer)
rules.add_perm("intake.decide_application", is_office)
