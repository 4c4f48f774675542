"""Demo data for `manage.py seed_demo`: the Rugao program as a real Office would have it.

Built through the services, so the demo's audit chain is real. Idempotent: each step checks
what exists first. Later issues add their own `demo.py` and the command calls them in order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import STAFF_ROLES, Notification, Organization, RecommendingUnit, Role, User
from accounts.registration import register_individual, register_organization
from accounts.services import create_user, grant_role
from accounts.two_factor import demo_key, demo_secret
from audit.services import record
from lib import uscc

from . import packs, selectors
from .context import using_program
from .models import AwardProgram, Cycle, Stage
from .services import create_cycle, load_program, publish_call, set_cycle_dates

RUGAO_PACK = Path(settings.BASE_DIR) / "data" / "programs" / "rugao-2021.yaml"
# The demo's second program, a fictitious city of its own Measures, and the province holding
# both (issue 18): each with its own staff, Shili with applicants and a published 2026 call.
SHILI_PACK = Path(settings.BASE_DIR) / "data" / "programs" / "shili-demo.yaml"
JIANGSU_PACK = Path(settings.BASE_DIR) / "data" / "programs" / "jiangsu-demo.yaml"
DEMO_PASSWORD = "Demo@2026"  # noqa: S105 - documented demo password (README)

# username, full name, role, scope ("unit:<name>" or "org")
DEMO_USERS: list[tuple[str, str, Role, str]] = [
    ("office", "陈静（委员会办公室）", Role.OFFICE, ""),
    ("applicant", "王磊（如皋示例机械有限公司）", Role.APPLICANT, "org"),
    ("individual", "李娜（个人申报）", Role.INDIVIDUAL, ""),
    ("town", "周敏（如城街道）", Role.RECOMMENDER, "unit:如城街道"),
    ("expert", "赵建华（评审专家）", Role.EXPERT, ""),
    ("supervisor", "孙红（评审监督员）", Role.SUPERVISOR, ""),
    ("committee", "钱伟（质量发展委员会）", Role.COMMITTEE, ""),
    ("sysadmin", "系统管理员", Role.SYSADMIN, ""),
    ("secadmin", "安全管理员", Role.SECADMIN, ""),
    ("auditadmin", "审计管理员", Role.AUDITADMIN, ""),
]

# The staff of the other programs: (username, full name, role, program slug). Staff, so they
# sign in with the same fixed demo TOTP secrets as the staff above (`seed_two_factor`).
OTHER_PROGRAM_USERS: list[tuple[str, str, Role, str]] = [
    ("shili_office", "林晓（示例市委员会办公室）", Role.OFFICE, "shili"),
    ("province_admin", "沈立（江苏省省级管理员）", Role.PROVINCE, "jiangsu"),
]

# Shili's applicants (fictitious, registered in its division 329901): login, organization,
# contact, unit, GB/T 4754 division.
SHILI_ORGANIZATIONS: list[tuple[str, str, str, str, str]] = [
    ("shili_org01", "示例市临江精密机械有限公司", "郭峰", "示例市临江镇", "34"),
    ("shili_org02", "示例市青山食品有限公司", "何静", "示例市青山镇", "14"),
    ("shili_org03", "示例市东城电子科技有限公司", "罗斌", "示例市东城街道", "39"),
]

# The 2026 cycle (a year chinesecalendar knows), laid out as Rugao would: call in early March,
# notice at the end of November (5 working days), approval in December.
DEMO_YEAR = 2026
DEMO_STAGES: dict[Stage, tuple[dt.date, dt.date]] = {
    Stage.APPLICATION: (dt.date(2026, 3, 2), dt.date(2026, 4, 30)),
    Stage.QUALIFICATION: (dt.date(2026, 5, 6), dt.date(2026, 5, 29)),
    Stage.MATERIAL_REVIEW: (dt.date(2026, 6, 1), dt.date(2026, 7, 10)),
    Stage.SITE_REVIEW: (dt.date(2026, 7, 13), dt.date(2026, 9, 11)),
    Stage.EVALUATION: (dt.date(2026, 9, 14), dt.date(2026, 10, 16)),
    Stage.COMMITTEE_REVIEW: (dt.date(2026, 10, 19), dt.date(2026, 11, 13)),
    Stage.NOTICE: (dt.date(2026, 11, 25), dt.date(2026, 12, 1)),
    Stage.APPROVAL: (dt.date(2026, 12, 2), dt.date(2026, 12, 31)),
}


# Shili's 2026: Rugao's calendar, but its Measures' 7 working days of notice (article 20).
SHILI_STAGES: dict[Stage, tuple[dt.date, dt.date]] = DEMO_STAGES | {
    Stage.NOTICE: (dt.date(2026, 11, 25), dt.date(2026, 12, 3)),
    Stage.APPROVAL: (dt.date(2026, 12, 4), dt.date(2026, 12, 31)),
}


# The call goes out before its window opens (A15.1), as the Office would publish it.
CALL_DAY = dt.date(DEMO_YEAR, 2, 20)

# The pk ranges of inbox messages already dated by an inner `as_of`, one list per open block.
_dated: list[list[tuple[int, int]]] = []


def _last_message() -> int:
    return Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


@contextmanager
def as_of(day: dt.date) -> Iterator[None]:
    """`programs.selectors.as_of` for the demo, and the inbox messages written meanwhile dated
    that day (decision 0008): `Notification.created_at` is filled by the database with the real
    time, so a demo built in December showed every message of its year as sent that day. Each
    demo module steps through its year with this; blocks may nest (the innermost day wins)."""
    first = _last_message()
    _dated.append([])
    try:
        with selectors.as_of(day):
            yield
            when = selectors.now()
    finally:
        inner = _dated.pop()
    last = _last_message()
    if last > first:
        messages = Notification.objects.filter(pk__gt=first, pk__lte=last)
        for low, high in inner:
            messages = messages.exclude(pk__gt=low, pk__lte=high)
        messages.update(created_at=when)
    if _dated:
        _dated[-1].append((first, last))


@cache  # the pack ships with the code: read once per process, loaded by every seed
def rugao_pack() -> tuple[packs.Pack, str]:
    """The Rugao program's pack, checked, and its SHA-256."""
    return packs.read(RUGAO_PACK)


