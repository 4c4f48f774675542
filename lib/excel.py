"""Excel exports (.xlsx) that open cleanly in Microsoft Office and WPS.

Every text cell is stored as text, never as a formula: a value typed by an applicant such as
``=HYPERLINK(...)`` or ``@SUM(A1)`` is prefixed with an apostrophe (the OWASP advice against
formula injection, which also protects the text when someone copies it into another sheet or a
CSV file) and the cell type is forced to string. Dates are real Excel dates, so the Office can
sort and filter them; column widths count CJK characters as two.
"""

from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

__all__ = ["neutralize", "workbook_bytes"]

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
_MAX_WIDTH = 60
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


def _width(value: object) -> int:
    if value is None:
        return 0
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


def workbook_bytes(
    *,
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    sheet_name: str = "Sheet1",
) -> bytes:
    """One sheet with a bold, frozen header row and fitted columns, as .xlsx bytes.

    ``title`` goes into the workbook properties (shown by Explorer and the Office's file info).
    Text passes through :func:`neutralize`; characters that XML cannot hold (control
    characters other than tab and line breaks) are dropped; dates get the format yyyy-mm-dd.
    """
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = _sheet_title(sheet_name)
    workbook.properties.title = title

    widths: dict[int, int] = {}
    bold = Font(bold=True)

    def put(row: int, column: int, raw: object) -> None:
        value = _cell_value(raw)
        cell = sheet.cell(row=row, column=column, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # never a formula, never an error code such as #N/A
        number_format = _number_format(value)
        if number_format:
            cell.number_format = number_format
        widths[column] = max(widths.get(column, 0), _width(value))

    for column, header in enumerate(headers, start=1):
        put(1, column, header)
        sheet.cell(row=1, column=column).font = bold
    for row, values in enumerate(rows, start=2):
        for column, raw in enumerate(values, start=1):
            put(row, column, raw)

    sheet.freeze_panes = "A2"
    for column, width in widths.items():
        fitted = min(max(width + _PADDING, _MIN_WIDTH), _MAX_WIDTH)
        sheet.column_dimensions[get_column_letter(column)].width = fitted

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
