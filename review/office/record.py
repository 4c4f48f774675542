"""One application's whole review for the Office and supervisors, read-only (A17.1, A27.1,
A28.1)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from lib.access import perm_required

from . import selectors
from .common import OVERSEE


@perm_required(OVERSEE)
def record(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Each stage's cards by expert, the consensus per item with its comment, the site-visit
    record and the supervisor's report, the two-way feedback (A28.1: only the Office and
    supervisors see it) and the evaluation."""
    return render(request, "review/record.html", selectors.application_record(public_id))
