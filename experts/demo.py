"""Demo expert pool: 30 experts across categories and industries, their employments (some at
demo applicants, so conflicts are detected), the 2026 code of conduct, and the material-review
groups proposed for the accepted applications."""

from __future__ import annotations

import datetime as dt

from stdnum.cn import ric

from accounts.models import Organization, User
from programs.demo import DEMO_YEAR, as_of
from programs.models import Cycle

from . import services
from .models import Expert

SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏"
GIVEN = ["建华", "志强", "晓明", "海燕", "国庆", "丽娟", "文斌", "秀英", "俊杰", "雪梅"]
EMPLOYERS = [
    "南通大学",
    "江苏省质量协会",
    "如皋市市场监督管理局",
    "南通市标准化研究院",
    "江苏长江重工有限公司",
    "如皋白蒲黄酒有限公司",
    "南通职业大学",
    "江苏省特种设备安全监督检验研究院",
]
INDUSTRIES = [
    ["34", "35"],
    ["15", "14"],
    ["47", "48"],
    ["26", "27"],
    ["17", "18"],
    ["39", "38"],
    ["54", "58"],
    ["01", "13"],
]
CATEGORIES = ["scholar", "industry", "manager", "cqo"]
CODE = (
    "一、遵守国家法律法规和《如皋市市长质量奖管理办法》，实事求是，客观公正。\n"
    "二、对参评组织存在利害关系的，主动申请回避。\n"
    "三、保守参评组织的商业秘密，不得复制、泄露评审材料。\n"
    "四、不得收受参评组织的财物，不得从事影响评审公正性的活动。\n"
    "五、接受纪检监察部门和评审监督员的监督。"
)


def seed() -> None:
    cycle = Cycle.objects.get(program__slug="rugao", year=DEMO_YEAR)
    office = User.objects.get(username="office")
    if Expert.objects.exists():
        return
    for n in range(30):
        body = f"3206821970{n % 12 + 1:02d}{n % 27 + 1:02d}0{n:02d}"[:17]
        employer = EMPLOYERS[n % len(EMPLOYERS)]
        org = Organization.objects.filter(name=employer).first()
        expert = services.save_expert(
            actor=office,
            id_number=body + ric.calc_check_digit(body + "0"),
            name=SURNAMES[n % len(SURNAMES)] + GIVEN[n % len(GIVEN)],
            phone=f"1390513{n:04d}",
            title="高级工程师" if n % 3 else "教授",
            category=CATEGORIES[n % 4],
            industries=INDUSTRIES[n % len(INDUSTRIES)],
            practice_years=6 + n % 20,
            training_certificate="卓越绩效评价准则培训合格证",
            training_on=dt.date(2019 + n % 6, 6, 1),
            evidence_policy="长期从事质量管理工作，熟悉质量法律法规",
            evidence_practice=f"从事质量管理{6 + n % 20}年",
            evidence_training="参加省质量协会卓越绩效评价准则培训",
            evidence_discipline="已签署评审纪律承诺书",
            max_load=4,
            employments=[
                {"employer_name": employer, "organization": org, "starts_on": dt.date(2010, 1, 1)}
            ],
        )
        if n == 0:
            Expert.objects.filter(pk=expert.pk).update(user=User.objects.get(username="expert"))
    services.set_code_of_conduct(actor=office, cycle=cycle, text=CODE)
    with as_of(dt.date(DEMO_YEAR, 5, 20)):
        _recusal_requests(cycle)
        services.detect_conflicts(actor=office, cycle=cycle)
        services.acknowledge(actor=User.objects.get(username="expert"), cycle=cycle)
        services.propose_groups(actor=office, cycle=cycle, stage="material_review")


def _recusal_requests(cycle: Cycle) -> None:
    """The demo applicant names one pool expert and one outsider (A26.1)."""
    from intake.models import State
    from intake.selectors import applications_for

    applicant = User.objects.get(username="applicant")
    mine = applications_for(applicant).filter(cycle=cycle, state=State.ACCEPTED).first()
    if mine is None:
        return
    for name, employer, reason, note in [
        (SURNAMES[3] + GIVEN[3], "", "competitor", "其所在单位与我司在同一细分市场直接竞争。"),
        ("吴志远", "南通某精密机械有限公司", "consulting", "曾为我司主要竞争对手提供咨询服务。"),
    ]:
        services.request_recusal(
            actor=applicant,
            application=mine,
            name=name,
            employer=employer,
            reason=reason,
            note=note,
        )
