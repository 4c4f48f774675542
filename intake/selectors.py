"""Reads for applications, scoped to who asks (views and the API never load by raw id)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from accounts.models import Individual, Organization, RecommendingUnit, Role
from accounts.selectors import scopes_of
from programs.models import Cycle, Stage
from programs.selectors import today

from . import workflow
from .models import (
    Application,
    ApplicationVersion,
    Attachment,
    EligibilityResult,
    Kind,
    QualificationDecision,
    Recommendation,
    State,
)


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
    # The cycle's stage dates come with it: the workflow windows and 办件进度 read them (once,
    # not once per action).
    application = (
        applications_for(user).filter(public_id=public_id).prefetch_related("cycle__stages").first()
    )
    if application is None:
        raise Http404
    return application


def latest_eligibility(application: Application) -> list[EligibilityResult]:
    return list(application.eligibility.filter(version=application.version).order_by("pk"))


# The states in which the applicant keeps its 评审反馈报告 (A28.1): from evaluation on, for good.
FEEDBACK_STATES = frozenset(
    {
        State.EVALUATED,
        State.PROPOSED,
        State.IN_NOTICE,
        State.AWARDED,
        State.NOT_AWARDED,
        State.REVOKED,
    }
)

# Where each state stands among the stages of article 11 (the stage it is in, or waits for).
STAGE_OF: dict[State, Stage] = {
    State.DRAFT: Stage.APPLICATION,
    State.SUBMITTED: Stage.APPLICATION,
    State.RETURNED: Stage.APPLICATION,
    State.RECOMMENDED: Stage.QUALIFICATION,
    State.ACCEPTED: Stage.MATERIAL_REVIEW,
    State.MATERIAL_REVIEW: Stage.MATERIAL_REVIEW,
    State.SITE_REVIEW: Stage.SITE_REVIEW,
    State.EVALUATED: Stage.COMMITTEE_REVIEW,
    State.PROPOSED: Stage.NOTICE,
    State.IN_NOTICE: Stage.NOTICE,
}
# The stage whose outcome each action records.
ACTION_STAGE: dict[str, Stage] = {
    "submit": Stage.APPLICATION,
    "return": Stage.APPLICATION,
    "recommend": Stage.APPLICATION,
    "office_return": Stage.QUALIFICATION,
    "accept": Stage.QUALIFICATION,
    "not_accept": Stage.QUALIFICATION,
    "correct_to_accepted": Stage.QUALIFICATION,
    "correct_to_not_accepted": Stage.QUALIFICATION,
    "lapse": Stage.QUALIFICATION,
    "start_material_review": Stage.MATERIAL_REVIEW,
    "start_site_review": Stage.SITE_REVIEW,
    "evaluate": Stage.EVALUATION,
    "propose": Stage.COMMITTEE_REVIEW,
    "notice": Stage.NOTICE,
    "award": Stage.APPROVAL,
    "not_award": Stage.APPROVAL,
}


@dataclass(frozen=True)
class Event:
    """One thing that happened to the application, in the workflow table's words."""

    at: dt.datetime
    action: str
    label: str


@dataclass(frozen=True)
class ProgressStep:
    """One stage of the application's year: its dates, where the application is, what happened."""

    stage: Stage
    starts_on: dt.date | None
    ends_on: dt.date | None
    status: str  # done | current | overdue | upcoming | skipped (stopped before it)
    events: list[Event]


@dataclass(frozen=True)
class Progress:
    steps: list[ProgressStep]
    after: list[Event]  # withdrawn, disqualified, revoked: outside the stages


def progress(application: Application) -> Progress:
    """办件进度: each stage of article 11 with its dates, where the application stands and what
    happened in it (from the `StateChange` rows: two queries). Individuals skip 现场评审 (A10.3)."""
    changes = [
        Event(c.at, c.action, workflow.TABLE[c.action].label)
        for c in application.state_changes.order_by("at", "pk")
    ]
    dates = {Stage(s.stage): s for s in application.cycle.stages.all()}
    stages = [
        s
        for s in Stage.ordered()
        if not (s == Stage.SITE_REVIEW and application.kind == Kind.INDIVIDUAL)
    ]
    state = State(application.state)
    finished = state in {State.AWARDED, State.NOT_AWARDED, State.REVOKED}
    stopped_after = 0
    if state in STAGE_OF:
        current: int | None = stages.index(STAGE_OF[state])
    elif finished:
        current = len(stages)
    else:  # stopped: not accepted, lapsed, withdrawn, disqualified
        reached = [
            stages.index(ACTION_STAGE[c.action]) for c in changes if c.action in ACTION_STAGE
        ]
        current = None
        stopped_after = max(reached, default=0)
    # Past its step's deadline nothing more can happen until the Office closes it (`lapse`).
    late = current is not None and workflow.is_overdue(application)
    steps = []
    for i, stage in enumerate(stages):
        if current is None:
            status = "done" if i <= stopped_after else "skipped"
        elif late:
            status = "done" if i < current else "overdue" if i == current else "skipped"
        else:
            status = "done" if i < current else "current" if i == current else "upcoming"
        row = dates.get(stage)
        steps.append(
            ProgressStep(
                stage,
                row.starts_on if row else None,
                row.ends_on if row else None,
                status,
                [c for c in changes if ACTION_STAGE.get(c.action) == stage],
            )
        )
    return Progress(steps, [c for c in changes if c.action not in ACTION_STAGE])


