"""A second program's public site in Chromium (issue 18; programs/site.py): 示例市's home under
/shili/, at desktop and phone widths, shows its own name, office, timeline and call, and its
links keep the visitor under /shili/."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.programs.test_public_site import World, world

__all__ = ["world"]  # fixture


def test_the_second_programs_home_and_notice(
    world: World, live_server: object, e2e_page: Page, screenshot: Callable[[Page, str], None]
) -> None:
    page = e2e_page
    page.goto(f"{live_server}/shili/")
    expect(page.get_by_role("heading", name="示例市市长质量奖", exact=True)).to_be_visible()
    expect(page.locator("footer")).to_contain_text("示例市质量发展委员会办公室")
    expect(page.get_by_text(world.shili_call.title)).to_be_visible()
    screenshot(page, "public-site-shili-home")
    page.get_by_role("link", name="拟奖名单公示").click()
    expect(page).to_have_url(f"{live_server}/shili/notices/")
    page.get_by_role("link", name="示例市2025年度市长质量奖拟奖名单公示").click()
    expect(page).to_have_url(f"{live_server}/shili/notices/2025/")
    screenshot(page, "public-site-shili-notice")
    page.get_by_role("link", name="首页").first.click()
    expect(page).to_have_url(f"{live_server}/shili/")
