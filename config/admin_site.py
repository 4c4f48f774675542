"""The Django admin site: open to the system administrator alone (三员分立)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse


class SysadminSite(admin.AdminSite):
    site_header = "质量奖系统管理"
    site_title = "系统管理"
    index_title = "系统管理员"

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        """One login page for everyone (lockout, password rules): the admin's own needs is_staff."""
        return redirect_to_login(request.GET.get("next", reverse("admin:index")))

    def has_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.has_perm("accounts.use_admin"))
