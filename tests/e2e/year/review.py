"""Part 2 of the whole year: groups, conflicts, scoring, consensus, site visits, feedback, 综合评价.

The Office publishes the year's 工作守则 (A6.3, A26.1), forms the 材料评审 groups with the optimal
assignment, names each group's leader and the 评审监督员 and locks the members (A17.1, A27.1).
Each expert signs the code and confirms no interest before any material opens; the first
expert the assignment puts in 长江重工's group declares a conflict instead, loses the
application (404) and the Office's next 优化分配 fills the seat (A26.1). The Office opens
材料评审 on the review board; every expert reads the materials under the watermark and scores
every item; each leader confirms the group's consensus (A17.1). For the two organizations the
Office forms the 现场评审 groups, schedules the visits inside the stage's dates and opens it; the
experts score on site, the leader records the visit and the consensus, the supervisor files the
conduct report (A27.1); the organization rates the group and the leader rates the organization
(A28.1). On 2026-09-15 the Office runs 综合评价, reads the ranking with the analytics and
downloads the 综合评价报告 (A18.1).

Which experts sit in which group is the assignment's choice: the steps read it from the pages
(each expert's 我的评审, the Office's 专家组 board), never from the database.
"""

from __future__ import annotations

import io
import re
import zipfile

from playwright.sync_api import Dialog, Locator, Page, expect

from .world import EXPERTS, GU, HENGYUAN, JIANGHAI, OFFICE, RUNTIAN, SUPERVISOR, Login, Year

CODE = (
    "一、坚持科学、公正、公开的原则，独立评审，实事求是。\n"
    "二、与申报人存在利害关系的，主动申报回避。\n"
    "三、保守申报人的商业秘密和评审情况，不复制、不外传申报材料。\n"
    "四、不接受申报人的宴请、礼品和其他任何形式的好处。"
)
ORGANIZATIONS = (HENGYUAN, JIANGHAI)
# Each expert's percentage per item (a member's own judgement varies by ±5 around it).
MATERIAL = {HENGYUAN.name: 80, JIANGHAI.name: 70, GU.name: 75}
SITE = {HENGYUAN.name: 85, JIANGHAI.name: 75}
VISITS = {HENGYUAN.name: ("2026-07-20", "2026-07-21"), JIANGHAI.name: ("2026-07-22", "2026-07-23")}


def _accept(dialog: Dialog) -> None:
    """The page's confirmation (data-confirm) answered yes."""
    dialog.accept()


def _by_name(name: str) -> Login:
    return next(e for e in EXPERTS if e.full_name == name)


def _status(page: Page, url: str) -> int:
    response = page.goto(url)
    assert response is not None
    return response.status


def _mine(page: Page, year: Year) -> None:
    page.goto(f"{year.base}/experts/mine/")
    expect(page.get_by_role("heading", name=re.compile("^我的评审"))).to_be_visible()


def _assigned(page: Page, name: str) -> Locator:
    return page.locator(".qa-assigned").filter(has=page.locator("strong", has_text=name))


def _assigned_names(page: Page) -> list[str]:
    return page.locator(".qa-assigned strong").all_inner_texts()


def _learn_ids(page: Page, year: Year) -> None:
    """The applications' ids, from the forms of 我的评审 (their URLs carry them)."""
    for card in page.locator(".qa-assigned").all():
        name = card.locator("strong").inner_text()
        action = card.locator("form[action$='/declare/']").get_attribute("action") or ""
        year.notes[f"id:{name}"] = action.split("/")[3]


def _group(page: Page, name: str) -> Locator:
    return page.locator(".qa-group").filter(has=page.locator(".card-header strong", has_text=name))


def _groups_page(page: Page, year: Year, stage: str) -> None:
    page.goto(f"{year.base}/experts/groups/?cycle={year.cycle_id}&stage={stage}")
    expect(page.get_by_role("heading", name=re.compile("^专家组"))).to_be_visible()


def _propose(page: Page) -> None:
    page.get_by_role("button", name="优化分配").click()
    expect(page.locator(".alert-success")).to_be_visible()


def _lead(page: Page, name: str) -> str:
    """The group's first member leads it, with 孙红 as its supervisor; returns the leader."""
    group = _group(page, name)
    leader = group.locator("select[name=leader] option").first.inner_text()
    group.locator("select[name=supervisor]").select_option(label=SUPERVISOR.full_name)
    group.get_by_role("button", name="设定").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(_group(page, name).locator(".card-header")).to_contain_text(f"组长：{leader}")
    return leader


