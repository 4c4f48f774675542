"""Issue 16 parts 1 and 2 in the browser: a draft with one bad field keeps the others after a
reload (the bad one as typed, with its reason beside it), leaving with unsaved typing warns,
and an upload's answer (a refusal, the size checked before sending, the same file's question)
appears beside its box, in the viewport."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Dialog, Locator, Page, expect

from lib import uscc
from tests.e2e.conftest import DESKTOP, PHONE, RESULTS, sign_in
from tests.e2e.test_intake import open_call  # noqa: F401  # the fixture

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SHOTS = RESULTS / "drafts"
USER = {"username": "draft_org", "password": "Quality#Drf26"}


def _shots(
    page: Page, name: str, focus: Locator, widths: tuple[str, ...] = ("phone", "desktop")
) -> None:
    """What the person sees (the viewport, not the whole page) with `focus` in it, at the
    given widths; the page must not scroll sideways at any. Left at the last width."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label in widths:
        page.set_viewport_size(PHONE if label == "phone" else DESKTOP)
        focus.evaluate("el => el.scrollIntoView({block: 'center'})")
        page.wait_for_timeout(200)
        page.screenshot(path=SHOTS / f"{name}-{label}.png")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name}: {overflow}px of horizontal overflow at {label} width"


@pytest.fixture(autouse=True)
def no_script_errors(e2e_page: Page) -> Iterator[None]:
    """No script error and no CSP violation on the page while the test runs."""
    errors: list[str] = []
    e2e_page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield
    assert [e for e in errors if "Failed to load resource" not in e] == []


@pytest.fixture
def draft_url(open_call: None, live_server: Any) -> str:  # noqa: F811
    from accounts.models import RecommendingUnit
    from accounts.registration import register_organization
    from intake import services
    from programs.models import Cycle
    from tests.intake.conftest import complete_form

    body = "91320682MA1DRF001"
    org, contact = register_organization(
        uscc_code=body + uscc.check_character(body),
        name="如皋搬经示例纺织有限公司",
        recommending_unit=RecommendingUnit.objects.get(name="白蒲镇"),
        username=USER["username"],
        password=USER["password"],
        contact_name="周九",
        established_on=dt.date(2009, 1, 1),
        chief_quality_officer="吴十",
    )
    application = services.start_application(
        actor=contact, cycle=Cycle.objects.get(), organization=org
    )
    services.save_draft(actor=contact, application=application, data=complete_form())
    return f"{live_server.url}/applications/{application.public_id}/edit/"


@pytest.mark.req("A15.2")
def test_a_bad_field_keeps_the_others_and_leaving_unsaved_warns(
    e2e_page: Page, live_server: Any, draft_url: str
) -> None:
    page = e2e_page
    sign_in(page, live_server.url, USER["username"], USER["password"])
    page.goto(draft_url)
    long_text = "以顾客为关注焦点，持续改进质量管理体系。" * 120  # 2,400 characters

    # One bad number and a long text, then autosave.
    page.locator("#f-employees").fill("-5")
    page.locator("#f-self_evaluation-4-1-2-text").fill(long_text)
    page.locator("#f-contact_name").click()  # leaves the textarea: its change event
    status = page.locator("#autosave")
    expect(status).to_contain_text("已自动保存", timeout=10_000)
    expect(status).to_contain_text("1处填写有误")
    # The reason beside the field, not only in the status line.
    employees = page.locator("#f-employees")
    expect(employees).to_have_class(_has_class("is-invalid"))
    expect(page.locator("#f-employees-err")).to_have_text("不能小于0")
    _shots(page, "draft-invalid-field", employees)

    # After a reload: the text kept, −5 as typed with its reason.
    page.reload()
    expect(page.locator("#f-self_evaluation-4-1-2-text")).to_have_value(long_text)
    expect(page.locator("#f-employees")).to_have_value("-5")
    expect(page.locator("#f-employees-err")).to_have_text("不能小于0")
    expect(page.locator("#draft-invalid")).to_contain_text("从业人数：不能小于0")

    # Put right: the reason goes away without a reload.
    page.locator("#f-employees").fill("320")
    page.locator("#f-contact_name").click()
    expect(status).to_contain_text("已自动保存", timeout=10_000)
    expect(page.locator("#f-employees-err")).to_have_count(0)
    expect(page.locator("#f-employees")).not_to_have_class(_has_class("is-invalid"))

    # Typing, then leaving before it is saved: the browser asks first.
    dialogs: list[str] = []

    def stay(dialog: Dialog) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", stay)
    page.locator("#f-summary").press_sequentially("补充")
    page.get_by_role("link", name="我的申报").first.click()
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    expect(page).to_have_url(draft_url)


def _has_class(name: str) -> Any:
    import re

    return re.compile(rf"(^|\s){re.escape(name)}(\s|$)")


