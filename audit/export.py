"""The audit trail as Excel (A27.1): the same filter, labels and masking as the trail page.

One sheet 审计日志 laid out for printing: a title row (what, which filter, when), the header row
repeated on every printed page and frozen on screen, fixed column widths with wrapped text, A4
landscape fitted to one page wide; before it, a sheet 链校验 with the chain's verification. The
supervisors read it on paper: the demo's trail printed 101 pages one column wide before.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from copy import copy
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from lib.access import perm_required
from lib.excel import neutralize, print_setup
from lib.http import file_response

from .selectors import Row, TrailFilter, rows_in_chunks, trail
from .services import verify_chain
from .views import TrailFilterForm, trail_filter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TITLE = "如皋市市长质量奖评审管理系统 审计日志"

# (header, width in characters): about 205 characters, one A4 landscape page wide when fitted.
COLUMNS: list[tuple[str, int]] = [
    ("序号", 7),
    ("时间", 18),
    ("操作人", 14),
    ("角色", 12),
    ("类别", 11),
    ("操作", 22),
    ("依据", 12),
    ("对象", 22),
    ("内容", 36),
    ("理由", 18),
    ("来源地址", 15),
    ("参考编号", 22),
]
HEADER_ROW = 2


def _details(row: Row) -> str:
    parts = []
    if row.details.before:
        parts.append("变更前：" + "；".join(f"{d.label}：{d.text}" for d in row.details.before))
    if row.details.after:
        prefix = "变更后：" if row.details.before else ""
        parts.append(prefix + "；".join(f"{d.label}：{d.text}" for d in row.details.after))
    return "\n".join(parts)


def _values(row: Row) -> list[Any]:
    e = row.event
    return [
        e.seq,
        timezone.localtime(e.created_at).replace(tzinfo=None),
        row.actor or "—",
        row.role,
        row.category,
        row.label,
        row.citation,
        "\n".join(x for x in (row.object, row.object_type) if x),
        _details(row),
        row.reason,
        e.client_ip,
        e.request_id,
    ]


def _cells(sheet: Worksheet, values: list[Any], style: dict[str, Any]) -> list[WriteOnlyCell]:
    # Setting a style looks it up in the workbook's style table (slow per cell): set it once on
    # a model cell and copy the resulting style ids to the others.
    model = WriteOnlyCell(sheet)
    for name, v in style.items():
        setattr(model, name, v)
    out = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=neutralize(value))
        cell._style = copy(model._style)
        if isinstance(value, str):
            cell.data_type = "s"  # never a formula
        out.append(cell)
    return out


def workbook(form: TrailFilterForm, reader: Any = None, *, program_id: int | None = None) -> bytes:
    """The filtered trail and the chain's verification as .xlsx bytes (write-only: the whole
    trail streams a chunk at a time)."""
    report = verify_chain()
    verified_at = timezone.localtime()
    book = Workbook(write_only=True)
    book.properties.title = TITLE

    scope = form.conditions() or "全部事件"
    # First the verdict (what a reader wants first), then the trail.
    check = book.create_sheet("链校验")
    check.column_dimensions["A"].width = 100
    print_setup(check, header_row=None)  # printed with the trail: A4 landscape too
    check.append(_cells(check, ["审计链校验通过" if report.ok else "审计链校验未通过"],
                        {"font": Font(bold=True)}))  # fmt: skip
    check.append(_cells(check, [str(report)], {}))
    check.append(_cells(check, [f"校验时间：{verified_at:%Y-%m-%d %H:%M:%S}"], {}))
    check.append(_cells(check, [f"导出范围：{scope}"], {}))

    sheet = book.create_sheet("审计日志")
    for i, (_, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    # A4 landscape, one page wide, the header row on every page: the exports' one layout.
    print_setup(sheet, header_row=HEADER_ROW)
    sheet.print_options.gridLines = True

    title = f"{TITLE}（筛选条件：{scope}；导出时间：{verified_at:%Y-%m-%d %H:%M}）"
    sheet.append(_cells(sheet, [title], {"font": Font(bold=True, size=13)}))
    header_style = {
        "font": Font(bold=True),
        "fill": PatternFill("solid", fgColor="DDE5F0"),
        "alignment": Alignment(vertical="center", wrap_text=True),
    }
    sheet.append(_cells(sheet, [h for h, _ in COLUMNS], header_style))
    body = {"alignment": Alignment(vertical="top", wrap_text=True)}
    when = WriteOnlyCell(sheet)
    when.alignment, when.number_format = Alignment(vertical="top"), "yyyy-mm-dd hh:mm:ss"
    # The reader's reach (a supervisor: the current program); without a reader, the
    # archive's cut: `program_id`, the archived year's program.
    f = trail_filter(form, reader) if reader is not None else None
    if f is None:
        form.is_valid()
        f = TrailFilter(
            **{k: v for k, v in getattr(form, "cleaned_data", {}).items() if v},
            program_id=program_id,
        )
    rows: Iterator[Row] = rows_in_chunks(trail(f))
    for row in rows:
        cells = _cells(sheet, _values(row), body)
        cells[1]._style = copy(when._style)
        sheet.append(cells)

    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@perm_required("audit.view_trail")
@require_GET
def audit_export(request: HttpRequest) -> HttpResponse:
    """The audit trail, filtered as on the trail page, as .xlsx (the download is itself an
    audit event, written by audit.middleware before the file leaves)."""
    form = TrailFilterForm(request.GET or None)
    data = workbook(form, request.user)
    stamp = timezone.localtime().strftime("%Y%m%d")
    return file_response(data, f"审计日志_{stamp}.xlsx", XLSX)
