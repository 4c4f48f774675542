"""A15.1: the committee publishes the cycle's application window and work plan as a public
announcement. Office staff do it in a real browser; an anonymous visitor then reads it."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Dialog, Page, expect

from tests.e2e.conftest import log_in
from tests.e2e.year.world import STAGES  # the 2026 cycle as Rugao lays it out

# A first attempt with the notice across National Day: 2026-09-30..10-09 is ten calendar days
# but only 3 working days (10-01..10-07 holiday), below the 5 of article 20.
TOO_SHORT = {
    "evaluation": ("2026-09-14", "2026-09-18"),
    "committee_review": ("2026-09-21", "2026-09-29"),
    "notice": ("2026-09-30", "2026-10-09"),
    "approval": ("2026-10-12", "2026-12-31"),
}
WORK_PLAN = "请各镇（区、街道）于申报截止前完成审核推荐。联系电话：0513-87000000。"
TITLE = "关于开展2026年度如皋市市长质量奖申报工作的通知"


def _cn(iso: str) -> str:
    """2026-03-02 -> 2026年3月2日, as official documents write dates."""
    y, m, d = (int(p) for p in iso.split("-"))
    return f"{y}年{m}月{d}日"


def _fill_dates(page: Page, dates: dict[str, tuple[str, str]]) -> None:
    for stage, (start, end) in dates.items():
        page.fill(f'input[name="{stage}__starts_on"]', start)
        page.fill(f'input[name="{stage}__ends_on"]', end)


@pytest.mark.e2e
@pytest.mark.req("A15.1")
def test_office_publishes_call_and_public_reads_it(
    live_server,
    office_site: dict[str, str],
    e2e_page: Page,
    screenshot: Callable[[Page, str], None],
) -> None:
    page = e2e_page
    dialogs: list[str] = []

    def accept(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)

    # --- Office staff sign in and open 年度管理 through the navigation.
    page.goto(f"{live_server.url}/accounts/login/")
    log_in(page, office_site["username"], office_site["password"])
    expect(page.get_by_role("heading", name="我的工作台")).to_be_visible()
    nav = page.get_by_role("navigation", name="主导航")
    nav.get_by_role("button", name="设置").click()  # the Office's settings menu
    nav.get_by_role("link", name="年度管理").click()
    expect(page.get_by_role("heading", name=re.compile("年度管理"))).to_be_visible()
    expect(page.get_by_text("尚无年度。")).to_be_visible()

    # --- Create the 2026 cycle.
    page.fill("#id_year", "2026")
    page.fill("#id_work_plan", WORK_PLAN)
    page.get_by_role("button", name="创建年度").click()
    expect(page.get_by_role("alert").filter(has_text="已创建2026年度")).to_be_visible()
    expect(page.get_by_role("heading", name="如皋市市长质量奖（2026年度）")).to_be_visible()
    expect(page.get_by_text("状态：筹备中")).to_be_visible()
    cycle_url = page.url

    # --- First attempt: the notice spans National Day and holds only 3 working days.
    dates = {stage: (start, end) for stage, _, start, end in STAGES}
    _fill_dates(page, dates | TOO_SHORT)
    page.get_by_role("button", name="保存日期").click()
    message = (
        "公示期2026-09-30至2026-10-09仅含3个工作日，《办法》第二十条规定公示时间不少于5个工作日。"
    )
    expect(page.get_by_role("alert").filter(has_text="第二十条")).to_contain_text(message)
    notice_start = page.locator('input[name="notice__starts_on"]')
    expect(notice_start).to_have_class(re.compile("is-invalid"))
    # The message also stands next to the notice's dates, tied to both inputs.
    expect(page.locator("#notice-errors")).to_have_text(message)
    expect(notice_start).to_have_attribute("aria-describedby", "notice-errors")
    # What was typed stays in the form for correction.
    expect(notice_start).to_have_value("2026-09-30")
    screenshot(page, "a15-1-office-dates-error")

    # Nothing was saved: the cycle list still shows no application window, the page no dates.
    nav = page.get_by_role("navigation", name="主导航")
    nav.get_by_role("button", name="设置").click()  # the Office's settings menu
    nav.get_by_role("link", name="年度管理").click()
    row = page.get_by_role("row").filter(has_text="2026")
    expect(row).to_contain_text("筹备中")
    expect(row).to_contain_text("未设置")
    row.get_by_role("link", name="管理").click()
    assert page.url == cycle_url
    for stage, *_ in STAGES:
        expect(page.locator(f'input[name="{stage}__starts_on"]')).to_have_value("")
    expect(page.get_by_role("heading", name="时间轴")).to_have_count(0)

    # --- Second attempt with correct dates.
    _fill_dates(page, dates)
    page.get_by_role("button", name="保存日期").click()
    expect(page.get_by_role("alert").filter(has_text="各阶段日期已保存。")).to_be_visible()
    timeline = page.locator("ol.qa-timeline > li")
    expect(timeline).to_have_count(8)
    for i, (_, label, start, end) in enumerate(STAGES):
        expect(timeline.nth(i)).to_contain_text(label)
        expect(timeline.nth(i)).to_contain_text(f"{start} — {end}")

    # --- Publish the call: a confirm() dialog asks first.
    page.get_by_role("button", name="发布申报通知").click()
    expect(page.get_by_role("alert").filter(has_text=f"已发布《{TITLE}》")).to_be_visible()
    assert dialogs == ["发布后申报通知将在首页公开，确定发布？"]
    expect(page.get_by_text("状态：已发布申报通知")).to_be_visible()
    expect(page.get_by_role("button", name="发布申报通知")).to_have_count(0)
    screenshot(page, "a15-1-office-cycle")

    # --- Sign out with the header's 退出 button; the visitor lands on the public home page.
    page.get_by_role("navigation", name="主导航").get_by_role("button", name="退出").click()
    expect(page.get_by_role("link", name="登录")).to_be_visible()
    expect(page.get_by_role("button", name="退出")).to_have_count(0)
    page.goto(f"{live_server.url}/")

    # The 2026 timeline: the eight stages of article 11, in order, with their dates.
    expect(page.get_by_role("heading", name="2026年度评审工作安排")).to_be_visible()
    steps = page.locator("ol.qa-timeline > li")
    expect(steps).to_have_count(8)
    for i, (_, label, start, end) in enumerate(STAGES):
        expect(steps.nth(i).locator(".qa-step")).to_have_text(f"{i + 1}. {label}")
        expect(steps.nth(i).locator(".qa-dates")).to_have_text(f"{_cn(start)} — {_cn(end)}")
    # At most one stage is highlighted as current (which one depends on today's date).
    assert page.locator('ol.qa-timeline > li[aria-current="step"]').count() <= 1
    link = page.get_by_role("link", name=re.compile(TITLE))
    expect(link).to_be_visible()
    expect(link).to_contain_text("申报通知")
    screenshot(page, "a15-1-public-home")

    # The announcement: the window and every stage's dates, the work plan, the Office.
    link.click()
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    body = page.locator("article")
    for _, label, start, end in STAGES:
        expect(body).to_contain_text(f"{label}：{_cn(start)}至{_cn(end)}")
    expect(body).to_contain_text(WORK_PLAN)
    expect(body).to_contain_text("评审不收取任何费用")
    expect(body).to_contain_text("如皋市质量发展委员会办公室")
    screenshot(page, "a15-1-public-announcement")
