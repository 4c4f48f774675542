"""设置 › 办法与参数 in Chromium (issue 18 part 2): the Office opens its Measures from the menu,
reads the numbers, previews a revised pack and loads it; the page prints on A4 (screenshots at
1280 and 390 under test-results/e2e/)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
import yaml
from playwright.sync_api import Page, expect

from programs import packs
from programs.models import Policy
from tests.e2e.conftest import sign_in
from tests.programs.test_measures_pages import REVISED_NUMBER, revised

pytestmark = pytest.mark.req("I18.2")


def test_the_office_reads_its_measures_and_loads_a_revision(
    live_server: Any,
    e2e_page: Page,
    office_site: dict[str, str],
    screenshot: Any,
    tmp_path: Path,
) -> None:
    page = e2e_page
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, live_server.url, office_site["username"], office_site["password"])
    nav = page.get_by_role("navigation", name="主导航")
    nav.get_by_role("button", name="设置").click()
    nav.get_by_role("link", name="办法与参数").click()
    expect(page.get_by_role("heading", name="办法与参数")).to_be_visible()
    notice = page.locator('tr[data-key="notice.working_days"]')
    expect(notice).to_contain_text("公示期（工作日）")
    expect(notice).to_contain_text("5")
    expect(notice).to_contain_text("第二十条")
    expect(page.locator('tr[data-key="bonus.organization_award"]')).to_contain_text("200,000")
    numbers = sum(len(keys) for keys in packs.NUMBERS.values())
    assert page.locator("tr[data-key]").count() == numbers + 1  # and the environmental rating
    screenshot(page, "measures")

    pdf = pdfium.PdfDocument(io.BytesIO(page.pdf(format="A4", prefer_css_page_size=True)))
    width, height = pdf[0].get_size()
    assert (round(width), round(height)) == (595, 842)
    printed = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert "公示期（工作日）" in printed.replace("\r\n", "")
    assert "载入修订的方案包" not in printed  # the form is left out of the print

    wrong = revised()
    wrong["notice"]["workdays"] = wrong["notice"].pop("working_days")
    bad = tmp_path / "wrong.yaml"
    bad.write_text(yaml.safe_dump(wrong, allow_unicode=True), encoding="utf-8")
    page.get_by_label("方案包文件（YAML）").set_input_files(bad)
    page.get_by_role("button", name="上传并预览").click()
    refusal = page.locator(".qa-pack-preview")
    expect(refusal).to_contain_text("方案包未通过校验，未作任何修改")
    expect(refusal).to_contain_text("notice.workdays：不是方案包的字段")
    expect(page.get_by_role("button", name="确认载入")).to_have_count(0)
    screenshot(page, "measures-refused")

    pack = tmp_path / "rugao-2026.yaml"
    pack.write_text(yaml.safe_dump(revised(), allow_unicode=True), encoding="utf-8")
    page.get_by_label("方案包文件（YAML）").set_input_files(pack)
    page.get_by_role("button", name="上传并预览").click()
    expect(page.get_by_text("确认后将作以下修改")).to_be_visible()
    expect(page.locator(".qa-pack-changes")).to_contain_text(REVISED_NUMBER)
    screenshot(page, "measures-preview")
    page.get_by_label("载入理由").fill("依据新印发的《办法》修订")
    page.get_by_role("button", name="确认载入").click()
    expect(page.get_by_role("alert")).to_contain_text("已载入方案包 rugao-2026.yaml")
    expect(page.get_by_role("cell", name=REVISED_NUMBER)).to_be_visible()
    assert Policy.objects.get(document_number=REVISED_NUMBER).notice_working_days == 7
    # A refused upload answers 400, which Chromium logs; anything else (a CSP violation) fails.
    assert [e for e in errors if "status of 400" not in e] == [], errors