def todos(user: Any) -> list[tuple[str, int, str]]:
    """What waits for this user in 申报推荐 and 资格审查 (for the workbench): label, count, link.

    Only what can still be done: past its step's deadline (`workflow.overdue_q`, the same
    deadlines the services enforce) an application is nobody's to-do; the Office sees it under
    逾期未处理 instead, with the decision to take."""
    scopes = scopes_of(user)
    visible = applications_for(user)
    on = today()
    overdue = workflow.overdue_q(on)
    items = []
    if Role.APPLICANT in scopes or Role.INDIVIDUAL in scopes:
        editable = visible.filter(state__in=[State.DRAFT, State.RETURNED]).exclude(overdue)
        items.append(("待完善或退回修改的申报", editable.count(), "/applications/"))
    if Role.RECOMMENDER in scopes:
        pending = visible.filter(
            state=State.SUBMITTED, recommending_unit_id__in=scopes[Role.RECOMMENDER]
        ).exclude(overdue)
        items.append(("待审核推荐的申报", pending.count(), "/applications/?state=submitted"))
    if Role.OFFICE in scopes:
        counts = visible.aggregate(
            pending=Count("pk", filter=Q(state=State.RECOMMENDED) & ~overdue),
            overdue=Count("pk", filter=overdue),
        )
        items.append(("待资格审查的申报", counts["pending"], "/applications/?state=recommended"))
        if counts["overdue"]:
            items.append(("逾期未处理的申报", counts["overdue"], "/applications/?state=overdue"))
    return items


# --- the pages' reads (intake.views asks these; the views query no model) --------------------


def filter_choices(visible: QuerySet[Application]) -> tuple[list[int], list[tuple[int, str]]]:
    """The years (newest first) and recommending units of the applications a user sees: the
    list's filter options (two queries)."""
    years = sorted(
        set(Cycle.objects.filter(applications__in=visible).values_list("year", flat=True)),
        reverse=True,
    )
    units = list(
        RecommendingUnit.objects.filter(applications__in=visible)
        .distinct()
        .order_by("kind", "name")
        .values_list("pk", "name")
    )
    return years, units


def start_options(user: Any, cycle: Cycle) -> list[dict[str, Any]]:
    """Whom `user` may start an application for in `cycle` (their organizations, themselves as
    an individual), each with the application it already has there, if any."""
    scopes = scopes_of(user)
    organizations = list(
        Organization.objects.filter(pk__in=scopes.get(Role.APPLICANT, ())).order_by("name")
    )
    person = own_individual(user)
    mine = Q(organization__in=organizations)
    if person is not None:
        mine |= Q(individual=person)
    existing = {
        (a.organization_id, a.individual_id): a
        for a in Application.objects.filter(mine, cycle=cycle)
    }
    options: list[dict[str, Any]] = [
        {
            "as": f"organization:{o.public_id}",
            "name": o.name,
            "existing": existing.get((o.pk, None)),
        }
        for o in organizations
    ]
    if person is not None or Role.INDIVIDUAL in scopes:
        options.append(
            {
                "as": "individual",
                "name": person.name if person else "个人",
                "existing": existing.get((None, person.pk)) if person else None,
            }
        )
    return options


def own_organization(user: Any, public_id: Any) -> Organization | None:
    """One of the organizations `user` speaks for, by its public id."""
    return Organization.objects.filter(
        pk__in=scopes_of(user).get(Role.APPLICANT, ()), public_id=public_id
    ).first()


def own_individual(user: Any) -> Individual | None:
    return Individual.objects.filter(user=user.pk).first()


def versions_of(application: Application) -> list[ApplicationVersion]:
    """Every submitted version, oldest first, with who submitted it."""
    return list(application.versions.select_related("submitted_by"))


def decisions_of(
    application: Application,
) -> tuple[list[QualificationDecision], QualificationDecision | None]:
    """The Office's decisions in order, and the one in force: the latest 受理 / 不予受理 not
    corrected (退回补正 is not a decision on qualification)."""
    decisions = list(
        application.decisions.select_related("decided_by", "corrects").order_by("decided_at")
    )
    corrected = {d.corrects_id for d in decisions if d.corrects_id}
    current = next(
        (
            d
            for d in reversed(decisions)
            if d.pk not in corrected and d.outcome != QualificationDecision.Outcome.RETURNED
        ),
        None,
    )
    return decisions, current


def recommendations_of(application: Application) -> list[Recommendation]:
    return list(application.recommendations.select_related("unit", "reviewer"))


def draft_attachments(application: Application) -> list[Attachment]:
    """The files in the working draft (removed ones stay stored for the versions naming them)."""
    return list(application.attachments.filter(removed_at__isnull=True))