def _seed_pack() -> AwardProgram:
    """Rugao as its pack says (data/programs/rugao-2021.yaml, the one home of its numbers,
    rubrics and units), loaded the way `manage.py load_program` loads any program. Loaded
    first, so it is the deployment's default program."""
    pack, sha256 = rugao_pack()
    source = str(RUGAO_PACK.relative_to(settings.BASE_DIR))
    load_program(pack=pack, source=source, sha256=sha256)
    return AwardProgram.objects.get(slug=pack.slug)


def _load_pack(path: Path) -> AwardProgram:
    """Another program from its pack, with its own units (decision 0030)."""
    pack, sha256 = packs.read(path)
    load_program(pack=pack, source=str(path.relative_to(settings.BASE_DIR)), sha256=sha256)
    return AwardProgram.objects.get(slug=pack.slug)


def seed_units() -> None:
    """The recommending units of article 7, from the pack (with the program and its policy)."""
    _seed_pack()


def seed_program() -> AwardProgram:
    """The program and its 2021 Measures, from the pack (with the units)."""
    return _seed_pack()


def seed_users() -> dict[str, User]:
    users: dict[str, User] = {}
    for username, full_name, role, scope in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None and role == Role.INDIVIDUAL:
            # A person applying for the individual award signs up with her 身份证 (A14.1).
            _, user = register_individual(
                name="李娜",
                id_number="320682198503150026",
                recommending_unit=RecommendingUnit.objects.get(name="如城街道"),
                position="cqo",
                quality_work_years=12,
                employer_name="如皋示例机械有限公司",
                username=username,
                password=DEMO_PASSWORD,
                email=f"{username}@demo.rugao.example",
            )
        elif user is None:
            user = create_user(
                actor=None,
                actor_role="system",
                username=username,
                password=DEMO_PASSWORD,
                full_name=full_name,
                email=f"{username}@demo.rugao.example",
            )
            unit = org = None
            if scope.startswith("unit:"):
                unit = RecommendingUnit.objects.get(name=scope.removeprefix("unit:"))
            elif scope == "org":
                org = seed_organization()
            grant_role(
                actor=None,
                actor_role="system",
                user=user,
                role=role,
                recommending_unit=unit,
                organization=org,
                reason="演示数据",
            )
        users[username] = user
    return users


def seed_organization() -> Organization:
    body = "91320682MA1XYK123"  # 91 = 工商 企业; 320682 = 如皋市
    code = body + uscc.check_character(body)
    org, created = Organization.objects.get_or_create(
        uscc=code,
        defaults={
            "name": "如皋示例机械有限公司",
            "registered_address": "如皋市如城街道示例路1号",
            "recommending_unit": RecommendingUnit.objects.get(name="如城街道"),
            "industry_code": "34",
            "established_on": dt.date(2012, 5, 18),
            "legal_representative": "王建国",
            "is_industrial": True,
            "environmental_rating": Organization.EnvironmentalRating.GREEN,
            "chief_quality_officer": "张华",
        },
    )
    if created:
        with transaction.atomic():
            record(
                actor=None,
                role="system",
                action="accounts.organization.seed",
                obj=org,
                after={"uscc": code},
            )
    return org


def seed_cycle(program: AwardProgram, office: User) -> Cycle:
    cycle = Cycle.objects.filter(program=program, year=DEMO_YEAR).first()
    if cycle is None:
        cycle = create_cycle(
            actor=office,
            program=program,
            year=DEMO_YEAR,
            work_plan="请各镇（区、街道）于申报截止前完成审核推荐。联系电话：0513-0000000（演示）。",
        )
        set_cycle_dates(actor=office, cycle=cycle, dates=DEMO_STAGES)
    if cycle.status == Cycle.Status.DRAFT:
        with as_of(CALL_DAY):  # the call's date is the day it went out, not the demo's build
            publish_call(actor=office, cycle=cycle)
    return cycle


