"""Every request acts in one award program (decision 0030).

- A public page under `/<slug>/…` acts in that program: the URL pattern's `program_slug`
  argument is taken off the view's arguments here (404 for an unknown slug).
- Otherwise a signed-in user holding roles in programs acts in the one chosen in the session
  (`SESSION_KEY`, set by `programs:switch`) when the user holds a role there, else in the
  first of their programs (an API call names another with `?program=<slug>`:
  `config.api.in_named_program`); everyone else (visitors,
  applicants, experts, the administrators) in the default program.

The program is found lazily (`lib.tenancy.Lazy`): a permission check reads only the roles the
request has already read; the program's row is read when a page shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse

from accounts.selectors import held_program_ids
from lib import tenancy

from .apps import _load
from .models import AwardProgram

SESSION_KEY = "qa_program"


def _chosen(request: HttpRequest) -> int | None:
    held = held_program_ids(request.user)
    if not held:
        return None
    chosen = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    return chosen if chosen in held else min(held)


class CurrentProgramMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with tenancy.using_program(tenancy.Lazy(lambda: _chosen(request), _load)):
            return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: dict[str, Any]
    ) -> None:
        slug = kwargs.pop("program_slug", None)
        if slug is not None:
            program = AwardProgram.objects.filter(slug=slug).first()
            if program is None:
                # No detail: /<anything>/ reaches here, a mistyped address is not a program.
                raise Http404
            tenancy.switch(program)
