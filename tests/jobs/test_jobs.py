"""Background jobs (issue 17 part 1; jobs/, accounts/jobs.py, docs/decisions/0020): the
transactional outbox, the claim that runs a job once, retries with backoff, the sweep that
sends lost messages again, the encrypted payload, and the Office's retry and cancel."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from accounts.jobs import queue_mail, queue_sms
from accounts.models import Role, User
from audit.models import AuditEvent
from jobs import services
from jobs.models import Job
from jobs.registry import Permanent, handler
from lib import sms
from lib.errors import ServiceError, StateConflict
from tests.jobs import backends

pytestmark = pytest.mark.django_db

FAILING = "tests.jobs.backends.FailingBackend"
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, float | None]]:
    """The messages sent to the broker (job pk, countdown), instead of running them."""
    out: list[tuple[int, float | None]] = []

    def dispatch(pks: Any, *, countdown: float | None = None) -> None:
        out.extend((pk, countdown) for pk in pks)

    monkeypatch.setattr(services, "dispatch", dispatch)
    return out


@pytest.fixture(autouse=True)
def _no_calls() -> None:
    backends.calls.clear()


def _mail(to: str = "wang@example.com") -> Job:
    return queue_mail("评分提醒", f"请于3日内提交评分表。\n{to}", [to], ref="test:1")


def test_a_committed_job_sends_its_mail_and_forgets_the_payload() -> None:
    job = _mail()
    job.refresh_from_db()
    assert job.state == Job.State.DONE
    assert job.attempts == 1
    assert job.finished_at is not None
    assert job.payload == {}  # done: what was sent is the mail server's record, not ours
    [message] = mail.outbox
    assert message.to == ["wang@example.com"]
    assert message.subject == "评分提醒"
    assert job.label == "邮件：评分提醒"
    assert services.latest("test:1") == job


def test_a_rolled_back_transaction_queues_nothing(
    django_capture_on_commit_callbacks: Any,
) -> None:
    def change() -> None:
        with transaction.atomic():
            _mail()
            raise RuntimeError("the change failed")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        change()
    assert callbacks == []
    assert not Job.objects.exists()
    assert mail.outbox == []


def test_inside_a_transaction_the_message_leaves_on_commit(
    django_capture_on_commit_callbacks: Any, sent: list[Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            job = _mail()
        assert sent == []  # not before the commit: a worker would not see the row
    assert sent == [(job.pk, None)]  # the capture's exit stands for the commit


def test_the_payload_is_not_readable_in_the_database(sent: list[Any]) -> None:
    job = queue_mail("验证码", "您的验证码为135790", ["zhao.min@example.com"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT payload_text FROM jobs_job WHERE id = %s", [job.pk])
        [raw] = cursor.fetchone()
    assert raw.startswith("sm4g1$")
    for plain in ("zhao.min", "135790", "example", "验证码"):
        assert plain not in raw
    assert Job.objects.get(pk=job.pk).payload["to"] == ["zhao.min@example.com"]


def test_a_message_delivered_twice_runs_the_job_once(sent: list[Any]) -> None:
    job = _mail()
    assert services.run(job.pk) == "done"
    assert services.run(job.pk) == "skipped"
    assert len(mail.outbox) == 1
    job.refresh_from_db()
    assert job.attempts == 1


def test_a_failing_mail_server_is_retried_with_backoff_then_the_job_fails(
    settings: Any, time_machine: Any, sent: list[Any]
) -> None:
    settings.EMAIL_BACKEND = FAILING
    time_machine.move_to(T0, tick=False)
    job = _mail("li.na@example.com")
    waits: list[int] = []
    for attempt, wait in enumerate((60, 300, 1500), start=1):
        # Not due yet: a message arriving early (the sweep, a duplicate) does nothing.
        if attempt > 1:
            assert services.run(job.pk) == "skipped"
            time_machine.shift(waits[-1])
        assert services.run(job.pk) == "retry"
        job.refresh_from_db()
        assert job.state == Job.State.QUEUED
        assert job.attempts == attempt
        assert job.next_attempt_at == timezone.now() + dt.timedelta(seconds=wait)
        assert sent[-1] == (job.pk, wait)  # sent again with its countdown
        waits.append(wait)
    time_machine.shift(waits[-1])
    assert services.run(job.pk) == "failed"
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert job.attempts == 4
    assert backends.calls == [1, 1, 1, 1]
    assert mail.outbox == []
    # What failed is visible, without the address; the message is kept for 重试.
    assert job.last_error.startswith("SMTPException: 450 mailbox unavailable")
    assert "li.na" not in job.last_error
    assert job.payload["to"] == ["li.na@example.com"]


def test_the_sweep_sends_lost_messages_and_takes_back_dead_workers_jobs(
    time_machine: Any, sent: list[Any]
) -> None:
    time_machine.move_to(T0, tick=False)
    lost = _mail()
    recent = _mail("b@example.com")
    running = _mail("c@example.com")
    assert services.claim(running.pk) is not None  # a worker took it, then died
    sent.clear()
    time_machine.shift(dt.timedelta(minutes=4))
    assert services.requeue_due() == {"requeued": 0, "stuck": 0, "failed": 0}
    assert sent == []
    # `recent` queued now; `lost` and `running` are older than LOST_AFTER / STUCK_AFTER.
    recent.next_attempt_at = T0 + dt.timedelta(minutes=31)
    recent.save(update_fields=["next_attempt_at"])
    time_machine.shift(dt.timedelta(minutes=27))
    assert services.requeue_due() == {"requeued": 1, "stuck": 1, "failed": 0}
    assert sorted(pk for pk, _ in sent) == sorted([lost.pk, running.pk])
    running.refresh_from_db()
    assert running.state == Job.State.QUEUED
    assert "执行中断" in running.last_error
    # Sent again: not again at the next minute (it waits LOST_AFTER once more).
    sent.clear()
    time_machine.shift(dt.timedelta(minutes=1))
    assert services.requeue_due()["requeued"] == 0
    # And the lost job, once its message arrives, runs.
    assert services.run(lost.pk) == "done"
    assert [m.to for m in mail.outbox] == [["wang@example.com"]]


def test_a_job_that_dies_on_its_last_attempt_fails(time_machine: Any, sent: list[Any]) -> None:
    time_machine.move_to(T0, tick=False)
    job = _mail()
    Job.objects.filter(pk=job.pk).update(attempts=3)
    assert services.claim(job.pk) is not None
    time_machine.shift(dt.timedelta(minutes=31))
    assert services.requeue_due() == {"requeued": 0, "stuck": 1, "failed": 1}
    job.refresh_from_db()
    assert job.state == Job.State.FAILED


def test_an_expired_code_is_not_sent_late(settings: Any, time_machine: Any) -> None:
    time_machine.move_to(T0, tick=False)
    settings.SMS_BACKEND = "lib.sms.LocmemBackend"
    job = queue_sms(
        "13800001234",
        "验证码为123456",
        template="reset",
        label="短信：重置登录密码验证码",
        expires_at=T0 - dt.timedelta(seconds=1),
    )
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert job.attempts == 1  # no retry: a later attempt cannot mend it
    assert "验证码已过期" in job.last_error
    assert sms.outbox == []
    fresh = queue_sms(
        "13800001234",
        "验证码为654321",
        template="reset",
        label="短信：重置登录密码验证码",
        expires_at=T0 + dt.timedelta(minutes=15),
    )
    fresh.refresh_from_db()
    assert fresh.state == Job.State.DONE
    assert [m.text for m in sms.outbox] == ["验证码为654321"]


def test_an_unknown_kind_is_refused_when_queued() -> None:
    with pytest.raises(Permanent):
        services.enqueue("no.such.kind", {}, label="无")


def test_a_handler_may_keep_a_result_file(settings: Any, tmp_path: Any) -> None:
    from jobs.registry import HANDLERS, Result

    settings.MEDIA_ROOT = tmp_path

    @handler("test.export")
    def export(job: Job) -> Result:
        return Result("名单.csv", f"rows,{job.payload['n']}\n".encode())

    try:
        job = services.enqueue("test.export", {"n": 3}, label="导出名单")
    finally:
        HANDLERS.pop("test.export")
    job.refresh_from_db()
    assert job.state == Job.State.DONE
    assert job.result_name == "名单.csv"
    assert job.result.read() == b"rows,3\n"
    raw = (tmp_path / job.result.name).read_bytes()
    assert b"rows,3" not in raw  # encrypted at rest, as the uploads are


def test_the_office_retries_a_failed_job_and_cancels_a_queued_one(
    settings: Any, make_user: Any, sent: list[Any]
) -> None:
    office: User = make_user(Role.OFFICE)
    failed = _mail()
    Job.objects.filter(pk=failed.pk).update(state=Job.State.FAILED, attempts=4, last_error="x")
    failed.refresh_from_db()
    with pytest.raises(ServiceError):
        services.retry(actor=office, role=Role.OFFICE, job=failed, reason=" ")
    again = services.retry(actor=office, role=Role.OFFICE, job=failed, reason="邮件服务器已恢复")
    assert (again.state, again.attempts) == (Job.State.QUEUED, 0)
    assert sent[-1] == (failed.pk, None)
    event = AuditEvent.objects.get(action="jobs.job.retry")
    assert event.reason == "邮件服务器已恢复"
    assert event.actor_id == office.pk
    with pytest.raises(StateConflict):
        services.retry(actor=office, role=Role.OFFICE, job=again, reason="再试")
    cancelled = services.cancel(actor=office, role=Role.OFFICE, job=again, reason="收件人已离职")
    assert cancelled.state == Job.State.CANCELLED
    assert cancelled.payload == {}
    assert AuditEvent.objects.get(action="jobs.job.cancel").reason == "收件人已离职"
    with pytest.raises(StateConflict):
        services.cancel(actor=office, role=Role.OFFICE, job=cancelled, reason="再取消")


def test_notify_each_queues_one_job_per_message_with_one_insert(
    make_user: Any, django_assert_max_num_queries: Any, sent: list[Any]
) -> None:
    from accounts.services import notify_each

    people = []
    for n in range(5):
        user = make_user(None)
        user.email = f"p{n}@example.com"
        user.save()
        people.append(user)
    with django_assert_max_num_queries(2):  # the inbox rows, the job rows
        notify_each([([u], "通知", f"正文{n}", "") for n, u in enumerate(people)])
    assert Job.objects.count() == 5
    assert len(sent) == 5
