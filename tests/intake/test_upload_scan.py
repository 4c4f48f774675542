"""The virus scanner through the applicant's attachment page (issue 15 part 6): a PDF carrying
the EICAR test string is refused by a stub clamd on a real socket and nothing is saved; a clean
PDF passes through it; a configured scanner that is down refuses; a decompression bomb and a
macro document are refused by the same page."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import User
from intake.models import Application, Attachment
from tests.clamd_stub import EICAR, clamd
from tests.conftest import client_for

pytestmark = pytest.mark.req("A3.1")

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EICAR_PDF = PDF.replace(b"%%EOF", b"% " + EICAR + b"\n%%EOF")


@pytest.fixture
def clamd_socket(settings: Any) -> Iterator[Any]:
    with tempfile.TemporaryDirectory(prefix="clamd", dir="/tmp") as where:
        path = Path(where) / "clamd.ctl"
        with clamd(unix=path) as server:
            settings.CLAMD_SOCKET = str(path)
            yield server


def _post(draft: Application, user: User, name: str, data: bytes, status: int = 400) -> str:
    """A plain (no JavaScript) upload: a refusal is the page itself, with the reason in the
    upload box (400); a success goes back to the page (200 after the redirect)."""
    response = client_for(user).post(
        reverse("intake:attachment_add", args=[draft.public_id]),
        {"section": "general", "file": SimpleUploadedFile(name, data)},
        follow=True,
    )
    assert response.status_code == status
    return response.content.decode()


def test_eicar_in_a_pdf_is_refused_and_nothing_saved(
    draft: Application, personas: dict[str, User], clamd_socket: Any
) -> None:
    media = Path(Attachment._meta.get_field("file").storage.location)  # type: ignore[attr-defined]
    before = {p for p in media.rglob("*") if p.is_file()} if media.exists() else set()
    html = _post(draft, personas["applicant"], "营业执照.pdf", EICAR_PDF)
    assert "文件“营业执照.pdf”未通过病毒扫描（检出 Eicar-Test-Signature），未保存。" in html
    assert not Attachment.objects.exists()
    after = {p for p in media.rglob("*") if p.is_file()} if media.exists() else set()
    assert after == before
    assert clamd_socket.streams == [EICAR_PDF]


def test_a_clean_pdf_passes_through_the_scanner(
    draft: Application, personas: dict[str, User], clamd_socket: Any
) -> None:
    html = _post(draft, personas["applicant"], "营业执照.pdf", PDF, status=200)
    assert "已上传“营业执照.pdf”。" in html
    assert Attachment.objects.get().kind == "pdf"
    assert clamd_socket.streams == [PDF]


def test_a_configured_scanner_that_is_down_refuses_the_upload(
    draft: Application, personas: dict[str, User], settings: Any
) -> None:
    settings.CLAMD_SOCKET = str(Path(tempfile.gettempdir()) / "no-such-clamd.ctl")
    html = _post(draft, personas["applicant"], "营业执照.pdf", PDF)
    assert "病毒扫描服务暂不可用，文件未保存，请稍后再试。" in html
    assert not Attachment.objects.exists()


def test_a_bomb_and_a_macro_document_are_refused_by_the_page(
    draft: Application, personas: dict[str, User]
) -> None:
    import io
    import zipfile

    def docx(extra: dict[str, bytes]) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("[Content_Types].xml", b"<Types/>")
            archive.writestr("word/document.xml", b"<w:document/>")
            for name, body in extra.items():
                archive.writestr(name, body)
        return buffer.getvalue()

    bomb = _post(draft, personas["applicant"], "报告.docx", docx({"word/a.bin": bytes(16 << 20)}))
    assert "疑似压缩炸弹" in bomb
    macro = _post(draft, personas["applicant"], "报告.docx", docx({"word/vbaProject.bin": b"x"}))
    assert "这是含有宏的Office文件" in macro
    assert not Attachment.objects.exists()