def _fill_card(page: Page, percent: int, n: int, *, by_hand: bool = False) -> None:
    """Every item of the scorecard, as the expert types it: a percentage (the expert's own, ±5)
    and a strength, then the summary. The page autosaves after the last change; the manual's
    figure (`by_hand`) waits to show it saved."""
    mine = str(max(0, min(100, percent + 5 * (n % 3 - 1))))
    expect(page.locator("select[id^='percent-']").first).to_be_visible()
    codes = page.eval_on_selector_all(
        "select[id^='percent-']", "els => els.map(e => e.id.slice('percent-'.length))"
    )
    for code in codes:
        page.select_option(f"[id='percent-{code}']", mine)
        page.fill(f"[id='strengths-{code}']", f"{code}：方法系统，展开较充分，有改进循环。")
    page.fill("#summary", "总体达到良好水平，过程方法系统，结果趋势向好。")
    if by_hand:
        page.locator("#summary").blur()
        expect(page.locator("#autosave")).to_contain_text("已自动保存")


def _submit_card(page: Page) -> None:
    page.once("dialog", _accept)
    page.get_by_role("button", name="提交评分表").first.click()
    expect(page.get_by_text("评分表已提交。")).to_be_visible()


def _links(page: Page, label: str) -> list[str]:
    """The hrefs of 我的评审's links named `label` (one per application)."""
    return [
        a.get_attribute("href") or ""
        for a in page.locator(".qa-assigned").get_by_role("link", name=label, exact=True).all()
    ]


def _confirm_all(page: Page) -> None:
    """Confirm no interest with every application still waiting for it."""
    buttons = page.get_by_role("button", name="确认不存在利害关系")
    while buttons.count():
        buttons.first.click()
        expect(page.locator(".alert-success")).to_be_visible()


def _score_all(page: Page, year: Year, stage: str, percents: dict[str, int]) -> None:
    """Each expert scores every card of `stage` assigned to them, and submits it."""
    for n, expert in enumerate(EXPERTS):
        year.sign_in(page, expert)
        _mine(page, year)
        _confirm_all(page)
        for href in _links(page, f"{stage}评分表"):
            page.goto(f"{year.base}{href}")
            if page.locator("form#card").count() == 0:
                continue  # submitted already (the manual's figure)
            name = page.locator("h1").inner_text().split(" · ")[0]
            _fill_card(page, percents[name], n)
            _submit_card(page)


def _confirm_consensus(page: Page, year: Year, stage: str) -> list[str]:
    """Each leader confirms the consensus of their groups in `stage`; returns the pages seen."""
    seen = []
    for expert in EXPERTS:
        year.sign_in(page, expert)
        _mine(page, year)
        for href in _links(page, f"{stage}共识（组长）"):
            page.goto(f"{year.base}{href}")
            expect(page.get_by_role("heading", name=f"{stage}专家组共识")).to_be_visible()
            page.fill("#comment", f"经专家组讨论，{stage}各条款按组内评分的中位数确定。")
            seen.append(href)
            if stage == "材料评审" and len(seen) == 1:
                year.shot(page, "37-leader-consensus")
            page.once("dialog", _accept)
            page.get_by_role("button", name="确认共识").click()
            expect(page.get_by_text("已确认专家组共识")).to_be_visible()
    return seen


# --- the steps ---------------------------------------------------------------------------------


def office_sets_the_code_of_conduct(page: Page, year: Year) -> None:
    """The Office publishes the year's 工作守则 on the 专家组 page (A6.3, A26.1)."""
    year.at("2026-05-11")
    year.sign_in(page, OFFICE)
    _groups_page(page, year, "material_review")
    expect(page.get_by_role("heading", name="2026年度评审专家工作守则")).to_be_visible()
    page.fill("#id_text", CODE)
    page.get_by_role("button", name="发布守则").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("#id_text")).to_have_value(CODE)
    page.locator("#h-code").scroll_into_view_if_needed()
    year.shot(page, "30-office-code-of-conduct")


