"""我的导出 in a browser (issue 17; docs/decisions/0027): a large ledger export asked for on its
page, made in the background, downloaded from its page; an expired one shown 已过期 with the
way to ask again. Screenshots at both widths (test-results/e2e/my-exports-*.png)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_in


@pytest.mark.req("A22.1", "I17.1")
def test_the_office_asks_for_a_large_export_and_finds_it_under_my_exports(
    e2e_page: Page,
    live_server: object,
    office_site: dict[str, str],
    screenshot: Callable[[Page, str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.utils import timezone

    from accounts.models import User
    from desk import exports
    from jobs import exports as thresholds
    from jobs.models import Job

    monkeypatch.setattr(thresholds, "LEDGER_ROWS", -1)  # even an empty ledger is "large"
    office = User.objects.get(username=office_site["username"])
    old = Job(
        kind=exports.KIND,
        label="导出：申报汇总",
        state=Job.State.DONE,
        ref="desk.export:applications",
        requested_by=office,
        result_name="市长质量奖申报汇总.xlsx",
    )
    old.payload = {"export": "applications", "params": {"kind": "individual"}, "user": office.pk}
    old.save()
    Job.objects.filter(pk=old.pk).update(
        finished_at=timezone.now() - dt.timedelta(days=8),
        created_at=timezone.now() - dt.timedelta(days=8),
    )
    base = str(live_server)
    page = e2e_page
    sign_in(page, base, office_site["username"], office_site["password"])
    page.goto(f"{base}/decision/ledger/")
    page.get_by_role("link", name="导出Excel").click()
    expect(page.get_by_role("heading", name="导出奖金台账")).to_be_visible()
    expect(page.get_by_text("将由后台任务生成")).to_be_visible()
    screenshot(page, "my-exports-ask")
    page.get_by_role("button", name="在后台生成").click()
    expect(page.get_by_role("heading", name="奖金台账导出")).to_be_visible()
    expect(page.get_by_role("link", name="下载 市长质量奖奖金台账")).to_be_visible()
    screenshot(page, "my-exports-ready")
    # The older one's file is gone (the retention's matter, tests/jobs): 已过期.
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="我的导出").click()
    expect(page.get_by_role("heading", name="我的导出")).to_be_visible()
    expect(page.get_by_text("已过期")).to_be_visible()
    screenshot(page, "my-exports-list")
    page.get_by_role("link", name="查看", exact=True).click()
    expect(page.get_by_text("按相同条件重新导出")).to_be_visible()
    screenshot(page, "my-exports-expired")
