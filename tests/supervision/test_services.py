"""After the award and integrity (A13.4, A23.1, A23.2, A29.1)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from accounts.models import Role, User
from decision import services as decision
from decision.models import BonusEntry
from intake.models import AwardRecord, Ban, State
from lib.errors import PermissionDenied, ServiceError, StateConflict
from programs.models import Announcement
from supervision import services
from supervision.models import Case, Sanction
from tests.decision.conftest import CST, Decided, announced

CONFIRMED = dt.date(2026, 12, 12)


def _contact(make_user: Any, award: AwardRecord) -> User:
    user: User = make_user(
        Role.APPLICANT, username="winner_contact", organization=award.organization
    )
    return user


def _award(decided: Decided, time_machine: Any) -> AwardRecord:
    announced(decided, time_machine)
    return AwardRecord.objects.get(application=decided.organizations[0])


def _at(time_machine: Any, day: dt.date) -> None:
    time_machine.move_to(dt.datetime(day.year, day.month, day.day, 10, tzinfo=CST), tick=False)


@pytest.mark.req("A23.1")
@pytest.mark.parametrize(
    ("reported", "late"), [(dt.date(2027, 1, 11), False), (dt.date(2027, 1, 12), True)]
)
def test_a_report_is_due_within_30_days_of_confirmation(
    decided: Decided, time_machine: Any, make_user: Any, reported: dt.date, late: bool
) -> None:
    award = _award(decided, time_machine)
    contact = _contact(make_user, award)
    _at(time_machine, reported)
    case = services.report_violation(
        actor=contact,
        award=award,
        what_happened="2026年12月产品监督抽查不合格。",
        confirmed_on=CONFIRMED,
    )
    assert case.report_due_on == dt.date(2027, 1, 11)
    assert case.late is late
    with pytest.raises(PermissionDenied):  # only the winner reports its own
        services.report_violation(
            actor=decided.office, award=award, what_happened="x", confirmed_on=CONFIRMED
        )


@pytest.mark.req("A23.1", "A23.2")
def test_a_case_opened_by_the_office_shows_a_failure_to_report(
    decided: Decided, time_machine: Any, make_user: Any
) -> None:
    award = _award(decided, time_machine)
    _at(time_machine, dt.date(2027, 2, 1))
    case = services.open_case(
        actor=decided.office,
        award=award,
        source="spot_check",
        what_happened="监督抽查发现产品不合格，企业未报告。",
        confirmed_on=CONFIRMED,
    )
    assert case.failed_to_report is True
    other = AwardRecord.objects.get(application=decided.organizations[1])
    _contact(make_user, other)
    reporter = User.objects.get(username="winner_contact")
    services.report_violation(
        actor=reporter, award=other, what_happened="已报告", confirmed_on=dt.date(2027, 1, 20)
    )
    reported = services.open_case(
        actor=decided.office,
        award=other,
        source="complaint",
        what_happened="投诉",
        confirmed_on=dt.date(2027, 1, 20),
    )
    assert reported.failed_to_report is False


@pytest.mark.req("A23.2", "A25.1", "A22.1")
def test_revocation_shows_on_verification_in_the_ledger_and_publicly(
    decided: Decided, time_machine: Any, make_user: Any
) -> None:
    award = _award(decided, time_machine)
    decision.record_bonus(
        actor=decided.office,
        award=award,
        kind="payment",
        amount=200000,
        on=dt.date(2026, 12, 10),
        voucher="财拨〔2026〕501号",
    )
    _at(time_machine, dt.date(2027, 2, 1))
    case = services.open_case(
        actor=decided.office,
        award=award,
        source="media",
        what_happened="媒体报道该公司发生重大质量事故。",
        confirmed_on=CONFIRMED,
    )
    with pytest.raises(StateConflict, match="当前状态为“待核查”，不能记录委员会决定"):
        services.decide_case(
            actor=decided.office,
            case=case,
            outcome="revocation",
            decided_on=dt.date(2027, 2, 1),
            decision_ref="x",
        )
    services.report_to_committee(actor=decided.office, case=case, findings="经核查情况属实。")
    _at(time_machine, dt.date(2027, 3, 1))
    services.decide_case(
        actor=decided.office,
        case=case,
        outcome="revocation",
        decided_on=dt.date(2027, 3, 1),
        decision_ref="皋政发〔2027〕12号",
    )
    award.refresh_from_db()
    assert award.revoked_on == dt.date(2027, 3, 1)
    shown = decision.verify(award.certificate.number)
    assert shown is not None
    assert (shown["valid"], shown["revoked_on"]) == (False, dt.date(2027, 3, 1))
    assert "皋政发〔2027〕12号" in shown["revoked_reason"]
    assert decision.ledger_balance(award)["recovered"] == 200000
    assert BonusEntry.objects.get(award=award, kind="recovery").on == dt.date(2027, 3, 1)
    decided.organizations[0].refresh_from_db()
    assert decided.organizations[0].state == State.REVOKED
    assert Announcement.objects.filter(title__contains="撤销").count() == 1
    case.refresh_from_db()
    assert case.state == Case.State.DECIDED


@pytest.mark.req("A29.1", "A13.4")
def test_fraud_sanctions_cite_the_article_and_ban_for_three_years(
    decided: Decided, time_machine: Any
) -> None:
    award = _award(decided, time_machine)
    _at(time_machine, dt.date(2027, 4, 1))
    application = decided.organizations[0]
    with pytest.raises(ServiceError, match="事由"):
        services.sanction_fraud(
            actor=decided.office,
            application=application,
            kinds=["warning"],
            reason="",
            decided_on=dt.date(2027, 4, 1),
            decision_ref="委员会2027年第1次会议",
        )
    made = services.sanction_fraud(
        actor=decided.office,
        application=application,
        kinds=["award_revoked", "credit", "ban"],
        reason="申报材料中的检测报告系伪造。",
        decided_on=dt.date(2027, 4, 1),
        decision_ref="委员会2027年第1次会议",
    )
    assert {s.article for s in made} == {"A29.1"}
    ban = Ban.objects.get(organization=application.organization)
    assert (ban.starts_on, ban.ends_on) == (dt.date(2027, 4, 1), dt.date(2030, 3, 31))
    award.refresh_from_db()
    assert award.revoked_on == dt.date(2027, 4, 1)
    assert [s.application for s in services.credit_list()] == [application]
    credit = Sanction.objects.get(application=application, kind="credit")
    assert credit.public_until == dt.date(2030, 3, 31)  # standing.credit_list_ends: 3 years
    assert services.credit_list(dt.date(2030, 3, 31)) == [credit]
    assert services.credit_list(dt.date(2030, 4, 1)) == []
    with pytest.raises(StateConflict, match="已记录过"):
        services.sanction_fraud(
            actor=decided.office,
            application=application,
            kinds=["credit"],
            reason="重复",
            decided_on=dt.date(2027, 4, 1),
            decision_ref="x",
        )
    # A pending application is revoked (已撤销申报资格) rather than its award.
    loser = decided.organizations[4]
    services.sanction_fraud(
        actor=decided.office,
        application=loser,
        kinds=["warning"],
        reason="自评报告夸大",
        decided_on=dt.date(2027, 4, 1),
        decision_ref="委员会2027年第1次会议",
    )
    assert Sanction.objects.filter(application=loser).get().kind == "warning"


def test_a_pending_application_can_be_disqualified(decided: Decided) -> None:
    application = decided.organizations[4]
    services.sanction_fraud(
        actor=decided.office,
        application=application,
        kinds=["application_revoked"],
        reason="伪造证书",
        decided_on=dt.date(2026, 11, 10),
        decision_ref="委员会2026年第3次会议",
    )
    application.refresh_from_db()
    assert application.state == State.DISQUALIFIED


@pytest.mark.req("A27.1")
def test_supervisors_cannot_change_anything(
    decided: Decided, time_machine: Any, personas: dict[str, User]
) -> None:
    award = _award(decided, time_machine)
    supervisor = personas["supervisor"]
    with pytest.raises(PermissionDenied):
        services.open_case(actor=supervisor, award=award, source="complaint", what_happened="x")
    with pytest.raises(PermissionDenied):
        services.sanction_fraud(
            actor=supervisor,
            application=decided.organizations[0],
            kinds=["warning"],
            reason="x",
            decided_on=dt.date(2026, 12, 10),
            decision_ref="x",
        )
    assert not Case.objects.exists()


@pytest.mark.req("A23.1")
def test_winners_are_reminded_of_their_duty_for_three_years(
    decided: Decided, time_machine: Any
) -> None:
    _award(decided, time_machine)
    from accounts.models import Notification

    person = decided.individuals[0].individual
    assert person is not None
    # Four winners on 2027-03-01; the organizations of this fixture have no contact accounts.
    assert len(services.winners_to_remind(dt.date(2027, 3, 1))) == 4
    assert services.send_reminders(dt.date(2027, 3, 1)) == 1
    notice = Notification.objects.get(user=person.user, subject="市长质量奖获奖者报告义务提醒")
    assert "第二十三条" in notice.body
    assert "2029年12月9日" in notice.body  # the duty's last day
    assert services.winners_to_remind(dt.date(2029, 12, 9)) != []
    assert services.winners_to_remind(dt.date(2029, 12, 10)) == []


def test_the_reminder_command_runs_from_cron(decided: Decided, time_machine: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    _award(decided, time_machine)
    out = StringIO()
    call_command("remind_winners", "--on", "2027-03-01", stdout=out)
    assert "已提醒1人。" in out.getvalue()


@pytest.mark.req("A29.1", "A13.4")
def test_a_banned_organization_is_refused_citing_a29_until_the_ban_ends(
    decided: Decided,
) -> None:
    from intake import eligibility, schema
    from tests.intake.conftest import complete_form

    application = decided.organizations[4]
    services.sanction_fraud(
        actor=decided.office,
        application=application,
        kinds=["ban"],
        reason="伪造检测报告",
        decided_on=dt.date(2026, 11, 10),
        decision_ref="委员会2026年第3次会议",
    )
    # What the eligibility rules read for this organization (as intake.services does).
    bans = [
        eligibility.ActiveBan(b.starts_on, b.ends_on, b.reason)
        for b in Ban.objects.filter(organization=application.organization)
    ]

    def ban_rule(application_day: dt.date) -> Any:
        context = eligibility.Context(
            form=schema.parse(complete_form()),
            policy=decided.cycle.policy,
            division_code="320682",
            reference=application_day,
            organization=application.organization,
            bans=bans,
        )
        return {f.rule: f for f in eligibility.evaluate(context)}["a29_ban"]

    during = ban_rule(dt.date(2029, 3, 2))  # a 2029 application: the ban runs to 2029-11-09
    assert (during.outcome, during.article) == ("fail", "A29.1")
    assert "第二十九条" in during.message
    assert ban_rule(dt.date(2030, 3, 4)).outcome == "pass"  # a 2030 application: ended
