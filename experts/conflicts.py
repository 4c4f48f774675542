"""Conflicts of interest (A26.1) are a property of the records, not a button.

`detect` is the one function that finds them. Every operation that brings an expert near an
application runs it inside itself before it acts (proposing or drawing groups, adding an expert
by hand, naming a leader, the expert's no-conflict confirmation, opening the materials and
downloading an attachment), and it runs again whenever the records it reads change (an
expert's employments, an applicant's recusal request). What it finds is persisted as `Conflict`
rows, audited, and ends any assignment the conflict touches, so every later read
(`selectors.assigned_applications`, the review app) keeps the expert away.

What the records show, for each application of an open cycle (neither a draft nor withdrawn):

- the expert is the individual applicant (the same 身份证号码): 本人即申报人;
- the expert works for the applicant, or worked for it within the look-back (an employment
  that had not ended `Policy.lookback_years` before the cycle's application date,
  `intake.eligibility.reference_date`), matched by the organization or by the employer's name;
  for an individual applicant, the organization the person works for, the same way;
- the applicant asked, by name (and employer), that the person recuse (decision 0009);
- and, beside these, what experts and the Office declared (`services.declare_conflict`).

One pass over prefetched rows: the experts are indexed by organization, employer name, name
and 身份证号码, so the cost grows with the rows, never with applications × experts, and the
queries are a fixed handful plus a few for each conflict found for the first time.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Subquery

from accounts.models import User
from audit.services import record
from intake.eligibility import reference_date, years_before
from intake.models import Application, State
from programs.models import Cycle, CycleStage
from programs.selectors import now

from .models import Assignment, Conflict, Employment, Expert, RecusalRequest

Pair = tuple[int, int]  # (application pk, expert pk)

# The states in which an application has an applicant to protect: submitted and not withdrawn.
_OUT = frozenset({State.DRAFT, State.WITHDRAWN})


@dataclass(frozen=True)
class Finding:
    """One interest the records show, before it is persisted."""

    application: int
    expert: int
    source: str
    reason: str
    note: str
    action: str


def lookback_start(cycle: Cycle) -> dt.date:
    """The first day of the look-back: an employment that ended before it is no conflict."""
    return years_before(reference_date(cycle), cycle.policy.lookback_years)


def recent(job: Employment, since: dt.date) -> bool:
    """The employment lasted into the look-back (it has not ended, or ended on `since` or
    later)."""
    return job.ends_on is None or job.ends_on >= since


def _key(name: str) -> str:
    """Employer names compare without surrounding or inner blanks (全角 too)."""
    return "".join(name.split()).replace("\u3000", "")


def recusal_matches(request: RecusalRequest, experts: Iterable[Expert]) -> list[Expert]:
    """The pool experts a request names: same name and, when an employer is given, an
    employment whose name contains it (or is contained in it). The employments are read from
    the prefetched rows."""
    found = []
    for expert in experts:
        if expert.name != request.name:
            continue
        if request.employer and not any(
            request.employer in job.employer_name or job.employer_name in request.employer
            for job in expert.employments.all()
        ):
            continue
        found.append(expert)
    return found


class _Index:
    """The experts by what an application is matched on, built once per detection."""

    def __init__(
        self, experts: list[Expert], jobs: dict[int, list[Employment]] | None = None
    ) -> None:
        """`jobs`: each expert's employments (with their organizations) when read apart;
        otherwise they are the experts' prefetched `employments`."""
        self.experts = experts
        self.by_org: dict[int, list[tuple[Expert, Employment]]] = defaultdict(list)
        self.by_employer: dict[str, list[tuple[Expert, Employment]]] = defaultdict(list)
        self.by_id_number: dict[str, Expert] = {}
        self.by_name: dict[str, list[Expert]] = defaultdict(list)
        for expert in experts:
            # The blind index, not the number: the numbers are stored encrypted.
            self.by_id_number[expert.id_number_index] = expert
            self.by_name[expert.name].append(expert)
            for job in jobs[expert.pk] if jobs is not None else expert.employments.all():
                names = {_key(job.employer_name)}
                if job.organization is not None:
                    self.by_org[job.organization.pk].append((expert, job))
                    # The organization's name too: an individual applicant may give its
                    # employer by name only.
                    names.add(_key(job.organization.name))
                for key in names - {""}:
                    self.by_employer[key].append((expert, job))


