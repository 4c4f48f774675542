"""Part 3 of the whole year (figures 60-78): from the ranking to the winners, and after.

The review left HENGYUAN and JIANGHAI first and second among organizations (either order), GU
first among individuals, RUNTIAN refused, the clock on 2026-09-15. Then, through the browser:

- 2026-10-21 the Office drafts the list within the quotas of article 5 (two organizations'
  awards, one individual's); 11-06 it records the committee's 审定, 11-10 the government's
  approval (A19.1); a committee member reads the board, read-only.
- 11-25 the Office publishes the notice: five working days, to 12-01 (A20.1). A visitor reads
  it on a phone, objects to JIANGHAI under their real name (11-26) and keeps the receipt; the
  Office finds the objection unfounded and replies (11-27, A20.2).
- 12-02 the notice ends; 12-10 the government's announcement is recorded and certificates are
  made (A20.2, A21.1). A visitor reads the winners and opens the address that HENGYUAN's
  certificate's QR code holds, decoded from the downloaded PDF (SITE_URL is the test server's
  address for this test; A25.1).
- HENGYUAN reads 我的获奖; on 2027-01-20 it reports a violation confirmed on 2026-12-15, 36 days
  late (A23.1). The Office investigates (01-22) and records the committee's revocation (02-05,
  A23.2): the verification page now says 已撤销. None of these pages needs the 2027 working-day
  calendar (the report's deadline counts calendar days), so the clock may run into 2027.
- The supervisor reads the workspace and the audit trail (A27.1); the audit administrator has
  the chain verified on the trail page.

Public pages are checked for personal data: no 身份证 number, mobile number or 统一社会信用代码.
"""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2 as pdfium
import zxingcpp
from playwright.sync_api import Dialog, Page, expect

from tests.e2e.conftest import PHONE

from . import world
from .world import GU, HENGYUAN, JIANGHAI, RUNTIAN, Year

COMMITTEE_MEETING = "质量发展委员会2026年第3次全体会议"
GOVERNMENT_APPROVAL = "皋政复〔2026〕88号"
ANNOUNCEMENT = "皋政发〔2026〕120号"
REVOCATION = "皋质委〔2027〕2号"
OBJECTOR = ("李明", "如皋市民", "liming@year.example")
# What must never appear on a public page: 18-digit 身份证 numbers, mainland mobile numbers,
# and the scenario's 统一社会信用代码 (the only ones a page could know).
ID_NUMBER = re.compile(r"(?<![0-9A-Z])\d{17}[\dX](?![0-9A-Z])")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def _qr_code(pdf: Path) -> str:
    """The text of the one QR code on the PDF's first page, rendered at 200 dpi."""
    document = pdfium.PdfDocument(pdf)
    image = document[0].render(scale=200 / 72, grayscale=True).to_pil().convert("L")
    codes = zxingcpp.read_barcodes(image)
    assert [c.format for c in codes] == [zxingcpp.BarcodeFormat.QRCode]
    return str(codes[0].text)


def _board(page: Page, year: Year) -> None:
    page.goto(f"{year.base}/decision/?cycle={year.cycle_id}")
    expect(page.get_by_role("heading", name="审定、公示与公告 · 2026年度")).to_be_visible()


