"""Attachments: the file type is read from the content, never trusted from the name.

An application carries scanned certificates, reports and tables. Only five kinds are
accepted (PDF, PNG, JPEG, DOCX, XLSX); the content decides the kind, and the name's extension
must agree with it, so an executable renamed ``.pdf`` or a page of HTML renamed ``.png`` is
refused with a message that says what the file really is when we can tell.

DOCX and XLSX are ZIP archives; only the archive's central directory is read (plus a bounded
read of ``[Content_Types].xml``), never the compressed contents, so a ZIP bomb costs nothing
here, and one is refused before anything later (openpyxl, a reader's Office) inflates it: too
many entries, too much declared uncompressed size, or one large entry compressed beyond any
real document's ratio (`office_limits`, settings UPLOAD_ZIP_*). A size the directory declares
falsely does not help a bomb: zipfile never returns more than the declared size of an entry
and fails its CRC check instead. Macro-enabled documents (.docm/.xlsm renamed .docx/.xlsx, a
vbaProject.bin or ActiveX controls anywhere) are refused; legacy OLE .doc/.xls, where a VBA
storage would hide, are not accepted at all.

An accepted file is then given to the virus scanner when one is configured (lib/scan.py:
clamd); a hit or an unreachable scanner refuses it.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings

from lib import scan

__all__ = [
    "DOCX",
    "JPEG",
    "KINDS",
    "PDF",
    "PNG",
    "XLSX",
    "FileKind",
    "OfficeLimits",
    "RejectedFile",
    "check_upload",
    "office_limits",
    "sniff",
]


@dataclass(frozen=True)
class FileKind:
    key: str
    label: str
    content_type: str
    extensions: tuple[str, ...]


PDF = FileKind("pdf", "PDF", "application/pdf", (".pdf",))
PNG = FileKind("png", "PNG 图片", "image/png", (".png",))
JPEG = FileKind("jpeg", "JPEG 图片", "image/jpeg", (".jpg", ".jpeg"))
DOCX = FileKind(
    "docx",
    "Word 文档",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    (".docx",),
)
XLSX = FileKind(
    "xlsx",
    "Excel 表格",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    (".xlsx",),
)
KINDS: tuple[FileKind, ...] = (PDF, PNG, JPEG, DOCX, XLSX)
_BY_EXTENSION = {extension: kind for kind in KINDS for extension in kind.extensions}
_ACCEPTED = "、".join(kind.label for kind in KINDS)

_MIB = 1024 * 1024
_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CONTENT_TYPES = "[Content_Types].xml"
_CONTENT_TYPES_LIMIT = _MIB  # a real one is a few kB
_OOXML_PARTS = (("word/document.xml", DOCX), ("xl/workbook.xml", XLSX))

_EXECUTABLE = "这是可执行程序"
# What a refused file looks like, by its first bytes. Checked in order, after the accepted kinds.
_LOOKS_LIKE: tuple[tuple[bytes, str], ...] = (
    (b"MZ", _EXECUTABLE),  # Windows .exe/.dll/.scr
    (b"\x7fELF", _EXECUTABLE),  # Linux
    (b"\xfe\xed\xfa\xce", _EXECUTABLE),  # macOS Mach-O, both byte orders and widths
    (b"\xfe\xed\xfa\xcf", _EXECUTABLE),
    (b"\xce\xfa\xed\xfe", _EXECUTABLE),
    (b"\xcf\xfa\xed\xfe", _EXECUTABLE),
    (b"\xca\xfe\xba\xbe", "这是可执行程序或Java类文件"),
    (b"#!", "这是可执行脚本"),
    (_OLE2, "这是旧版Office文件（.doc/.xls）或加密的Office文件，请去掉密码并另存为.docx或.xlsx"),
    (b"GIF87a", "这是GIF图片，请转换为PNG或JPEG"),
    (b"GIF89a", "这是GIF图片，请转换为PNG或JPEG"),
    (b"BM", "这是BMP图片，请转换为PNG或JPEG"),
    (b"II*\x00", "这是TIFF图片，请转换为PDF、PNG或JPEG"),
    (b"MM\x00*", "这是TIFF图片，请转换为PDF、PNG或JPEG"),
    (b"Rar!\x1a\x07", "这是RAR压缩包"),
    (b"7z\xbc\xaf\x27\x1c", "这是7z压缩包"),
    (b"\x1f\x8b", "这是gzip压缩包"),
    (b"{\\rtf", "这是RTF文档，请另存为.docx"),
)


class RejectedFile(ValueError):
    """The upload is refused; the message names the file and the problem, in Chinese."""


@dataclass(frozen=True)
class OfficeLimits:
    """What a .docx/.xlsx's ZIP directory may declare (settings UPLOAD_ZIP_*)."""

    max_entries: int
    max_total_bytes: int
    max_ratio: int
    ratio_floor_bytes: int  # smaller entries are not held to the ratio


