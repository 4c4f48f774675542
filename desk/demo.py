"""示例市's 2026 year in the demo (issue 18 part 4): its three organizations apply, their units
recommend them, its Office accepts them (资格审查) and proposes the 材料评审 groups from the
pool both cities share, so experts who review Rugao's 2026 applications review 示例市's too
(the province's page, desk/province.py, counts them); 材料评审 opens on 06-01, every member
scores, each group's leader records its consensus and the Office closes the stage on 07-10.
The year stops there (no 现场评审 groups yet): the demo needs no more of 示例市 to show a second
program beside Rugao and the pool they share.

It lives in `desk` because it drives every stage (intake, experts), which `programs.demo` may
not import. `seed_demo` calls `seed_other_programs()` of every app's demo after the apps' own
`seed()` (programs.demo's first: it loads 示例市, its Office, its applicants and its call).
Built through the services, inside 示例市 (`using_program`) and the demo clock (`as_of`), as the
other demos are; idempotent: each step checks what exists first.
"""

from __future__ import annotations

import datetime as dt
import random

from accounts.models import RecommendingUnit, Role, RoleAssignment, User
from experts import services as experts
from experts.models import (
    Acknowledgement,
    Assignment,
    CodeOfConduct,
    Expert,
    NoConflictConfirmation,
    ReviewGroup,
)
from intake import services as intake
from intake.demo import _form, reviewer_account
from intake.models import Application, EligibilityResult, State
from intake.schema import self_evaluation_rubric
from lib.tenancy import using_program
from programs.demo import DEMO_YEAR, SHILI_ORGANIZATIONS, as_of
from programs.models import AwardProgram, Cycle, Stage
from review import services as review
from review.demo import _score_and_agree
from review.models import ReviewPhase

WINDOW_DAY = dt.date(DEMO_YEAR, 4, 15)  # the three submit within the window (03-02 to 04-30)
RECOMMEND_DAY = dt.date(DEMO_YEAR, 4, 24)  # their units recommend them
DECIDE_DAY = dt.date(DEMO_YEAR, 5, 13)  # the Office accepts them during 资格审查
GROUP_DAY = dt.date(DEMO_YEAR, 5, 22)  # the Office proposes the 材料评审 groups and leaders
MATERIAL_DAY = dt.date(DEMO_YEAR, 6, 1)  # 材料评审 opens
SCORE_DAY = dt.date(DEMO_YEAR, 6, 24)  # the experts score, each group agrees
MATERIAL_END = dt.date(DEMO_YEAR, 7, 10)  # 材料评审 closes

# 示例市's reviewers, one per unit of its applicants: unit, login, name.
REVIEWERS: list[tuple[str, str, str]] = [
    ("示例市临江镇", "shili_linjiang", "唐宁"),
    ("示例市青山镇", "shili_qingshan", "邱红"),
    ("示例市东城街道", "shili_dongcheng", "黎明"),
]

CODE = (
    "一、遵守国家法律法规和《示例市市长质量奖管理办法》，实事求是，客观公正。\n"
    "二、对参评组织存在利害关系的，主动申请回避。\n"
    "三、保守参评组织的商业秘密，不得复制、泄露评审材料。\n"
    "四、不得收受参评组织的财物，不得从事影响评审公正性的活动。\n"
    "五、接受纪检监察部门和评审监督员的监督。"
)


def seed_other_programs() -> None:
    """示例市's 2026: applications accepted, 材料评审 by groups from the shared pool."""
    shili = AwardProgram.objects.get(slug="shili")
    cycle = Cycle.objects.get(program=shili, year=DEMO_YEAR)
    office = User.objects.get(username="shili_office")
    with using_program(shili):
        if not Application.objects.filter(cycle=cycle).exists():
            _applications(shili, cycle, office)
        if not ReviewGroup.objects.filter(
            application__cycle=cycle, stage=Stage.MATERIAL_REVIEW
        ).exists():
            _groups(cycle, office)
        if not ReviewPhase.objects.filter(cycle=cycle).exists():
            _material_review(cycle, office)


def _reviewer(program: AwardProgram, unit_name: str) -> User:
    unit = RecommendingUnit.objects.get(program=program, name=unit_name)
    _, username, name = next(r for r in REVIEWERS if r[0] == unit_name)
    return reviewer_account(unit, username, name, "demo.shili.example")