def _confirmed(page: Page, button: str) -> None:
    """Click `button`, whose form asks for confirmation first, and accept."""
    asked: list[str] = []

    def accept(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.get_by_role("button", name=button).click()
    expect(page.locator(".alert").first).to_be_visible()
    assert asked, f"“{button}” did not ask for confirmation"


def _public(page: Page, year: Year) -> None:
    """An anonymous visitor on a phone."""
    year.visit(page)
    page.set_viewport_size(PHONE)


def _nothing_personal(page: Page) -> None:
    text = page.locator("body").inner_text()
    for found in (ID_NUMBER.search(text), MOBILE.search(text)):
        assert found is None, f"{page.url} shows {found.group()}"
    for secret in (GU.id_number, HENGYUAN.uscc, JIANGHAI.uscc, RUNTIAN.uscc):
        assert secret not in text, f"{page.url} shows {secret}"


# --- the list, its approvals and the notice (A5.2, A19.1, A20.1) --------------------------------


def office_drafts_the_list(page: Page, year: Year) -> None:
    year.at("2026-10-21")
    year.sign_in(page, world.OFFICE)
    _board(page, year)
    expect(page.locator(".qa-stepper [aria-current=step]")).to_contain_text("拟定")
    page.get_by_role("link", name="拟定拟奖名单").click()
    expect(page.get_by_role("heading", name="2026年度拟奖名单")).to_be_visible()
    for applicant in (HENGYUAN, JIANGHAI, GU):
        page.get_by_label(f"{applicant.name}的奖项").select_option("award")
    expect(page.locator("[data-quota=organization_award]")).to_contain_text("2 / 2")
    expect(page.locator("[data-quota=individual_award]")).to_contain_text("1 / 1")
    expect(page.locator(".qa-quota.qa-over")).to_have_count(0)
    year.shot(page, "60-office-proposal")
    page.get_by_role("button", name="保存拟奖名单").click()
    expect(page.locator(".alert-success")).to_contain_text("拟奖名单已保存：3个对象")
    entries = page.locator(".qa-decision-entries")
    for applicant in (HENGYUAN, JIANGHAI, GU):
        expect(entries).to_contain_text(applicant.name)
    expect(entries).not_to_contain_text(RUNTIAN.name)


def office_records_the_approvals(page: Page, year: Year) -> None:
    year.at("2026-11-06", 15)
    year.sign_in(page, world.OFFICE)
    _board(page, year)
    page.fill("#id_decided_on", "2026-11-06")
    page.fill("#id_reference", COMMITTEE_MEETING)
    page.fill("#id_attendees", "主任、副主任及委员11人")
    page.fill("#id_resolution", "同意拟奖建议名单，报市人民政府批准。")
    _confirmed(page, "记录委员会审定")
    expect(page.locator(".alert-success")).to_contain_text("已记录质量发展委员会审定")
    year.at("2026-11-10")
    year.sign_in(page, world.OFFICE)
    _board(page, year)
    page.fill("#id_decided_on", "2026-11-10")
    page.fill("#id_reference", GOVERNMENT_APPROVAL)
    _confirmed(page, "记录市政府批准")
    approvals = page.locator("#approvals")
    expect(approvals).to_contain_text(COMMITTEE_MEETING)
    expect(approvals).to_contain_text(GOVERNMENT_APPROVAL)
    expect(page.locator(".qa-stepper [aria-current=step]")).to_contain_text("公示")
    year.shot(page, "61-office-approvals")


def committee_reads_the_board(page: Page, year: Year) -> None:
    year.sign_in(page, world.COMMITTEE)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="审定与公示").click()
    expect(page.get_by_role("heading", name="审定、公示与公告 · 2026年度")).to_be_visible()
    expect(page.get_by_text("您以只读身份查阅")).to_be_visible()
    entries = page.locator(".qa-decision-entries")
    for applicant in (HENGYUAN, JIANGHAI, GU):
        expect(entries).to_contain_text(applicant.name)
    expect(page.locator("#approvals")).to_contain_text("主任、副主任及委员11人")
    expect(page.locator("#approvals")).to_contain_text(GOVERNMENT_APPROVAL)
    expect(page.locator("main form[method=post]")).to_have_count(0)  # reads, never acts
    expect(page.get_by_role("link", name="综合评价排名与得分")).to_be_visible()
    year.shot(page, "62-committee-board")


def office_publishes_the_notice(page: Page, year: Year) -> None:
    year.at("2026-11-25")
    year.sign_in(page, world.OFFICE)
    _board(page, year)
    expect(page.locator("#notice-end")).to_contain_text("2026年11月25日至2026年12月1日")
    _confirmed(page, "发布公示")
    expect(page.locator(".alert-success")).to_contain_text(
        "已发布公示：2026年11月25日至2026年12月1日"
    )
    expect(page.locator("#notice")).to_contain_text("公示中")
    year.shot(page, "63-office-notice-published")


