"""What the Office's review pages share: permissions, labels, how a refusal is shown, and the
cycle a page is about."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.urls import reverse

from intake.models import Kind
from lib.errors import ServiceError
from lib.params import query_int
from programs.context import current_program_or_none
from programs.models import Cycle
from programs.selectors import current_cycle

from ..models import REVIEW_STAGES
from . import selectors

MANAGE = "review.manage"
OVERSEE = "review.oversee"
RESULTS = "review.view_results"
STAGES = {s.value: s.label for s in REVIEW_STAGES}
KINDS = dict(Kind.choices)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# How many refused applications a message names before "and N more" (the rest are on the board).
SHOWN_MISSING = 20


def refused(request: HttpRequest, exc: ServiceError) -> None:
    """Show a service's refusal with everything it found missing and the article it cites; a
    forbidden action is 403."""
    if exc.status == 403:
        raise PermissionDenied(exc.message)
    missing = exc.fields.get("applications", [])
    text = exc.message
    if len(missing) > 5:  # the service's message names the first five
        head, _, _ = text.partition("：")
        shown = "；".join(missing[:SHOWN_MISSING])
        more = f"等{len(missing)}项" if len(missing) > SHOWN_MISSING else ""
        text = f"{head}：{shown}{more}"
    if exc.article and exc.article not in text:
        text = ServiceError(text, article=exc.article).display
    messages.error(request, text)


def board_url(cycle: Cycle, anchor: str = "") -> str:
    url = reverse("review:board") + "?" + urlencode({"cycle": cycle.pk})
    return f"{url}#{anchor}" if anchor else url


def choose_cycle(request: HttpRequest) -> tuple[list[Cycle], Cycle | None]:
    """The opened cycles (closed ones too: their review stays readable) and the one asked for
    (?cycle=), else the current one."""
    cycles = selectors.cycles()
    wanted = query_int(request, "cycle")
    cycle = next((c for c in cycles if c.pk == wanted), None)
    if cycle is None:
        program = current_program_or_none()
        current = current_cycle(program) if program else None
        cycle = next((c for c in cycles if current and c.pk == current.pk), None)
    return cycles, cycle
