"""Excel exports (.xlsx) that open cleanly in Microsoft Office and WPS.

Every text cell is stored as text, never as a formula: a value typed by an applicant such as
``=HYPERLINK(...)`` or ``@SUM(A1)`` is prefixed with an apostrophe (the OWASP advice against
formula injection, which also protects the text when someone copies it into another sheet or a
CSV file) and the cell type is forced to string. Dates are real Excel dates, so the Office can
sort and filter them; column widths count CJK characters as two.

Every sheet is also laid out for paper (issue 16): a title row, the header row repeated on each
printed page, A4 landscape fitted to one page wide, number formats per column (`SCORE` 0.00,
`YUAN` #,##0), and totals that stay together on one page.
"""

from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["INTEGER", "SCORE", "YUAN", "neutralize", "print_setup", "workbook_bytes"]

# Number formats for `workbook_bytes(formats=...)`: a score always with its two decimals
# (650.00, not 650), an amount in yuan with thousands separators, a whole number as it is.
SCORE = "0.00"
YUAN = "#,##0"
INTEGER = "0"

_TRIGGERS = ("=", "+", "-", "@")
_CONTROL_TRIGGERS = ("\t", "\r")
_CHINA = ZoneInfo("Asia/Shanghai")
_DATE_FORMAT = "yyyy-mm-dd"
_DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
_TIME_FORMAT = "hh:mm:ss"
# Excel keeps 15 significant digits: a longer integer (an ID number stored as int) would lose
# its last digits, so it is written as text.
_EXACT_INTEGER = 10**15
_MIN_WIDTH = 6
_MAX_WIDTH = 40  # longer text wraps in its cell, so a page holds more columns legibly
_PADDING = 2
_SHEET_NAME_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", "_"))
_SHEET_NAME_LENGTH = 31


def neutralize(value: object) -> object:
    """``value`` made safe for a spreadsheet cell.

    A string that a spreadsheet would take for a formula (starting with = + - @, also after
    leading white space, or starting with a tab or carriage return) gets a leading ``'``.
    Anything that is not a string (numbers, dates, None) is returned unchanged.
    """
    if not isinstance(value, str):
        return value
    if value.startswith(_CONTROL_TRIGGERS) or value.lstrip().startswith(_TRIGGERS):
        return "'" + value
    return value


def _cell_value(value: object) -> object:
    """A value openpyxl can write and Excel reads back as the same thing."""
    if value is None or isinstance(value, bool | Decimal):
        return value
    if isinstance(value, int):
        return value if abs(value) < _EXACT_INTEGER else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else neutralize(str(value))
    if isinstance(value, datetime):
        # Excel has no time zones: an aware time is shown as China Standard Time.
        return value.astimezone(_CHINA).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return value
    if isinstance(value, time):
        return value.replace(tzinfo=None)
    return neutralize(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def _number_format(value: object) -> str | None:
    if isinstance(value, datetime):
        return _DATETIME_FORMAT
    if isinstance(value, date):
        return _DATE_FORMAT
    if isinstance(value, time):
        return _TIME_FORMAT
    return None


def _text_width(text: str) -> int:
    """Display width of the longest line, counting wide (CJK) characters as two."""
    return max(
        (
            sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in line)
            for line in text.splitlines()
        ),
        default=0,
    )


def _width(value: object, number_format: str | None = None) -> int:
    if value is None:
        return 0
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        if number_format == SCORE:
            return len(f"{value:.2f}")
        if number_format == YUAN:
            return len(f"{value:,.0f}")
    if isinstance(value, datetime):
        return len("2026-01-01 00:00:00")
    if isinstance(value, date):
        return len("2026-01-01")
    if isinstance(value, bool):
        return len("FALSE")
    return _text_width(str(value))


