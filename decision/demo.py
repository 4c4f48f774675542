"""The demo's decision stage, through the services with the "as of" clock (decision 0008).

First a completed 2025 cycle, so the demo has a past year: new applicants, registered in
March 2025, reviewed over the summer, listed, approved, in notice from 2025-11-24 (one
objection, dismissed with a reply), announced by 皋政发〔2025〕116号 on 12-10 with their
certificates, and the first-time organization winners' bonuses paid on 12-26. None of them
applies in 2026: a winner may apply again only after 3 full years (A24.1).

Then the 2026 list: the Office drafts it from the ranking, the committee reviews it on 11-06, the
city government approves it on 11-10, the notice runs from 11-25 for five working days, and a
citizen has filed an objection the Office has still to answer: real work waiting for `office`."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import transaction
from stdnum.cn import ric

from accounts.models import RecommendingUnit, User
from accounts.registration import register_individual, register_organization
from experts import services as experts
from intake import services as intake
from intake.demo import (
    CONTACT_NAMES,
    LEGAL_REPRESENTATIVES,
    QUALITY_OFFICERS,
    _form,
    _reviewer,
)
from intake.models import Application, EligibilityResult, Kind, State
from intake.schema import self_evaluation_rubric
from lib import uscc
from programs import services as programs
from programs.demo import DEMO_PASSWORD, DEMO_YEAR, as_of
from programs.models import AwardProgram, Cycle, Stage
from review import services as review
from review.demo import _groups, _lead, _score_and_agree
from review.models import Evaluation

from . import services
from .models import Proposal

DRAFT_DAY = dt.date(DEMO_YEAR, 11, 2)
COMMITTEE_DAY = dt.date(DEMO_YEAR, 11, 6)
GOVERNMENT_DAY = dt.date(DEMO_YEAR, 11, 10)
NOTICE_DAY = dt.date(DEMO_YEAR, 11, 25)
OBJECTION_DAY = dt.date(DEMO_YEAR, 11, 26)

# The 2025 cycle, laid out as the 2026 one (programs.demo.DEMO_STAGES) on 2025's calendar: the
# notice holds 5 working days (11-24 to 11-28); 05-31 to 06-02 was the 端午 holiday.
PAST_YEAR = DEMO_YEAR - 1
PAST_STAGES: dict[Stage, tuple[dt.date, dt.date]] = {
    Stage.APPLICATION: (dt.date(2025, 3, 3), dt.date(2025, 4, 30)),
    Stage.QUALIFICATION: (dt.date(2025, 5, 6), dt.date(2025, 5, 30)),
    Stage.MATERIAL_REVIEW: (dt.date(2025, 6, 3), dt.date(2025, 7, 11)),
    Stage.SITE_REVIEW: (dt.date(2025, 7, 14), dt.date(2025, 9, 12)),
    Stage.EVALUATION: (dt.date(2025, 9, 15), dt.date(2025, 10, 17)),
    Stage.COMMITTEE_REVIEW: (dt.date(2025, 10, 20), dt.date(2025, 11, 14)),
    Stage.NOTICE: (dt.date(2025, 11, 24), dt.date(2025, 11, 28)),
    Stage.APPROVAL: (dt.date(2025, 12, 1), dt.date(2025, 12, 31)),
}
PAST = {
    "call": dt.date(2025, 2, 20),
    "submit": dt.date(2025, 4, 18),
    "recommend": dt.date(2025, 4, 25),
    "accept": dt.date(2025, 5, 13),
    "groups": dt.date(2025, 5, 22),
    "material": dt.date(2025, 6, 3),
    "score": dt.date(2025, 6, 20),
    "material_end": dt.date(2025, 7, 11),
    "site": dt.date(2025, 7, 14),
    "site_end": dt.date(2025, 9, 12),
    "evaluate": dt.date(2025, 9, 15),
    "draft": dt.date(2025, 11, 3),
    "committee": dt.date(2025, 11, 7),
    "government": dt.date(2025, 11, 12),
    "notice": dt.date(2025, 11, 24),
    "objection": dt.date(2025, 11, 25),
    "reply": dt.date(2025, 11, 27),
    "close": dt.date(2025, 12, 1),
    "announce": dt.date(2025, 12, 10),
    "paid": dt.date(2025, 12, 26),
}
PAST_ANNOUNCEMENT = "皋政发〔2025〕116号"
# name, town, GB/T 4754 division, established, industrial, environmental rating
PAST_ORGANIZATIONS: list[tuple[str, str, str, dt.date, bool, str]] = [
    ("如皋江安精密机械有限公司", "江安镇", "34", dt.date(2004, 5, 10), True, "green"),
    ("江苏如皋高压电器有限公司", "如城街道", "38", dt.date(1999, 8, 16), True, "green"),
    ("如皋下原花木园艺有限公司", "下原镇", "05", dt.date(2007, 3, 28), False, "none"),
    ("如皋城北信息科技有限公司", "城北街道", "65", dt.date(2014, 9, 1), False, "none"),
]
# name, 身份证 body (17 digits), town, position, years in quality work, employer
PAST_INDIVIDUAL = ("张卫东", "32068219780412005", "江安镇", "cqo", 15, "如皋江安精密机械有限公司")


def seed() -> None:
    seed_past_cycle()
    seed_notice()


# --- the completed 2025 cycle -------------------------------------------------------------------


def seed_past_cycle() -> None:
    """The 2025 cycle from its call to the paid bonuses, once (skipped when it exists). One
    transaction: a failure halfway leaves no cycle that the next run would skip."""
    program = AwardProgram.objects.get(slug="rugao")
    if Cycle.objects.filter(program=program, year=PAST_YEAR).exists():
        return
    office = User.objects.get(username="office")
    with transaction.atomic():
        with as_of(PAST["call"]):
            cycle = programs.create_cycle(
                actor=office,
                program=program,
                year=PAST_YEAR,
                work_plan="请各镇（区、街道）于申报截止前完成审核推荐。联系电话：0513-0000000（演示）。",
            )
            programs.set_cycle_dates(actor=office, cycle=cycle, dates=PAST_STAGES)
            programs.publish_call(actor=office, cycle=cycle)
        contacts = _past_applications(cycle, office)
        _past_review(cycle, office, contacts)
        _past_decision(cycle, office)


def _past_form(application: Application) -> dict[str, Any]:
    """The demo's complete form, with the figures and spot check of a 2025 application."""
    kind = application.kind
    form = _form(kind, self_evaluation_rubric(application.cycle.policy, kind))
    if kind == Kind.ORGANIZATION:
        for figures, year in zip(form["figures"], range(PAST_YEAR - 3, PAST_YEAR), strict=True):
            figures["year"] = year
        form["spot_checks"][0]["date"] = f"{PAST_YEAR - 1}-06-18"
    return form