# --- the public notice and an objection (A20.1, A20.2) ------------------------------------------


def visitor_reads_the_notice(page: Page, year: Year) -> None:
    year.at("2026-11-26", 10)
    _public(page, year)
    page.goto(f"{year.base}/")
    page.get_by_role("link", name="拟奖名单公示").first.click()
    page.get_by_role("link", name="如皋市2026年度市长质量奖拟奖名单公示").click()
    expect(page.get_by_role("heading", name="如皋市2026年度市长质量奖拟奖名单公示")).to_be_visible()
    expect(page.locator(".qa-notice-period")).to_contain_text(
        "2026年11月25日至2026年12月1日，公示期为5个工作日（《办法》第二十条）"
    )
    names = page.locator("article.qa-public")
    for applicant in (HENGYUAN, JIANGHAI, GU):
        expect(names).to_contain_text(applicant.name)
    expect(names).not_to_contain_text(RUNTIAN.name)
    _nothing_personal(page)
    year.shot(page, "64-public-notice")


def visitor_objects(page: Page, year: Year) -> None:
    page.set_viewport_size(PHONE)
    page.get_by_role("link", name="在线提出异议").click()
    expect(page.get_by_role("heading", name="提出异议")).to_be_visible()
    name, identity, contact = OBJECTOR
    page.get_by_label("真实姓名").fill(name)
    page.get_by_label("身份或工作单位").fill(identity)
    page.get_by_label("联系方式").fill(contact)
    page.get_by_label("异议针对的拟奖对象").select_option(label=f"{JIANGHAI.name}（市长质量奖）")
    page.get_by_label("异议内容").fill(
        "听说该公司2026年有一批产品被用户投诉存在质量问题，请核实是否影响获奖。"
    )
    _nothing_personal(page)
    year.shot(page, "65-visitor-objection")
    page.get_by_role("button", name="提交异议").click()


def visitor_keeps_the_receipt(page: Page, year: Year) -> None:
    page.set_viewport_size(PHONE)
    expect(page.get_by_role("heading", name="异议受理回执")).to_be_visible()
    receipt = page.locator(".qa-pub-receipt-number").inner_text().strip()
    assert re.fullmatch(r"YY2026[0-9A-Z]{10}", receipt), receipt
    year.notes["objection_receipt"] = receipt
    expect(page.locator(".qa-pub-facts")).to_contain_text(JIANGHAI.name)
    expect(page.locator(".qa-pub-next")).to_contain_text("核查中")
    expect(page.locator("main")).not_to_contain_text(OBJECTOR[2])  # the contact stays private
    _nothing_personal(page)
    year.shot(page, "66-visitor-receipt")


def office_answers_the_objection(page: Page, year: Year) -> None:
    year.at("2026-11-27")
    year.sign_in(page, world.OFFICE)
    todo = page.get_by_role("link", name="待核查答复的异议")  # on the workbench
    expect(todo).to_contain_text("1")
    todo.click()
    expect(page.locator("#objections")).to_contain_text("1件待核查")
    page.get_by_role("link", name=year.notes["objection_receipt"]).click()
    expect(page.locator("main")).to_contain_text(OBJECTOR[2])  # the Office may reply
    page.select_option("#id_outcome", "dismissed")
    page.fill(
        "#id_findings", "经向市市场监督管理局核实，该公司2026年无质量投诉立案记录，无行政处罚。"
    )
    page.fill(
        "#id_reply", "经核查，您反映的情况查无实据，异议不成立。感谢您对市长质量奖评审工作的监督。"
    )
    year.shot(page, "67-office-objection-answer")
    page.get_by_role("button", name="保存核查结论并答复").click()
    expect(page.locator(".alert-success")).to_contain_text(f"答复已发送至{OBJECTOR[2]}")
    expect(page.locator("#objections")).to_contain_text("异议不成立")


# --- the announcement and certificates (A20.2, A21.1, A25.1) ------------------------------------