def _sheet_title(name: str) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of []:*?/\\, no edge apostrophe."""
    title = name.translate(_SHEET_NAME_FORBIDDEN)[:_SHEET_NAME_LENGTH].strip("'").strip()
    return title or "Sheet1"


# --- printing -----------------------------------------------------------------------------------
# A4 landscape in points, the margins in inches (openpyxl's unit), and the row heights the sheet
# sets explicitly so that Excel, WPS and LibreOffice break pages at the same rows and
# `_keep_together` can tell where a page ends.
_A4_LANDSCAPE = (842.0, 595.0)
_MARGIN_SIDE = 0.4
_MARGIN_TOP_BOTTOM = 0.6
_MARGIN_HEADER_FOOTER = 0.3
_TITLE_HEIGHT = 26.0
_ROW_HEIGHT = 18.0
_LINE_HEIGHT = 14.5  # each further line of wrapped text
_SAFETY_ROWS = 2  # applications round the fitted scale differently: keep this much clear
_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="E7ECF3")


def print_setup(sheet: Worksheet | WriteOnlyWorksheet, *, header_row: int | None) -> None:
    """A4 landscape, one page wide and as many down as it takes, the header row repeated on
    every printed page (``header_row``, if the sheet has one) and the page number in the
    footer: how the Office's exports print.

    The one home of the print layout: :func:`workbook_bytes` calls it for every export, and the
    audit trail (written row by row, `audit/export.py`) calls it for its own sheet.
    """
    if header_row is not None:
        sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = "9"  # A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as it takes
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_margins.left = sheet.page_margins.right = _MARGIN_SIDE
    sheet.page_margins.top = sheet.page_margins.bottom = _MARGIN_TOP_BOTTOM
    sheet.page_margins.header = sheet.page_margins.footer = _MARGIN_HEADER_FOOTER
    sheet.print_options.horizontalCentered = True
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"


# A column's width counts characters of the workbook's default font: Excel and WPS (Calibri)
# draw one in 7 pixels, LibreOffice without Calibri or Carlito in about 9.4 (measured on its
# PDF). Each scales a fit-to-width sheet by its own reckoning, so pages end at different rows.
_CHARACTER_PIXELS = (7.0, 9.4)


def _points(width: float, pixels: float) -> float:
    """A column width in characters as printed points (a character's pixels, 5 of padding)."""
    return (width * pixels + 5) * 0.75


def _page_of_rows(
    heights: list[float], widths: list[float], header_row: int, pixels: float
) -> list[int]:
    """The printed page (0, 1, ...) of each row, as a fit-to-width sheet paginates: every row's
    height scaled by the fitted scale (a whole percent, rounded down as the applications do),
    the header row repeated on top of every later page."""
    page_width, page_height = _A4_LANDSCAPE
    usable_width = page_width - 2 * 72 * _MARGIN_SIDE
    usable_height = page_height - 2 * 72 * _MARGIN_TOP_BOTTOM
    total = max(sum(_points(w, pixels) for w in widths), 1.0)
    scale = min(1.0, math.floor(usable_width / total * 100) / 100)
    repeated = heights[header_row - 1] * scale
    pages, page, used = [], 0, 0.0
    for height in heights:
        scaled = height * scale
        if used + scaled > usable_height:
            page, used = page + 1, repeated
        pages.append(page)
        used += scaled
    return pages


def _keep_together(sheet: Worksheet, first: int, last: int, header_row: int) -> None:
    """A manual page break before rows first..last (the totals) if, by the estimate of
    `_page_of_rows` for Excel or for LibreOffice, they would straddle a page or end within
    `_SAFETY_ROWS` of its foot. A break before the totals is always safe (they start a page);
    it costs paper only where one application did not need it."""
    heights = [
        sheet.row_dimensions[r].height or _ROW_HEIGHT for r in range(1, last + _SAFETY_ROWS + 1)
    ]
    widths = [
        sheet.column_dimensions[get_column_letter(c)].width or _MIN_WIDTH
        for c in range(1, sheet.max_column + 1)
    ]
    for pixels in _CHARACTER_PIXELS:
        pages = _page_of_rows(heights, widths, header_row, pixels)
        if pages[first - 1] != pages[-1]:
            sheet.row_breaks.append(Break(id=first - 1))  # the break falls after row first - 1
            return


def _lines(text: str, width: int) -> int:
    """How many lines ``text`` takes in a column ``width`` characters wide (CJK counting two)."""
    capacity = max(width - 1, 1)
    return sum(max(1, math.ceil(_text_width(line) / capacity)) for line in text.split("\n"))


def _wrap(sheet: Worksheet, rows: range, widths: dict[int, int]) -> None:
    """Text longer than its column (or on several lines) wraps, top-aligned; each row is as
    tall as its longest cell, set explicitly so that every application paginates alike."""
    columns = max(widths, default=1)
    for row in rows:
        tallest = 1
        # iter_rows with a column bound: `sheet[row]` measures the whole sheet's width on each
        # call, which made a workbook of n rows cost n² (4 ms a row at 4,000 rows, issue 17).
        for cell in next(sheet.iter_rows(min_row=row, max_row=row, max_col=columns)):
            lines = 1
            if isinstance(cell.value, str) and cell.column in widths:
                lines = _lines(cell.value, widths[cell.column])  # type: ignore[index]
            if lines > 1:
                cell.alignment = Alignment(vertical="top", wrap_text=True)
            else:
                cell.alignment = Alignment(vertical="center")
            tallest = max(tallest, lines)
        sheet.row_dimensions[row].height = _ROW_HEIGHT + _LINE_HEIGHT * (tallest - 1)


def workbook_bytes(
    *,
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    sheet_name: str = "Sheet1",
    formats: Mapping[str, str] | None = None,
    totals: Sequence[Sequence[object]] = (),
    title_row: bool = True,
) -> bytes:
    """One sheet laid out to be read on screen and printed, as .xlsx bytes.

    Row 1 holds ``title`` (merged across the columns, bold and larger; also the workbook's
    title property), row 2 the bold header row (frozen on screen, repeated on every printed
    page), then ``rows``, then, after an empty row, the bold ``totals`` rows, which never start
    on one printed page and end on the next. The sheet prints A4 landscape, one page wide (see
    :func:`print_setup`). ``formats`` gives a column's number format by its header (`SCORE`,
    `YUAN`...); dates get yyyy-mm-dd. ``title_row=False`` leaves the title row out, for a sheet
    that is read back by a program expecting its headers in row 1 (the experts' import template).

    Text passes through :func:`neutralize`; characters that XML cannot hold (control characters
    other than tab and line breaks) are dropped.
    """
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = _sheet_title(sheet_name)
    workbook.properties.title = title
    header_row = 2 if title_row else 1
    by_column = {
        column: (formats or {}).get(header) for column, header in enumerate(headers, start=1)
    }

    widths: dict[int, int] = {}
    bold = Font(bold=True)

    def put(row: int, column: int, raw: object, *, font: Font | None = None) -> None:
        value = _cell_value(raw)
        cell = sheet.cell(row=row, column=column, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # never a formula, never an error code such as #N/A
        number_format = _number_format(value) or (
            by_column.get(column) if isinstance(value, int | float | Decimal) else None
        )
        if number_format:
            cell.number_format = number_format
        cell.border = _BORDER
        if font is not None:
            cell.font = font
        widths[column] = max(widths.get(column, 0), _width(value, number_format))

    def put_row(row: int, values: Sequence[object], *, font: Font | None = None) -> None:
        for column, value in enumerate(values, start=1):
            put(row, column, value, font=font)

    put_row(header_row, headers, font=bold)
    for column in range(1, len(headers) + 1):
        sheet.cell(row=header_row, column=column).fill = _HEADER_FILL
    last = header_row
    for last, values in enumerate(rows, start=header_row + 1):
        put_row(last, values)
    if totals:
        first_total = last + 2  # one empty row between the entries and their totals
        sheet.row_dimensions[last + 1].height = _ROW_HEIGHT
        for row, values in enumerate(totals, start=first_total):
            put_row(row, values, font=bold)
        last = first_total + len(totals) - 1

    if title_row:
        sheet.row_dimensions[1].height = _TITLE_HEIGHT
        heading = sheet.cell(row=1, column=1, value=neutralize(title))
        heading.data_type = "s"
        heading.font = Font(bold=True, size=14)
        heading.alignment = Alignment(horizontal="center", vertical="center")
        if len(headers) > 1:
            sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))

    sheet.freeze_panes = f"A{header_row + 1}"
    fitted = {
        column: min(max(width + _PADDING, _MIN_WIDTH), _MAX_WIDTH)
        for column, width in widths.items()
    }
    for column, width in fitted.items():
        sheet.column_dimensions[get_column_letter(column)].width = width
    _wrap(sheet, range(header_row, last + 1), fitted)
    print_setup(sheet, header_row=header_row)
    if totals:
        _keep_together(sheet, last - len(totals) + 1, last, header_row)

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
