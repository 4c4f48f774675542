"""Pages of 申报推荐 and 资格审查: thin views over `intake.services`.

Applications are loaded only through `selectors.get_application_for_user` (404 for what the
user must not know exists); every change is a POST to one URL per action that calls one service
and redirects with a message.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Q, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Individual, Organization, RecommendingUnit, Role
from accounts.selectors import scopes_of
from lib import files, idcard, industries
from lib.access import actor, perm_required, refused
from lib.errors import ServiceError
from lib.http import file_response
from programs.models import Cycle
from programs.selectors import current_cycle, default_program, today

from . import documents, eligibility, forms, schema, selectors, services, workflow
from . import standing as standing_services
from .models import (
    Application,
    Attachment,
    AwardRecord,
    Ban,
    EligibilityResult,
    Kind,
    QualificationDecision,
    Recommendation,
    State,
)

EDITABLE = frozenset({State.DRAFT, State.RETURNED})
PAGE_SIZE = 20


def _application(request: HttpRequest, public_id: Any) -> Application:
    return selectors.get_application_for_user(request.user, public_id)


def _to_detail(application: Application) -> HttpResponse:
    return redirect("intake:detail", public_id=application.public_id)


def _to_edit(application: Application, anchor: str = "") -> HttpResponse:
    return redirect(reverse("intake:edit", args=[application.public_id]) + anchor)


# --- lists -------------------------------------------------------------------------------------


def _list_title(roles: frozenset[Role]) -> str:
    if Role.OFFICE in roles:
        return "资格审查"
    if Role.RECOMMENDER in roles:
        return "推荐审核"
    if roles & {Role.APPLICANT, Role.INDIVIDUAL}:
        return "我的申报"
    return "申报"


def _filtered(rows: Any, filters: forms.ListFilterForm) -> Any:
    if filters.is_valid():
        wanted = filters.cleaned_data
        if wanted["year"]:
            rows = rows.filter(cycle__year=wanted["year"])
        if wanted["state"] == forms.OVERDUE:
            rows = rows.filter(workflow.overdue_q(today()))
        elif wanted["state"]:
            rows = rows.filter(state=wanted["state"])
        if wanted["unit"]:
            rows = rows.filter(recommending_unit_id=wanted["unit"])
        if wanted["kind"]:
            rows = rows.filter(kind=wanted["kind"])
    return rows


@login_required
def export_xlsx(request: HttpRequest) -> HttpResponse:
    """The list as Excel, with the list's filters (no 身份证 numbers)."""
    visible = selectors.applications_for(request.user)
    years = list(Cycle.objects.filter(applications__in=visible).values_list("year", flat=True))
    units = list(
        RecommendingUnit.objects.filter(applications__in=visible).values_list("pk", "name")
    )
    filters = forms.ListFilterForm(request.GET or None, years=years, units=units)
    data = documents.applications_xlsx(_filtered(visible, filters).order_by("cycle__year", "pk"))
    return file_response(data, "市长质量奖申报汇总.xlsx", documents.XLSX)


@login_required
def form_docx(request: HttpRequest, public_id: Any) -> HttpResponse:
    """The latest submitted 申报表 as Word, for the archive."""
    application = _application(request, public_id)
    version = application.versions.filter(number=application.version).first()
    if version is None:
        raise Http404
    name = (
        f"{application.applicant_name}-{application.cycle.year}年度申报表-第{version.number}版.docx"
    )
    return file_response(documents.application_form_docx(version), name, documents.DOCX)


