"""SCAFFOLD, to be replaced: every view below is a placeholder that answers 404."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def overview(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def cycle(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def expert(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def notes(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def audit_export(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
