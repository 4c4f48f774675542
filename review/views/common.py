"""Helpers shared by the review pages."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from experts import services as experts
from experts.models import Assignment
from lib.access import actor
from lib.errors import ServiceError

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
