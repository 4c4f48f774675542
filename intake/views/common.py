"""Helpers shared by the intake pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from intake import eligibility, selectors
from intake.models import Application, State
from lib.access import refused
from lib.errors import ServiceError

EDITABLE = frozenset({State.DRAFT, State.RETURNED})
PAGE_SIZE = 20


def _application(request: HttpRequest, public_id: Any) -> Application:
    return selectors.get_application_for_user(request.user, public_id)


def _to_detail(application: Application) -> HttpResponse:
    return redirect("intake:detail", public_id=application.public_id)


def _to_edit(application: Application, anchor: str = "") -> HttpResponse:
    return redirect(reverse("intake:edit", args=[application.public_id]) + anchor)


def _reference_year(application: Application) -> int:
    return eligibility.reference_date(application.cycle).year


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
