from __future__ import annotations

import base64
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from lib import certificates, rubrics, tenancy
from lib.access import actor, perm_required, refused_on_form
from lib.errors import ServiceError
from lib.http import file_response
from lib.workdays import ArrangementFileError, read_arrangement_file

from . import packs, selectors, services, site, workflow
from .context import current_program_or_none
from .forms import (
    ArrangementForm,
    CycleCreateForm,
    CycleDatesForm,
    PackConfirmForm,
    PackUploadForm,
    SealForm,
    SealRemoveForm,
)
from .models import Announcement, AwardProgram, Cycle, HolidayArrangement, Policy, Seal


def home(request: HttpRequest) -> HttpResponse:
    """The public home page of the current program (the default one at `/`, any under
    `/<slug>/`; programs/site.py): its name, this year's timeline and its announcements."""
    program = current_program_or_none()
    cycle = selectors.current_cycle(program) if program else None
    return render(
        request,
        "programs/home.html",
        {
            "program": program,
            "award_name": site.award_name(program) if program else "",
            "nomination": _has_nomination(program, cycle),
            "cycle": cycle,
            "timeline": selectors.timeline(cycle) if cycle else [],
            "announcements": selectors.public_announcements(program) if program else [],
        },
    )


def _has_nomination(program: AwardProgram | None, cycle: Cycle | None) -> bool:
    """Whether the program's Measures set a nomination award (a quota for it): the shown
    year's, else the newest version's."""
    if cycle is not None:
        policy: Policy | None = cycle.policy
    else:
        policy = program.policies.order_by("-effective_on").first() if program else None
    return policy is not None and policy.quota_organization_nomination > 0


def announcement_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    """An announcement of the current program; another program's is not found here (404), it
    is at that program's own address."""
    program = current_program_or_none()
    announcement = get_object_or_404(
        Announcement.objects.select_related("program"), public_id=public_id, program=program
    )
    return render(
        request,
        "programs/announcement.html",
        {"announcement": announcement, "program": announcement.program},
    )


def _office_cycle(pk: int) -> Cycle:
    cycle = selectors.cycles_with_stages().filter(tenancy.current_q(), pk=pk).first()
    if cycle is None:  # none, or another program's (decision 0030)
        raise Http404
    return cycle


@perm_required("programs.manage_cycle")
def cycle_list(request: HttpRequest) -> HttpResponse:
    program = current_program_or_none()
    if program is None:
        raise Http404
    form = CycleCreateForm(program=program)
    cycles = selectors.cycles_with_stages().filter(program=program)
    return render(
        request, "programs/cycle_list.html", {"cycles": cycles, "form": form, "program": program}
    )


@perm_required("programs.manage_cycle")
@require_POST
def cycle_create(request: HttpRequest) -> HttpResponse:
    program = current_program_or_none()
    if program is None:
        raise Http404
    form = CycleCreateForm(request.POST, program=program)
    if form.is_valid():
        try:
            cycle = services.create_cycle(
                actor=actor(request),
                program=program,
                year=form.cleaned_data["year"],
                policy=form.cleaned_data["policy"],
                work_plan=form.cleaned_data["work_plan"],
            )
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已创建{cycle.year}年度，请设置各阶段日期。")
            return redirect("programs:cycle_detail", pk=cycle.pk)
    cycles = selectors.cycles_with_stages().filter(program=program)
    return render(
        request,
        "programs/cycle_list.html",
        {"cycles": cycles, "form": form, "program": program},
        status=400,
    )


@perm_required("programs.manage_cycle")
def cycle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _office_cycle(pk)
    form = CycleDatesForm(cycle=cycle)
    return _cycle_page(request, cycle, form)


def _cycle_page(
    request: HttpRequest, cycle: Cycle, form: CycleDatesForm, status: int = 200
) -> HttpResponse:
    # What the Office may do with this year now, and why not: asked of the workflow table.
    actions = workflow.allowed_actions(cycle, request.user)
    return render(
        request,
        "programs/cycle_detail.html",
        {
            "cycle": cycle,
            "form": form,
            "timeline": selectors.timeline(cycle),
            "actions": actions,
            "refusals": workflow.refusals(actions),
        },
        status=status,
    )