def _past_applications(cycle: Cycle, office: User) -> dict[int, User]:
    """Register, fill, submit, recommend and accept each 2025 applicant; their logins by
    application id."""
    contacts: dict[int, User] = {}
    for n, (name, town, industry, established, industrial, rating) in enumerate(
        PAST_ORGANIZATIONS, 1
    ):
        body = f"91320682MA1C{n:04d}0"  # 91 企业, 320682 如皋市
        org, user = register_organization(
            uscc_code=body + uscc.check_character(body),
            name=name,
            recommending_unit=RecommendingUnit.objects.get(name=town),
            username=f"org{PAST_YEAR}_{n}",
            password=DEMO_PASSWORD,
            contact_name=CONTACT_NAMES[-n],
            email=f"org{PAST_YEAR}_{n}@demo.rugao.example",
            registered_address=f"如皋市{town}",
            industry_code=industry,
            established_on=established,
            legal_representative=LEGAL_REPRESENTATIVES[-n],
            is_industrial=industrial,
            environmental_rating=rating,
            chief_quality_officer=QUALITY_OFFICERS[-n],
        )
        with as_of(PAST["submit"]):
            application = intake.start_application(actor=user, cycle=cycle, organization=org)
        contacts[application.pk] = user
    name, id_body, town, position, years, employer = PAST_INDIVIDUAL
    person, user = register_individual(
        name=name,
        id_number=id_body + ric.calc_check_digit(id_body + "0"),  # the last character is ignored
        recommending_unit=RecommendingUnit.objects.get(name=town),
        position=position,
        quality_work_years=years,
        employer_name=employer,
        username=f"person_{id_body[-3:]}",
        password=DEMO_PASSWORD,
    )
    with as_of(PAST["submit"]):
        application = intake.start_application(actor=user, cycle=cycle, individual=person)
    contacts[application.pk] = user
    for application in Application.objects.filter(cycle=cycle).select_related("recommending_unit"):
        user = contacts[application.pk]
        with as_of(PAST["submit"]):
            intake.save_draft(
                actor=user,
                application=application,
                data=_past_form(application) | {"contact_name": user.full_name.split("（")[0]},
            )
            intake.submit_application(actor=user, application=application)
        with as_of(PAST["recommend"]):
            intake.recommend_application(
                actor=_reviewer(application.recommending_unit),
                application=application,
                opinion="经审核，该申报主体符合申报条件，材料真实，同意推荐。",
            )
        with as_of(PAST["accept"]):
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
    return contacts