def office_forms_the_groups(page: Page, year: Year) -> None:
    """优化分配 for 材料评审: five qualified experts per application, conflicts kept out by the
    system; each group's leader and the supervisor named, the members locked (A17.1, A27.1)."""
    year.at("2026-05-25")
    year.sign_in(page, OFFICE)
    _groups_page(page, year, "material_review")
    expect(page.locator(".qa-group")).to_have_count(3)  # the three accepted applications
    expect(page.locator(".qa-group", has_text=RUNTIAN.name)).to_have_count(0)  # refused
    _propose(page)
    for application in (HENGYUAN, JIANGHAI, GU):
        expect(_group(page, application.name).locator(".card-header")).to_contain_text("5/5人")
        _lead(page, application.name)
    lock = page.get_by_role("button", name="锁定", exact=True)
    while lock.count():
        lock.first.click()
        expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator(".qa-group .badge", has_text="已锁定")).to_have_count(15)
    expect(page.locator(".qa-group .card-header", has_text=f"监督员：{SUPERVISOR.full_name}"))
    year.shot(page, "31-office-groups")


def experts_sign_and_confirm(page: Page, year: Year) -> None:
    """Each expert signs the code, then confirms no interest with each assigned application;
    nothing opens before (A26.1). The first expert of 长江重工's group leaves it for the next
    step (a conflict)."""
    year.at("2026-05-27")
    seats = 0
    for expert in EXPERTS:
        year.sign_in(page, expert)
        _mine(page, year)
        expect(page.get_by_text(CODE.splitlines()[0])).to_be_visible()
        expect(page.locator(".qa-assigned")).to_have_count(0)  # nothing before signing
        if expert == EXPERTS[0]:
            year.shot(page, "32-expert-assignments")
        page.get_by_role("button", name="我已阅读并遵守工作守则，承诺公正评审、保守秘密").click()
        expect(page.get_by_text("已于")).to_be_visible()
        names = _assigned_names(page)
        assert RUNTIAN.name not in names, names  # refused: no group, no expert sees it
        seats += len(names)
        if not names:
            expect(page.get_by_text("暂无分配给您的申报。")).to_be_visible()
        _learn_ids(page, year)
        for key, public_id in list(year.notes.items()):
            if key.startswith("id:") and key[3:] not in names:  # another group's application
                assert _status(page, f"{year.base}/experts/mine/{public_id}/") == 404
                _mine(page, year)
        if "conflicted" not in year.notes and JIANGHAI.name in names:
            year.notes["conflicted"] = expert.full_name
            read = f"{year.base}/experts/mine/{year.notes[f'id:{JIANGHAI.name}']}/"
            assert _status(page, read) == 404  # not before confirming no interest
            _mine(page, year)
            for name in names:
                if name != JIANGHAI.name:
                    _assigned(page, name).get_by_role("button", name="确认不存在利害关系").click()
                    expect(page.locator(".alert-success")).to_be_visible()
            continue
        _confirm_all(page)
        expect(page.get_by_role("link", name="查阅申报材料")).to_have_count(len(names))
    # Every expert sees exactly the applications of their groups: 3 groups of 5.
    assert seats == 15, seats
    assert "conflicted" in year.notes


def expert_declares_a_conflict(page: Page, year: Year) -> None:
    """The expert learns their cousin is 长江重工's deputy general manager and declares it: the
    application is gone from their 我的评审 and its materials answer 404 (A26.1)."""
    year.at("2026-05-27", hour=15)
    expert = _by_name(year.notes["conflicted"])
    year.sign_in(page, expert)
    _mine(page, year)
    card = _assigned(page, JIANGHAI.name)
    card.locator("select[name=reason]").select_option(label="亲属在申报单位领导层")
    card.locator("input[name=note]").fill("表兄任该公司副总经理。")
    page.once("dialog", _accept)
    year.shot(page, "33-expert-conflict")
    card.get_by_role("button", name="申报回避").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(_assigned(page, JIANGHAI.name)).to_have_count(0)
    read = f"{year.base}/experts/mine/{year.notes[f'id:{JIANGHAI.name}']}/"
    assert _status(page, read) == 404


