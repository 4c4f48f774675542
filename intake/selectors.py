"""Reads for applications, scoped to who asks (views and the API never load by raw id)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import Role
from accounts.selectors import scopes_of
from programs.models import Stage
from programs.selectors import today

from .models import Application, EligibilityResult, State


def applications_for(user: Any) -> QuerySet[Application]:
    """Every application this user may see: their own; their unit's once submitted; all
    submitted ones for the Office and supervisors. Joined for list pages (constant queries)."""
    scopes = scopes_of(user)
    base = Application.objects.select_related(
        "cycle", "organization", "individual", "recommending_unit"
    ).order_by("-created_at")
    if not scopes:
        return base.none()
    visible = Q(pk__in=[])
    if Role.OFFICE in scopes or Role.SUPERVISOR in scopes:
        visible |= ~Q(state=State.DRAFT)
    if Role.RECOMMENDER in scopes:
        visible |= Q(recommending_unit_id__in=scopes[Role.RECOMMENDER]) & ~Q(state=State.DRAFT)
    if Role.APPLICANT in scopes:
        visible |= Q(organization_id__in=scopes[Role.APPLICANT])
    if Role.INDIVIDUAL in scopes:
        visible |= Q(individual__user_id=user.pk)
    return base.filter(visible)


def get_application_for_user(user: Any, public_id: Any) -> Application:
    """The application, or 404 when it does not exist or the user may not know it exists."""
    application = applications_for(user).filter(public_id=public_id).first()
    if application is None:
        raise Http404
    return application


def latest_eligibility(application: Application) -> list[EligibilityResult]:
    return list(application.eligibility.filter(version=application.version).order_by("pk"))


def todos(user: Any) -> list[tuple[str, int, str]]:
    """What waits for this user in 申报推荐 and 资格审查 (for the workbench): label, count, link."""
    scopes = scopes_of(user)
    visible = applications_for(user)
    items = []
    # Only what can still be done: a draft or a returned application only while its window is
    # open (A15.2), a recommendation only until the day before 资格审查 (A15.3). Past those dates
    # the rows stay on the lists, but the workbench no longer calls them work.
    on = today()
    if Role.APPLICANT in scopes or Role.INDIVIDUAL in scopes:
        open_window = visible.filter(
            cycle__stages__stage=Stage.APPLICATION, cycle__stages__ends_on__gte=on
        )
        items.append(
            (
                "待完善或退回修改的申报",
                open_window.filter(state__in=[State.DRAFT, State.RETURNED]).count(),
                "/applications/",
            )
        )
    if Role.RECOMMENDER in scopes:
        pending = visible.filter(
            state=State.SUBMITTED,
            recommending_unit_id__in=scopes[Role.RECOMMENDER],
            cycle__stages__stage=Stage.QUALIFICATION,
            cycle__stages__starts_on__gt=on,
        )
        items.append(("待审核推荐的申报", pending.count(), "/applications/?state=submitted"))
    if Role.OFFICE in scopes:
        items.append(
            (
                "待资格审查的申报",
                visible.filter(state=State.RECOMMENDED).count(),
                "/applications/?state=recommended",
            )
        )
    return items
