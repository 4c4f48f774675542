"""Reads for applications, scoped to who asks (views and the API never load by raw id)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.http import Http404

from accounts.models import Individual, Organization, RecommendingUnit, Role
from accounts.selectors import holds_here, scopes_of
from lib import tenancy, uscc
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
    # The Office and the supervisors: the current program's, where they hold the role
    # (decision 0030); an application of another program is not known to exist (404).
    if holds_here(user, Role.OFFICE) or holds_here(user, Role.SUPERVISOR):
        visible |= tenancy.current_q("cycle__program") & ~Q(state=State.DRAFT)
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
    # not once per action); its policy joined: the form's look-back years and the conditions'
    # titles read it on every page and autosave, without a statement of their own.
    application = (
        applications_for(user)
        .filter(public_id=public_id)
        .select_related("cycle__policy")
        .prefetch_related("cycle__stages")
        .first()
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
    list's filter options (two queries). Read from the cycles and the units, each asking whether
    one visible application exists (an index probe), never one row per application."""
    years = list(
        Cycle.objects.filter(Exists(visible.filter(cycle=OuterRef("pk"))))
        .order_by("-year")
        .values_list("year", flat=True)
        .distinct()
    )
    units = list(
        RecommendingUnit.objects.filter(Exists(visible.filter(recommending_unit=OuterRef("pk"))))
        .order_by("kind", "name")
        .values_list("pk", "name")
    )
    return years, units


# --- the list, a page at a time (issue 17): keyset pages in an indexed order ------------------

# Columns a list never shows: the form as saved and as typed can be tens of kilobytes a row.
LIST_DEFERRED = ("data", "draft_typed", "draft_errors", "individual__id_number")
# Counted up to this many; more is shown as "1000件以上" (a count never walks a whole year).
COUNT_CAP = 1000


@dataclass(frozen=True)
class Cursor:
    """Where a page starts or ends: the row's segment (`t` the user's to-do, listed first, or
    `r` the rest), its last submission time (None for a draft, listed first) and its id. In the
    URL as `t.1741572000000000.42` (microseconds since the epoch, `n` for none)."""

    segment: str
    submitted_at: dt.datetime | None
    pk: int

    def __str__(self) -> str:
        micros = (
            "n"
            if self.submitted_at is None
            else str(round(self.submitted_at.timestamp() * 1_000_000))
        )
        return f"{self.segment}.{micros}.{self.pk}"

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        """The cursor in `text`, or None when there is none or it is not one of ours."""
        segment, _, rest = (text or "").partition(".")
        micros, _, pk = rest.partition(".")
        if segment not in {"t", "r"} or not pk.isdigit() or not (micros == "n" or micros.isdigit()):
            return None
        if len(micros) > 20 or len(pk) > 18:
            return None
        at = (
            None if micros == "n" else dt.datetime.fromtimestamp(int(micros) / 1_000_000, tz=dt.UTC)
        )
        return cls(segment, at, int(pk))

    @classmethod
    def of(cls, segment: str, row: Application) -> Cursor:
        return cls(segment, row.submitted_at, row.pk)


@dataclass(frozen=True)
class ListPage:
    """One page of the list: its rows (each marked `is_todo`), and the cursors of the pages
    around it (None at either end)."""

    rows: list[Application]
    after: Cursor | None  # the next page starts after this row
    before: Cursor | None  # the previous page ends before this row
    first: bool


# The list's order: newest submission first (drafts, never submitted, before them), then the
# newest row. Served by the indexes on (submitted_at, id) and (state, submitted_at, id), read
# backwards (intake/migrations: application_list_order_idx, application_state_order_idx).
NEWEST_FIRST = (F("submitted_at").desc(nulls_first=True), F("pk").desc())
OLDEST_FIRST = (F("submitted_at").asc(nulls_last=True), F("pk").asc())


def _after(c: Cursor) -> Q:
    """The rows after `c` in NEWEST_FIRST (the redundant `<=` lets the index seek to it)."""
    if c.submitted_at is None:
        return Q(submitted_at__isnull=False) | Q(submitted_at__isnull=True, pk__lt=c.pk)
    return Q(submitted_at__lte=c.submitted_at) & (
        Q(submitted_at__lt=c.submitted_at) | Q(pk__lt=c.pk)
    )


def _before(c: Cursor) -> Q:
    """The rows before `c` in NEWEST_FIRST."""
    if c.submitted_at is None:
        return Q(submitted_at__isnull=True, pk__gt=c.pk)
    return Q(submitted_at__isnull=True) | (
        Q(submitted_at__gte=c.submitted_at) & (Q(submitted_at__gt=c.submitted_at) | Q(pk__gt=c.pk))
    )


