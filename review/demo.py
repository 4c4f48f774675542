"""The demo's 2026 review, through the services with the "as of" clock (decision 0008): every
pool expert gets a login (expert01...), 材料评审 opens on 06-01 and each group scores and
agrees; 现场评审 groups are proposed, scheduled, scored, recorded and reported on with
two-way feedback; the Office evaluates on 09-14. The demo expert (赵建华) leads one group."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from accounts.models import Role, User
from accounts.services import create_user, grant_role
from experts import services as experts
from experts.models import Acknowledgement, Expert, NoConflictConfirmation, ReviewGroup
from intake.models import Application, Kind, State
from programs.demo import DEMO_PASSWORD, DEMO_YEAR, as_of
from programs.models import Cycle, Stage

from . import services
from .models import ReviewPhase, Rubric

MATERIAL_DAY = dt.date(DEMO_YEAR, 6, 1)
SCORE_DAY = dt.date(DEMO_YEAR, 6, 20)
MATERIAL_END = dt.date(DEMO_YEAR, 7, 10)
SITE_PLAN_DAY = dt.date(DEMO_YEAR, 7, 13)
SITE_END = dt.date(DEMO_YEAR, 9, 11)
EVALUATION_DAY = dt.date(DEMO_YEAR, 9, 14)
# Each applicant's level (the percent its experts give around), by name.
LEVELS = {"江苏长江重工有限公司": 70, "如皋示例机械有限公司": 60, "如皋城北智能装备有限公司": 55}

STRENGTHS = "已建立系统的方法并在主要部门展开，有定期评价和改进的证据。"
OPPORTUNITIES = "方法在子公司和关键供方中的展开尚不充分，与同行标杆的对比数据有限。"


def seed() -> None:
    cycle = Cycle.objects.get(program__slug="rugao", year=DEMO_YEAR)
    if ReviewPhase.objects.filter(cycle=cycle).exists():
        return
    office = User.objects.get(username="office")
    supervisor = User.objects.get(username="supervisor")
    _logins()
    rnd = random.Random(2026)  # noqa: S311 - reproducible demo scores, not security
    with as_of(MATERIAL_DAY):
        for group in _groups(cycle, Stage.MATERIAL_REVIEW):
            _lead(office, group)
        services.open_phase(actor=office, cycle=cycle, stage=Stage.MATERIAL_REVIEW)
    with as_of(SCORE_DAY):
        for group in _groups(cycle, Stage.MATERIAL_REVIEW):
            _score_and_agree(group, rnd)
    with as_of(MATERIAL_END):
        services.close_phase(actor=office, cycle=cycle, stage=Stage.MATERIAL_REVIEW)
    with as_of(SITE_PLAN_DAY):
        experts.propose_groups(actor=office, cycle=cycle, stage=Stage.SITE_REVIEW)
        for n, group in enumerate(_groups(cycle, Stage.SITE_REVIEW)):
            _lead(office, group, supervisor=supervisor)
            day = dt.date(DEMO_YEAR, 7, 20) + dt.timedelta(days=7 * n)
            services.schedule_site_visit(
                actor=office,
                group=group,
                starts_on=day,
                ends_on=day + dt.timedelta(days=1),
                place=f"{group.application.applicant_name}（如皋市）",
            )
        services.open_phase(actor=office, cycle=cycle, stage=Stage.SITE_REVIEW)
    for group in _groups(cycle, Stage.SITE_REVIEW):
        visit = group.site_visit
        with as_of(visit.ends_on):
            _score_and_agree(group, rnd, bump=5)
            leader = _user(group.leader)
            services.record_site_visit(
                actor=leader,
                visit=visit,
                items_verified="4.1至4.7各类目抽样核实",
                interviews="访谈高层领导3人、中层管理者6人、一线员工12人",
                evidence_seen="战略规划、质量月报、顾客满意度测评报告、财务报表",
                issues_found="部分过程的测量指标缺少与标杆的对比",
            )
            services.file_supervisor_report(
                actor=supervisor,
                visit=visit,
                group_conduct="专家组按计划开展评审，遵守工作纪律，未发现违规行为。",
                applicant_conduct="申报单位积极配合，未安排宴请或赠送礼品。",
            )
            contact = _contact(group.application)
            if contact is not None:
                services.give_feedback(
                    actor=contact,
                    application=group.application,
                    direction="of_group",
                    work_quality=5,
                    integrity=5,
                    comments="专家组专业、严谨，反馈的问题对我们很有帮助。",
                )
            services.give_feedback(
                actor=leader,
                application=group.application,
                direction="of_applicant",
                discipline=5,
                comments="资料准备充分，遵守评审纪律。",
            )
    with as_of(SITE_END):
        services.close_phase(actor=office, cycle=cycle, stage=Stage.SITE_REVIEW)
    with as_of(EVALUATION_DAY):
        services.evaluate(actor=office, cycle=cycle)


def _logins() -> None:
    """A login for every pool expert without one (expert01, expert02, ...)."""
    for n, expert in enumerate(Expert.objects.filter(user__isnull=True).order_by("pk"), start=1):
        user = create_user(
            actor=None,
            actor_role="system",
            username=f"expert{n:02d}",
            password=DEMO_PASSWORD,
            full_name=expert.name,
            email=f"expert{n:02d}@demo.rugao.example",
        )
        grant_role(actor=None, actor_role="system", user=user, role=Role.EXPERT, reason="演示数据")
        Expert.objects.filter(pk=expert.pk).update(user=user)


def _groups(cycle: Cycle, stage: Stage) -> list[ReviewGroup]:
    return list(
        ReviewGroup.objects.filter(application__cycle=cycle, stage=stage)
        .exclude(application__state__in=[State.WITHDRAWN, State.NOT_ACCEPTED])
        .select_related("application__organization", "application__individual")
        .order_by("application_id")
    )


def _members(group: ReviewGroup) -> list[Expert]:
    return [
        a.expert
        for a in group.assignments.filter(removed_at__isnull=True)
        .select_related("expert__user")
        .order_by("pk")
    ]


def _user(expert: Expert | None) -> User:
    assert expert is not None
    assert expert.user is not None
    return expert.user


def _lead(office: User, group: ReviewGroup, supervisor: User | None = None) -> None:
    """The demo expert leads the group when a member, else the first member does."""
    members = _members(group)
    leader = next((e for e in members if e.user and e.user.username == "expert"), members[0])
    experts.set_leader(actor=office, group=group, expert=leader, supervisor=supervisor)
    group.refresh_from_db()
    cycle = group.application.cycle
    for expert in members:
        user = _user(expert)
        if not Acknowledgement.objects.filter(expert=expert, cycle=cycle).exists():
            experts.acknowledge(actor=user, cycle=cycle)
        if not NoConflictConfirmation.objects.filter(
            expert=expert, application=group.application
        ).exists():
            experts.confirm_no_conflict(actor=user, application=group.application)


def _score_and_agree(group: ReviewGroup, rnd: random.Random, bump: int = 0) -> None:
    application: Application = group.application
    rubric = Rubric.objects.get(cycle=application.cycle, applies_to=application.kind)
    items = list(rubric.items.all())
    level = LEVELS.get(application.applicant_name, 65) + bump
    given: dict[str, list[int]] = {i.code: [] for i in items}
    for expert in _members(group):
        lean = rnd.choice([-10, -5, 0, 0, 5, 10])  # some experts are severe, some lenient
        scores: dict[str, dict[str, Any]] = {}
        for item in items:
            pct = max(0, min(100, level + lean + rnd.choice([-10, -5, 0, 5, 10])))
            given[item.code].append(pct)
            scores[item.code] = {
                "percent": pct,
                "strengths": STRENGTHS if pct >= 50 else "",
                "opportunities": OPPORTUNITIES if pct < 80 else "",
            }
        assignment = group.assignments.get(expert=expert, removed_at__isnull=True)
        card = services.save_scorecard(
            actor=_user(expert),
            assignment=assignment,
            scores=scores,
            summary="总体达到良好水平，结果类条款的对比数据需加强。",
            revision=0,
        )
        services.submit_scorecard(actor=_user(expert), scorecard=card)
    agreed = {
        code: {
            "percent": sorted(values)[len(values) // 2],
            "strengths": STRENGTHS,
            "opportunities": OPPORTUNITIES,
        }
        for code, values in given.items()
    }
    services.save_consensus(
        actor=_user(group.leader),
        group=group,
        items=agreed,
        comment="经专家组讨论形成共识：组织整体达到良好水平。"
        if application.kind == Kind.ORGANIZATION
        else "经专家组讨论形成共识：申报人在质量创新方面贡献突出。",
        final=True,
        revision=0,
    )


def _contact(application: Application) -> User | None:
    """A contact of the applicant organization (to give its feedback)."""
    from accounts.models import RoleAssignment

    grant = (
        RoleAssignment.objects.filter(role=Role.APPLICANT, organization=application.organization)
        .select_related("user")
        .first()
    )
    return grant.user if grant else None
