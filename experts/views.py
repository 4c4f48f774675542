"""Pages of the expert pool, review groups and the expert's workspace: thin views over
`experts.services` (one POST URL per action, redirect with a message) and `experts.selectors`
(what an expert may see: anything else is a 404)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Role, User
from accounts.selectors import users_with_role
from audit.services import record
from intake import eligibility
from intake import forms as intake_forms
from intake.models import IN_REVIEW, Application, State
from lib import excel, industries
from lib.access import actor, perm_required, refused, refused_on_form
from lib.errors import ServiceError
from lib.http import file_response
from programs.models import Cycle, Policy, Stage
from programs.selectors import current_cycle, default_program, opened_cycles, today

from . import forms, selectors, services
from .models import (
    Acknowledgement,
    Assignment,
    CodeOfConduct,
    Conflict,
    Expert,
    NoConflictConfirmation,
    RecusalRequest,
    ReviewGroup,
)

MANAGE = "experts.manage_pool"
PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GROUP_STAGES = {s.value: s.label for s in ReviewGroup.STAGES}


def _policy() -> Policy | None:
    return Policy.objects.order_by("-effective_on").first()  # the Measures in force


# --- the pool ----------------------------------------------------------------------------------


@perm_required(MANAGE)
def pool(request: HttpRequest) -> HttpResponse:
    """Every expert with the conditions of article 8 still unmet (A8.1)."""
    policy = _policy()
    status = request.GET.get("status", "")
    experts = Expert.objects.all()
    if status in Expert.Status.values:
        experts = experts.filter(status=status)
    else:
        status = ""
    page = Paginator(experts, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for expert in page:
        gaps = services.qualification_gaps(expert, policy) if policy else ["未设置适用办法"]
        rows.append(
            {
                "expert": expert,
                "industries": [industries.label(c) for c in expert.industries],
                "gaps": gaps,
            }
        )
    return render(
        request,
        "experts/pool.html",
        {
            "rows": rows,
            "page": page,
            "status": status,
            "statuses": Expert.Status.choices,
            "query": urlencode({"status": status}) if status else "",
        },
    )


def _employments(form: forms.ExpertForm, expert: Expert | None) -> list[dict[str, Any]]:
    """The past employments kept as recorded, plus the current employer line of the form."""
    past: list[dict[str, Any]] = []
    if expert is not None:
        past = [
            {
                "employer_name": e.employer_name,
                "organization": e.organization,
                "starts_on": e.starts_on,
                "ends_on": e.ends_on,
            }
            for e in expert.employments.filter(ends_on__isnull=False)
        ]
    name = form.cleaned_data["employer_name"].strip()
    current = [{"employer_name": name, "starts_on": form.cleaned_data["employer_since"]}]
    return past + (current if name else [])


def _expert_form(request: HttpRequest, expert: Expert | None) -> HttpResponse:
    editing = expert is not None
    if request.method == "POST":
        form = forms.ExpertForm(request.POST, editing=editing)
        if form.is_valid():
            data = dict(form.cleaned_data)
            data.pop("employer_name")
            data.pop("employer_since")
            id_number = data.pop("id_number", "")
            try:
                saved = services.save_expert(
                    actor=actor(request),
                    expert=expert,
                    id_number=id_number,
                    employments=_employments(form, expert),
                    **data,
                )
            except ServiceError as exc:
                if exc.status == 403:
                    raise PermissionDenied(exc.message) from exc
                for field, errors in exc.fields.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
                if not exc.fields:
                    form.add_error(None, exc.message)
            else:
                messages.success(request, f"已{'修改' if editing else '添加'}专家{saved.name}。")
                return redirect("experts:pool")
    else:
        initial: dict[str, Any] = {}
        if expert is not None:
            initial = {f: getattr(expert, f) for f in services.EXPERT_FIELDS}
            current = expert.employments.filter(ends_on__isnull=True).first()
            if current is not None:
                initial |= {"employer_name": current.employer_name}
                initial |= {"employer_since": current.starts_on}
        form = forms.ExpertForm(initial=initial, editing=editing)
    return render(
        request,
        "experts/expert_form.html",
        {
            "form": form,
            "expert": expert,
            "sanctions": expert.sanctions.all() if expert else [],
            "sanction_form": forms.SanctionForm(),
        },
    )


@perm_required(MANAGE)
def add(request: HttpRequest) -> HttpResponse:
    return _expert_form(request, None)


@perm_required(MANAGE)
def edit(request: HttpRequest, public_id: Any) -> HttpResponse:
    return _expert_form(request, get_object_or_404(Expert, public_id=public_id))


@perm_required(MANAGE)
@require_POST
def open_group(request: HttpRequest, public_id: Any) -> HttpResponse:
    application = get_object_or_404(Application, public_id=public_id)
    stage = _stage(request.POST.get("stage", ""))
    try:
        services.open_group(actor=actor(request), application=application, stage=stage)
    except ServiceError as exc:
        refused(request, exc)
    else:
        messages.success(request, f"已为{application.applicant_name}建立专家组，请加入专家。")
    return redirect(_board_url(application.cycle, stage))


@perm_required(MANAGE)
@require_POST
def sanction(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Record the committee's sanction on this expert (A26.2)."""
    expert = get_object_or_404(Expert, public_id=public_id)
    form = forms.SanctionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写处分类型、决定日期、委员会决定和事由。")
    else:
        try:
            services.record_sanction(actor=actor(request), expert=expert, **form.cleaned_data)
        except ServiceError as exc:
            refused(request, exc)
        else:
            messages.success(request, f"已记录对{expert.name}的处分。")
    return redirect("experts:edit", public_id=expert.public_id)


