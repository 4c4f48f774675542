"""Issue 16 part 2: an upload answers beside its box, too large is refused before the body is
read (by Content-Length, and by counting when the length lies), the same file asks first."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse

from accounts.models import Organization, User
from audit.models import AuditEvent
from intake import services
from intake.models import Application, Attachment
from lib import uploads
from programs.models import Cycle
from tests.conftest import api_client, client_for

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64
HTMX = {"HX-Request": "true"}
MB = 1024 * 1024


@pytest.fixture
def draft(open_cycle: Cycle, org: Organization, applicant: User) -> Application:
    return services.start_application(actor=applicant, cycle=open_cycle, organization=org)


def _add_url(draft: Application, section: str = "general") -> str:
    return reverse("intake:attachment_add", args=[draft.public_id]) + f"?section={section}"


class Untouchable(io.RawIOBase):
    """A request body that must not be read: any read is recorded and fails."""

    def __init__(self) -> None:
        self.reads = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.reads += 1
        raise AssertionError("the body of a too large upload was read")

    def readline(self, size: int | None = -1) -> bytes:  # type: ignore[override]
        return self.read()


class Counting(io.BytesIO):
    """A request body that counts how much of it was read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.taken = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.taken += len(chunk)
        return chunk

    def readline(self, size: int | None = -1) -> bytes:
        line = super().readline(size)
        self.taken += len(line)
        return line


def _raw_post(client: Any, url: str, body: Any, length: int, headers: Any = None) -> Any:
    """A multipart POST whose body is `body` as the server would stream it, declaring
    `length` bytes (the test client reads a body it was given whole)."""
    environ: dict[str, Any] = {
        "wsgi.input": body,
        "CONTENT_LENGTH": str(length),
        "CONTENT_TYPE": MULTIPART_CONTENT,
    }
    return client.generic("POST", url, b"", headers=headers or {}, **environ)


def _box(html: str, section: str) -> str:
    """The upload box of one section in a page or the swapped section."""
    start = html.index(f'id="att-{section}"')
    end = html.find('class="border rounded', start + 10)
    return html[start : end if end > 0 else None]


@pytest.mark.req("A15.2")
def test_a_declared_30_mb_body_is_refused_413_without_reading_it(
    draft: Application, applicant: User
) -> None:
    body = Untouchable()
    response = _raw_post(client_for(applicant), _add_url(draft, "self"), body, 30 * MB, HTMX)
    assert response.status_code == 413
    assert body.reads == 0
    html = response.content.decode()
    assert '<section id="attachments"' in html
    assert "<html" not in html  # the section alone, swapped in place
    assert "文件大小为30.0 MB，超过上限20 MB，未上传。" in _box(html, "self")
    assert "超过上限" not in _box(html, "general")
    assert not Attachment.objects.exists()


def test_without_javascript_the_refusal_is_the_page_with_the_message_in_the_box(
    draft: Application, applicant: User
) -> None:
    body = Untouchable()
    response = _raw_post(client_for(applicant), _add_url(draft, "figures"), body, 30 * MB)
    assert (response.status_code, body.reads) == (413, 0)
    html = response.content.decode()
    assert "<html" in html
    assert "超过上限20 MB" in _box(html, "figures")
    # The form's action carries the box's anchor, so the browser lands on the answer.
    assert f'action="{_add_url(draft, "figures")}#att-figures"' in html