def _findings(
    application: Application, index: _Index, since: dt.date, requests: list[RecusalRequest]
) -> list[Finding]:
    """What the records show for one application (see the module docstring)."""
    found: dict[tuple[int, str, str], Finding] = {}

    def add(expert: Expert, source: str, reason: str, note: str, action: str) -> None:
        found.setdefault(
            (expert.pk, source, reason),
            Finding(application.pk, expert.pk, source, reason, note, action),
        )

    person = application.individual
    org_ids: set[int] = set()
    names: set[str] = set()
    if application.organization is not None:
        org_ids.add(application.organization_id or 0)
        names.add(_key(application.organization.name))
    if person is not None:
        if person.employer_id is not None:
            org_ids.add(person.employer_id)
            names.add(_key(person.employer.name if person.employer else ""))
        names.add(_key(person.employer_name))
        me = index.by_id_number.get(person.id_number_index) if person.id_number_index else None
        if me is not None:
            add(me, Conflict.Source.DETECTED, Conflict.Reason.SELF, "身份证号码与申报人相同", "")
    names.discard("")
    jobs = [pair for org in org_ids for pair in index.by_org.get(org, [])]
    jobs += [pair for name in names for pair in index.by_employer.get(name, [])]
    for expert, job in jobs:
        if recent(job, since):
            ended = f"至{job.ends_on:%Y-%m-%d}" if job.ends_on else "至今"
            note = f"任职经历：{job.employer_name}（{ended}），考察期自{since:%Y-%m-%d}起"
            add(expert, Conflict.Source.DETECTED, Conflict.Reason.EMPLOYER, note, "")
    for request in requests:
        for expert in recusal_matches(request, index.by_name.get(request.name, [])):
            add(
                expert,
                Conflict.Source.APPLICANT,
                request.reason,
                request.note,
                "experts.conflict.recusal",
            )
    return list(found.values())


def detect(
    *,
    applications: Iterable[Application] | None = None,
    experts: Iterable[Expert] | None = None,
    actor: User | None = None,
    role: str = "system",
) -> set[Pair]:
    """Find, persist and act on the conflicts between these applications (default: every
    application of an open cycle, submitted and not withdrawn) and these experts (default: the
    whole pool); return every conflicted (application, expert) pair among them, declared ones
    included.

    Preconditions: none; safe to run at any time and idempotent. A closed year's record is not
    changed (its conflicts are returned as they stand). Side effects, for each conflict found
    for the first time, in this transaction: the `Conflict` row (source 系统识别, or 申报人提出回避
    for a recusal request), its audit event (`experts.conflict.detect` or
    `experts.conflict.recusal`, by `actor` in `role`, the system when nobody triggered it), and
    the end of any current assignment of the expert to the application
    (`experts.assignment.remove`)."""
    from django.db import transaction

    role = role if actor is not None else "system"
    app_qs = Application.objects.exclude(state__in=_OUT).select_related(
        "cycle__policy", "organization", "individual__employer"
    )
    if applications is None:
        app_qs = app_qs.exclude(cycle__status=Cycle.Status.CLOSED)
    else:
        app_qs = app_qs.filter(pk__in=[a.pk for a in applications])
    apps = list(app_qs.prefetch_related("cycle__stages", "recusal_requests"))
    expert_qs = Expert.objects.prefetch_related("employments__organization")
    if experts is not None:
        expert_qs = expert_qs.filter(pk__in=[e.pk for e in experts])
    pool = list(expert_qs)
    if not apps or not pool:
        return set()
    index = _Index(pool)
    existing = Conflict.objects.filter(application__in=[a.pk for a in apps])
    if experts is not None:
        existing = existing.filter(expert__in=[e.pk for e in pool])
    known = set(existing.values_list("application_id", "expert_id", "source", "reason"))
    pairs = {(a, e) for a, e, _, _ in known}
    new: list[Finding] = []
    since_of: dict[int, dt.date] = {}
    for application in apps:
        cycle = application.cycle
        if cycle.status == Cycle.Status.CLOSED:
            continue  # a closed year's record stays as it was (`services.closed_refusal`)
        if cycle.pk not in since_of:
            stage = next((s for s in cycle.stages.all() if s.stage == "application"), None)
            if stage is None:
                continue  # no application date, no application in review yet
            since_of[cycle.pk] = years_before(stage.starts_on, cycle.policy.lookback_years)
        requests = list(application.recusal_requests.all())
        for finding in _findings(application, index, since_of[cycle.pk], requests):
            pairs.add((finding.application, finding.expert))
            if (finding.application, finding.expert, finding.source, finding.reason) not in known:
                new.append(finding)
    if new:
        by_pk = {a.pk: a for a in apps}
        experts_by_pk = {e.pk: e for e in pool}
        with transaction.atomic():
            for finding in new:
                persist(
                    by_pk[finding.application],
                    experts_by_pk[finding.expert],
                    source=finding.source,
                    reason=finding.reason,
                    note=finding.note,
                    actor=actor,
                    role=role,
                    action=finding.action or "experts.conflict.detect",
                )
    return pairs


