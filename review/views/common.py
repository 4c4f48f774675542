"""Helpers shared by the review pages."""

from __future__ import annotations

import functools

from django.http import Http404, HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

from experts import services as experts
from experts.models import Assignment
from lib.access import actor
from lib.errors import ServiceError
from review import forms

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _status(exc: ServiceError) -> int:
    return 409 if exc.status == 409 else 400


def guard(request: HttpRequest, assignment: Assignment) -> None:
    """Before a scorecard or the consensus page shows the application, detection runs for the
    expert and the application (A26.1): a conflict the records now show ends the seat, is
    recorded, and the page is a 404 like any application the expert may not open."""
    try:
        experts.guard_materials(actor=actor(request), application=assignment.group.application)
    except ServiceError as exc:
        raise Http404(exc.message) from exc


@functools.lru_cache(maxsize=64)
def percent_options(percent: int | None) -> SafeString:
    """The `<option>`s of a percentage select (forms.PERCENT_CHOICES) with `percent` selected,
    made once per value: 23 selects of 22 options rendered by the template were a third of the
    leader's matrix page (issue 17 part R)."""
    chosen = "" if percent is None else str(percent)
    selected = mark_safe(" selected")  # a constant
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (value, selected if value and value == chosen else "", label)
            for value, label in forms.PERCENT_CHOICES
        ),
    )
