"""The Office's pages of 审定, 公示 and 公告 (A5.2, A6.1, A19.1, A20.1, A20.2, A21.1, A22.1, A24.1,
A25.1): who may read and act, the whole path from the draft to the certificates and the bonus
ledger, and constant query counts on the board and the ledger."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Organization, RecommendingUnit, Role, User
from audit.models import AuditEvent
from decision import services
from decision.models import BonusEntry, Certificate, Objection, Proposal
from intake.models import Application, AwardRecord, State
from review.models import Evaluation
from tests.conftest import client_for, otp_verified
from tests.decision.conftest import CST, NOTICE_START, Decided

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _messages(response: Any) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def _url(name: str, *args: Any) -> str:
    return reverse(f"decision:{name}", args=args)


def _board(d: Decided) -> str:
    return _url("board") + f"?cycle={d.cycle.pk}"


def _levels(d: Decided, *chosen: tuple[Application, str]) -> dict[str, str]:
    return {f"level_{a.pk}": level for a, level in chosen}


def _draft(d: Decided) -> dict[str, str]:
    o, i = d.organizations, d.individuals
    return _levels(d, (o[0], "award"), (o[1], "award"), (o[2], "nomination"), (i[0], "award"))


def _move(time_machine: Any, client: Client, when: dt.datetime) -> None:
    """Days later: the clock moves and the Office signs in again (sessions last 30 minutes)."""
    user = User.objects.get(pk=client.session["_auth_user_id"])
    time_machine.move_to(when, tick=False)
    client.force_login(user, backend="accounts.backends.PasswordBackend")
    otp_verified(client, user)  # with the second factor (accounts.two_factor)


def _approved(d: Decided, client: Client) -> None:
    assert client.post(_url("proposal", d.cycle.pk), _draft(d)).status_code == 302
    committee = {
        "body": "committee",
        "decided_on": "2026-11-06",
        "reference": "质量发展委员会2026年第3次全体会议",
        "attendees": "主任、副主任及委员11人",
        "resolution": "同意拟奖建议名单，报市政府批准。",
    }
    assert client.post(_url("approval", d.cycle.pk), committee).status_code == 302
    government = {
        "body": "government",
        "decided_on": "2026-11-09",
        "reference": "皋政复〔2026〕88号",
    }
    assert client.post(_url("approval", d.cycle.pk), government).status_code == 302


def _in_notice(d: Decided, client: Client, time_machine: Any) -> Proposal:
    _approved(d, client)
    _move(time_machine, client, dt.datetime(2026, 11, 25, 9, tzinfo=CST))
    response = client.post(_url("notice", d.cycle.pk), {"starts_on": NOTICE_START.isoformat()})
    assert response.status_code == 302, response.content.decode()
    return Proposal.objects.get(cycle=d.cycle)


def _announced(d: Decided, client: Client, time_machine: Any) -> Proposal:
    proposal = _in_notice(d, client, time_machine)
    _move(time_machine, client, dt.datetime(2026, 12, 2, 9, tzinfo=CST))
    assert client.post(_url("close", d.cycle.pk)).status_code == 302
    announcement = {"announced_on": "2026-12-02", "document_number": "皋政发〔2026〕120号"}
    assert client.post(_url("announce", d.cycle.pk), announcement).status_code == 302
    proposal.refresh_from_db()
    assert proposal.state == Proposal.State.ANNOUNCED
    return proposal


def _applicant_of(make_user: Any, application: Application, name: str) -> User:
    user: User = make_user(Role.APPLICANT, username=name, organization=application.organization)
    return user


# --- who may read and act ----------------------------------------------------------------------


@pytest.mark.req("A19.1", "A27.1")
def test_the_office_acts_supervisors_and_committee_read(
    decided: Decided, personas: dict[str, User | None]
) -> None:
    readers = ("office", "supervisor", "committee")
    pages = [_board(decided), _url("proposal", decided.cycle.pk), _url("ledger")]
    for name in readers:
        for page in pages:
            assert client_for(personas[name]).get(page).status_code == 200, (name, page)
        assert client_for(personas[name]).get(_url("ledger_xlsx")).status_code == 200
    for name in ("applicant", "expert", "recommender", "outsider"):
        for page in pages:
            assert client_for(personas[name]).get(page).status_code == 403, (name, page)
    anonymous = Client().get(_board(decided))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("accounts:login"))
    # Only the Office sees the buttons.
    button = "拟定拟奖名单</a>"
    assert button in client_for(personas["office"]).get(_board(decided)).content.decode()
    assert button not in client_for(personas["committee"]).get(_board(decided)).content.decode()
    proposal_form = client_for(personas["office"]).get(_url("proposal", decided.cycle.pk))
    assert "保存拟奖名单" in proposal_form.content.decode()
    read_only = client_for(personas["supervisor"]).get(_url("proposal", decided.cycle.pk))
    assert "保存拟奖名单" not in read_only.content.decode()


@pytest.mark.req("A19.1", "A20.2", "A22.1")
def test_readers_posts_are_forbidden_and_change_nothing(
    decided: Decided, personas: dict[str, User | None], time_machine: Any
) -> None:
    office = client_for(personas["office"])
    proposal = _in_notice(decided, office, time_machine)
    objection = services.file_objection(
        proposal=proposal, name="张三", identity="如皋市民", contact="13800000000", content="有异议"
    )
    award = AwardRecord.objects.create(
        organization=decided.organizations[4].organization,
        year=2022,
        level="award",
        announced_on=dt.date(2022, 12, 20),
        document_number="皋政发〔2022〕99号",
        created_by=decided.office,
    )
    posts = [
        (_url("proposal", decided.cycle.pk), _draft(decided)),
        (_url("approval", decided.cycle.pk), {"body": "committee", "decided_on": "2026-11-06"}),
        (_url("notice", decided.cycle.pk), {"starts_on": "2026-11-25"}),
        (_url("close", decided.cycle.pk), {}),
        (_url("announce", decided.cycle.pk), {"announced_on": "2026-12-02"}),
        (_url("objection", objection.receipt), {"outcome": "dismissed"}),
        (_url("bonus", award.pk), {"kind": "payment", "amount": "1"}),
    ]
    before = AuditEvent.objects.filter(action__startswith="decision.").count()
    for name in ("supervisor", "committee", "applicant"):
        for url, data in posts:
            assert client_for(personas[name]).post(url, data).status_code == 403, (name, url)
    for url, data in posts:
        assert Client().post(url, data).status_code == 302  # to the login page
    assert AuditEvent.objects.filter(action__startswith="decision.").count() == before
    objection.refresh_from_db()
    assert objection.outcome == Objection.Outcome.OPEN
    # The objector's details and evidence: the Office and supervisors, not the committee.
    page = _url("objection", objection.receipt)
    assert client_for(personas["supervisor"]).get(page).status_code == 200
    assert client_for(personas["committee"]).get(page).status_code == 403
    assert "张三" not in client_for(personas["committee"]).get(_board(decided)).content.decode()
    assert (
        client_for(personas["office"]).get(_url("objection", "YY2026NOSUCH0000")).status_code == 404
    )


@pytest.mark.req("A21.1", "A25.1")
def test_a_certificate_pdf_is_for_readers_and_the_winner_only(
    decided: Decided, personas: dict[str, User | None], make_user: Any, time_machine: Any
) -> None:
    _announced(decided, client_for(personas["office"]), time_machine)
    winner = decided.organizations[0]
    number = Certificate.objects.get(award__application=winner).number
    url = _url("certificate_pdf", number)
    for name in ("office", "supervisor", "committee"):
        response = client_for(personas[name]).get(url)
        assert response.status_code == 200, name
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
    own = _applicant_of(make_user, winner, "winner_contact")
    assert client_for(own).get(url).content.startswith(b"%PDF")
    # The winning individual downloads its own.
    person_number = Certificate.objects.get(award__application=decided.individuals[0]).number
    person = decided.individuals[0].individual
    assert person is not None
    assert client_for(person.user).get(_url("certificate_pdf", person_number)).status_code == 200
    # Another winner, another applicant, an outsider: nothing to learn (404).
    other = _applicant_of(make_user, decided.organizations[1], "other_winner")
    for user in (other, personas["applicant"], personas["outsider"], personas["expert"]):
        assert client_for(user).get(url).status_code == 404
    assert (
        client_for(personas["office"]).get(_url("certificate_pdf", "RG2026-0000")).status_code
        == 404
    )
    assert Client().get(url).status_code == 302


# --- the whole path ----------------------------------------------------------------------------


@pytest.mark.req("A5.2", "A24.1", "A19.1")
def test_the_draft_is_refused_over_quota_with_choices_kept_then_saved(
    decided: Decided, personas: dict[str, User | None]
) -> None:
    office = client_for(personas["office"])
    o, i = decided.organizations, decided.individuals
    AwardRecord.objects.create(  # o[3] won in 2022: a re-winner, outside the quota (A24.1)
        organization=o[3].organization,
        year=2022,
        level="award",
        announced_on=dt.date(2022, 12, 20),
        document_number="皋政发〔2022〕99号",
        created_by=decided.office,
    )
    page = office.get(_url("proposal", decided.cycle.pk)).content.decode()
    for application in (*o, *i):
        assert application.applicant_name in page
    assert "不占名额，不发奖金（《办法》第二十四条）" in page
    assert page.count("再次获奖</span>") == 1
    # Individuals have no nomination award to choose.
    assert f'name="level_{i[0].pk}"' in page
    over = _levels(
        decided, (o[0], "award"), (o[1], "award"), (o[2], "award"), (i[0], "award"), (i[1], "award")
    )
    refused = office.post(_url("proposal", decided.cycle.pk), over)
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "组织市长质量奖拟奖3个，超过名额2个" in html
    assert "个人市长质量奖拟奖2个，超过名额1个" in html
    assert "《办法》第五条" in html
    assert '<option value="award" selected>' in html  # the choices are still there
    assert html.count(" selected>") == 5
    assert not Proposal.objects.filter(cycle=decided.cycle).exists()
    # Three organization awards pass when one of them is the re-winner's.
    ok = _levels(decided, (o[0], "award"), (o[1], "award"), (o[3], "award"), (i[0], "award"))
    saved = office.post(_url("proposal", decided.cycle.pk), ok)
    assert saved.status_code == 302
    assert "拟奖名单已保存：4个对象" in _messages(saved)
    proposal = Proposal.objects.get(cycle=decided.cycle)
    assert {(e.application_id, e.rewinner) for e in proposal.entries.all()} == {
        (o[0].pk, False),
        (o[1].pk, False),
        (o[3].pk, True),
        (i[0].pk, False),
    }
    assert AuditEvent.objects.filter(action="decision.proposal.save").count() == 1
    board = office.get(_board(decided)).content.decode()
    assert "再次获奖" in board
    assert "记录委员会审定" in board
    # The quota counters start from the saved list.
    again = office.get(_url("proposal", decided.cycle.pk)).content.decode()
    assert "<span data-count>2</span> / 2" in again


@pytest.mark.req("A6.1", "A19.1")
def test_the_committee_then_the_government_approve_on_the_board(
    decided: Decided, personas: dict[str, User | None]
) -> None:
    office = client_for(personas["office"])
    office.post(_url("proposal", decided.cycle.pk), _draft(decided))
    missing = office.post(
        _url("approval", decided.cycle.pk),
        {"body": "committee", "decided_on": "2026-11-06", "reference": " ", "attendees": "全体"},
    )
    assert missing.status_code == 400
    html = missing.content.decode()
    assert 'name="reference"' in html
    assert "is-invalid" in html
    assert "全体" in html  # what was typed stays
    future = office.post(
        _url("approval", decided.cycle.pk),
        {"body": "committee", "decided_on": "2026-12-01", "reference": "第3次全体会议"},
    )
    assert "日期不能晚于今天" in future.content.decode()
    _approved_client = office
    committee = {
        "body": "committee",
        "decided_on": "2026-11-06",
        "reference": "质量发展委员会2026年第3次全体会议",
        "attendees": "主任、副主任及委员11人",
        "resolution": "同意拟奖建议名单，报市政府批准。",
    }
    assert _approved_client.post(_url("approval", decided.cycle.pk), committee).status_code == 302
    board = office.get(_board(decided)).content.decode()
    assert "2026年11月6日 · 质量发展委员会2026年第3次全体会议" in board
    assert "主任、副主任及委员11人" in board
    assert "批准文号" in board  # the next form: the government's
    early = office.post(
        _url("approval", decided.cycle.pk),
        {"body": "government", "decided_on": "2026-11-05", "reference": "皋政复〔2026〕88号"},
    )
    assert "市政府批准日期不能早于委员会审定日期" in early.content.decode()
    government = {
        "body": "government",
        "decided_on": "2026-11-09",
        "reference": "皋政复〔2026〕88号",
    }
    assert office.post(_url("approval", decided.cycle.pk), government).status_code == 302
    proposal = Proposal.objects.get(cycle=decided.cycle)
    assert proposal.state == Proposal.State.GOVERNMENT_APPROVED
    assert AuditEvent.objects.filter(action="decision.approval.record").count() == 2
    board = office.get(_board(decided)).content.decode()
    assert "皋政复〔2026〕88号" in board
    assert "发布公示</button>" in board
    # Supervisors read the same record without the forms.
    read = client_for(personas["supervisor"]).get(_board(decided)).content.decode()
    assert "皋政复〔2026〕88号" in read
    assert "发布公示</button>" not in read
    assert "待办公室发布公示" in read
    # The list is fixed now: the draft page sends the Office back to the board.
    fixed = office.get(_url("proposal", decided.cycle.pk))
    assert fixed.status_code == 302
    assert "不能再修改" in _messages(fixed)


@pytest.mark.req("A20.1")
def test_the_notice_shows_its_computed_end_then_publishes(
    decided: Decided, personas: dict[str, User | None], time_machine: Any
) -> None:
    office = client_for(personas["office"])
    _approved(decided, office)
    _move(time_machine, office, dt.datetime(2026, 11, 25, 9, tzinfo=CST))
    board = office.get(_board(decided)).content.decode()
    assert 'value="2026-11-25"' in board  # today, a working day
    assert "2026年11月25日至2026年12月1日" in board  # five working days over a weekend
    preview = office.get(
        _url("notice", decided.cycle.pk), {"starts_on": "2026-11-26"}, headers={"HX-Request": "1"}
    ).content.decode()
    assert "2026年11月26日至2026年12月2日" in preview
    saturday = office.get(
        _url("notice", decided.cycle.pk), {"starts_on": "2026-11-28"}, headers={"HX-Request": "1"}
    ).content.decode()
    assert "不是工作日" in saturday
    # Without JavaScript the button lands back on the board with the preview.
    fallback = office.get(_url("notice", decided.cycle.pk), {"starts_on": "2026-11-26"})
    assert fallback.status_code == 302
    assert "2026年11月26日至2026年12月2日" in office.get(fallback["Location"]).content.decode()
    refused = office.post(_url("notice", decided.cycle.pk), {"starts_on": "2026-11-28"})
    assert refused.status_code == 400
    assert "2026-11-28不是工作日，公示应从工作日开始" in refused.content.decode()
    published = office.post(_url("notice", decided.cycle.pk), {"starts_on": "2026-11-25"})
    assert "已发布公示：2026年11月25日至2026年12月1日" in _messages(published)
    proposal = Proposal.objects.get(cycle=decided.cycle)
    assert (proposal.state, proposal.notice_ends_on) == (
        Proposal.State.IN_NOTICE,
        dt.date(2026, 12, 1),
    )
    board = office.get(_board(decided)).content.decode()
    assert "结束公示" in board
    assert reverse("decision:public_notice", args=[2026]) in board


@pytest.mark.req("A20.2")
def test_an_objection_is_decided_and_the_reply_emailed(
    decided: Decided,
    personas: dict[str, User | None],
    time_machine: Any,
    mailoutbox: list[Any],
    settings: Any,
    tmp_path: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    office = client_for(personas["office"])
    proposal = _in_notice(decided, office, time_machine)
    entry = proposal.entries.get(application=decided.organizations[2])
    objection = services.file_objection(
        proposal=proposal,
        entry=entry,
        name="李四",
        identity="如皋某公司员工",
        contact="lisi@example.com",
        content="该公司2025年发生质量事故。",
        evidence=[("事故通报.pdf", PDF)],
    )
    board = office.get(_board(decided)).content.decode()
    assert objection.receipt in board
    assert "1件待核查" in board
    page = office.get(_url("objection", objection.receipt)).content.decode()
    for text in (
        "李四",
        "如皋某公司员工",
        "lisi@example.com",
        "该公司2025年发生质量事故",
        "事故通报.pdf",
    ):
        assert text in page
    assert "答复将发送至异议人邮箱" in page
    evidence = objection.evidence.get()
    download = client_for(personas["supervisor"]).get(
        _url("evidence", objection.receipt, evidence.pk)
    )
    assert download.status_code == 200
    assert b"".join(download) == PDF
    assert (
        client_for(personas["committee"])
        .get(_url("evidence", objection.receipt, evidence.pk))
        .status_code
        == 403
    )
    assert office.get(_url("evidence", objection.receipt, evidence.pk + 99)).status_code == 404
    # The notice cannot close while it is open, nor before its end.
    _move(time_machine, office, dt.datetime(2026, 12, 2, 9, tzinfo=CST))
    blocked = office.post(_url("close", decided.cycle.pk))
    assert "不能结束公示：尚有1件异议未核查答复" in _messages(blocked)
    # Withdrawing needs the objection upheld.
    wrong = office.post(
        _url("objection", objection.receipt),
        {"outcome": "dismissed", "findings": "经核查", "reply": "不成立", "withdraw": "on"},
    )
    assert wrong.status_code == 400
    assert "只有针对某一对象且成立的异议才能撤出该对象" in wrong.content.decode()
    assert mailoutbox == []
    # The reply is a background job queued with the decision (issue 17): it leaves when the
    # decision commits (the capture's exit here; at once in production, e2e shows 答复已发送至).
    with django_capture_on_commit_callbacks(execute=True):
        decided_ = office.post(
            _url("objection", objection.receipt),
            {
                "outcome": "upheld",
                "findings": "经向应急管理部门核实，该公司2025年确有一般质量事故。",
                "reply": "您反映的情况属实，该公司已撤出拟奖名单。感谢监督。",
                "withdraw": "on",
            },
        )
        assert decided_.status_code == 302
        assert "答复邮件已排队，稍后发送至lisi@example.com" in _messages(decided_)
        assert mailoutbox == []
    assert len(mailoutbox) == 1
    objection.refresh_from_db()
    assert services.reply_state(objection) == "sent"
    again = office.post(
        _url("objection", objection.receipt),
        {"outcome": "dismissed", "findings": "改判", "reply": "改判"},
    )
    assert "该异议已有核查结论" in _messages(again)
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["lisi@example.com"]
    assert objection.receipt in mail.subject
    assert "该公司已撤出拟奖名单" in mail.body
    assert "异议成立" in mail.body
    entry.refresh_from_db()
    assert entry.withdrawn_at is not None
    board = office.get(_board(decided)).content.decode()
    assert "已撤出" in board
    assert "异议成立" in board
    # A phone number gets no mail: the Office is told to reply by phone.
    _move(time_machine, office, dt.datetime(2026, 11, 30, 9, tzinfo=CST))
    by_phone = services.file_objection(
        proposal=proposal, name="王五", identity="市民", contact="13900000000", content="异议"
    )
    answered = office.post(
        _url("objection", by_phone.receipt),
        {"outcome": "dismissed", "findings": "无依据", "reply": "异议不成立"},
    )
    assert "请按其联系方式（13900000000）答复" in _messages(answered)
    assert len(mailoutbox) == 1


@pytest.mark.req("A20.1", "A20.2", "A21.1", "A25.1")
def test_the_notice_closes_after_its_end_and_the_announcement_issues_certificates(
    decided: Decided, personas: dict[str, User | None], time_machine: Any
) -> None:
    office = client_for(personas["office"])
    _in_notice(decided, office, time_machine)
    _move(time_machine, office, dt.datetime(2026, 12, 1, 17, tzinfo=CST))
    early = office.post(_url("close", decided.cycle.pk))
    assert "公示期至2026年12月1日，期满后方可结束公示" in _messages(early)
    _move(time_machine, office, dt.datetime(2026, 12, 2, 9, tzinfo=CST))
    closed = office.post(_url("close", decided.cycle.pk))
    assert "公示已结束" in _messages(closed)
    board = office.get(_board(decided)).content.decode()
    assert "记录公告并生成证书" in board
    missing = office.post(_url("announce", decided.cycle.pk), {"announced_on": "2026-12-02"})
    assert missing.status_code == 400
    assert "这个字段是必填项" in missing.content.decode()
    announced = office.post(
        _url("announce", decided.cycle.pk),
        {"announced_on": "2026-12-02", "document_number": "皋政发〔2026〕120号"},
    )
    assert "已记录公告：4个获奖者" in _messages(announced)
    board = office.get(_board(decided)).content.decode()
    assert "皋政发〔2026〕120号" in board
    for certificate in Certificate.objects.all():
        assert certificate.number in board
        assert _url("certificate_pdf", certificate.number) in board
        assert reverse("decision:verified", args=[certificate.number]) in board
    assert "200,000元" in board
    assert "不发奖金" in board  # the individual
    pdf = office.get(_url("certificate_pdf", Certificate.objects.first().number))  # type: ignore[union-attr]
    assert pdf.content.startswith(b"%PDF")


@pytest.mark.req("A21.1")
def test_the_ledger_quotes_article_21_in_the_policys_numbers(
    decided: Decided, personas: dict[str, User | None]
) -> None:
    office = client_for(personas["office"])
    page = office.get(_url("ledger")).content.decode()
    assert "首次获得市长质量奖的组织奖励20万元、首次获得提名奖的10万元；个人、再次获奖者" in page
    decided.cycle.policy.__class__.objects.filter(pk=decided.cycle.policy.pk).update(
        bonus_organization_award=300_000,
        bonus_organization_nomination=125_000,
        bonus_individual_award=50_000,
    )
    page = office.get(_url("ledger")).content.decode()
    assert "组织奖励30万元、首次获得提名奖的12.5万元、获奖个人奖励5万元；再次获奖者" in page
    assert "20万元" not in page


@pytest.mark.req("A21.1", "A22.1")
def test_the_ledger_records_payments_and_exports_excel(
    decided: Decided, personas: dict[str, User | None], time_machine: Any
) -> None:
    office = client_for(personas["office"])
    _announced(decided, office, time_machine)
    first = AwardRecord.objects.get(application=decided.organizations[0])
    page = office.get(_url("ledger")).content.decode()
    assert "应发合计" in page
    assert "500,000元" in page  # 200,000 + 200,000 + 100,000; the individual nothing
    assert "首次获奖" in page
    no_voucher = office.post(
        _url("bonus", first.pk), {"kind": "payment", "amount": "200000", "on": "2026-12-02"}
    )
    assert no_voucher.status_code == 400
    assert "请填写凭证号" in no_voucher.content.decode()
    too_much = office.post(
        _url("bonus", first.pk),
        {"kind": "payment", "amount": "250000", "on": "2026-12-02", "voucher": "PZ-1"},
    )
    assert "拨付金额250,000元超过应发未发的200,000元" in too_much.content.decode()
    paid = office.post(
        _url("bonus", first.pk),
        {"kind": "payment", "amount": "200000", "on": "2026-12-02", "voucher": "财拨〔2026〕31号"},
    )
    assert paid.status_code == 302
    assert "已拨付200,000元" in _messages(paid)
    assert AuditEvent.objects.filter(action="decision.bonus.record").count() == 1
    page = office.get(_url("ledger")).content.decode()
    assert "财拨〔2026〕31号" in page
    assert "300,000元" in page  # still to pay
    workbook = openpyxl.load_workbook(io.BytesIO(office.get(_url("ledger_xlsx")).content))
    rows = list(workbook.active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert str(rows[0][0]).startswith("市长质量奖奖金台账")  # the title row
    assert rows[1][:6] == ("获奖年度", "获奖者", "奖项", "首次或再次获奖", "类型", "金额（元）")
    entries = [r for r in rows[2:] if r[0] == 2026]
    assert len(entries) == BonusEntry.objects.count() == 4  # three due, one payment
    assert ("已拨付", 200000) in {(r[4], r[5]) for r in entries}
    summary = {r[4]: r[5] for r in rows if r[0] == "合计"}
    assert summary == {"应发": 500000, "已拨付": 200000, "追回": 0, "应发未发": 300000}


# --- query counts ------------------------------------------------------------------------------


def _more_winners(d: Decided, n: int) -> None:
    """`n` more evaluated organizations that won in 2022: re-winners, outside the quota."""
    unit = RecommendingUnit.objects.get(name="如城街道")
    for k in range(n):
        org = Organization.objects.create(
            uscc=f"91320682MA1QRY{k:03d}X", name=f"如皋再获奖{k}号有限公司", recommending_unit=unit
        )
        application = Application.objects.create(
            cycle=d.cycle,
            kind="organization",
            organization=org,
            recommending_unit=unit,
            state=State.EVALUATED,
            created_by=d.office,
        )
        Evaluation.objects.create(
            application=application,
            material_score=Decimal("610.00"),
            site_score=Decimal("610.00"),
            material_weight=30,
            site_weight=70,
            final_score=Decimal("610.00"),
            rank=6 + k,
            evaluated_by=d.office,
            evaluated_at=dt.datetime(2026, 9, 15, tzinfo=CST),
        )
        AwardRecord.objects.create(
            organization=org,
            year=2022,
            level="award",
            announced_on=dt.date(2022, 12, 20),
            document_number="皋政发〔2022〕99号",
            created_by=d.office,
        )


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.req("A20.2", "A22.1")
@pytest.mark.parametrize("extra", [0, 6])
def test_board_and_ledger_queries_do_not_grow_with_rows(
    decided: Decided,
    personas: dict[str, User | None],
    time_machine: Any,
    extra: int,
    django_assert_max_num_queries: Any,
) -> None:
    _more_winners(decided, extra)
    office = client_for(personas["office"])
    o, i = decided.organizations, decided.individuals
    chosen = [(o[0], "award"), (o[1], "award"), (i[0], "award")]
    chosen += [
        (a, "award")
        for a in Application.objects.filter(organization__name__startswith="如皋再获奖")
    ]
    assert (
        office.post(_url("proposal", decided.cycle.pk), _levels(decided, *chosen)).status_code
        == 302
    )
    draft = _url("proposal", decided.cycle.pk)
    # measured: 14 at 0 and 6 more rows (the stage dates, for the workflow table's windows; the
    # session's TOTP device, accounts.two_factor)
    with django_assert_max_num_queries(14):
        assert office.get(draft).status_code == 200
    _approved_rest(decided, office, time_machine, objections=1 + extra)
    # measured: 17 at both sizes (approvals with files; the stage dates for the table's windows;
    # the session's TOTP device)
    with django_assert_max_num_queries(17):
        assert office.get(_board(decided)).status_code == 200
    # measured: 13 at both sizes (2 for the Measures in force, whose article 21 the page quotes)
    with django_assert_max_num_queries(13):
        assert office.get(_url("ledger")).status_code == 200
    assert AwardRecord.objects.count() == 3 + 2 * extra


def _approved_rest(d: Decided, office: Client, time_machine: Any, objections: int) -> None:
    """From a saved draft to the announcement, with `objections` dismissed objections."""
    committee = {"body": "committee", "decided_on": "2026-11-06", "reference": "第3次全体会议"}
    assert office.post(_url("approval", d.cycle.pk), committee).status_code == 302
    government = {"body": "government", "decided_on": "2026-11-09", "reference": "皋政复88号"}
    assert office.post(_url("approval", d.cycle.pk), government).status_code == 302
    _move(time_machine, office, dt.datetime(2026, 11, 25, 9, tzinfo=CST))
    office.post(_url("notice", d.cycle.pk), {"starts_on": "2026-11-25"})
    proposal = Proposal.objects.get(cycle=d.cycle)
    entries = list(proposal.entries.all())
    for n in range(objections):
        filed = services.file_objection(
            proposal=proposal,
            entry=entries[n % len(entries)],
            name=f"异议人{n}",
            identity="市民",
            contact=f"p{n}@example.com",
            content="异议",
        )
        services.decide_objection(
            actor=d.office,
            objection=filed,
            outcome="dismissed",
            findings="查无实据",
            reply="不成立",
        )
    _move(time_machine, office, dt.datetime(2026, 12, 2, 9, tzinfo=CST))
    office.post(_url("close", d.cycle.pk))
    announcement = {"announced_on": "2026-12-02", "document_number": "皋政发〔2026〕120号"}
    assert office.post(_url("announce", d.cycle.pk), announcement).status_code == 302


@pytest.mark.req("A19.1", "A6.1")
def test_the_committees_minutes_are_attached_typed_and_readable(
    decided: Decided, personas: dict[str, User]
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(decided.office)
    assert client.post(_url("proposal", decided.cycle.pk), _draft(decided)).status_code == 302
    committee = {
        "body": "committee",
        "decided_on": "2026-11-06",
        "reference": "质量发展委员会2026年第3次全体会议",
    }
    fake = SimpleUploadedFile("会议纪要.pdf", b"MZ\x90\x00" + b"\x00" * 64)
    refused = client.post(_url("approval", decided.cycle.pk), committee | {"attachments": [fake]})
    assert refused.status_code == 400
    assert "不能上传" in refused.content.decode()
    assert not decided.cycle.proposal.approvals.exists()  # nothing half-recorded
    minutes = SimpleUploadedFile(
        "会议纪要.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    )
    done = client.post(_url("approval", decided.cycle.pk), committee | {"attachments": [minutes]})
    assert done.status_code == 302
    approval = decided.cycle.proposal.approvals.get()
    attachment = approval.attachments.get()
    assert (attachment.original_name, attachment.content_type) == (
        "会议纪要.pdf",
        "application/pdf",
    )
    board = client.get(_board(decided)).content.decode()
    link = _url("approval_attachment", attachment.pk)
    assert link in board
    download = client_for(personas["supervisor"]).get(link)
    assert download.status_code == 200
    assert download.getvalue().startswith(b"%PDF")
    assert client_for(personas["applicant"]).get(link).status_code == 403
    event = AuditEvent.objects.get(action="decision.approval.record")
    assert (event.after or {})["attachments"] == ["会议纪要.pdf"]


def test_the_boards_irreversible_forms_ask_before_submitting(
    decided: Decided, personas: dict[str, User | None], time_machine: Any
) -> None:
    """static/app/app.js asks on the submit event of a <form data-confirm>: the attribute on
    the submit button was never read, so the approvals, the notice and the announcement went
    through without the question (found by the whole-year scenario)."""
    office = client_for(personas["office"])

    def asks(question: str) -> None:
        html = office.get(_board(decided)).content.decode()
        forms = re.findall(r"<form [^>]*>", html)
        assert any(f'data-confirm="{question}"' in f for f in forms), forms
        assert not re.search(r"<button [^>]*data-confirm=", html)

    office.post(_url("proposal", decided.cycle.pk), _draft(decided))
    asks("记录后拟奖名单不能再修改，确定吗？")  # the committee's 审定
    _approved(decided, office)
    asks("发布后公众即可查看名单并提出异议，确定发布吗？")
    _move(time_machine, office, dt.datetime(2026, 11, 25, 9, tzinfo=CST))
    office.post(_url("notice", decided.cycle.pk), {"starts_on": NOTICE_START.isoformat()})
    _move(time_machine, office, dt.datetime(2026, 12, 2, 9, tzinfo=CST))
    office.post(_url("close", decided.cycle.pk))
    asks("公告后获奖名单即为最终结果并公开，确定吗？")


@pytest.mark.req("A20.2")
def test_the_offices_workbench_counts_the_objections_to_answer(
    decided: Decided, personas: dict[str, User | None], time_machine: Any
) -> None:
    """The public objects without an account: the Office learns of it on its workbench, which
    links to the board's objections (before, only by opening the board; found by the
    whole-year scenario)."""
    office = client_for(personas["office"])
    proposal = _in_notice(decided, office, time_machine)
    services.file_objection(
        proposal=proposal,
        name="李四",
        identity="如皋市民",
        contact="lisi@example.com",
        content="对整个名单有异议。",
    )
    dashboard = reverse("accounts:dashboard")
    todos = office.get(dashboard).context["todos"]
    link = _board(decided) + "#objections"
    assert ("待核查答复的异议", 1, link) in todos
    objection = Objection.objects.get()
    services.decide_objection(
        actor=decided.office,
        objection=objection,
        outcome="dismissed",
        findings="查无实据。",
        reply="异议不成立。",
    )
    assert ("待核查答复的异议", 0, _url("board")) in office.get(dashboard).context["todos"]
    readers = client_for(personas["supervisor"]).get(dashboard).context["todos"]
    assert not [t for t in readers if t[0] == "待核查答复的异议"]


@pytest.mark.req("A20.2", "A27.1")
def test_committee_members_do_not_see_the_receipt_numbers(
    decided: Decided, personas: dict[str, User | None], time_machine: Any
) -> None:
    """A receipt number opens the public receipt page, which names the objector: on the board
    only the Office and the supervisors, who may read objectors' details, see it (before, the
    committee members' read-only board showed it; found by the whole-year scenario)."""
    office = client_for(personas["office"])
    proposal = _in_notice(decided, office, time_machine)
    objection = services.file_objection(
        proposal=proposal,
        name="李四",
        identity="如皋市民",
        contact="lisi@example.com",
        content="对整个名单有异议。",
    )
    for reader in ("office", "supervisor"):
        board = client_for(personas[reader]).get(_board(decided)).content.decode()
        assert objection.receipt in board
    board = client_for(personas["committee"]).get(_board(decided)).content.decode()
    assert "异议（1件，1件待核查）" in board
    assert objection.receipt not in board
    assert "不公开" in board
