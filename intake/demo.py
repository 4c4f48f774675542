"""Demo applications for the 2026 cycle: organizations and individuals in every intake state.

Built through the services, each step "as of" a day inside the window it belongs to, so the
deadlines, the eligibility rules, the audit chain and the inbox are those of a real year.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from stdnum.cn import ric

from accounts.models import Organization, RecommendingUnit, Role, User
from accounts.registration import register_individual, register_organization
from accounts.selectors import individual_by_id_number
from accounts.services import create_user, grant_role
from lib import uscc
from lib.rubrics import Rubric
from programs.demo import DEMO_PASSWORD, DEMO_YEAR, as_of
from programs.models import Cycle

from . import services
from .models import Application, EligibilityResult
from .schema import declarations_for, self_evaluation_rubric
from .standing import record_ban, record_prior_award

TOWN_LOGINS = {
    "如城街道": "town",
    "城北街道": "town_chengbei",
    "城南街道": "town_chengnan",
    "东陈镇": "town_dongchen",
    "丁堰镇": "town_dingyan",
    "白蒲镇": "town_baipu",
    "下原镇": "town_xiayuan",
    "九华镇": "town_jiuhua",
    "石庄镇": "town_shizhuang",
    "吴窑镇": "town_wuyao",
    "江安镇": "town_jiangan",
    "搬经镇": "town_banjing",
    "磨头镇": "town_motou",
    "长江镇": "town_changjiang",
}

# The towns' reviewers and the organizations' contacts, as people sign their names.
REVIEWER_NAMES = {
    "长江镇": "朱丽",
    "丁堰镇": "许亮",
    "白蒲镇": "顾娟",
    "东陈镇": "何涛",
    "城北街道": "沈燕",
    "城南街道": "韩磊",
    "九华镇": "蒋红",
    "石庄镇": "曹阳",
    "下原镇": "彭静",
    "吴窑镇": "陆军",
    "磨头镇": "范芳",
    "搬经镇": "杜鹏",
    "江安镇": "邵敏",
}
CONTACT_NAMES = [
    "刘洋",
    "张伟",
    "王芳",
    "陈晨",
    "杨帆",
    "黄丽",
    "赵磊",
    "周婷",
    "吴刚",
    "徐静",
    "孙鹏",
    "马琳",
    "朱峰",
    "胡敏",
    "郭涛",
    "林娜",
]
LEGAL_REPRESENTATIVES = [
    "钱国华",
    "顾建平",
    "缪志刚",
    "冒卫东",
    "丁立新",
    "季永红",
    "石伟",
    "夏建军",
    "吴海滨",
    "薛明",
    "江涛",
    "仲跃进",
    "储晓东",
    "葛春林",
    "卢平",
    "包志勇",
]
QUALITY_OFFICERS = [
    "张华",
    "缪红",
    "冒晓军",
    "姜丽萍",
    "陈明",
    "徐卫国",
    "范玲",
    "顾海",
    "黄建",
    "刘洁",
    "宋文",
    "沙磊",
    "瞿芳",
    "袁斌",
    "戴军",
    "管玉",
]

# name, town, industry, established, construction, industrial, rating, final state, twist
ORGANIZATIONS: list[tuple[str, str, str, dt.date, bool, bool, str, str, str]] = [
    (
        "江苏长江重工有限公司",
        "长江镇",
        "34",
        dt.date(2006, 4, 12),
        False,
        True,
        "green",
        "accepted",
        "",
    ),
    (
        "如皋白蒲黄酒有限公司",
        "白蒲镇",
        "15",
        dt.date(1998, 9, 1),
        False,
        True,
        "blue",
        "recommended",
        "",
    ),
    (
        "如皋东陈建设工程有限公司",
        "东陈镇",
        "47",
        dt.date(2003, 3, 18),
        True,
        False,
        "none",
        "recommended",
        "no_luban",
    ),
    (
        "如皋丁堰化工有限公司",
        "丁堰镇",
        "26",
        dt.date(2009, 7, 7),
        False,
        True,
        "yellow",
        "not_accepted",
        "yellow",
    ),
    (
        "如皋城南新材料有限公司",
        "城南街道",
        "30",
        dt.date(2022, 6, 20),
        False,
        True,
        "blue",
        "not_accepted",
        "young",
    ),
    (
        "如皋九华纺织有限公司",
        "九华镇",
        "17",
        dt.date(2001, 11, 5),
        False,
        True,
        "blue",
        "submitted",
        "",
    ),
    (
        "如皋石庄电子科技有限公司",
        "石庄镇",
        "39",
        dt.date(2011, 2, 14),
        False,
        True,
        "green",
        "returned",
        "",
    ),
    (
        "如皋下原食品有限公司",
        "下原镇",
        "14",
        dt.date(2008, 5, 30),
        False,
        True,
        "blue",
        "draft",
        "",
    ),
    (
        "如皋吴窑医药有限公司",
        "吴窑镇",
        "27",
        dt.date(2005, 8, 8),
        False,
        True,
        "green",
        "withdrawn",
        "",
    ),
    (
        "如皋磨头物流有限公司",
        "磨头镇",
        "54",
        dt.date(2012, 10, 10),
        False,
        False,
        "none",
        "submitted",
        "",
    ),
    (
        "如皋搬经农业发展有限公司",
        "搬经镇",
        "01",
        dt.date(2010, 3, 3),
        False,
        False,
        "none",
        "recommended",
        "fraud",
    ),
    (
        "如皋城北智能装备有限公司",
        "城北街道",
        "35",
        dt.date(2013, 12, 1),
        False,
        True,
        "green",
        "accepted",
        "",
    ),
]
# name, id body (17 digits, check digit computed), town, position, years, employer, final state
INDIVIDUALS: list[tuple[str, str, str, str, int, str, str]] = [
    ("李娜", "32068219850315002", "如城街道", "cqo", 12, "如皋示例机械有限公司", "accepted"),
    (
        "陈建国",
        "32068219720806003",
        "长江镇",
        "entrepreneur",
        25,
        "江苏长江重工有限公司",
        "recommended",
    ),
    ("黄晓燕", "32068219900122004", "白蒲镇", "other", 8, "如皋白蒲黄酒有限公司", "submitted"),
]

WINDOW_DAY = dt.date(DEMO_YEAR, 4, 20)  # submissions
WITHDRAW_DAY = dt.date(DEMO_YEAR, 4, 23)  # an applicant withdraws before its town decides
RECOMMEND_DAY = dt.date(DEMO_YEAR, 4, 28)  # towns recommend or return
DECIDE_DAY = dt.date(DEMO_YEAR, 5, 12)  # the Office decides during 资格审查


def _form(kind: str, rubric: Rubric, twist: str = "") -> dict[str, Any]:
    form: dict[str, Any] = {
        "contact_name": "王磊",
        "contact_phone": "0513-87000000",
        "summary": "推行卓越绩效管理，质量管理体系健全，主要产品质量稳定提升。",
        "declarations": {k: {"holds": True, "note": "见证明材料"} for k in declarations_for(kind)},
        "self_evaluation": {
            i.code: {
                "text": f"围绕“{i.name}”建立了系统的方法并全面展开，定期评价改进。",
                "percent": 55 + (len(i.code) % 3) * 5,
            }
            for i in rubric.items
        },
    }
    if kind == "organization":
        form |= {
            "employees": 380,
            "figures": [
                {
                    "year": y,
                    "revenue": str(30000 + 2500 * n),
                    "profit": str(2100 + 150 * n),
                    "tax": str(1500 + 90 * n),
                }
                for n, y in enumerate(range(DEMO_YEAR - 3, DEMO_YEAR))
            ],
            "gbt19580_since": "2018-01-01",
            "spot_checks": [
                {"date": "2025-06-18", "level": "provincial", "product": "主导产品", "passed": True}
            ],
        }
    if twist == "no_luban":
        form["awards"] = [
            {"name": "other", "date": "2024-11-20", "project": "江苏省优质工程“扬子杯”"}
        ]
    if twist == "fraud":
        form["declarations"]["no_fraud"] = {
            "holds": False,
            "note": "2024年申报南通市质量奖时提供了不实的获奖证明",
        }
    return form


def _reviewer(unit: RecommendingUnit) -> User:
    name = REVIEWER_NAMES.get(unit.name, "审核人")
    return reviewer_account(unit, TOWN_LOGINS[unit.name], name, "demo.rugao.example")


def reviewer_account(unit: RecommendingUnit, username: str, name: str, domain: str) -> User:
    """The unit's reviewer (推荐单位审核人) of the demo, made once: any program's unit."""
    user = User.objects.filter(username=username).first()
    if user is None:
        user = create_user(
            actor=None,
            actor_role="system",
            username=username,
            password=DEMO_PASSWORD,
            full_name=f"{name}（{unit.name}）",
            email=f"{username}@{domain}",
        )
        grant_role(
            actor=None,
            actor_role="system",
            user=user,
            role=Role.RECOMMENDER,
            recommending_unit=unit,
            reason="演示数据",
        )
    return user


def _advance(
    application: Application, applicant: User, final: str, office: User, twist: str
) -> None:
    kind = application.kind
    with as_of(WINDOW_DAY):
        services.save_draft(
            actor=applicant,
            application=application,
            data=_form(kind, self_evaluation_rubric(application.cycle.policy, kind), twist)
            | {"contact_name": applicant.full_name.split("（")[0]},
        )
        if final == "draft":
            return
        services.submit_application(actor=applicant, application=application)
    reviewer = _reviewer(application.recommending_unit)
    if final == "submitted":
        return
    if final == "withdrawn":
        with as_of(WITHDRAW_DAY):
            services.withdraw_application(
                actor=applicant, application=application, reason="经研究，本年度暂不参评。"
            )
        return
    with as_of(RECOMMEND_DAY):
        if final == "returned":
            services.return_application(
                actor=reviewer,
                application=application,
                reason="近3年纳税证明缺2025年度，请补充后重新提交。",
            )
            return
        services.recommend_application(
            actor=reviewer,
            application=application,
            opinion="经审核，该申报主体符合申报条件，材料真实，同意推荐。",
        )
    if final == "recommended":
        return
    with as_of(DECIDE_DAY):
        results = application.eligibility.filter(version=application.version)
        if final == "accepted":
            confirm = [r.rule for r in results if r.outcome == EligibilityResult.Outcome.CONFIRM]
            services.decide_qualification(
                actor=office,
                application=application,
                accept=True,
                reason="主体资格和材料规范性审查合格，予以受理。",
                confirmed=confirm,
            )
        else:
            failed = [r for r in results if r.outcome == EligibilityResult.Outcome.FAIL]
            services.decide_qualification(
                actor=office,
                application=application,
                accept=False,
                reason="；".join(r.message for r in failed) or "材料不符合要求。",
                articles=sorted({r.article for r in failed}) or ["A16.1"],
            )


def _standing(office: User) -> None:
    """The example firm won the award in 2022 (announced January 2023): 3 full years before the
    2026 application date, so it may apply again, outside the quota and without a bonus."""
    record_prior_award(
        actor=office,
        organization=Organization.objects.get(name="如皋示例机械有限公司"),
        year=DEMO_YEAR - 4,
        level="award",
        announced_on=dt.date(DEMO_YEAR - 3, 1, 16),
        document_number="皋政发〔2023〕5号",
    )


def seed() -> None:
    """Called by `seed_demo` after programs.demo.seed(): needs the 2026 cycle and `office`."""
    cycle = Cycle.objects.get(program__slug="rugao", year=DEMO_YEAR)
    office = User.objects.get(username="office")
    if Application.objects.filter(cycle=cycle).exists():
        return
    # The first demo organization and its contact already exist (programs.demo).
    first = Organization.objects.get(name="如皋示例机械有限公司")
    contact = User.objects.get(username="applicant")
    with as_of(WINDOW_DAY):
        application = services.start_application(actor=contact, cycle=cycle, organization=first)
    _advance(application, contact, "accepted", office, "")
    for n, (
        name,
        town,
        industry,
        established,
        construction,
        industrial,
        rating,
        final,
        twist,
    ) in enumerate(ORGANIZATIONS, 1):
        body = f"91320682MA1D{n:04d}0"  # 91 企业, 320682 如皋市
        unit = RecommendingUnit.objects.get(name=town)
        org, user = register_organization(
            uscc_code=body + uscc.check_character(body),
            name=name,
            recommending_unit=unit,
            username=f"org{n:02d}",
            password=DEMO_PASSWORD,
            contact_name=CONTACT_NAMES[n - 1],
            email=f"org{n:02d}@demo.rugao.example",
            registered_address=f"如皋市{town}",
            industry_code=industry,
            established_on=established,
            legal_representative=LEGAL_REPRESENTATIVES[n - 1],
            is_construction=construction,
            is_industrial=industrial,
            environmental_rating=rating,
            chief_quality_officer=QUALITY_OFFICERS[n - 1],
        )
        if twist == "fraud":  # the committee banned it for fraud in the 2024 cycle (A29.1)
            record_ban(
                actor=office,
                organization=org,
                starts_on=dt.date(DEMO_YEAR - 2, 12, 20),
                reason="2024年度申报时提供不实的获奖证明，经核实属弄虚作假。",
                decision_ref="如皋市质量发展委员会2024年第3次会议决定",
            )
        with as_of(WINDOW_DAY):
            application = services.start_application(actor=user, cycle=cycle, organization=org)
        _advance(application, user, final, office, twist)
    for name, id_body, town, position, years, employer, final in INDIVIDUALS:
        number = id_body + ric.calc_check_digit(id_body + "0")  # the last character is ignored
        person = individual_by_id_number(number)  # the number is stored encrypted
        if person is not None:  # 李娜, the `individual` demo login (programs.demo)
            user = person.user
        else:
            person, user = register_individual(
                name=name,
                id_number=number,
                recommending_unit=RecommendingUnit.objects.get(name=town),
                position=position,
                quality_work_years=years,
                employer_name=employer,
                username=f"person_{id_body[-3:]}",
                password=DEMO_PASSWORD,
            )
        with as_of(WINDOW_DAY):
            application = services.start_application(actor=user, cycle=cycle, individual=person)
        _advance(application, user, final, office, "")