@perm_required(MANAGE)
def import_experts(request: HttpRequest) -> HttpResponse:
    """Upload the Office's sheet; every bad row is listed and nothing is imported."""
    row_errors: list[str] = []
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            added = services.import_experts(
                actor=actor(request), data=form.cleaned_data["file"].read()
            )
        except ServiceError as exc:
            if exc.status == 403:
                raise PermissionDenied(exc.message) from exc
            messages.error(request, exc.message)
            row_errors = exc.fields.get("rows", [])
        else:
            messages.success(request, f"已导入{len(added)}名专家。")
            return redirect("experts:pool")
    return render(request, "experts/import.html", {"form": form, "row_errors": row_errors})


@perm_required(MANAGE)
def import_template(request: HttpRequest) -> HttpResponse:
    """An empty sheet with the headers `services.import_experts` reads."""
    data = excel.workbook_bytes(
        title="评审专家导入模板",
        headers=list(services.IMPORT_COLUMNS),
        rows=[],
        sheet_name="专家名单",
    )
    return file_response(data, "评审专家导入模板.xlsx", XLSX)


# --- review groups ----------------------------------------------------------------------------


def _board_url(cycle: Cycle | int | None, stage: str) -> str:
    query = {"stage": stage}
    if cycle is not None:
        query["cycle"] = str(cycle.pk if isinstance(cycle, Cycle) else cycle)
    return reverse("experts:groups") + "?" + urlencode(query)


def _stage(value: str) -> str:
    return value if value in GROUP_STAGES else Stage.MATERIAL_REVIEW.value


def _board(request: HttpRequest) -> tuple[list[Cycle], Cycle | None, str]:
    """The opened cycles, the one asked for (else the current one) and the stage."""
    cycles = list(opened_cycles())
    stage = _stage(request.GET.get("stage", ""))
    cycle: Cycle | None = None
    wanted = request.GET.get("cycle", "")
    if wanted.isdigit():
        cycle = next((c for c in cycles if c.pk == int(wanted)), None)
    if cycle is None:
        program = default_program()
        cycle = current_cycle(program) if program else None
    return cycles, cycle, stage


GROUP_EXPORT_HEADERS = [
    "年度",
    "阶段",
    "申报人",
    "类别",
    "专家",
    "组内角色",
    "职称",
    "工作单位",
    "熟悉行业",
    "产生方式",
    "已锁定",
    "分配依据",
    "评审监督员",
    "确定时间",
]