def test_a_body_that_lies_about_its_size_is_cut_off_while_counting(
    draft: Application, applicant: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Content-Length passes (the envelope allowance made huge here), the file does not: the
    handler stops reading just past the limit, far before the end of the body."""
    monkeypatch.setattr(services, "MAX_ATTACHMENT_BYTES", 1 * MB)
    monkeypatch.setattr(uploads, "ENVELOPE", 100 * MB)
    payload = encode_multipart(
        BOUNDARY, {"section": "general", "file": SimpleUploadedFile("big.pdf", PDF + bytes(5 * MB))}
    )
    body = Counting(payload)
    response = _raw_post(client_for(applicant), _add_url(draft), body, len(payload), HTMX)
    assert response.status_code == 413
    assert "文件超过上限1 MB，未上传。" in _box(response.content.decode(), "general")
    assert body.taken < 1.5 * MB < len(payload)
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("营业执照.pdf", EXE, "文件“营业执照.pdf”不能上传：这是可执行程序，不是PDF"),
        ("空白.pdf", b"", "文件“空白.pdf”是空文件"),
    ],
)
def test_a_refused_file_is_answered_in_its_box(
    draft: Application, applicant: User, name: str, data: bytes, message: str
) -> None:
    response = client_for(applicant).post(
        _add_url(draft, "records"),
        {"section": "records", "file": SimpleUploadedFile(name, data)},
        headers=HTMX,
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "<html" not in html
    box = _box(html, "records")
    assert message in box
    assert 'class="alert alert-danger' in box
    assert message not in _box(html, "general")
    assert not Attachment.objects.exists()


def test_a_success_is_answered_in_its_box_and_listed(draft: Application, applicant: User) -> None:
    response = client_for(applicant).post(
        _add_url(draft, "self"),
        {"section": "self", "file": SimpleUploadedFile("自评报告.pdf", PDF)},
        headers=HTMX,
    )
    assert response.status_code == 200
    box = _box(response.content.decode(), "self")
    assert "已上传“自评报告.pdf”。" in box
    assert 'role="alert"' in box
    assert ">自评报告.pdf</a>" in box


@pytest.mark.req("A15.2")
def test_the_same_file_twice_asks_and_confirming_stores_it(
    draft: Application, applicant: User
) -> None:
    client = client_for(applicant)

    def send(**extra: str) -> Any:
        data = {"section": "general", "file": SimpleUploadedFile("营业执照-副本.pdf", PDF)}
        return client.post(_add_url(draft), data | extra, headers=HTMX)

    services.add_attachment(
        actor=applicant, application=draft, section="self", name="营业执照.pdf", data=PDF
    )
    asked = send()
    assert asked.status_code == 409
    box = _box(asked.content.decode(), "general")
    assert re.search(
        r"已上传过相同文件“营业执照.pdf”（\d{4}-\d\d-\d\d \d\d:\d\d上传），仍要上传吗？", box
    )
    digest = re.search(r'name="same_file" value="([0-9a-f]{64})"', box)
    assert digest is not None
    assert 'hx-preserve="true"' in box  # the chosen file stays chosen for the answer
    assert "仍要上传</button>" in box
    assert Attachment.objects.count() == 1

    stored = send(same_file=digest[1])
    assert stored.status_code == 200
    assert "已上传“营业执照-副本.pdf”。" in _box(stored.content.decode(), "general")
    assert Attachment.objects.filter(sha256=digest[1]).count() == 2
    first, again = AuditEvent.objects.filter(action="intake.attachment.add").order_by("seq")
    assert first.after is not None
    assert again.after is not None
    assert "same_file_of" not in first.after
    assert again.after["same_file_of"] == first.after["attachment"]  # the trail says it was meant

    # A removed file is not "already uploaded".
    for attachment in Attachment.objects.all():
        services.remove_attachment(actor=applicant, attachment=attachment)
    assert send().status_code == 200


def test_a_removal_without_javascript_answers_at_the_box(
    draft: Application, applicant: User
) -> None:
    attachment = services.add_attachment(
        actor=applicant, application=draft, section="records", name="记录.pdf", data=PDF
    )
    client = client_for(applicant)
    url = reverse("intake:attachment_remove", args=[draft.public_id, attachment.public_id])
    response = client.post(url)
    assert response["Location"].endswith("#att-records")
    html = client.get(response["Location"]).content.decode()
    assert "已删除“记录.pdf”。" in _box(html, "records")
    # Said once: the next visit is quiet.
    assert "已删除“记录.pdf”。" not in client.get(response["Location"]).content.decode()


def test_the_api_refuses_a_declared_30_mb_body_413_without_reading_it(
    draft: Application,
) -> None:
    client, headers = api_client("p_applicant")
    body = Untouchable()
    response = _raw_post(
        client, f"/api/v1/applications/{draft.public_id}/attachments", body, 30 * MB, headers
    )
    assert (response.status_code, body.reads) == (413, 0)
    assert response.json()["code"] == "too_large"
    assert response.json()["message"].startswith("文件大小为30.0 MB，超过上限20 MB")


def test_the_api_asks_about_the_same_file_and_takes_it_with_the_hash(
    draft: Application,
) -> None:
    client, headers = api_client("p_applicant")
    url = f"/api/v1/applications/{draft.public_id}/attachments"

    def send(**extra: str) -> Any:
        data = {"section": "general", "file": SimpleUploadedFile("a.pdf", PDF)} | extra
        return client.post(url, data, headers=headers)

    assert send().status_code == 201
    again = send()
    assert again.status_code == 409
    assert again.json()["code"] == "same_file"
    digest = again.json()["fields"]["same_file"][0]
    assert send(same_file_ok=digest).status_code == 201
    assert Attachment.objects.count() == 2


@pytest.mark.req("A15.2")
def test_the_api_saves_the_valid_fields_and_reports_the_rest(
    draft: Application,
) -> None:
    client, headers = api_client("p_applicant")
    body = {"summary": "主营精密零部件。" * 300, "employees": -5, "contact_name": "李明"}
    response = client.put(
        f"/api/v1/applications/{draft.public_id}/form",
        json.dumps(body),
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["draft_errors"] == {"employees": ["不能小于0"]}
    assert answer["data"]["summary"] == body["summary"]
    assert answer["data"]["employees"] is None
    draft.refresh_from_db()
    assert draft.draft_typed["employees"] == -5
    submitted = client.post(f"/api/v1/applications/{draft.public_id}/submit", headers=headers)
    assert submitted.status_code == 400
    assert submitted.json()["code"] == "invalid_fields"


def test_an_upload_that_is_read_is_csrf_checked(draft: Application, applicant: User) -> None:
    """The view answers a refused body before its CSRF check (nothing changes); any body it
    reads is checked: without the token, 403 and nothing stored."""
    client = client_for(applicant)
    client.handler.enforce_csrf_checks = True
    data = {"section": "general", "file": SimpleUploadedFile("a.pdf", PDF)}
    assert client.post(_add_url(draft), data).status_code == 403
    assert not Attachment.objects.exists()
    assert _raw_post(client, _add_url(draft), Untouchable(), 30 * MB).status_code == 413
