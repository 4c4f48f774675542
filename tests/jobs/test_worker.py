"""A mail job through a real Celery worker and the real Redis broker (issue 17: "tests run
tasks eagerly and, in one test, through a real worker").

Two ways, each with its own queue on the shared Redis (nothing else consumes it):

- a worker in a thread of this process (celery.contrib.testing), on SQLite and PostgreSQL;
- `celery -A config worker` as another process, on PostgreSQL only: a second process cannot
  see SQLite's in-memory test database, and a PostgreSQL test database it can.

The job is queued in a committed transaction (transactional test); the test polls the row with
a bounded wait until it is done, then finds the mail (locmem in the thread, a file from the
other process) and no payload left in the row.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection, transaction

from accounts.jobs import queue_mail
from config.celery import app
from jobs.models import Job

pytestmark = pytest.mark.django_db(transaction=True)

WAIT_SECONDS = 60


def _broker() -> str:
    return os.environ.get("CELERY_TEST_BROKER_URL") or settings.REDIS_URL


@pytest.fixture
def queue() -> Iterator[str]:
    """The app sends to a queue of this test's own over the real broker (not eagerly)."""
    name = f"test-jobs-{uuid.uuid4().hex[:12]}"
    saved = {
        k: app.conf[k]
        for k in ("broker_url", "task_always_eager", "task_default_queue", "broker_pool_limit")
    }
    _drop_connections()
    app.conf.update(broker_url=_broker(), task_always_eager=False, task_default_queue=name)
    try:
        yield name
    finally:
        app.conf.update(saved)
        _drop_connections()
        import redis

        client = redis.Redis.from_url(_broker())
        client.delete(name)  # what a failed run may leave
        client.close()


def _drop_connections() -> None:
    """Forget the pools made for other settings: the app finds (kombu's registry, keyed by
    the broker's address) or makes the pools of the current broker on next use."""
    app._after_fork()


def _done(job: Job) -> Job:
    """The row once it is no longer queued or running (bounded wait)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.state not in (Job.State.QUEUED, Job.State.RUNNING):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job.pk} still {job.state} after {WAIT_SECONDS} s")


def _queue_committed(to: str) -> Job:
    with transaction.atomic():
        job = queue_mail("评分提醒", "请于3日内提交评分表。", [to], label="邮件：评分提醒")
    return job


def test_a_thread_worker_sends_the_mail(queue: str) -> None:
    from celery.contrib.testing.worker import start_worker

    with start_worker(
        app,
        queues=[queue],
        pool="solo",
        concurrency=1,
        perform_ping_check=False,
        shutdown_timeout=10,
    ):
        job = _done(_queue_committed("wang.wu@example.com"))
    assert job.state == Job.State.DONE, job.last_error
    assert job.attempts == 1
    assert job.payload_text == ""
    [message] = mail.outbox
    assert message.to == ["wang.wu@example.com"]
    assert message.subject == "评分提醒"


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a worker in another process cannot see SQLite's in-memory test database "
    "(the thread worker above covers SQLite)",
)
def test_a_worker_process_sends_the_mail(queue: str, tmp_path: Path) -> None:
    database = settings.DATABASES["default"]
    url = (
        f"postgresql://{database['USER']}:{database['PASSWORD']}@{database['HOST']}:"
        f"{database['PORT'] or 5432}/{database['NAME']}"
    )
    env = os.environ | {
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": _broker(),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    worker = subprocess.Popen(  # noqa: S603  # our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            f"--queues={queue}",
            f"--hostname=test-{queue}@%h",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        job = _done(_queue_committed("zhao.liu@example.com"))
    finally:
        worker.terminate()
        try:
            log, _ = worker.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            log, _ = worker.communicate()
    assert job.state == Job.State.DONE, job.last_error + log[-3000:]
    files = list((tmp_path / "mail").glob("*.log"))
    assert len(files) == 1, log[-3000:]
    text = files[0].read_text(encoding="utf-8")
    assert "To: zhao.liu@example.com" in text
    assert job.payload_text == ""
