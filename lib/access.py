"""Access helpers for views: who may open a page (404 vs 403 is decided here, STYLE.md 4)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from lib.errors import ServiceError


def perm_required(
    perm: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Anonymous visitors go to the login page; signed-in users without `perm` get 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.user.has_perm(perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def actor(request: HttpRequest) -> Any:
    """The signed-in user behind a request (views behind `perm_required`/`login_required`).

    Typed as the project's User for the services; refuses an anonymous request outright.
    """
    if not request.user.is_authenticated:
        raise PermissionDenied
    return request.user


def _raise_for(exc: ServiceError) -> None:
    if exc.status == 403:
        raise PermissionDenied(exc.message)
    if exc.status == 404:
        raise Http404(exc.message)


def refused(request: HttpRequest, exc: ServiceError) -> None:
    """A service's refusal as a message above the page (with the article it cites); a forbidden
    action is a 403, an unknown object a 404."""
    _raise_for(exc)
    messages.error(request, exc.display)


def refused_on_form(form: Any, exc: ServiceError) -> None:
    """A service's refusal on the form it came from: the message (with its article) above the
    form, and each field it names marked with its error; a forbidden action is a 403, an
    unknown object a 404."""
    _raise_for(exc)
    form.add_error(None, exc.display)
    for name, errors in exc.fields.items():
        if name in form.fields:
            for error in errors:
                form.add_error(name, error)