@perm_required(MANAGE)
def export_groups(request: HttpRequest) -> HttpResponse:
    """The groups of a cycle and stage as Excel, one row per member (for the Office's files)."""
    _, cycle, stage = _board(request)
    if cycle is None:
        raise Http404
    active = Assignment.objects.filter(removed_at__isnull=True).select_related("expert")
    groups = (
        ReviewGroup.objects.filter(application__cycle=cycle, stage=stage)
        .select_related("application__organization", "application__individual", "supervisor")
        .prefetch_related(
            Prefetch("assignments", queryset=active.prefetch_related("expert__employments"))
        )
        .order_by("application__kind", "application_id")
    )
    rows = []
    for group in groups:
        application = group.application
        for a in group.assignments.all():
            expert = a.expert
            employer = next(
                (e.employer_name for e in expert.employments.all() if e.ends_on is None), ""
            )
            rows.append(
                [
                    cycle.year,
                    GROUP_STAGES[stage],
                    application.applicant_name,
                    application.get_kind_display(),
                    expert.name,
                    "组长" if group.leader_id == expert.pk else "成员",
                    expert.title,
                    employer,
                    "、".join(industries.label(code) for code in expert.industries),
                    a.get_source_display(),
                    "是" if a.locked else "否",
                    "；".join(str(r) for r in a.reasons),
                    str(group.supervisor or ""),
                    timezone.localtime(group.confirmed_at) if group.confirmed_at else None,
                ]
            )
    name = f"{cycle.year}年度{GROUP_STAGES[stage]}专家组.xlsx"
    data = excel.workbook_bytes(
        title=name.removesuffix(".xlsx"),
        headers=GROUP_EXPORT_HEADERS,
        rows=rows,
        sheet_name=f"{GROUP_STAGES[stage]}专家组",
    )
    return file_response(data, name, XLSX)


@perm_required(MANAGE)
def groups(request: HttpRequest) -> HttpResponse:
    """The Office's board of one cycle and stage: each application's group, with why each member
    was chosen, and the actions on them (A17.1, A26.1, A27.1)."""
    cycles, cycle, stage = _board(request)
    context: dict[str, Any] = {
        "cycles": cycles,
        "cycle": cycle,
        "stage": stage,
        "stages": GROUP_STAGES,
    }
    if cycle is None:
        return render(request, "experts/groups.html", context)
    active = Assignment.objects.filter(removed_at__isnull=True).select_related("expert")
    applications = (
        Application.objects.filter(cycle=cycle, state__in=IN_REVIEW)
        .select_related("organization", "individual")
        .prefetch_related(
            Prefetch(
                "review_groups",
                queryset=ReviewGroup.objects.filter(stage=stage)
                .select_related("leader", "supervisor")
                .prefetch_related(Prefetch("assignments", queryset=active)),
            )
        )
        .order_by("pk")
    )
    if stage == Stage.SITE_REVIEW:
        applications = applications.filter(kind="organization")
    policy = cycle.policy
    qualified = [
        e for e in Expert.objects.order_by("name") if not services.qualification_gaps(e, policy)
    ]
    conflicted = services.conflicted_pairs(cycle)
    rows = []
    for application in applications:
        group = next(iter(application.review_groups.all()), None)
        members = list(group.assignments.all()) if group else []
        seated = {m.expert_id for m in members}
        rows.append(
            {
                "application": application,
                "group": group,
                "members": members,
                # Who may be added by hand: neither a member nor conflicted with the applicant.
                "candidates": [
                    e
                    for e in qualified
                    if e.pk not in seated and (application.pk, e.pk) not in conflicted
                ],
            }
        )
    code = CodeOfConduct.objects.filter(cycle=cycle).first()
    context |= {
        "rows": rows,
        "group_size": policy.expert_group_size,
        "qualified": qualified,
        "supervisors": users_with_role(Role.SUPERVISOR),
        "code": code,
        "signed": Acknowledgement.objects.filter(cycle=cycle).count(),
        "code_form": forms.CodeForm(initial={"text": code.text if code else ""}),
        "conflicts": Conflict.objects.filter(application__cycle=cycle).select_related(
            "expert", "application__organization", "application__individual", "recorded_by"
        ),
        "recusals": _recusals(cycle),
    }
    return render(request, "experts/groups.html", context)


def _recusals(cycle: Cycle) -> list[dict[str, Any]]:
    """The applicants' recusal requests with the pool experts each one matches."""
    requests = list(
        RecusalRequest.objects.filter(application__cycle=cycle).select_related(
            "application__organization", "application__individual"
        )
    )
    named = Expert.objects.filter(name__in={r.name for r in requests})
    pool = list(named.prefetch_related("employments"))
    return [{"request": r, "matches": services.recusal_matches(r, pool)} for r in requests]


def _cycle(request: HttpRequest, cycle_id: int) -> Cycle:
    return get_object_or_404(Cycle.objects.select_related("policy"), pk=cycle_id)


