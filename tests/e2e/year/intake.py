"""Part 1 of the whole year: the call, registration, applications, recommendation, 资格审查.

The security administrator opens the year's accounts; the Office enters the cycle's dates and
publishes the call (A11.1, A15.1); a visitor reads it on the home page; three organizations and
one individual register and apply inside the window (A15.2); the 长江镇 reviewer returns
长江重工 once, it corrects and resubmits, and the towns recommend (A15.3); the Office accepts three
and refuses 丁堰化工 citing A12.5, which the firm reads with the article (A16.1).
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .world import (
    GU,
    HENGYUAN,
    JIANGHAI,
    OFFICE,
    RUNTIAN,
    SECADMIN,
    STAGES,
    SUPERVISOR,
    TOWNS,
    Applicant,
    Year,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TITLE = "关于开展2026年度如皋市市长质量奖申报工作的通知"
WORK_PLAN = "请各镇（区、街道）于申报截止前完成审核推荐。联系电话：0513-87000000。"


def _select_unit(page: Page, unit: str) -> None:
    """Units show with their merged names, e.g. 如城街道（如皋工业园区）."""
    option = page.locator("#id_recommending_unit option").filter(has_text=unit)
    page.select_option("#id_recommending_unit", value=option.get_attribute("value"))


def _nav(page: Page, menu: str | None, link: str) -> None:
    nav = page.get_by_role("navigation", name="主导航")
    if menu:
        nav.get_by_role("button", name=menu).click()
    nav.get_by_role("link", name=link).click()


def secadmin_checks_roles(page: Page, year: Year) -> None:
    """The security administrator reviews who holds which role before the year opens."""
    year.at("2026-02-26")
    year.sign_in(page, SECADMIN)
    _nav(page, None, "角色与锁定")
    table = page.locator("table").first
    expect(table).to_contain_text(SUPERVISOR.full_name)
    expect(table).to_contain_text("评审监督员")
    year.shot(page, "00-secadmin-roles")


def office_opens_the_cycle(page: Page, year: Year) -> None:
    """A11.1, A15.1: the cycle with the eight stages of article 11, then the call published."""
    year.sign_in(page, OFFICE)
    _nav(page, "设置", "年度管理")
    page.fill("#id_year", "2026")
    page.fill("#id_work_plan", WORK_PLAN)
    page.get_by_role("button", name="创建年度").click()
    expect(page.get_by_role("alert").filter(has_text="已创建2026年度")).to_be_visible()
    year.cycle_id = int(re.findall(r"/office/cycles/(\d+)/", page.url)[0])
    for stage, _, start, end in STAGES:
        page.fill(f'input[name="{stage}__starts_on"]', start)
        page.fill(f'input[name="{stage}__ends_on"]', end)
    page.get_by_role("button", name="保存日期").click()
    expect(page.get_by_role("alert").filter(has_text="各阶段日期已保存。")).to_be_visible()
    expect(page.locator("ol.qa-timeline > li")).to_have_count(8)
    year.shot(page, "01-office-cycle-dates")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="发布申报通知").click()
    expect(page.get_by_role("alert").filter(has_text=f"已发布《{TITLE}》")).to_be_visible()
    expect(page.get_by_text("状态：已发布申报通知")).to_be_visible()
    year.shot(page, "02-office-call-published")


def visitor_reads_the_call(page: Page, year: Year) -> None:
    year.at("2026-03-02")
    year.visit(page)
    page.goto(f"{year.base}/")
    expect(page.get_by_role("heading", name="2026年度评审工作安排")).to_be_visible()
    expect(page.locator('ol.qa-timeline > li[aria-current="step"]')).to_contain_text("申报推荐")
    year.shot(page, "03-public-home")
    page.get_by_role("link", name=re.compile(TITLE)).click()
    body = page.locator("article")
    expect(body).to_contain_text("申报推荐：2026年3月2日至2026年4月30日")
    expect(body).to_contain_text(WORK_PLAN)
    year.shot(page, "04-public-call")


def enter_emailed_code(page: Page, address: str) -> None:
    """Registration ends on the page asking for the code sent to the email: read the email
    (Django's locmem outbox: the live server runs in this process) and enter the code."""
    from django.core import mail

    expect(page.get_by_role("heading", name="验证邮箱，完成注册")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("我们已向您填写的邮箱发送验证码")
    body = next(str(m.body) for m in reversed(mail.outbox) if address in m.to)
    code = re.search(r"验证码为(\d{6})", body)
    assert code is not None
    page.fill("#id_code", code[1])
    page.get_by_role("button", name="完成注册").click()
    expect(page.get_by_role("alert").filter(has_text="邮箱已验证，注册完成")).to_be_visible()


def _register_organization(page: Page, year: Year, a: Applicant, *, shot: bool) -> None:
    year.visit(page)
    page.goto(f"{year.base}/")
    page.get_by_role("link", name="组织注册").first.click()
    page.fill("#id_uscc", a.uscc)
    page.fill("#id_name", a.name)
    page.fill("#id_registered_address", f"如皋市{a.unit}工业园区1号")
    _select_unit(page, a.unit)
    page.select_option("#id_industry_code", value=a.industry)
    page.fill("#id_established_on", "2010-05-18")
    page.fill("#id_legal_representative", "顾建国")
    page.check("#id_is_industrial")
    # 丁堰化工's environmental credit rating is yellow: below the blue A12.5 asks of industry.
    page.select_option("#id_environmental_rating", label="黄色" if a is RUNTIAN else "绿色")
    page.fill("#id_chief_quality_officer", "张华")
    page.fill("#id_contact_name", a.login.full_name)
    page.fill("#id_username", a.login.username)
    page.fill("#id_password1", a.login.password)
    page.fill("#id_password2", a.login.password)
    page.fill("#id_email", f"{a.login.username}@year.rugao.example")
    page.check("#id_privacy_consent")
    if shot:
        year.shot(page, "05-org-register")
    page.get_by_role("button", name="提交注册").click()
    enter_emailed_code(page, f"{a.login.username}@year.rugao.example")


def _fill_common(page: Page, a: Applicant) -> None:
    page.fill("#f-contact_name", a.login.full_name)
    page.fill("#f-contact_phone", "0513-87000001")
    page.fill("#f-summary", f"{a.name}推行卓越绩效管理模式，质量水平居行业前列。")
    for radio in page.locator('input[type="radio"][value="true"]').all():
        radio.check()
    for text in page.locator('textarea[name^="self_evaluation."]').all():
        text.fill("建立了覆盖全员的质量责任体系，定期评审并持续改进。")
    for select in page.locator('select[name^="self_evaluation."]').all():
        select.select_option("60")


def _fill_organization(page: Page, a: Applicant) -> None:
    _fill_common(page, a)
    page.fill("#f-employees", "420")
    for i in range(3):
        page.fill(f"#f-figures-{i}-revenue", "52000")
        page.fill(f"#f-figures-{i}-profit", "4100")
        page.fill(f"#f-figures-{i}-tax", "2300")
    page.fill("#f-spot_checks-0-date", "2024-06-01")
    page.select_option("#f-spot_checks-0-level", label="省级")
    page.fill("#f-spot_checks-0-product", "主导产品")
    page.select_option("#f-spot_checks-0-passed", label="是")
    page.fill("#f-gbt19580_since", "2018-05-01")


def _attach(page: Page, name: str) -> None:
    general = page.locator("form.qa-upload").first
    general.locator('input[type="file"]').set_input_files(
        {"name": name, "mimeType": "application/pdf", "buffer": PDF}
    )
    general.get_by_role("button", name="上传").click()
    expect(page.get_by_role("alert").filter(has_text=f"已上传“{name}”")).to_be_visible()


def _submit(page: Page, a: Applicant, version: int = 1) -> None:
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="提交申报").click()
    expect(
        page.get_by_role("alert").filter(has_text=f"已提交申报（第{version}版）")
    ).to_be_visible()
    expect(page.get_by_role("heading", name=a.name)).to_be_visible()
    expect(page.locator(".badge.state-attention").first).to_have_text("已提交，待推荐")


def _apply_as_organization(page: Page, year: Year, a: Applicant, *, shots: bool) -> None:
    page.get_by_role("button", name=f"以“{a.name}”名义申报2026年度").click()
    expect(page.get_by_role("alert").filter(has_text="已创建2026年度申报草稿")).to_be_visible()
    _fill_organization(page, a)
    expect(page.locator("#autosave")).to_contain_text("已自动保存", timeout=10_000)
    expect(page.locator("#preview-box")).to_contain_text("申报表各项已填写完整，可以提交。")
    if shots:
        page.evaluate("window.scrollTo(0, 0)")
        year.shot(page, "06-org-application-form")
    _attach(page, "营业执照.pdf")
    if shots:
        page.locator("form.qa-upload").first.scroll_into_view_if_needed()
        year.shot(page, "07-org-attachments")
        eligibility = page.locator("#preview-box table")
        expect(eligibility).to_contain_text("第十二条第（一）项")
        eligibility.scroll_into_view_if_needed()
        year.shot(page, "08-org-eligibility")
    _submit(page, a)
    if shots:
        year.shot(page, "09-org-submitted")


def organizations_apply(page: Page, year: Year) -> None:
    """A12, A15.2: each organization registers with its USCC and submits inside the window."""
    year.at("2026-03-10")
    for a in (HENGYUAN, JIANGHAI, RUNTIAN):
        _register_organization(page, year, a, shot=a is HENGYUAN)
        _apply_as_organization(page, year, a, shots=a is HENGYUAN)


def individual_applies(page: Page, year: Year) -> None:
    """A14.1: a chief quality officer with ten years of quality work in Rugao."""
    year.visit(page)
    page.goto(f"{year.base}/")
    page.get_by_role("link", name="个人注册").first.click()
    page.fill("#id_name", GU.name)
    page.fill("#id_id_number", GU.id_number)
    page.select_option("#id_position", label="首席质量官")
    page.fill("#id_employer_name", HENGYUAN.name)
    page.fill("#id_quality_work_years", "12")
    _select_unit(page, GU.unit)
    page.fill("#id_username", GU.login.username)
    page.fill("#id_password1", GU.login.password)
    page.fill("#id_password2", GU.login.password)
    page.fill("#id_email", f"{GU.login.username}@year.rugao.example")
    page.check("#id_privacy_consent")
    page.check("#id_sensitive_consent")
    year.shot(page, "10-individual-register")
    page.get_by_role("button", name="提交注册").click()
    enter_emailed_code(page, f"{GU.login.username}@year.rugao.example")
    expect(page.get_by_role("heading", name="我的申报")).to_be_visible()
    page.get_by_role("button", name=re.compile("申报2026年度")).click()
    expect(page.get_by_role("alert").filter(has_text="已创建2026年度申报草稿")).to_be_visible()
    _fill_common(page, GU)
    expect(page.locator("#preview-box")).to_contain_text("申报表各项已填写完整，可以提交。")
    _attach(page, "首席质量官任命文件.pdf")
    page.evaluate("window.scrollTo(0, 0)")
    year.shot(page, "11-individual-application")
    _submit(page, GU)
    # The 身份证 number is shown masked, even to its owner.
    expect(page.get_by_text(GU.id_number)).to_have_count(0)


def town_returns_one(page: Page, year: Year) -> None:
    """A15.3: the 长江镇 reviewer returns 长江重工 with what to correct."""
    year.at("2026-04-13")
    year.sign_in(page, TOWNS["长江镇"])
    _nav(page, None, "推荐审核")
    expect(page.get_by_text("已提交，待推荐 1件")).to_be_visible()
    # Only its own unit's applicants: nothing from 如城街道.
    expect(page.get_by_role("link", name=HENGYUAN.name)).to_have_count(0)
    year.shot(page, "12-town-list")
    page.get_by_role("link", name=JIANGHAI.name).click()
    page.fill(
        "#id_return_reason", "近三年经营数据与审计报告不一致，请核对2025年营业收入后重新提交。"
    )
    year.shot(page, "13-town-return")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="退回修改").click()
    expect(page.get_by_role("alert").filter(has_text="退回")).to_be_visible()


