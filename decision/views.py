"""SCAFFOLD, to be replaced: every view below is a placeholder that answers 404."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def board(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def proposal(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def approval(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def notice(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def close(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def objection(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def evidence(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def announce(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def ledger(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def ledger_xlsx(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def bonus(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def certificate_pdf(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
