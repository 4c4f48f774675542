"""The supervision pages in Chromium at 1280 and 390 px: the Office's cases, a case file with the
decision form, the sanctions, the winner's award page and the public credit list; the Office
decides a revocation through the confirmation dialog."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Dialog, Page, expect

from decision.models import Certificate
from tests.conftest import client_for
from tests.decision.conftest import CST, Decided, announced, decided, in_window, open_cycle

__all__ = ["decided", "in_window", "open_cycle"]


def _sign_in_as(page: Page, base: str, user: Any) -> None:
    """The browser takes the session of a test client signed in as `user`."""
    client = client_for(user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}]
    )


def test_the_supervision_pages_at_both_widths(
    decided: Decided,
    time_machine: Any,
    make_user: Any,
    live_server: Any,
    e2e_page: Page,
    screenshot: Callable[[Page, str], None],
) -> None:
    from accounts.models import Role
    from intake.models import AwardRecord
    from supervision import services

    announced(decided, time_machine)
    award = AwardRecord.objects.get(application=decided.organizations[0])
    other = AwardRecord.objects.get(application=decided.organizations[1])
    contact = make_user(Role.APPLICANT, username="e2e_winner", organization=other.organization)
    time_machine.move_to(dt.datetime(2027, 1, 20, 10, tzinfo=CST), tick=False)
    services.report_violation(
        actor=contact,
        award=other,
        what_happened="2026年12月产品监督抽查不合格，已整改。",
        confirmed_on=dt.date(2026, 12, 12),
        evidence="抽查结果通知书（皋市监抽〔2026〕88号）",
    )
    time_machine.move_to(dt.datetime(2027, 2, 1, 10, tzinfo=CST), tick=False)
    case = services.open_case(
        actor=decided.office,
        award=award,
        source="spot_check",
        what_happened="监督抽查发现产品不合格，企业未在30日内书面报告。",
        confirmed_on=dt.date(2026, 12, 12),
        evidence="抽查报告",
    )
    services.report_to_committee(actor=decided.office, case=case, findings="经核查情况属实。")
    services.sanction_fraud(
        actor=decided.office,
        application=decided.organizations[3],
        kinds=["warning", "credit", "ban"],
        reason="申报材料中的检测报告系伪造。",
        decided_on=dt.date(2027, 2, 1),
        decision_ref="如皋市质量发展委员会2027年第1次会议",
    )
    base = live_server.url
    page = e2e_page

    _sign_in_as(page, base, decided.office)
    page.goto(f"{base}/supervision/cases/")
    expect(page.get_by_text("未按规定报告").first).to_be_visible()
    screenshot(page, "supervision-cases")
    page.goto(f"{base}/supervision/cases/new/")
    screenshot(page, "supervision-case-new")
    page.goto(f"{base}/supervision/sanctions/")
    page.locator("summary").first.click()
    screenshot(page, "supervision-sanctions")
    page.goto(f"{base}/supervision/cases/{case.public_id}/")
    screenshot(page, "supervision-case")
    page.get_by_label("撤销称号").check()
    page.get_by_label("委员会决定或政府文号").fill("皋政发〔2027〕12号")
    messages: list[str] = []

    def accept(dialog: Dialog) -> None:
        messages.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.get_by_role("button", name="记录决定").click()
    expect(page.get_by_text("证书已撤销").first).to_be_visible()
    assert "撤销公告" in messages[0]
    screenshot(page, "supervision-case-decided")

    _sign_in_as(page, base, contact)
    page.goto(f"{base}/supervision/my-award/")
    page.locator("summary").first.click()
    expect(page.get_by_text("可再次申报")).to_be_visible()
    screenshot(page, "supervision-my-award")

    page.context.clear_cookies()
    # Anyone verifying the revoked title's certificate is told so (A23.2, A25.1).
    number = Certificate.objects.get(award=case.award).number
    page.goto(f"{base}/verify/{number}/")
    expect(page.get_by_text("已撤销").first).to_be_visible()
    screenshot(page, "supervision-verify-revoked")
    page.goto(f"{base}/credit-list/")
    expect(page.get_by_text("申报材料中的检测报告系伪造").first).to_be_visible()
    screenshot(page, "supervision-credit-list")