def applicant_corrects_and_resubmits(page: Page, year: Year) -> None:
    year.sign_in(page, JIANGHAI.login)
    page.locator(".qa-inbox-link").click()
    expect(page.locator(".qa-unread").first).to_contain_text("退回")
    page.goto(f"{year.base}/applications/")
    page.get_by_role("link", name=re.compile(JIANGHAI.name)).first.click()
    expect(page.locator(".qa-history")).to_contain_text("请核对2025年营业收入")
    year.shot(page, "14-org-returned")
    page.get_by_role("link", name="修改并重新提交").click()
    page.fill("#f-figures-2-revenue", "51800")
    page.locator("#f-figures-2-revenue").blur()  # autosave follows each change
    expect(page.locator("#autosave")).to_contain_text("已自动保存", timeout=10_000)
    _submit(page, JIANGHAI, version=2)


def towns_recommend(page: Page, year: Year) -> None:
    for unit, applicants in (
        ("长江镇", (JIANGHAI,)),
        ("如城街道", (HENGYUAN, GU)),
        ("丁堰镇", (RUNTIAN,)),
    ):
        year.sign_in(page, TOWNS[unit])
        for a in applicants:
            _nav(page, None, "推荐审核")
            page.get_by_role("link", name=a.name).click()
            if a is JIANGHAI:
                # The second version, with what changed since the first.
                expect(
                    page.get_by_role("heading", name=re.compile("第2版与上一版相比"))
                ).to_be_visible()
            page.fill("#id_opinion", "经审核，符合申报条件，同意推荐。")
            if a is JIANGHAI:
                year.shot(page, "15-town-recommend")
            page.get_by_role("button", name="签署推荐意见").click()
            expect(page.get_by_role("alert").filter(has_text="已签署推荐意见")).to_be_visible()


