"""The expert's workspace: the cycle's code of conduct to sign, the assigned applications to
confirm free of conflict or to declare, and the materials to read (A6.3, A26.1)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Role
from audit.services import record
from experts import forms, selectors, services
from experts.models import Expert
from intake import eligibility
from intake import forms as intake_forms
from intake import schema as intake_schema
from intake.models import Application, State
from lib.access import actor, refused
from lib.errors import ServiceError
from lib.http import file_response
from programs.context import current_program_or_none
from programs.models import Stage
from programs.selectors import current_cycle

from .common import GROUP_STAGES, as_int


def _expert(request: HttpRequest) -> Expert:
    expert = selectors.expert_of(request.user)
    if expert is None:
        raise Http404
    return expert


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """The expert's cycle: the code of conduct to sign first, then the assigned applications."""
    expert = _expert(request)
    program = current_program_or_none()
    cycle = current_cycle(program) if program else None
    code = selectors.code_of_conduct(cycle)
    signed = selectors.acknowledgement(expert, cycle)
    # What the records show now takes a conflicted application off the list (A26.1).
    services.current_conflicts_of(expert)
    assigned = list(selectors.assigned_applications(request.user).order_by("cycle__year", "pk"))
    confirmed = selectors.confirmed(expert, assigned)
    links = _review_links(expert, [a for a in assigned if a.pk in confirmed])
    return render(
        request,
        "experts/mine.html",
        {
            "expert": expert,
            "cycle": cycle,
            "code": code,
            "signed": signed,
            "rows": [
                {
                    "application": a,
                    "confirmed": a.pk in confirmed,
                    "links": links.get(a.pk, []),
                    # A closed year: no confirmation or declaration any more, its reason shown.
                    "refusal": services.closed_refusal(a.cycle),
                }
                for a in assigned
            ],
            "declare_form": forms.DeclareForm(),
        },
    )


def _review_links(expert: Expert, applications: list[Application]) -> dict[int, list[Any]]:
    """Per application the expert's review pages (scorecard per stage once it is open; for a
    leader the consensus and the site visit), by URL name: the review app sits above this one.
    A stage's scorecards are linked once the application went through the stage, whatever its
    state now (a past year's cards stay readable). Two queries."""
    states = {a.pk: a for a in applications}
    scored = selectors.scored_stages(applications)
    links: dict[int, list[Any]] = {}
    seats = selectors.assignments_of(expert, states)
    for a in sorted(seats, key=lambda a: a.group.stage != Stage.MATERIAL_REVIEW):
        group = a.group
        application = states[group.application_id]
        label = GROUP_STAGES[group.stage]
        leads = group.leader_id == expert.pk
        rows = links.setdefault(application.pk, [])
        if group.stage == Stage.SITE_REVIEW and leads and application.state != State.ACCEPTED:
            rows.append(
                (reverse("review:site", args=[application.public_id]), "现场评审安排与记录")
            )
        if group.stage not in scored[application.pk]:
            continue
        args = [application.public_id, group.stage]
        rows.append((reverse("review:card", args=args), f"{label}评分表"))
        if leads:
            rows.append((reverse("review:consensus", args=args), f"{label}共识（组长）"))
    return links


@login_required
@require_POST
def acknowledge(request: HttpRequest) -> HttpResponse:
    _expert(request)
    cycle = selectors.cycle(as_int(request.POST.get("cycle")))
    if cycle is None:
        raise Http404
    try:
        services.acknowledge(actor=actor(request), cycle=cycle)
    except ServiceError as exc:
        refused(request, exc)
    else:
        messages.success(request, "已确认工作守则并签署公正性和保密承诺。")
    return redirect("experts:mine")


def _assigned(request: HttpRequest, public_id: Any) -> Application:
    application = selectors.assigned_applications(request.user).filter(public_id=public_id).first()
    if application is None:
        raise Http404
    return application


@login_required
@require_POST
def confirm(request: HttpRequest, public_id: Any) -> HttpResponse:
    application = _assigned(request, public_id)
    try:
        services.confirm_no_conflict(actor=actor(request), application=application)
    except ServiceError as exc:
        refused(request, exc)
    else:
        messages.success(request, f"已确认与{application.applicant_name}不存在利害关系。")
    return redirect("experts:mine")


@login_required
@require_POST
def declare(request: HttpRequest, public_id: Any) -> HttpResponse:
    application = _assigned(request, public_id)
    form = forms.DeclareForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择利害关系的类型。")
        return redirect("experts:mine")
    try:
        services.declare_conflict(
            actor=actor(request),
            application=application,
            expert=_expert(request),
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        )
    except ServiceError as exc:
        refused(request, exc)
    else:
        messages.success(
            request, f"已申报回避{application.applicant_name}，该申报已移出您的评审任务。"
        )
    return redirect("experts:mine")


def _openable(request: HttpRequest, public_id: Any) -> Application:
    """An application whose materials the expert may open now: assigned, confirmed, and free of
    conflict by detection run at this moment (A26.1); a 404 for anything else. A conflict found
    here ends the seat and is recorded (`services.guard_materials`)."""
    application = selectors.assigned_applications(request.user).filter(public_id=public_id).first()
    if application is None:
        raise Http404
    try:
        services.guard_materials(actor=actor(request), application=application)
    except ServiceError as exc:
        raise Http404(exc.message) from exc
    application = selectors.openable_applications(request.user).filter(public_id=public_id).first()
    if application is None:
        raise Http404
    return application


@login_required
def read(request: HttpRequest, public_id: Any) -> HttpResponse:
    """The latest submitted 申报表, read-only, watermarked with the reader's name and time."""
    application = _openable(request, public_id)
    version = selectors.latest_version(application)
    if version is None:
        raise Http404
    viewed_at = timezone.localtime()
    # A read changes nothing, so no service exists for it; the view records it itself
    # (A26.1: every view of the materials is audited), in its own transaction.
    with transaction.atomic():
        record(
            actor=actor(request),
            role=Role.EXPERT,
            action="experts.materials.view",
            obj=application,
            after={"version": version.number},
        )
    reference = eligibility.reference_date(application.cycle)
    user = request.user
    viewer = _expert(request).name or getattr(user, "username", "")
    return render(
        request,
        "experts/read.html",
        {
            "application": application,
            "version": version,
            "sheet": intake_forms.build_sheet(
                application.kind,
                version.data,
                reference_year=reference.year,
                lookback_years=application.cycle.policy.lookback_years,
                rubric=intake_schema.self_evaluation_rubric(
                    application.cycle.policy, application.kind
                ),
            ),
            "watermark": f"查阅人：{viewer} · {viewed_at:%Y-%m-%d %H:%M}",
            "attachments": [
                a | {"section": intake_forms.ATTACHMENT_SECTIONS.get(a["section"], a["section"])}
                for a in version.attachments
            ],
        },
    )


@login_required
def attachment(request: HttpRequest, public_id: Any, attachment_id: Any) -> HttpResponse:
    """An attachment of the materials the expert reads (audited); a 404 for anything else."""
    application = _openable(request, public_id)
    try:
        found, data = services.open_attachment(
            actor=actor(request), application=application, attachment_id=attachment_id
        )
    except ServiceError as exc:
        raise Http404 from exc
    return file_response(data, found.original_name, found.content_type)
