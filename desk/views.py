from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import Role
from accounts.password_gate import expiry_notice
from accounts.selectors import roles_of
from accounts.tokens import tokens_of

from . import selectors


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """我的工作台: the user's roles, what waits in each stage, and the pages of the header."""
    return render(
        request,
        "desk/dashboard.html",
        {
            "assignments": selectors.assignments_of(request.user),
            "roles": roles_of(request.user),
            "Role": Role,
            "todos": selectors.todos(request.user),
            # The user's own API tokens, each revocable here (issue 15, part 4).
            "tokens": tokens_of(request.user),  # type: ignore[arg-type]  # login_required
            # Staff: the last week before the password expires (issue 15, part 2).
            "password_notice": expiry_notice(request.user),
        },
    )
