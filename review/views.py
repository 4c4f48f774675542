"""Pages of the review for experts, group leaders, supervisors and applicants: the scorecard
(A17.1), the leader's consensus, the site visit (A17.1, A27.1) and the two-way feedback (A28.1).
Thin views over `review.services`; what each person may see is `review.selectors` (a 404 for
anything else). The Office's pages are `review/office/`."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from experts.models import Assignment
from intake.models import Application, State
from intake.selectors import get_application_for_user
from lib import rubrics, scoring
from lib.access import actor, refused, refused_on_form
from lib.errors import ServiceError
from lib.http import file_response
from programs.models import Stage

from . import boundaries, forms, selectors, services, workflow
from .models import Evaluation, Feedback, RubricItem, Scorecard

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# The applicant's feedback report exists once its application is evaluated; these states come
# before (or instead of) that.
NOT_EVALUATED = {
    State.DRAFT,
    State.SUBMITTED,
    State.RETURNED,
    State.RECOMMENDED,
    State.ACCEPTED,
    State.NOT_ACCEPTED,
    State.MATERIAL_REVIEW,
    State.SITE_REVIEW,
    State.WITHDRAWN,
    State.DISQUALIFIED,
}


def _status(exc: ServiceError) -> int:
    return 409 if exc.status == 409 else 400


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
            percent = int(raw) if isinstance(raw, str) and raw.isdigit() else None
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
        "percent_choices": forms.PERCENT_CHOICES,
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
    rubric = selectors.rubric_of(assignment.group.application)
    items = selectors.rubric_items(rubric) if rubric is not None else []
    revision = forms.revision(request.POST)
    return services.save_scorecard(
        actor=actor(request),
        assignment=assignment,
        scores=forms.item_entries(request.POST, items),
        summary=request.POST.get("summary", ""),
        # No revision posted: never overwrite blindly, let the service call it stale.
        revision=revision if revision is not None else -1,
    )


@login_required
def card(request: HttpRequest, public_id: Any, stage: str) -> HttpResponse:
    """The expert's scorecard. POST saves the draft: from htmx (autosave) the answer is the
    status line, the new revision and total only, never the form; a refused save (another
    window saved first: "stale") leaves the expert's page as it is and says so."""
    assignment = selectors.assignment_for(request.user, public_id, stage)
    if request.method != "POST":
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
        return render(
            request,
            "review/_card_status.html",
            {
                "saved_at": timezone.localtime(saved.saved_at) if saved.saved_at else None,
                "revision": saved.revision,
                "total": services.card_score(saved),
            },
        )
    messages.success(request, "评分表草稿已保存。")
    return redirect("review:card", public_id=public_id, stage=stage)


@login_required
@require_POST
def card_submit(request: HttpRequest, public_id: Any, stage: str) -> HttpResponse:
    """Save what the page shows (when posted with it), then submit and lock the card; an
    incomplete card comes back with the list of what is missing."""
    assignment = selectors.assignment_for(request.user, public_id, stage)
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
            row.percent = int(raw) if isinstance(raw, str) and raw.isdigit() else None
            row.strengths, row.opportunities = entry["strengths"], entry["opportunities"]
        comment = posted.get("comment", "")
    proposed = scoring.stage_score(
        (r.item.points, r.percent) for r in matrix.rows if r.percent is not None
    )
    final = matrix.consensus is not None and matrix.consensus.final
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
            "refusal": refusal,
            "members": members,
            "editable": not final and refusal is None,
            "errors": errors or {},
            "percent_choices": forms.PERCENT_CHOICES,
            "reason_form": forms.ReasonForm(),
        },
        status=status,
    )


