"""Every large Excel export is made in the background (issue 17; docs/decisions/0027): the
application list, the ranking and the award ledger (the expert groups in
tests/review/test_groups_export_jobs.py; the audit trail in test_exports.py). With the export's
threshold (jobs.exports) lowered: below it the file comes at once; above it the view hands
over to the background page with its filter, one job is queued for the requester, and the
job's file holds exactly the rows the immediate file holds; nobody else, the Office included,
sees it; its download is audited as the immediate one is."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Role, User
from audit.models import AuditEvent
from desk import exports
from jobs import exports as thresholds
from jobs.models import Job
from tests.conftest import client_for
from tests.decision.conftest import Decided, announced, decided, in_window, open_cycle

__all__ = ["decided", "in_window", "open_cycle"]  # fixtures

pytestmark = [pytest.mark.django_db, pytest.mark.req("A26.1", "I17.1")]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


# name: (the export's own address, its threshold, its audit code, who asks, who else reads it)
Case = tuple[Callable[[Decided], str], str, str, str, str]
CASES: dict[str, Case] = {
    "applications": (
        lambda d: reverse("intake:export") + "?kind=organization",
        "APPLICATIONS_ROWS",
        "download.applications_export",
        "office",
        "supervisor",
    ),
    "ranking": (
        lambda d: reverse("review:ranking_xlsx", args=[d.cycle.pk]),
        "RANKING_ROWS",
        "download.ranking",
        "committee",
        "office",
    ),
    "ledger": (
        lambda d: reverse("decision:ledger_xlsx"),
        "LEDGER_ROWS",
        "download.ledger",
        "supervisor",
        "office",
    ),
}


def _rows(content: bytes) -> list[tuple[Any, ...]]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return [row for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]


def _downloads(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_large_export_is_made_for_the_requester_with_every_row(
    name: str,
    decided: Decided,
    personas: dict[str, User],
    time_machine: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url_of, threshold, action, asker, other = CASES[name]
    if name == "ledger":
        announced(decided, time_machine)  # the awards' 应发 entries
    url = url_of(decided)
    client = client_for(personas[asker])
    # Below the threshold: the file at once, no job, one download event.
    at_once = client.get(url)
    assert at_once.status_code == 200
    assert at_once["Content-Type"] == XLSX
    expected = _rows(at_once.content)
    assert len(expected) > 3  # a title, the headers and rows
    assert not Job.objects.filter(kind=exports.KIND).exists()
    [sync_event] = _downloads(action)
    # Above it (lowered to 1 row): handed over with the filter, asked for on POST.
    monkeypatch.setattr(thresholds, threshold, 1)
    handed = client.get(url)
    assert handed.status_code == 302
    assert handed["Location"].startswith(reverse("accounts:export_new", args=[name]))
    page = client.get(handed["Location"]).content.decode()
    assert "将由后台任务生成" in page
    assert "在后台生成" in page
    assert not Job.objects.filter(kind=exports.KIND).exists()  # a GET queues nothing
    queued = client.post(handed["Location"])
    [job] = Job.objects.filter(kind=exports.KIND)
    assert job.ref == f"desk.export:{name}"
    assert job.requested_by == personas[asker]
    assert queued["Location"] == reverse("accounts:my_job", args=[job.pk])
    assert job.state == Job.State.DONE  # no broker: it ran after the commit
    # The requester downloads it: exactly the rows of the immediate file.
    response = client.get(reverse("accounts:my_job_file", args=[job.pk]))
    assert response.status_code == 200
    assert _rows(response.content) == expected
    # Audited as the immediate download was: same code, same object, plus the job.
    [_, event] = _downloads(action)
    assert (event.actor_id, event.role) == (sync_event.actor_id, sync_event.role)
    assert (event.object_type, event.object_id) == (sync_event.object_type, sync_event.object_id)
    assert event.after is not None
    assert event.after["job"] == job.pk
    assert event.after["file"] == sync_event.after["file"]  # type: ignore[index]
    # Nobody else: another reader of the same export, the Office included, gets 404.
    for stranger in {personas[other], personas["office"]} - {personas[asker]}:
        for page_name in ("accounts:my_job", "accounts:my_job_file"):
            stranger_client = client_for(stranger)
            assert stranger_client.get(reverse(page_name, args=[job.pk])).status_code == 404
    assert len(_downloads(action)) == 2


def test_the_applications_export_keeps_the_requesters_filter_and_scope(
    decided: Decided,
    personas: dict[str, User],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(thresholds, "APPLICATIONS_ROWS", 1)
    office = client_for(personas["office"])
    handed = office.get(reverse("intake:export"), {"kind": "individual"})
    assert "kind=individual" in handed["Location"]
    assert "类别：个人" in office.get(handed["Location"]).content.decode()
    office.post(handed["Location"])
    [job] = Job.objects.filter(kind=exports.KIND)
    assert exports.params_in(job) == {"kind": "individual"}
    shown = office.get(reverse("accounts:my_job", args=[job.pk])).content.decode()
    assert "类别：个人" in shown
    rows = _rows(office.get(reverse("accounts:my_job_file", args=[job.pk])).content)
    names = {a.applicant_name for a in decided.individuals}
    found = {cell for row in rows for cell in row if cell in names}
    assert found == names
    assert not any(
        cell == a.applicant_name for row in rows for cell in row for a in decided.organizations
    )


def test_an_export_of_personal_data_asks_for_a_fresh_code_to_ask_and_to_download(
    decided: Decided, personas: dict[str, User], time_machine: Any
) -> None:
    office = personas["office"]
    job = exports.queue(user=office, export=exports.APPLICATIONS, params={})
    client = client_for(office)
    assert client.get(reverse("accounts:my_job_file", args=[job.pk])).status_code == 200
    time_machine.shift(dt.timedelta(minutes=10))  # the code presented is no longer fresh
    new = reverse("accounts:export_new", args=["applications"])
    for response in (
        client.get(new),
        client.post(new),
        client.get(reverse("accounts:my_job_file", args=[job.pk])),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:otp_reauth"))
    assert Job.objects.filter(kind=exports.KIND).count() == 1


def test_a_role_lost_closes_the_applications_export(
    decided: Decided, personas: dict[str, User], make_user: Any
) -> None:
    from accounts.models import RoleAssignment

    clerk = make_user(Role.OFFICE, username="office2")
    job = exports.queue(user=clerk, export=exports.APPLICATIONS, params={})
    client = client_for(clerk)
    assert client.get(reverse("accounts:my_job_file", args=[job.pk])).status_code == 200
    RoleAssignment.objects.filter(user=clerk).delete()
    assert client.get(reverse("accounts:my_job_file", args=[job.pk])).status_code == 404


def test_a_reviewer_moved_to_another_unit_gets_no_file_made_for_the_first(
    decided: Decided, personas: dict[str, User], make_user: Any
) -> None:
    """The file was made with the first town's applications: once the reviewer serves another
    town (or holds any other set of scopes), it is not handed out; the page says why and
    offers the same export again, which is made under the present scope."""
    from accounts.models import RecommendingUnit, RoleAssignment

    first, second = RecommendingUnit.objects.order_by("pk")[:2]
    reviewer = make_user(Role.RECOMMENDER, username="town9", unit=first)
    job = exports.queue(user=reviewer, export=exports.APPLICATIONS, params={})
    client = client_for(reviewer)
    page = reverse("accounts:my_job", args=[job.pk])
    file = reverse("accounts:my_job_file", args=[job.pk])
    assert client.get(file).status_code == 200
    RoleAssignment.objects.filter(user=reviewer).update(recommending_unit=second)
    reviewer = User.objects.get(pk=reviewer.pk)  # roles are cached per user object
    client = client_for(reviewer)
    assert client.get(file).status_code == 404
    shown = client.get(page).content.decode()
    assert "负责范围已变更" in shown
    assert file not in shown
    # Back to the first town: the very file is offered again (nothing else changed).
    RoleAssignment.objects.filter(user=reviewer).update(recommending_unit=first)
    assert client_for(User.objects.get(pk=reviewer.pk)).get(file).status_code == 200


def test_the_api_export_stays_immediate_up_to_its_cap(
    decided: Decided, personas: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import api_call, api_client

    office = api_client(personas["office"].username)
    assert api_call(office, "get", "/applications/export.xlsx").status_code == 200
    monkeypatch.setattr(thresholds, "API_APPLICATIONS_MAX", 3)
    refused = api_call(office, "get", "/applications/export.xlsx")
    assert refused.status_code == 422
    assert refused.json()["code"] == "too_large"
    assert "分批导出" in refused.json()["message"]
    assert not Job.objects.filter(kind=exports.KIND).exists()