@login_required
def application_list(request: HttpRequest) -> HttpResponse:
    """What the user may see, their own work first: 待推荐 for a town, 待审查 for the Office."""
    scopes = scopes_of(request.user)
    roles = frozenset(scopes)
    visible = selectors.applications_for(request.user)
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
    filters = forms.ListFilterForm(request.GET or None, years=years, units=units)
    rows = _filtered(visible, filters)
    todo = (
        State.RECOMMENDED
        if Role.OFFICE in roles
        else State.SUBMITTED
        if Role.RECOMMENDER in roles
        else None
    )
    pending = 0
    if todo is not None:
        # Work still to do: past its deadline an application is listed under 逾期未处理.
        due = Q(state=todo) & ~workflow.overdue_q(today())
        pending = visible.filter(due).count()
        rows = rows.order_by(
            Case(When(due, then=Value(0)), default=Value(1), output_field=IntegerField()),
            "-submitted_at",
            "-created_at",
        )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "intake/list.html",
        {
            "title": _list_title(roles),
            "page": page,
            "filters": filters,
            "todo": State(todo).label if todo else "",
            "todo_state": todo or "",
            "pending": pending,
            "query": query.urlencode(),
            "start": _start_choices(request, scopes),
            "show_unit": bool(roles & {Role.OFFICE, Role.SUPERVISOR, Role.RECOMMENDER}),
        },
    )


