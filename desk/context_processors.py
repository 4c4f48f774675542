"""Role-aware navigation for the page header (config/settings.py, TEMPLATES). It links to every
stage's pages, so it lives in the desk, above them."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from accounts.models import Notification, Role
from accounts.selectors import held_program_ids, roles_of, works_elsewhere
from programs import site
from programs.context import current_program_or_none, programs_for
from programs.site import city

from .exports import EXPORTS
from .selectors import is_winner


def _applications_label(roles: frozenset[Role]) -> str | None:
    """The applications page under the name of the user's own work on it."""
    if Role.OFFICE in roles:
        return "资格审查"
    if Role.RECOMMENDER in roles:
        return "推荐审核"
    if roles & {Role.APPLICANT, Role.INDIVIDUAL}:
        return "我的申报"
    if Role.SUPERVISOR in roles:
        return "申报查阅"
    return None


Link = tuple[str, str]


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The header's links for this user's roles, in the order of the year's work. Each entry is
    (label, href, children): with children it is a menu (the Office's settings and experts), so
    the header stays on one line at desktop widths."""
    user = request.user
    roles = roles_of(user)
    # A public page under a program's prefix links to that program's pages (programs.site).
    items: list[tuple[str, str, list[Link]]] = [("首页", site.home_url(request), [])]
    if user.is_authenticated:
        items.append(("我的工作台", reverse("accounts:dashboard"), []))
    if label := _applications_label(roles):
        items.append((label, reverse("intake:list"), []))
    if Role.APPLICANT in roles:
        items.append(("组织信息", reverse("accounts:organization"), []))
    if user.has_perm("experts.manage_pool"):
        items.append(
            (
                "专家",
                "",
                [("专家库", reverse("experts:pool")), ("专家组", reverse("experts:groups"))],
            )
        )
    if user.has_perm("review.oversee"):
        items.append(("评审与评价", reverse("review:board"), []))
    elif user.has_perm("review.view_results"):
        items.append(("综合评价", reverse("review:board"), []))
    if user.has_perm("decision.view"):
        items.append(("审定与公示", reverse("decision:board"), []))
    if user.is_authenticated and hasattr(user, "expert"):
        items.append(("我的评审", reverse("experts:mine"), []))
    if user.has_perm("supervision.view"):
        items.append(
            (
                "监督",
                "",
                [
                    ("纪律监督工作台", reverse("supervision:overview")),
                    ("违规案件", reverse("supervision:cases")),
                    ("弄虚作假处理", reverse("supervision:sanctions")),
                ],
            )
        )
    if user.has_perm("programs.view_province"):
        # The provincial administrator's one page (desk/province.py, issue 18).
        items.append(("各地奖项概况", reverse("province:overview"), []))
    if is_winner(user, roles):
        items.append(("我的获奖", reverse("supervision:my_award"), []))
    if not user.is_authenticated:
        # The public's pages (A20.1, A25.1): the notice, the winners, certificate verification.
        items += [
            ("公示公告", site.public_url(request, "decision:notices"), []),
            ("获奖名单", site.public_url(request, "decision:winners"), []),
            ("证书查验", site.public_url(request, "decision:verify"), []),
        ]
    settings: list[Link] = []
    if user.has_perm("programs.manage_cycle"):
        settings += [
            ("年度管理", reverse("programs:cycle_list")),
            ("工作日历", reverse("programs:calendar")),
            ("电子印章", reverse("programs:seal")),
            ("年度归档", reverse("accounts:archives")),
        ]
    if user.has_perm("programs.view_policy"):
        settings.append(("办法与参数", reverse("programs:measures")))
    if user.has_perm("accounts.manage_units"):
        settings.append(("推荐单位", reverse("accounts:units")))
    if user.has_perm("intake.decide_application"):
        settings.append(("获奖与禁入", reverse("intake:standing")))
    if user.has_perm("jobs.view_job"):
        # Whether mail and reminders left (issue 17): the Office's among its settings.
        if settings:
            settings.append(("后台任务", reverse("jobs:list")))
        else:
            items.append(("后台任务", reverse("jobs:list"), []))
    if settings:
        items.append(("设置", "", settings))
    if user.has_perm("accounts.manage_roles"):
        items.append(("角色与锁定", reverse("accounts:roles"), []))
    if user.has_perm("audit.view_trail"):
        items.append(("审计日志", reverse("audit:trail"), []))
    if any(user.has_perm(export.perm) for export in EXPORTS.values()):
        # Exports made in the background for their requester (desk/exports.py, issue 17).
        items.append(("我的导出", reverse("accounts:my_jobs"), []))
    if user.has_perm("accounts.use_admin"):
        items.append(("系统管理", reverse("admin:index"), []))
    unread = 0
    if user.is_authenticated:
        unread = Notification.objects.filter(user=user.pk, read_at__isnull=True).count()
    # The program switcher, for whoever works in two or more programs (decision 0030): the
    # programs' rows are read only then.
    programs = programs_for(user) if len(held_program_ids(user)) > 1 else []
    current = current_program_or_none() if programs else None
    return {
        "nav_programs": programs,
        "nav_program": current,
        # The switcher shows the place (如皋市, 示例市): the bar has no room for the full name.
        "nav_program_place": city(current) if current else "",
        "nav_items": items,
        "nav_roles": sorted(Role(r).label for r in roles),
        "nav_unread": unread,
        # A page under a program's prefix (programs.site): its program for the footer, the row
        # the middleware already holds; None elsewhere (no statement).
        # Staff working in a program other than the default one: theirs (the row, read only for
        # them: the roles' query already says whether it is the default's).
        "site_program": current_program_or_none()
        if site.prefixed(request) or works_elsewhere(user)
        else None,
    }
