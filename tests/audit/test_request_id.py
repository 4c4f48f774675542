"""Every audit event carries the request id (参考编号) of the request that caused it, or of the
request that queued the job recording it (issue 17 part 4; docs/decisions/0028): the error page
a person reads out, the JSON log lines and the trail join on one number. The id is hashed only
when present, so chains written before the field verify unchanged."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from typing import Any

import openpyxl
import pytest
from django.db import transaction
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import User
from audit import context
from audit.models import AuditEvent
from audit.services import _digest, record, verify_chain
from jobs import registry
from jobs import services as jobs
from jobs.models import Job
from tests.audit.tamper import tamper
from tests.conftest import client_for

pytestmark = pytest.mark.req("A3.1", "A27.1", "I17.4")

RID = "2612051030-7KQ3-XZ4M"


def _before_the_field(event: AuditEvent) -> str:
    """The digest as the code before issue 17 part 4 computed it (no request id at all)."""
    payload: dict[str, Any] = {
        "seq": event.seq,
        "created_at": event.created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_username": event.actor_username,
        "role": event.role,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "before": event.before,
        "after": event.after,
        "reason": event.reason,
        "prev_hash": event.prev_hash,
    }
    if event.client_ip:
        payload["client_ip"] = event.client_ip
    if event.user_agent:
        payload["user_agent"] = event.user_agent
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.new("sm3", text.encode()).hexdigest()


def _serving(request_id: str) -> Any:
    """The request being served, as audit.middleware sets it (RequestIdMiddleware named it)."""
    request = RequestFactory().get("/")
    request.request_id = request_id  # type: ignore[attr-defined]
    return context._current.set(context.Current(request))


@pytest.mark.django_db
def test_an_old_chain_without_the_field_hashes_as_before_and_verifies() -> None:
    with transaction.atomic():
        for _ in range(3):  # outside any request: no request id, as every event before it
            record(actor=None, role="system", action="programs.program.seed")
    events = list(AuditEvent.objects.order_by("seq"))
    assert {e.request_id for e in events} == {""}
    assert all(e.hash == _before_the_field(e) for e in events)
    assert verify_chain().ok


@pytest.mark.django_db
def test_a_changed_or_removed_request_id_breaks_the_chain() -> None:
    token = _serving(RID)
    try:
        with transaction.atomic():
            event = record(actor=None, role="system", action="programs.program.seed")
            record(actor=None, role="system", action="programs.program.seed")
    finally:
        context._current.reset(token)
    assert event.request_id == RID
    assert event.hash == _digest(event) != _before_the_field(event)  # the id is covered
    assert verify_chain().ok
    tamper("UPDATE audit_auditevent SET request_id = %s WHERE seq = %s", ["X" + RID, event.seq])
    report = verify_chain()
    assert (report.ok, report.broken_seq) == (False, event.seq)
    tamper("UPDATE audit_auditevent SET request_id = '' WHERE seq = %s", [event.seq])
    assert verify_chain().broken_seq == event.seq  # dropped unseen: caught too


def test_a_requests_event_carries_the_id_of_its_response_and_error_page(
    personas: dict[str, User],
) -> None:
    response = client_for(personas["expert"]).get(reverse("audit:trail"))
    assert response.status_code == 403
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert event.action == "access.denied"
    assert event.request_id == response["X-Request-ID"] == response["X-Reference"]
    assert response["X-Reference"] in response.content.decode()  # the 参考编号 shown


@pytest.mark.django_db
def test_a_jobs_events_carry_the_request_that_queued_it(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    def note(job: Job) -> None:
        with transaction.atomic():
            record(actor=None, role="system", action="programs.program.seed", obj=job)

    monkeypatch.setitem(registry.HANDLERS, "tests.audit.note", note)
    token = _serving(RID)
    try:
        with django_capture_on_commit_callbacks(execute=False), transaction.atomic():
            job = jobs.enqueue("tests.audit.note", {}, label="测试")
    finally:
        context._current.reset(token)
    assert job.request_id == RID
    # Run later by a worker, or at once inside another request (the Office's 重试 with eager
    # tasks): the events name the request that queued the job either way.
    other = _serving("2612051031-AAAA-BBBB")
    try:
        assert jobs.run(job.pk) == "done"
    finally:
        context._current.reset(other)
    event = AuditEvent.objects.get(object_type="jobs.job", object_id=str(job.pk))
    assert event.request_id == RID
    assert jobs.run(job.pk) == "skipped"
    with transaction.atomic():  # and nothing lingers after the job
        after = record(actor=None, role="system", action="programs.program.seed")
    assert after.request_id == ""


def test_the_trail_filters_by_the_reference_shows_it_and_exports_it(
    personas: dict[str, User],
) -> None:
    refused = client_for(personas["expert"]).get(reverse("audit:trail"))
    rid = refused["X-Reference"]
    with transaction.atomic():
        record(actor=None, role="system", action="programs.program.seed")  # another one
    supervisor = client_for(personas["supervisor"])
    page = supervisor.get(reverse("audit:trail"), {"request_id": rid.lower() + " "})
    assert [r.event.action for r in page.context["rows"]] == ["access.denied"]
    html = page.content.decode()
    assert 'name="request_id"' in html
    assert "参考编号" in html
    assert f'href="?request_id={rid}"' in html  # shown with the event, a link to its request
    assert supervisor.get(reverse("audit:trail"), {"request_id": "nothing"}).context["rows"] == []

    export = supervisor.get(reverse("supervision:audit_export"), {"request_id": rid})
    sheet = openpyxl.load_workbook(io.BytesIO(export.content))["审计日志"]
    header, *body = list(sheet.iter_rows(min_row=2, values_only=True))
    assert header[-1] == "参考编号"
    assert [dict(zip(header, row, strict=True))["参考编号"] for row in body] == [rid]
    assert f"参考编号：{rid}" in sheet["A1"].value  # the filter named in the title row
