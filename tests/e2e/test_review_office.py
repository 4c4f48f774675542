"""The Office's review pages in Chromium: the rubric before review starts, opening material
review on the board, then (the experts' work done through the services) the comprehensive
evaluation from the board, the ranking with its rater charts, and one application's record.
Screenshots of each page at desktop and phone widths (A9.1, A17.1, A18.1, A27.1, A28.1)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in
from tests.review.conftest import (
    EVALUATION_DAY,
    MATERIAL_DAY,
    SITE_DAY,
    World,
    agree,
    in_window,
    open_cycle,
    org,
    person,
    world,
)

__all__ = ["in_window", "open_cycle", "org", "person", "world"]  # fixtures used through `world`


def _advance_to_site_consensus(world: World, time_machine: Any) -> None:
    """What the experts, the leader and the supervisor do between the Office's two visits."""
    from review import services

    agree(world, world.organization, (50, 60, 75))
    agree(world, world.individual, (70, 75, 80))
    time_machine.move_to(SITE_DAY)
    site = world.group(world.organization, "site_review")
    services.schedule_site_visit(
        actor=world.office,
        group=site,
        starts_on=dt.date(2026, 7, 20),
        ends_on=dt.date(2026, 7, 21),
        place="如皋示例机械有限公司",
    )
    services.open_phase(actor=world.office, cycle=world.cycle, stage="site_review")
    agree(world, world.organization, (55, 65, 70), stage="site_review")
    visit = site.site_visit
    services.record_site_visit(
        actor=world.users[0],
        visit=visit,
        items_verified="4.1至4.7全部条款",
        interviews="访谈高层3人、员工12人",
        evidence_seen="质量手册、近三年财务报表",
        issues_found="部分过程测量指标未分解到班组",
    )
    services.file_supervisor_report(
        actor=world.supervisor,
        visit=visit,
        group_conduct="专家组严格遵守工作纪律",
        applicant_conduct="申报单位积极配合，无宴请、无馈赠",
    )
    services.give_feedback(
        actor=world.applicant,
        application=world.organization,
        direction="of_group",
        work_quality=5,
        integrity=5,
        comments="专家专业、公正",
    )
    services.give_feedback(
        actor=world.users[0],
        application=world.organization,
        direction="of_applicant",
        discipline=5,
        comments="配合良好",
    )
    time_machine.move_to(EVALUATION_DAY)


@pytest.mark.e2e
@pytest.mark.req("A9.1", "A17.1", "A18.1")
def test_the_office_opens_review_evaluates_and_reads_the_ranking(
    world: World,
    transactional_db: None,
    live_server: Any,
    e2e_page: Page,
    screenshot: Callable[[Page, str], None],
    time_machine: Any,
) -> None:
    from review.models import Evaluation, ReviewPhase

    time_machine.move_to(MATERIAL_DAY)  # the clock runs: the browser waits on real time
    page, base = e2e_page, live_server.url
    page.on("dialog", lambda dialog: dialog.accept())
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    sign_in(page, base, world.office.username, PASSWORD)

    page.goto(f"{base}/review/cycles/{world.cycle.pk}/rubrics/organization/")
    expect(page.get_by_text("本年度尚未复制评价准则")).to_be_visible()
    expect(page.locator("input[name=item_code]").first).to_have_value("4.1.2")
    screenshot(page, "review-office-rubric")

    page.goto(f"{base}/review/")
    expect(page.get_by_role("heading", name="评审进度 · 2026年度")).to_be_visible()
    page.locator("#stage-material_review").get_by_role("button", name="开放评分").click()
    expect(page.locator(".alert-success")).to_contain_text("已开放材料评审评分")
    expect(page.locator("#stage-material_review")).to_contain_text("评分进行中")
    assert ReviewPhase.objects.get(stage="material_review").state == ReviewPhase.State.OPEN

    _advance_to_site_consensus(world, time_machine)
    sign_in(page, base, world.office.username, PASSWORD)  # weeks later: a new session
    page.goto(f"{base}/review/")
    site = page.locator("#stage-site_review")
    expect(site).to_contain_text("如皋示例机械有限公司")
    expect(site).to_contain_text("监督报告：已提交")
    screenshot(page, "review-office-board")

    page.get_by_role("button", name="综合评价").click()
    expect(page.get_by_role("heading", name="2026年度综合评价排名")).to_be_visible()
    expect(page.locator(".alert-success")).to_contain_text("已完成综合评价：2项申报")
    assert Evaluation.objects.count() == 2
    # 0.3 x 600 + 0.7 x 650 = 635.00 (material 60%, site 65% of every item).
    expect(page.locator(".qa-ranking").first).to_contain_text("635.00")
    for chart in ("#chart-deviation", "#chart-agreement", "#chart-dispersion"):
        expect(page.locator(f"{chart} svg")).to_be_visible()
    expect(page.locator(".qa-raters")).to_contain_text("孙立")
    screenshot(page, "review-office-ranking")
    assert console_errors == []  # ECharts draws within the CSP (no inline style or script)

    page.get_by_role("link", name=world.organization.applicant_name).first.click()
    expect(page.get_by_role("heading", name="评审记录")).to_be_visible()
    expect(page.get_by_text("专家组严格遵守工作纪律")).to_be_visible()
    expect(page.get_by_text("专家专业、公正")).to_be_visible()
    screenshot(page, "review-office-record")

    page.goto(f"{base}/review/cycles/{world.cycle.pk}/rubrics/organization/")
    expect(page.get_by_text("评审已开始")).to_be_visible()
    assert page.locator("input[name=item_code]").count() == 0