def office_announces(page: Page, year: Year) -> None:
    year.at("2026-12-02")
    year.sign_in(page, world.OFFICE)
    _board(page, year)
    page.get_by_role("button", name="结束公示").click()
    expect(page.locator(".alert-success")).to_contain_text("公示已结束")
    year.at("2026-12-10")
    year.sign_in(page, world.OFFICE)
    _board(page, year)
    page.fill("#id_announced_on", "2026-12-10")
    page.fill("#id_document_number", ANNOUNCEMENT)
    _confirmed(page, "记录公告并生成证书")
    expect(page.locator(".alert-success")).to_contain_text("已记录公告：3个获奖者，证书已生成")
    winners = page.locator(".qa-decision-winners")
    for applicant in (HENGYUAN, JIANGHAI, GU):
        expect(winners).to_contain_text(applicant.name)
    row = winners.locator("tbody tr", has_text=HENGYUAN.name)
    number = row.locator(".qa-cert-number").inner_text().strip()
    assert re.fullmatch(r"RG2026(-[0-9A-Z]{4}){4}", number), number
    link = row.get_by_role("link", name="核验页面").get_attribute("href")
    assert link == f"/verify/{number}/", link  # the path the certificate's QR code encodes
    with page.expect_download() as download:
        row.get_by_role("link", name="下载证书（PDF）").click()
    year.notes["certificate"] = number
    year.notes["verify_path"] = link
    # The certificate's QR code, read off the downloaded PDF as a phone's camera would: the
    # deployment's address (SITE_URL, here the test server) and the verification path.
    year.notes["qr_url"] = _qr_code(download.value.path())
    assert year.notes["qr_url"] == f"{year.base}{link}"
    year.shot(page, "68-office-announced")
    # With the announcement the year's evaluation has ended: 年度管理 says so.
    page.goto(f"{year.base}/office/cycles/")
    expect(page.get_by_role("row").filter(has_text="2026")).to_contain_text("已结束")


def visitor_reads_the_winners(page: Page, year: Year) -> None:
    _public(page, year)
    # The objector, with the receipt number, reads the answer (also mailed to them).
    page.goto(f"{year.base}/notices/receipts/{year.notes['objection_receipt']}/")
    expect(page.locator(".qa-pub-outcome")).to_contain_text("异议不成立")
    expect(page.locator(".qa-pub-outcome")).to_contain_text("查无实据")
    page.goto(f"{year.base}/")
    page.get_by_role("link", name="获奖名单").first.click()
    expect(page.get_by_role("heading", name="2026年度")).to_be_visible()
    winners = page.locator(".qa-winners")
    for applicant in (HENGYUAN, JIANGHAI, GU):
        expect(winners).to_contain_text(applicant.name)
    expect(winners).to_contain_text(ANNOUNCEMENT)
    expect(winners).not_to_contain_text(RUNTIAN.name)
    _nothing_personal(page)
    year.shot(page, "69-public-winners")


def visitor_verifies_a_certificate(page: Page, year: Year) -> None:
    _public(page, year)
    page.goto(year.notes["qr_url"])  # the phone opens what the QR code says
    expect(page.locator(".qa-verdict-word")).to_have_text("有效")
    facts = page.locator(".qa-verified-facts")
    expect(facts).to_contain_text(year.notes["certificate"])
    expect(facts).to_contain_text(HENGYUAN.name)
    expect(facts).to_contain_text("2026年度")
    _nothing_personal(page)
    year.shot(page, "70-public-verify")


# --- after the award: the duty to report, revocation (A23.1, A23.2) -----------------------------


def winner_reads_my_award(page: Page, year: Year) -> None:
    year.at("2026-12-11")
    year.sign_in(page, HENGYUAN.login)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="我的获奖").click()
    expect(page.get_by_role("heading", name="我的获奖")).to_be_visible()
    award = page.locator(".qa-my-award")
    expect(award).to_contain_text(f"{HENGYUAN.name} · 2026年度市长质量奖")
    expect(award).to_contain_text(year.notes["certificate"])
    expect(award).to_contain_text(ANNOUNCEMENT)
    expect(award).to_contain_text("应当自确认之日起30日内向委员会办公室书面报告")
    expect(award.get_by_role("link", name="公开查验")).to_have_attribute(
        "href", year.notes["verify_path"]
    )
    expect(award.get_by_role("link", name="下载证书（PDF）")).to_be_visible()
    year.shot(page, "71-winner-my-award")


