"""The audit trail page (A27.1, A3.1): read by the audit administrator and the discipline
supervisors (`audit.view_trail`), filtered with choices built from `audit.catalogue`, every
event shown by its Chinese label, its object by name, its details in Chinese with personal
numbers masked, where it came from and the request it belongs to (参考编号: the number of the
error page and of the log lines; filtering by it gives every event of one request and of the
jobs that request queued)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from lib import tenancy
from lib.access import actor, perm_required

from . import anchors, catalogue, integrity
from .selectors import TrailFilter, object_types, role_labels, rows, trail

__all__ = ["TrailFilterForm", "anchor", "role_labels", "trail_page"]

_ALL = [("", "全部")]


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class TrailFilterForm(forms.Form):
    """The trail's filter; the choices come from the catalogue, the roles and the trail."""

    category = forms.ChoiceField(label="类别", required=False)
    action = forms.ChoiceField(label="操作", required=False)
    person = forms.CharField(label="操作人", required=False, max_length=150)
    role = forms.ChoiceField(label="角色", required=False)
    object_type = forms.ChoiceField(label="对象类型", required=False)
    object = forms.CharField(label="对象", required=False, max_length=200)
    request_id = forms.CharField(label="参考编号", required=False, max_length=64)
    date_from = _date_field("起始日期")
    date_to = _date_field("截止日期")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["category"].choices = _ALL + [(c, c) for c in catalogue.CATEGORIES]
        fields["action"].choices = _ALL + [
            (category, [(a.code, a.label) for a in actions])
            for category, actions in catalogue.by_category()
            if actions
        ]
        fields["role"].choices = _ALL + list(role_labels().items())
        fields["object_type"].choices = _ALL + object_types()
        for f in fields.values():
            select = isinstance(f, forms.ChoiceField)
            f.widget.attrs["class"] = (
                "form-select form-select-sm" if select else "form-control form-control-sm"
            )
        fields["person"].widget.attrs["placeholder"] = "姓名或账号"
        fields["object"].widget.attrs["placeholder"] = "名称或编号"
        fields["request_id"].widget.attrs["placeholder"] = "错误页面或日志中的编号"

    def conditions(self) -> str:
        """The filter in words, for the export's title row: 类别：纪律监督；起始日期：2026-01-01."""
        if not self.is_valid():
            return ""
        parts = []
        for name, value in self.cleaned_data.items():
            if not value:
                continue
            field: Any = self.fields[name]
            shown = (
                dict(_flat(field.choices)).get(value, value) if hasattr(field, "choices") else value
            )
            parts.append(f"{field.label}：{shown}")
        return "；".join(parts)


def _flat(choices: Any) -> list[tuple[Any, Any]]:
    out: list[tuple[Any, Any]] = []
    for value, label in choices:
        if isinstance(label, (list, tuple)):
            out.extend(label)
        else:
            out.append((value, label))
    return out


def trail_filter(form: TrailFilterForm, reader: Any) -> TrailFilter:
    """The fields that are valid (an unknown choice is named on the page and left out), in the
    reader's reach: the audit administrator reads every program's events, a program's
    supervisors their current program's (decision 0030)."""
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    every = reader.has_perm("audit.view_all_programs")
    program = None if every else tenancy.current()
    return TrailFilter(
        **{k: v for k, v in cleaned.items() if v},
        program_id=None if program is None else program.pk,
        older=bool(program is not None and program.is_default),
    )


@perm_required("audit.view_trail")
def trail_page(request: HttpRequest) -> HttpResponse:
    """The audit trail, 50 events a page, newest first; read only. With ?verify=1 the whole
    chain is verified against its checkpoints, and every official result against its last
    audited value, first (`audit.integrity.verify`; on demand: it reads every event)."""
    verification = integrity.verify() if request.GET.get("verify") == "1" else None
    chain = verification.chain if verification is not None else None
    form = TrailFilterForm(request.GET or None)
    page = Paginator(trail(trail_filter(form, request.user)), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("verify", None)
    return render(
        request,
        "audit/trail.html",
        {
            "form": form,
            "page": page,
            "rows": rows(page.object_list, request.user),
            "query": query.urlencode(),
            "chain": chain,
            "state": verification.state if verification is not None else None,
            "verified_at": timezone.now() if chain is not None else None,
        },
    )


@perm_required("audit.write_anchor")
@require_POST
def anchor(request: HttpRequest) -> HttpResponse:
    """The audit administrator writes a checkpoint of the chain now (`audit.anchors.write`:
    the file outside the database, the supervisors told)."""
    try:
        checkpoint = anchors.write(actor=actor(request), role="auditadmin", reason="页面写入")
    except OSError as exc:  # the anchor directory is missing or read-only
        messages.error(request, f"检查点未写入：检查点目录不可写（{exc.strerror}）。")
    else:
        messages.success(
            request, f"已写入{checkpoint.label}，并已通知纪律监督员。哈希：{checkpoint.hash}"
        )
    return redirect("audit:trail")