def _start_choices(request: HttpRequest, scopes: dict[Role, frozenset[Any]]) -> dict[str, Any]:
    """Whom the user may start an application for in the current cycle, and what exists."""
    if not (set(scopes) & {Role.APPLICANT, Role.INDIVIDUAL}):
        return {}
    program = default_program()
    cycle = current_cycle(program) if program else None
    if cycle is None:
        return {"cycle": None}
    organizations = list(
        Organization.objects.filter(pk__in=scopes.get(Role.APPLICANT, ())).order_by("name")
    )
    person = Individual.objects.filter(user=request.user.pk).first()
    mine = Q(organization__in=organizations)
    if person is not None:
        mine |= Q(individual=person)
    existing = {
        (a.organization_id, a.individual_id): a
        for a in Application.objects.filter(mine, cycle=cycle)
    }
    options = [
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
    return {"cycle": cycle, "options": options}


@login_required
@require_POST
def start(request: HttpRequest) -> HttpResponse:
    """Open a draft in the current published cycle, for one of the user's organizations or for
    the user as an individual applicant."""
    program = default_program()
    cycle = current_cycle(program) if program else None
    if cycle is None:
        messages.error(request, "本年度申报通知尚未发布，暂不接受申报。")
        return redirect("intake:list")
    scopes = scopes_of(request.user)
    chosen = request.POST.get("as", "")
    organization = person = None
    if chosen.startswith("organization:") and (wanted := _uuid(chosen.partition(":")[2])):
        organization = Organization.objects.filter(
            pk__in=scopes.get(Role.APPLICANT, ()), public_id=wanted
        ).first()
    elif chosen == "individual":
        person = Individual.objects.filter(user=request.user.pk).first()
        if person is None:
            messages.error(request, "您尚未登记个人申报信息，请先完成个人注册。")
            return redirect("intake:list")
    try:
        application = services.start_application(
            actor=actor(request), cycle=cycle, organization=organization, individual=person
        )
    except ServiceError as exc:
        refused(request, exc)
        return redirect("intake:list")
    messages.success(request, f"已创建{cycle.year}年度申报草稿，请填写申报表。")
    return _to_edit(application)


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


# --- the application's page ------------------------------------------------------------------


def _reference_year(application: Application) -> int:
    return eligibility.reference_date(application.cycle).year


def _applicant_facts(application: Application) -> list[tuple[str, str]]:
    """The registration facts the reviewers check against (the 身份证 number masked)."""
    org, person = application.organization, application.individual
    if org is not None:
        flags = "、".join(
            label
            for flag, label in ((org.is_construction, "建筑企业"), (org.is_industrial, "工业企业"))
            if flag
        )
        return [
            ("统一社会信用代码", org.uscc),
            ("所在镇（区、街道）", str(application.recommending_unit)),
            ("行业", industries.label(org.industry_code) if org.industry_code else "未填写"),
            ("成立日期", f"{org.established_on:%Y-%m-%d}" if org.established_on else "未填写"),
            ("法定代表人", org.legal_representative or "未填写"),
            ("企业类型", flags or "非建筑、非工业企业"),
            ("环保信用等级", org.get_environmental_rating_display()),
            ("首席质量官", org.chief_quality_officer or "未设立"),
        ]
    assert person is not None  # the database constraint: one of the two
    return [
        ("身份证号码", idcard.mask(person.id_number)),
        ("身份", person.get_position_display()),
        ("所在组织", person.employer_name),
        ("在本市从事质量工作", f"{person.quality_work_years}年"),
        ("推荐单位", str(application.recommending_unit)),
    ]


@dataclass(frozen=True)
class ResultRow:
    """One rule's outcome as the page shows it."""

    result: EligibilityResult
    title: str


@login_required
def detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    application = _application(request, public_id)
    user = request.user
    versions = list(application.versions.select_related("submitted_by"))
    latest = versions[-1] if versions else None
    shown = latest.data if latest else application.data
    reference = eligibility.reference_date(application.cycle)
    results = [
        ResultRow(
            r,
            getattr(eligibility.RULES_BY_KEY.get(r.rule), "title", r.rule),
        )
        for r in selectors.latest_eligibility(application)
    ]
    if latest is not None:
        attachments = [
            {
                "id": a["id"],
                "name": a["name"],
                "section": forms.ATTACHMENT_SECTIONS.get(a["section"], a["section"]),
                "size": a["size"],
            }
            for a in latest.attachments
        ]
        missing = schema.missing_for_submission(
            schema.parse(latest.data), kind=application.kind, reference=reference
        )
    else:
        attachments = [
            {
                "id": str(a.public_id),
                "name": a.original_name,
                "section": forms.ATTACHMENT_SECTIONS.get(a.section, a.section),
                "size": a.size,
            }
            for a in application.attachments.filter(removed_at__isnull=True)
        ]
        missing = []
    changes: list[forms.Change] = []
    attachment_changes: dict[str, list[str]] = {}
    if len(versions) >= 2:
        before, after = versions[-2], versions[-1]
        changes = forms.diff(before.data, after.data, kind=application.kind)
        old = {a["id"]: a["name"] for a in before.attachments}
        new = {a["id"]: a["name"] for a in after.attachments}
        attachment_changes = {
            "added": [n for i, n in new.items() if i not in old],
            "removed": [n for i, n in old.items() if i not in new],
        }
    decisions = list(
        application.decisions.select_related("decided_by", "corrects").order_by("decided_at")
    )
    corrected = {d.corrects_id for d in decisions if d.corrects_id}
    # The decision in force: the latest 受理 / 不予受理 not corrected (退回补正 is not one).
    current_decision = next(
        (
            d
            for d in reversed(decisions)
            if d.pk not in corrected and d.outcome != QualificationDecision.Outcome.RETURNED
        ),
        None,
    )
    state = application.state
    # What this person may do now, and why not: asked of the workflow table, never re-derived.
    actions = workflow.allowed_actions(application, user)
    can_edit = user.has_perm("intake.edit_application", application)
    confirmable = [r for r in results if r.result.outcome == EligibilityResult.Outcome.CONFIRM]
    failed = [r for r in results if r.result.outcome == EligibilityResult.Outcome.FAIL]
    failed_articles = {r.result.article for r in failed}
    return render(
        request,
        "intake/detail.html",
        {
            "application": application,
            "facts": _applicant_facts(application),
            "latest": latest,
            "versions": versions,
            "sheet": forms.build_sheet(application.kind, shown, reference_year=reference.year),
            "results": results,
            "attachments": attachments,
            "missing": missing,
            "changes": changes,
            "attachment_changes": attachment_changes,
            "recommendations": list(application.recommendations.select_related("unit", "reviewer")),
            "decisions": decisions,
            "current_decision": current_decision,
            "actions": actions,
            "refusals": workflow.refusals(actions),
            "decide": actions.get("accept"),
            "return_option": actions.get("return") or actions.get("office_return"),
            "correct": (
                actions.get("correct_to_accepted") or actions.get("correct_to_not_accepted")
            )
            if current_decision is not None
            else None,
            "progress": selectors.progress(application),
            "is_own": can_edit,
            "confirmable": confirmable,
            "failed": failed,
            "articles": [
                (code, label, code in failed_articles)
                for code, label in forms.article_choices(application.kind)
            ],
            "is_org": application.kind == Kind.ORGANIZATION,
            # A28.1 and the feedback report: the review's pages for the applicant (their own
            # views check again; linked by URL name since review sits above intake).
            "can_rate_group": can_edit
            and application.kind == Kind.ORGANIZATION
            and state in {State.SITE_REVIEW, State.EVALUATED},
            # The feedback report is the applicant's for good once the evaluation is done.
            "can_download_feedback": can_edit and state in selectors.FEEDBACK_STATES,
        },
    )


# --- the applicant's form ------------------------------------------------------------------


def _editable(request: HttpRequest, public_id: Any) -> Application:
    application = _application(request, public_id)
    if not request.user.has_perm("intake.edit_application", application):
        raise PermissionDenied
    return application


def _preview(application: Application) -> dict[str, Any]:
    """The rules and the missing parts against the saved draft: seen before submitting."""
    reference = eligibility.reference_date(application.cycle)
    findings = services.check_eligibility(application)
    return {
        "findings": [
            {
                "finding": f,
                "title": eligibility.RULES_BY_KEY[f.rule].title,
                "label": EligibilityResult.Outcome(f.outcome).label,
            }
            for f in findings
        ],
        "missing": schema.missing_for_submission(
            schema.parse(application.data), kind=application.kind, reference=reference
        ),
    }


def _edit_page(
    request: HttpRequest,
    application: Application,
    *,
    data: dict[str, Any],
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    reference_year = _reference_year(application)
    sheet = forms.build_sheet(
        application.kind, data, reference_year=reference_year, errors=errors, blank_rows=3
    )
    sections = forms.attachment_sections(application.kind)
    attachments = list(application.attachments.filter(removed_at__isnull=True))
    returned = application.recommendations.filter(outcome=Recommendation.Outcome.RETURNED).order_by(
        "-decided_at"
    )
    return render(
        request,
        "intake/edit.html",
        {
            "application": application,
            "sheet": sheet,
            "sections": [
                (key, label, [a for a in attachments if a.section == key])
                for key, label in sections.items()
            ],
            "returned": returned.first() if application.state == State.RETURNED else None,
            "max_mb": services.MAX_ATTACHMENT_BYTES // (1024 * 1024),
            "accept": ",".join(e for k in files.KINDS for e in k.extensions),
            "preview": _preview(application),
            "is_org": application.kind == Kind.ORGANIZATION,
        },
        status=status,
    )


@login_required
def edit(request: HttpRequest, public_id: Any) -> HttpResponse:
    application = _editable(request, public_id)
    if application.state not in EDITABLE:
        messages.info(request, f"该申报{application.get_state_display()}，不能再修改。")
        return _to_detail(application)
    return _edit_page(request, application, data=application.data)


@login_required
@require_POST
def save(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Save the draft. For htmx (autosave) the answer is the small status line plus the
    refreshed eligibility preview; otherwise the page, with errors at their fields."""
    application = _editable(request, public_id)
    data = forms.data_from_post(request.POST, kind=application.kind)
    autosave = request.headers.get("HX-Request") == "true"
    try:
        services.save_draft(actor=actor(request), application=application, data=data)
    except ServiceError as exc:
        if exc.status == 403:
            raise PermissionDenied(exc.message) from exc
        if autosave:
            return render(
                request,
                "intake/_autosave.html",
                {"error": exc.message, "count": sum(len(v) for v in exc.fields.values())},
            )
        if exc.status == 409:
            refused(request, exc)
            return _to_detail(application)
        messages.error(request, exc.message)
        return _edit_page(request, application, data=data, errors=exc.fields, status=400)
    if autosave:
        return render(
            request,
            "intake/_autosave.html",
            {"saved_at": timezone.localtime(), "preview": _preview(application)},
        )
    messages.success(request, "申报表已保存。")
    return _to_edit(application)


@login_required
@require_POST
def submit(request: HttpRequest, public_id: Any) -> HttpResponse:
    application = _editable(request, public_id)
    try:
        version = services.submit_application(actor=actor(request), application=application)
    except ServiceError as exc:
        refused(request, exc)
        return _to_edit(application) if application.state in EDITABLE else _to_detail(application)
    messages.success(
        request,
        f"已提交申报（第{version.number}版），等待{application.recommending_unit}审核推荐。",
    )
    return _to_detail(application)


@login_required
@require_POST
def withdraw(request: HttpRequest, public_id: Any) -> HttpResponse:
    return _text_action(
        request,
        public_id,
        forms.ReasonForm,
        "reason",
        "撤回原因过长。",
        "申报已撤回。",
        lambda application, text: services.withdraw_application(
            actor=actor(request), application=application, reason=text
        ),
    )


# --- attachments ------------------------------------------------------------------------------


@login_required
@require_POST
def attachment_add(request: HttpRequest, public_id: Any) -> HttpResponse:
    application = _editable(request, public_id)
    form = forms.AttachmentForm(request.POST)
    upload = request.FILES.get("file")
    if not form.is_valid() or upload is None:
        messages.error(request, "请选择附件所属栏目和要上传的文件。")
        return _to_edit(application, "#attachments")
    limit = services.MAX_ATTACHMENT_BYTES
    # Checked before reading: an oversized upload is never loaded into memory.
    if upload.size is not None and upload.size > limit:
        messages.error(
            request,
            f"文件“{upload.name}”大小为{upload.size / 1048576:.1f} MB，"
            f"超过上限{limit // 1048576} MB。",
        )
        return _to_edit(application, "#attachments")
    try:
        attachment = services.add_attachment(
            actor=actor(request),
            application=application,
            section=form.cleaned_data["section"],
            name=upload.name or "",
            data=upload.read(),
        )
    except ServiceError as exc:
        refused(request, exc)
    else:
        messages.success(request, f"已上传“{attachment.original_name}”。")
    return _to_edit(application, "#attachments")


@login_required
@require_POST
def attachment_remove(request: HttpRequest, public_id: Any, attachment_id: Any) -> HttpResponse:
    application = _editable(request, public_id)
    attachment = application.attachments.filter(
        public_id=attachment_id, removed_at__isnull=True
    ).first()
    if attachment is None:
        raise Http404
    try:
        services.remove_attachment(actor=actor(request), attachment=attachment)
    except ServiceError as exc:
        refused(request, exc)
    else:
        messages.success(request, f"已删除“{attachment.original_name}”。")
    return _to_edit(application, "#attachments")


@login_required
def attachment_download(request: HttpRequest, attachment_id: Any) -> HttpResponse:
    """The file, to whoever may see its application (404 otherwise); the service audits it."""
    attachment = (
        Attachment.objects.select_related("application")
        .filter(
            public_id=attachment_id,
            application__in=selectors.applications_for(request.user).values("pk"),
        )
        .first()
    )
    if attachment is None:
        raise Http404
    try:
        data = services.open_attachment(actor=actor(request), attachment=attachment)
    except ServiceError as exc:
        raise Http404 from exc
    return file_response(data, attachment.original_name, attachment.content_type)


# --- the recommending unit and the Office --------------------------------------------------


@login_required
@require_POST
def recommend(request: HttpRequest, public_id: Any) -> HttpResponse:
    return _text_action(
        request,
        public_id,
        forms.OpinionForm,
        "opinion",
        "推荐意见不能超过2000字。",
        "已签署推荐意见，申报已报送委员会办公室。",
        lambda application, text: services.recommend_application(
            actor=actor(request), application=application, opinion=text
        ),
    )


@login_required
@require_POST
def return_application(request: HttpRequest, public_id: Any) -> HttpResponse:
    return _text_action(
        request,
        public_id,
        forms.ReasonForm,
        "reason",
        "退回理由不能超过2000字。",
        "已退回申报人修改。",
        lambda application, text: services.return_application(
            actor=actor(request), application=application, reason=text
        ),
    )


@login_required
@require_POST
def lapse(request: HttpRequest, public_id: Any) -> HttpResponse:
    return _text_action(
        request,
        public_id,
        forms.ReasonForm,
        "reason",
        "说明不能超过2000字。",
        "已按逾期未受理办结，已通知申报人和推荐单位。",
        lambda application, text: services.lapse_application(
            actor=actor(request), application=application, reason=text
        ),
    )


def _text_action(
    request: HttpRequest,
    public_id: Any,
    form_class: Any,
    field: str,
    too_long: str,
    done: str,
    run: Callable[[Application, str], object],
) -> HttpResponse:
    """An action whose only input is a text (opinion, reason): the service decides the rest."""
    application = _application(request, public_id)
    form = form_class(request.POST)
    try:
        if not form.is_valid():
            raise ServiceError(too_long)
        run(application, form.cleaned_data[field])
    except ServiceError as exc:
        refused(request, exc)
    else:
        messages.success(request, done)
    return _to_detail(application)


def _confirmable_rules(application: Application) -> list[str]:
    """The rules of the submitted version that only the Office can confirm."""
    return [
        r.rule
        for r in selectors.latest_eligibility(application)
        if r.outcome == EligibilityResult.Outcome.CONFIRM
    ]


@login_required
@require_POST
def decide(request: HttpRequest, public_id: Any) -> HttpResponse:
    application = _application(request, public_id)
    confirmable = _confirmable_rules(application)
    form = forms.DecideForm(request.POST, kind=application.kind, confirmable=confirmable)
    if not form.is_valid():
        messages.error(request, "请选择受理或不予受理，并从列表中选择条款。")
        return _to_detail(application)
    accept = form.cleaned_data["outcome"] == "accept"
    try:
        services.decide_qualification(
            actor=actor(request),
            application=application,
            accept=accept,
            reason=form.cleaned_data["reason"],
            articles=form.cleaned_data["articles"],
            confirmed=form.cleaned_data["confirmed"],
        )
    except ServiceError as exc:
        refused(request, exc)
    else:
        messages.success(request, "已受理。" if accept else "已决定不予受理，已通知申报人。")
    return _to_detail(application)


@login_required
@require_POST
def correct(request: HttpRequest, public_id: Any, decision_id: int) -> HttpResponse:
    application = _application(request, public_id)
    decision = (
        QualificationDecision.objects.select_related("application")
        .filter(application=application, pk=decision_id)
        .first()
    )
    if decision is None:
        raise Http404
    confirmable = _confirmable_rules(application)
    form = forms.CorrectForm(request.POST, kind=application.kind, confirmable=confirmable)
    if not form.is_valid():
        messages.error(request, "请从列表中选择条款。")
        return _to_detail(application)
    try:
        services.correct_decision(
            actor=actor(request),
            decision=decision,
            reason=form.cleaned_data["reason"],
            articles=form.cleaned_data["articles"],
            confirmed=form.cleaned_data["confirmed"],
        )
    except ServiceError as exc:
        refused(request, exc)
    else:
        messages.success(request, "已更正资格审查决定，已通知申报人。")
    return _to_detail(application)


@perm_required("intake.decide_application")
def standing(request: HttpRequest) -> HttpResponse:
    """The Office's record of awards held (A24.1) and bans for fraud (A29.1)."""
    return _standing_page(
        request, forms.PriorAwardForm(prefix="award"), forms.BanForm(prefix="ban")
    )


def _standing_page(
    request: HttpRequest, award_form: Any, ban_form: Any, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "intake/standing.html",
        {
            "awards": AwardRecord.objects.select_related("organization", "individual"),
            "bans": Ban.objects.select_related("organization"),
            "award_form": award_form,
            "ban_form": ban_form,
            "today": today(),
        },
        status=status,
    )


@perm_required("intake.decide_application")
@require_POST
def standing_add(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in {"award", "ban"}:
        raise Http404
    award_form = forms.PriorAwardForm(request.POST if kind == "award" else None, prefix="award")
    ban_form = forms.BanForm(request.POST if kind == "ban" else None, prefix="ban")
    form = award_form if kind == "award" else ban_form
    if form.is_valid():
        data = dict(form.cleaned_data)
        organization = data.pop("uscc")
        try:
            if kind == "award":
                standing_services.record_prior_award(
                    actor=actor(request), organization=organization, **data
                )
            else:
                standing_services.record_ban(
                    actor=actor(request), organization=organization, **data
                )
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "已记录。")
            return redirect("intake:standing")
    return _standing_page(request, award_form, ban_form, status=400)
