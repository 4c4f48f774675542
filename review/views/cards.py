"""The expert's scorecard (A17.1)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_POST

from experts.models import Assignment
from lib import rubrics, scoring
from lib.access import actor, refused
from lib.errors import ServiceError
from lib.params import parse_int
from programs.models import Stage
from review import boundaries, forms, selectors, services, workflow
from review.models import RubricItem, Scorecard

from .common import _status, guard, percent_options

# --- the scorecard (A17.1) -------------------------------------------------------------------


def _guidance(item_type: str) -> list[tuple[str, str]]:
    return [(f"{b.min}–{b.max}%", b.text(item_type)) for b in rubrics.bands()]


def _card_context(
    assignment: Assignment,
    user: Any,
    *,
    posted: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything the scorecard page shows; `posted` (a refused save) wins over the saved card
    so that nothing the expert typed is lost."""
    group = assignment.group
    application = group.application
    stage = group.stage
    card = selectors.own_card(assignment)
    phase = selectors.phase_of(application, stage)
    rubric = card.rubric if card is not None else selectors.rubric_of(application)
    items = selectors.rubric_items(rubric) if rubric is not None else []
    saved = {s.item_id: s for s in card.scores.all()} if card is not None else {}
    entries = forms.item_entries(posted, items) if posted is not None else {}
    others = selectors.other_scores(assignment, card, phase)
    # Saving and submitting as the scorecard's table answers them: the form when allowed now,
    # else why not (closed year, phase, dates), never re-derived here.
    options = selectors.card_options(
        card or workflow.blank_card(assignment), user, ("save", "submit")
    )
    submitted = card is not None and card.state == Scorecard.State.SUBMITTED
    guidance = {t: _guidance(t) for t in RubricItem.Type.values}
    total = Decimal(0)
    categories: list[dict[str, Any]] = []
    by_code = {c["code"]: c for c in rubric.categories} if rubric is not None else {}
    for item in items:
        if item.code in entries:
            entry = entries[item.code]
            raw = entry["percent"]
            percent = parse_int(raw, lo=0)
            strengths, opportunities = entry["strengths"], entry["opportunities"]
        else:
            score = saved.get(item.pk)
            percent = score.percent if score else None
            strengths = score.strengths if score else ""
            opportunities = score.opportunities if score else ""
        points = scoring.item_points(item.points, percent) if percent is not None else None
        total += points or 0
        if not categories or categories[-1]["code"] != item.category:
            info = by_code.get(item.category, {"code": item.category, "name": "", "points": ""})
            categories.append(dict(info) | {"rows": []})
        categories[-1]["rows"].append(
            {
                "item": item,
                "percent": percent,
                "strengths": strengths,
                "opportunities": opportunities,
                "points": points,
                "options": percent_options(percent),
                "guidance": guidance[item.type],
                "others": others.get(item.pk, []),
            }
        )
    revision = forms.revision(posted) if posted is not None else None
    return {
        "assignment": assignment,
        "application": application,
        "group": group,
        "stage": Stage(stage),
        "card": card,
        "phase": phase,
        "rubric": rubric,
        "categories": categories,
        "total": total,
        "summary": posted.get("summary", "")
        if posted is not None
        else (card.summary if card else ""),
        "revision": revision if revision is not None else (card.revision if card else 0),
        "deadline": boundaries.deadline(application.cycle, stage),
        "refusals": workflow.refusals(options),
        "submitted": submitted,
        "editable": "save" in options and options["save"].allowed and rubric is not None,
        "can_submit": "submit" in options and options["submit"].allowed,
        "others_visible": selectors.others_visible(card, phase),
        "is_leader": selectors.is_leader(assignment),
    }


def _card_page(
    request: HttpRequest,
    assignment: Assignment,
    *,
    posted: Mapping[str, Any] | None = None,
    missing: list[str] | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    context = _card_context(assignment, request.user, posted=posted)
    context |= {"missing": missing or [], "error": error}
    return render(request, "review/card.html", context, status=status)


def _save_card(request: HttpRequest, assignment: Assignment) -> Scorecard:
    """Save the posted draft through the service (raises its ServiceError)."""
    rubric = selectors.rubric_with_items(assignment.group.application)
    items = list(rubric.items.all()) if rubric is not None else []
    revision = forms.revision(request.POST)
    return services.save_scorecard(
        actor=actor(request),
        assignment=assignment,
        scores=forms.item_entries(request.POST, items),
        summary=request.POST.get("summary", ""),
        # No revision posted: never overwrite blindly, let the service call it stale.
        revision=revision if revision is not None else -1,
        rubric=rubric,
    )


@login_required
def card(request: HttpRequest, public_id: Any, stage: str) -> HttpResponse:
    """The expert's scorecard. POST saves the draft: from htmx (autosave) the answer is the
    status line, the new revision and total only, never the form; a refused save (another
    window saved first: "stale") leaves the expert's page as it is and says so."""
    assignment = selectors.assignment_for(request.user, public_id, stage)
    if request.method != "POST":
        guard(request, assignment)
        return _card_page(request, assignment)
    autosave = request.headers.get("HX-Request") == "true"
    try:
        saved = _save_card(request, assignment)
    except ServiceError as exc:
        if exc.status in (403, 404):
            refused(request, exc)
        if autosave:
            # 200 so that htmx swaps the message in; the form is not part of the answer.
            return render(
                request,
                "review/_card_status.html",
                {"error": exc.message, "stale": exc.code == "stale"},
            )
        return _card_page(
            request, assignment, posted=request.POST, error=exc.message, status=_status(exc)
        )
    if autosave:
        # The status line only: no request context (the page's menus and counts are not in it).
        return HttpResponse(
            render_to_string(
                "review/_card_status.html",
                {
                    "saved_at": timezone.localtime(saved.saved_at) if saved.saved_at else None,
                    "revision": saved.revision,
                    "total": services.card_score(saved),
                },
            )
        )
    messages.success(request, "评分表草稿已保存。")
    return redirect("review:card", public_id=public_id, stage=stage)


@login_required
@require_POST
def card_submit(request: HttpRequest, public_id: Any, stage: str) -> HttpResponse:
    """Save what the page shows (when posted with it), then submit and lock the card; an
    incomplete card comes back with the list of what is missing."""
    assignment = selectors.assignment_for(request.user, public_id, stage)
    guard(request, assignment)
    if "revision" in request.POST:
        try:
            _save_card(request, assignment)
        except ServiceError as exc:
            if exc.status in (403, 404):
                refused(request, exc)
            return _card_page(
                request, assignment, posted=request.POST, error=exc.message, status=_status(exc)
            )
    scorecard = selectors.own_card(assignment)
    if scorecard is None:
        messages.error(request, "评分表尚未填写，请先评分并保存。")
        return redirect("review:card", public_id=public_id, stage=stage)
    try:
        services.submit_scorecard(actor=actor(request), scorecard=scorecard)
    except ServiceError as exc:
        if exc.fields.get("items"):
            return _card_page(
                request,
                assignment,
                missing=exc.fields["items"],
                error=f"评分表尚不完整（{len(exc.fields['items'])}项），未提交：",
                status=400,
            )
        refused(request, exc)
        return redirect("review:card", public_id=public_id, stage=stage)
    messages.success(request, "评分表已提交。如需修改，请联系专家组组长退回。")
    return redirect("review:card", public_id=public_id, stage=stage)
