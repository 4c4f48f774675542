"""Attachment checks: the kind comes from the content, and the name must agree with it."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.files import (
    DOCX,
    JPEG,
    KINDS,
    PDF,
    PNG,
    XLSX,
    FileKind,
    RejectedFile,
    check_upload,
    sniff,
)

LIMIT = 10 * 1024 * 1024

# A complete one-page PDF (catalog, pages, page; no xref offsets checked by any reader we use).
TINY_PDF = (
    b"%PDF-1.4\n"
    b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
    b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n"
    b"trailer << /Root 1 0 R >>\n"
    b"%%EOF\n"
)
JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56
OLE2_DOC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def tiny_png() -> bytes:
    """A 1×1 grey PNG, built by hand."""
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00\x80")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def zip_of(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in parts.items():
            archive.writestr(name, body)
    return buffer.getvalue()


CONTENT_TYPES_DOCX = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/'
    b'vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/word/document.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    b"</Types>"
)


def tiny_docx() -> bytes:
    return zip_of(
        {
            "[Content_Types].xml": CONTENT_TYPES_DOCX,
            "_rels/.rels": (
                b'<?xml version="1.0" encoding="UTF-8"?>'
                b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
                b'2006/relationships/officeDocument" Target="word/document.xml"/>'
                b"</Relationships>"
            ),
            "word/document.xml": (
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                "<w:body><w:p><w:r><w:t>如皋市市长质量奖</w:t></w:r></w:p></w:body></w:document>"
            ).encode(),
        }
    )


def tiny_xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet["A1"] = "申报组织"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


GOOD = [
    ("自评报告.pdf", TINY_PDF, PDF),
    ("营业执照.PNG", tiny_png(), PNG),
    ("证书.jpg", JPEG_HEAD, JPEG),
    ("证书.jpeg", JPEG_HEAD, JPEG),
    ("申报书.docx", tiny_docx(), DOCX),
    ("数据表.xlsx", tiny_xlsx(), XLSX),
]


def rejection(name: str, data: bytes, max_bytes: int = LIMIT) -> str:
    with pytest.raises(RejectedFile) as info:
        check_upload(name, data, max_bytes=max_bytes)
    return str(info.value)


def test_kinds_are_the_five_accepted() -> None:
    assert [kind.key for kind in KINDS] == ["pdf", "png", "jpeg", "docx", "xlsx"]
    assert [kind.label for kind in KINDS] == [
        "PDF",
        "PNG 图片",
        "JPEG 图片",
        "Word 文档",
        "Excel 表格",
    ]
    assert JPEG.extensions == (".jpg", ".jpeg")
    assert XLSX.content_type.endswith("spreadsheetml.sheet")


@pytest.mark.parametrize(("name", "data", "kind"), GOOD)
def test_real_minimal_files_are_accepted(name: str, data: bytes, kind: FileKind) -> None:
    assert sniff(data) is kind
    assert check_upload(name, data, max_bytes=LIMIT) is kind


def test_the_name_may_carry_a_path_and_odd_case() -> None:
    assert check_upload(r"C:\Users\张三\Desktop\报告.Pdf", TINY_PDF, max_bytes=LIMIT) is PDF
    assert check_upload("dir/报告.pdf", TINY_PDF, max_bytes=LIMIT) is PDF


def test_empty_file() -> None:
    assert rejection("报告.pdf", b"") == "文件“报告.pdf”是空文件"


def test_oversized_file_names_the_limit_in_mb() -> None:
    message = rejection("报告.pdf", TINY_PDF + b"\x00" * 2 * 1024 * 1024, max_bytes=2 * 1024 * 1024)
    assert message.startswith("文件“报告.pdf”大小为2.0 MB，超过上限2 MB")
    assert "1.5 MB" in rejection("报告.pdf", TINY_PDF * 10_000, max_bytes=3 * 512 * 1024)
    data = TINY_PDF + b" " * (LIMIT - len(TINY_PDF))
    assert check_upload("报告.pdf", data, max_bytes=LIMIT) is PDF  # exactly the limit is allowed


def test_executable_renamed_pdf() -> None:
    assert sniff(EXE) is None
    assert rejection("自评报告.pdf", EXE) == "文件“自评报告.pdf”不能上传：这是可执行程序，不是PDF"
    assert "这是可执行程序，不是Word 文档" in rejection("申报书.docx", ELF)
    assert "这是可执行脚本，不是PDF" in rejection("run.pdf", b"#!/bin/sh\nrm -rf /\n")


def test_executable_with_its_own_extension() -> None:
    message = rejection("setup.exe", EXE)
    assert message.startswith("文件“setup.exe”不能上传：这是可执行程序。只能上传")
    assert "PDF、PNG 图片、JPEG 图片、Word 文档、Excel 表格" in message


def test_extension_must_match_the_content() -> None:
    assert (
        rejection("申报书.docx", TINY_PDF)
        == "文件“申报书.docx”不能上传：文件内容是PDF，与扩展名.docx不符"
    )
    assert "文件内容是Word 文档，与扩展名.xlsx不符" in rejection("表.xlsx", tiny_docx())
    assert "文件内容是PNG 图片，与扩展名.jpg不符" in rejection("照片.jpg", tiny_png())
    assert "文件内容是PDF，与扩展名.exe不符" in rejection("报告.exe", TINY_PDF)
    assert "文件内容是JPEG 图片，但文件名没有扩展名（应为.jpg或.jpeg）" in rejection(
        "照片", JPEG_HEAD
    )


def test_legacy_office_files_get_a_hint() -> None:
    message = rejection("申报书.doc", OLE2_DOC)
    assert "旧版Office文件（.doc/.xls）" in message
    assert "另存为.docx或.xlsx" in message
    assert "不是Word 文档" in rejection("申报书.docx", OLE2_DOC)


@pytest.mark.parametrize(
    ("data", "looks_like"),
    [
        (b"<!DOCTYPE html><html><body>hi</body></html>", "这是网页（HTML）文件"),
        (b"\xef\xbb\xbf\n  <html><script>alert(1)</script></html>", "这是网页（HTML）文件"),
        (
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script/></svg>',
            "这是SVG图片",
        ),
        (b"<svg onload='alert(1)'/>", "这是SVG图片"),
        (b"GIF89a\x01\x00\x01\x00", "这是GIF图片"),
        (b"Rar!\x1a\x07\x01\x00", "这是RAR压缩包"),
        (zip_of({"a.txt": b"hello"}), "这是ZIP压缩包"),
        (zip_of({"mimetype": b"application/ofd", "OFD.xml": b"<ofd/>"}), "这是OFD版式文件"),
        (b"hello, world", "无法识别文件内容"),
    ],
)
def test_refusal_says_what_the_file_looks_like(data: bytes, looks_like: str) -> None:
    assert sniff(data) is None
    assert f"不能上传：{looks_like}" in rejection("图片.png", data)


def test_png_needs_its_header_chunk() -> None:
    assert sniff(tiny_png()[:16]) is PNG
    assert sniff(b"\x89PNG\r\n\x1a\n") is None


def test_zip_without_the_office_parts_is_not_office() -> None:
    no_types = zip_of({"word/document.xml": b"<w:document/>"})
    assert sniff(no_types) is None
    assert "这是ZIP压缩包，不是Word 文档" in rejection("申报书.docx", no_types)
    no_main = zip_of({"[Content_Types].xml": CONTENT_TYPES_DOCX})
    assert sniff(no_main) is None
    assert "这是其他类型的Office文件" in rejection("申报书.docx", no_main)


def test_macro_enabled_office_files_are_refused() -> None:
    docm = zip_of(
        {
            "[Content_Types].xml": CONTENT_TYPES_DOCX.replace(
                b"wordprocessingml.document.main+xml", b"ms-word.document.macroEnabled.main+xml"
            ),
            "word/document.xml": b"<w:document/>",
        }
    )
    assert sniff(docm) is None
    assert "含有宏" in rejection("申报书.docx", docm)
    with_vba = zip_of(
        {
            "[Content_Types].xml": CONTENT_TYPES_DOCX,
            "word/document.xml": b"<w:document/>",
            "word/vbaProject.bin": b"\x00" * 16,
        }
    )
    assert "含有宏" in rejection("申报书.docx", with_vba)


def test_broken_zip_is_refused_not_a_crash() -> None:
    docx = tiny_docx()
    assert sniff(docx[:200]) is None  # the head alone: the directory is at the end
    assert rejection("申报书.docx", docx[:200]) == "文件“申报书.docx”不能上传：文件已损坏，无法打开"
    corrupted = bytearray(docx)
    start = docx.index(b"[Content_Types].xml") + len("[Content_Types].xml")
    corrupted[start : start + 40] = b"\xff" * 40  # the compressed [Content_Types].xml
    assert "文件已损坏" in rejection("申报书.docx", bytes(corrupted))


def test_encrypted_zip_member_is_refused_not_a_crash() -> None:
    data = bytearray(tiny_docx())
    # Set the "encrypted" flag on every local and central directory entry.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        while at != -1:
            data[at + offset] |= 0x01
            at = data.find(signature, at + 4)
    assert "文件已损坏" in rejection("申报书.docx", bytes(data))


@given(data=st.binary(max_size=2048))
def test_random_bytes_never_crash(data: bytes) -> None:
    kind = sniff(data)
    assert kind is None or kind in KINDS
    message = ""
    try:
        result = check_upload("附件.pdf", data, max_bytes=1024)
    except RejectedFile as exc:
        message = str(exc)
    else:
        assert result is PDF
        return
    assert message.startswith("文件“附件.pdf”")


@given(
    magic=st.sampled_from(
        [b"%PDF-", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"PK\x03\x04", b"PK", b"MZ", b"<svg"]
    ),
    tail=st.binary(max_size=512),
    name=st.sampled_from(["a.pdf", "a.png", "a.jpg", "a.docx", "a.xlsx", "a", "a.exe", ".pdf"]),
)
def test_random_bytes_behind_a_magic_never_crash(magic: bytes, tail: bytes, name: str) -> None:
    try:
        kind = check_upload(name, magic + tail, max_bytes=LIMIT)
    except RejectedFile:
        return
    assert name.endswith(kind.extensions)


@settings(max_examples=200)
@given(
    source=st.sampled_from([tiny_docx(), tiny_xlsx()]),
    data=st.data(),
)
def test_damaged_office_files_never_crash(source: bytes, data: st.DataObject) -> None:
    damaged = bytearray(source)
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(damaged) - 1))
        damaged[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(damaged)))
    try:
        kind = check_upload("申报书.docx", bytes(damaged[:cut]), max_bytes=LIMIT)
    except RejectedFile:
        return
    assert kind is DOCX
