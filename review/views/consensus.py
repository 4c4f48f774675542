"""The group leader's consensus and returning a card (A17.1)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from experts.models import Assignment
from lib import scoring
from lib.access import actor, refused
from lib.errors import ServiceError
from lib.params import parse_int
from programs.models import Stage
from review import boundaries, forms, selectors, services

from .common import _status, guard, percent_options

# --- the leader's consensus ------------------------------------------------------------------


def _consensus_page(
    request: HttpRequest,
    assignment: Assignment,
    *,
    posted: Mapping[str, Any] | None = None,
    errors: Mapping[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    group = assignment.group
    application = group.application
    matrix = selectors.matrix(group, application)
    comment = matrix.consensus.comment if matrix.consensus else ""
    if posted is not None:
        entries = forms.item_entries(posted, [r.item for r in matrix.rows])
        for row in matrix.rows:
            entry = entries[row.item.code]
            raw = entry["percent"]
            row.percent = parse_int(raw, lo=0)
            row.strengths, row.opportunities = entry["strengths"], entry["opportunities"]
        comment = posted.get("comment", "")
    for row in matrix.rows:
        setattr(row, "options", percent_options(row.percent))  # noqa: B010 - for the template
    proposed = scoring.stage_score(
        (r.item.points, r.percent) for r in matrix.rows if r.percent is not None
    )
    final = matrix.consensus is not None and matrix.consensus.final
    # The revision the page was built on; a refused save keeps the posted one, so saving again
    # stays refused until the leader reloads the page.
    revision = forms.revision(posted) if posted is not None else None
    if revision is None:
        revision = matrix.consensus.revision if matrix.consensus is not None else 0
    # Recording the consensus: the service's own rule. Returning a member's card: the
    # scorecard's table, per submitted card (the form, or why not).
    refusal = boundaries.consensus_refusal(application.cycle, group.stage)
    members = [
        (m, selectors.card_options(m.card, request.user, ("return",)).get("return"))
        if m.submitted and m.card is not None
        else (m, None)
        for m in matrix.members
    ]
    return render(
        request,
        "review/consensus.html",
        {
            "assignment": assignment,
            "application": application,
            "group": group,
            "stage": Stage(group.stage),
            "matrix": matrix,
            "comment": comment,
            "proposed": proposed,
            "final": final,
            "revision": revision,
            "refusal": refusal,
            "members": members,
            "editable": not final and refusal is None,
            "errors": errors or {},
            "reason_form": forms.ReasonForm(),
        },
        status=status,
    )


@login_required
def consensus(request: HttpRequest, public_id: Any, stage: str) -> HttpResponse:
    """The leader's matrix of the members' scores and the group's consensus: 保存 keeps a draft,
    确认共识 fixes the stage score. A save from a page older than the last save (another window)
    is refused with 409 and the leader's input shown again. Other members get a 403, anybody
    else a 404."""
    assignment = selectors.assignment_for(request.user, public_id, stage)
    if not selectors.is_leader(assignment):
        raise PermissionDenied("只有专家组组长可以记录共识。")
    guard(request, assignment)
    if request.method != "POST":
        return _consensus_page(request, assignment)
    rubric = selectors.rubric_of(assignment.group.application)
    items = selectors.rubric_items(rubric) if rubric is not None else []
    final = request.POST.get("action") == "confirm"
    revision = forms.revision(request.POST)
    try:
        saved = services.save_consensus(
            actor=actor(request),
            group=assignment.group,
            items=forms.item_entries(request.POST, items),
            comment=request.POST.get("comment", ""),
            final=final,
            # No revision posted: never overwrite blindly, let the service call it stale.
            revision=revision if revision is not None else -1,
        )
    except ServiceError as exc:
        if exc.status in (403, 404):
            refused(request, exc)
        messages.error(request, exc.message)
        return _consensus_page(
            request, assignment, posted=request.POST, errors=exc.fields, status=_status(exc)
        )
    if final:
        messages.success(request, f"已确认专家组共识，{Stage(stage).label}得分{saved.score}分。")
    else:
        messages.success(request, "共识草稿已保存。")
    return redirect("review:consensus", public_id=public_id, stage=stage)


@login_required
@require_POST
def reopen(request: HttpRequest, card_id: Any) -> HttpResponse:
    """The leader returns a member's submitted card with a reason (audited)."""
    scorecard = selectors.card_for_member(request.user, card_id)
    group = scorecard.assignment.group
    try:
        services.reopen_scorecard(
            actor=actor(request), scorecard=scorecard, reason=request.POST.get("reason", "")
        )
    except ServiceError as exc:
        refused(request, exc)
    else:
        messages.success(request, f"已退回{scorecard.assignment.expert}的评分表。")
    return redirect("review:consensus", public_id=group.application.public_id, stage=group.stage)