def _past_review(cycle: Cycle, office: User, contacts: dict[int, User]) -> None:
    """The 2025 groups from the pool, scored and agreed, site visits with their record, the
    supervisor's report and two-way feedback, then the evaluation: as review/demo.py does."""
    from experts.demo import CODE

    supervisor = User.objects.get(username="supervisor")
    rnd = random.Random(PAST_YEAR)  # noqa: S311 - reproducible demo scores, not security
    with as_of(PAST["groups"]):
        experts.set_code_of_conduct(actor=office, cycle=cycle, text=CODE)
        experts.detect_conflicts(actor=office, cycle=cycle)
        experts.propose_groups(actor=office, cycle=cycle, stage=Stage.MATERIAL_REVIEW)
    with as_of(PAST["material"]):
        for group in _groups(cycle, Stage.MATERIAL_REVIEW):
            _lead(office, group)
        review.open_phase(actor=office, cycle=cycle, stage=Stage.MATERIAL_REVIEW)
    with as_of(PAST["score"]):
        for group in _groups(cycle, Stage.MATERIAL_REVIEW):
            _score_and_agree(group, rnd)
    with as_of(PAST["material_end"]):
        review.close_phase(actor=office, cycle=cycle, stage=Stage.MATERIAL_REVIEW)
    with as_of(PAST["site"]):
        experts.propose_groups(actor=office, cycle=cycle, stage=Stage.SITE_REVIEW)
        for n, group in enumerate(_groups(cycle, Stage.SITE_REVIEW)):
            _lead(office, group, supervisor=supervisor)
            day = dt.date(PAST_YEAR, 7, 21) + dt.timedelta(days=7 * n)
            review.schedule_site_visit(
                actor=office,
                group=group,
                starts_on=day,
                ends_on=day + dt.timedelta(days=1),
                place=f"{group.application.applicant_name}（如皋市）",
            )
        review.open_phase(actor=office, cycle=cycle, stage=Stage.SITE_REVIEW)
    for group in _groups(cycle, Stage.SITE_REVIEW):
        visit = group.site_visit
        assert group.leader is not None  # _lead named one
        assert group.leader.user is not None  # every pool expert has a login (review/demo.py)
        leader = group.leader.user
        with as_of(visit.ends_on):
            _score_and_agree(group, rnd, bump=5)
            review.record_site_visit(
                actor=leader,
                visit=visit,
                items_verified="4.1至4.7各类目抽样核实",
                interviews="访谈高层领导3人、中层管理者5人、一线员工10人",
                evidence_seen="战略规划、质量月报、顾客满意度测评报告、财务报表",
                issues_found="关键绩效指标的趋势数据不足3年，缺少与标杆的对比",
            )
            review.file_supervisor_report(
                actor=supervisor,
                visit=visit,
                group_conduct="专家组按计划开展评审，遵守工作纪律，未发现违规行为。",
                applicant_conduct="申报单位积极配合，未安排宴请或赠送礼品。",
            )
            review.give_feedback(
                actor=contacts[group.application_id],
                application=group.application,
                direction="of_group",
                work_quality=5,
                integrity=5,
                comments="专家组工作细致，提出的改进建议切中要害。",
            )
            review.give_feedback(
                actor=leader,
                application=group.application,
                direction="of_applicant",
                discipline=5,
                comments="资料准备充分，遵守评审纪律。",
            )
    with as_of(PAST["site_end"]):
        review.close_phase(actor=office, cycle=cycle, stage=Stage.SITE_REVIEW)
    with as_of(PAST["evaluate"]):
        review.evaluate(actor=office, cycle=cycle)


