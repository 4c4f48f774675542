"""Reads of the pool, the groups and the expert's workspace.

What an expert may see (A26.1): only applications assigned to them, never one they are
conflicted with, and nothing of a cycle before signing its code of conduct. Below that, the
reads of the pages (`experts/views/`), each a query or a few, never one per row."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from accounts.models import User
from intake import standing
from intake.models import IN_REVIEW, Application, ApplicationVersion, Kind, State, StateChange
from lib.crypto import blind_index
from lib.errors import StateConflict
from programs.models import Cycle, CycleStage, Policy, Stage
from programs.selectors import tenant_cycles, today

from .models import (
    Acknowledgement,
    Assignment,
    CodeOfConduct,
    Conflict,
    Draw,
    Employment,
    Expert,
    ExpertSanction,
    NoConflictConfirmation,
    RecusalRequest,
    ReviewGroup,
)


def assigned_applications(user: Any) -> QuerySet[Application]:
    expert = getattr(user, "expert", None)
    if expert is None:
        return Application.objects.none()
    return (
        Application.objects.filter(
            Exists(
                Assignment.objects.filter(
                    group__application=OuterRef("pk"), expert=expert, removed_at__isnull=True
                )
            ),
            Exists(Acknowledgement.objects.filter(cycle=OuterRef("cycle"), expert=expert)),
        )
        .exclude(Exists(Conflict.objects.filter(application=OuterRef("pk"), expert=expert)))
        .select_related("cycle", "organization", "individual")
    )


def openable_applications(user: Any) -> QuerySet[Application]:
    """Assigned and confirmed free of conflict: the expert may read the materials."""
    expert = getattr(user, "expert", None)
    if expert is None:
        return Application.objects.none()
    return assigned_applications(user).filter(
        Exists(NoConflictConfirmation.objects.filter(application=OuterRef("pk"), expert=expert))
    )


def todos(user: Any) -> list[tuple[str, int, str]]:
    """What waits for an expert: assignments whose no-conflict confirmation is still due."""
    if getattr(user, "expert", None) is None:
        return []
    due = assigned_applications(user).count() - openable_applications(user).count()
    return [("待确认无利害关系的评审任务", due, "/experts/mine/")]


# --- the pool ----------------------------------------------------------------------------------


def policy_in_force() -> Policy | None:
    """The default program's Measures in force today (`intake.standing.policy_in_force`, the
    one home of that choice: a version not yet in force, or another program's, never judges
    the pool), or None when none is held."""
    try:
        return standing.policy_in_force(today())
    except StateConflict:
        return None


def pool(*, status: str = "") -> QuerySet[Expert]:
    """The experts, of one status when it is given."""
    experts = Expert.objects.all()
    return experts.filter(status=status) if status else experts


def expert(*, public_id: Any) -> Expert | None:
    return Expert.objects.filter(public_id=public_id).first()


def expert_by_id_number(number: str) -> Expert | None:
    """The expert with this 身份证号码 (case of the X, spaces, full width ignored), or None: the
    number is stored encrypted, so the one lookup goes through its blind index."""
    return Expert.objects.filter(id_number_index=blind_index(number, kind="id_number")).first()


def expert_by_pk(pk: int | None) -> Expert | None:
    return Expert.objects.filter(pk=pk).first() if pk else None


def past_employments(expert: Expert) -> QuerySet[Employment]:
    """The employments that ended, kept as recorded (A26.1 reads them for conflicts)."""
    return expert.employments.filter(ends_on__isnull=False)


def current_employment(expert: Expert) -> Employment | None:
    return expert.employments.filter(ends_on__isnull=True).first()


def sanctions_of(expert: Expert) -> QuerySet[ExpertSanction]:
    return expert.sanctions.all()


# --- the groups board --------------------------------------------------------------------------


def cycle(pk: int | None) -> Cycle | None:
    """A cycle with its policy (the group size and the conditions of article 8)."""
    return tenant_cycles().select_related("policy").filter(pk=pk).first() if pk else None


def _active() -> QuerySet[Assignment]:
    return Assignment.objects.filter(removed_at__isnull=True).select_related("expert")


def board(cycle: Cycle, stage: str) -> QuerySet[Application]:
    """The applications the stage's groups concern, by what they went through rather than their
    state now (as the review board, `review.office.selectors`): every application of the year
    with a group of the stage, and those accepted and still in review without one yet; a year
    since proposed, awarded, not awarded or revoked keeps its groups. With the group, its
    leader, supervisor and current members (three queries); 现场评审 is for organizations only
    (A17.2)."""
    grouped = Exists(ReviewGroup.objects.filter(application=OuterRef("pk"), stage=stage))
    applications = (
        Application.objects.filter(cycle=cycle)
        .filter(Q(state__in=IN_REVIEW) | grouped)
        .select_related("organization", "individual")
        .prefetch_related(
            Prefetch(
                "review_groups",
                queryset=ReviewGroup.objects.filter(stage=stage)
                .select_related("leader", "supervisor")
                .prefetch_related(Prefetch("assignments", queryset=_active())),
            )
        )
        .order_by("pk")
    )
    if stage == Stage.SITE_REVIEW:
        applications = applications.filter(kind=Kind.ORGANIZATION)
    return applications


def groups_for_export(cycle: Cycle, stage: str) -> QuerySet[ReviewGroup]:
    """The stage's groups with their members and the members' employments, for the sheet."""
    # The sheet shows no identity number, phone or e-mail: not read, so not decrypted (each an
    # SM4 decryption per row: most of the export's time at thousands of members, issue 17).
    members = _active().defer("expert__id_number", "expert__phone")
    return (
        ReviewGroup.objects.filter(application__cycle=cycle, stage=stage)
        .select_related("application__organization", "application__individual", "supervisor")
        .defer(
            *(f"application__{name}" for name in ("data", "draft_typed", "draft_errors")),
            "application__individual__id_number",
            "supervisor__email",
            "supervisor__phone",
        )
        .prefetch_related(
            Prefetch("assignments", queryset=members.prefetch_related("expert__employments"))
        )
        .order_by("application__kind", "application_id")
    )


def experts_by_name() -> QuerySet[Expert]:
    return Expert.objects.order_by("name")


def code_of_conduct(cycle: Cycle | None) -> CodeOfConduct | None:
    return CodeOfConduct.objects.filter(cycle=cycle).first() if cycle else None


def acknowledgements(cycle: Cycle) -> int:
    """How many experts signed the cycle's code of conduct (A6.3)."""
    return Acknowledgement.objects.filter(cycle=cycle).count()


