"""The discipline supervisors' workspace (A27.1, A26.2): read-only pages over every cycle, one
cycle's applications with their decisions, groups, conflicts, scores, site visits, feedback,
evaluation, decision stage and sanctions, one expert's discipline record, the supervision notes
(the only thing written here, through `services.add_note`) and the audit trail as Excel with the
chain's verification. Supervisors and the Office read; everyone else gets 403."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from audit.export import audit_export as audit_export_view
from audit.selectors import trail
from audit.views import TrailFilterForm, trail_filter
from decision.models import Entry, Proposal
from experts.models import Assignment, Conflict, Expert, ExpertSanction, ReviewGroup
from intake.models import Application, QualificationDecision, Recommendation, State
from lib.access import actor, perm_required
from lib.errors import ServiceError
from lib.params import query_int
from programs.models import CycleStage
from programs.selectors import tenant_cycles
from review.analytics import stored_raters
from review.models import Consensus, Evaluation, Feedback, SiteVisit

from . import selectors, services
from .models import Note, Sanction
from .workspace_forms import NoteForm

LATEST_NOTES = 10
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _notes() -> QuerySet[Note]:
    """The notes of the current program: on its cycles and its applications; a note on an
    expert alone is part of the expert's record, which every program reads (decision 0030)."""
    cycles = tenant_cycles()
    return Note.objects.filter(
        Q(cycle__in=cycles)
        | Q(application__cycle__in=cycles)
        | Q(cycle__isnull=True, application__isnull=True)
    ).select_related(
        "author", "cycle", "application__organization", "application__individual", "expert"
    )


def _by(rows: Iterable[Any], key: str) -> dict[Any, list[Any]]:
    out: dict[Any, list[Any]] = defaultdict(list)
    for row in rows:
        out[getattr(row, key)].append(row)
    return out


def _note_form(**initial: Any) -> NoteForm:
    return NoteForm(initial=initial)


# --- the overview ------------------------------------------------------------------------------


@perm_required("supervision.view")
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """Every cycle, newest first, with its stages and its applications counted by state."""
    cycles = list(
        tenant_cycles()
        .order_by("-year")
        .prefetch_related(Prefetch("stages", queryset=CycleStage.objects.order_by("starts_on")))
    )
    counts: dict[int, list[tuple[str, int]]] = defaultdict(list)
    labels = dict(State.choices)
    for row in (
        Application.objects.filter(cycle__in=tenant_cycles())
        .exclude(state=State.DRAFT)
        .values("cycle_id", "state")
        .annotate(n=Count("pk"))
        .order_by("cycle_id", "state")
    ):
        counts[row["cycle_id"]].append((str(labels.get(row["state"], row["state"])), row["n"]))
    rows = [{"cycle": c, "counts": counts.get(c.pk, [])} for c in cycles]
    return render(
        request,
        "supervision/workspace_overview.html",
        {"rows": rows, "notes": list(_notes()[:LATEST_NOTES])},
    )


# --- one cycle ---------------------------------------------------------------------------------


# Applications per page of the year page (each a card with everything of its year).
CYCLE_PAGE_SIZE = 20


