"""The jobs' retention (issue 17; jobs.services.prune, the beat's `jobs.prune`; decision 0027):
finished jobs past JOB_KEEP_DAYS go with their files, export files past JOB_RESULT_DAYS expire
(我的导出 shows 已过期), failed jobs stay with their payload, each certificate's newest kept
PDF stays; one audit event with the counts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.details import KEY_LABELS
from audit.models import AuditEvent
from desk import exports
from jobs.models import Job
from jobs.tasks import prune
from tests.conftest import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.req("I17.2")]

State = Job.State


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.JOB_KEEP_DAYS = 30
    settings.JOB_RESULT_DAYS = 7


def _job(
    kind: str,
    state: str,
    days_ago: int,
    *,
    ref: str = "",
    result: bytes | None = None,
    payload: dict[str, Any] | None = None,
    requested_by: User | None = None,
) -> Job:
    job = Job(kind=kind, label=f"测试：{kind}", state=state, ref=ref, requested_by=requested_by)
    job.payload = payload or {}
    job.save()
    if result is not None:
        job.result.save(f"{kind}.bin", ContentFile(result), save=False)
        job.result_name = f"{kind}.xlsx"
    job.finished_at = timezone.now() - dt.timedelta(days=days_ago)
    job.save()
    return job


def _exists(name: str) -> bool:
    return Job._meta.get_field("result").storage.exists(name)  # type: ignore[attr-defined]


def test_the_retention_deletes_old_finished_jobs_expires_exports_and_keeps_the_rest(
    personas: dict[str, User | None], django_capture_on_commit_callbacks: Any
) -> None:
    supervisor = personas["supervisor"]
    assert supervisor is not None
    old_mail = _job("mail.send", State.DONE, 40)
    recent_mail = _job("mail.send", State.DONE, 5)
    old_cancelled = _job("mail.send", State.CANCELLED, 31)
    failed = _job("mail.send", State.FAILED, 400, payload={"to": ["a@example.cn"]})
    params = {"export": "audit", "params": {"category": "账户与权限"}, "user": supervisor.pk}
    export_ref = "desk.export:audit"
    old_export = _job(exports.KIND, State.DONE, 40, ref=export_ref, result=b"old", payload=params)
    stale_export = _job(
        exports.KIND,
        State.DONE,
        8,
        ref=export_ref,
        result=b"stale",
        payload=params,
        requested_by=supervisor,
    )
    fresh_export = _job(exports.KIND, State.DONE, 2, ref=export_ref, result=b"fresh")
    older_pdf = _job(
        "decision.certificate", State.DONE, 90, ref="decision.certificate:A", result=b"1"
    )
    newest_pdf = _job(
        "decision.certificate", State.DONE, 60, ref="decision.certificate:A", result=b"2"
    )
    files = {j.pk: j.result.name for j in (old_export, stale_export, older_pdf, newest_pdf)}

    with django_capture_on_commit_callbacks(execute=True):  # the files go once it commits
        counts = prune.apply().get()

    left = set(Job.objects.values_list("pk", flat=True))
    assert left == {
        recent_mail.pk,
        failed.pk,
        stale_export.pk,
        fresh_export.pk,
        newest_pdf.pk,
    }
    assert not {old_mail.pk, old_cancelled.pk, old_export.pk, older_pdf.pk} & left
    assert not _exists(files[old_export.pk])
    assert not _exists(files[older_pdf.pk])
    assert _exists(files[newest_pdf.pk])  # the certificate's download still reads it
    # The stale export: its file gone, its row (and filter) kept: 已过期.
    stale_export.refresh_from_db()
    assert not stale_export.result
    assert not _exists(files[stale_export.pk])
    assert exports.expired(stale_export)
    assert stale_export.payload == params
    fresh_export.refresh_from_db()
    assert fresh_export.result
    assert not exports.expired(fresh_export)
    # The failed job keeps its (encrypted) payload for 重试.
    failed.refresh_from_db()
    assert failed.payload == {"to": ["a@example.cn"]}
    # One event, with the counts, every key readable in Chinese.
    expected = {
        "jobs_deleted": 4,
        "exports_expired": 1,
        "files": 3,
        "failed_kept": 1,
        "keep_days": 30,
        "result_days": 7,
    }
    assert counts == expected
    [event] = AuditEvent.objects.filter(action="jobs.job.prune")
    assert event.after == expected
    assert (event.actor, event.role) == (None, "system")
    assert set(expected) <= set(KEY_LABELS)


def test_my_exports_show_an_expired_file_as_expired(
    personas: dict[str, User | None], settings: Any
) -> None:
    supervisor = personas["supervisor"]
    assert supervisor is not None
    job = _job(
        exports.KIND,
        State.DONE,
        8,
        ref="desk.export:audit",
        result=b"x",
        payload={"export": "audit", "params": {"category": "账户与权限"}, "user": supervisor.pk},
        requested_by=supervisor,
    )
    prune.apply()
    client = client_for(supervisor)
    mine = client.get(reverse("accounts:my_jobs")).content.decode()
    assert "已过期" in mine
    page = client.get(reverse("accounts:my_job", args=[job.pk])).content.decode()
    assert "已过期" in page
    assert "导出文件已于生成7天后删除" in page
    again = reverse("accounts:export_new", args=["audit"]) + "?category="
    assert again in page  # asked again with the same filter
    assert reverse("accounts:my_job_file", args=[job.pk]) not in page
    assert client.get(reverse("accounts:my_job_file", args=[job.pk])).status_code == 404


def test_nothing_to_prune_still_records_that_the_retention_ran(db: None) -> None:
    assert prune.apply().get()["jobs_deleted"] == 0
    assert AuditEvent.objects.filter(action="jobs.job.prune").count() == 1
