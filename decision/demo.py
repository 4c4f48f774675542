"""The demo's 2026 decision, through the services with the "as of" clock (decision 0008): the
Office drafts the list from the ranking, the committee reviews it on 11-06, the city government
approves it on 11-10, the notice runs from 11-25 for five working days, and a citizen has filed
an objection the Office has still to answer: real work waiting for `office`."""

from __future__ import annotations

import datetime as dt

from accounts.models import User
from intake.models import Kind, State
from programs.demo import DEMO_YEAR
from programs.models import Cycle
from programs.selectors import as_of
from review.models import Evaluation

from . import services
from .models import Proposal

DRAFT_DAY = dt.date(DEMO_YEAR, 11, 2)
COMMITTEE_DAY = dt.date(DEMO_YEAR, 11, 6)
GOVERNMENT_DAY = dt.date(DEMO_YEAR, 11, 10)
NOTICE_DAY = dt.date(DEMO_YEAR, 11, 25)
OBJECTION_DAY = dt.date(DEMO_YEAR, 11, 26)


def seed() -> None:
    cycle = Cycle.objects.get(year=DEMO_YEAR)
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
