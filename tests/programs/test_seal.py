"""The office's 电子印章 (issue 16): the Office uploads a transparent PNG, it is checked like every
upload (content, size, virus scanner) and as a seal (size, shape, transparency), audited, shown
on the page, printed on a specimen certificate; removed with a reason. Others may not."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pypdfium2 as pdfium
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.models import Role, User
from audit.models import AuditEvent
from lib.errors import PermissionDenied, ServiceError
from programs.models import AwardProgram, Seal
from programs.services import remove_seal, upload_seal
from tests.conftest import client_for
from tests.lib.test_certificates_signed import seal_png

pytestmark = pytest.mark.req("A21.1")


def _upload(client: Any, name: str, data: bytes, content_type: str = "image/png") -> Any:
    return client.post(
        reverse("programs:seal_upload"),
        {"image": SimpleUploadedFile(name, data, content_type=content_type)},
    )


def test_the_office_uploads_its_seal_and_sees_it(office: User, program: AwardProgram) -> None:
    client = client_for(office)
    page = client.get(reverse("programs:seal"))
    assert page.status_code == 200
    assert "尚未上传电子印章" in page.content.decode()
    data = seal_png()
    response = _upload(client, "公章.png", data)
    assert response.status_code == 302
    seal = Seal.objects.get(program=program)
    assert bytes(seal.image) == data
    assert (seal.width, seal.height) == (480, 480)
    assert seal.uploaded_by == office
    event = AuditEvent.objects.get(action="programs.seal.upload")
    assert event.actor_id == office.pk
    assert event.after == {
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "name": "公章.png",
    }
    assert event.before is None
    html = client.get(reverse("programs:seal")).content.decode()
    assert 'src="data:image/png;base64,' in html
    assert seal.sha256 in html
    assert "撤下印章" in html


def test_a_replaced_seal_keeps_the_old_digest_in_the_trail(
    office: User, program: AwardProgram
) -> None:
    first, second = seal_png(), seal_png(600)
    upload_seal(actor=office, program=program, name="a.png", data=first)
    upload_seal(actor=office, program=program, name="b.png", data=second)
    assert Seal.objects.get().width == 600
    event = AuditEvent.objects.filter(action="programs.seal.upload").order_by("-seq").first()
    assert event is not None
    assert event.before == {"sha256": hashlib.sha256(first).hexdigest(), "size": len(first)}


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("公章.png", b"MZ\x90\x00" + b"\x00" * 200, "这是可执行程序"),
        ("公章.png", b"<html><script>alert(1)</script></html>", "不能上传"),
        ("公章.txt", b"just some text, not an image", "不能上传"),
        ("公章.png", seal_png(opaque=True), "没有透明背景"),
        ("公章.png", seal_png(200), "每边须在400至4000像素之间"),
    ],
)
def test_the_upload_page_refuses_what_is_not_a_transparent_png_seal(
    office: User, program: AwardProgram, name: str, data: bytes, message: str
) -> None:
    response = _upload(client_for(office), name, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Seal.objects.exists()
    assert not AuditEvent.objects.filter(action="programs.seal.upload").exists()


def test_a_jpeg_is_refused_as_a_seal(office: User, program: AwardProgram) -> None:
    out = io.BytesIO()
    Image.new("RGB", (500, 500), (200, 0, 0)).save(out, "JPEG")
    response = _upload(client_for(office), "公章.jpg", out.getvalue(), "image/jpeg")
    assert response.status_code == 400
    assert "印章图片须为背景透明的PNG图片" in response.content.decode()


def test_an_oversized_seal_is_refused(office: User, program: AwardProgram, settings: Any) -> None:
    settings.SEAL_MAX_BYTES = 1024
    response = _upload(client_for(office), "公章.png", seal_png())
    assert response.status_code == 400
    assert "超过上限" in response.content.decode()


def test_the_office_removes_the_seal_with_a_reason(office: User, program: AwardProgram) -> None:
    data = seal_png()
    upload_seal(actor=office, program=program, name="a.png", data=data)
    client = client_for(office)
    refused = client.post(reverse("programs:seal_remove"), {"reason": ""})
    assert refused.status_code == 400
    assert Seal.objects.exists()
    response = client.post(reverse("programs:seal_remove"), {"reason": "印章更换，旧章停用"})
    assert response.status_code == 302
    assert not Seal.objects.exists()
    event = AuditEvent.objects.get(action="programs.seal.remove")
    assert event.reason == "印章更换，旧章停用"
    assert event.before == {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    again = client.post(reverse("programs:seal_remove"), {"reason": "再撤一次"})
    assert again.status_code == 400
    assert "尚未上传电子印章" in again.content.decode()


def test_the_specimen_carries_the_seal_and_says_it_is_a_specimen(
    office: User, program: AwardProgram
) -> None:
    client = client_for(office)
    upload_seal(actor=office, program=program, name="a.png", data=seal_png())
    response = client.get(reverse("programs:seal_specimen"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    document = pdfium.PdfDocument(response.content)
    try:
        page = document[0]
        assert "样张" in page.get_textpage().get_text_range()
        images = [obj for obj in page.get_objects() if obj.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE]
        assert len(images) == 1  # the seal
    finally:
        document.close()


def test_only_the_office_manages_the_seal(
    make_user: Any, office: User, program: AwardProgram
) -> None:
    supervisor = make_user(Role.SUPERVISOR)
    with pytest.raises(PermissionDenied):
        upload_seal(actor=supervisor, program=program, name="a.png", data=seal_png())
    assert _upload(client_for(supervisor), "a.png", seal_png()).status_code == 403
    upload_seal(actor=office, program=program, name="a.png", data=seal_png())
    with pytest.raises(PermissionDenied):
        remove_seal(actor=supervisor, program=program, reason="x")
    with pytest.raises(ServiceError):
        remove_seal(actor=office, program=program, reason=" ")
