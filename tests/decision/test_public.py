"""The public pages of 公示 and 批准 (A20.1, A20.2, A24.1, A25.1): notices, objections through
the form, receipts, the winners' archive and certificate verification, all without a login,
and a crawl proving nothing personal is reachable from the home page."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import Individual, Organization
from audit.models import AuditEvent
from decision import services
from decision.models import Certificate, Entry, Objection, Proposal
from decision.public import TOKENS, _claim_key
from intake.models import AwardRecord
from lib.certificates import new_number
from programs.models import Cycle
from tests.conftest import client_for
from tests.decision.conftest import CST, NOTICE_START, Decided, announced, approved, in_notice

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00" + b"\x00" * 64
IN_NOTICE = dt.datetime(2026, 11, 26, 10, tzinfo=CST)  # the notice's second day
AFTER_NOTICE = dt.datetime(2026, 12, 2, 9, tzinfo=CST)
ANNOUNCED_ON = dt.date(2026, 12, 10)


def _approved(d: Decided) -> Proposal:
    return approved(d)  # type: ignore[no-any-return]


def _in_notice(d: Decided, time_machine: Any) -> Proposal:
    proposal = in_notice(d, time_machine)
    time_machine.move_to(IN_NOTICE, tick=False)
    return proposal  # type: ignore[no-any-return]


def _announced(d: Decided, time_machine: Any) -> list[AwardRecord]:
    return announced(d, time_machine)


def _form(client: Client, year: int = 2026) -> str:
    """Open the objection form as a visitor does; the form's one-time token."""
    page = client.get(reverse("decision:object_to", args=[year]))
    assert page.status_code == 200
    match = re.search(r'name="token" value="([^"]+)"', page.content.decode())
    assert match is not None
    return match.group(1)


def _objection(token: str, **over: Any) -> dict[str, Any]:
    return {
        "token": token,
        "name": "张三",
        "identity": "如皋某公司员工",
        "contact": "13912345678",
        "entry": "0",  # the first on the list
        "content": "该公司2025年发生质量事故未如实申报。",
        **over,
    }


def _usccs() -> list[str]:
    return list(Organization.objects.values_list("uscc", flat=True))