def may_conflict(application: Application, expert: Expert) -> bool:
    """Whether the records may show an interest between one application and one expert,
    read in two statements (the guard on every view of the materials, A26.1): the application
    with its applicant, its cycle's policy and application date, and whether a conflict is
    recorded for the two or a recusal request names the expert; then the expert's employments
    with their organizations. It reads the database as it is now, nothing cached.

    False is exact: `detect` for the two would return no pair (the same states, closed years,
    dates and matching rules, `_findings`). True means "let `detect` decide": a recorded
    conflict or a recusal request with the expert's name (its employer compared there), or an
    interest the records show, which `detect` then records and acts on."""
    row = (
        Application.objects.filter(pk=application.pk)
        .select_related("cycle__policy", "organization", "individual__employer")
        .defer("data", "draft_typed", "draft_errors")  # the form is not read here
        .annotate(
            application_starts=Subquery(
                CycleStage.objects.filter(cycle=OuterRef("cycle_id"), stage="application").values(
                    "starts_on"
                )[:1]
            ),
            recorded=Exists(Conflict.objects.filter(application=OuterRef("pk"), expert=expert.pk)),
            asked=Exists(
                RecusalRequest.objects.filter(application=OuterRef("pk"), name=expert.name)
            ),
        )
        .first()
    )
    if row is None or row.state in _OUT:
        return False  # `detect` reads only submitted applications not withdrawn
    if row.recorded or row.asked:
        return True
    if row.cycle.status == Cycle.Status.CLOSED or row.application_starts is None:
        return False  # a closed year is not detected again; no application date, no look-back
    since = years_before(row.application_starts, row.cycle.policy.lookback_years)
    jobs = list(
        Employment.objects.filter(expert=expert.pk).select_related("organization").order_by()
    )
    return bool(_findings(row, _Index([expert], {expert.pk: jobs}), since, []))


def persist(
    application: Application,
    expert: Expert,
    *,
    source: str,
    reason: str,
    note: str,
    actor: User | None,
    role: str,
    action: str,
) -> tuple[Conflict, bool]:
    """Record the conflict once (audited) and end any assignment it touches. Runs inside the
    caller's transaction."""
    conflict, created = Conflict.objects.get_or_create(
        application=application,
        expert=expert,
        source=source,
        reason=reason,
        defaults={"note": note, "recorded_by": actor, "recorded_at": now()},
    )
    if created:
        record(
            actor=actor,
            role=role if actor is not None else "system",
            action=action,
            obj=application,
            after={"expert": expert.pk, "source": source, "reason": reason},
            reason=note,
        )
        remove_assignments(
            expert,
            application,
            why=f"利害关系：{Conflict.Reason(reason).label}",
            actor=actor,
            role=role,
        )
    return conflict, created


def remove_assignments(
    expert: Expert, application: Application, *, why: str, actor: User | None, role: str
) -> int:
    """A conflict found after assignment takes the expert out of the group (the seat is then
    refilled by the next proposal); the row stays, with why."""
    active = Assignment.objects.filter(
        expert=expert, group__application=application, removed_at__isnull=True
    ).select_related("group")
    removed = 0
    for assignment in active:
        Assignment.objects.filter(pk=assignment.pk).update(removed_at=now(), removed_reason=why)
        record(
            actor=actor,
            role=role if actor is not None else "system",
            action="experts.assignment.remove",
            obj=assignment.group,
            before={"expert": expert.pk},
            reason=why,
        )
        removed += 1
    return removed


def reason_of(application: Application, expert: Expert) -> Conflict | None:
    """The first recorded conflict between them (for the message that refuses an action)."""
    return Conflict.objects.filter(application=application, expert=expert).order_by("pk").first()