def office_decides(page: Page, year: Year) -> None:
    """A16.1: 受理 after ticking what only the Office can confirm; 丁堰化工 refused citing A12.5."""
    year.at("2026-05-08")
    year.sign_in(page, OFFICE)
    _nav(page, None, "资格审查")
    expect(page.get_by_text("已推荐，待资格审查 4件")).to_be_visible()
    year.shot(page, "16-office-applications")
    for a in (HENGYUAN, JIANGHAI, GU):
        _nav(page, None, "资格审查")
        page.get_by_role("link", name=a.name).click()
        for box in page.locator('input[name="confirmed"]').all():
            box.check()
        page.fill("#id_accept_reason", "材料齐全，经核实符合申报条件。")
        if a is HENGYUAN:
            year.shot(page, "17-office-accept")
        page.get_by_role("button", name="受理", exact=True).click()
        expect(page.get_by_role("alert").filter(has_text="已受理。")).to_be_visible()
    _nav(page, None, "资格审查")
    page.get_by_role("link", name=RUNTIAN.name).click()
    expect(page.get_by_text("不能受理").first).to_be_visible()
    refuse = page.locator("form.qa-decide", has=page.get_by_role("button", name="不予受理"))
    expect(refuse.get_by_label(re.compile("^第十二条第（五）项"))).to_be_checked()
    refuse.locator("#id_refuse_reason").fill("工业企业环保信用等级为黄色，未达到蓝色及以上。")
    refuse.scroll_into_view_if_needed()
    year.shot(page, "18-office-refuse")
    page.once("dialog", lambda dialog: dialog.accept())
    refuse.get_by_role("button", name="不予受理").click()
    expect(page.locator(".alert-success")).to_be_visible()


def refused_applicant_reads_why(page: Page, year: Year) -> None:
    year.sign_in(page, RUNTIAN.login)
    page.locator(".qa-inbox-link").click()
    expect(page.get_by_role("heading", name="站内消息")).to_be_visible()
    expect(page.locator(".qa-unread").first).to_contain_text("不予受理")
    year.shot(page, "20-applicant-inbox")
    page.goto(f"{year.base}/applications/")
    page.get_by_role("link", name=re.compile(RUNTIAN.name)).first.click()
    expect(page.get_by_text("不予受理").first).to_be_visible()
    expect(page.get_by_text("《办法》第十二条第（五）项").first).to_be_visible()
    expect(page.get_by_text("未达到蓝色及以上").first).to_be_visible()
    year.shot(page, "19-org-refused")


STEPS = [
    secadmin_checks_roles,
    office_opens_the_cycle,
    visitor_reads_the_call,
    organizations_apply,
    individual_applies,
    town_returns_one,
    applicant_corrects_and_resubmits,
    towns_recommend,
    office_decides,
    refused_applicant_reads_why,
]
