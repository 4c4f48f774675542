"""Role-aware navigation for the page header."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from .models import Role
from .selectors import roles_of


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    roles = roles_of(user)
    items: list[tuple[str, str]] = [("首页", reverse("programs:home"))]
    if user.is_authenticated:
        items.append(("我的工作台", reverse("accounts:dashboard")))
    if user.has_perm("programs.manage_cycle"):
        items += [
            ("年度管理", reverse("programs:cycle_list")),
            ("工作日历", reverse("programs:calendar")),
        ]
    if user.has_perm("accounts.manage_units"):
        items.append(("推荐单位", reverse("accounts:units")))
    if user.has_perm("accounts.manage_roles"):
        items.append(("角色与锁定", reverse("accounts:roles")))
    if user.has_perm("audit.view_trail"):
        items.append(("审计日志", reverse("audit:trail")))
    if user.has_perm("accounts.use_admin"):
        items.append(("系统管理", reverse("admin:index")))
    return {
        "nav_items": items,
        "nav_roles": sorted(Role(r).label for r in roles),
    }
