"""Browser tests: a real Chromium (Debian's, never a downloaded one) against `live_server`.

Playwright's sync API runs an event loop in the main thread, which makes Django refuse ORM
calls from it ("SynchronousOnlyOperation"); the fixtures here touch the database only before
the browser acts, so the check is relaxed for this package.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--lang=zh-CN",  # the native widgets (file inputs) speak Chinese, as on users' machines
]
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
RESULTS = Path(__file__).resolve().parents[2] / "test-results" / "e2e"

OFFICE_USERNAME = "office"
OFFICE_PASSWORD = "Heron#Lantern26"


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is not installed: run make test (it installs Debian chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


# An expectation waits for the state as long as an action may (15 s, the context's default
# below), not Playwright's 5 s: on a loaded CI machine a scorecard's autosave round trip took
# longer than 5 s once (test_review, consensus). The waits are on states, never on a clock.
expect.set_options(timeout=15_000)


@pytest.fixture
def e2e_page(chromium_browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) at desktop width, in zh-CN."""
    context = chromium_browser.new_context(viewport=DESKTOP, locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def both_widths(page: Page, directory: Path, name: str) -> None:
    """Save the full page at phone and desktop widths (<name>-phone.png, <name>-desktop.png),
    checking that it does not scroll sideways at either; the page is left at desktop width."""
    directory.mkdir(parents=True, exist_ok=True)
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        page.screenshot(path=directory / f"{name}-{label}.png", full_page=True)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name}: {overflow}px of horizontal overflow at {label} width"


@pytest.fixture
def screenshot() -> Callable[[Page, str], None]:
    """`screenshot(page, name)`: `both_widths` under test-results/e2e/."""
    return lambda page, name: both_widths(page, RESULTS, name)


@pytest.fixture
def office_site(transactional_db: None) -> dict[str, str]:
    """The Rugao program with its 2021 policy, the recommending units and one Office clerk,
    made through the services (so the audit chain is real). No cycle yet."""
    from accounts.models import Role
    from accounts.services import create_user, grant_role
    from programs.demo import seed_program, seed_units

    seed_program()
    seed_units()
    office = create_user(
        actor=None,
        actor_role="system",
        username=OFFICE_USERNAME,
        password=OFFICE_PASSWORD,
        full_name="陈静",
        email="office@e2e.rugao.example",
    )
    grant_role(actor=None, actor_role="system", user=office, role=Role.OFFICE, reason="e2e")
    return {"username": OFFICE_USERNAME, "password": OFFICE_PASSWORD}


def sign_in(page: Page, base: str, username: str, password: str) -> None:
    """Sign in through the login page; the workbench greets every role."""
    page.goto(f"{base}/accounts/login/")
    log_in(page, username, password)
    expect(page.get_by_role("heading", name="我的工作台")).to_be_visible()


def log_in(page: Page, username: str, password: str) -> None:
    """On the login page: the password, then for staff (and whoever enrolled) the current
    code of their TOTP device on the verify page (accounts.two_factor), computed right before
    it is typed. A staff member without a device gets one with the tests' key first."""
    from accounts.models import User
    from tests.conftest import needs_otp, otp_code, otp_device

    user = User.objects.filter(username=username).first()
    second = user is not None and needs_otp(user)
    if second:
        otp_device(user)  # type: ignore[arg-type]  # checked above
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="登录").click()
    if second:
        expect(page.get_by_role("heading", name="两步验证")).to_be_visible()
        page.fill("#id_otp", otp_code(user))  # type: ignore[arg-type]
        page.get_by_role("button", name="验证", exact=True).click()


def sign_out(page: Page) -> None:
    page.get_by_role("navigation", name="主导航").get_by_role("button", name="退出").click()
    expect(page.get_by_role("link", name="登录")).to_be_visible()
