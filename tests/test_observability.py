"""The database and the tasks in /metrics (issue 17 part 4; docs/decisions/0028): per request,
the SQL statements and their time as histograms by view name; per Celery task, its duration by
task and outcome; gunicorn's multiprocess mode sums every worker's. And a task's audit events
carry the request that queued it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import record
from config import observability
from tests.conftest import client_for

pytestmark = pytest.mark.req("I17.4")

ROOT = Path(settings.BASE_DIR)


def _metrics() -> str:
    response = Client().get("/metrics")
    assert response.status_code == 200
    return response.content.decode()


def _value(body: str, series: str) -> float:
    """The value of one series (name and labels exactly as exposed), 0 when absent."""
    for line in body.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    return 0.0


@pytest.mark.django_db
def test_metrics_count_a_requests_sql_statements_and_time_by_view(make_user: Any) -> None:
    from accounts.models import Role

    office = client_for(make_user(Role.OFFICE))
    view = 'view="accounts:dashboard"'
    before = _metrics()
    with CaptureQueriesContext(connection) as captured:
        assert office.get(reverse("accounts:dashboard")).status_code == 200
    statements = len(captured)  # read now: the next request empties the connection's log
    after = _metrics()
    count = f"qa_request_db_queries_count{{{view}}}"
    total = f"qa_request_db_queries_sum{{{view}}}"
    assert _value(after, count) - _value(before, count) == 1
    # Every statement the page ran, the middleware's (session, user) included.
    assert _value(after, total) - _value(before, total) == statements > 0
    seconds = f"qa_request_db_seconds_sum{{{view}}}"
    assert _value(after, seconds) > _value(before, seconds)
    assert f'qa_request_db_seconds_bucket{{le="+Inf",{view}}}' in after
    assert f'qa_request_db_queries_bucket{{le="5.0",{view}}}' in after


@pytest.mark.django_db
def test_the_view_label_is_the_views_name_never_the_path() -> None:
    Client().get("/healthz")
    Client().get("/no-such-page/12345/")
    body = _metrics()
    assert _value(body, 'qa_request_db_queries_count{view="healthz"}') >= 1
    assert _value(body, 'qa_request_db_queries_count{view="<unresolved>"}') >= 1
    labels = set(re.findall(r'qa_request_db_\w+\{[^}]*view="([^"]*)"', body))
    assert not [label for label in labels if "/" in label], labels


@pytest.mark.django_db
def test_metrics_time_each_task_by_name_and_outcome() -> None:
    from config.celery import app

    @app.task(name="tests.observability.works")
    def works() -> None:
        pass

    @app.task(name="tests.observability.fails")
    def fails() -> None:
        raise RuntimeError("boom")

    works.delay()
    works.delay()
    assert fails.delay().failed()  # eager, as in `make run`: the failure is the result
    body = _metrics()
    ok = 'state="succeeded",task="tests.observability.works"'
    bad = 'state="failed",task="tests.observability.fails"'
    assert _value(body, f"qa_celery_task_seconds_count{{{ok}}}") == 2
    assert _value(body, f'qa_celery_task_seconds_bucket{{le="+Inf",{ok}}}') == 2
    assert _value(body, f'qa_celery_task_seconds_bucket{{le="0.05",{ok}}}') == 2  # a no-op
    assert _value(body, f"qa_celery_task_seconds_sum{{{ok}}}") > 0
    assert _value(body, f"qa_celery_task_seconds_count{{{bad}}}") == 1
    assert "# TYPE qa_celery_task_seconds histogram" in body


@pytest.mark.django_db
def test_a_tasks_audit_events_carry_the_request_that_queued_it() -> None:
    """On a worker the queuing request's id arrives in the message's headers (qa_request_id,
    `_before_publish`); the task's events carry it, and nothing lingers after the task."""
    queued_by = "2612051030-7KQ3-XZ4M"
    task = type("Task", (), {"name": "tests.observability.audited"})()
    task.request = type("Request", (), {"qa_request_id": queued_by})()
    observability._task_prerun(task_id="t-1", task=task, args=(), kwargs={})
    try:
        with transaction.atomic():
            during = record(actor=None, role="system", action="programs.program.seed")
    finally:
        observability._task_postrun(task_id="t-1", task=task, state="SUCCESS")
    with transaction.atomic():
        later = record(actor=None, role="system", action="programs.program.seed")
    assert (during.request_id, later.request_id) == (queued_by, "")
    assert AuditEvent.objects.filter(request_id=queued_by).count() == 1


_WORKER = """
import os, sys
import django
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()
from django.test import Client
if sys.argv[1] == "serve":
    assert Client().get("/healthz").status_code == 200
else:
    sys.stdout.write(Client().get("/metrics").content.decode())
"""


def test_gunicorns_multiprocess_mode_sums_every_workers_sql_metrics(tmp_path: Path) -> None:
    """Two "workers" (processes) answer /healthz, a third answers /metrics: it reports both
    requests (prometheus_client's files in PROMETHEUS_MULTIPROC_DIR, as deploy/gunicorn.conf.py
    sets it)."""
    directory = tmp_path / "prometheus"
    directory.mkdir()
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PROMETHEUS_MULTIPROC_DIR": str(directory),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",  # healthz asks SELECT 1 only
    }
    env.pop("PYTEST_XDIST_WORKER", None)

    def run(mode: str) -> str:
        done = subprocess.run(  # noqa: S603 - fixed arguments, our own script
            [sys.executable, "-c", _WORKER, mode],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    run("serve")
    run("serve")
    body = run("metrics")
    assert len(list(directory.glob("histogram_*.db"))) >= 2  # one file per process
    assert _value(body, 'qa_request_db_queries_count{view="healthz"}') == 2
    assert _value(body, 'qa_request_db_queries_sum{view="healthz"}') == 2  # SELECT 1 each