@perm_required(MANAGE)
@require_POST
def propose(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """Solve (or draw at random with a seed) every group of the stage."""
    cycle = _cycle(request, cycle_id)
    stage = _stage(request.POST.get("stage", ""))
    seed_text = request.POST.get("seed", "").strip()
    seed: int | None = None
    if seed_text:
        if not seed_text.isdigit():
            messages.error(request, "随机种子应为非负整数。")
            return redirect(_board_url(cycle, stage))
        seed = int(seed_text)
    try:
        summary = services.propose_groups(actor=actor(request), cycle=cycle, stage=stage, seed=seed)
    except ServiceError as exc:
        refused(request, exc)
    else:
        unfilled = sum(summary["unfilled"].values())
        how = f"随机抽取（种子{seed}）" if seed is not None else "优化分配"
        messages.success(
            request,
            f"已按{how}生成{summary['applications']}个专家组：最弱匹配{summary['worst_affinity']}，"
            f"总匹配度{summary['total_affinity']}，"
            + (f"尚缺{unfilled}个席位。" if unfilled else "各组均已配齐。"),
        )
    return redirect(_board_url(cycle, stage))


@perm_required(MANAGE)
@require_POST
def lock(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment = get_object_or_404(
        Assignment.objects.select_related("group__application"),
        pk=assignment_id,
        removed_at__isnull=True,
    )
    locked = request.POST.get("locked") == "1"
    try:
        services.set_locked(actor=actor(request), assignment=assignment, locked=locked)
    except ServiceError as exc:
        refused(request, exc)
    else:
        messages.success(request, f"已{'锁定' if locked else '解除锁定'}{assignment.expert}。")
    group = assignment.group
    return redirect(_board_url(group.application.cycle_id, group.stage))


def _group(group_id: int) -> ReviewGroup:
    return get_object_or_404(
        ReviewGroup.objects.select_related("application__cycle__policy"), pk=group_id
    )


@perm_required(MANAGE)
@require_POST
def assign(request: HttpRequest, group_id: int) -> HttpResponse:
    """Put a qualified expert in the group by hand (locked)."""
    group = _group(group_id)
    expert = Expert.objects.filter(pk=_int(request.POST.get("expert")) or 0).first()
    if expert is None:
        messages.error(request, "请选择专家。")
    else:
        try:
            services.assign_manually(
                actor=actor(request),
                group=group,
                expert=expert,
                reason=request.POST.get("reason", "").strip() or "人工调整",
            )
        except ServiceError as exc:
            refused(request, exc)
        else:
            messages.success(request, f"已将{expert}加入专家组。")
    return redirect(_board_url(group.application.cycle_id, group.stage))


@perm_required(MANAGE)
@require_POST
def leader(request: HttpRequest, group_id: int) -> HttpResponse:
    """Name the leader and, for 现场评审, the supervisor."""
    group = _group(group_id)
    expert = Expert.objects.filter(pk=_int(request.POST.get("leader")) or 0).first()
    supervisor = None
    if supervisor_id := _int(request.POST.get("supervisor")):
        supervisor = User.objects.filter(pk=supervisor_id).first()
    if expert is None:
        messages.error(request, "请选择组长。")
    else:
        try:
            services.set_leader(
                actor=actor(request), group=group, expert=expert, supervisor=supervisor
            )
        except ServiceError as exc:
            refused(request, exc)
        else:
            messages.success(request, f"已设定组长{expert}。")
    return redirect(_board_url(group.application.cycle_id, group.stage))


@perm_required(MANAGE)
@require_POST
def code(request: HttpRequest, cycle_id: int) -> HttpResponse:
    cycle = _cycle(request, cycle_id)
    try:
        services.set_code_of_conduct(
            actor=actor(request), cycle=cycle, text=request.POST.get("text", "")
        )
    except ServiceError as exc:
        refused(request, exc)
    else:
        messages.success(request, f"已发布{cycle.year}年度评审专家工作守则。")
    return redirect(_board_url(cycle, _stage(request.POST.get("stage", ""))))


@perm_required(MANAGE)
@require_POST
def detect(request: HttpRequest, cycle_id: int) -> HttpResponse:
    cycle = _cycle(request, cycle_id)
    try:
        found = services.detect_conflicts(actor=actor(request), cycle=cycle)
    except ServiceError as exc:
        refused(request, exc)
    else:
        messages.success(request, f"识别到{len(found)}项新的利害关系。")
    return redirect(_board_url(cycle, _stage(request.POST.get("stage", ""))))


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() else None


# --- the expert's workspace --------------------------------------------------------------------


def _expert(request: HttpRequest) -> Expert:
    expert = Expert.objects.filter(user=request.user.pk).first()
    if expert is None:
        raise Http404
    return expert


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """The expert's cycle: the code of conduct to sign first, then the assigned applications."""
    expert = _expert(request)
    program = default_program()
    cycle = current_cycle(program) if program else None
    code = CodeOfConduct.objects.filter(cycle=cycle).first() if cycle else None
    signed = Acknowledgement.objects.filter(expert=expert, cycle=cycle).first() if cycle else None
    assigned = list(selectors.assigned_applications(request.user).order_by("cycle__year", "pk"))
    confirmed = set(
        NoConflictConfirmation.objects.filter(
            expert=expert, application__in=[a.pk for a in assigned]
        ).values_list("application_id", flat=True)
    )
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
                {"application": a, "confirmed": a.pk in confirmed, "links": links.get(a.pk, [])}
                for a in assigned
            ],
            "declare_form": forms.DeclareForm(),
        },
    )


