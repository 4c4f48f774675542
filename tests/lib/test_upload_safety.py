"""Uploads that are dangerous though well formed (issue 15 part 6): decompression bombs and
macros in Office files, refused from the ZIP directory alone; and the virus scanner hook
(lib/scan.py), tested against a stub that speaks clamd's INSTREAM protocol on a real socket.
"""

from __future__ import annotations

import io
import random
import struct
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import docx
import openpyxl
import pytest

from lib import scan
from lib.files import DOCX, PDF, XLSX, RejectedFile, check_upload
from tests.clamd_stub import EICAR, clamd

pytestmark = pytest.mark.req("A3.1")

LIMIT = 20 * 1024 * 1024
GIB = 1 << 30
MIB = 1 << 20
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)
EICAR_PDF = PDF_BYTES.replace(b"%%EOF", b"% " + EICAR + b"\n%%EOF")
CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Override PartName="/word/document.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
DOCUMENT = b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>'


def real_docx() -> bytes:
    document = docx.Document()
    document.add_heading("自评报告", level=1)
    document.add_paragraph("如皋市市长质量奖申报材料。" * 50)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def real_xlsx() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in range(1, 2001):
        sheet.append([row, f"申报组织{row}", row * 1.5])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def zip_of(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in parts.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def _deflated_zeros(count_mib: int) -> tuple[bytes, int]:
    """A raw DEFLATE stream of `count_mib` MiB of zeros and its CRC-32, made without
    compressing them all: after a full flush the compressor starts afresh, so each further MiB
    compresses to the same ~1 kB block, which is repeated."""
    zeros = bytes(MIB)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    middle = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH) == middle
    last = compressor.compress(zeros) + compressor.flush()
    crc = 0
    for _ in range(count_mib):
        crc = zlib.crc32(zeros, crc)
    return first + middle * (count_mib - 2) + last, crc