def conflicts(cycle: Cycle) -> QuerySet[Conflict]:
    return Conflict.objects.filter(application__cycle=cycle).select_related(
        "expert", "application__organization", "application__individual", "recorded_by"
    )


def recusal_requests(cycle: Cycle) -> tuple[list[RecusalRequest], list[Expert]]:
    """The applicants' recusal requests of the cycle, and the pool experts who bear one of the
    names asked for (with their employments, to match the employer)."""
    requests = list(
        RecusalRequest.objects.filter(application__cycle=cycle).select_related(
            "application__organization", "application__individual"
        )
    )
    named = Expert.objects.filter(name__in={r.name for r in requests})
    return requests, list(named.prefetch_related("employments"))


def draws(cycle: Cycle, stage: str | None = None) -> list[dict[str, Any]]:
    """Every random draw of the year (of one stage when given), oldest first, each with who drew,
    the seed, the reason and the pairs drawn by name (A17.1). Three queries, however many."""
    rows = Draw.objects.filter(cycle=cycle).select_related("drawn_by")
    if stage is not None:
        rows = rows.filter(stage=stage)
    found = list(rows.order_by("drawn_at", "pk"))
    app_ids = {int(a) for d in found for a, _ in d.pairs}
    expert_ids = {int(e) for d in found for _, e in d.pairs}
    applicants = {
        a.pk: a.applicant_name
        for a in Application.objects.filter(pk__in=app_ids).select_related(
            "organization", "individual"
        )
    }
    names = dict(Expert.objects.filter(pk__in=expert_ids).values_list("pk", "name"))
    out = []
    counted: dict[str, int] = {}
    for draw in found:
        counted[draw.stage] = counted.get(draw.stage, 0) + 1  # the n-th draw of its stage
        by_applicant: dict[str, list[str]] = {}
        for a, e in draw.pairs:
            by_applicant.setdefault(applicants.get(int(a), a), []).append(names.get(int(e), e))
        out.append(
            {
                "number": counted[draw.stage],
                "draw": draw,
                "groups": sorted(by_applicant.items()),
            }
        )
    return out


