"""The Office's expert pool: the list with the conditions of article 8 still unmet, the
expert's record (with the committee's sanctions) and the import from Excel."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from experts import forms, selectors, services
from experts.models import Expert
from lib import excel, industries
from lib.access import actor, perm_required, refused
from lib.errors import ServiceError
from lib.http import file_response

from .common import MANAGE, XLSX

PAGE_SIZE = 50


@perm_required(MANAGE)
def pool(request: HttpRequest) -> HttpResponse:
    """Every expert with the conditions of article 8 still unmet (A8.1)."""
    policy = selectors.policy_in_force()
    status = request.GET.get("status", "")
    if status not in Expert.Status.values:
        status = ""
    page = Paginator(selectors.pool(status=status), PAGE_SIZE).get_page(request.GET.get("page"))
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
            for e in selectors.past_employments(expert)
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
            current = selectors.current_employment(expert)
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
            "sanctions": selectors.sanctions_of(expert) if expert else [],
            "sanction_form": forms.SanctionForm(),
        },
    )


def _expert(public_id: Any) -> Expert:
    expert = selectors.expert(public_id=public_id)
    if expert is None:
        raise Http404
    return expert


@perm_required(MANAGE)
def add(request: HttpRequest) -> HttpResponse:
    return _expert_form(request, None)


@perm_required(MANAGE)
def edit(request: HttpRequest, public_id: Any) -> HttpResponse:
    return _expert_form(request, _expert(public_id))


@perm_required(MANAGE)
@require_POST
def sanction(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Record the committee's sanction on this expert (A26.2)."""
    expert = _expert(public_id)
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
    """An empty sheet with the headers `services.import_experts` reads: in row 1, where the
    import looks for them, so no title row above them (the sheet is filled in, not printed)."""
    data = excel.workbook_bytes(
        title="评审专家导入模板",
        headers=list(services.IMPORT_COLUMNS),
        rows=[],
        sheet_name="专家名单",
        title_row=False,
    )
    return file_response(data, "评审专家导入模板.xlsx", XLSX)