@pytest.mark.req("A15.2")
@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_an_upload_answers_beside_its_box_in_the_viewport(
    e2e_page: Page,
    live_server: Any,
    draft_url: str,
    monkeypatch: pytest.MonkeyPatch,
    width: str,
) -> None:
    from intake import services

    monkeypatch.setattr(services, "MAX_ATTACHMENT_BYTES", 1024 * 1024)  # 1 MB for the test
    page = e2e_page
    page.set_viewport_size(PHONE if width == "phone" else DESKTOP)
    sign_in(page, live_server.url, USER["username"], USER["password"])
    page.goto(draft_url + "#attachments")
    # A full-page screenshot leaves style="" on the inputs; htmx must not copy it back (CSP).
    page.screenshot(path=SHOTS / f"upload-before-{width}.png", full_page=True)
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if "/attachments/" in r.url else None)
    box = page.locator("#att-general")
    upload = box.locator("form.qa-upload")

    # A renamed executable: refused, the reason in the box, on screen.
    upload.locator('input[type="file"]').set_input_files(
        {"name": "营业执照.pdf", "mimeType": "application/pdf", "buffer": b"MZ" + b"\0" * 64}
    )
    upload.get_by_role("button", name="上传").click()
    notice = page.locator("#att-general-notice .alert")
    expect(notice).to_contain_text("这是可执行程序")
    expect(notice).to_be_in_viewport()
    _shots(page, "upload-refused", notice, (width,))

    # Too large: refused by the browser before sending, with the server's words.
    page.locator("#att-general form.qa-upload input[type=file]").set_input_files(
        {
            "name": "扫描件.pdf",
            "mimeType": "application/pdf",
            "buffer": PDF + bytes(2 * 1024 * 1024),
        }
    )
    before = len(sent)
    page.locator("#att-general form.qa-upload").get_by_role("button", name="上传").click()
    expect(notice).to_contain_text("文件“扫描件.pdf”大小为2.0 MB，超过上限1 MB，未上传。")
    expect(notice).to_be_in_viewport()
    assert len(sent) == before  # nothing was sent

    # A file, then the same file again: the question, and 仍要上传 stores it.
    for _ in range(2):
        form = page.locator("#att-general form.qa-upload")
        form.locator('input[type="file"]').set_input_files(
            {"name": "营业执照.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
        form.get_by_role("button", name="上传").click()
        expect(notice).to_contain_text(
            "已上传“营业执照.pdf”" if _ == 0 else "已上传过相同文件“营业执照.pdf”"
        )
    expect(notice).to_be_in_viewport()
    _shots(page, "upload-same-file", notice, (width,))
    page.locator("#att-general").get_by_role("button", name="仍要上传").click()
    expect(notice).to_contain_text("已上传“营业执照.pdf”。")
    expect(page.locator("#att-general").get_by_role("link", name="营业执照.pdf")).to_have_count(2)


def test_a_large_upload_shows_its_progress(
    e2e_page: Page, live_server: Any, draft_url: str
) -> None:
    page = e2e_page
    sign_in(page, live_server.url, USER["username"], USER["password"])
    page.goto(draft_url + "#attachments")
    # A slow line (256 KB/s up), so the progress is seen while a 1.5 MB file goes.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 20,
            "downloadThroughput": -1,
            "uploadThroughput": 256 * 1024,
        },
    )
    form = page.locator("#att-self form.qa-upload")
    form.locator('input[type="file"]').set_input_files(
        {"name": "自评报告.pdf", "mimeType": "application/pdf", "buffer": PDF + bytes(1536 * 1024)}
    )
    form.get_by_role("button", name="上传").click()
    bar = form.get_by_role("progressbar")
    expect(bar).to_be_visible()
    expect(bar).not_to_have_attribute("aria-valuenow", "0", timeout=10_000)
    expect(page.locator("#att-self-notice .alert")).to_contain_text(
        "已上传“自评报告.pdf”。", timeout=20_000
    )


def test_without_javascript_the_refusal_is_shown_at_the_box(
    chromium_browser: Browser, live_server: Any, draft_url: str
) -> None:
    """No script: the plain form post answers the page itself, the message in the box, and
    the form's anchor brings the box into view."""
    context = chromium_browser.new_context(
        viewport=DESKTOP, locale="zh-CN", java_script_enabled=False
    )
    page = context.new_page()
    try:
        sign_in(page, live_server.url, USER["username"], USER["password"])
        page.goto(draft_url)
        form = page.locator("#att-records form.qa-upload")
        form.locator('input[type="file"]').set_input_files(
            {"name": "记录.pdf", "mimeType": "application/pdf", "buffer": b"MZ" + b"\0" * 64}
        )
        form.get_by_role("button", name="上传").click()
        notice = page.locator("#att-records-notice .alert")
        expect(notice).to_contain_text("文件“记录.pdf”不能上传：这是可执行程序")
        expect(notice).to_be_in_viewport()
        _shots(page, "upload-refused-nojs", notice, ("desktop",))
        form = page.locator("#att-records form.qa-upload")
        form.locator('input[type="file"]').set_input_files(
            {"name": "记录.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
        form.get_by_role("button", name="上传").click()
        expect(page.locator("#att-records-notice .alert")).to_contain_text("已上传“记录.pdf”。")
        expect(page.locator("#att-records-notice .alert")).to_be_in_viewport()
    finally:
        context.close()
