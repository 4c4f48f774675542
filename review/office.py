"""SCAFFOLD, to be replaced: every view below is a placeholder that answers 404."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def board(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def phase(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def rubric(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def schedule(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def evaluate(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def ranking(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def ranking_xlsx(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def report(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def record(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
