from __future__ import annotations

from django import forms
from django.apps import apps
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from lib.access import perm_required

from .models import AuditEvent
from .selectors import TrailFilter, trail
from .services import verify_chain

# Who acted: the roles of the accounts app (looked up, not imported: audit sits below it),
# plus the actors that are not roles.
OTHER_ACTORS = {"system": "系统", "self": "本人", "anonymous": "匿名"}


def role_labels() -> dict[str, str]:
    field = apps.get_model("accounts", "RoleAssignment")._meta.get_field("role")
    return OTHER_ACTORS | {str(k): str(v) for k, v in field.choices or []}


class TrailFilterForm(forms.Form):
    actor = forms.CharField(label="操作人", required=False)
    object_type = forms.CharField(label="对象类型", required=False)
    object_id = forms.CharField(label="对象标识", required=False)
    action = forms.CharField(label="操作", required=False)
    date_from = forms.DateField(
        label="起始日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label="截止日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


@perm_required("audit.view_trail")
def trail_page(request: HttpRequest) -> HttpResponse:
    """The audit trail for the audit administrator and supervisors (A27.1); read only. With
    ?verify=1 the whole chain is verified first and the page says whether it holds (on demand:
    it reads every event)."""
    chain = verify_chain() if request.GET.get("verify") == "1" else None
    form = TrailFilterForm(request.GET or None)
    f = (
        TrailFilter(**{k: v for k, v in form.cleaned_data.items() if v})
        if form.is_valid()
        else TrailFilter()
    )
    page = Paginator(trail(f), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("verify", None)
    return render(
        request,
        "audit/trail.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "role_labels": role_labels(),
            "chain": chain,
            "verified_at": timezone.now() if chain is not None else None,
            "object_types": AuditEvent.objects.order_by()
            .values_list("object_type", flat=True)
            .distinct(),
        },
    )