def _raw_zip(entries: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A ZIP from (name, raw deflate data, crc, declared size, method) entries, written by hand
    (no ZIP64: every size here is under 4 GiB)."""
    out, central = io.BytesIO(), io.BytesIO()
    for name, body, crc, size, method in entries:
        encoded = name.encode()
        offset = out.tell()
        fields = (20, 0, method, 0, 0x21, crc, len(body), size, len(encoded))
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields, 0) + encoded + body)
        central.write(
            struct.pack("<IH", 0x02014B50, 20)
            + struct.pack("<HHHHHIIIHHHHHII", *fields, 0, 0, 0, 0, 0, offset)
            + encoded
        )
    start, directory = out.tell(), central.getvalue()
    count = len(entries)
    out.write(directory)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(directory), start, 0))
    return out.getvalue()


def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def _entry(name: str, data: bytes) -> tuple[str, bytes, int, int, int]:
    return (name, _deflate(data), zlib.crc32(data), len(data), zipfile.ZIP_DEFLATED)


@pytest.fixture(scope="module")
def gib_docx() -> bytes:
    """A ~1 MB .docx whose one image part inflates to 1 GiB of zeros."""
    stream, crc = _deflated_zeros(1024)
    return _raw_zip(
        [
            _entry("[Content_Types].xml", CONTENT_TYPES),
            _entry("word/document.xml", DOCUMENT),
            ("word/media/image1.png", stream, crc, GIB, zipfile.ZIP_DEFLATED),
        ]
    )


def rejection(name: str, data: bytes) -> str:
    with pytest.raises(RejectedFile) as info:
        check_upload(name, data, max_bytes=LIMIT)
    return str(info.value)


# --- decompression bombs ----------------------------------------------------------------------


def test_the_gib_docx_is_refused_from_its_directory_without_inflating(
    gib_docx: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert 1_000_000 < len(gib_docx) < 1_100_000
    # It is a valid archive: its one big part really does inflate to 1 GiB (checked here on
    # the first MiB only) and its directory declares so.
    with zipfile.ZipFile(io.BytesIO(gib_docx)) as archive:
        info = archive.getinfo("word/media/image1.png")
        assert info.file_size == GIB
        with archive.open(info) as part:
            assert part.read(MIB) == bytes(MIB)
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def spy(self: zipfile.ZipFile, name: object, *args: object, **kwargs: object) -> object:
        opened.append(str(getattr(name, "filename", name)))
        return real_open(self, name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    started = time.perf_counter()
    message = rejection("申报书.docx", gib_docx)
    elapsed = time.perf_counter() - started
    assert message == (
        "文件“申报书.docx”不能上传：其中“word/media/image1.png”压缩比为1011倍（上限100倍），"
        "疑似压缩炸弹"
    )
    assert opened == []  # nothing was inflated, not even [Content_Types].xml
    assert elapsed < 0.5  # inflating the GiB takes seconds


def test_total_declared_size_over_the_limit_is_refused(settings: object) -> None:
    # Three parts of an ordinary ratio (hex text, ~2×) that together declare more than 5 MiB.
    text = random.Random(15).randbytes(900_000).hex().encode()
    data = zip_of(
        {"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": DOCUMENT}
        | {f"word/media/part{i}.xml": text for i in range(3)}
    )
    settings.UPLOAD_ZIP_MAX_TOTAL_BYTES = 5 * MIB  # type: ignore[attr-defined]
    assert rejection("报告.docx", data) == (
        "文件“报告.docx”不能上传：解压后大小为5.2 MB，超过上限5 MB，疑似压缩炸弹"
    )
    settings.UPLOAD_ZIP_MAX_TOTAL_BYTES = 200 * MIB  # type: ignore[attr-defined]
    assert check_upload("报告.docx", data, max_bytes=LIMIT) is DOCX


def test_too_many_entries_are_refused() -> None:
    parts = {"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": DOCUMENT}
    parts |= {f"word/media/{i}.xml": b"" for i in range(2000)}
    assert "压缩包内文件过多（2002个，上限2000个），疑似压缩炸弹" in rejection(
        "多.docx", zip_of(parts)
    )


def test_a_part_whose_declared_size_lies_is_read_with_a_cap() -> None:
    # [Content_Types].xml declares 200 bytes but inflates to 64 MiB: the one part we read is
    # read up to its declared size and then fails its CRC, so it is refused as broken.
    stream, crc = _deflated_zeros(64)
    data = _raw_zip(
        [
            ("[Content_Types].xml", stream, crc, 200, zipfile.ZIP_DEFLATED),
            _entry("word/document.xml", DOCUMENT),
        ]
    )
    started = time.perf_counter()
    assert rejection("申报书.docx", data) == "文件“申报书.docx”不能上传：文件已损坏，无法打开"
    assert time.perf_counter() - started < 0.5


def test_a_malformed_zip_is_refused() -> None:
    good = zip_of({"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": DOCUMENT})
    assert (
        rejection("坏.docx", good[: len(good) // 2])
        == "文件“坏.docx”不能上传：文件已损坏，无法打开"
    )


# --- macros -----------------------------------------------------------------------------------


def test_a_docx_with_a_vba_project_is_refused() -> None:
    data = zip_of(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "word/document.xml": DOCUMENT,
            "word/vbaProject.bin": b"\xd0\xcf\x11\xe0" + b"\x00" * 60,
        }
    )
    assert rejection("申报书.docx", data) == (
        "文件“申报书.docx”不能上传：这是含有宏的Office文件，请另存为不含宏的.docx或.xlsx"
    )


def test_activex_controls_are_refused() -> None:
    data = zip_of(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "word/document.xml": DOCUMENT,
            "word/activeX/activeX1.xml": b"<ax:ocx/>",
        }
    )
    assert "含有ActiveX控件" in rejection("申报书.docx", data)


@pytest.mark.parametrize("name", ["申报书.docm", "数据.xlsm", "汇报.pptm"])
def test_macro_enabled_types_are_refused(name: str) -> None:
    macro_types = CONTENT_TYPES.replace(
        b"wordprocessingml.document.main+xml", b"ms-word.document.macroEnabled.main+xml"
    )
    data = zip_of({"[Content_Types].xml": macro_types, "word/document.xml": DOCUMENT})
    assert "含有宏" in rejection(name, data)


def test_legacy_ole_documents_are_not_accepted() -> None:
    # A .doc (OLE2) could carry a _VBA_PROJECT storage; the Office accepts none of them.
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "_VBA_PROJECT".encode("utf-16-le")
    assert "旧版Office文件" in rejection("申报书.doc", ole)


def test_ordinary_office_files_are_still_accepted() -> None:
    assert check_upload("自评报告.docx", real_docx(), max_bytes=LIMIT) is DOCX
    assert check_upload("数据表.xlsx", real_xlsx(), max_bytes=LIMIT) is XLSX


# --- the scanner hook -------------------------------------------------------------------------


@pytest.fixture
def socket_dir() -> Iterator[Path]:
    # A short path: a unix socket's path is limited to ~100 bytes.
    with tempfile.TemporaryDirectory(prefix="clamd", dir="/tmp") as where:
        yield Path(where)


def test_eicar_is_refused_by_clamd_on_a_unix_socket(settings: object, socket_dir: Path) -> None:
    sock = socket_dir / "clamd.ctl"
    with clamd(unix=sock) as server:
        settings.CLAMD_SOCKET = str(sock)  # type: ignore[attr-defined]
        assert rejection("证明.pdf", EICAR_PDF) == (
            "文件“证明.pdf”未通过病毒扫描（检出 Eicar-Test-Signature），未保存。"
        )
        assert check_upload("证明.pdf", PDF_BYTES, max_bytes=LIMIT) is PDF
    assert server.streams == [EICAR_PDF, PDF_BYTES]  # the whole file, as sent in INSTREAM


def test_a_large_file_goes_in_chunks_over_tcp(settings: object) -> None:
    big = PDF_BYTES + b"%" + b"x" * (3 * MIB) + b"\n" + EICAR + b"\n"
    with clamd() as server:
        host, port = server.server_address  # type: ignore[attr-defined]
        settings.CLAMD_ADDRESS = f"{host}:{port}"  # type: ignore[attr-defined]
        assert "检出 Eicar-Test-Signature" in rejection("大.pdf", big)
    assert server.streams == [big]


def test_a_bomb_is_refused_before_it_reaches_the_scanner(
    settings: object, socket_dir: Path
) -> None:
    sock = socket_dir / "clamd.ctl"
    data = zip_of(
        {"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": DOCUMENT}
        | {"word/media/zeros.bin": bytes(8 * MIB)}
    )
    with clamd(unix=sock) as server:
        settings.CLAMD_SOCKET = str(sock)  # type: ignore[attr-defined]
        assert "疑似压缩炸弹" in rejection("报告.docx", data)
    assert server.streams == []


def test_a_configured_scanner_that_is_down_refuses(settings: object, socket_dir: Path) -> None:
    settings.CLAMD_SOCKET = str(socket_dir / "missing.ctl")  # type: ignore[attr-defined]
    assert rejection("证明.pdf", PDF_BYTES) == (
        "文件“证明.pdf”：病毒扫描服务暂不可用，文件未保存，请稍后再试。"
    )
    settings.CLAMD_SOCKET = ""  # type: ignore[attr-defined]
    with clamd() as server:  # a port that was open and is closed now
        port = server.server_address[1]  # type: ignore[attr-defined]
    settings.CLAMD_ADDRESS = f"127.0.0.1:{port}"  # type: ignore[attr-defined]
    assert scan.UNAVAILABLE in rejection("证明.pdf", PDF_BYTES)


def test_a_scanner_that_never_answers_times_out_and_refuses(
    settings: object, socket_dir: Path
) -> None:
    sock = socket_dir / "clamd.ctl"
    with clamd(unix=sock, silent=True):
        settings.CLAMD_SOCKET = str(sock)  # type: ignore[attr-defined]
        settings.CLAMD_TIMEOUT = 0.3  # type: ignore[attr-defined]
        started = time.perf_counter()
        assert scan.UNAVAILABLE in rejection("证明.pdf", PDF_BYTES)
        assert time.perf_counter() - started < 3


def test_without_a_scanner_nothing_is_scanned(settings: object) -> None:
    settings.CLAMD_SOCKET = ""  # type: ignore[attr-defined]
    settings.CLAMD_ADDRESS = ""  # type: ignore[attr-defined]
    assert scan.configured() == ""
    assert check_upload("证明.pdf", EICAR_PDF, max_bytes=LIMIT) is PDF
