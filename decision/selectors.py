"""Reads for the Office's decision pages: the ranking to draft from, the year's list with all it
went through, the bonus ledger, and the objects the pages act on (`decision/views/` queries no
model itself). Each is a fixed number of queries however many rows there are (STYLE.md: no
N+1); the actions are in `decision/services.py`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    BooleanField,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.urls import reverse

from intake import standing
from intake.models import AwardRecord, State
from programs.models import Cycle
from programs.selectors import tenant_cycles
from review.models import Evaluation

from .models import (
    Approval,
    ApprovalAttachment,
    BonusEntry,
    Certificate,
    Entry,
    Objection,
    Proposal,
)

# --- the ranking to draft from (A5.2, A19.1, A24.1) ---------------------------------------------


def ranked(cycle: Cycle) -> list[Evaluation]:
    """The cycle's evaluated applications with rank and final score, organizations first, each
    marked `rewinner` as `services.is_rewinner` would (A24.1, `standing.rewinner_exists`; one
    query)."""
    rewinner = standing.rewinner_exists(
        organization=OuterRef("application__organization"), year=cycle.year, program=cycle.program
    )
    return list(
        Evaluation.objects.filter(application__cycle=cycle, application__state=State.EVALUATED)
        .select_related("application__organization", "application__individual")
        .annotate(rewinner=rewinner)
        .order_by("-application__kind", "rank", "application_id")
    )


# --- the year's list and what happened to it ------------------------------------------------


@dataclass
class Board:
    proposal: Proposal | None
    entries: list[Entry] = field(default_factory=list)
    approvals: dict[str, Approval] = field(default_factory=dict)
    objections: list[Objection] = field(default_factory=list)
    awards: Sequence[AwardRecord] = field(default_factory=list)


def board(cycle: Cycle) -> Board:
    """The cycle's list (if drafted) with its entries and their scores, both approvals, the
    objections and, once announced, the awards with certificates and bonus due. The list's
    cycle is `cycle` itself, with what the caller loaded (policy, stages for the workflow
    table's windows)."""
    proposal = proposal_of(cycle)
    if proposal is None:
        return Board(proposal=None)
    entries = list(
        proposal.entries.select_related(
            "application__organization", "application__individual", "application__evaluation"
        )
    )
    approvals = {
        a.body: a
        for a in proposal.approvals.select_related("recorded_by").prefetch_related("attachments")
    }
    objections = list(
        proposal.objections.select_related(
            "entry__application__organization", "entry__application__individual", "decided_by"
        ).order_by("filed_at", "pk")
    )
    awards: Sequence[AwardRecord] = []
    if proposal.state == Proposal.State.ANNOUNCED:
        awards = list(
            AwardRecord.objects.filter(application__cycle=cycle)
            .select_related("organization", "individual", "certificate")
            .annotate(due=_sum(BonusEntry.Kind.DUE))
            .order_by("-application__kind", "level", "pk")  # organizations, award first
        )
    return Board(proposal, entries, approvals, objections, awards)


def objection(receipt: str) -> Objection | None:
    """An objection to a notice of the current program (another program's: None, so 404)."""
    return (
        Objection.objects.filter(proposal__cycle__in=tenant_cycles())
        .select_related(
            "proposal__cycle",
            "entry__application__organization",
            "entry__application__individual",
            "decided_by",
        )
        .prefetch_related("evidence")
        .filter(receipt=receipt)
        .first()
    )


# --- the bonus ledger (A21.1, A22.1) ----------------------------------------------------------


def program_awards() -> QuerySet[AwardRecord]:
    return AwardRecord.objects.filter(standing.program_awards_q())


def _sum(kind: str) -> Coalesce:
    return Coalesce(
        Sum("bonus_entries__amount", filter=Q(bonus_entries__kind=kind)),
        Value(0),
        output_field=IntegerField(),
    )


def ledger() -> QuerySet[AwardRecord]:
    """Every award with what is due, paid and recovered (`services.ledger_balance` for all
    awards at once), whether it was a re-winner's (the decision's own mark, else
    `standing.rewinner_exists`; A24.1) or a repeat of an earlier award of its level (A21.1),
    and its entries, newest year first."""
    mark = Entry.objects.filter(application=OuterRef("application")).values("rewinner")[:1]
    holder: dict[str, Any] = {"organization": OuterRef("organization"), "year": OuterRef("year")}
    return (
        program_awards()
        .select_related("organization", "individual")
        .annotate(
            due=_sum(BonusEntry.Kind.DUE),
            paid=_sum(BonusEntry.Kind.PAYMENT),
            recovered=_sum(BonusEntry.Kind.RECOVERY),
            rewinner=Coalesce(
                Subquery(mark, output_field=BooleanField()),
                standing.rewinner_exists(**holder),
                output_field=BooleanField(),
            ),
            repeated=standing.repeated_exists(
                individual=OuterRef("individual"), level=OuterRef("level"), **holder
            ),
        )
        .prefetch_related(
            Prefetch(
                "bonus_entries",
                queryset=BonusEntry.objects.select_related("recorded_by").order_by("on", "pk"),
            )
        )
        .order_by("-year", F("individual").asc(nulls_first=True), "level", "pk")
    )


def ledger_entries() -> QuerySet[BonusEntry]:
    """One row per ledger entry for the Excel, with its award (one query)."""
    return (
        BonusEntry.objects.filter(standing.program_awards_q("award__"))
        .select_related("award__organization", "award__individual", "recorded_by")
        .order_by("-award__year", "award_id", "on", "pk")
    )


# --- what the pages act on ---------------------------------------------------------------------


def cycle(pk: int) -> Cycle | None:
    """A cycle with its policy (quotas, score lines, notice length), program and stage dates
    (the workflow table's windows)."""
    return (
        tenant_cycles()
        .select_related("policy", "program")
        .prefetch_related("stages")
        .filter(pk=pk)
        .first()
    )


def proposal_of(cycle: Cycle) -> Proposal | None:
    """The cycle's list, if drafted; its `cycle` is the one given (one query)."""
    found = Proposal.objects.filter(cycle=cycle).first()
    if found is not None:
        found.cycle = cycle
    return found


def levels(proposal: Proposal | None) -> dict[int, str]:
    """The level the draft gives each application (by id)."""
    if proposal is None:
        return {}
    return dict(proposal.entries.values_list("application_id", "level"))


def approval_attachment(pk: int) -> ApprovalAttachment | None:
    """A document of the current program's list (another program's: None, so 404)."""
    return ApprovalAttachment.objects.filter(
        pk=pk, approval__proposal__cycle__in=tenant_cycles()
    ).first()


def certificate(number: str) -> Certificate | None:
    """A certificate by its printed number, with its award, holder and program."""
    return (
        Certificate.objects.select_related(
            "award__organization", "award__individual", "award__application__cycle__program"
        )
        .filter(number=number)
        .first()
    )


def award(pk: int) -> AwardRecord | None:
    """An award of the current program (another program's: None, so 404)."""
    return program_awards().select_related("organization", "individual").filter(pk=pk).first()


# --- the workbench ------------------------------------------------------------------------------


def todos(user: Any) -> list[tuple[str, int, str]]:
    """What waits for the Office in 公示 (for the workbench): objections not yet answered, each
    of which must be answered before the notice may end (A20.2). The public files them without
    an account, so this is where the Office learns of them."""
    if not getattr(user, "is_authenticated", False) or not user.has_perm("decision.manage"):
        return []
    waiting = Objection.objects.filter(
        outcome=Objection.Outcome.OPEN, proposal__cycle__in=tenant_cycles()
    )  # the current program's (decision 0030)
    first = waiting.select_related("proposal").order_by("filed_at").first()
    link = reverse("decision:board")
    if first is not None:
        link += f"?cycle={first.proposal.cycle_id}#objections"
    return [("待核查答复的异议", waiting.count(), link)]