@perm_required("programs.manage_cycle")
@require_POST
def cycle_set_dates(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _office_cycle(pk)
    form = CycleDatesForm(request.POST, cycle=cycle)
    if form.is_valid():
        try:
            services.set_cycle_dates(
                actor=actor(request),
                cycle=cycle,
                dates=form.dates(),
                reason=form.cleaned_data["reason"],
            )
        except ServiceError as exc:
            form.add_error(None, exc.message)
            for stage, errors in exc.fields.items():
                field = f"{stage}__starts_on"
                for error in errors:
                    if field in form.fields:
                        form.add_error(field, error)
        else:
            messages.success(request, "各阶段日期已保存。")
            return redirect("programs:cycle_detail", pk=cycle.pk)
    return _cycle_page(request, cycle, form, status=400)


@perm_required("programs.manage_cycle")
@require_POST
def cycle_publish(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _office_cycle(pk)
    try:
        announcement = services.publish_call(actor=actor(request), cycle=cycle)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已发布《{announcement.title}》。")
    return redirect("programs:cycle_detail", pk=cycle.pk)


@perm_required("programs.manage_calendar")
def calendar(request: HttpRequest) -> HttpResponse:
    return _calendar_page(request, ArrangementForm())


def _calendar_page(request: HttpRequest, form: ArrangementForm, status: int = 200) -> HttpResponse:
    arrangements = HolidayArrangement.objects.prefetch_related("days").select_related("entered_by")
    return render(
        request,
        "programs/calendar.html",
        {"form": form, "arrangements": arrangements},
        status=status,
    )


@perm_required("programs.manage_calendar")
@require_POST
def calendar_enter(request: HttpRequest) -> HttpResponse:
    form = ArrangementForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload:
                days = read_arrangement_file(upload.read(), upload.name)
            else:
                text = "日期,类型,名称\n" + form.cleaned_data["days"]
                days = read_arrangement_file(text.encode(), "entered.csv")
            arrangement = services.enter_holiday_arrangement(
                actor=actor(request),
                year=form.cleaned_data["year"],
                notice_ref=form.cleaned_data["notice_ref"],
                days=days,
            )
        except ArrangementFileError as exc:
            for error in exc.errors:
                form.add_error(None, error)
        except ServiceError as exc:
            for errors in exc.fields.values() or [[exc.message]]:
                for error in errors:
                    form.add_error(None, error)
        else:
            messages.success(
                request, f"已录入{arrangement.year}年节假日安排（{arrangement.days.count()}天）。"
            )
            return redirect("programs:calendar")
    return _calendar_page(request, form, status=400)


# --- the office's 电子印章 (issue 16) ------------------------------------------------------------


def _program() -> AwardProgram:
    program = current_program_or_none()
    if program is None:
        raise Http404
    return program


def _seal_page(
    request: HttpRequest,
    *,
    form: SealForm | None = None,
    remove_form: SealRemoveForm | None = None,
    status: int = 200,
) -> HttpResponse:
    program = _program()
    current = Seal.objects.select_related("uploaded_by").filter(program=program).first()
    return render(
        request,
        "programs/seal.html",
        {
            "program": program,
            "seal": current,
            # Shown inline (CSP allows data: images): the image never gets a URL of its own.
            "seal_src": (
                "data:image/png;base64," + base64.b64encode(bytes(current.image)).decode()
                if current
                else ""
            ),
            "form": form or SealForm(),
            "remove_form": remove_form or SealRemoveForm(),
            "max_kb": settings.SEAL_MAX_BYTES // 1024,
        },
        status=status,
    )


@perm_required("programs.manage_cycle")
def seal(request: HttpRequest) -> HttpResponse:
    """The office's 电子印章: what certificates carry now, upload or replace it, take it off."""
    return _seal_page(request)


@perm_required("programs.manage_cycle")
@require_POST
def seal_upload(request: HttpRequest) -> HttpResponse:
    form = SealForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["image"]
        # One byte over the limit is enough to refuse; never read an unbounded upload whole.
        data = upload.read(settings.SEAL_MAX_BYTES + 1)
        try:
            services.upload_seal(
                actor=actor(request), program=_program(), name=upload.name, data=data
            )
        except ServiceError as exc:
            refused_on_form(form, exc)
        else:
            messages.success(request, "电子印章已保存：此后下载的证书将加盖此印章。")
            return redirect("programs:seal")
    return _seal_page(request, form=form, status=400)


@perm_required("programs.manage_cycle")
@require_POST
def seal_remove(request: HttpRequest) -> HttpResponse:
    form = SealRemoveForm(request.POST)
    if form.is_valid():
        try:
            services.remove_seal(
                actor=actor(request), program=_program(), reason=form.cleaned_data["reason"]
            )
        except ServiceError as exc:
            refused_on_form(form, exc)
        else:
            messages.success(request, "电子印章已撤下：此后下载的证书不再加盖印章。")
            return redirect("programs:seal")
    return _seal_page(request, remove_form=form, status=400)


@perm_required("programs.manage_cycle")
def seal_specimen(request: HttpRequest) -> HttpResponse:
    """A specimen certificate (样张 across it, an example holder, unsigned) carrying the
    current seal, to see where it lands before any certificate is downloaded."""
    program = _program()
    current = Seal.objects.filter(program=program).values_list("image", flat=True).first()
    number = certificates.new_number(selectors.today().year)
    data = certificates.certificate_pdf(
        holder="（样张）某某有限公司",
        holder_note="统一社会信用代码：（样张）",
        level=f"{program.name}",
        year=selectors.today().year,
        number=number,
        verify_url=f"{settings.SITE_URL}/",
        issued_on=selectors.today(),
        issuer=program.government,
        seal=bytes(current) if current else None,
        specimen=True,
    )
    return file_response(data, "荣誉证书样张.pdf", "application/pdf")


# --- 办法与参数: the Measures of the program, and loading a revised pack (issue 18 part 2) -----

# The pack's sections (packs.NUMBERS) as a reader of the Measures names them.
SECTIONS = {
    "quotas": "名额",
    "scoring": "评分与权重",
    "notice": "公示",
    "bonus": "奖金",
    "eligibility": "申报条件",
    "experts": "评审专家",
    "reporting": "获奖后的报告义务",
    "reapplication": "重新申报",
    "fraud": "弄虚作假的处理",
    "personal_data": "个人信息",
}


def _shown(value: object, field: str) -> str:
    if value is None:
        return "不设"
    if field.startswith("bonus_") and isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _number_sections(policy: Policy) -> list[dict[str, Any]]:
    """Every number of the policy under its pack section: key, Chinese name, value, article."""
    out = []
    for section, keys in packs.NUMBERS.items():
        rows = [
            {
                "key": f"{section}.{key}",
                "label": packs.label(Policy, spec.field),
                "value": _shown(getattr(policy, spec.field), spec.field),
                "article": spec.article,
            }
            for key, spec in keys.items()
        ]
        if section == "eligibility":
            rows.append(
                {
                    "key": f"eligibility.{packs.ENVIRONMENTAL_RATING}",
                    "label": packs.label(Policy, "min_environmental_rating"),
                    "value": policy.get_min_environmental_rating_display(),
                    "article": "A12.5",
                }
            )
        out.append({"name": section, "label": SECTIONS[section], "rows": rows})
    return out


def _rubric_summaries(policy: Policy) -> list[dict[str, Any]]:
    stored = policy.rubrics or packs.default_rubrics()
    return [
        {
            "kind": packs.KIND_LABELS[kind],
            "key": stored[kind]["key"],
            "name": stored[kind]["name"],
            "total_points": stored[kind]["total_points"],
            "categories": stored[kind]["categories"],
            "items": len(stored[kind]["items"]),
            "source": stored[kind].get("source", ""),
        }
        for kind in rubrics.KINDS
        if kind in stored
    ]


def _versions(program: AwardProgram) -> list[dict[str, Any]]:
    """The program's policies, newest first, with the years that use each: a policy a year
    published its call under is locked (load_program never rewrites it)."""
    policies = program.policies.order_by("-effective_on").prefetch_related(
        Prefetch("cycle_set", queryset=Cycle.objects.order_by("year"), to_attr="years")
    )
    return [
        {
            "policy": p,
            "years": p.years,  # type: ignore[attr-defined]  # the Prefetch's to_attr
            "locked": any(c.status != Cycle.Status.DRAFT for c in p.years),  # type: ignore[attr-defined]
        }
        for p in policies
    ]


def _measures_page(
    request: HttpRequest,
    *,
    pk: int | None = None,
    form: PackUploadForm | None = None,
    preview: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    program = _program()
    versions = _versions(program)
    if not versions:
        raise Http404
    chosen = next((v for v in versions if v["policy"].pk == pk), None) if pk else versions[0]
    if chosen is None:
        raise Http404
    policy: Policy = chosen["policy"]
    used = set(policy.rules) or set(packs.rules_of(policy))
    return render(
        request,
        "programs/measures.html",
        {
            "program": program,
            "versions": versions,
            "chosen": chosen,
            "policy": policy,
            "sections": _number_sections(policy),
            "rules": [r for r in packs.RULES if r.name in used],
            "rules_off": [r for r in packs.RULES if r.name not in used],
            "rubrics": _rubric_summaries(policy),
            "can_load": request.user.has_perm("programs.manage_policy"),
            "form": form or PackUploadForm(),
            "preview": preview,
            "max_kb": services.PACK_MAX_BYTES // 1024,
        },
        status=status,
    )


@perm_required("programs.view_policy")
def measures(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """办法与参数: the program's versions of the Measures and, for the chosen one (the newest by
    default), every number with its article, the rules it needs and its rubrics."""
    return _measures_page(request, pk=pk)


@perm_required("programs.view_policy")
def measures_pack(request: HttpRequest, pk: int) -> HttpResponse:
    """The pack of the program under this policy: `dump_program`'s text (for the newest)."""
    program = _program()
    policy = program.policies.filter(pk=pk).first()
    if policy is None:
        raise Http404
    data = packs.program_pack(program.slug)
    assert data is not None  # the program has this policy
    if data["measures"]["document_number"] != policy.document_number:
        # An older version: the same pack, under that policy.
        data = packs.as_data(program, policy, _units() if "units" in data else None)
    name = f"{program.slug}-{policy.effective_on:%Y-%m-%d}.yaml"
    return file_response(packs.dump(data).encode(), name, "application/yaml; charset=utf-8")


def _units() -> list[Any]:
    from accounts.models import RecommendingUnit

    return list(RecommendingUnit.objects.filter(active=True).order_by("pk"))


def _refusal(exc: ServiceError) -> list[str]:
    return exc.problems if isinstance(exc, packs.PackRefused) else [exc.display]


@perm_required("programs.manage_policy")
@require_POST
def measures_preview(request: HttpRequest) -> HttpResponse:
    """Upload a pack: the dry run's changes, or every refusal; nothing is written."""
    form = PackUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _measures_page(request, form=form, status=400)
    upload = form.cleaned_data["file"]
    # One byte over the cap is enough to refuse; an unbounded upload is never read whole.
    data = upload.read(services.PACK_MAX_BYTES + 1)
    name = upload.name[-200:]
    with_units = not form.cleaned_data["skip_units"]
    try:
        pack, sha256, lines = services.preview_pack(
            actor=actor(request),
            program=_program(),
            data=data,
            name=name,
            with_units=with_units,
        )
    except ServiceError as exc:
        _refuse_403(exc)
        preview = {"name": name, "problems": _refusal(exc)}
        return _measures_page(request, form=form, preview=preview, status=400)
    confirm = PackConfirmForm(
        initial={
            "content": base64.b64encode(data).decode(),
            "name": name,
            "skip_units": not with_units,
            "previewed": services.changes_digest(lines),
        }
    )
    preview = {"name": name, "sha256": sha256, "pack": pack, "lines": lines, "confirm": confirm}
    return _measures_page(request, form=form, preview=preview)


def _refuse_403(exc: ServiceError) -> None:
    if exc.status == 403:
        raise DjangoPermissionDenied(exc.message)


@perm_required("programs.manage_policy")
@require_POST
def measures_confirm(request: HttpRequest) -> HttpResponse:
    """确认载入: the previewed pack loaded for real, audited under the clerk's name."""
    confirm = PackConfirmForm(request.POST)
    if confirm.is_valid():
        data = confirm.cleaned_data["content"]
        name = confirm.cleaned_data["name"]
        try:
            lines = services.confirm_pack(
                actor=actor(request),
                program=_program(),
                data=data,
                name=name,
                with_units=not confirm.cleaned_data["skip_units"],
                previewed=confirm.cleaned_data["previewed"],
                reason=confirm.cleaned_data["reason"],
            )
        except ServiceError as exc:
            _refuse_403(exc)
            preview = {"name": name, "problems": _refusal(exc)}
            return _measures_page(
                request, preview=preview, status=409 if exc.status == 409 else 400
            )
        messages.success(request, f"已载入方案包 {name}：" + "；".join(lines))
        return redirect("programs:measures")
    # Only the reason can be wrong for a person (the hidden fields come from the preview): the
    # form again with its error, above the same dry run's changes.
    name = str(confirm.data.get("name", ""))[-200:]
    again: dict[str, Any] = {"name": name, "confirm": confirm, "lines": None}
    content = confirm.cleaned_data.get("content")
    if isinstance(content, bytes):
        try:
            _, again["sha256"], again["lines"] = services.preview_pack(
                actor=actor(request),
                program=_program(),
                data=content,
                name=name,
                with_units=not confirm.cleaned_data.get("skip_units"),
            )
        except ServiceError as exc:
            _refuse_403(exc)
            again["problems"] = _refusal(exc)
    return _measures_page(request, preview=again, status=400)


@require_POST
def switch_program(request: HttpRequest) -> HttpResponse:
    """Work in another of the user's programs (the header's 切换奖项, shown to whoever holds
    roles in two or more; decision 0030). A program the user holds no role in is refused (404:
    its existence is not the user's to know)."""
    from accounts.selectors import held_program_ids

    from .middleware import SESSION_KEY

    program = AwardProgram.objects.filter(slug=request.POST.get("program", "")).first()
    if program is None or program.pk not in held_program_ids(request.user):
        raise Http404
    request.session[SESSION_KEY] = program.pk
    messages.success(request, f"已切换到{program.name}。")
    return redirect("accounts:dashboard")