def _pdf(name: str = "事故通报.pdf", data: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


# --- notices -----------------------------------------------------------------------------------


@pytest.mark.req("A20.1")
def test_notices_lists_published_notices_with_their_status(
    decided: Decided, time_machine: Any
) -> None:
    anon = Client()
    proposal = _approved(decided)
    assert "暂无公示" in anon.get(reverse("decision:notices")).content.decode()
    # Approved but not published: the public does not learn of the list.
    assert anon.get(reverse("decision:public_notice", args=[2026])).status_code == 404
    time_machine.move_to(dt.datetime(2026, 11, 20, 9, tzinfo=CST), tick=False)
    services.publish_notice(actor=decided.office, proposal=proposal, starts_on=NOTICE_START)
    html = anon.get(reverse("decision:notices")).content.decode()
    assert "如皋市2026年度市长质量奖拟奖名单公示" in html
    assert "2026年11月25日 至 2026年12月1日" in html
    assert "即将公示" in html
    assert reverse("decision:public_notice", args=[2026]) in html
    time_machine.move_to(IN_NOTICE, tick=False)
    assert "公示中" in anon.get(reverse("decision:notices")).content.decode()
    time_machine.move_to(AFTER_NOTICE, tick=False)
    html = anon.get(reverse("decision:notices")).content.decode()
    assert "已结束" in html
    assert "公示中" not in html
    assert anon.get(reverse("decision:public_notice", args=[2025])).status_code == 404


@pytest.mark.req("A20.1", "A24.1")
def test_the_notice_shows_names_and_levels_only(decided: Decided, time_machine: Any) -> None:
    o, i = decided.organizations, decided.individuals
    AwardRecord.objects.create(  # o[2] won in 2022: a re-winner (A24.1)
        organization=o[2].organization,
        year=2022,
        level="award",
        announced_on=dt.date(2022, 12, 20),
        document_number="皋政发〔2022〕99号",
        created_by=decided.office,
    )
    Organization.objects.filter(name=o[0].applicant_name).update(
        registered_address="如皋市如城街道示例路8号", legal_representative="王建国"
    )
    _in_notice(decided, time_machine)
    response = Client().get(reverse("decision:public_notice", args=[2026]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "如皋市2026年度市长质量奖拟奖名单公示" in html
    assert "2026年11月25日至2026年12月1日，公示期为5个工作日（《办法》第二十条）" in html
    for application in (o[0], o[1], o[2]):
        assert application.applicant_name in html
    assert "周明（如皋某公司）" in html  # an individual with the employer
    assert "组织 · 市长质量奖（2个）" in html
    assert "组织 · 市长质量奖提名奖（1个）" in html
    assert "个人 · 市长质量奖（1个）" in html
    assert html.count("再次获奖，不占名额") == 1
    # Only what was listed: not the applicants left off, nothing personal.
    for application in (o[3], o[4], i[1]):
        assert application.applicant_name not in html
    for uscc in _usccs():
        assert uscc not in html
    for secret in ("320682198001010015", "如城街道示例路8号", "王建国"):
        assert secret not in html
    assert "匿名异议和公示期满后提出的异议，不予受理" in html
    assert "如皋市质量发展委员会办公室（设在市市场监督管理局）" in html
    assert reverse("decision:object_to", args=[2026]) in html


@pytest.mark.req("A20.2")
def test_an_entry_withdrawn_after_an_upheld_objection_leaves_the_notice(
    decided: Decided, time_machine: Any
) -> None:
    proposal = _in_notice(decided, time_machine)
    entry = proposal.entries.get(application=decided.organizations[1])
    objection = services.file_objection(
        proposal=proposal, name="张三", identity="市民", contact="x@example.com", content="虚假宣传"
    )
    objection.entry = entry
    objection.save(update_fields=["entry"])
    url = reverse("decision:public_notice", args=[2026])
    assert decided.organizations[1].applicant_name in Client().get(url).content.decode()
    services.decide_objection(
        actor=decided.office,
        objection=objection,
        outcome="upheld",
        findings="属实",
        reply="已撤出拟奖名单。",
        withdraw=True,
    )
    html = Client().get(url).content.decode()
    assert decided.organizations[1].applicant_name not in html
    assert "组织 · 市长质量奖（1个）" in html
    form = Client().get(reverse("decision:object_to", args=[2026])).content.decode()
    assert decided.organizations[1].applicant_name not in form  # nor among the choices


def test_the_notice_keeps_its_query_count_as_entries_grow(
    decided: Decided, time_machine: Any, django_assert_max_num_queries: Any
) -> None:
    proposal = _in_notice(decided, time_machine)
    Entry.objects.filter(proposal=proposal).exclude(
        application=decided.organizations[0]
    ).delete()  # one entry
    client = Client()
    url = reverse("decision:public_notice", args=[2026])
    client.get(url)
    with django_assert_max_num_queries(4) as one:  # 3: program, notice, entries
        client.get(url)
    o, i = decided.organizations, decided.individuals
    for n, (application, level) in enumerate(
        [(o[1], "award"), (o[2], "nomination"), (o[3], "nomination"), (i[0], "award")], start=1
    ):
        Entry.objects.create(proposal=proposal, application=application, level=level, position=n)
    with django_assert_max_num_queries(len(one.captured_queries)):
        html = client.get(url).content.decode()
    assert all(a.applicant_name in html for a in (o[0], o[1], o[2], o[3]))


def test_the_notices_page_keeps_its_query_count(
    decided: Decided, time_machine: Any, django_assert_max_num_queries: Any
) -> None:
    _in_notice(decided, time_machine)
    client = Client()
    client.get(reverse("decision:notices"))
    with django_assert_max_num_queries(3) as one:  # 2: program, notices
        client.get(reverse("decision:notices"))
    for year in (2023, 2024, 2025):
        cycle = Cycle.objects.create(
            program=decided.cycle.program, year=year, policy=decided.cycle.policy
        )
        Proposal.objects.create(
            cycle=cycle,
            state=Proposal.State.ANNOUNCED,
            notice_starts_on=dt.date(year, 11, 20),
            notice_ends_on=dt.date(year, 11, 26),
            notice_published_at=dt.datetime(year, 11, 20, 9, tzinfo=CST),
        )
    with django_assert_max_num_queries(len(one.captured_queries)):
        html = client.get(reverse("decision:notices")).content.decode()
    assert html.count("年度市长质量奖拟奖名单公示") == 4
    # Newest first.
    assert html.index("2026年度") < html.index("2025年度") < html.index("2023年度")


# --- objections --------------------------------------------------------------------------------


@pytest.mark.req("A20.2")
def test_an_objection_through_the_form_gets_a_receipt(decided: Decided, time_machine: Any) -> None:
    _in_notice(decided, time_machine)
    client = Client()
    token = _form(client)
    response = client.post(
        reverse("decision:object_to", args=[2026]),
        _objection(token, evidence=[_pdf(), _pdf("照片说明.pdf")]),
    )
    objection = Objection.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("decision:receipt", args=[objection.receipt])
    assert (objection.name, objection.identity, objection.contact) == (
        "张三",
        "如皋某公司员工",
        "13912345678",
    )
    assert objection.entry is not None
    assert objection.entry.application == decided.organizations[0]
    assert sorted(objection.evidence.values_list("original_name", flat=True)) == [
        "事故通报.pdf",
        "照片说明.pdf",
    ]
    page = client.get(response["Location"])
    html = page.content.decode()
    assert objection.receipt in html
    assert "异议已提交" in html
    assert "2026年11月26日 10:00" in html
    assert "该公司2025年发生质量事故未如实申报。" in html
    assert decided.organizations[0].applicant_name in html
    assert "已收到2个文件" in html
    assert "核查中" in html
    assert "在公示结束前通过您留下的联系方式答复" in html
    assert "13912345678" not in html  # the contact is never shown
    assert "事故通报.pdf" not in html
    assert page["X-Robots-Tag"] == "noindex, nofollow"


@pytest.mark.req("A20.2")
def test_a_repeated_post_of_the_same_form_files_one_objection(
    decided: Decided, time_machine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _in_notice(decided, time_machine)
    client = Client()
    token = _form(client)
    url = reverse("decision:object_to", args=[2026])
    first = client.post(url, _objection(token, evidence=[_pdf()]))
    again = client.post(url, _objection(token, evidence=[_pdf()]))  # a double click, a retry
    assert Objection.objects.count() == 1
    assert again.status_code == 302
    assert again["Location"] == first["Location"]
    assert "不会重复受理" in client.get(again["Location"]).content.decode()
    # A second request whose session does not know yet (the other half of a double click in
    # flight) finds the receipt through the claim.
    other = Client()
    token2 = _form(other)
    receipt = Objection.objects.get().receipt
    cache.set(_claim_key(token2), receipt, 60)
    response = other.post(url, _objection(token2))
    assert response["Location"] == reverse("decision:receipt", args=[receipt])
    assert Objection.objects.count() == 1
    # The other half of a double click still filing: this one waits for its receipt.
    third = Client()
    token3 = _form(third)
    cache.add(_claim_key(token3), "pending", 60)
    monkeypatch.setattr(
        "decision.public.time.sleep", lambda _: cache.set(_claim_key(token3), receipt, 60)
    )
    response = third.post(url, _objection(token3))
    assert response["Location"] == reverse("decision:receipt", args=[receipt])
    # ... and says so if it never arrives, filing nothing.
    token4 = _form(third)
    cache.add(_claim_key(token4), "pending", 60)
    monkeypatch.setattr("decision.public.time.sleep", lambda _: None)
    response = third.post(url, _objection(token4))
    assert response.status_code == 409
    assert "该表单正在提交" in response.content.decode()
    assert Objection.objects.count() == 1
    # A new form is a new objection.
    client.post(url, _objection(_form(client), content="另一件事。"))
    assert Objection.objects.count() == 2


@pytest.mark.req("A20.2")
def test_an_anonymous_objection_is_refused_with_what_was_typed_kept(
    decided: Decided, time_machine: Any
) -> None:
    _in_notice(decided, time_machine)
    client = Client()
    url = reverse("decision:object_to", args=[2026])
    token = _form(client)
    response = client.post(url, _objection(token, name="", contact=""))
    assert response.status_code == 400
    html = response.content.decode()
    assert "请填写真实姓名（不受理匿名异议）。" in html
    assert "请填写联系方式。" in html
    assert "该公司2025年发生质量事故未如实申报。" in html  # kept
    assert 'value="如皋某公司员工"' in html
    assert f'value="{token}"' in html  # the same form, still good for one objection
    response = client.post(url, _objection(token, name="匿名"))
    assert "本办公室不受理匿名异议" in response.content.decode()
    assert not Objection.objects.exists()
    assert client.post(url, _objection(token)).status_code == 302  # corrected: filed
    assert Objection.objects.count() == 1


@pytest.mark.req("A20.2")
def test_a_bad_file_is_refused_with_the_reason(decided: Decided, time_machine: Any) -> None:
    _in_notice(decided, time_machine)
    client = Client()
    url = reverse("decision:object_to", args=[2026])
    token = _form(client)
    response = client.post(url, _objection(token, evidence=[_pdf("证据.pdf", EXE)]))
    assert response.status_code == 400
    html = response.content.decode()
    assert "文件“证据.pdf”不能上传：这是可执行程序" in html
    assert "该公司2025年发生质量事故未如实申报。" in html
    six = [_pdf(f"证据{n}.pdf") for n in range(6)]
    response = client.post(url, _objection(token, evidence=six))
    assert "证明材料最多5个文件。" in response.content.decode()
    assert not Objection.objects.exists()


@pytest.mark.req("A20.2")
def test_a_late_or_early_objection_shows_why_instead_of_the_form(
    decided: Decided, time_machine: Any
) -> None:
    proposal = _approved(decided)
    time_machine.move_to(dt.datetime(2026, 11, 20, 9, tzinfo=CST), tick=False)
    services.publish_notice(actor=decided.office, proposal=proposal, starts_on=NOTICE_START)
    client = Client()
    url = reverse("decision:object_to", args=[2026])
    html = client.get(url).content.decode()
    assert "公示将于2026年11月25日开始" in html
    assert 'name="content"' not in html
    time_machine.move_to(dt.datetime(2026, 12, 1, 23, 50, tzinfo=CST), tick=False)
    token = _form(client)
    time_machine.move_to(dt.datetime(2026, 12, 2, 0, 5, tzinfo=CST), tick=False)  # too late
    response = client.post(url, _objection(token))
    assert response.status_code == 409
    html = response.content.decode()
    assert "公示期已于2026年12月1日结束，不再受理异议。" in html
    assert 'name="content"' not in html
    assert not Objection.objects.exists()
    time_machine.move_to(AFTER_NOTICE, tick=False)  # days later, the session long gone
    response = client.post(url, _objection(token))
    assert response.status_code == 409
    assert "公示期已于2026年12月1日结束，不再受理异议。" in response.content.decode()
    html = client.get(url).content.decode()
    assert "公示期已于2026年12月1日结束，不再受理异议。" in html
    assert (
        "公示期已结束"
        in client.get(reverse("decision:public_notice", args=[2026])).content.decode()
    )


def test_a_form_from_elsewhere_or_an_expired_session_is_not_filed(
    decided: Decided, time_machine: Any
) -> None:
    _in_notice(decided, time_machine)
    client = Client()
    url = reverse("decision:object_to", args=[2026])
    response = client.post(url, _objection("forged-token"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "页面停留时间过长或已失效" in html
    assert "该公司2025年发生质量事故未如实申报。" in html  # kept to send again
    assert not Objection.objects.exists()
    token = re.search(r'name="token" value="([^"]+)"', html)
    assert token is not None
    assert token.group(1) in client.session[TOKENS]
    assert client.post(url, _objection(token.group(1))).status_code == 302


def test_csrf_is_required_on_the_objection_form(decided: Decided, time_machine: Any) -> None:
    _in_notice(decided, time_machine)
    client = Client(enforce_csrf_checks=True)
    token = _form(client)
    response = client.post(reverse("decision:object_to", args=[2026]), _objection(token))
    assert response.status_code == 403
    assert not Objection.objects.exists()


# --- receipts ----------------------------------------------------------------------------------


@pytest.mark.req("A20.2")
def test_the_receipt_shows_the_outcome_and_reply_once_decided(
    decided: Decided, time_machine: Any
) -> None:
    proposal = _in_notice(decided, time_machine)
    objection = services.file_objection(
        proposal=proposal,
        name="李四",
        identity="市民",
        contact="lisi@example.com",
        content="请核实该公司的获奖材料。",
        evidence=[("材料.pdf", PDF)],
    )
    url = reverse("decision:receipt", args=[objection.receipt])
    html = Client().get(url).content.decode()
    assert "核查中" in html
    assert 'id="outcome"' not in html
    services.decide_objection(
        actor=decided.office,
        objection=objection,
        outcome="dismissed",
        findings="经核查，材料真实（内部核查记录）。",
        reply="经核查，您反映的问题不属实，特此答复。",
    )
    html = Client().get(url.lower()).content.decode()  # as someone types it
    assert objection.receipt in html
    assert "异议不成立" in html
    assert "经核查，您反映的问题不属实，特此答复。" in html
    assert "内部核查记录" not in html  # the findings are the Office's
    assert "lisi@example.com" not in html
    assert Client().get(reverse("decision:receipt", args=["YY2026ABCDEFGHJK"])).status_code == 404


# --- winners -----------------------------------------------------------------------------------


@pytest.mark.req("A20.2", "A25.1")
def test_the_winners_archive_lists_announced_winners_by_year(
    decided: Decided, time_machine: Any, django_assert_max_num_queries: Any
) -> None:
    client = Client()
    assert "尚无公告的获奖名单" in client.get(reverse("decision:winners")).content.decode()
    awards = _announced(decided, time_machine)
    client.get(reverse("decision:winners"))
    with django_assert_max_num_queries(3) as one:  # 2: program, awards
        html = client.get(reverse("decision:winners")).content.decode()
    assert "2026年度" in html
    assert html.count("皋政发〔2026〕120号") == 4
    assert "2026年12月10日" in html
    assert "周明（如皋某公司）" in html
    o = decided.organizations
    assert html.index(o[0].applicant_name) < html.index(o[2].applicant_name)  # award first
    assert o[3].applicant_name not in html
    assert "已撤销" not in html
    # An older year and a revoked award: more rows, the same queries.
    revoked = awards[0]
    AwardRecord.objects.filter(pk=revoked.pk).update(revoked_on=dt.date(2027, 3, 1))
    for application in (o[3], o[4], decided.individuals[1]):
        old = AwardRecord.objects.create(
            application=application,
            organization=application.organization,
            individual=application.individual,
            year=2025,
            level="award",
            announced_on=dt.date(2025, 12, 12),
            document_number="皋政发〔2025〕118号",
            created_by=decided.office,
        )
        Certificate.objects.create(award=old, number=new_number(2025), issued_on=old.announced_on)
    with django_assert_max_num_queries(len(one.captured_queries)):
        html = client.get(reverse("decision:winners")).content.decode()
    assert html.index("2026年度") < html.index("2025年度")
    assert html.count("皋政发〔2025〕118号") == 3
    assert "已撤销" in html
    assert "2027年3月1日撤销" in html
    for uscc in _usccs():
        assert uscc not in html


# --- verification ------------------------------------------------------------------------------


@pytest.mark.req("A25.1")
def test_a_valid_certificate_verifies(decided: Decided, time_machine: Any) -> None:
    awards = _announced(decided, time_machine)
    number = awards[0].certificate.number
    client = Client()
    assert client.get(reverse("decision:verify")).status_code == 200
    typed = client.get(reverse("decision:verify"), {"number": number.lower().replace("-", " ")})
    assert typed.status_code == 302
    assert typed["Location"] == reverse("decision:verified", args=[number])
    response = client.get(typed["Location"])
    assert response.status_code == 200
    html = response.content.decode()
    assert "有效" in html
    assert "已撤销" not in html
    assert decided.organizations[0].applicant_name in html
    assert "市长质量奖" in html
    assert "2026年度" in html
    assert "2026年12月10日" in html  # issued
    assert "获奖组织在产品或包装上使用获奖标志的，须标注获奖年度（《办法》第二十五条）" in html
    assert not any(uscc in html for uscc in _usccs())
    # A lower-case link lands on the printed form.
    lower = client.get(reverse("decision:verified", args=[number.lower()]))
    assert lower["Location"] == reverse("decision:verified", args=[number])


@pytest.mark.req("A25.1")
def test_a_revoked_certificate_says_so(decided: Decided, time_machine: Any) -> None:
    awards = _announced(decided, time_machine)
    award = awards[0]
    AwardRecord.objects.filter(pk=award.pk).update(revoked_on=dt.date(2027, 5, 6))
    Certificate.objects.filter(award=award).update(
        revoked_reason="经查实申报材料弄虚作假（《办法》第二十九条）。"
    )
    html = (
        Client().get(reverse("decision:verified", args=[award.certificate.number])).content.decode()
    )
    assert "已撤销" in html
    assert "该证书所载奖项已于2027年5月6日撤销" in html
    assert "经查实申报材料弄虚作假（《办法》第二十九条）。" in html
    assert "真实有效" not in html


@pytest.mark.req("A25.1")
@pytest.mark.parametrize("how", ["forged", "unknown", "malformed"])
def test_a_forged_or_unknown_number_is_not_found(
    decided: Decided, time_machine: Any, how: str
) -> None:
    awards = _announced(decided, time_machine)
    real = awards[0].certificate.number
    number = {
        "forged": real[:-1] + ("0" if real[-1] != "0" else "1"),  # the check character fails
        "unknown": new_number(2026),  # well formed, never issued
        "malformed": "RG2026-FAKE",
    }[how]
    response = Client().get(reverse("decision:verified", args=[number]))
    assert response.status_code == 404
    html = response.content.decode()
    assert "未找到该证书" in html
    assert "请核对编号" in html
    assert 'name="number"' in html  # try again from here
    assert decided.organizations[0].applicant_name not in html


def test_the_verify_form_asks_for_a_number(db: None, program: Any) -> None:
    client = Client()
    response = client.get(reverse("decision:verify"), {"number": "  "})
    assert response.status_code == 200
    assert "请输入证书编号。" in response.content.decode()
    odd = client.get(reverse("decision:verify"), {"number": "abc/../x?y"})
    assert odd["Location"] == reverse("decision:verified", args=["abc..xy"])
    assert client.get(odd["Location"]).status_code == 404


# --- nothing personal anywhere public (A20.1) ---------------------------------------------------

ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
SKIP = ("/static/", "/media/", "/admin/", "/api/")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs += [v for k, v in attrs if k == "href" and v]


def _crawl(client: Client, seeds: list[str]) -> dict[str, str]:
    """Every same-site page reachable by links from `seeds` without logging in."""
    pages: dict[str, str] = {}
    queue = list(seeds)
    while queue and len(pages) < 300:
        url = queue.pop(0)
        if url in pages:
            continue
        response = client.get(url)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        if response.streaming or not response["Content-Type"].startswith("text/html"):
            continue  # a file (the manual's figures): no links to follow
        html = response.content.decode()
        pages[url] = html
        parser = _Links()
        parser.feed(html)
        for href in parser.hrefs:
            target = urlsplit(urljoin(url, href))
            if target.scheme not in ("", "http") or target.netloc not in ("", "testserver"):
                continue
            path = target.path + (f"?{target.query}" if target.query else "")
            if not path.startswith(SKIP) and path not in pages:
                queue.append(path)
    return pages


def _assert_nothing_personal(pages: dict[str, str], secrets: list[str]) -> None:
    for url, html in pages.items():
        assert not ID_NUMBER.search(html), f"{url}: {ID_NUMBER.search(html)}"
        assert not MOBILE.search(html), f"{url}: {MOBILE.search(html)}"
        for secret in secrets:
            assert secret not in html, f"{url}: {secret}"


@pytest.mark.req("A20.1")
def test_no_public_page_shows_an_id_a_phone_or_a_uscc(
    decided: Decided, time_machine: Any, personas: dict[str, Any]
) -> None:
    proposal = _in_notice(decided, time_machine)
    services.file_objection(
        proposal=proposal,
        name="王五",
        identity="320682199001010012",  # someone typed an ID number where it does not belong
        contact="13800001111",
        content="联系我：13800001111",
    )
    secrets = _usccs()
    secrets += list(Individual.objects.values_list("id_number", flat=True))
    client = client_for(None)
    pages = _crawl(client, [reverse("programs:home")])
    assert {
        reverse("decision:notices"),
        reverse("decision:public_notice", args=[2026]),
        reverse("decision:object_to", args=[2026]),
        reverse("decision:winners"),
        reverse("decision:verify"),
    } <= set(pages)
    _assert_nothing_personal(pages, secrets)
    # After the announcement, with the certificates' pages the QR codes open.
    time_machine.move_to(dt.datetime(2026, 12, 10, 9, tzinfo=CST), tick=False)
    services.decide_objection(
        actor=decided.office,
        objection=Objection.objects.get(),
        outcome="dismissed",
        findings="不属实",
        reply="不属实。",
    )
    services.close_notice(actor=decided.office, proposal=proposal)
    awards = services.announce(
        actor=decided.office,
        proposal=proposal,
        announced_on=ANNOUNCED_ON,
        document_number="皋政发〔2026〕120号",
    )
    seeds = [reverse("programs:home")]
    seeds += [reverse("decision:verified", args=[a.certificate.number]) for a in awards]
    pages = _crawl(client_for(None), seeds)
    assert len(pages) > 10
    assert "周明（如皋某公司）" in pages[reverse("decision:winners")]
    _assert_nothing_personal(pages, secrets)


@pytest.mark.req("A20.2")
def test_a_signed_in_visitor_objects_the_same_way(
    decided: Decided, time_machine: Any, personas: dict[str, Any]
) -> None:
    url = reverse("decision:object_to", args=[2026])
    assert Client().get(url).status_code == 404  # no notice published yet
    _in_notice(decided, time_machine)
    applicant = personas["applicant"]
    client = client_for(applicant)
    assert client.get(reverse("decision:public_notice", args=[2026])).status_code == 200
    response = client.post(url, _objection(_form(client)))
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="decision.objection.file")
    assert event.actor_id == applicant.pk  # who was signed in is on record
    assert "13912345678" not in str(event.after)
