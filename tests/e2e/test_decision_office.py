"""The Office's decision pages in Chromium: it drafts the list (refused over quota first),
records the committee's and the government's approvals, publishes the notice with its computed
end, decides an objection (filed through the service while time passes), closes the notice,
announces, records a bonus payment and opens a certificate's verification link. Screenshots of
each step at desktop and phone widths (A5.2, A6.1, A19.1, A20.1, A20.2, A21.1, A22.1, A25.1)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.decision.conftest import COMMITTEE_DAY, CST, Decided, decided
from tests.e2e.conftest import sign_in
from tests.intake.conftest import in_window, open_cycle

__all__ = ["decided", "in_window", "open_cycle"]  # fixtures used through `decided`


def _later(page: Page, base: str, time_machine: Any, when: dt.datetime, username: str) -> None:
    """Days pass (the clock keeps running for the browser) and the Office signs in again."""
    time_machine.move_to(when)
    sign_in(page, base, username, PASSWORD)
    page.goto(f"{base}/decision/")


@pytest.mark.e2e
@pytest.mark.req("A5.2", "A6.1", "A19.1", "A20.1", "A20.2", "A21.1", "A22.1", "A25.1")
def test_the_office_takes_the_list_from_draft_to_certificates(
    decided: Decided,
    transactional_db: None,
    live_server: Any,
    e2e_page: Page,
    screenshot: Callable[[Page, str], None],
    time_machine: Any,
    mailoutbox: list[Any],
) -> None:
    from decision import services
    from decision.models import Certificate, Proposal

    time_machine.move_to(COMMITTEE_DAY)  # the clock runs: the browser waits on real time
    page, base = e2e_page, live_server.url
    page.on("dialog", lambda dialog: dialog.accept())
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    username = decided.office.username
    o, i = decided.organizations, decided.individuals
    sign_in(page, base, username, PASSWORD)

    # 1. The board before anything: the stepper at 拟定.
    page.goto(f"{base}/decision/")
    expect(page.get_by_role("heading", name="审定、公示与公告 · 2026年度")).to_be_visible()
    expect(page.locator(".qa-stepper [aria-current=step]")).to_contain_text("拟定")
    screenshot(page, "decision-board-start")

    # 2. The draft: three organization awards go over the quota, live and on saving.
    page.get_by_role("link", name="拟定拟奖名单").click()
    for application in (o[0], o[1], o[2]):
        page.select_option(f"#level-{application.pk}", "award")
    page.select_option(f"#level-{i[0].pk}", "award")
    quota = page.locator("[data-quota=organization_award]")
    expect(quota).to_contain_text("3 / 2")
    expect(quota).to_have_class("qa-quota qa-over")
    page.get_by_role("button", name="保存拟奖名单").click()
    expect(page.locator("#proposal-errors")).to_contain_text("组织市长质量奖拟奖3个，超过名额2个")
    expect(page.locator(f"#level-{o[2].pk}")).to_have_value("award")  # the choices are kept
    screenshot(page, "decision-proposal-refused")
    assert [e for e in console_errors if "400" not in e] == []  # the refusal's page is a 400
    console_errors.clear()
    page.select_option(f"#level-{o[2].pk}", "nomination")
    expect(quota).to_contain_text("2 / 2")
    page.get_by_role("button", name="保存拟奖名单").click()
    expect(page.locator(".alert-success")).to_contain_text("拟奖名单已保存：4个对象")

    # 3. The committee's 审定, then the government's approval.
    page.fill("#id_decided_on", "2026-11-06")
    page.fill("#id_reference", "质量发展委员会2026年第3次全体会议")
    page.fill("#id_attendees", "主任、副主任及委员11人")
    page.fill("#id_resolution", "同意拟奖建议名单，报市政府批准。")
    page.get_by_role("button", name="记录委员会审定").click()
    expect(page.locator(".alert-success")).to_contain_text("已记录质量发展委员会审定")
    page.fill("#id_decided_on", "2026-11-09")
    page.fill("#id_reference", "皋政复〔2026〕88号")
    page.get_by_role("button", name="记录市政府批准").click()
    expect(page.locator("#approvals")).to_contain_text("皋政复〔2026〕88号")
    expect(page.locator("#approvals")).to_contain_text("主任、副主任及委员11人")
    screenshot(page, "decision-board-approved")

    # 4. The notice: its end computed before publishing, over a weekend.
    _later(page, base, time_machine, dt.datetime(2026, 11, 25, 9, tzinfo=CST), username)
    expect(page.locator("#notice-end")).to_contain_text("2026年11月25日至2026年12月1日")
    page.fill("#id_starts_on", "2026-11-26")
    page.locator("#id_starts_on").dispatch_event("change")
    expect(page.locator("#notice-end")).to_contain_text("2026年11月26日至2026年12月2日")
    screenshot(page, "decision-board-notice-form")
    page.fill("#id_starts_on", "2026-11-25")
    page.get_by_role("button", name="计算结束日期").click()
    expect(page.locator("#notice-end")).to_contain_text("2026年11月25日至2026年12月1日")
    page.get_by_role("button", name="发布公示").click()
    expect(page.locator(".alert-success")).to_contain_text(
        "已发布公示：2026年11月25日至2026年12月1日"
    )
    expect(page.locator(".qa-stepper [aria-current=step]")).to_contain_text("公示")

    # 5. Two days later someone objects (the public form is another page's test).
    time_machine.move_to(dt.datetime(2026, 11, 27, 10, tzinfo=CST))
    proposal = Proposal.objects.get(cycle=decided.cycle)
    objection = services.file_objection(
        proposal=proposal,
        entry=proposal.entries.get(application=o[2]),
        name="李四",
        identity="如皋某公司员工",
        contact="lisi@example.com",
        content="该公司2025年发生质量事故，不应获得提名奖。",
    )
    sign_in(page, base, username, PASSWORD)
    page.goto(f"{base}/decision/")
    expect(page.locator("#objections")).to_contain_text("1件待核查")
    screenshot(page, "decision-board-objection")
    page.get_by_role("link", name=objection.receipt).click()
    expect(page.get_by_text("该公司2025年发生质量事故")).to_be_visible()
    page.select_option("#id_outcome", "dismissed")
    page.fill("#id_findings", "经向应急管理部门核实，该公司2025年未发生质量事故。")
    page.fill("#id_reply", "经核查，您反映的情况不属实，异议不成立。感谢您的监督。")
    screenshot(page, "decision-objection")
    page.get_by_role("button", name="保存核查结论并答复").click()
    expect(page.locator(".alert-success")).to_contain_text("答复已发送至lisi@example.com")
    assert len(mailoutbox) == 1
    assert "异议不成立" in mailoutbox[0].body

    # 6. After the notice's end: close it, then the announcement.
    _later(page, base, time_machine, dt.datetime(2026, 12, 2, 9, tzinfo=CST), username)
    page.get_by_role("button", name="结束公示").click()
    expect(page.locator(".alert-success")).to_contain_text("公示已结束")
    page.fill("#id_document_number", "皋政发〔2026〕120号")
    page.get_by_role("button", name="记录公告并生成证书").click()
    expect(page.locator(".alert-success")).to_contain_text("已记录公告：4个获奖者")
    winners = page.locator(".qa-decision-winners")
    for application in (o[0], o[1], o[2], i[0]):
        expect(winners).to_contain_text(application.applicant_name)
    expect(page.locator(".qa-stepper [aria-current=step]")).to_have_count(0)
    screenshot(page, "decision-board-announced")
    number = Certificate.objects.get(award__application=o[0]).number
    pdf = page.context.request.get(f"{base}/decision/certificates/{number}.pdf")
    assert pdf.ok
    assert pdf.body().startswith(b"%PDF")

    # 7. The ledger: a payment with its voucher.
    page.goto(f"{base}/decision/ledger/")
    expect(page.locator(".qa-ledger-totals")).to_contain_text("500,000元")
    row = page.locator(f"#award-{Certificate.objects.get(number=number).award_id} + tr")
    row.locator("summary").click()
    row.locator("input[name=amount]").fill("200000")
    row.locator("input[name=voucher]").fill("财拨〔2026〕31号")
    row.get_by_role("button", name="登记").click()
    expect(page.locator(".alert-success")).to_contain_text("已拨付200,000元")
    expect(page.locator(".qa-ledger-totals")).to_contain_text("300,000元")
    screenshot(page, "decision-ledger")

    # 8. A certificate's verification link, as its QR code leads to it.
    page.goto(f"{base}/decision/")
    page.locator(".qa-decision-winners tbody tr").first.get_by_role("link", name="核验页面").click()
    expect(page.get_by_text(o[0].applicant_name).first).to_be_visible()
    screenshot(page, "decision-verified")
    assert console_errors == []
