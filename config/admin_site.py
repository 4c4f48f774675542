"""The Django admin site: open to the system administrator alone (三员分立)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest


class SysadminSite(admin.AdminSite):
    site_header = "质量奖系统管理"
    site_title = "系统管理"
    index_title = "系统管理员"

    def has_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.has_perm("accounts.use_admin"))
