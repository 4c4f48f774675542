"""SCAFFOLD, to be replaced: every view below is a placeholder that answers 404."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def notices(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def notice(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def object_to(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def receipt(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def winners(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def verify(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def verified(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
