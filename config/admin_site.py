"""The Django admin site: open to the system administrator alone (三员分立)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.db.models.base import ModelBase
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

# django-otp's device models: secrets, never shown in the admin.
HIDDEN_APPS = frozenset({"otp_totp", "otp_static", "otp_hotp", "otp_email"})


class SysadminSite(admin.AdminSite):
    site_header = "质量奖系统管理"
    site_title = "系统管理"
    index_title = "系统管理员"

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        """Never the two-factor devices (django-otp registers them): nobody reads another
        person's TOTP secret or recovery codes here, the system administrator included (三员分立;
        a lost device is reset by the security administrator, accounts.two_factor)."""
        models: list[Any] = (
            [model_or_iterable]
            if isinstance(model_or_iterable, ModelBase)
            else list(model_or_iterable)
        )
        kept = [m for m in models if m._meta.app_label not in HIDDEN_APPS]
        if kept:
            super().register(kept, admin_class, **options)

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        """One login page for everyone (lockout, password rules): the admin's own needs is_staff."""
        return redirect_to_login(request.GET.get("next", reverse("admin:index")))

    def has_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.has_perm("accounts.use_admin"))