@login_required
def consensus(request: HttpRequest, public_id: Any, stage: str) -> HttpResponse:
    """The leader's matrix of the members' scores and the group's consensus: 保存 keeps a draft,
    确认共识 fixes the stage score. Other members get a 403, anybody else a 404."""
    assignment = selectors.assignment_for(request.user, public_id, stage)
    if not selectors.is_leader(assignment):
        raise PermissionDenied("只有专家组组长可以记录共识。")
    if request.method != "POST":
        return _consensus_page(request, assignment)
    rubric = selectors.rubric_of(assignment.group.application)
    items = selectors.rubric_items(rubric) if rubric is not None else []
    final = request.POST.get("action") == "confirm"
    try:
        saved = services.save_consensus(
            actor=actor(request),
            group=assignment.group,
            items=forms.item_entries(request.POST, items),
            comment=request.POST.get("comment", ""),
            final=final,
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


# --- the site visit (A17.1, A27.1) -----------------------------------------------------------


def _site_page(
    request: HttpRequest,
    public_id: Any,
    *,
    record_form: forms.SiteRecordForm | None = None,
    report_form: forms.SupervisorReportForm | None = None,
    status: int = 200,
) -> HttpResponse:
    application, group, role = selectors.site_for(request.user, public_id)
    visit = selectors.visit_of(group)
    if record_form is None:
        record_form = forms.SiteRecordForm(
            initial={k: getattr(visit, k) for k in services.SITE_RECORD_FIELDS} if visit else {}
        )
    if report_form is None:
        report_form = forms.SupervisorReportForm(
            initial={
                "group_conduct": visit.group_conduct,
                "applicant_conduct": visit.applicant_conduct,
            }
            if visit
            else {}
        )
    return render(
        request,
        "review/site.html",
        {
            "application": application,
            "group": group,
            "role": role,
            "visit": visit,
            # Why the leader cannot write the record, or the supervisor report, now (the
            # services' own rules).
            "record_refusal": boundaries.site_record_refusal(application.cycle, visit)
            if visit
            else None,
            "report_refusal": boundaries.report_refusal(application.cycle),
            "record_form": record_form,
            "report_form": report_form,
            "record_fields": services.SITE_RECORD_FIELDS,
        },
        status=status,
    )


@login_required
def site(request: HttpRequest, public_id: Any) -> HttpResponse:
    """The site visit for its group's leader (record) and supervisor (report); 404 else."""
    return _site_page(request, public_id)


def _site_action(request: HttpRequest, public_id: Any, role: str) -> tuple[Any, Any] | HttpResponse:
    """The visit for the role acting, or a redirect when none is scheduled; 403 for the other
    role of the page."""
    _, group, who = selectors.site_for(request.user, public_id)
    if who != role:
        raise PermissionDenied
    visit = selectors.visit_of(group)
    if visit is None:
        messages.error(request, "委员会办公室尚未安排现场评审。")
        return redirect("review:site", public_id=public_id)
    return group, visit


@login_required
@require_POST
def site_record(request: HttpRequest, public_id: Any) -> HttpResponse:
    found = _site_action(request, public_id, "leader")
    if isinstance(found, HttpResponse):
        return found
    _, visit = found
    form = forms.SiteRecordForm(request.POST)
    form.is_valid()
    try:
        services.record_site_visit(
            actor=actor(request),
            visit=visit,
            **{k: request.POST.get(k, "") for k in services.SITE_RECORD_FIELDS},
        )
    except ServiceError as exc:
        if exc.status in (403, 404):
            refused(request, exc)
        messages.error(request, exc.message)
        refused_on_form(form, exc)
        return _site_page(request, public_id, record_form=form, status=_status(exc))
    messages.success(request, "现场评审记录已保存。")
    return redirect("review:site", public_id=public_id)


@login_required
@require_POST
def site_report(request: HttpRequest, public_id: Any) -> HttpResponse:
    found = _site_action(request, public_id, "supervisor")
    if isinstance(found, HttpResponse):
        return found
    _, visit = found
    form = forms.SupervisorReportForm(request.POST)
    form.is_valid()
    try:
        services.file_supervisor_report(
            actor=actor(request),
            visit=visit,
            group_conduct=request.POST.get("group_conduct", ""),
            applicant_conduct=request.POST.get("applicant_conduct", ""),
        )
    except ServiceError as exc:
        if exc.status in (403, 404):
            refused(request, exc)
        messages.error(request, exc.message)
        refused_on_form(form, exc)
        return _site_page(request, public_id, report_form=form, status=_status(exc))
    messages.success(request, "监督报告已提交。")
    return redirect("review:site", public_id=public_id)


# --- two-way feedback (A28.1) ----------------------------------------------------------------


@login_required
def feedback(request: HttpRequest, public_id: Any) -> HttpResponse:
    """After the site visit: the organization's contact rates the expert group, the group's
    leader rates the organization; once each, then read-only."""
    application, group, direction = selectors.feedback_for(request.user, public_id)
    visit = selectors.visit_of(group)
    given = selectors.own_feedback(application, direction)
    form_class: type[forms.GroupFeedbackForm] | type[forms.ApplicantFeedbackForm] = (
        forms.GroupFeedbackForm
        if direction == Feedback.Direction.OF_GROUP
        else forms.ApplicantFeedbackForm
    )
    form = form_class(request.POST or None)
    status = 200
    if request.method == "POST" and given is None:
        if form.is_valid():
            try:
                services.give_feedback(
                    actor=actor(request),
                    application=application,
                    direction=direction,
                    **form.cleaned_data,
                )
            except ServiceError as exc:
                if exc.status in (403, 404):
                    refused(request, exc)
                messages.error(request, exc.message)
                refused_on_form(form, exc)
                status = _status(exc)
            else:
                messages.success(request, "评价已提交，谢谢。")
                return redirect("review:feedback", public_id=public_id)
        else:
            status = 400
    elif request.method == "POST":
        messages.error(request, "已提交过评价，不能重复提交。")
        return redirect("review:feedback", public_id=public_id)
    return render(
        request,
        "review/feedback.html",
        {
            "application": application,
            "direction": direction,
            "of_group": direction == Feedback.Direction.OF_GROUP,
            "visit": visit,
            # Why feedback cannot be given now (the service's own rule).
            "refusal": boundaries.feedback_refusal(application.cycle, visit),
            "given": given,
            "form": form,
        },
        status=status,
    )


def _evaluated(application: Application) -> bool:
    return (
        application.state not in NOT_EVALUATED
        and Evaluation.objects.filter(application=application).exists()
    )


@login_required
def feedback_report(request: HttpRequest, public_id: Any) -> HttpResponse:
    """The applicant's own feedback report (strengths and opportunities by category, no expert
    names) as Word, once its application is evaluated; a 404 before and for anybody else."""
    application = get_application_for_user(request.user, public_id)
    if not request.user.has_perm("intake.edit_application", application):
        raise Http404
    if not _evaluated(application):
        raise Http404
    from review.documents import feedback_report_docx  # python-docx, loaded on demand

    data = feedback_report_docx(application)
    name = f"{application.cycle.year}年度{application.applicant_name}评审反馈报告.docx"
    return file_response(data, name, DOCX)
