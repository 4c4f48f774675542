"""The Office's 后台任务 page (issue 17; desk/jobs_views.py): the jobs newest first with their
state, attempts and last error, never their payload; filtered by state and paged by keyset
in constant queries; 重试 and 取消 with a reason, audited; the Office and the system
administrator only."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail

from accounts.jobs import queue_mail
from accounts.models import Role, User
from audit.models import AuditEvent
from jobs import selectors
from jobs.models import Job
from tests.conftest import client_for

URL = "/office/jobs/"


@pytest.fixture
def office(make_user: Any) -> User:
    user: User = make_user(Role.OFFICE)
    return user


def _jobs(n: int, state: str = Job.State.DONE) -> list[Job]:
    Job.objects.bulk_create(
        [Job(kind="mail.send", label=f"邮件：通知{i}", state=state, attempts=1) for i in range(n)]
    )
    return list(Job.objects.order_by("-pk")[:n])


def test_the_list_shows_state_and_error_but_never_the_payload(office: User, settings: Any) -> None:
    settings.EMAIL_BACKEND = "tests.jobs.backends.FailingBackend"
    job = queue_mail("异议答复", "答复正文：核查属实", ["li.si@example.com"])
    job.refresh_from_db()
    assert job.state == Job.State.QUEUED  # the first attempt failed: waiting for the next
    Job.objects.filter(pk=job.pk).update(state=Job.State.FAILED, attempts=4)
    page = client_for(office).get(URL).content.decode()
    assert "邮件：异议答复" in page
    assert "失败" in page
    assert "state-danger" in page
    assert "SMTPException: 450 mailbox unavailable: ***@***" in page
    assert "有1个任务执行失败" in page
    assert "4/4" in page
    for secret in ("li.si", "答复正文", "核查属实"):
        assert secret not in page
    assert mail.outbox == []


def test_filter_by_state_and_keyset_pages(office: User) -> None:
    done = _jobs(12)
    failed = _jobs(2, Job.State.FAILED)
    client = client_for(office)
    page = client.get(URL, {"state": "failed"}).content.decode()
    assert "邮件：通知0" in page
    assert "邮件：通知1" in page
    assert "失败（2）" in page
    assert f"#{done[0].pk}<" not in page
    # The whole list, 5 a page (selectors.page(size=...)), newest first.
    first = selectors.page(viewer=office, size=5)
    assert [j.pk for j in first.rows] == [j.pk for j in failed] + [j.pk for j in done[:3]]
    assert first.first
    assert first.after == done[2].pk
    assert first.before is None
    second = selectors.page(viewer=office, after=first.after, size=5)
    assert [j.pk for j in second.rows] == [j.pk for j in done[3:8]]
    assert not second.first
    assert second.before == done[3].pk
    back = selectors.page(viewer=office, before=second.before, size=5)
    assert [j.pk for j in back.rows] == [j.pk for j in first.rows]
    assert back.first
    last = selectors.page(viewer=office, after=done[7].pk, size=5)
    assert [j.pk for j in last.rows] == [j.pk for j in done[8:]]
    assert last.after is None
    # The page's links carry the cursor.
    html = client.get(URL, {"after": first.after}).content.decode()
    assert "第一页" in html


def test_the_page_costs_the_same_queries_for_5_or_60_jobs(office: User) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(office)
    client.get(URL)  # the session, the permissions: warm
    _jobs(5)
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    _jobs(55, Job.State.FAILED)
    with CaptureQueriesContext(connection) as many:
        assert client.get(URL).status_code == 200
    assert len(many) == len(few)


def test_retry_and_cancel_need_a_reason_and_are_audited(office: User, settings: Any) -> None:
    failed = _jobs(1, Job.State.FAILED)[0]
    client = client_for(office)
    refused = client.post(f"{URL}{failed.pk}/retry/", {"reason": ""}, follow=True)
    assert "请填写原因" in refused.content.decode()
    failed.refresh_from_db()
    assert failed.state == Job.State.FAILED
    # Queued again (its message leaves when the retry commits: not within this test).
    done = client.post(
        f"{URL}{failed.pk}/retry/", {"reason": "邮件服务器已恢复", "state": "failed"}
    )
    assert done.status_code == 302
    assert done["Location"] == f"{URL}?state=failed"
    event = AuditEvent.objects.get(action="jobs.job.retry")
    assert (event.reason, event.role, event.actor_id) == ("邮件服务器已恢复", "office", office.pk)
    queued = Job.objects.create(kind="mail.send", label="邮件：提醒")
    answer = client.post(f"{URL}{queued.pk}/cancel/", {"reason": "已电话通知"}, follow=True)
    assert "已取消“邮件：提醒”" in answer.content.decode()
    queued.refresh_from_db()
    assert queued.state == Job.State.CANCELLED
    again = client.post(f"{URL}{queued.pk}/cancel/", {"reason": "再取消"}, follow=True)
    assert "只有排队中的任务可以取消" in again.content.decode()
    assert AuditEvent.objects.filter(action="jobs.job.cancel").count() == 1


def test_the_sysadmin_sees_and_acts_others_do_not(make_user: Any) -> None:
    sysadmin = make_user(Role.SYSADMIN)
    failed = _jobs(1, Job.State.FAILED)[0]
    assert client_for(sysadmin).get(URL).status_code == 200
    client_for(sysadmin).post(f"{URL}{failed.pk}/retry/", {"reason": "worker 已重启"})
    assert AuditEvent.objects.get(action="jobs.job.retry").role == "sysadmin"
    expert = make_user(Role.EXPERT)
    assert client_for(expert).get(URL).status_code == 403
    assert client_for(expert).post(f"{URL}{failed.pk}/cancel/", {"reason": "x"}).status_code == 403


def test_the_office_finds_the_page_in_its_menu(office: User) -> None:
    page = client_for(office).get("/accounts/me/").content.decode()
    assert re.search(r'href="/office/jobs/"[^>]*>后台任务<', page)


@pytest.mark.req("I17.4")
def test_an_export_is_not_on_the_list_of_anyone_but_its_requester(
    office: User, make_user: Any
) -> None:
    """That a supervisor exported the audit trail is not the supervised Office's to know, nor
    to cancel; the system administrator, who runs the workers, does not see it either."""
    from desk import exports

    supervisor = make_user(Role.SUPERVISOR)
    queued = Job.objects.create(
        kind=exports.KIND,
        label="导出：审计日志",
        state=Job.State.QUEUED,
        ref="desk.export:audit",
        requested_by=supervisor,
    )
    own = Job.objects.create(
        kind=exports.KIND,
        label="导出：奖金台账",
        state=Job.State.FAILED,
        ref="desk.export:ledger",
        requested_by=office,
    )
    page = client_for(office).get(URL).content.decode()
    assert "导出：审计日志" not in page
    assert "导出：奖金台账" in page
    assert "排队中（0）" in page  # not counted either
    cancel = client_for(office).post(f"{URL}{queued.pk}/cancel/", {"reason": "看看"})
    assert cancel.status_code == 404
    queued.refresh_from_db()
    assert queued.state == Job.State.QUEUED
    sysadmin = client_for(make_user(Role.SYSADMIN)).get(URL).content.decode()
    assert "导出：" not in sysadmin
    assert own.pk in [j.pk for j in selectors.page(viewer=office).rows]
