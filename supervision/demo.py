"""The demo's supervision, through the services with the "as of" clock (decision 0008), on the
completed 2025 cycle: one winner reported a violation late (A23.1), another's title was revoked
after a case the Office opened from the news (A23.2: certificate revoked, bonus recovered,
announcement), and the organization that did not win was found to have forged evidence and is
banned for three years and listed in credit management (A29.1)."""

from __future__ import annotations

import datetime as dt

from accounts.models import Role, RoleAssignment, User
from intake.models import Application, AwardRecord, Kind, State

from . import services
from .models import Case

REPORT_CONFIRMED = dt.date(2026, 3, 2)
REPORT_FILED = dt.date(2026, 4, 10)  # 39 days: late
NEWS_CONFIRMED = dt.date(2026, 5, 8)
CASE_OPENED = dt.date(2026, 6, 15)
CASE_REPORTED = dt.date(2026, 7, 3)
CASE_DECIDED = dt.date(2026, 7, 20)
FRAUD_DECIDED = dt.date(2026, 2, 26)


def seed() -> None:
    from programs.demo import as_of

    if Case.objects.exists():
        return
    awards = list(
        AwardRecord.objects.filter(
            year=2025, organization__isnull=False, revoked_on__isnull=True
        ).order_by("pk")
    )
    if len(awards) < 2:
        return
    office = User.objects.get(username="office")
    late, revoked = awards[0], awards[1]
    contact = (
        RoleAssignment.objects.filter(role=Role.APPLICANT, organization=late.organization)
        .select_related("user")
        .first()
    )
    if contact is not None:
        with as_of(REPORT_FILED):
            services.report_violation(
                actor=contact.user,
                award=late,
                what_happened="2026年3月2日，市场监管部门通报我公司一批次产品监督抽查不合格，"
                "已完成整改并召回在售产品。",
                confirmed_on=REPORT_CONFIRMED,
                evidence="抽查结果通知书、整改报告",
            )
    with as_of(CASE_OPENED):
        case = services.open_case(
            actor=office,
            award=revoked,
            source="media",
            what_happened="媒体报道该公司2026年5月发生重大产品质量事故，造成较大社会影响，"
            "企业未向委员会办公室报告。",
            confirmed_on=NEWS_CONFIRMED,
            evidence="事故调查报告、媒体报道",
        )
    with as_of(CASE_REPORTED):
        services.report_to_committee(
            actor=office,
            case=case,
            findings="经核查，事故属实，属于《办法》第十三条第（三）项情形，且企业未按第二十三条报告。",
        )
    with as_of(CASE_DECIDED):
        services.decide_case(
            actor=office,
            case=case,
            outcome="revocation",
            decided_on=CASE_DECIDED,
            decision_ref="皋政发〔2026〕61号",
        )
    loser = (
        Application.objects.filter(
            cycle__year=2025, kind=Kind.ORGANIZATION, state=State.NOT_AWARDED
        )
        .order_by("pk")
        .first()
    )
    if loser is not None:
        with as_of(FRAUD_DECIDED):
            services.sanction_fraud(
                actor=office,
                application=loser,
                kinds=["warning", "credit", "ban"],
                reason="申报材料中的检测报告经核实系伪造。",
                decided_on=FRAUD_DECIDED,
                decision_ref="如皋市质量发展委员会2026年第一次全体会议",
            )