def list_page(
    rows: QuerySet[Application],
    *,
    todo: Q | None = None,
    after: Cursor | None = None,
    before: Cursor | None = None,
    size: int = 20,
) -> ListPage:
    """A page of `rows`, the `todo` ones first, after the row `after` or before `before` (else
    the first page). Each segment is read from its index up to the page's size: one query,
    two where a page spans the end of the to-do rows; page 1 costs what a late page costs."""
    rows = rows.defer(*LIST_DEFERRED).order_by()
    segments = [("t", rows.filter(todo)), ("r", rows.exclude(todo))] if todo else [("r", rows)]
    names = [name for name, _ in segments]
    if before is not None and before.segment in names:
        found = _collect(segments[: names.index(before.segment) + 1][::-1], before, size, back=True)
        if len(found) > size:
            found = found[:size][::-1]
            return _page(found, after=True, before=True)
        # Nothing before them: show the first page (full, whatever changed meanwhile).
        after = None
    start = after if after is not None and after.segment in names else None
    chosen = segments[names.index(start.segment) :] if start else segments
    found = _collect(chosen, start, size, back=False)
    return _page(found[:size], after=len(found) > size, before=start is not None)


def _collect(
    segments: list[tuple[str, QuerySet[Application]]],
    cursor: Cursor | None,
    size: int,
    *,
    back: bool,
) -> list[tuple[str, Application]]:
    found: list[tuple[str, Application]] = []
    for name, qs in segments:
        if cursor is not None and name == cursor.segment:
            qs = qs.filter(_before(cursor) if back else _after(cursor))
        wanted = size + 1 - len(found)
        found += [
            (name, a) for a in qs.order_by(*(OLDEST_FIRST if back else NEWEST_FIRST))[:wanted]
        ]
        if len(found) > size:
            break
    return found


def _page(found: list[tuple[str, Application]], *, after: bool, before: bool) -> ListPage:
    for name, application in found:
        application.is_todo = name == "t"  # type: ignore[attr-defined]
    return ListPage(
        rows=[a for _, a in found],
        after=Cursor.of(*found[-1]) if after and found else None,
        before=Cursor.of(*found[0]) if before and found else None,
        first=not before,
    )


def capped_count(rows: QuerySet[Application], cap: int = COUNT_CAP) -> int:
    """How many rows, counted up to `cap + 1` (more than `cap` answers `cap + 1`)."""
    return rows.order_by().values("pk")[: cap + 1].count()


def start_options(
    user: Any, cycle: Cycle, organizations: list[Organization] | None = None
) -> list[dict[str, Any]]:
    """Whom `user` may start an application for in `cycle` (their organizations, themselves as
    an individual), each with the application it already has there, if any. `organizations`:
    the user's, when the caller has read them already."""
    scopes = scopes_of(user)
    if organizations is None:
        organizations = _own_organizations(user)
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


def _own_organizations(user: Any) -> list[Organization]:
    ids = scopes_of(user).get(Role.APPLICANT, ())
    return list(
        Organization.objects.filter(pk__in=ids).select_related("recommending_unit").order_by("name")
    )


def open_calls(user: Any, current: Cycle | None) -> list[dict[str, Any]]:
    """The calls `user` may apply to now: the current program's cycle first, then this year's
    published cycles of every other program whose region holds one of the user's
    organizations (A12.1 by the program's division code; decision 0030: an organization
    registers once). Each with `start_options` and, for an organization registered under
    another program's unit, that program's active units to choose from (A7.1)."""
    organizations = _own_organizations(user)
    cycles = [current] if current is not None else []
    others = (
        Cycle.objects.filter(status=Cycle.Status.PUBLISHED, year=today().year)
        .exclude(pk__in=[c.pk for c in cycles])
        .select_related("program", "policy")
        .order_by("program_id")
    )
    for cycle in others:
        area = cycle.program.division_code
        if any(uscc.registered_within(o.uscc, area) for o in organizations):
            cycles.append(cycle)
    calls = []
    for cycle in cycles:
        options = start_options(user, cycle, organizations)
        units = None
        for option in options:
            org = next(
                (o for o in organizations if option["as"] == f"organization:{o.public_id}"), None
            )
            foreign = org is not None and org.recommending_unit.program_id != cycle.program_id
            if foreign and units is None:
                units = list(
                    RecommendingUnit.objects.filter(program=cycle.program, active=True).order_by(
                        "kind", "name"
                    )
                )
            option["units"] = units if foreign else None
        calls.append({"cycle": cycle, "options": options, "other": cycle is not current})
    return calls


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
