"""The acts no service sees, recorded in one place (audit.middleware, issue 14 part 6): every
download and export of a confidential file, reads of applications by staff, every refused
request; each with the client address and user agent (安全审计 a-b of the security plan)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver, reverse
from django.urls.resolvers import URLPattern, URLResolver

from accounts.models import User
from audit import catalogue
from audit.middleware import DOWNLOADS, PUBLIC_DOWNLOADS
from audit.models import AuditEvent, ChainHead
from audit.services import _digest, record, verify_chain
from intake import services as intake
from intake.models import Application
from programs.models import Cycle
from tests.audit.tamper import tamper
from tests.conftest import api_call, api_client, client_for
from tests.intake.conftest import complete_form, in_window, open_cycle, org

__all__ = ["in_window", "open_cycle", "org"]  # fixtures

pytestmark = pytest.mark.req("A3.1", "A26.1")

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ROOT = Path(__file__).resolve().parent.parent.parent
# Views that record their own download event through a service (no second one is written).
SELF_RECORDING = {"intake:attachment_download", "api:download", "experts:attachment"}


@pytest.fixture
def submitted(open_cycle: Cycle, org: Any, personas: dict[str, User]) -> Application:
    applicant = personas["applicant"]
    application = intake.start_application(actor=applicant, cycle=open_cycle, organization=org)
    intake.save_draft(actor=applicant, application=application, data=complete_form())
    intake.add_attachment(
        actor=applicant, application=application, section="general", name="证明.pdf", data=PDF
    )
    intake.submit_application(actor=applicant, application=application)
    return application


def _events_since(seq: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(seq__gt=seq).order_by("seq"))


def _head() -> int:
    return ChainHead.objects.get(id=1).seq


# --- downloads ----------------------------------------------------------------------------------


def test_a_download_is_recorded_naming_the_file_the_object_and_the_client(
    submitted: Application, personas: dict[str, User]
) -> None:
    client = client_for(personas["recommender"])
    url = reverse("intake:form_docx", args=[submitted.public_id])
    start = _head()
    response = client.get(url, REMOTE_ADDR="203.0.113.21", HTTP_USER_AGENT="Mozilla/5.0 测试")
    assert response.status_code == 200
    (event,) = _events_since(start)
    assert event.action == "download.application_form"
    assert catalogue.category_of(event.action) == catalogue.FILES
    assert (event.actor_id, event.role) == (personas["recommender"].pk, "recommender")
    assert (event.object_type, event.object_id) == ("intake.application", str(submitted.pk))
    assert event.after is not None
    assert event.after["path"] == url
    assert event.after["file"].endswith("申报表-第1版.docx")
    assert (event.client_ip, event.user_agent) == ("203.0.113.21", "Mozilla/5.0 测试")
    # The applicant's own download is recorded too, and through the API as well.
    client_for(personas["applicant"]).get(url)
    who = api_client(personas["applicant"].username)
    assert api_call(who, "get", f"/applications/{submitted.public_id}/form.docx").status_code == 200
    later = [(e.action, e.role) for e in _events_since(event.seq)]
    assert later.count(("download.application_form", "applicant")) == 2
    assert verify_chain().ok


def test_exports_are_recorded(submitted: Application, personas: dict[str, User]) -> None:
    office = client_for(personas["office"])
    auditadmin = client_for(personas["auditadmin"])
    start = _head()
    assert office.get(reverse("intake:export")).status_code == 200
    assert office.get(reverse("experts:export_groups")).status_code == 200
    assert auditadmin.get(reverse("supervision:audit_export")).status_code == 200
    actions = [e.action for e in _events_since(start)]
    assert actions == [
        "download.applications_export",
        "download.groups_export",
        "download.audit_export",
    ]
    # A blank template carries nothing confidential: not recorded.
    start = _head()
    assert office.get(reverse("experts:import_template")).status_code == 200
    assert _events_since(start) == []


def test_a_view_that_records_its_download_gets_no_second_event(
    submitted: Application, personas: dict[str, User]
) -> None:
    attachment = submitted.attachments.get()
    client = client_for(personas["recommender"])
    start = _head()
    response = client.get(reverse("intake:attachment_download", args=[attachment.public_id]))
    assert response.status_code == 200
    assert [e.action for e in _events_since(start)] == ["intake.attachment.download"]


def test_the_download_event_costs_a_few_queries_not_more(
    submitted: Application, personas: dict[str, User], settings: Any
) -> None:
    client = client_for(personas["recommender"])
    url = reverse("intake:form_docx", args=[submitted.public_id])
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as audited:
        client.get(url)
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "audit.middleware.AuditMiddleware"
    ]
    with CaptureQueriesContext(connection) as plain:
        client.get(url)
    # The head locked and read, the event inserted, the head moved, the application looked up,
    # two savepoint statements.
    assert len(audited) - len(plain) <= 7


def test_no_confidential_file_leaves_without_its_event(
    submitted: Application, personas: dict[str, User]
) -> None:
    """Fail closed for files: when the event cannot be written the request fails, no file."""
    client = client_for(personas["recommender"])
    _occupy_the_next_sequence_number()
    with pytest.raises(IntegrityError):
        client.get(reverse("intake:form_docx", args=[submitted.public_id]))


def test_a_refusal_stays_a_refusal_when_its_event_cannot_be_written(
    personas: dict[str, User],
) -> None:
    """Fail open for refusals: a 403 never becomes a 500 (and changes no data)."""
    client = client_for(personas["expert"])
    _occupy_the_next_sequence_number()
    assert client.get(reverse("audit:trail")).status_code == 403


def _occupy_the_next_sequence_number() -> None:
    """A row the chain does not know, on the number the next event needs (as a writer racing
    past the lock would): the next append fails on the unique sequence number."""
    head = _head()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (seq, created_at, actor_username, role, action, "
            "object_type, object_id, object_repr, reason, client_ip, user_agent, request_id, "
            "prev_hash, hash) "
            "VALUES (%s, %s, '', 'system', 'x', '', '', '', '', '', '', '', %s, %s)",
            [head + 1, "2026-01-01T00:00:00+00:00", "f" * 64, "e" * 64],
        )


def test_every_view_that_sends_a_file_is_named() -> None:
    """Each view calling lib.http.file_response has its action code (or is a view that
    records its own event, or sends nothing confidential): a new download cannot go unnamed
    as download.file."""
    senders: set[tuple[str, str]] = set()
    for app in ("intake", "experts", "review", "decision", "supervision", "audit"):
        for path in (ROOT / app).rglob("*.py"):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef) and any(
                    isinstance(c, ast.Call) and getattr(c.func, "id", "") == "file_response"
                    for c in ast.walk(node)
                ):
                    senders.add((module, node.name))
    named = set(DOWNLOADS) | PUBLIC_DOWNLOADS | SELF_RECORDING
    found: set[str] = set()

    def walk(resolver: URLResolver, ns: str = "") -> None:
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                walk(p, ns + (f"{p.namespace}:" if p.namespace else ""))
            elif isinstance(p, URLPattern) and p.name:
                operations = getattr(getattr(p.callback, "__self__", None), "operations", [])
                views = [o.view_func for o in operations] or [p.callback]  # ninja's, Django's
                for view in map(inspect.unwrap, views):
                    key = (getattr(view, "__module__", ""), getattr(view, "__name__", ""))
                    if key in senders:
                        found.add(ns + p.name)

    walk(get_resolver())
    assert "intake:form_docx" in found
    assert "decision:certificate_pdf" in found
    assert sorted(found - named) == []
    assert all(catalogue.get(t.action) for t in DOWNLOADS.values())


# --- reads ------------------------------------------------------------------------------------


def test_staff_reads_of_an_application_are_recorded_the_applicants_own_are_not(
    submitted: Application, personas: dict[str, User]
) -> None:
    url = reverse("intake:detail", args=[submitted.public_id])
    applicant, recommender = client_for(personas["applicant"]), client_for(personas["recommender"])
    start = _head()
    assert applicant.get(url).status_code == 200
    assert _events_since(start) == []
    assert recommender.get(url).status_code == 200
    (event,) = _events_since(start)
    assert (event.action, event.role) == ("access.application.view", "recommender")
    assert (event.object_type, event.object_id) == ("intake.application", str(submitted.pk))
    who = api_client(personas["recommender"].username)
    assert api_call(who, "get", f"/applications/{submitted.public_id}").status_code == 200
    assert [e.action for e in _events_since(event.seq)][-1] == "access.application.view"


# --- refusals ---------------------------------------------------------------------------------


def test_every_refused_request_is_recorded_with_its_path(personas: dict[str, User]) -> None:
    expert = client_for(personas["expert"])
    applicant = api_client(personas["applicant"].username)
    start = _head()
    assert expert.get("/audit/?category=x", REMOTE_ADDR="198.51.100.3").status_code == 403
    assert client_for(None).get("/audit/").status_code == 302
    assert client_for(None).get("/api/v1/applications").status_code == 401
    assert api_call(applicant, "get", "/experts").status_code == 403
    events = _events_since(start)
    assert [
        (e.action, e.role, (e.after or {}).get("path"), (e.after or {}).get("status"))
        for e in events
    ] == [
        ("access.denied", "expert", "/audit/", 403),
        ("access.unauthenticated", "anonymous", "/audit/", 302),
        ("access.unauthenticated", "anonymous", "/api/v1/applications", 401),
        ("access.denied", "applicant", "/api/v1/experts", 403),
    ]
    assert events[0].actor_id == personas["expert"].pk
    assert events[0].client_ip == "198.51.100.3"
    # The login page itself and a failed sign-in (its own event) are not refusals.
    start = _head()
    client_for(None).get(reverse("accounts:login"))
    assert _events_since(start) == []


# --- the client address ------------------------------------------------------------------------


def test_the_client_address_is_the_peer_unless_a_trusted_proxy_forwards_it(
    personas: dict[str, User], settings: Any
) -> None:
    expert = client_for(personas["expert"])
    expert.get("/audit/", REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert AuditEvent.objects.order_by("-seq").first().client_ip == "198.51.100.9"  # type: ignore[union-attr]
    settings.AUDIT_TRUSTED_PROXIES = ["10.0.0.2"]
    expert.get("/audit/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.77")
    assert AuditEvent.objects.order_by("-seq").first().client_ip == "203.0.113.77"  # type: ignore[union-attr]


@pytest.mark.django_db
def test_the_address_is_hashed_and_an_event_without_one_hashes_as_before() -> None:
    with transaction.atomic():
        legacy = record(actor=None, role="system", action="programs.program.seed")
    # The payload of events written before the address existed: the same digest.
    assert (legacy.client_ip, legacy.user_agent) == ("", "")
    import datetime as dt
    import hashlib
    import json

    payload = {
        "seq": legacy.seq,
        "created_at": legacy.created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": None,
        "actor_username": "",
        "role": "system",
        "action": "programs.program.seed",
        "object_type": "",
        "object_id": "",
        "object_repr": "",
        "before": None,
        "after": None,
        "reason": "",
        "prev_hash": legacy.prev_hash,
    }
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert legacy.hash == hashlib.new("sm3", text.encode()).hexdigest() == _digest(legacy)
    legacy.client_ip = "203.0.113.1"
    assert _digest(legacy) != legacy.hash  # an address added later is caught


def test_rewriting_an_events_address_breaks_the_chain(personas: dict[str, User]) -> None:
    client_for(personas["expert"]).get("/audit/", REMOTE_ADDR="198.51.100.4")
    seq = AuditEvent.objects.get(client_ip="198.51.100.4").seq
    tamper("UPDATE audit_auditevent SET client_ip = %s WHERE seq = %s", ["10.0.0.1", seq])
    report = verify_chain()
    assert not report.ok
    assert report.broken_seq == seq
    assert settings.MIDDLEWARE.index(
        "audit.middleware.AuditMiddleware"
    ) > settings.MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware")
