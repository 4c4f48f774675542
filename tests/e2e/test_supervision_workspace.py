"""The discipline supervisors' workspace in Chromium over the demo data: the overview, a cycle,
an expert's record and the notes, at desktop and phone widths without sideways scrolling; a
note filed through the page appears at the top of the list."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_in


@pytest.mark.req("A27.1")
def test_a_supervisor_reads_the_workspace_and_files_a_note(
    transactional_db: None,
    live_server: object,
    e2e_page: Page,
    screenshot: Callable[[Page, str], None],
) -> None:
    from experts.models import Assignment
    from programs.demo import DEMO_PASSWORD
    from programs.models import Cycle

    call_command("seed_demo")
    cycle = Cycle.objects.order_by("-year").first()
    assert cycle is not None
    expert = Assignment.objects.filter(group__application__cycle=cycle).first()
    assert expert is not None
    base = str(live_server)
    page = e2e_page
    sign_in(page, base, "supervisor", DEMO_PASSWORD)

    page.goto(f"{base}/supervision/")
    expect(page.get_by_role("heading", name="纪律监督工作台")).to_be_visible()
    screenshot(page, "supervision-overview")

    page.goto(f"{base}/supervision/cycles/{cycle.pk}/")
    expect(page.get_by_role("heading", name=f"{cycle.year}年度评审情况")).to_be_visible()
    screenshot(page, "supervision-cycle")

    page.goto(f"{base}/supervision/experts/{expert.expert.public_id}/")
    expect(page.get_by_role("heading", name="参与评审")).to_be_visible()
    screenshot(page, "supervision-expert")

    page.goto(f"{base}/supervision/notes/")
    page.get_by_label("记录内容").fill("现场评审组按时到场，纪律良好。")
    page.get_by_role("button", name="保存记录").click()
    expect(page.get_by_text("监督记录已保存。")).to_be_visible()
    expect(page.locator(".qa-sv-notes li").first).to_contain_text("现场评审组按时到场")
    screenshot(page, "supervision-notes")
