"""The Office's record of awards held (A24.1) and bans (A29.1)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from intake import forms
from intake import standing as standing_services
from intake.models import (
    AwardRecord,
    Ban,
)
from lib.access import actor, perm_required
from lib.errors import ServiceError, StateConflict
from programs.selectors import today


@perm_required("intake.decide_application")
def standing(request: HttpRequest) -> HttpResponse:
    """The Office's record of awards held (A24.1) and bans for fraud (A29.1)."""
    return _standing_page(
        request, forms.PriorAwardForm(prefix="award"), forms.BanForm(prefix="ban")
    )


def _standing_page(
    request: HttpRequest, award_form: Any, ban_form: Any, status: int = 200
) -> HttpResponse:
    try:  # the numbers the page quotes (A24.1, A29.1): the Measures in force today
        policy = standing_services.policy_in_force(today())
    except StateConflict:
        policy = None
    return render(
        request,
        "intake/standing.html",
        {
            "policy": policy,
            # The current program's awards only (another program's register is not ours).
            "awards": AwardRecord.objects.filter(
                standing_services.program_awards_q()
            ).select_related("organization", "individual"),
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