def office_fills_the_seat(page: Page, year: Year) -> None:
    """The Office sees the conflict and 长江重工's group at four; 优化分配 again keeps every
    locked member and fills the seat; the newcomer signs in and confirms no interest."""
    year.at("2026-05-28")
    year.sign_in(page, OFFICE)
    _groups_page(page, year, "material_review")
    conflicts = page.locator(".qa-conflicts")
    expect(conflicts).to_contain_text(year.notes["conflicted"])
    expect(conflicts).to_contain_text(JIANGHAI.name)
    group = _group(page, JIANGHAI.name)
    expect(group.locator(".card-header")).to_contain_text("4/5人")
    _propose(page)
    group = _group(page, JIANGHAI.name)
    expect(group.locator(".card-header")).to_contain_text("5/5人")
    expect(group.locator("tbody")).not_to_contain_text(year.notes["conflicted"])
    newcomer = group.locator("tr", has=page.get_by_role("button", name="锁定", exact=True))
    expect(newcomer).to_have_count(1)
    name = newcomer.locator("td").first.inner_text().strip()
    newcomer.get_by_role("button", name="锁定", exact=True).click()
    expect(page.locator(".alert-success")).to_be_visible()
    year.sign_in(page, _by_name(name))
    _mine(page, year)
    _assigned(page, JIANGHAI.name).get_by_role("button", name="确认不存在利害关系").click()
    expect(_assigned(page, JIANGHAI.name).get_by_role("link", name="查阅申报材料")).to_be_visible()


def office_opens_material_review(page: Page, year: Year) -> None:
    """On 材料评审's first day the Office opens scoring on the review board; the rubrics are
    fixed from then on (A9.1, A17.1)."""
    year.at("2026-06-01")
    year.sign_in(page, OFFICE)
    page.goto(f"{year.base}/review/")
    expect(page.get_by_role("heading", name="评审进度 · 2026年度")).to_be_visible()
    stage = page.locator("#stage-material_review")
    page.once("dialog", _accept)
    stage.get_by_role("button", name="开放评分").click()
    expect(page.locator(".alert-success")).to_contain_text("已开放材料评审评分")
    expect(page.locator("#stage-material_review")).to_contain_text("评分进行中")


def expert_reads_the_materials(page: Page, year: Year) -> None:
    """An expert opens an application's materials: every page carries the reader's name and
    the time (A26.1)."""
    year.at("2026-06-03")
    expert = EXPERTS[0]
    year.sign_in(page, expert)
    _mine(page, year)
    page.get_by_role("link", name="查阅申报材料").first.click()
    expect(page.locator(".qa-watermark").first).to_contain_text(expert.full_name)
    year.shot(page, "34-expert-reading")


def experts_score_the_materials(page: Page, year: Year) -> None:
    """Every expert scores every item of each assigned card and submits it; the first card is
    the manual's figure, while being filled and once submitted (A17.1)."""
    year.at("2026-06-15")
    expert = EXPERTS[0]
    year.sign_in(page, expert)
    page.get_by_role("link", name=re.compile("待提交的评分表")).click()
    href = _links(page, "材料评审评分表")[0]
    page.goto(f"{year.base}{href}")
    name = page.locator("h1").inner_text().split(" · ")[0]
    expect(page.get_by_role("heading", name=f"{name} · 材料评审评分表")).to_be_visible()
    expect(page.get_by_text("组内其他专家")).to_have_count(0)  # not before submitting
    _fill_card(page, MATERIAL[name], 0, by_hand=True)
    page.locator("details.qa-bands").first.locator("summary").click()
    year.shot(page, "35-expert-scorecard")
    _submit_card(page)
    year.shot(page, "36-expert-scorecard-submitted")
    _score_all(page, year, "材料评审", MATERIAL)


def leaders_confirm_the_material_consensus(page: Page, year: Year) -> None:
    """Every member has submitted: each group's leader reads the matrix, writes the group's
    comment and confirms the consensus (A17.1)."""
    year.at("2026-06-29")
    assert len(_confirm_consensus(page, year, "材料评审")) == 3


