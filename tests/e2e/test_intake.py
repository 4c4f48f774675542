"""申报推荐 and 资格审查 in Chromium: an organization registers, fills in and submits its 申报表,
its town recommends it, and the Office accepts it after ticking what only it can confirm."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Dialog, Page, expect

from lib import uscc
from tests.e2e.conftest import sign_in, sign_out
from tests.e2e.year.intake import _fill_organization, enter_emailed_code
from tests.e2e.year.world import HENGYUAN

CST = dt.timezone(dt.timedelta(hours=8))
TOWN_USERNAME = "baipu_town"
TOWN_PASSWORD = "Recommend#2026"
APPLICANT = {"username": "e2e_org", "password": "Mosaic!Pier204"}
ORG_NAME = "如皋白蒲精密机械有限公司"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def open_call(office_site: dict[str, str], time_machine: Any) -> None:
    """The 2026 call published, the clock on 10 March 2026 (inside the window, ticking), and
    one reviewer of 白蒲镇."""
    from accounts.models import RecommendingUnit, Role, User
    from accounts.services import create_user, grant_role
    from programs.demo import DEMO_STAGES
    from programs.models import AwardProgram
    from programs.services import create_cycle, publish_call, set_cycle_dates

    time_machine.move_to(dt.datetime(2026, 3, 10, 9, 0, tzinfo=CST))
    office = User.objects.get(username=office_site["username"])
    cycle = create_cycle(actor=office, program=AwardProgram.objects.get(), year=2026)
    set_cycle_dates(actor=office, cycle=cycle, dates=DEMO_STAGES)
    publish_call(actor=office, cycle=cycle)
    town = create_user(
        actor=None,
        actor_role="system",
        username=TOWN_USERNAME,
        password=TOWN_PASSWORD,
        full_name="顾娟（白蒲镇）",
    )
    grant_role(
        actor=None,
        actor_role="system",
        user=town,
        role=Role.RECOMMENDER,
        recommending_unit=RecommendingUnit.objects.get(name="白蒲镇"),
    )


def _register(page: Page, base: str, code: str) -> None:
    page.goto(f"{base}/")
    page.get_by_role("link", name="组织注册").first.click()
    expect(page.get_by_role("heading", name="组织注册")).to_be_visible()
    page.fill("#id_uscc", code)
    page.fill("#id_name", ORG_NAME)
    page.fill("#id_registered_address", "如皋市白蒲镇工业集中区8号")
    page.select_option("#id_recommending_unit", label="白蒲镇")
    page.select_option("#id_industry_code", value="34")
    page.fill("#id_established_on", "2012-05-18")
    page.fill("#id_legal_representative", "顾建国")
    page.check("#id_is_industrial")
    page.select_option("#id_environmental_rating", label="绿色")
    page.fill("#id_chief_quality_officer", "张华")
    page.fill("#id_contact_name", "王磊")
    page.fill("#id_username", APPLICANT["username"])
    page.fill("#id_password1", APPLICANT["password"])
    page.fill("#id_password2", APPLICANT["password"])
    page.fill("#id_phone", "13800000000")
    page.fill("#id_email", "wanglei@e2e.rugao.example")
    page.check("#id_privacy_consent")


def _fill_form(page: Page) -> None:
    """The 申报表 as the whole-year scenario fills it (every section, 23 self-evaluation items)."""
    _fill_organization(page, HENGYUAN)


@pytest.mark.e2e
@pytest.mark.req("A15.2", "A15.3", "A16.1")
def test_organization_applies_town_recommends_office_accepts(
    live_server: Any,
    office_site: dict[str, str],
    open_call: None,
    e2e_page: Page,
    screenshot: Callable[[Page, str], None],
    time_machine: Any,
) -> None:
    page = e2e_page
    base = live_server.url
    dialogs: list[str] = []

    def accept(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    code = "91320682MA1BP0E2E"[:17]
    code += uscc.check_character(code)

    # --- The organization registers from the home page, proves its email and is signed in.
    _register(page, base, code)
    screenshot(page, "intake-register")
    page.get_by_role("button", name="提交注册").click()
    screenshot(page, "intake-register-code")
    enter_emailed_code(page, "wanglei@e2e.rugao.example")
    expect(page.get_by_role("heading", name="我的申报")).to_be_visible()

    # --- It starts its 2026 application and fills in the 申报表.
    page.get_by_role("button", name=f"以“{ORG_NAME}”名义申报2026年度").click()
    expect(page.get_by_role("alert").filter(has_text="已创建2026年度申报草稿")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("申报表（组织）"))).to_be_visible()
    preview = page.locator("#preview-box")
    expect(preview).to_contain_text("联系人及电话")
    _fill_form(page)
    # Autosave: the status line reports it, and the preview follows what was saved.
    expect(page.locator("#autosave")).to_contain_text("已自动保存", timeout=10_000)
    expect(preview).to_contain_text("申报表各项已填写完整，可以提交。")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_role("alert").filter(has_text="申报表已保存。")).to_be_visible()
    expect(page.locator("#f-figures-2-tax")).to_have_value("2300")
    # Evidence: a PDF to the general section; an executable renamed .pdf is refused.
    general = page.locator("form.qa-upload").first
    general.locator('input[type="file"]').set_input_files(
        {"name": "营业执照.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    general.get_by_role("button", name="上传").click()
    expect(page.get_by_role("alert").filter(has_text="已上传“营业执照.pdf”")).to_be_visible()
    general = page.locator("form.qa-upload").first
    general.locator('input[type="file"]').set_input_files(
        {"name": "setup.pdf", "mimeType": "application/pdf", "buffer": b"MZ" + b"\0" * 64}
    )
    general.get_by_role("button", name="上传").click()
    expect(page.get_by_role("alert").filter(has_text="这是可执行程序")).to_be_visible()
    expect(page.get_by_role("link", name="营业执照.pdf")).to_be_visible()
    eligibility = page.locator("#preview-box table")
    expect(eligibility).to_contain_text("第十二条第（一）项")
    expect(eligibility).to_contain_text("需办公室核实")
    # From the top: the sticky toolbar is drawn where the viewport was when the shot is taken.
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "intake-edit")

    page.get_by_role("button", name="提交申报").click()
    expect(page.get_by_role("alert").filter(has_text="已提交申报（第1版）")).to_be_visible()
    assert any("确定提交" in d for d in dialogs)
    expect(page.get_by_role("heading", name=ORG_NAME)).to_be_visible()
    expect(page.locator(".badge.state-attention").first).to_have_text("已提交，待推荐")
    report = page.locator("section").filter(has=page.get_by_role("heading", name="资格条件核查"))
    from intake.eligibility import RULES

    organization_rules = [r for r in RULES if r.applies_to == "organization"]
    expect(report.locator("tbody tr")).to_have_count(len(organization_rules))
    expect(report).to_contain_text("合法经营5年以上")
    screenshot(page, "intake-detail-submitted")
    sign_out(page)

    # --- The town's reviewer finds it first in 推荐审核 and signs the recommendation.
    sign_in(page, base, TOWN_USERNAME, TOWN_PASSWORD)
    expect(page.locator(".qa-inbox-link .badge")).to_contain_text("1")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="推荐审核").click()
    expect(page.get_by_text("已提交，待推荐 1件")).to_be_visible()
    screenshot(page, "intake-town-list")
    page.get_by_role("link", name=ORG_NAME).click()
    page.fill("#id_opinion", "经审核，该企业符合申报条件，同意推荐。")
    page.get_by_role("button", name="签署推荐意见").click()
    expect(page.get_by_role("alert").filter(has_text="已签署推荐意见")).to_be_visible()
    expect(page.locator(".qa-history")).to_contain_text("经审核，该企业符合申报条件，同意推荐。")
    sign_out(page)

    # --- Before 资格审查 the Office is told when it may decide, not shown buttons (A16.1).
    sign_in(page, base, office_site["username"], office_site["password"])
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="资格审查").click()
    page.get_by_role("link", name=ORG_NAME).click()
    expect(page.locator(".qa-refused").filter(has_text="受理、不予受理")).to_contain_text(
        "资格审查将于2026年5月6日开始"
    )
    expect(page.get_by_role("button", name="受理", exact=True)).to_have_count(0)
    sign_out(page)

    # --- In 资格审查 the Office reads the report, ticks each condition it has verified and
    # accepts.
    time_machine.move_to(dt.datetime(2026, 5, 8, 9, 0, tzinfo=CST))
    sign_in(page, base, office_site["username"], office_site["password"])
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="资格审查").click()
    expect(page.get_by_text("已推荐，待资格审查 1件")).to_be_visible()
    page.get_by_role("link", name=ORG_NAME).click()
    boxes = page.locator('input[name="confirmed"]')
    assert boxes.count() >= 4
    page.get_by_role("button", name="受理", exact=True).click()
    expect(page.get_by_role("alert").filter(has_text="需办公室核实的条件未确认")).to_be_visible()
    for box in page.locator('input[name="confirmed"]').all():
        box.check()
    page.fill("#id_accept_reason", "材料齐全，经核实符合申报条件。")
    screenshot(page, "intake-office-decision")
    page.get_by_role("button", name="受理", exact=True).click()
    expect(page.get_by_role("alert").filter(has_text="已受理。")).to_be_visible()
    expect(page.locator(".badge.state-progress").first).to_have_text("已受理")
    expect(page.locator('input[name="confirmed"]')).to_have_count(0)
    expect(page.get_by_role("button", name="更正为不予受理")).to_be_visible()
    screenshot(page, "intake-office-accepted")
    sign_out(page)

    # --- The applicant finds the decision in the inbox.
    sign_in(page, base, APPLICANT["username"], APPLICANT["password"])
    page.locator(".qa-inbox-link").click()
    expect(page.get_by_role("heading", name="站内消息")).to_be_visible()
    expect(page.locator(".qa-unread").first).to_contain_text("已受理：2026年度市长质量奖申报")
    page.get_by_role("button", name="全部标为已读").click()
    expect(page.locator(".qa-unread")).to_have_count(0)


@pytest.mark.e2e
@pytest.mark.req("A16.1", "A12.5")
def test_office_refuses_citing_the_article_and_the_applicant_sees_it(
    open_call: None,
    office_site: dict[str, str],
    live_server: Any,
    e2e_page: Page,
    screenshot: Callable[[Page, str], None],
    time_machine: Any,
) -> None:
    """An industrial firm rated yellow: the Office cannot accept it, refuses citing A12.5, and
    the firm reads the decision and the article."""
    from accounts.models import RecommendingUnit, User
    from accounts.registration import register_organization
    from intake import services
    from intake.models import Application
    from programs.models import Cycle
    from tests.intake.conftest import complete_form

    body = "91320682MA1YEL001"
    org, contact = register_organization(
        uscc_code=body + uscc.check_character(body),
        name="如皋丁堰示例化工有限公司",
        recommending_unit=RecommendingUnit.objects.get(name="白蒲镇"),
        username="yellow_org",
        password="Quality#Yel26",
        contact_name="钱七",
        established_on=dt.date(2008, 1, 1),
        is_industrial=True,
        environmental_rating="yellow",
        chief_quality_officer="孙八",
    )
    application = services.start_application(
        actor=contact, cycle=Cycle.objects.get(), organization=org
    )
    services.save_draft(actor=contact, application=application, data=complete_form())
    services.submit_application(actor=contact, application=application)
    services.recommend_application(
        actor=User.objects.get(username=TOWN_USERNAME), application=application, opinion="同意推荐"
    )
    time_machine.move_to(dt.datetime(2026, 5, 8, 9, 0, tzinfo=CST))  # 资格审查
    page, base = e2e_page, live_server.url
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, base, office_site["username"], office_site["password"])
    page.goto(f"{base}/applications/{application.public_id}/")
    expect(page.get_by_text("不能受理").first).to_be_visible()
    refuse = page.locator("form.qa-decide", has=page.get_by_role("button", name="不予受理"))
    expect(refuse.get_by_label(re.compile("^第十二条第（五）项"))).to_be_checked()
    refuse.locator("#id_refuse_reason").fill("工业企业环保信用等级为黄色，未达到蓝色及以上。")
    screenshot(page, "intake-office-refusal")
    refuse.get_by_role("button", name="不予受理").click()
    expect(page.locator(".alert-success")).to_be_visible()
    assert Application.objects.get(pk=application.pk).state == "not_accepted"
    page.get_by_role("button", name="退出").click()

    sign_in(page, base, "yellow_org", "Quality#Yel26")
    page.goto(f"{base}/applications/{application.public_id}/")
    expect(page.get_by_text("不予受理").first).to_be_visible()
    expect(page.get_by_text("《办法》第十二条第（五）项").first).to_be_visible()
    expect(page.get_by_text("未达到蓝色及以上").first).to_be_visible()
    screenshot(page, "intake-applicant-refused")
