"""The manual's chapters (docs/manual/<slug>.md), one per role, and which come first for whom."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from accounts.models import Role
from accounts.selectors import roles_of

MANUAL_DIR = Path(settings.BASE_DIR) / "docs" / "manual"
FIGURES_DIR = MANUAL_DIR / "figures"


@dataclass(frozen=True)
class Chapter:
    slug: str
    title: str
    summary: str
    file: str = ""

    @property
    def path(self) -> Path:
        return MANUAL_DIR / (self.file or f"{self.slug}.md")


# docs/manual/README.md: what the system is, the year's stages, help, the demo accounts.
INTRO = Chapter(
    "intro", "系统简介", "系统是什么、年度评审程序、如何求助、演示账号", file="README.md"
)


# In the order of the year's work (the index lists the reader's own chapters first).
CHAPTERS = [
    Chapter(
        "applicant",
        "组织申报联系人",
        "注册组织、填写申报表、提交并跟踪受理结果、评价专家组、获奖后报告",
    ),
    Chapter("individual", "个人申报人", "注册个人账号、填写个人申报表并提交"),
    Chapter("town", "推荐单位审核人", "审核本辖区的申报，签署推荐意见或退回修改"),
    Chapter(
        "office", "委员会办公室", "年度与申报通知、资格审查、组织评审、综合评价、审定公示、监督"
    ),
    Chapter("expert", "评审专家", "签署工作守则、申报回避、阅读材料、填写评分表"),
    Chapter("leader", "专家组组长", "汇总专家组意见、记录现场评审、评价受评组织"),
    Chapter("supervisor", "评审监督员", "监督现场评审、提交监督报告、查阅审计日志"),
    Chapter("committee", "质量发展委员会委员", "查阅综合评价报告与拟奖建议名单"),
    Chapter("province", "省级管理员", "查阅本省各地奖项的申报、受理、获奖、共享专家和阶段日期"),
    Chapter("admin", "系统管理员、安全管理员、审计管理员", "角色授予与锁定、系统管理、审计链校验"),
]
BY_SLUG = {c.slug: c for c in [INTRO, *CHAPTERS]}

_ROLE_CHAPTERS: dict[Role, tuple[str, ...]] = {
    Role.APPLICANT: ("applicant",),
    Role.INDIVIDUAL: ("individual",),
    Role.RECOMMENDER: ("town",),
    Role.OFFICE: ("office",),
    Role.EXPERT: ("expert",),
    Role.SUPERVISOR: ("supervisor",),
    Role.COMMITTEE: ("committee",),
    Role.PROVINCE: ("province",),
    Role.SYSADMIN: ("admin",),
    Role.SECADMIN: ("admin",),
    Role.AUDITADMIN: ("admin",),
}
# Visitors who have not signed in are most often would-be applicants.
_VISITOR = ("applicant", "individual")


def _leads_a_group(user: Any) -> bool:
    from experts.models import ReviewGroup

    return ReviewGroup.objects.filter(leader__user=user).exists()


def own_slugs(user: Any) -> list[str]:
    """The chapters written for this user's roles, in the manual's order."""
    if not user.is_authenticated:
        return list(_VISITOR)
    wanted: set[str] = set()
    for role in roles_of(user):
        wanted.update(_ROLE_CHAPTERS.get(Role(role), ()))
    if hasattr(user, "expert"):
        wanted.add("expert")
        if _leads_a_group(user):
            wanted.add("leader")
    if not wanted:
        return list(_VISITOR)
    return [c.slug for c in CHAPTERS if c.slug in wanted]


def ordered_for(user: Any) -> tuple[list[Chapter], list[Chapter]]:
    """(the reader's own chapters, the others), each in the manual's order."""
    own = own_slugs(user)
    return [BY_SLUG[s] for s in own], [c for c in CHAPTERS if c.slug not in own]
