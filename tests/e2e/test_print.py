"""Printing a page in Chromium (issue 16): the 打印 button opens the print dialog (its handler is
in app.js: the CSP forbids inline ones), and the print stylesheet leaves out the navigation,
the footer, the buttons and the forms, on A4."""

from __future__ import annotations

import io
from typing import Any

import pypdfium2 as pdfium
from playwright.sync_api import Page, expect

from tests.decision.conftest import Decided, decided
from tests.e2e.test_public_decision import _publish
from tests.intake.conftest import in_window, open_cycle

__all__ = ["decided", "in_window", "open_cycle"]  # fixtures

TITLE = "如皋市2026年度市长质量奖拟奖名单公示"


def test_the_public_notice_prints_as_a_plain_a4_page(
    live_server: Any, e2e_page: Page, decided: Decided, time_machine: Any
) -> None:
    _publish(decided, time_machine)
    page = e2e_page
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    # The print dialog cannot be answered in a test: count the calls instead.
    page.add_init_script(
        "window.__printed = 0; window.print = function () { window.__printed++; };"
    )
    page.goto(f"{live_server.url}/notices/2026/")
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    page.get_by_role("button", name="打印").click()
    assert page.evaluate("window.__printed") == 1
    assert not errors, errors  # no CSP violation

    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="主导航")).to_be_hidden()
    expect(page.get_by_role("button", name="打印")).to_be_hidden()
    expect(page.get_by_role("link", name="在线提出异议")).to_be_hidden()
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()

    document = pdfium.PdfDocument(io.BytesIO(page.pdf(format="A4", prefer_css_page_size=True)))
    width, height = document[0].get_size()
    assert (round(width), round(height)) == (595, 842)  # A4 portrait
    text = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    assert TITLE in text.replace("\r\n", "")
    for left_out in ("评审管理系统", "登录", "评审不收取任何费用", "打印"):
        assert left_out not in text, left_out
    assert decided.organizations[0].applicant_name in text.replace("\r\n", "")
