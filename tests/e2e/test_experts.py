"""Review groups in Chromium: the Office proposes and locks, the expert signs the code,
confirms no conflict and reads the materials under a watermark; a conflicted expert gets 404."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_in

CST = dt.timezone(dt.timedelta(hours=8))
PASSWORD = "Review#Quality26"


@pytest.fixture
def review_world(office_site: dict[str, str], time_machine: Any) -> dict[str, Any]:
    """A published 2026 cycle with one accepted application, a pool of four qualified experts
    (one of them a login) and the code of conduct."""
    from accounts.models import Role, User
    from accounts.services import create_user, grant_role
    from experts import services as experts
    from experts.models import Expert
    from intake import services as intake
    from intake.models import Application
    from programs import demo
    from programs.models import AwardProgram
    from programs.services import create_cycle, publish_call, set_cycle_dates
    from tests.experts.test_pool import QUALIFIED
    from tests.intake.conftest import complete_form

    time_machine.move_to(dt.datetime(2026, 3, 10, 9, 0, tzinfo=CST))
    office = User.objects.get(username=office_site["username"])
    cycle = create_cycle(actor=office, program=AwardProgram.objects.get(), year=2026)
    set_cycle_dates(actor=office, cycle=cycle, dates=demo.DEMO_STAGES)
    publish_call(actor=office, cycle=cycle)
    org = demo.seed_organization()
    contact = create_user(
        actor=None, actor_role="system", username="e2e_contact", password=PASSWORD
    )
    grant_role(actor=None, actor_role="system", user=contact, role=Role.APPLICANT, organization=org)
    application = intake.start_application(actor=contact, cycle=cycle, organization=org)
    intake.save_draft(actor=contact, application=application, data=complete_form())
    intake.submit_application(actor=contact, application=application)
    Application.objects.filter(pk=application.pk).update(state="accepted")
    ids = ["320682197501010017", "320682198002020020", "320682198503150026", "320682196912120013"]
    pool = [
        experts.save_expert(
            actor=office,
            id_number=idno,
            employments=[{"employer_name": f"单位{n}"}],
            **(QUALIFIED | {"name": f"专家{n}", "industries": ["34"]}),
        )
        for n, idno in enumerate(ids)
    ]
    reviewer = create_user(
        actor=None, actor_role="system", username="e2e_expert", password=PASSWORD, full_name="专家0"
    )
    grant_role(actor=None, actor_role="system", user=reviewer, role=Role.EXPERT)
    Expert.objects.filter(pk=pool[0].pk).update(user=reviewer)
    experts.set_code_of_conduct(
        actor=office, cycle=cycle, text="一、实事求是，客观公正。\n二、保守商业秘密。"
    )
    return {"application": application, "pool": pool}


def _status(page: Page, url: str) -> int:
    response = page.goto(url)
    assert response is not None
    return response.status


@pytest.mark.e2e
@pytest.mark.req("A17.1", "A26.1", "A6.3")
def test_office_proposes_expert_signs_confirms_and_reads(
    review_world: dict[str, Any],
    office_site: dict[str, str],
    live_server: Any,
    e2e_page: Page,
    screenshot: Callable[[Page, str], None],
) -> None:
    from audit.models import AuditEvent
    from experts.models import Assignment

    page, base = e2e_page, live_server.url
    page.on("dialog", lambda dialog: dialog.accept())
    application = review_world["application"]
    sign_in(page, base, office_site["username"], office_site["password"])
    page.goto(f"{base}/experts/groups/")
    page.get_by_role("button", name="优化分配").click()
    expect(page.locator(".alert-success")).to_be_visible()
    assert Assignment.objects.filter(removed_at__isnull=True).count() == 4  # 4 qualified, 5 seats
    page.get_by_role("button", name="锁定").first.click()
    expect(page.get_by_text("已锁定").first).to_be_visible()
    screenshot(page, "experts-groups")
    page.get_by_role("button", name="退出").click()

    sign_in(page, base, "e2e_expert", PASSWORD)
    page.goto(f"{base}/experts/mine/")
    read_url = f"{base}/experts/mine/{application.public_id}/"
    assert _status(page, read_url) == 404  # not before signing the code
    page.goto(f"{base}/experts/mine/")
    page.get_by_role("button", name="我已阅读并遵守工作守则，承诺公正评审、保守秘密").click()
    assert _status(page, read_url) == 404  # not before confirming no conflict
    page.goto(f"{base}/experts/mine/")
    page.get_by_role("button", name="确认不存在利害关系").click()
    page.get_by_role("link", name="查阅申报材料").click()
    expect(page.locator(".qa-watermark").first).to_contain_text("专家0")
    screenshot(page, "experts-read")
    assert AuditEvent.objects.filter(action="experts.materials.view").count() == 1

    page.goto(f"{base}/experts/mine/")
    page.locator("select[name=reason]").first.select_option("relative")
    page.locator("input[name=note], textarea[name=note]").first.fill("表兄任该公司副总经理")
    page.get_by_role("button", name="申报回避").first.click()
    # Conflicted: the application no longer exists for them.
    assert _status(page, read_url) == 404
