"""The error pages in Chromium (issue 16 part 7): 404, 403, 500 and the CSRF failure in
Chinese, in the site's layout, with the way back and a reference number; screenshots of each
at desktop and phone widths under test-results/e2e/errors-*.png."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.template import engines
from playwright.sync_api import Page, expect

from accounts.models import Role
from tests.conftest import PASSWORD
from tests.e2e.conftest import RESULTS, both_widths, sign_in

REFERENCE = re.compile(r"^\d{10}-[0-9A-Z]{4}-[0-9A-Z]{4}$")  # the request id (issue 17)


def _error_page(page: Page, title: str, status: int) -> str:
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator("main")).to_contain_text(f"错误代码 {status}")
    expect(
        page.get_by_role("navigation", name="返回").get_by_role("link", name="返回首页")
    ).to_be_visible()
    reference = page.locator(".qa-error-reference").inner_text()
    assert REFERENCE.match(reference), reference
    expect(page.locator("main")).not_to_contain_text("Not Found")
    expect(page.locator("main")).not_to_contain_text("Forbidden")
    return reference


@pytest.mark.usefixtures("program")
def test_not_found_and_forbidden_in_the_browser(
    live_server: Any, e2e_page: Page, make_user: Any
) -> None:
    page, base = e2e_page, live_server.url
    response = page.goto(f"{base}/applications/no-such-page/", referer=f"{base}/help/")
    assert response is not None
    assert response.status == 404
    reference = _error_page(page, "页面不存在", 404)
    assert response.headers["x-reference"] == reference
    both_widths(page, RESULTS, "errors-404")
    page.get_by_role("link", name="返回上一页").click()
    expect(page).to_have_url(f"{base}/help/")

    user = make_user(Role.INDIVIDUAL, username="e2e_person")
    sign_in(page, base, user.username, PASSWORD)
    response = page.goto(f"{base}/office/cycles/")
    assert response is not None
    assert response.status == 403
    _error_page(page, "无权访问", 403)
    both_widths(page, RESULTS, "errors-403")
    page.get_by_role("link", name="进入我的工作台").click()
    expect(page.get_by_role("heading", name="我的工作台")).to_be_visible()


@pytest.mark.usefixtures("program")
def test_a_server_error_in_the_browser(live_server: Any, e2e_page: Page, settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.test_error_pages"  # the site, plus a view that fails
    page, base = e2e_page, live_server.url
    response = page.goto(f"{base}/test-errors/boom/")
    assert response is not None
    assert response.status == 500
    _error_page(page, "系统出错", 500)
    expect(page.locator("main")).not_to_contain_text("simulated failure")
    both_widths(page, RESULTS, "errors-500")


@pytest.mark.usefixtures("program")
def test_the_500_page_without_its_layout_in_the_browser(
    live_server: Any, e2e_page: Page, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database down: the context processors fail, the self-contained page is served."""

    def broken(request: Any) -> dict[str, Any]:
        raise RuntimeError("database unavailable")

    settings.ROOT_URLCONF = "tests.test_error_pages"
    engine = engines["django"].engine  # type: ignore[attr-defined]
    monkeypatch.setattr(engine, "template_context_processors", (broken,))
    page, base = e2e_page, live_server.url
    response = page.goto(f"{base}/test-errors/boom/")
    assert response is not None
    assert response.status == 500
    _error_page(page, "系统出错", 500)
    expect(page.get_by_role("link", name="登录")).to_have_count(0)  # no user, no navigation
    both_widths(page, RESULTS, "errors-500-plain")


@pytest.mark.usefixtures("program")
def test_a_stale_form_is_the_csrf_page_in_the_browser(live_server: Any, e2e_page: Page) -> None:
    page, base = e2e_page, live_server.url
    page.goto(f"{base}/accounts/login/")
    page.context.clear_cookies()  # the session and its token gone, the page still open
    page.fill("#id_username", "someone")
    page.fill("#id_password", "whatever")
    page.get_by_role("button", name="登录").click()
    _error_page(page, "页面已失效", 403)
    both_widths(page, RESULTS, "errors-csrf")
    page.get_by_role("link", name="返回上一页").click()
    expect(page).to_have_url(f"{base}/accounts/login/")