def office_schedules_the_site_visits(page: Page, year: Year) -> None:
    """After 材料评审 closes, the Office forms the 现场评审 groups of the two organizations, names
    leaders and the supervisor, schedules each visit inside the stage's dates and opens on-site
    scoring (A17.1, A27.1)."""
    year.at("2026-07-13")
    year.sign_in(page, OFFICE)
    page.goto(f"{year.base}/review/")
    page.locator("#stage-material_review").get_by_role("button", name="关闭评分").click()
    expect(page.locator("#stage-material_review")).to_contain_text("评分已关闭")
    _groups_page(page, year, "site_review")
    expect(page.locator(".qa-group")).to_have_count(2)  # organizations only (A10.3)
    _propose(page)
    for application in ORGANIZATIONS:
        expect(_group(page, application.name).locator(".card-header")).to_contain_text("5/5人")
        year.notes[f"site leader:{application.name}"] = _lead(page, application.name)
    page.goto(f"{year.base}/review/")
    site = page.locator("#stage-site_review")
    for application in ORGANIZATIONS:
        row = site.locator("tr", has_text=application.name)
        starts, ends = VISITS[application.name]
        row.locator("summary", has_text="安排现场评审").click()
        row.locator("input[name=starts_on]").fill(starts)
        row.locator("input[name=ends_on]").fill(ends)
        row.locator("input[name=place]").fill(f"{application.name}一号会议室")
        if application == JIANGHAI:
            year.shot(page, "38-office-site-schedule")
        row.get_by_role("button", name="保存安排").click()
        expect(page.locator(".alert-success")).to_be_visible()
        expect(page.locator("#stage-site_review tr", has_text=application.name)).to_contain_text(
            f"{starts}至{ends}"
        )
    page.once("dialog", _accept)
    page.locator("#stage-site_review").get_by_role("button", name="开放评分").click()
    expect(page.locator(".alert-success")).to_contain_text("已开放现场评审评分")


def experts_score_on_site(page: Page, year: Year) -> None:
    """On the visits' days each member confirms no interest with a newly assigned organization
    and scores every item of the site card."""
    year.at("2026-07-23")
    _score_all(page, year, "现场评审", SITE)


def leaders_record_the_site_visits(page: Page, year: Year) -> None:
    """Each site group's leader records what was verified, the interviews, the evidence and
    the issues, then confirms the on-site consensus (A17.1)."""
    year.at("2026-07-23", hour=16)
    for application in ORGANIZATIONS:
        leader = _by_name(year.notes[f"site leader:{application.name}"])
        year.sign_in(page, leader)
        _mine(page, year)
        _assigned(page, application.name).get_by_role("link", name="现场评审安排与记录").click()
        expect(page.get_by_text(f"{application.name}一号会议室")).to_be_visible()
        page.fill("#id_items_verified", "4.1 领导至4.7 结果，抽样核实23个评分条款。")
        page.fill("#id_interviews", "访谈总经理、质量部经理、生产部经理和一线班组长共12人。")
        page.fill("#id_evidence_seen", "战略规划、质量手册、管理评审记录、近三年财务报表。")
        page.fill("#id_issues_found", "部分过程绩效指标未分解到班组，缺少与标杆的对比。")
        page.get_by_role("button", name="保存现场评审记录").click()
        expect(page.get_by_text("现场评审记录已保存。")).to_be_visible()
        if application == HENGYUAN:
            year.shot(page, "39-leader-site-record")
    assert len(_confirm_consensus(page, year, "现场评审")) == 2


def supervisor_files_the_reports(page: Page, year: Year) -> None:
    """The supervisor finds the reports due on the workbench and files one per visit on the
    conduct of the group and of the applicant (A27.1)."""
    year.at("2026-07-24")
    year.sign_in(page, SUPERVISOR)
    for n, _ in enumerate(ORGANIZATIONS):
        page.get_by_role("link", name=re.compile("待提交的现场评审监督报告")).click()
        expect(
            page.get_by_text("访谈总经理、质量部经理、生产部经理和一线班组长共12人。")
        ).to_be_visible()
        page.fill("#id_group_conduct", "专家组按计划开展现场评审，遵守工作守则，未发现违纪行为。")
        page.fill("#id_applicant_conduct", "申报单位积极配合，未安排宴请，未赠送礼品。")
        if n == 0:
            year.shot(page, "40-supervisor-site-report")
        page.get_by_role("button", name="提交监督报告").click()
        expect(page.get_by_text("监督报告已提交。")).to_be_visible()
        page.goto(f"{year.base}/accounts/me/")


