"""Excel exports: read back with openpyxl, the way the Office's Excel would see them."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.worksheet.worksheet import Worksheet

from lib.excel import neutralize, workbook_bytes

HEADERS = ["申报组织", "统一社会信用代码", "申报日期", "得分"]
ROWS: list[list[object]] = [
    ["江苏如皋某某机械制造有限公司", "91320682MA1M000007", date(2026, 3, 15), 856.5],
    ["如皋市某某纺织科技股份有限公司", "913206821388435164", date(2026, 3, 16), 790],
]


def read(data: bytes) -> tuple[openpyxl.Workbook, Worksheet]:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)
    return workbook, sheet


def export(rows: Iterable[Sequence[object]], headers: Sequence[str] = ("值",)) -> Worksheet:
    return read(workbook_bytes(title="测试", headers=headers, rows=rows))[1]


def test_headers_bold_frozen_and_title_in_properties() -> None:
    data = workbook_bytes(
        title="2026年度申报汇总", headers=HEADERS, rows=ROWS, sheet_name="申报汇总"
    )
    assert data.startswith(b"PK\x03\x04")
    workbook, sheet = read(data)
    assert workbook.properties.title == "2026年度申报汇总"
    assert sheet.title == "申报汇总"
    assert [cell.value for cell in sheet[1]] == HEADERS
    assert all(cell.font.b for cell in sheet[1])
    assert not sheet["A2"].font.b
    assert sheet.freeze_panes == "A2"
    assert sheet.max_row == 3


def test_rows_may_be_a_generator() -> None:
    sheet = export(([f"第{i}行", i] for i in range(3)), headers=["名称", "序号"])
    assert [sheet.cell(row=r, column=2).value for r in (2, 3, 4)] == [0, 1, 2]


@pytest.mark.parametrize("text", ["=1+1", "@SUM(A1)", "+86 138", "-3", "  =cmd|' /C calc'!A0"])
def test_formula_looking_text_is_stored_as_text(text: str) -> None:
    sheet = export([[text]])
    cell = sheet["A2"]
    assert cell.data_type == "s"
    assert cell.value == "'" + text


@pytest.mark.parametrize("text", ["\t=1+1", "\rabc", "\tplain"])
def test_leading_tab_or_carriage_return_is_neutralized(text: str) -> None:
    assert neutralize(text) == "'" + text


def test_error_codes_stay_text() -> None:
    cell = export([["#N/A"]])["A2"]
    assert cell.data_type == "s"
    assert cell.value == "#N/A"


def test_numbers_stay_numbers() -> None:
    sheet = export([[-3], [856.5], [Decimal("12.50")], [True], [None]])
    assert sheet["A2"].value == -3
    assert sheet["A2"].data_type == "n"
    assert sheet["A3"].value == 856.5
    assert sheet["A4"].value == pytest.approx(12.5)
    assert sheet["A5"].value is True
    assert sheet["A6"].value is None


def test_integers_beyond_excel_precision_become_text() -> None:
    cell = export([[320682197001011232]])["A2"]
    assert cell.data_type == "s"
    assert cell.value == "320682197001011232"


def test_non_finite_floats_become_text() -> None:
    sheet = export([[float("nan")], [float("-inf")]])
    assert sheet["A2"].value == "nan"
    assert sheet["A3"].value == "'-inf"


def test_dates_are_real_excel_dates() -> None:
    sheet = export(
        [
            [date(2026, 3, 15)],
            [datetime(2026, 3, 15, 9, 30)],  # noqa: DTZ001 -- a naive datetime on purpose
            [datetime(2026, 3, 15, 1, 30, tzinfo=UTC)],
        ]
    )
    cell = sheet["A2"]
    assert cell.is_date
    assert cell.value == datetime(2026, 3, 15)  # noqa: DTZ001 -- openpyxl reads naive
    assert cell.number_format == "yyyy-mm-dd"
    assert sheet["A3"].is_date
    assert sheet["A3"].number_format == "yyyy-mm-dd hh:mm:ss"
    # An aware time is written as China Standard Time (UTC+8).
    assert sheet["A4"].value == datetime(2026, 3, 15, 9, 30)  # noqa: DTZ001


def test_widths_count_chinese_characters_double() -> None:
    sheet = export(
        [["江苏如皋某某机械制造有限公司", "ABCDEFGHIJKLMN", date(2026, 1, 1), 1]],
        headers=["申报组织", "code", "日期", "n"],
    )
    chinese = sheet.column_dimensions["A"].width
    latin = sheet.column_dimensions["B"].width
    assert chinese == 14 * 2 + 2
    assert latin == 14 + 2
    assert sheet.column_dimensions["C"].width == len("2026-01-01") + 2
    assert sheet.column_dimensions["D"].width == 6  # a minimum, so short columns stay usable


def test_width_is_capped_and_uses_the_longest_line() -> None:
    sheet = export([["长" * 100], ["短\n" + "x" * 20]], headers=["a"])
    assert sheet.column_dimensions["A"].width == 60
    sheet = export([["短\n" + "x" * 20]], headers=["a"])
    assert sheet.column_dimensions["A"].width == 22


def test_headers_are_measured_too() -> None:
    sheet = export([["x"]], headers=["统一社会信用代码"])
    assert sheet.column_dimensions["A"].width == 8 * 2 + 2


def test_control_characters_are_dropped_not_an_error() -> None:
    cell = export([["如皋\x00市\x0b长\x1f质量奖"]])["A2"]
    assert cell.value == "如皋市长质量奖"


def test_other_objects_are_written_as_text() -> None:
    class Status:
        def __str__(self) -> str:
            return "=已受理"

    cell = export([[Status()]])["A2"]
    assert cell.data_type == "s"
    assert cell.value == "'=已受理"


@pytest.mark.parametrize(
    ("given_name", "expected"),
    [
        ("申报/汇总[2026]", "申报_汇总_2026_"),
        ("x" * 40, "x" * 31),
        ("''", "Sheet1"),
        ("", "Sheet1"),
    ],
)
def test_sheet_name_is_made_acceptable(given_name: str, expected: str) -> None:
    data = workbook_bytes(title="t", headers=["a"], rows=[], sheet_name=given_name)
    assert read(data)[1].title == expected


@pytest.mark.parametrize(
    "value", [None, 0, -3, 1.5, Decimal("-2"), date(2026, 1, 1), True, b"=1", ("=1",)]
)
def test_neutralize_leaves_non_strings_alone(value: object) -> None:
    assert neutralize(value) is value


@pytest.mark.parametrize("text", ["", "如皋", "a=b", "3-2", "'=1", " 如皋 ", "1+1"])
def test_neutralize_leaves_harmless_text_alone(text: str) -> None:
    assert neutralize(text) == text


@given(text=st.text())
def test_neutralized_text_never_starts_a_formula(text: str) -> None:
    safe = neutralize(text)
    assert isinstance(safe, str)
    assert safe in (text, "'" + text)
    if safe == text:
        assert not text.lstrip().startswith(("=", "+", "-", "@"))
        assert not text.startswith(("\t", "\r"))
    assert neutralize(safe) == safe


@settings(max_examples=40, deadline=None)
@given(
    texts=st.lists(
        st.text(
            alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00\x0b\x0c\r"),
            max_size=30,
        ),
        min_size=1,
        max_size=5,
    )
)
def test_any_text_round_trips_as_text(texts: list[str]) -> None:
    # Carriage returns are excluded only because XML turns them into line feeds on reading.
    sheet = export([[text] for text in texts])
    for row, text in enumerate(texts, start=2):
        cell = sheet.cell(row=row, column=1)
        cleaned = "".join(c for c in text if c in "\t\n" or ord(c) >= 0x20)
        if cleaned:
            assert cell.data_type == "s"
            assert cell.value == neutralize(cleaned)
        else:
            assert cell.value in (None, "")