@perm_required("supervision.view")
@require_GET
def cycle(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """One cycle, read only, a page of applications at a time (organizations first, then
    individuals, in the order they were made; `after` names the card a page starts after):
    a fixed number of queries and a bounded page however many applications it has (issue 17;
    it reached 1.9 MB at 10,000)."""
    the_cycle = get_object_or_404(tenant_cycles(), pk=cycle_id)
    after = selectors.CardCursor.parse(request.GET.get("after"))
    found = list(
        selectors.cycle_cards(the_cycle, after=after).select_related(
            "organization", "individual", "cycle"
        )[: CYCLE_PAGE_SIZE + 1]
    )
    applications = found[:CYCLE_PAGE_SIZE]
    more = len(found) > CYCLE_PAGE_SIZE
    in_cycle = {"application__in": [a.pk for a in applications]}
    decisions = _by(
        QualificationDecision.objects.filter(**in_cycle).order_by("decided_at", "pk"),
        "application_id",
    )
    recommendations = _by(
        Recommendation.objects.filter(**in_cycle).select_related("unit").order_by("decided_at"),
        "application_id",
    )
    groups = list(
        ReviewGroup.objects.filter(**in_cycle)
        .select_related("leader", "supervisor")
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=Assignment.objects.select_related("expert").order_by(
                    "removed_at", "assigned_at", "pk"
                ),
            )
        )
        .order_by("stage")
    )
    group_ids = [g.pk for g in groups]
    consensus = {c.group_id: c for c in Consensus.objects.filter(group_id__in=group_ids)}
    visits = {
        v.group_id: v
        for v in SiteVisit.objects.filter(group_id__in=group_ids).select_related(
            "recorded_by", "reported_by"
        )
    }
    for g in groups:
        g.the_consensus = consensus.get(g.pk)  # type: ignore[attr-defined]
        g.visit = visits.get(g.pk)  # type: ignore[attr-defined]
        g.members = [a for a in g.assignments.all() if a.removed_at is None]  # type: ignore[attr-defined]
        g.removed = [a for a in g.assignments.all() if a.removed_at is not None]  # type: ignore[attr-defined]
    by_app_groups = _by(groups, "application_id")
    conflicts = _by(
        Conflict.objects.filter(**in_cycle).select_related("expert").order_by("recorded_at"),
        "application_id",
    )
    feedback = _by(Feedback.objects.filter(**in_cycle), "application_id")
    evaluations = {e.application_id: e for e in Evaluation.objects.filter(**in_cycle)}
    proposal = Proposal.objects.filter(cycle=the_cycle).first()
    entries = {
        e.application_id: e for e in Entry.objects.filter(proposal__cycle=the_cycle, **in_cycle)
    }
    sanctions = _by(Sanction.objects.filter(**in_cycle).order_by("decided_on"), "application_id")
    rows = []
    for a in applications:
        fb = {f.direction: f for f in feedback.get(a.pk, [])}
        rows.append(
            {
                "application": a,
                "decisions": decisions.get(a.pk, []),
                "recommendations": recommendations.get(a.pk, []),
                "groups": by_app_groups.get(a.pk, []),
                "conflicts": conflicts.get(a.pk, []),
                "feedback_of_group": fb.get(Feedback.Direction.OF_GROUP),
                "feedback_of_applicant": fb.get(Feedback.Direction.OF_APPLICANT),
                "evaluation": evaluations.get(a.pk),
                "entry": entries.get(a.pk),
                "sanctions": sanctions.get(a.pk, []),
            }
        )
    return render(
        request,
        "supervision/workspace_cycle.html",
        {
            "cycle": the_cycle,
            "stages": the_cycle.stages.order_by("starts_on"),
            "rows": rows,
            "first_page": after is None,
            "page_size": CYCLE_PAGE_SIZE,
            "next_after": selectors.CardCursor.of(applications[-1]) if more else None,
            "counts": selectors.cycle_counts(the_cycle),
            "proposal": proposal,
            # 专家抽取记录 (A17.1): every random draw, with its seed and reason; its pairs for
            # the applications of this page (the whole draw can be tens of thousands of pairs).
            "draws": selectors.draws_for(the_cycle, [a.pk for a in applications]),
            "notes": list(_notes().filter(cycle=the_cycle)[:LATEST_NOTES]),
            "note_form": _note_form(cycle=the_cycle, next=request.get_full_path()),
        },
    )


# --- one expert --------------------------------------------------------------------------------


