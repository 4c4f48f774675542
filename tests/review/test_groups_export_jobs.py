"""The expert groups' Excel made in the background above `jobs.exports.GROUPS_ROWS` members
(issue 17; docs/decisions/0027; the other exports in tests/desk/test_large_exports.py): the
job's file holds every member row of the immediate one, for the clerk who asked alone, and its
download is audited as `download.groups_export`."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Role
from audit.models import AuditEvent
from desk import exports
from jobs import exports as thresholds
from jobs.models import Job
from tests.conftest import client_for
from tests.review.conftest import World

pytestmark = [pytest.mark.django_db, pytest.mark.req("A17.1", "A26.1", "I17.1")]


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _rows(content: bytes) -> list[tuple[Any, ...]]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return [row for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]


def test_large_groups_export_is_made_for_the_clerk_with_every_member(
    world: World, make_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = reverse("experts:export_groups") + f"?cycle={world.cycle.pk}&stage=site_review"
    clerk = client_for(world.office)
    at_once = clerk.get(url)
    assert at_once.status_code == 200
    expected = _rows(at_once.content)
    members = [row for row in expected if row and row[0] == world.cycle.year]
    assert len(members) == 3  # one site-review group of three
    monkeypatch.setattr(thresholds, "GROUPS_ROWS", 2)
    handed = clerk.get(url)
    assert handed.status_code == 302
    assert handed["Location"] == (
        reverse("accounts:export_new", args=["groups"])
        + f"?cycle={world.cycle.pk}&stage=site_review"
    )
    page = clerk.get(handed["Location"]).content.decode()
    assert f"{world.cycle.year}年度现场评审" in page
    clerk.post(handed["Location"])
    [job] = Job.objects.filter(kind=exports.KIND)
    assert (job.ref, job.state, job.requested_by) == (
        "desk.export:groups",
        Job.State.DONE,
        world.office,
    )
    file_url = reverse("accounts:my_job_file", args=[job.pk])
    assert _rows(clerk.get(file_url).content) == expected
    events = AuditEvent.objects.filter(action="download.groups_export").order_by("seq")
    [sync, background] = events
    assert background.after is not None
    assert background.after["job"] == job.pk
    assert (background.actor_id, background.role) == (sync.actor_id, sync.role)
    for other in (make_user(Role.OFFICE, username="office2"), world.supervisor):
        assert client_for(other).get(file_url).status_code == 404
    assert events.count() == 2
