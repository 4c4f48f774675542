"""年度归档 as a background job (issue 17 part 1; desk/jobs.py): 生成归档 queues one job for the
clerk, the page shows it 生成中 and asks again every few seconds, a second click queues nothing,
the job records desk.archive.create in the clerk's name and the Office's role, a failure shows
失败 with the way to the Office's job list, and the archive's certificates are the PDFs the
announcement's jobs kept (one path with the download)."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from audit.models import AuditEvent
from decision import jobs as certificate_jobs
from decision.models import Certificate
from desk import archive
from desk import jobs as desk_jobs
from jobs import services as job_services
from jobs.models import Job
from tests.conftest import client_for
from tests.decision.conftest import Decided, decided, in_window, open_cycle
from tests.desk.test_archive import _media, closed

__all__ = ["_media", "closed", "decided", "in_window", "open_cycle"]

pytestmark = [pytest.mark.django_db, pytest.mark.req("A3.1", "A27.1")]


def _archive_jobs() -> list[Job]:
    return list(Job.objects.filter(kind=desk_jobs.ARCHIVE).order_by("pk"))


def test_a_click_queues_one_job_and_the_page_shows_it_generating(closed: Decided) -> None:
    client = client_for(closed.office)
    url = reverse("accounts:archive_make", args=[closed.cycle.pk])
    first = client.post(url, follow=True).content.decode()
    assert "已开始生成2026年度归档" in first
    [job] = _archive_jobs()
    assert job.ref == f"desk.archive:{closed.cycle.pk}"
    assert job.requested_by == closed.office
    assert job.payload == {"cycle": closed.cycle.pk, "user": closed.office.pk}
    assert job.state == Job.State.QUEUED  # its message leaves with the commit
    page = client.get(reverse("accounts:archives")).content.decode()
    assert "归档生成中" in page
    assert "排队中" in page
    assert 'hx-trigger="every 4s"' in page  # htmx asks again (no inline script: CSP)
    assert url not in page  # no second button while it runs
    # A second click (another tab, another clerk) queues nothing and says so.
    again = client.post(url, follow=True).content.decode()
    assert "正在生成（排队中），无需再次点击" in again
    assert len(_archive_jobs()) == 1
    assert not AuditEvent.objects.filter(action=archive.CREATE).exists()


def test_the_job_makes_the_archive_in_the_clerks_name(closed: Decided) -> None:
    client = client_for(closed.office)
    client.post(reverse("accounts:archive_make", args=[closed.cycle.pk]))
    [job] = _archive_jobs()
    # A certificate's own job ran first: the archive holds the very PDF it kept.
    number = Certificate.objects.filter(award__application__cycle=closed.cycle).first().number  # type: ignore[union-attr]
    certificate_job = job_services.latest(certificate_jobs.ref(number))
    assert certificate_job is not None
    assert job_services.run(certificate_job.pk) == "done"
    certificate_job.refresh_from_db()
    with certificate_job.result.open("rb") as handle:
        kept = handle.read()
    assert job_services.run(job.pk) == "done"
    event = AuditEvent.objects.get(action=archive.CREATE)
    assert event.actor == closed.office
    assert event.role == "office"
    assert event.after is not None
    with default_storage.open(event.after["file"], "rb") as handle:
        zf = zipfile.ZipFile(io.BytesIO(handle.read()))
    assert zf.read(f"证书/荣誉证书{number}.pdf") == kept
    assert archive.verify_stored(event.after["file"]).ok
    page = client.get(reverse("accounts:archives")).content.decode()
    assert reverse("accounts:archive_download", args=[event.pk]) in page
    assert "归档生成中" not in page
    assert "hx-trigger" not in page  # nothing running: the page stops asking
    assert "重新生成归档" in page


def test_without_a_broker_the_archive_is_made_with_the_click(
    closed: Decided, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(closed.office)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:archive_make", args=[closed.cycle.pk]))
    [job] = _archive_jobs()
    job.refresh_from_db()
    assert job.state == Job.State.DONE
    assert AuditEvent.objects.filter(action=archive.CREATE, actor=closed.office).count() == 1


def test_a_failed_archive_shows_failed_and_the_way_to_retry(
    closed: Decided, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = client_for(closed.office)
    client.post(reverse("accounts:archive_make", args=[closed.cycle.pk]))
    [job] = _archive_jobs()

    def broken(**kwargs: Any) -> None:
        raise OSError("存储空间不足")

    monkeypatch.setattr(archive, "create", broken)
    Job.objects.filter(pk=job.pk).update(max_attempts=1)
    assert job_services.run(job.pk) == "failed"
    page = client.get(reverse("accounts:archives")).content.decode()
    assert "失败" in page
    assert "存储空间不足" in page
    assert reverse("jobs:list") in page
    assert "hx-trigger" not in page
    # The clerk may click again: a new job (the failed one stays on the Office's list).
    assert reverse("accounts:archive_make", args=[closed.cycle.pk]) in page
    client.post(reverse("accounts:archive_make", args=[closed.cycle.pk]))
    assert len(_archive_jobs()) == 2


def test_a_clerk_who_lost_the_role_meanwhile_gets_no_archive(closed: Decided) -> None:
    from accounts.models import RoleAssignment

    client_for(closed.office).post(reverse("accounts:archive_make", args=[closed.cycle.pk]))
    [job] = _archive_jobs()
    RoleAssignment.objects.filter(user=closed.office).delete()
    assert job_services.run(job.pk) == "failed"  # refused for good, not retried
    job.refresh_from_db()
    assert "委员会办公室" in job.last_error
    assert not AuditEvent.objects.filter(action=archive.CREATE).exists()