def _applications(program: AwardProgram, cycle: Cycle, office: User) -> None:
    """Each organization submits, its unit recommends it, the Office accepts it."""
    for username, _, _, unit_name, _ in SHILI_ORGANIZATIONS:
        contact = User.objects.get(username=username)
        grant = RoleAssignment.objects.select_related("organization").get(
            user=contact, role=Role.APPLICANT
        )
        organization = grant.organization
        assert organization is not None
        with as_of(WINDOW_DAY):
            application = intake.start_application(
                actor=contact, cycle=cycle, organization=organization
            )
            rubric = self_evaluation_rubric(cycle.policy, application.kind)
            intake.save_draft(
                actor=contact,
                application=application,
                data=_form(application.kind, rubric)
                | {
                    "contact_name": contact.full_name.split("（")[0],
                    "contact_phone": "0000-1234567",
                },
            )
            intake.submit_application(actor=contact, application=application)
        reviewer = _reviewer(program, unit_name)
        with as_of(RECOMMEND_DAY):
            intake.recommend_application(
                actor=reviewer,
                application=application,
                opinion="经审核，该单位符合申报条件，申报材料真实完整，同意推荐。",
            )
        with as_of(DECIDE_DAY):
            results = application.eligibility.filter(version=application.version)
            intake.decide_qualification(
                actor=office,
                application=application,
                accept=True,
                reason="主体资格和材料规范性审查合格，予以受理。",
                confirmed=[
                    r.rule for r in results if r.outcome == EligibilityResult.Outcome.CONFIRM
                ],
            )


def _groups(cycle: Cycle, office: User) -> None:
    """优化分配 over the shared pool, then each group's leader: an expert who also reviews
    Rugao's 2026 applications where the group has one (the province sees the pool shared)."""
    with as_of(GROUP_DAY):
        if not CodeOfConduct.objects.filter(cycle=cycle).exists():
            experts.set_code_of_conduct(actor=office, cycle=cycle, text=CODE)
        experts.propose_groups(actor=office, cycle=cycle, stage=Stage.MATERIAL_REVIEW)
        elsewhere = set(
            Assignment.objects.filter(
                removed_at__isnull=True, group__application__cycle__year=cycle.year
            )
            .exclude(group__application__cycle=cycle)
            .values_list("expert_id", flat=True)
        )
        groups = (
            ReviewGroup.objects.filter(application__cycle=cycle, stage=Stage.MATERIAL_REVIEW)
            .exclude(application__state__in=[State.WITHDRAWN, State.NOT_ACCEPTED])
            .order_by("application_id")
        )
        for group in groups:
            members = [
                a.expert
                for a in group.assignments.filter(removed_at__isnull=True)
                .select_related("expert__user")
                .order_by("pk")
            ]
            leader = next((e for e in members if e.pk in elsewhere), members[0])
            experts.set_leader(actor=office, group=group, expert=leader)
            for expert in members:
                _ready(expert, group)


def _ready(expert: Expert, group: ReviewGroup) -> None:
    """The member signs the year's code of conduct and confirms no conflict (A6.3, A26.1)."""
    cycle = group.application.cycle
    if expert.user is None:
        return
    if not Acknowledgement.objects.filter(expert=expert, cycle=cycle).exists():
        experts.acknowledge(actor=expert.user, cycle=cycle)
    if not NoConflictConfirmation.objects.filter(
        expert=expert, application=group.application
    ).exists():
        experts.confirm_no_conflict(actor=expert.user, application=group.application)


def _material_review(cycle: Cycle, office: User) -> None:
    """材料评审 opened, scored by every member, agreed by each group, closed."""
    rnd = random.Random(329901)  # noqa: S311 - reproducible demo scores, not security
    with as_of(MATERIAL_DAY):
        review.open_phase(actor=office, cycle=cycle, stage=Stage.MATERIAL_REVIEW)
    groups = ReviewGroup.objects.filter(
        application__cycle=cycle, stage=Stage.MATERIAL_REVIEW
    ).order_by("application_id")
    with as_of(SCORE_DAY):
        for group in groups:
            _score_and_agree(group, rnd)
    with as_of(MATERIAL_END):
        review.close_phase(actor=office, cycle=cycle, stage=Stage.MATERIAL_REVIEW)