def applicant_rates_the_group(page: Page, year: Year) -> None:
    """示例机械 rates the site group's work quality and integrity; only the Office and the
    supervisors read it (A28.1)."""
    year.at("2026-07-27")
    year.sign_in(page, HENGYUAN.login)
    page.get_by_role("link", name=re.compile("待评价的现场评审专家组")).click()
    expect(page.get_by_role("heading", name="评价现场评审专家组")).to_be_visible()
    expect(page.get_by_text("仅委员会办公室和评审监督员可以查看")).to_be_visible()
    page.locator("input[name=work_quality][value='5']").check()
    page.locator("input[name=integrity][value='5']").check()
    page.fill("#id_comments", "专家组工作细致，提出的改进建议切中要害，廉洁自律。")
    year.shot(page, "41-applicant-feedback")
    page.once("dialog", _accept)
    page.get_by_role("button", name="提交评价").click()
    expect(page.get_by_text("已提交的评价")).to_be_visible()


def leader_rates_the_applicant(page: Page, year: Year) -> None:
    """The leader of 示例机械's site group rates its discipline (A28.1)."""
    leader = _by_name(year.notes[f"site leader:{HENGYUAN.name}"])
    year.sign_in(page, leader)
    _mine(page, year)
    _assigned(page, HENGYUAN.name).get_by_role("link", name="现场评审安排与记录").click()
    page.get_by_role("link", name="评价申报单位").click()
    expect(page.get_by_role("heading", name="评价申报单位")).to_be_visible()
    page.locator("input[name=discipline][value='5']").check()
    page.fill("#id_comments", "资料准备充分，遵守评审纪律。")
    year.shot(page, "42-expert-feedback")
    page.once("dialog", _accept)
    page.get_by_role("button", name="提交评价").click()
    expect(page.get_by_text("已提交的评价")).to_be_visible()


def office_reads_the_board(page: Page, year: Year) -> None:
    """At the end of 现场评审 the Office closes on-site scoring; the board shows every group's
    cards, consensus, visit, record and report."""
    year.at("2026-09-11", hour=17)
    year.sign_in(page, OFFICE)
    page.goto(f"{year.base}/review/")
    page.locator("#stage-site_review").get_by_role("button", name="关闭评分").click()
    site = page.locator("#stage-site_review")
    expect(site).to_contain_text("评分已关闭")
    expect(site.locator("text=监督报告：已提交")).to_have_count(2)
    expect(page.locator(".qa-review-board .badge", has_text="已确认")).to_have_count(5)
    year.shot(page, "43-office-review-board")


def office_evaluates(page: Page, year: Year) -> None:
    """In 综合评价 the Office runs the evaluation (30% material + 70% on site for organizations),
    reads the ranking with the rater analytics and downloads the 综合评价报告 (A10, A18.1)."""
    year.at("2026-09-15")
    year.sign_in(page, OFFICE)
    page.goto(f"{year.base}/review/")
    page.get_by_role("button", name="综合评价").click()
    expect(page.get_by_role("heading", name="2026年度综合评价排名")).to_be_visible()
    expect(page.locator(".alert-success")).to_contain_text("已完成综合评价：3项申报")
    ranking = page.locator(".qa-ranking")
    expect(ranking.first).to_contain_text(HENGYUAN.name)
    expect(ranking.first).to_contain_text(JIANGHAI.name)
    expect(ranking.nth(1)).to_contain_text(GU.name)
    for chart in ("#chart-deviation", "#chart-agreement", "#chart-dispersion"):
        expect(page.locator(f"{chart} svg")).to_be_visible()
    year.shot(page, "44-office-ranking")
    with page.expect_download() as info:
        page.get_by_role("link", name="下载综合评价报告（Word）").click()
    download = info.value
    assert download.suggested_filename.endswith(".docx"), download.suggested_filename
    path = download.path()
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as docx:
        assert "word/document.xml" in docx.namelist()
        assert "综合评价" in docx.read("word/document.xml").decode()


STEPS = [
    office_sets_the_code_of_conduct,
    office_forms_the_groups,
    experts_sign_and_confirm,
    expert_declares_a_conflict,
    office_fills_the_seat,
    office_opens_material_review,
    expert_reads_the_materials,
    experts_score_the_materials,
    leaders_confirm_the_material_consensus,
    office_schedules_the_site_visits,
    experts_score_on_site,
    leaders_record_the_site_visits,
    supervisor_files_the_reports,
    applicant_rates_the_group,
    leader_rates_the_applicant,
    office_reads_the_board,
    office_evaluates,
]
