"""Every role signs in through the login page and opens each page its navigation offers.

Screenshots at desktop and phone widths land in test-results/e2e/pages-<role>-<n>-*.png for a
person to look at; the test itself checks each page answers, shows its heading and does not
scroll sideways on a phone.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Role
from accounts.services import create_user, grant_role
from programs import demo
from tests.e2e.conftest import log_in

PASSWORD = "Pages#2026ok"
ROLES = [Role.OFFICE, Role.SECADMIN, Role.AUDITADMIN, Role.SUPERVISOR, Role.SYSADMIN, Role.EXPERT]


@pytest.fixture
def demo_world(transactional_db: None) -> None:
    """The demo as `make run` shows it, plus one signed-up user per role to walk with."""
    demo.seed()
    for role in ROLES:
        user = create_user(
            actor=None, actor_role="system", username=f"walk_{role.value}", password=PASSWORD
        )
        grant_role(actor=None, actor_role="system", user=user, role=role, reason="e2e")


@pytest.mark.e2e
@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_each_role_walks_its_navigation(
    demo_world: None,
    live_server,
    e2e_page: Page,
    screenshot: Callable[[Page, str], None],
    role: Role,
) -> None:  # type: ignore[no-untyped-def]
    page = e2e_page
    page.goto(f"{live_server.url}/accounts/login/")
    log_in(page, f"walk_{role.value}", PASSWORD)
    expect(page.get_by_role("heading", name="我的工作台")).to_be_visible()
    # Every link, in menus too (the Office's 专家 and 设置 menus).
    links = page.locator("#nav a.nav-link, #nav a.dropdown-item")
    targets = [
        ((links.nth(i).text_content() or "").strip(), links.nth(i).get_attribute("href"))
        for i in range(links.count())
    ]
    assert targets[:2] == [("首页", "/"), ("我的工作台", "/accounts/me/")]
    for n, (label, href) in enumerate(targets):
        response = page.goto(f"{live_server.url}{href}")
        assert response is not None
        assert response.status == 200, f"{role}: {label} {href}"
        expect(page.locator("main h1").first).to_be_visible()
        screenshot(page, f"pages-{role.value}-{n}")
