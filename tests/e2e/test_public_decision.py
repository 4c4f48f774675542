"""The public side of 公示 and 批准 in Chromium, as an anonymous visitor on a phone: read the
notice from the home page, object with a PDF (a refused attempt first), read the receipt; after
the Office has answered and the government announced, open a certificate's verification link
(the QR code's address). Screenshots at desktop and phone widths (A20.1, A20.2, A25.1)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.decision.conftest import CST, NOTICE_START, Decided, decided
from tests.e2e.conftest import PHONE
from tests.intake.conftest import in_window, open_cycle

__all__ = ["decided", "in_window", "open_cycle"]  # fixtures

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def phone(chromium_browser: Browser) -> Iterator[Page]:
    """A fresh anonymous visitor on a phone (390 px, touch, zh-CN)."""
    context = chromium_browser.new_context(
        viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True, device_scale_factor=2
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield page
    context.close()
    # No CSP violation, no script error (the refused objection's 400 and the unknown
    # certificate's 404 are answers the test asks for).
    assert not [e for e in errors if not e.startswith("Failed to load resource")], errors


def _publish(d: Decided, time_machine: Any) -> Any:
    from decision import services

    o, i = d.organizations, d.individuals
    entries = [(o[0], "award"), (o[1], "award"), (o[2], "nomination"), (i[0], "award")]
    proposal = services.save_proposal(actor=d.office, cycle=d.cycle, entries=entries)
    for body, on, reference in (
        ("committee", dt.date(2026, 11, 6), "质量发展委员会2026年第3次全体会议"),
        ("government", dt.date(2026, 11, 9), "皋政复〔2026〕88号"),
    ):
        services.record_approval(
            actor=d.office, proposal=proposal, body=body, decided_on=on, reference=reference
        )
    time_machine.move_to(dt.datetime(2026, 11, 25, 9, tzinfo=CST), tick=False)
    proposal = services.publish_notice(actor=d.office, proposal=proposal, starts_on=NOTICE_START)
    time_machine.move_to(dt.datetime(2026, 11, 26, 10, tzinfo=CST))  # the clock runs
    return proposal


def _phone_shot(screenshot: Callable[[Page, str], None], page: Page, name: str) -> None:
    screenshot(page, name)
    page.set_viewport_size(PHONE)  # the fixture leaves the desktop size


@pytest.mark.req("A20.1", "A20.2", "A25.1")
def test_a_visitor_on_a_phone_objects_and_verifies_a_certificate(
    live_server: Any,
    phone: Page,
    decided: Decided,
    time_machine: Any,
    screenshot: Callable[[Page, str], None],
) -> None:
    from decision import services
    from decision.models import Objection

    proposal = _publish(decided, time_machine)
    page, base = phone, live_server.url
    o = decided.organizations

    # The notice, from the home page.
    page.goto(f"{base}/")
    _phone_shot(screenshot, page, "public-home-links")
    page.get_by_role("link", name="拟奖名单公示").click()
    expect(page.get_by_role("heading", name="拟奖名单公示")).to_be_visible()
    _phone_shot(screenshot, page, "public-notices")
    page.get_by_role("link", name="如皋市2026年度市长质量奖拟奖名单公示").click()
    expect(page.get_by_role("heading", name="如皋市2026年度市长质量奖拟奖名单公示")).to_be_visible()
    expect(page.locator(".qa-notice-period")).to_contain_text(
        "公示期为5个工作日（《办法》第二十条）"
    )
    names = page.locator("article.qa-public")
    for application in (o[0], o[1], o[2]):
        expect(names).to_contain_text(application.applicant_name)
    expect(names).to_contain_text("周明（如皋某公司）")
    expect(names).not_to_contain_text(o[3].applicant_name)
    _phone_shot(screenshot, page, "public-notice")

    # The objection: refused without a name (what was typed is kept), then filed with a PDF.
    page.get_by_role("link", name="在线提出异议").click()
    expect(page.get_by_role("heading", name="提出异议")).to_be_visible()
    page.get_by_label("身份或工作单位").fill("如皋某公司员工")
    page.get_by_label("联系方式").fill("zhangsan@example.com")
    page.get_by_label("异议针对的拟奖对象").select_option(
        label=f"{o[1].applicant_name}（市长质量奖）"
    )
    page.get_by_label("异议内容").fill("该公司2026年3月因虚假宣传受到行政处罚，未如实申报。")
    page.get_by_role("button", name="提交异议").click()
    expect(page.locator("#name-errors")).to_contain_text("请填写真实姓名（不受理匿名异议）。")
    expect(page.get_by_label("异议内容")).to_have_value(
        "该公司2026年3月因虚假宣传受到行政处罚，未如实申报。"
    )
    _phone_shot(screenshot, page, "public-objection-refused")
    page.get_by_label("真实姓名").fill("张三")
    page.get_by_label("证明材料").set_input_files(
        {"name": "处罚决定书.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name="提交异议").click()

    # The receipt.
    expect(page.get_by_role("heading", name="异议受理回执")).to_be_visible()
    objection = Objection.objects.get()
    expect(page.locator(".qa-pub-receipt-number")).to_have_text(objection.receipt)
    expect(page.locator(".qa-pub-facts")).to_contain_text("已收到1个文件")
    expect(page.locator("main")).not_to_contain_text("zhangsan@example.com")
    _phone_shot(screenshot, page, "public-receipt")
    receipt_url = page.url
    assert objection.evidence.get().original_name == "处罚决定书.pdf"
    assert objection.entry is not None
    assert objection.entry.application == o[1]

    # The Office answers, closes the notice; the government announces.
    time_machine.move_to(dt.datetime(2026, 12, 2, 9, tzinfo=CST))
    services.decide_objection(
        actor=decided.office,
        objection=objection,
        outcome="upheld",
        findings="经核查属实。",
        reply="您反映的情况属实，该公司已撤出拟奖名单。感谢您的监督。",
        withdraw=True,
    )
    services.close_notice(actor=decided.office, proposal=proposal)
    time_machine.move_to(dt.datetime(2026, 12, 10, 9, tzinfo=CST))
    awards = services.announce(
        actor=decided.office,
        proposal=proposal,
        announced_on=dt.date(2026, 12, 10),
        document_number="皋政发〔2026〕120号",
    )
    page.goto(receipt_url)
    expect(page.locator(".qa-pub-outcome")).to_contain_text("异议成立")
    expect(page.locator(".qa-pub-outcome")).to_contain_text("该公司已撤出拟奖名单")
    _phone_shot(screenshot, page, "public-receipt-answered")
    page.get_by_role("link", name="返回公示名单").click()
    expect(page.locator("article.qa-public")).not_to_contain_text(o[1].applicant_name)

    # The certificate's QR code opens its verification page.
    number = awards[0].certificate.number
    page.goto(f"{base}/verify/{number}/")
    expect(page.locator(".qa-verdict-word")).to_have_text("有效")
    facts = page.locator(".qa-verified-facts")
    expect(facts).to_contain_text(o[0].applicant_name)
    expect(facts).to_contain_text("2026年度")
    expect(page.get_by_role("note")).to_contain_text("须标注获奖年度")
    _phone_shot(screenshot, page, "public-verified")
    # Typed by hand, in lower case with spaces, on the verification form.
    page.get_by_role("link", name="查验其他证书").click()
    page.get_by_label("证书编号").fill(number.lower().replace("-", " "))
    page.get_by_role("button", name="查验").click()
    expect(page).to_have_url(f"{base}/verify/{number}/")
    page.goto(f"{base}/verify/")
    _phone_shot(screenshot, page, "public-verify")
    # A forged number: not found, with advice.
    forged = number[:-1] + ("0" if number[-1] != "0" else "1")
    response = page.goto(f"{base}/verify/{forged}/")
    assert response is not None
    assert response.status == 404
    expect(page.locator(".qa-verdict-word")).to_have_text("未找到该证书")
    _phone_shot(screenshot, page, "public-verify-not-found")
    # The winners' archive.
    page.goto(f"{base}/winners/")
    expect(page.get_by_role("heading", name="2026年度")).to_be_visible()
    expect(page.locator(".qa-winners")).to_contain_text("皋政发〔2026〕120号")
    expect(page.locator(".qa-winners")).not_to_contain_text(o[1].applicant_name)
    _phone_shot(screenshot, page, "public-winners")


@pytest.mark.req("A20.2")
def test_an_objection_sent_again_with_back_is_filed_once(
    live_server: Any,
    phone: Page,
    decided: Decided,
    time_machine: Any,
    screenshot: Callable[[Page, str], None],
) -> None:
    """A contact the Office cannot answer is refused on the form; the objection filed, the
    browser's Back and a second 提交异议 show the same receipt, and one objection exists."""
    from decision.models import Objection

    _publish(decided, time_machine)
    page, base = phone, live_server.url
    page.goto(f"{base}/notices/2026/objection/")
    expect(page.get_by_role("heading", name="提出异议")).to_be_visible()

    def fill(contact: str) -> None:
        page.get_by_label("真实姓名").fill("张三")
        page.get_by_label("身份或工作单位").fill("如皋某公司员工")
        page.get_by_label("联系方式").fill(contact)
        page.get_by_label("异议内容").fill("该公司2026年3月因虚假宣传受到行政处罚，未如实申报。")

    fill("abc")
    page.get_by_role("button", name="提交异议").click()
    expect(page.locator("#contact-errors")).to_contain_text(
        "请填写手机号码，或带区号的固定电话（如0513-87654321）"
    )
    _phone_shot(screenshot, page, "public-objection-contact-refused")
    page.get_by_label("联系方式").fill("139 1234 5678")
    page.get_by_role("button", name="提交异议").click()
    expect(page.get_by_role("heading", name="异议受理回执")).to_be_visible()
    first = page.locator(".qa-pub-receipt-number").inner_text()
    expect(page.get_by_role("button", name="打印")).to_be_visible()

    page.go_back()  # the filled form again (from the cache, or a fresh one)
    expect(page.get_by_role("heading", name="提出异议")).to_be_visible()
    if page.get_by_label("异议内容").input_value() == "":
        fill("13912345678")
    page.get_by_role("button", name="提交异议").click()
    expect(page.get_by_role("heading", name="异议受理回执")).to_be_visible()
    expect(page.locator(".qa-pub-receipt-number")).to_have_text(first)
    expect(page.get_by_role("alert")).to_contain_text("不会重复受理")
    _phone_shot(screenshot, page, "public-receipt-again")
    assert Objection.objects.count() == 1
    assert Objection.objects.get().receipt == first