def seed() -> None:
    """The program, its policy, the units, one account per role and the published 2026 cycle.
    The other programs come after every app's demo (`seed_other_programs`, called last by
    `seed_demo`), so that each app's demo builds Rugao's year alone."""
    from accounts.passwords import seeding

    seed_units()
    program = seed_program()
    with seeding():  # the documented demo password is weak by design (README)
        users = seed_users()
    seed_cycle(program, users["office"])


def _staff(username: str, full_name: str, role: Role, program: AwardProgram) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = create_user(
            actor=None,
            actor_role="system",
            username=username,
            password=DEMO_PASSWORD,
            full_name=full_name,
            email=f"{username}@demo.rugao.example",
        )
        grant_role(
            actor=None,
            actor_role="system",
            user=user,
            role=role,
            program=program,
            reason="演示数据",
        )
    return user


def seed_shili_applicants(program: AwardProgram) -> None:
    """Three organizations registered in Shili's division, each with its contact's login."""
    for n, (username, name, contact, town, industry) in enumerate(SHILI_ORGANIZATIONS, 1):
        if User.objects.filter(username=username).exists():
            continue
        body = f"91{program.division_code}MA1DM{n:04d}"  # 91 企业; 329901 示例市 (fictitious)
        register_organization(
            uscc_code=body + uscc.check_character(body),
            name=name,
            recommending_unit=RecommendingUnit.objects.get(program=program, name=town),
            username=username,
            password=DEMO_PASSWORD,
            contact_name=contact,
            email=f"{username}@demo.shili.example",
            registered_address=f"{town}示例大道{n}号",
            industry_code=industry,
            established_on=dt.date(2015 + n, 4, 1),
            legal_representative=f"{contact[0]}建国",
            is_industrial=True,
            environmental_rating=Organization.EnvironmentalRating.GREEN,
            chief_quality_officer=f"{contact[0]}明",
        )


def seed_other_programs() -> None:
    """示例市市长质量奖 (its pack, its units, its Office `shili_office`, three applicants and its
    2026 call published) and 江苏省省长质量奖（演示） (a province-level program holding both, its
    provincial administrator `province_admin`). Each program's work is done in that program."""
    from accounts.passwords import seeding

    shili = _load_pack(SHILI_PACK)
    jiangsu = _load_pack(JIANGSU_PACK)
    programs = {"shili": shili, "jiangsu": jiangsu}
    with seeding():  # the documented demo password is weak by design (README)
        staff = {
            username: _staff(username, full_name, role, programs[slug])
            for username, full_name, role, slug in OTHER_PROGRAM_USERS
        }
        seed_shili_applicants(shili)
    with using_program(shili):
        cycle = Cycle.objects.filter(program=shili, year=DEMO_YEAR).first()
        if cycle is None:
            cycle = create_cycle(
                actor=staff["shili_office"],
                program=shili,
                year=DEMO_YEAR,
                work_plan="请各镇（街道）和有关部门于申报截止前完成审核推荐。联系电话：0000-0000000（演示）。",
            )
            set_cycle_dates(actor=staff["shili_office"], cycle=cycle, dates=SHILI_STAGES)
        if cycle.status == Cycle.Status.DRAFT:
            with as_of(CALL_DAY):
                publish_call(actor=staff["shili_office"], cycle=cycle)


def seed_two_factor() -> list[tuple[str, str]]:
    """Every staff demo account gets a confirmed TOTP device with its fixed, documented secret
    (`accounts.two_factor.demo_secret`: any authenticator app, or `oathtool --totp -b SECRET`,
    signs in). Refused unless DEMO or DEBUG is on; `check --deploy` fails on a database holding
    such a device. Returns (username, secret) of every staff account with a demo secret."""
    if not settings.DEMO:
        raise ImproperlyConfigured(
            "演示账号的动态口令密钥是公开的，只能在开发或演示环境载入：请设置 DEMO=1 或 DEBUG=1。"
        )
    staff = User.objects.filter(role_assignments__role__in=STAFF_ROLES).distinct()
    with transaction.atomic():
        for user in staff.exclude(totpdevice__confirmed=True).order_by("username"):
            TOTPDevice.objects.create(
                user=user, name="演示验证器", key=demo_key(user.username), confirmed=True
            )
            record(
                actor=None,
                role="system",
                action="accounts.otp.enrol",
                obj=user,
                reason="演示数据（公开的演示密钥）",
            )
    return [
        (username, demo_secret(username))
        for username, key in TOTPDevice.objects.filter(user__in=staff)
        .order_by("user__username")
        .values_list("user__username", "key")
        if key == demo_key(username)
    ]