@perm_required("supervision.view")
@require_GET
def expert(request: HttpRequest, public_id: Any) -> HttpResponse:
    """An expert's discipline record (A26.2): assignments, conflicts, sanctions, the applicants'
    ratings of the groups they sat in and the supervisors' reports on those groups."""
    the_expert = get_object_or_404(Expert, public_id=public_id)
    # The pool is shared; what the expert did in another program's cycles is that program's
    # (its applicants, groups and ratings), so the record shows the current program's cycles;
    # the sanctions and the notes on the expert alone are the expert's, read in every program.
    cycles = tenant_cycles()
    assignments = list(
        Assignment.objects.filter(expert=the_expert, group__application__cycle__in=cycles)
        .select_related(
            "group__application__cycle",
            "group__application__organization",
            "group__application__individual",
            "group__leader",
        )
        .order_by("-group__application__cycle__year", "assigned_at")
    )
    by_cycle: dict[Any, list[Assignment]] = defaultdict(list)
    for a in assignments:
        by_cycle[a.group.application.cycle].append(a)
    group_ids = [a.group_id for a in assignments]
    application_ids = {a.group.application_id for a in assignments}
    visits = list(
        SiteVisit.objects.filter(group_id__in=group_ids)
        .exclude(group_conduct="", applicant_conduct="")
        .select_related(
            "group__application__cycle",
            "group__application__organization",
            "group__application__individual",
            "reported_by",
        )
        .order_by("-reported_at")
    )
    ratings = list(
        Feedback.objects.filter(
            application_id__in=application_ids, direction=Feedback.Direction.OF_GROUP
        )
        .select_related(
            "application__cycle", "application__organization", "application__individual"
        )
        .order_by("-given_at")
    )
    conflicts = list(
        Conflict.objects.filter(expert=the_expert, application__cycle__in=cycles)
        .select_related(
            "application__cycle", "application__organization", "application__individual"
        )
        .order_by("-recorded_at")
    )
    # The rater analytics (how far this expert's cards lie from their groups' consensus), per
    # cycle they sat in, as stored by the review (one query for every cycle; issue 17).
    stored = stored_raters(by_cycle)
    figures = [
        (c, f) for c in by_cycle for f in stored.get(c.pk, []) if f.expert_id == the_expert.pk
    ]
    return render(
        request,
        "supervision/workspace_expert.html",
        {
            "expert": the_expert,
            "by_cycle": list(by_cycle.items()),
            "conflicts": conflicts,
            "sanctions": list(
                ExpertSanction.objects.filter(expert=the_expert).order_by("-decided_on")
            ),
            "ratings": ratings,
            "visits": visits,
            "figures": figures,
            "notes": list(_notes().filter(expert=the_expert)[:LATEST_NOTES]),
            "note_form": _note_form(expert=the_expert.public_id, next=request.get_full_path()),
        },
    )


# --- notes -------------------------------------------------------------------------------------


def _target(model: type[Any], value: Any) -> Any:
    if not value:
        return None
    rows = model.objects.filter(public_id=value)
    if model is Application:  # an application of the current program only (decision 0030)
        rows = rows.filter(cycle__in=tenant_cycles())
    found = rows.first()
    if found is None:
        raise Http404
    return found


@perm_required("supervision.view")
@require_http_methods(["GET", "POST"])
def notes(request: HttpRequest) -> HttpResponse:
    """The supervision notes, newest first (filter by cycle); POST files a new one."""
    if request.method == "POST":
        form = NoteForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.add_note(
                    actor=actor(request),
                    text=data["text"],
                    cycle=data["cycle"],
                    application=_target(Application, data["application"]),
                    expert=_target(Expert, data["expert"]),
                )
            except ServiceError as exc:
                if exc.status == 403:
                    raise
                for field, errs in (exc.fields or {"text": [exc.message]}).items():
                    for err in errs:
                        form.add_error(field if field in form.fields else None, err)
            else:
                messages.success(request, "监督记录已保存。")
                target = data["next"]
                if target and url_has_allowed_host_and_scheme(
                    target, allowed_hosts={request.get_host()}
                ):
                    return redirect(target)
                return redirect("supervision:notes")
    else:
        form = NoteForm()
    selected = query_int(request, "cycle")
    listed = _notes()
    if selected is not None:
        listed = listed.filter(cycle_id=selected)
    return render(
        request,
        "supervision/workspace_notes.html",
        {
            "form": form,
            "notes": list(listed[:200]),
            "cycles": list(tenant_cycles().order_by("-year")),
            "selected": "" if selected is None else str(selected),
        },
        status=400 if request.method == "POST" else 200,
    )


# --- the audit trail as Excel -------------------------------------------------------------------

# Above this many events the workbook is made by a background job (desk/exports.py, the export
# "audit"): measured 0.9 s for the demo's 763 events with the chain verified, on the shared
# 2-core machine under load (about 1.2 ms an event), and the trail grows without bound; below
# it the file comes at once, as it always did (a filtered question is usually small).
BACKGROUND_ROWS = 2000


@perm_required("audit.view_trail")
@require_GET
def audit_export(request: HttpRequest) -> HttpResponse:
    """The audit trail, filtered as on the trail page, as Excel. Its home is the audit app
    (audit/export.py: the catalogue's labels, the masking, the print layout); the workspace
    keeps its address. A large one is handed over, with its filter, to the background exports'
    page (``accounts:export_new``), which queues it for the requester alone (issue 17)."""
    form = TrailFilterForm(request.GET or None)
    events = trail(trail_filter(form, request.user)).values("pk")[: BACKGROUND_ROWS + 1]
    if events.count() <= BACKGROUND_ROWS:  # a bounded count: stops at the threshold
        return audit_export_view(request)
    url = reverse("accounts:export_new", args=["audit"])
    query = request.GET.urlencode()
    return redirect(f"{url}?{query}" if query else url)
