"""SCAFFOLD, to be replaced: every view below is a placeholder that answers 404."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def card(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def card_submit(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def consensus(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def reopen(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def site(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def site_record(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def site_report(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def feedback(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def feedback_report(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
