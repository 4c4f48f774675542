"""Exports made in the background (issue 17 part 1; desk/exports.py), applied to the
supervisors' audit export: a small trail still comes at once; a large one is handed to the
background exports' page with its filter, queued for the requester, followed on its page
(polling while unfinished) and downloaded there, audited as the export's download was; nobody
else sees it (404, the Office included), nor the requester once the role is gone."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import RoleAssignment, User
from audit.models import AuditEvent
from desk import exports
from jobs import services as job_services
from jobs.models import Job
from supervision import workspace
from tests.conftest import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.req("A27.1")]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def large(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every trail counts as large (the threshold is 2,000 events)."""
    monkeypatch.setattr(workspace, "BACKGROUND_ROWS", 0)


def _user(personas: dict[str, User | None], name: str) -> User:
    user = personas[name]
    assert user is not None
    return user


def _export_jobs() -> list[Job]:
    return list(Job.objects.filter(kind=exports.KIND).order_by("pk"))


def test_a_small_trail_still_comes_at_once(personas: dict[str, User | None]) -> None:
    response = client_for(_user(personas, "supervisor")).get(reverse("supervision:audit_export"))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert _export_jobs() == []


def test_a_large_trail_is_made_in_the_background_for_the_requester(
    personas: dict[str, User | None], large: None
) -> None:
    supervisor = _user(personas, "supervisor")
    client = client_for(supervisor)
    handed = client.get(reverse("supervision:audit_export"), {"category": "账户与权限"})
    assert handed.status_code == 302
    new = reverse("accounts:export_new", args=["audit"])
    assert handed["Location"] == f"{new}?category=%E8%B4%A6%E6%88%B7%E4%B8%8E%E6%9D%83%E9%99%90"
    page = client.get(handed["Location"]).content.decode()
    assert "将由后台任务生成" in page
    assert "类别：账户与权限" in page
    assert "在后台生成" in page
    assert _export_jobs() == []  # a GET queues nothing
    queued = client.post(handed["Location"])
    [job] = _export_jobs()
    assert queued["Location"] == reverse("accounts:my_job", args=[job.pk])
    assert job.requested_by == supervisor
    assert job.ref == "desk.export:audit"
    # Without a broker it ran at once (as in `make run`): the page offers the file.
    assert job.state == Job.State.DONE
    # The filter is kept (我的导出 names it and asks again with it); nothing secret in it.
    assert job.payload == {
        "export": "audit",
        "params": {"category": "账户与权限"},
        "user": supervisor.pk,
    }
    shown = client.get(queued["Location"]).content.decode()
    assert "已完成" in shown
    assert "类别：账户与权限" in shown
    assert "hx-trigger" not in shown
    link = reverse("accounts:my_job_file", args=[job.pk])
    assert link in shown
    response = client.get(link)
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    title = str(next(book["审计日志"].iter_rows(max_row=1, values_only=True))[0])
    assert "筛选条件：类别：账户与权限" in title
    # Audited as the export's own download, once (the middleware writes no second event).
    event = AuditEvent.objects.filter(action__startswith="download.").get()
    assert event.action == "download.audit_export"
    assert event.actor == supervisor
    assert event.role == "supervisor"
    assert event.after is not None
    assert event.after["job"] == job.pk
    assert event.after["file"].startswith("审计日志_")
    # 我的导出 lists it.
    mine = client.get(reverse("accounts:my_jobs")).content.decode()
    assert reverse("accounts:my_job", args=[job.pk]) in mine


def test_an_unfinished_export_page_polls_and_offers_nothing_yet(
    personas: dict[str, User | None],
) -> None:
    supervisor = _user(personas, "supervisor")
    with transaction.atomic():  # its message would leave with this commit: still queued here
        job = exports.queue(user=supervisor, export=exports.AUDIT, params={})
    client = client_for(supervisor)
    page = client.get(reverse("accounts:my_job", args=[job.pk])).content.decode()
    assert "排队中" in page
    assert 'hx-trigger="every 3s"' in page
    assert reverse("accounts:my_job_file", args=[job.pk]) not in page
    assert client.get(reverse("accounts:my_job_file", args=[job.pk])).status_code == 404
    assert job_services.run(job.pk) == "done"
    page = client.get(reverse("accounts:my_job", args=[job.pk])).content.decode()
    assert reverse("accounts:my_job_file", args=[job.pk]) in page


def test_nobody_but_the_requester_sees_it_not_even_the_office(
    personas: dict[str, User | None], make_user: Any
) -> None:
    from accounts.models import Role

    supervisor = _user(personas, "supervisor")
    job = exports.queue(user=supervisor, export=exports.AUDIT, params={})
    job.refresh_from_db()
    assert job.state == Job.State.DONE
    other_supervisor = make_user(Role.SUPERVISOR, username="supervisor2")
    for user in (other_supervisor, _user(personas, "auditadmin"), _user(personas, "office")):
        client = client_for(user)
        assert client.get(reverse("accounts:my_job", args=[job.pk])).status_code == 404
        assert client.get(reverse("accounts:my_job_file", args=[job.pk])).status_code == 404
        listed = client.get(reverse("accounts:my_jobs")).content.decode()
        assert reverse("accounts:my_job", args=[job.pk]) not in listed
    assert not AuditEvent.objects.filter(action="download.audit_export").exists()


def test_a_role_revoked_since_the_request_closes_the_file(
    personas: dict[str, User | None],
) -> None:
    supervisor = _user(personas, "supervisor")
    done = exports.queue(user=supervisor, export=exports.AUDIT, params={})
    with transaction.atomic():
        waiting = exports.queue(user=supervisor, export=exports.AUDIT, params={})
    RoleAssignment.objects.filter(user=supervisor).delete()
    client = client_for(supervisor)
    assert client.get(reverse("accounts:my_job", args=[done.pk])).status_code == 404
    assert client.get(reverse("accounts:my_job_file", args=[done.pk])).status_code == 404
    # Nor is it made for someone who lost the role before a worker took it.
    assert job_services.run(waiting.pk) == "failed"
    waiting.refresh_from_db()
    assert waiting.last_error.endswith("发起人已无权进行该导出")
    assert not waiting.result


def test_the_export_page_is_refused_to_those_who_may_not_export(
    personas: dict[str, User | None],
) -> None:
    new = reverse("accounts:export_new", args=["audit"])
    office = client_for(_user(personas, "office"))
    assert office.get(new).status_code == 403
    assert office.post(new).status_code == 403
    assert (
        client_for(_user(personas, "supervisor"))
        .get(reverse("accounts:export_new", args=["nothing"]))
        .status_code
        == 404
    )
    assert _export_jobs() == []
