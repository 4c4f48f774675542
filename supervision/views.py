"""SCAFFOLD, to be replaced: every view below is a placeholder that answers 404."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def cases(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def case_new(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def case(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def case_report(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def case_decide(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def sanctions(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def my_award(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def credit_list(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
