"""The 参考编号 joins an error page and the audit trail (issue 17 part 4; decision 0028): an
expert opening a page they may not open reads the number on the error page; a supervisor types
it into the trail's filter and finds the refusal, the number shown with the event; at desktop
and phone widths without sideways scrolling."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_in, sign_out


@pytest.mark.req("A27.1", "I17.4")
def test_a_supervisor_finds_the_event_of_an_error_page_by_its_reference(
    transactional_db: None,
    live_server: object,
    e2e_page: Page,
    screenshot: Callable[[Page, str], None],
) -> None:
    from programs.demo import DEMO_PASSWORD

    call_command("seed_demo")
    base = str(live_server)
    page = e2e_page
    sign_in(page, base, "expert", DEMO_PASSWORD)
    page.goto(f"{base}/audit/")
    reference = page.locator(".qa-error-reference").inner_text().strip()
    assert reference
    sign_out(page)

    sign_in(page, base, "supervisor", DEMO_PASSWORD)
    page.goto(f"{base}/audit/")
    page.get_by_label("参考编号").fill(reference.lower())
    page.get_by_role("button", name="筛选").click()
    rows = page.locator("table.qa-audit tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("访问：被拒绝（无权限）")
    expect(rows.first.locator(".qa-request-id")).to_contain_text(reference)
    screenshot(page, "audit-trail-by-reference")
    # The number with the event is a link to every event of that request.
    rows.first.locator(".qa-request-id a").click()
    expect(page.get_by_label("参考编号")).to_have_value(reference)
    expect(rows).to_have_count(1)