def winner_reads_the_progress_and_messages(page: Page, year: Year) -> None:
    """办件进度 (issue 13): every stage of article 11 done, each with what happened in it; the
    评审反馈报告 kept after 拟奖; and a message in the inbox for every stage that concerned it."""
    year.sign_in(page, HENGYUAN.login)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="我的申报").click()
    page.get_by_role("link", name=HENGYUAN.name).first.click()
    progress = page.locator(".qa-progress")
    expect(progress.locator(".qa-progress-list > li")).to_have_count(8)
    expect(progress.locator(".qa-progress-done")).to_have_count(8)
    for event in (
        "提交申报",
        "签署推荐意见",
        "受理",
        "开始材料评审",
        "开始现场评审",
        "综合评价",
        "列入拟奖建议名单",
        "公示",
        "获奖",
    ):
        expect(progress).to_contain_text(f" · {event}")
    expect(page.get_by_role("link", name="下载评审反馈报告（Word）")).to_be_visible()
    world.both_widths(page, world.SHOTS, "winner-progress")  # looked at, not a manual figure
    page.goto(f"{year.base}/accounts/inbox/")
    inbox = page.locator("main")
    for subject in (
        "已推荐：",
        "已受理：",
        "材料评审开始：",
        "现场评审：",
        "综合评价完成：",
        "拟奖：",
        "公示：",
        "获奖：",
    ):
        expect(inbox).to_contain_text(subject)


def winner_reports_late(page: Page, year: Year) -> None:
    year.at("2027-01-20")
    year.sign_in(page, HENGYUAN.login)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="我的获奖").click()
    page.get_by_text("提交书面报告").click()
    page.get_by_label("违规情况").fill(
        "公司一批次数控机床主轴在市场监督管理局监督抽查中被判定不合格，已召回并整改。"
    )
    page.get_by_label("确认日期").fill("2026-12-15")
    page.get_by_label("证据材料").fill("监督抽查结果通知书（皋市监抽〔2026〕118号）")
    page.get_by_role("button", name="提交报告").click()
    expect(page.locator(".alert-warning")).to_contain_text(
        "报告已提交，但已超过报告期限（2027年1月14日），记为逾期报告（《办法》第二十三条）"
    )
    reports = page.locator(".qa-my-reports")
    expect(reports).to_contain_text("2026-12-15")
    expect(reports).to_contain_text("逾期报告")
    year.shot(page, "72-winner-late-report")


def office_opens_the_case(page: Page, year: Year) -> None:
    year.at("2027-01-22")
    year.sign_in(page, world.OFFICE)
    todo = page.get_by_role("link", name="待核查的违规案件")  # on the workbench
    expect(todo).to_contain_text("1")
    todo.click()
    row = page.locator(".qa-cases tbody tr", has_text=HENGYUAN.name)
    expect(row).to_contain_text("逾期报告")
    expect(row).to_contain_text("获奖者书面报告")
    row.get_by_role("link", name=HENGYUAN.name).click()
    expect(page.get_by_role("heading", name="获奖者书面报告")).to_be_visible()
    expect(page.locator("main")).to_contain_text("2027-01-14（确认之日起30日内")
    page.get_by_label("核查情况").fill(
        "经核查，抽查不合格属实；企业于确认之日起36日方书面报告，超过30日期限。"
        "建议提请委员会撤销其称号。"
    )
    page.get_by_role("button", name="报委员会").click()
    expect(page.get_by_text("核查情况已报委员会。")).to_be_visible()
    year.shot(page, "73-office-case")


