"""Working-day arithmetic for notice periods (A20.1: a public notice lasts ≥ 5 working days).

China's working days follow the State Council's yearly arrangement of statutory holidays and
make-up workdays (调休上班), so weekday arithmetic is wrong several times a year. The
``chinesecalendar`` package carries the arrangements it knows (2004..2026 in 1.11); the
Committee Office enters later years itself. A date in a year nobody knows is an error, never a
guess: a notice period computed from a guessed calendar could end a day early.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import PurePath
from types import MappingProxyType
from typing import Any

import chinese_calendar

from lib import files

__all__ = [
    "LIBRARY_YEARS",
    "ArrangementDay",
    "ArrangementFileError",
    "UnknownCalendarYear",
    "WorkCalendar",
    "read_arrangement_file",
]

# chinesecalendar answers for every year between its first and last listed holiday
# (its own _validate_date rule); outside that it raises NotImplementedError.
LIBRARY_YEARS: range = range(
    min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1
)

_ONE_DAY = timedelta(days=1)


class UnknownCalendarYear(Exception):
    """A date falls in a year whose holiday arrangement is unknown."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"工作日历尚无{year}年的节假日安排，"
            f"请委员会办公室先录入国务院办公厅发布的{year}年放假安排。"
        )


def _require_date(value: object, *, name: str = "day") -> date:
    # datetime is a date subclass; accepting it would silently drop the time and the timezone.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{name} must be a datetime.date, not {type(value).__name__}")
    return value


@functools.cache
def _library_is_workday(day: date) -> bool:
    # Cached: chinese_calendar.is_workday scans its whole table for the year range on each call.
    return bool(chinese_calendar.is_workday(day))


@dataclass(frozen=True)
class WorkCalendar:
    """The working-day calendar: Office-entered arrangements first, then chinesecalendar.

    ``overrides`` maps a date to True (调休上班, a working day) or False (放假, a rest day).
    ``entered_years`` are years whose whole arrangement the Office has entered: in them every
    date not in ``overrides`` is an ordinary weekday or weekend, and chinesecalendar is ignored.
    """

    overrides: Mapping[date, bool] = field(default_factory=dict, hash=False)
    entered_years: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        for day, value in self.overrides.items():
            _require_date(day, name="override key")
            if not isinstance(value, bool):
                raise TypeError(f"override for {day} must be a bool, not {type(value).__name__}")
        # Copy so that later changes to the caller's dict cannot change a frozen calendar.
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))
        object.__setattr__(self, "entered_years", frozenset(self.entered_years))

    def known_years(self) -> frozenset[int]:
        """Years in which every date can be answered."""
        return frozenset(LIBRARY_YEARS) | self.entered_years

    def is_workday(self, day: date) -> bool:
        """Whether ``day`` is a working day; raises UnknownCalendarYear for unknown years."""
        _require_date(day)
        override = self.overrides.get(day)
        if override is not None:
            return override
        if day.year in self.entered_years:
            return day.weekday() < 5
        if day.year in LIBRARY_YEARS:
            return _library_is_workday(day)
        raise UnknownCalendarYear(day.year)

    def add_workdays(self, start: date, n: int) -> date:
        """The date ``n`` working days after ``start`` (``start`` itself is not counted)."""
        _require_date(start, name="start")
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        day = start
        while n > 0:
            day += _ONE_DAY
            if self.is_workday(day):
                n -= 1
        return day

    def nth_workday(self, start: date, n: int) -> date:
        """The ``n``-th working day on or after ``start`` (``start`` counts as the first).

        A notice of 5 working days that starts on S ends on ``nth_workday(S, 5)``.
        """
        _require_date(start, name="start")
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        return self.add_workdays(start - _ONE_DAY, n)

    def count_workdays(self, start: date, end: date) -> int:
        """Working days d with start <= d <= end; 0 when end is before start."""
        _require_date(start, name="start")
        _require_date(end, name="end")
        count = 0
        day = start
        while day <= end:
            if self.is_workday(day):
                count += 1
            day += _ONE_DAY
        return count


# --- the Office's import file of one year's arrangement ------------------------------------


@dataclass(frozen=True)
class ArrangementDay:
    """One row of a year's holiday arrangement."""

    day: date
    is_workday: bool  # True = 调休上班, False = 放假
    name: str  # e.g. "国庆节" / "国庆节调休上班"


class ArrangementFileError(ValueError):
    """The arrangement file cannot be imported; ``errors`` holds one Chinese message per problem."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


_TYPE_VALUES: dict[str, bool] = {
    "放假": False,
    "休息": False,
    "holiday": False,
    "上班": True,
    "调休上班": True,
    "补班": True,
    "workday": True,
}
_TYPE_HINT = "应为“放假”（休息）或“上班”（调休上班、补班）"

_DATE_PATTERNS = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日"),
)

_COL_DATE, _COL_TYPE, _COL_NAME = "日期", "类型", "名称"


MAX_ARRANGEMENT_BYTES = 5 * 1024 * 1024  # a year's days are a few kB


def read_arrangement_file(data: bytes, filename: str) -> list[ArrangementDay]:
    """Read a year's arrangement from a .csv or .xlsx upload; every bad row is reported at once."""
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".csv":
        rows = _csv_rows(data)
    elif suffix == ".xlsx":
        rows = _xlsx_rows(data, filename)
    else:
        shown = suffix or "（无扩展名）"
        raise ArrangementFileError(
            [f"不支持的文件类型“{shown}”，请上传CSV（.csv）或Excel（.xlsx）文件。"]
        )
    return _parse_rows(rows)


