"""审定, 公示 and 批准 through the services (A5.2, A19.1, A20.1, A20.2, A21.1, A22.1, A24.1)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from audit.models import AuditEvent
from decision import services
from decision.models import Approval, Objection, Proposal
from intake.models import AwardRecord, State
from lib.errors import PermissionDenied, ServiceError, StateConflict
from tests.decision.conftest import CST, NOTICE_START, Decided, approved, default_list, in_notice

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _list(d: Decided, *extra: tuple[Any, str]) -> list[tuple[Any, str]]:
    return [*default_list(d), *extra]


_approved = approved


def _in_notice(d: Decided, time_machine: Any) -> Proposal:
    return in_notice(d, time_machine)


@pytest.mark.req("A5.2")
def test_quotas_are_enforced_with_the_reason(decided: Decided, personas: dict[str, Any]) -> None:
    o, i = decided.organizations, decided.individuals
    over = [(o[0], "award"), (o[1], "award"), (o[2], "award")]
    with pytest.raises(ServiceError, match="组织市长质量奖拟奖3个，超过名额2个") as refused:
        services.save_proposal(actor=decided.office, cycle=decided.cycle, entries=over)
    assert refused.value.article == "A5.2"
    with pytest.raises(ServiceError, match="个人市长质量奖拟奖2个，超过名额1个"):
        services.save_proposal(
            actor=decided.office, cycle=decided.cycle, entries=[(i[0], "award"), (i[1], "award")]
        )
    with pytest.raises(ServiceError, match="个人只设市长质量奖"):
        services.save_proposal(
            actor=decided.office, cycle=decided.cycle, entries=[(i[0], "nomination")]
        )
    # Exactly at every quota: 2 + 2 organizations and 1 individual.
    full = [(o[0], "award"), (o[1], "award"), (o[2], "nomination"), (o[3], "nomination")]
    proposal = services.save_proposal(
        actor=decided.office, cycle=decided.cycle, entries=[*full, (i[0], "award")]
    )
    assert proposal.entries.count() == 5
    for someone in ("committee", "supervisor", "applicant"):
        with pytest.raises(PermissionDenied):
            services.save_proposal(actor=personas[someone], cycle=decided.cycle, entries=full)


@pytest.mark.req("A24.1", "A5.2", "A21.1")
def test_a_rewinner_is_outside_the_quota_and_gets_no_bonus(decided: Decided) -> None:
    o = decided.organizations
    AwardRecord.objects.create(
        organization=o[2].organization,
        year=2022,
        level="award",
        announced_on=dt.date(2022, 12, 20),
        document_number="皋政发〔2022〕99号",
        created_by=decided.office,
    )
    entries = [(o[0], "award"), (o[1], "award"), (o[2], "award")]  # three, one re-winner
    proposal = services.save_proposal(actor=decided.office, cycle=decided.cycle, entries=entries)
    marked = {e.application_id: e.rewinner for e in proposal.entries.all()}
    assert marked == {o[0].pk: False, o[1].pk: False, o[2].pk: True}
    policy = decided.cycle.policy
    assert services.bonus_due(policy, o[2], "award") == 0
    assert services.bonus_due(policy, o[0], "award") == 200000
    assert services.bonus_due(policy, o[1], "nomination") == 100000
    assert services.bonus_due(policy, decided.individuals[0], "award") == 0


@pytest.mark.req("A19.1", "A6.1")
def test_the_committee_then_the_government_approve_in_order(decided: Decided) -> None:
    proposal = services.save_proposal(
        actor=decided.office, cycle=decided.cycle, entries=_list(decided)
    )
    with pytest.raises(StateConflict):  # the government cannot approve before the committee
        services.record_approval(
            actor=decided.office,
            proposal=proposal,
            body="government",
            decided_on=dt.date(2026, 11, 9),
            reference="皋政复〔2026〕88号",
        )
    proposal = _approved(decided)
    assert proposal.state == Proposal.State.GOVERNMENT_APPROVED
    assert list(proposal.approvals.values_list("body", flat=True)) == ["committee", "government"]
    decided.organizations[0].refresh_from_db()
    assert decided.organizations[0].state == State.PROPOSED
    decided.organizations[4].refresh_from_db()
    assert decided.organizations[4].state == State.EVALUATED
    with pytest.raises(StateConflict):  # the list is fixed once approved
        services.save_proposal(actor=decided.office, cycle=decided.cycle, entries=_list(decided))


@pytest.mark.req("A20.1")
@pytest.mark.parametrize(
    ("start", "end"),
    [
        (dt.date(2026, 11, 25), dt.date(2026, 12, 1)),  # Wednesday: over a weekend
        (dt.date(2026, 9, 29), dt.date(2026, 10, 10)),  # over National Day, to a make-up Saturday
        (dt.date(2026, 10, 8), dt.date(2026, 10, 13)),  # Saturday 10-10 is a make-up workday
    ],
)
def test_a_notice_lasts_five_working_days(decided: Decided, start: dt.date, end: dt.date) -> None:
    assert services.notice_end(start, decided.cycle.policy) == end


@pytest.mark.req("A20.1")
def test_publishing_the_notice_counts_working_days(decided: Decided, time_machine: Any) -> None:
    proposal = _approved(decided)
    time_machine.move_to(dt.datetime(2026, 11, 25, 9, tzinfo=CST), tick=False)
    with pytest.raises(ServiceError, match="不是工作日"):
        services.publish_notice(
            actor=decided.office, proposal=proposal, starts_on=dt.date(2026, 11, 28)
        )
    published = services.publish_notice(
        actor=decided.office, proposal=proposal, starts_on=NOTICE_START
    )
    assert (published.notice_starts_on, published.notice_ends_on) == (
        NOTICE_START,
        dt.date(2026, 12, 1),
    )
    decided.organizations[0].refresh_from_db()
    assert decided.organizations[0].state == State.IN_NOTICE


@pytest.mark.req("A20.2")
def test_objections_must_be_named_and_on_time(decided: Decided, time_machine: Any) -> None:
    proposal = _in_notice(decided, time_machine)
    entry = proposal.entries.get(application=decided.organizations[0])
    with pytest.raises(ServiceError, match="真实姓名"):
        services.file_objection(
            proposal=proposal, name="", identity="市民", contact="13800000000", content="有问题"
        )
    with pytest.raises(ServiceError, match="不能上传"):
        services.file_objection(
            proposal=proposal,
            name="张三",
            identity="市民",
            contact="13800000000",
            content="有问题",
            evidence=[("证据.pdf", b"MZ\x90\x00" + b"\x00" * 64)],
        )
    filed = services.file_objection(
        proposal=proposal,
        name="张三",
        identity="如皋某公司员工",
        contact="13800000000",
        content="该公司2025年发生质量事故未如实申报。",
        entry=entry,
        evidence=[("事故通报.pdf", PDF)],
    )
    assert filed.receipt.startswith("YY2026")
    assert len(filed.receipt) == 16
    assert filed.evidence.get().content_type == "application/pdf"
    event = AuditEvent.objects.get(action="decision.objection.file")
    assert event.actor_id is None
    assert "13800000000" not in str(event.after)
    time_machine.move_to(dt.datetime(2026, 12, 2, 9, tzinfo=CST), tick=False)
    with pytest.raises(ServiceError, match="公示期已于2026年12月1日结束") as late:
        services.file_objection(
            proposal=proposal, name="李四", identity="市民", contact="x", content="晚了"
        )
    assert (late.value.code, late.value.article) == ("outside_window", "A20.2")


@pytest.mark.req("A20.2")
def test_the_notice_closes_only_when_every_objection_is_answered(
    decided: Decided, time_machine: Any
) -> None:
    proposal = _in_notice(decided, time_machine)
    entry = proposal.entries.get(application=decided.organizations[1])
    objection = services.file_objection(
        proposal=proposal,
        name="张三",
        identity="市民",
        contact="zhangsan@example.com",
        content="该公司存在虚假宣传。",
        entry=entry,
    )
    with pytest.raises(ServiceError, match="期满后") as early:
        services.close_notice(actor=decided.office, proposal=proposal)
    assert early.value.code == "outside_window"
    time_machine.move_to(dt.datetime(2026, 12, 2, 9, tzinfo=CST), tick=False)
    with pytest.raises(ServiceError, match="尚有1件异议") as pending:
        services.close_notice(actor=decided.office, proposal=proposal)
    assert (pending.value.code, pending.value.article) == ("outside_window", "A20.2")
    services.decide_objection(
        actor=decided.office,
        objection=objection,
        outcome="upheld",
        findings="经核查，该公司2026年3月因虚假宣传受到行政处罚。",
        reply="您反映的情况属实，已将该公司撤出拟奖名单。",
        withdraw=True,
    )
    with pytest.raises(StateConflict, match="该异议当前状态为“异议成立”"):
        services.decide_objection(
            actor=decided.office, objection=objection, outcome="dismissed", findings="x", reply="y"
        )
    entry.refresh_from_db()
    assert entry.withdrawn_at is not None
    decided.organizations[1].refresh_from_db()
    assert decided.organizations[1].state == State.NOT_AWARDED
    closed = services.close_notice(actor=decided.office, proposal=proposal)
    assert closed.state == Proposal.State.NOTICE_CLOSED
    assert Objection.objects.get().outcome == "upheld"


@pytest.mark.req("A20.2", "A21.1", "A22.1", "A25.1")
def test_the_announcement_makes_winners_certificates_and_bonuses(
    decided: Decided, time_machine: Any
) -> None:
    proposal = _in_notice(decided, time_machine)
    time_machine.move_to(dt.datetime(2026, 12, 10, 9, tzinfo=CST), tick=False)
    services.close_notice(actor=decided.office, proposal=proposal)
    awards = services.announce(
        actor=decided.office,
        proposal=proposal,
        announced_on=dt.date(2026, 12, 10),
        document_number="皋政发〔2026〕120号",
    )
    assert len(awards) == 4
    # The year's evaluation has ended: the cycle reads 已结束, audited with the announcement.
    decided.cycle.refresh_from_db()
    assert decided.cycle.status == "closed"
    assert AuditEvent.objects.filter(action="programs.cycle.close").count() == 1
    o = decided.organizations
    for a in (o[0], o[1], o[2], decided.individuals[0]):
        a.refresh_from_db()
        assert a.state == State.AWARDED
    for a in (o[3], o[4], decided.individuals[1]):
        a.refresh_from_db()
        assert a.state == State.NOT_AWARDED
    first = AwardRecord.objects.get(application=o[0])
    assert services.ledger_balance(first) == {
        "due": 200000,
        "paid": 0,
        "recovered": 0,
        "outstanding": 200000,
    }
    nomination = AwardRecord.objects.get(application=o[2])
    assert services.ledger_balance(nomination)["due"] == 100000
    assert (
        services.ledger_balance(AwardRecord.objects.get(application=decided.individuals[0]))["due"]
        == 0
    )
    # The certificate verifies publicly; an unknown or forged number does not.
    number = first.certificate.number
    shown = services.verify(number)
    assert shown is not None
    assert (shown["holder"], shown["year"], shown["valid"]) == (
        o[0].applicant_name,
        2026,
        True,
    )
    assert services.verify(number[:-1] + ("0" if number[-1] != "0" else "1")) is None
    assert services.verify("RG2026-FAKE") is None
    assert services.verify(number.lower().replace("-", " ")) == shown  # as people type it
    # Payments within what is due, with a voucher; recoveries within what was paid.
    with pytest.raises(ServiceError, match="凭证号"):
        services.record_bonus(
            actor=decided.office, award=first, kind="payment", amount=100, on=dt.date(2026, 12, 10)
        )
    services.record_bonus(
        actor=decided.office,
        award=first,
        kind="payment",
        amount=200000,
        on=dt.date(2026, 12, 10),
        voucher="财拨〔2026〕501号",
    )
    with pytest.raises(ServiceError, match="超过应发未发"):
        services.record_bonus(
            actor=decided.office,
            award=first,
            kind="payment",
            amount=1,
            on=dt.date(2026, 12, 10),
            voucher="x",
        )
    assert services.ledger_balance(first)["outstanding"] == 0
    assert Approval.objects.count() == 2
    assert AuditEvent.objects.filter(action="decision.announce").count() == 1


@pytest.mark.req("A19.1")
def test_the_evaluation_is_fixed_once_the_committee_has_decided(decided: Decided) -> None:
    from review import services as review

    _approved(decided)
    with pytest.raises(StateConflict, match="不能再重新计算"):
        review.evaluate(actor=decided.office, cycle=decided.cycle)
