from __future__ import annotations

import base64

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from lib import certificates
from lib.access import actor, perm_required, refused_on_form
from lib.errors import ServiceError
from lib.http import file_response
from lib.workdays import ArrangementFileError, read_arrangement_file

from . import selectors, services, workflow
from .forms import ArrangementForm, CycleCreateForm, CycleDatesForm, SealForm, SealRemoveForm
from .models import Announcement, AwardProgram, Cycle, HolidayArrangement, Seal


def home(request: HttpRequest) -> HttpResponse:
    """The public home page: the program, this year's timeline and announcements."""
    program = selectors.default_program()
    cycle = selectors.current_cycle(program) if program else None
    return render(
        request,
        "programs/home.html",
        {
            "program": program,
            "cycle": cycle,
            "timeline": selectors.timeline(cycle) if cycle else [],
            "announcements": selectors.public_announcements(program) if program else [],
        },
    )


def announcement_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    announcement = get_object_or_404(
        Announcement.objects.select_related("program"), public_id=public_id
    )
    return render(request, "programs/announcement.html", {"announcement": announcement})


def _office_cycle(pk: int) -> Cycle:
    cycle = selectors.cycles_with_stages().filter(pk=pk).first()
    if cycle is None:
        raise Http404
    return cycle


@perm_required("programs.manage_cycle")
def cycle_list(request: HttpRequest) -> HttpResponse:
    program = selectors.default_program()
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
    program = selectors.default_program()
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
    program = selectors.default_program()
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