# The application states in which a stage's scorecards exist (opened by the Office: the review
# app moves the application into the stage when it opens the phase).
SCORING_STATES = {
    Stage.MATERIAL_REVIEW.value: {State.MATERIAL_REVIEW, State.SITE_REVIEW, State.EVALUATED},
    Stage.SITE_REVIEW.value: {State.SITE_REVIEW, State.EVALUATED},
}


def _review_links(expert: Expert, applications: list[Application]) -> dict[int, list[Any]]:
    """Per application the expert's review pages (scorecard per stage once it is open; for a
    leader the consensus and the site visit), by URL name: the review app sits above this one."""
    states = {a.pk: a for a in applications}
    links: dict[int, list[Any]] = {}
    mine = Assignment.objects.filter(
        expert=expert, removed_at__isnull=True, group__application__in=list(states)
    ).select_related("group")
    for a in sorted(mine, key=lambda a: a.group.stage != Stage.MATERIAL_REVIEW):
        group = a.group
        application = states[group.application_id]
        label = GROUP_STAGES[group.stage]
        leads = group.leader_id == expert.pk
        rows = links.setdefault(application.pk, [])
        if group.stage == Stage.SITE_REVIEW and leads and application.state != State.ACCEPTED:
            rows.append(
                (reverse("review:site", args=[application.public_id]), "现场评审安排与记录")
            )
        if application.state not in SCORING_STATES[group.stage]:
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
    cycle = get_object_or_404(Cycle, pk=_int(request.POST.get("cycle")) or 0)
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


@login_required
def read(request: HttpRequest, public_id: Any) -> HttpResponse:
    """The latest submitted 申报表, read-only, watermarked with the reader's name and time."""
    application = selectors.openable_applications(request.user).filter(public_id=public_id).first()
    if application is None:
        raise Http404
    version = application.versions.order_by("-number").first()
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
                application.kind, version.data, reference_year=reference.year
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
    application = selectors.openable_applications(request.user).filter(public_id=public_id).first()
    if application is None:
        raise Http404
    try:
        found, data = services.open_attachment(
            actor=actor(request), application=application, attachment_id=attachment_id
        )
    except ServiceError as exc:
        raise Http404 from exc
    return file_response(data, found.original_name, found.content_type)


# --- the applicant -------------------------------------------------------------------------


@login_required
def recusal(request: HttpRequest, public_id: Any) -> HttpResponse:
    """The applicant's requests that named people not review it (A26.1). The page never says
    whether a named person is in the pool."""
    from intake.selectors import get_application_for_user

    application = get_application_for_user(request.user, public_id)
    if not request.user.has_perm("intake.edit_application", application):
        raise Http404
    form = forms.RecusalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_recusal(
                actor=actor(request), application=application, **form.cleaned_data
            )
        except ServiceError as exc:
            refused_on_form(form, exc)
        else:
            messages.success(
                request,
                f"已记录对“{form.cleaned_data['name']}”的回避申请；"
                "该人员如在专家库中，将不参与本申报的评审。",
            )
            return redirect("experts:recusal", public_id=application.public_id)
    stage = application.cycle.stages.filter(stage=Stage.MATERIAL_REVIEW).first()
    return render(
        request,
        "experts/recusal.html",
        {
            "application": application,
            "form": form,
            "requests": application.recusal_requests.all(),
            "closes_on": stage.starts_on if stage else None,
            "is_open": stage is None or today() < stage.starts_on,
        },
        status=400 if form.errors else 200,
    )
