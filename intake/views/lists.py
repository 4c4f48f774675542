"""The application list, its Excel export, and starting an application."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import two_factor
from accounts.models import RecommendingUnit, Role
from accounts.selectors import scopes_of
from intake import documents, forms, selectors, services, workflow
from intake.models import (
    State,
)
from jobs import exports as large_exports
from lib.access import actor, refused
from lib.errors import ServiceError
from lib.http import file_response
from lib.params import parse_int
from programs.context import current_program_or_none
from programs.models import Cycle
from programs.selectors import current_cycle, today

from .common import PAGE_SIZE, _application, _to_edit

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


EXPORT_NAME = "市长质量奖申报汇总.xlsx"


def _export_rows(user: Any, query: Any) -> Any:
    visible = selectors.applications_for(user)
    years, units = selectors.filter_choices(visible)
    filters = forms.ListFilterForm(query or None, years=years, units=units)
    # Neither the export nor the list shows a 身份证 number (not decrypted, issue 15 part 5)
    # nor the form (tens of kilobytes a row to read and decode: most of the export's time).
    return _filtered(visible, filters).defer(*selectors.LIST_DEFERRED)


def export_build(user: Any, query: Any) -> tuple[str, bytes]:
    """The list's export for `user` with the list's filters (`query`, a query string's fields):
    what the view sends at once, and what a background job makes (desk/exports.py)."""
    rows = _export_rows(user, query)
    return EXPORT_NAME, documents.applications_xlsx(rows.order_by("cycle__year", "pk"))


def export_scope(user: Any, query: Any) -> str:
    """The filter in words (the background export's page): 年度：2026年度；状态：已推荐."""
    years, units = selectors.filter_choices(selectors.applications_for(user))
    filters = forms.ListFilterForm(query or None, years=years, units=units)
    if not filters.is_valid():
        return "全部申报"
    parts = []
    for name, field in filters.fields.items():
        value = filters.cleaned_data.get(name)
        if value not in (None, ""):
            label = dict(getattr(field, "choices", [])).get(value, value)
            parts.append(f"{field.label}：{label}")
    return "；".join(parts) or "全部申报"


@login_required
@two_factor.fresh_otp_required  # applicants' names and contacts: personal data
def export_xlsx(request: HttpRequest) -> HttpResponse:
    """The list as Excel, with the list's filters (no 身份证 numbers). Above
    `jobs.exports.APPLICATIONS_ROWS` rows it is made in the background for the requester
    (desk/exports.py, export "applications")."""
    if large_exports.too_large(
        _export_rows(request.user, request.GET), large_exports.APPLICATIONS_ROWS
    ):
        return large_exports.hand_over(request, "applications")
    name, data = export_build(request.user, request.GET)
    return file_response(data, name, documents.XLSX)


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
    """What the user may see, their own work first: 待推荐 for a town, 待审查 for the Office.

    A page at a time in an indexed order (keyset: `after` / `before` name the row a page
    starts after or ends before, so page 1 and a late page cost the same); the counts are
    capped (selectors.COUNT_CAP) so no view walks a whole year (issue 17)."""
    scopes = scopes_of(request.user)
    roles = frozenset(scopes)
    visible = selectors.applications_for(request.user)
    years, units = selectors.filter_choices(visible)
    filters = forms.ListFilterForm(request.GET or None, years=years, units=units)
    rows = _filtered(visible, filters)
    todo = (
        State.RECOMMENDED
        if Role.OFFICE in roles
        else State.SUBMITTED
        if Role.RECOMMENDER in roles
        else None
    )
    pending = overdue = 0
    due = None
    if todo is not None:
        # Work still to do: past its deadline an application is listed under 逾期未处理.
        on = today()
        due = workflow.in_time_q(todo, on)  # only the to-do state's deadline
        pending = selectors.capped_count(visible.filter(due))
        if Role.OFFICE in roles:  # the Office closes them
            overdue = selectors.capped_count(visible.filter(workflow.overdue_q(on)))
        if not pending:
            # No to-do rows at all (the Office's after its qualification stage): one segment,
            # no query for the empty one nor the rule's negation built for the rest.
            due = None
    page = selectors.list_page(
        rows,
        todo=due,
        after=selectors.Cursor.parse(request.GET.get("after")),
        before=selectors.Cursor.parse(request.GET.get("before")),
        size=PAGE_SIZE,
    )
    query = request.GET.copy()
    for key in ("after", "before", "page"):
        query.pop(key, None)
    return render(
        request,
        "intake/list.html",
        {
            "title": _list_title(roles),
            "page": page,
            "total": selectors.capped_count(rows),
            "cap": selectors.COUNT_CAP,
            "filters": filters,
            "todo": State(todo).label if todo else "",
            "todo_state": todo or "",
            "pending": pending,
            "overdue": overdue,
            "overdue_value": forms.OVERDUE,
            "query": query.urlencode(),
            "start": _start_choices(request, scopes),
            "show_unit": bool(roles & {Role.OFFICE, Role.SUPERVISOR, Role.RECOMMENDER}),
        },
    )


def _start_choices(request: HttpRequest, scopes: dict[Role, frozenset[Any]]) -> dict[str, Any]:
    """Whom the user may start an application for in the current cycle, and what exists."""
    if not (set(scopes) & {Role.APPLICANT, Role.INDIVIDUAL}):
        return {}
    program = current_program_or_none()
    cycle = current_cycle(program) if program else None
    if cycle is not None and cycle.status != Cycle.Status.PUBLISHED:
        cycle = None
    return {"calls": selectors.open_calls(request.user, cycle)}


@login_required
@require_POST
def start(request: HttpRequest) -> HttpResponse:
    """Open a draft in the published cycle chosen (the current program's when none is named;
    another award's whose region holds the organization, `selectors.open_calls`), for one of
    the user's organizations or for the user as an individual applicant; with the unit chosen
    of that award when the organization is registered under another's."""
    program = current_program_or_none()
    cycle = current_cycle(program) if program else None
    if (wanted_cycle := _uuid(request.POST.get("cycle", ""))) is not None:
        cycle = Cycle.objects.filter(public_id=wanted_cycle).select_related("program").first()
    if cycle is None:
        messages.error(request, "本年度申报通知尚未发布，暂不接受申报。")
        return redirect("intake:list")
    unit = None
    if unit_id := parse_int(request.POST.get("unit")):
        unit = RecommendingUnit.objects.filter(pk=unit_id, program=cycle.program_id).first()
        if unit is None:
            messages.error(request, f"请选择{cycle.program.name}的推荐单位。")
            return redirect("intake:list")
    chosen = request.POST.get("as", "")
    organization = person = None
    if chosen.startswith("organization:") and (wanted := _uuid(chosen.partition(":")[2])):
        organization = selectors.own_organization(request.user, wanted)
    elif chosen == "individual":
        person = selectors.own_individual(request.user)
        if person is None:
            messages.error(request, "您尚未登记个人申报信息，请先完成个人注册。")
            return redirect("intake:list")
    try:
        application = services.start_application(
            actor=actor(request),
            cycle=cycle,
            organization=organization,
            individual=person,
            recommending_unit=unit,
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
