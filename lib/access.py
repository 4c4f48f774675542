"""Access helpers for views: who may open a page (404 vs 403 is decided here, STYLE.md 4)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse


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
