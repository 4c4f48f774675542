"""The review in Chromium: an expert scores a card (autosave visible) and submits it, the group
leader records and confirms the consensus on the matrix page; then the site visit is recorded
by the leader, reported on by the supervisor, and both sides give their feedback (A17.1, A27.1,
A28.1). Screenshots at desktop and phone widths."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in, sign_out
from tests.review.conftest import (
    MATERIAL_DAY,
    SITE_DAY,
    World,
    agree,
    full_scores,
    in_window,
    open_cycle,
    org,
    person,
    rubric_of,
    score_and_submit,
    world,
)

__all__ = ["in_window", "open_cycle", "org", "person", "world"]  # fixtures used through `world`


@pytest.mark.e2e
@pytest.mark.req("A17.1")
def test_an_expert_scores_and_the_leader_confirms_the_consensus(
    world: World,
    transactional_db: None,
    live_server: Any,
    e2e_page: Page,
    screenshot: Callable[[Page, str], None],
    time_machine: Any,
) -> None:
    from review import services
    from review.models import Consensus, Scorecard

    time_machine.move_to(MATERIAL_DAY)  # the clock runs: the browser waits on real time
    services.open_phase(actor=world.office, cycle=world.cycle, stage="material_review")
    application = world.organization
    rubric = rubric_of(world, application)
    # The leader and the third expert have scored; 4.1.2 is far apart (30 vs 90): flagged.
    for n, percent, far in ((0, 55, 30), (2, 70, 90)):
        card = services.save_scorecard(
            actor=world.users[n],
            assignment=world.assignment(application, n),
            scores=full_scores(rubric, percent, **{"4_1_2": far}),
            revision=0,
        )
        services.submit_scorecard(actor=world.users[n], scorecard=card)

    page, base = e2e_page, live_server.url
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, base, world.users[1].username, PASSWORD)
    expect(page.get_by_text("待提交的评分表")).to_be_visible()
    page.goto(f"{base}/experts/mine/")
    page.locator(f"a[href='/review/{application.public_id}/material_review/card/']").click()
    expect(page.get_by_role("heading", name="材料评审评分表")).to_be_visible()
    # The heading shows once the HTML is parsed; htmx (a deferred script) binds the autosave only
    # at DOMContentLoaded, and a change before that is never sent. Wait for the page to be loaded.
    page.wait_for_load_state()
    page.select_option("#percent-4\\.1\\.2", "60")
    expect(page.locator("#autosave")).to_contain_text("已自动保存")
    expect(page.locator("#card-total")).to_have_text("30")
    page.locator("details.qa-bands").first.locator("summary").click()
    expect(page.get_by_text("没有系统的方法").first).to_be_visible()
    for item in rubric.items.all():
        code = item.code.replace(".", "\\.")
        page.select_option(f"#percent-{code}", "60")
        page.fill(f"#strengths-{code}", f"{item.name}：方法系统，展开充分。")
    page.fill("#summary", "总体达到良好水平。")
    expect(page.locator("#card-total")).to_have_text("600")
    expect(page.locator("#autosave")).to_contain_text("已自动保存")
    page.wait_for_timeout(1500)  # let the last autosave land before the screenshot
    expect(page.locator("#autosave")).to_contain_text("已自动保存")
    screenshot(page, "review-card")
    page.get_by_role("button", name="提交评分表").first.click()
    expect(page.get_by_text("评分表已提交。")).to_be_visible()
    expect(page.get_by_text("组内其他专家").first).to_be_visible()  # now, not before (A17.1)
    card = Scorecard.objects.get(assignment=world.assignment(application, 1))
    assert card.state == Scorecard.State.SUBMITTED
    assert card.summary == "总体达到良好水平。"
    screenshot(page, "review-card-submitted")
    sign_out(page)

    sign_in(page, base, world.users[0].username, PASSWORD)
    page.goto(f"{base}/experts/mine/")
    screenshot(page, "review-mine")
    page.locator(f"a[href='/review/{application.public_id}/material_review/consensus/']").click()
    expect(page.get_by_role("heading", name="材料评审专家组共识")).to_be_visible()
    flagged = page.locator("tr.qa-flagged")
    expect(flagged).to_have_count(1)
    expect(flagged).to_contain_text("4.1.2")
    expect(page.locator("#percent-4\\.1\\.2")).to_have_value("60")  # median of 30, 60, 90
    screenshot(page, "review-consensus")
    page.select_option("#percent-4\\.1\\.2", "55")
    page.fill("#comment", "经讨论，4.1.2按55%计。")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_text("共识草稿已保存。")).to_be_visible()
    expect(page.locator("#percent-4\\.1\\.2")).to_have_value("55")
    page.get_by_role("button", name="确认共识").click()
    expect(page.get_by_text("已确认专家组共识")).to_be_visible()
    consensus = Consensus.objects.get(group=world.group(application))
    assert consensus.final
    # 4.1.2 at 55% of 50 points, the other 22 items at their median (60%) of 950 points.
    assert str(consensus.score) == "597.50"
    screenshot(page, "review-consensus-confirmed")


@pytest.mark.e2e
@pytest.mark.req("A17.1", "A27.1", "A28.1")
def test_the_site_visit_is_recorded_reported_and_both_sides_give_feedback(
    world: World,
    transactional_db: None,
    live_server: Any,
    e2e_page: Page,
    screenshot: Callable[[Page, str], None],
    time_machine: Any,
) -> None:
    from review import services
    from review.models import Feedback, SiteVisit

    services.open_phase(actor=world.office, cycle=world.cycle, stage="material_review")
    agree(world, world.organization, (50, 60, 70))
    time_machine.move_to(SITE_DAY)
    group = world.group(world.organization, "site_review")
    services.schedule_site_visit(
        actor=world.office,
        group=group,
        starts_on=dt.date(2026, 7, 20),
        ends_on=dt.date(2026, 7, 21),
        place="如皋示例机械有限公司一号会议室",
    )
    services.open_phase(actor=world.office, cycle=world.cycle, stage="site_review")
    score_and_submit(world, world.organization, 1, 65, "site_review")
    public_id = world.organization.public_id

    page, base = e2e_page, live_server.url
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, base, world.users[0].username, PASSWORD)
    page.goto(f"{base}/experts/mine/")
    page.get_by_role("link", name="现场评审安排与记录").click()
    expect(page.get_by_text("如皋示例机械有限公司一号会议室")).to_be_visible()
    page.fill("#id_items_verified", "4.1.2 高层领导的作用；4.5.2 过程的识别与设计")
    page.fill("#id_interviews", "访谈总经理、质量部经理和一线班组长。")
    page.fill("#id_evidence_seen", "质量手册、管理评审记录。")
    page.fill("#id_issues_found", "部分过程绩效指标未定期分析。")
    page.get_by_role("button", name="保存现场评审记录").click()
    expect(page.get_by_text("现场评审记录已保存。")).to_be_visible()
    screenshot(page, "review-site-leader")
    page.get_by_role("link", name="评价申报单位").click()
    page.locator("input[name=discipline][value='5']").check()
    page.get_by_role("button", name="提交评价").click()
    expect(page.get_by_text("已提交的评价")).to_be_visible()
    sign_out(page)

    sign_in(page, base, world.supervisor.username, PASSWORD)
    expect(page.get_by_text("待提交的现场评审监督报告")).to_be_visible()
    page.goto(f"{base}/review/{public_id}/site/")
    expect(page.get_by_text("访谈总经理、质量部经理和一线班组长。")).to_be_visible()
    page.fill("#id_group_conduct", "专家组严格遵守工作守则，未发现违纪。")
    page.fill("#id_applicant_conduct", "申报单位配合良好，未发现不当行为。")
    page.get_by_role("button", name="提交监督报告").click()
    expect(page.get_by_text("监督报告已提交。")).to_be_visible()
    screenshot(page, "review-site-supervisor")
    sign_out(page)

    sign_in(page, base, world.applicant.username, PASSWORD)
    page.goto(f"{base}/applications/{public_id}/")
    page.get_by_role("link", name="评价专家组").click()
    expect(page.get_by_text("仅委员会办公室和评审监督员可以查看")).to_be_visible()
    screenshot(page, "review-feedback")
    page.locator("input[name=work_quality][value='4']").check()
    page.locator("input[name=integrity][value='5']").check()
    page.fill("#id_comments", "专家组专业、守纪。")
    page.get_by_role("button", name="提交评价").click()
    expect(page.get_by_text("已提交的评价")).to_be_visible()
    screenshot(page, "review-feedback-given")

    visit = SiteVisit.objects.get(group=group)
    assert visit.recorded_at is not None
    assert visit.reported_by_id == world.supervisor.pk
    assert Feedback.objects.get(direction=Feedback.Direction.OF_GROUP).work_quality == 4
    assert Feedback.objects.get(direction=Feedback.Direction.OF_APPLICANT).discipline == 5