def office_decides_the_case(page: Page, year: Year) -> None:
    year.at("2027-02-05")
    year.sign_in(page, world.OFFICE)
    page.goto(f"{year.base}/supervision/cases/")
    page.locator(".qa-cases").get_by_role("link", name=HENGYUAN.name).click()
    page.get_by_label("撤销称号").check()
    page.get_by_label("决定日期").fill("2027-02-05")
    page.get_by_label("委员会决定或政府文号").fill(REVOCATION)
    _confirmed(page, "记录决定")
    expect(page.locator(".alert-success")).to_contain_text("证书已撤销")
    expect(page.locator("main")).to_contain_text("称号已于2027-02-05撤销")
    year.shot(page, "74-office-case-decide")


def visitor_is_told_it_is_revoked(page: Page, year: Year) -> None:
    _public(page, year)
    page.goto(f"{year.base}/")  # the revocation is announced publicly (A23.2)
    expect(
        page.get_by_role("link", name=f"关于撤销{HENGYUAN.name}2026年度市长质量奖称号的公告")
    ).to_be_visible()
    page.goto(year.notes["qr_url"])
    expect(page.locator(".qa-verdict-word")).to_have_text("已撤销")
    expect(page.locator(".qa-verdict")).to_contain_text("已于2027年2月5日撤销，证书不再有效")
    expect(page.locator(".qa-verified-facts")).to_contain_text(REVOCATION)
    _nothing_personal(page)
    year.shot(page, "75-public-verify-revoked")


# --- supervision and the audit trail (A27.1) ----------------------------------------------------


def supervisor_reads_the_workspace(page: Page, year: Year) -> None:
    year.sign_in(page, world.SUPERVISOR)
    page.goto(f"{year.base}/supervision/")
    expect(page.get_by_role("heading", name="纪律监督工作台")).to_be_visible()
    cycle = page.locator(".qa-sv-cycle", has_text="2026年度")
    expect(cycle).to_contain_text("奖项已撤销：1 件")
    expect(cycle).to_contain_text("已获奖：2 件")
    expect(cycle).to_contain_text("不予受理：1 件")
    year.shot(page, "76-supervisor-workspace")


def supervisor_reads_the_audit_trail(page: Page, year: Year) -> None:
    page.get_by_role("link", name="审计日志", exact=True).first.click()
    expect(page.get_by_role("heading", name="审计日志")).to_be_visible()
    page.get_by_label("类别", exact=True).select_option("纪律监督")
    page.get_by_role("button", name="筛选").click()
    trail = page.locator(".qa-audit")
    for action in (
        "纪律监督：登记举报",
        "纪律监督：报告委员会",
        "纪律监督：作出处理决定",
        "纪律监督：撤销奖励",
    ):
        expect(trail).to_contain_text(action)
    expect(trail).to_contain_text("第二十三条")
    expect(trail).not_to_contain_text("公布：公布获奖名单")
    expect(trail).not_to_contain_text("supervision.")
    year.shot(page, "77-supervisor-audit-trail")


def auditadmin_verifies_the_chain(page: Page, year: Year) -> None:
    year.sign_in(page, world.AUDITADMIN)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="审计日志").click()
    page.get_by_role("button", name="校验审计链").click()
    verdict = page.locator(".qa-chain-verdict")
    expect(verdict).to_contain_text("审计链校验通过")
    expect(verdict).to_contain_text(re.compile(r"审计链完整：共校验 \d+ 条事件"))
    year.shot(page, "78-auditadmin-audit-verify")


STEPS = [
    office_drafts_the_list,
    office_records_the_approvals,
    committee_reads_the_board,
    office_publishes_the_notice,
    visitor_reads_the_notice,
    visitor_objects,
    visitor_keeps_the_receipt,
    office_answers_the_objection,
    office_announces,
    visitor_reads_the_winners,
    visitor_verifies_a_certificate,
    winner_reads_my_award,
    winner_reads_the_progress_and_messages,
    winner_reports_late,
    office_opens_the_case,
    office_decides_the_case,
    visitor_is_told_it_is_revoked,
    supervisor_reads_the_workspace,
    supervisor_reads_the_audit_trail,
    auditadmin_verifies_the_chain,
]