# A 300-page report or a 10,000-row workbook declares a few hundred entries and some tens of MB;
# real parts compress 5-30 times (a sheet of empty styled cells up to ~60). A 1 MB bomb that
# inflates to 1 GiB declares a ratio of ~1,000. Small parts (< 1 MiB) may compress beyond 100
# harmlessly, so the ratio is checked only on parts above the floor.
DEFAULT_OFFICE_LIMITS = OfficeLimits(
    max_entries=2_000,
    max_total_bytes=200 * 1024 * 1024,
    max_ratio=100,
    ratio_floor_bytes=1024 * 1024,
)


def office_limits() -> OfficeLimits:
    """The limits in force: settings UPLOAD_ZIP_MAX_ENTRIES, _MAX_TOTAL_BYTES, _MAX_RATIO."""
    d = DEFAULT_OFFICE_LIMITS
    return OfficeLimits(
        max_entries=getattr(settings, "UPLOAD_ZIP_MAX_ENTRIES", d.max_entries),
        max_total_bytes=getattr(settings, "UPLOAD_ZIP_MAX_TOTAL_BYTES", d.max_total_bytes),
        max_ratio=getattr(settings, "UPLOAD_ZIP_MAX_RATIO", d.max_ratio),
        ratio_floor_bytes=d.ratio_floor_bytes,
    )


_MACROS = "这是含有宏的Office文件，请另存为不含宏的.docx或.xlsx"
_ACTIVEX = "这是含有ActiveX控件的Office文件，请删除控件后另存为.docx或.xlsx"


def _bomb(infos: list[zipfile.ZipInfo], limits: OfficeLimits) -> str | None:
    """Why the archive's directory is refused as a decompression bomb, or None.

    Only the declared sizes of the central directory are read: nothing is inflated.
    """
    if len(infos) > limits.max_entries:
        return f"压缩包内文件过多（{len(infos)}个，上限{limits.max_entries}个），疑似压缩炸弹"
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size >= limits.ratio_floor_bytes:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                return (
                    f"其中“{info.filename[:60]}”压缩比为{ratio:.0f}倍（上限{limits.max_ratio}倍），"
                    "疑似压缩炸弹"
                )
    if total > limits.max_total_bytes:
        return f"解压后大小为{_size(total)}，超过上限{_size(limits.max_total_bytes)}，疑似压缩炸弹"
    return None


@dataclass(frozen=True)
class _Verdict:
    kind: FileKind | None
    looks_like: str | None = None  # what a refused file appears to be, when known
    flaw: bool = False  # looks_like is the whole reason (broken, a bomb, macros), not a kind


_BROKEN = _Verdict(None, "文件已损坏，无法打开", flaw=True)


