from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .forms import LoginForm
from .models import Role, RoleAssignment
from .selectors import roles_of


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """POST only (Django 5): a link cannot sign anyone out."""


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    assignments = RoleAssignment.objects.filter(user=request.user.pk).select_related(
        "recommending_unit", "organization"
    )
    return render(
        request,
        "accounts/dashboard.html",
        {"assignments": assignments, "roles": roles_of(request.user), "Role": Role},
    )
