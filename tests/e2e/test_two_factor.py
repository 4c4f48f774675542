"""A staff member binds an authenticator at first sign-in and signs in with it afterwards
(issue 15 part 1, accounts.two_factor): the secret is read from the page, as an app would."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_out


def _code(secret: str, ahead: int = 0) -> str:
    """What an authenticator app shows for `secret` (base32, as on the page), `ahead` steps on."""
    totp = TOTP(base64.b32decode(secret.replace(" ", "")))
    totp.time = time.time() + 30 * ahead
    return f"{totp.token():06d}"


@pytest.mark.req("A3.1")
def test_staff_enrol_a_totp_device_and_sign_in_with_it(
    office_site: dict[str, str],
    live_server,  # type: ignore[no-untyped-def]
    e2e_page: Page,
    screenshot: Callable[[Page, str], None],
) -> None:
    page = e2e_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", office_site["username"])
    page.fill("#id_password", office_site["password"])
    page.get_by_role("button", name="登录").click()

    # First sign-in: the enrolment page, nothing else.
    expect(page.get_by_role("heading", name="绑定动态口令")).to_be_visible()
    expect(page.get_by_text(f"如皋市市长质量奖:{office_site['username']}")).to_be_visible()
    expect(page.get_by_role("img", name="绑定验证器的二维码")).to_be_visible()
    screenshot(page, "two-factor-enrol")
    page.goto(f"{live_server.url}{reverse('programs:cycle_list')}")
    expect(page.get_by_role("heading", name="绑定动态口令")).to_be_visible()
    secret = page.locator("#otp-secret").inner_text()
    page.fill("#id_otp", _code(secret))
    page.get_by_role("button", name="完成绑定").click()

    # The recovery codes, once; then the page asked for first.
    expect(page.get_by_role("heading", name="您的恢复码")).to_be_visible()
    expect(page.locator(".qa-recovery-codes li")).to_have_count(10)
    screenshot(page, "two-factor-recovery")
    page.get_by_role("link", name="我已保存，继续").click()
    expect(page.get_by_role("heading", name="年度管理")).to_be_visible()
    sign_out(page)

    # Second visit: the password, then the code of the app.
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", office_site["username"])
    page.fill("#id_password", office_site["password"])
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="两步验证")).to_be_visible()
    screenshot(page, "two-factor-verify")
    page.fill("#id_otp", "000000" if _code(secret) != "000000" else "111111")
    page.get_by_role("button", name="验证", exact=True).click()
    expect(page.get_by_text("验证码不正确")).to_be_visible()
    time.sleep(2)  # a wrong code locks the device for a second
    # The enrolment used this 30-second step's code: an app shows the next one soon after.
    page.fill("#id_otp", _code(secret, ahead=1))
    page.get_by_role("button", name="验证", exact=True).click()
    expect(page.get_by_role("heading", name="我的工作台")).to_be_visible()