def _ooxml(data: bytes) -> _Verdict:
    """Classify a ZIP archive: a DOCX, an XLSX, or what else it is."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()  # the central directory only
            names = {info.filename for info in infos}
            if _CONTENT_TYPES not in names:
                if "mimetype" in names and any(n.lower() == "ofd.xml" for n in names):
                    return _Verdict(None, "这是OFD版式文件，请转换为PDF")
                return _Verdict(None, "这是ZIP压缩包")
            if bomb := _bomb(infos, office_limits()):
                return _Verdict(None, bomb, flaw=True)
            lowered = [name.lower() for name in names]
            if any(name.endswith("vbaproject.bin") for name in lowered):
                return _Verdict(None, _MACROS, flaw=True)
            if any("/activex/" in f"/{name}" for name in lowered):
                return _Verdict(None, _ACTIVEX, flaw=True)
            info = archive.getinfo(_CONTENT_TYPES)
            if info.file_size > _CONTENT_TYPES_LIMIT:
                return _BROKEN
            with archive.open(info) as stream:
                # Capped read: a part whose declared size lies still yields at most this much.
                content_types = stream.read(_CONTENT_TYPES_LIMIT + 1)
    except Exception:  # whatever a broken archive makes zipfile or zlib raise
        return _BROKEN
    if len(content_types) > _CONTENT_TYPES_LIMIT:
        return _BROKEN
    if b"macroenabled" in content_types.lower() or b"vbaproject" in content_types.lower():
        return _Verdict(None, _MACROS, flaw=True)
    for part, kind in _OOXML_PARTS:
        if part in names:
            return _Verdict(kind)
    if "ppt/presentation.xml" in names:
        return _Verdict(None, "这是PowerPoint演示文稿，请转换为PDF")
    return _Verdict(None, "这是其他类型的Office文件")


def _looks_like_markup(data: bytes) -> str | None:
    head = data[:1024].removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if head.startswith((b"<?xml", b"<svg", b"<!doctype svg")):
        return "这是SVG图片" if b"<svg" in head else "这是XML文件"
    if head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<!--")):
        return "这是网页（HTML）文件"
    return None


def _identify(data: bytes) -> _Verdict:
    if data.startswith(b"%PDF-"):
        return _Verdict(PDF)
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        return _Verdict(PNG)
    if data.startswith(b"\xff\xd8\xff"):
        return _Verdict(JPEG)
    if data.startswith(_ZIP):
        return _ooxml(data)
    for magic, description in _LOOKS_LIKE:
        if data.startswith(magic):
            return _Verdict(None, description)
    if data.startswith(b"PK"):
        return _Verdict(None, "这是ZIP压缩包")
    return _Verdict(None, _looks_like_markup(data))


def sniff(head: bytes) -> FileKind | None:
    """The accepted kind the content is, or None.

    PDF, PNG and JPEG are told by their first bytes. DOCX and XLSX are ZIP archives whose
    directory sits at the end of the file, so for them pass the whole file: a ZIP that cannot
    be opened (a truncated head included) is None. Never raises.
    """
    return _identify(head).kind


def _extension(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip().rstrip(".")
    return PurePosixPath(base).suffix.lower() if base else ""


def _size(count: int) -> str:
    megabytes = count / _MIB
    return f"{megabytes:.0f} MB" if count % _MIB == 0 else f"{megabytes:.1f} MB"


def check_upload(name: str, data: bytes, *, max_bytes: int) -> FileKind:
    """The kind of an uploaded file, or RejectedFile saying why it is refused.

    Checks, in order: not empty, at most ``max_bytes``, the content is one of the accepted
    kinds (for .docx/.xlsx: no decompression bomb, no macros), the extension of ``name`` is
    one of that kind's extensions, and the virus scanner, when configured, finds nothing
    (lib/scan.py; a configured scanner that cannot be reached refuses the file too).
    Every upload of the system passes here: attachments, approval files, objection evidence,
    the expert list and the holiday arrangement.
    """
    shown = name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "（无文件名）"
    prefix = f"文件“{shown}”"
    if not data:
        raise RejectedFile(f"{prefix}是空文件")
    if len(data) > max_bytes:
        raise RejectedFile(f"{prefix}大小为{_size(len(data))}，超过上限{_size(max_bytes)}")
    extension = _extension(name)
    claimed = _BY_EXTENSION.get(extension)
    verdict = _identify(data)
    kind = verdict.kind
    if kind is None:
        what = verdict.looks_like or "无法识别文件内容"
        if verdict.flaw:
            raise RejectedFile(f"{prefix}不能上传：{what}")
        if claimed is not None:
            raise RejectedFile(f"{prefix}不能上传：{what}，不是{claimed.label}")
        raise RejectedFile(f"{prefix}不能上传：{what}。只能上传{_ACCEPTED}")
    if claimed is not kind:
        if extension:
            raise RejectedFile(f"{prefix}不能上传：文件内容是{kind.label}，与扩展名{extension}不符")
        raise RejectedFile(
            f"{prefix}不能上传：文件内容是{kind.label}，但文件名没有扩展名"
            f"（应为{'或'.join(kind.extensions)}）"
        )
    try:
        scan.scan_bytes(data)
    except scan.Infected as exc:
        raise RejectedFile(f"{prefix}未通过病毒扫描（检出 {exc.signature}），未保存。") from exc
    except scan.ScannerUnavailable as exc:
        raise RejectedFile(f"{prefix}：{scan.UNAVAILABLE}") from exc
    return kind