def assignment(pk: int) -> Assignment | None:
    """A current assignment with its group's application (for the board's link back), in the
    current program (another program's: None, so 404; decision 0030)."""
    return (
        Assignment.objects.select_related("group__application__cycle")
        .filter(pk=pk, removed_at__isnull=True, group__application__cycle__in=tenant_cycles())
        .first()
    )


def group(pk: int) -> ReviewGroup | None:
    """A group of the current program (another program's: None, so 404)."""
    return (
        ReviewGroup.objects.select_related("application__cycle__policy")
        .filter(pk=pk, application__cycle__in=tenant_cycles())
        .first()
    )


def supervisors(cycle: Cycle) -> list[User]:
    """The 评审监督员 of the cycle's program (decision 0030: another program's are not offered)."""
    from accounts.models import Role

    return list(
        User.objects.filter(
            role_assignments__role=Role.SUPERVISOR,
            role_assignments__program_id=cycle.program_id,
            is_active=True,
        )
        .distinct()
        .order_by("pk")
    )


def user(pk: int | None) -> User | None:
    """A user named on a form by id (the supervisor of a group; the service checks the role)."""
    return User.objects.filter(pk=pk).first() if pk else None


def application(*, public_id: Any) -> Application | None:
    """An application of the current program, for the Office's group pages (another
    program's: None, so 404)."""
    return Application.objects.filter(public_id=public_id, cycle__in=tenant_cycles()).first()


# --- the expert's workspace --------------------------------------------------------------------


def expert_of(user: Any) -> Expert | None:
    """The user's expert record, if they are in the pool."""
    return Expert.objects.filter(user=user.pk).first()


def acknowledgement(expert: Expert, cycle: Cycle | None) -> Acknowledgement | None:
    if cycle is None:
        return None
    return Acknowledgement.objects.filter(expert=expert, cycle=cycle).first()


def confirmed(expert: Expert, applications: Iterable[Application]) -> set[int]:
    """Which of the applications the expert confirmed free of conflict (ids)."""
    return set(
        NoConflictConfirmation.objects.filter(
            expert=expert, application__in=[a.pk for a in applications]
        ).values_list("application_id", flat=True)
    )


def assignments_of(expert: Expert, applications: Iterable[int]) -> QuerySet[Assignment]:
    """The expert's current seats on these applications' groups, with the group."""
    return Assignment.objects.filter(
        expert=expert, removed_at__isnull=True, group__application__in=list(applications)
    ).select_related("group")


# The states in which a stage's scorecards exist (opened by the Office: the review app moves the
# application into the stage when it opens the phase).
SCORING_STATES = {
    Stage.MATERIAL_REVIEW.value: frozenset(
        {State.MATERIAL_REVIEW, State.SITE_REVIEW, State.EVALUATED}
    ),
    Stage.SITE_REVIEW.value: frozenset({State.SITE_REVIEW, State.EVALUATED}),
}


def scored_stages(applications: Iterable[Application]) -> dict[int, set[str]]:
    """Per application the stages whose scorecards exist: it is, or once was, in one of the
    stage's scoring states (its 办件进度), whatever its state now, so that a year since
    proposed, awarded, not awarded or revoked keeps its scorecards in reach. One query."""
    states = {a.pk: {a.state} for a in applications}
    moves = StateChange.objects.filter(
        application__in=list(states), to_state__in=SCORING_STATES[Stage.MATERIAL_REVIEW]
    ).values_list("application_id", "to_state")
    for pk, state in moves:
        states[pk].add(state)
    return {
        pk: {stage for stage, scoring in SCORING_STATES.items() if been & scoring}
        for pk, been in states.items()
    }


def latest_version(application: Application) -> ApplicationVersion | None:
    """The last submitted 申报表 (the one the experts read)."""
    return application.versions.order_by("-number").first()


# --- the applicant -----------------------------------------------------------------------------


def material_review(cycle: Cycle) -> CycleStage | None:
    """The cycle's 材料评审 dates: recusal requests close when it starts."""
    return cycle.stages.filter(stage=Stage.MATERIAL_REVIEW).first()


def recusals_of(application: Application) -> QuerySet[RecusalRequest]:
    return application.recusal_requests.all()