def _csv_rows(data: bytes) -> list[tuple[int, list[Any]]]:
    if data.startswith(b"PK\x03\x04"):
        raise ArrangementFileError(
            ["文件扩展名为.csv，但内容是Excel等压缩格式文件，请将扩展名改为.xlsx或另存为CSV。"]
        )
    if b"\x00" in data:
        raise ArrangementFileError(["文件内容不是CSV文本，请另存为CSV（逗号分隔）文件后再上传。"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Chinese Windows saves CSV as GBK/GB18030 by default.
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise ArrangementFileError(
                ["无法识别文件编码，请以UTF-8或GB18030（GBK）编码保存CSV文件。"]
            ) from None
    try:
        return list(enumerate(csv.reader(io.StringIO(text, newline="")), start=1))
    except csv.Error as exc:
        raise ArrangementFileError([f"CSV格式错误：{exc}"]) from None


def _xlsx_rows(data: bytes, filename: str) -> list[tuple[int, list[Any]]]:
    import openpyxl  # imported here: only the xlsx path needs it

    if not data.startswith(b"PK\x03\x04"):
        raise ArrangementFileError(
            ["文件扩展名为.xlsx，但内容不是Excel（.xlsx）文件，请用Excel另存为.xlsx后再上传。"]
        )
    try:  # the upload checks of every file (bombs, macros, the virus scanner)
        files.check_upload(filename, data, max_bytes=MAX_ARRANGEMENT_BYTES)
    except files.RejectedFile as exc:
        raise ArrangementFileError([f"无法读取Excel文件：{exc}。"]) from None
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            return _sheet_rows(workbook.worksheets[0])
        finally:
            workbook.close()
    except Exception as exc:
        # A damaged upload surfaces from openpyxl, zipfile, zlib or the XML parser as almost any
        # exception type (BadZipFile, zlib.error, EOFError, KeyError, NotImplementedError, ...),
        # and in read-only mode only while the rows are iterated.
        raise ArrangementFileError(
            [f"无法读取Excel文件，文件可能已损坏或不是.xlsx格式（{type(exc).__name__}）。"]
        ) from exc


def _sheet_rows(sheet: Any) -> list[tuple[int, list[Any]]]:
    rows: list[tuple[int, list[Any]]] = []
    for row in sheet.iter_rows():
        numbered = [cell.row for cell in row if getattr(cell, "row", None) is not None]
        if numbered:  # a wholly empty row comes as EmptyCells without a row number: skip it
            rows.append((numbered[0], [cell.value for cell in row]))
    return rows


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    # NFKC turns full-width digits and punctuation (２０２６／１０／１) into ASCII.
    return unicodedata.normalize("NFKC", str(value)).strip()


def _is_blank(values: Iterable[Any]) -> bool:
    return all(_cell_text(v) == "" for v in values)


def _parse_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date() if value.time() == datetime.min.time() else None
    if isinstance(value, date):
        return value
    text = _cell_text(value)
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            try:
                return date(*(int(part) for part in match.groups()))
            except ValueError:
                return None
    return None


def _show(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return _cell_text(value)


def _parse_rows(rows: list[tuple[int, list[Any]]]) -> list[ArrangementDay]:
    content: Iterator[tuple[int, list[Any]]] = (
        (number, values) for number, values in rows if not _is_blank(values)
    )
    header = next(content, None)
    if header is None:
        raise ArrangementFileError(["文件为空，没有任何内容。"])
    header_row, header_values = header
    columns = {_cell_text(v): i for i, v in reversed(list(enumerate(header_values)))}
    missing = [name for name in (_COL_DATE, _COL_TYPE) if name not in columns]
    if missing:
        wanted = "、".join(f"“{name}”" for name in missing)
        raise ArrangementFileError(
            [f"第{header_row}行：缺少表头{wanted}；第一行应为表头，包含“日期”“类型”“名称”列。"]
        )
    date_col, type_col = columns[_COL_DATE], columns[_COL_TYPE]
    name_col = columns.get(_COL_NAME)

    def cell(values: list[Any], col: int | None) -> Any:
        return values[col] if col is not None and col < len(values) else None

    errors: list[str] = []
    seen: dict[date, int] = {}
    result: list[ArrangementDay] = []
    for number, values in content:
        row_errors: list[str] = []
        raw_date = cell(values, date_col)
        day = _parse_date(raw_date)
        if _cell_text(raw_date) == "":
            row_errors.append(f"第{number}行：日期为空")
        elif day is None:
            row_errors.append(
                f"第{number}行：日期“{_show(raw_date)}”无效，"
                "应为2026-10-01、2026/10/1或2026年10月1日的形式"
            )
        elif day in seen:
            row_errors.append(f"第{number}行：日期“{day.isoformat()}”与第{seen[day]}行重复")
        raw_type = _cell_text(cell(values, type_col))
        is_workday = _TYPE_VALUES.get(raw_type.lower())
        if raw_type == "":
            row_errors.append(f"第{number}行：类型为空，{_TYPE_HINT}")
        elif is_workday is None:
            row_errors.append(f"第{number}行：类型“{raw_type}”无效，{_TYPE_HINT}")
        if day is not None and day not in seen:
            seen[day] = number
        errors.extend(row_errors)
        if row_errors or day is None or is_workday is None:
            continue
        result.append(
            ArrangementDay(day=day, is_workday=is_workday, name=_cell_text(cell(values, name_col)))
        )
    if errors:
        raise ArrangementFileError(errors)
    if not result:
        raise ArrangementFileError([f"文件只有表头（第{header_row}行），没有任何日期。"])
    return sorted(result, key=lambda row: row.day)