def _past_decision(cycle: Cycle, office: User) -> None:
    """Two organization awards, one nomination and the individual award by rank (the fourth
    organization is not listed), through the committee, the government, the notice with one
    dismissed objection, the announcement and the bonus payments."""
    evaluations = Evaluation.objects.filter(application__cycle=cycle).select_related("application")
    ranked = sorted(evaluations, key=lambda e: (e.application.kind, e.rank, e.application_id))
    organizations = [e.application for e in ranked if e.application.kind == Kind.ORGANIZATION]
    people = [e.application for e in ranked if e.application.kind == Kind.INDIVIDUAL]
    entries = [(organizations[0], "award"), (organizations[1], "award")]
    entries += [(organizations[2], "nomination"), (people[0], "award")]
    with as_of(PAST["draft"]):
        proposal = services.save_proposal(actor=office, cycle=cycle, entries=entries)
    with as_of(PAST["committee"]):
        services.record_approval(
            actor=office,
            proposal=proposal,
            body="committee",
            decided_on=PAST["committee"],
            reference=f"如皋市质量发展委员会{PAST_YEAR}年第二次全体会议",
            attendees="主任、副主任及委员共12人出席，市纪委监委派员列席",
            resolution="审定通过拟奖建议名单，报请市人民政府批准。",
        )
    with as_of(PAST["government"]):
        services.record_approval(
            actor=office,
            proposal=proposal,
            body="government",
            decided_on=PAST["government"],
            reference=f"皋政复〔{PAST_YEAR}〕79号",
        )
    with as_of(PAST["notice"]):
        proposal = services.publish_notice(
            actor=office, proposal=proposal, starts_on=PAST["notice"]
        )
    with as_of(PAST["objection"]):
        objection = services.file_objection(
            proposal=proposal,
            name="顾明",
            identity="如皋市民",
            contact="guming@demo.rugao.example",
            content="听说该公司的首席质量官是今年才设立的，请核实其申报时是否已设立该岗位。",
            entry=proposal.entries.get(application=organizations[1]),
        )
    with as_of(PAST["reply"]):
        services.decide_objection(
            actor=office,
            objection=objection,
            outcome="dismissed",
            findings="经查阅该公司2022年岗位设置文件和任命文件，首席质量官岗位设立于2022年3月，"
            "早于申报日期，符合《办法》第十二条第二项。",
            reply="您好，经核查，该公司于2022年3月设立首席质量官岗位，符合申报条件，"
            "异议不成立。感谢您对市长质量奖评审工作的监督。",
        )
    with as_of(PAST["close"]):
        services.close_notice(actor=office, proposal=proposal)
    with as_of(PAST["announce"]):
        awards = services.announce(
            actor=office,
            proposal=proposal,
            announced_on=PAST["announce"],
            document_number=PAST_ANNOUNCEMENT,
        )
    with as_of(PAST["paid"]):
        for n, award in enumerate(awards, 31):
            due = services.ledger_balance(award)["outstanding"]
            if due:
                services.record_bonus(
                    actor=office,
                    award=award,
                    kind="payment",
                    amount=due,
                    on=PAST["paid"],
                    voucher=f"{PAST_YEAR}年12月记字第{n:03d}号",
                    note=f"依{PAST_ANNOUNCEMENT}拨付",
                )


# --- the 2026 list in its notice ------------------------------------------------------------------


def seed_notice() -> None:
    cycle = Cycle.objects.get(program__slug="rugao", year=DEMO_YEAR)
    if Proposal.objects.filter(cycle=cycle).exists():
        return
    evaluations = list(
        Evaluation.objects.filter(
            application__cycle=cycle, application__state=State.EVALUATED
        ).select_related("application__cycle__policy", "application__organization")
    )
    if not evaluations:
        return
    office = User.objects.get(username="office")
    policy = cycle.policy
    entries = []
    organizations = sorted(
        (e for e in evaluations if e.application.kind == Kind.ORGANIZATION), key=lambda e: e.rank
    )
    for n, evaluation in enumerate(organizations):
        if n < policy.quota_organization_award:
            entries.append((evaluation.application, "award"))
        elif n < policy.quota_organization_award + policy.quota_organization_nomination:
            entries.append((evaluation.application, "nomination"))
    people = sorted(
        (e for e in evaluations if e.application.kind == Kind.INDIVIDUAL), key=lambda e: e.rank
    )
    entries += [(e.application, "award") for e in people[: policy.quota_individual_award]]
    with as_of(DRAFT_DAY):
        proposal = services.save_proposal(actor=office, cycle=cycle, entries=entries)
    with as_of(COMMITTEE_DAY):
        services.record_approval(
            actor=office,
            proposal=proposal,
            body="committee",
            decided_on=COMMITTEE_DAY,
            reference=f"如皋市质量发展委员会{DEMO_YEAR}年第三次全体会议",
            attendees="主任、副主任及委员共11人出席，市纪委监委派员列席",
            resolution="审定通过拟奖建议名单，报请市人民政府批准。",
        )
    with as_of(GOVERNMENT_DAY):
        services.record_approval(
            actor=office,
            proposal=proposal,
            body="government",
            decided_on=GOVERNMENT_DAY,
            reference=f"皋政复〔{DEMO_YEAR}〕88号",
        )
    with as_of(NOTICE_DAY):
        services.publish_notice(actor=office, proposal=proposal, starts_on=NOTICE_DAY)
    with as_of(OBJECTION_DAY):
        proposal.refresh_from_db()
        first = proposal.entries.order_by("position").first()
        services.file_objection(
            proposal=proposal,
            name="刘建国",
            identity="如皋市民，某配套企业员工",
            contact="liujianguo@demo.rugao.example",
            content="据了解，该公司2025年曾因产品抽检不合格被通报，请核实是否符合申报条件。",
            entry=first,
        )
