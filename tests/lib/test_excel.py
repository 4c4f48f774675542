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

from lib.excel import SCORE, YUAN, neutralize, workbook_bytes

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


def test_title_row_then_bold_frozen_headers() -> None:
    data = workbook_bytes(
        title="2026年度申报汇总", headers=HEADERS, rows=ROWS, sheet_name="申报汇总"
    )
    assert data.startswith(b"PK\x03\x04")
    workbook, sheet = read(data)
    assert workbook.properties.title == "2026年度申报汇总"
    assert sheet.title == "申报汇总"
    title = sheet["A1"]
    assert title.value == "2026年度申报汇总"
    assert title.font.b
    assert title.font.sz == 14  # larger than the body's 11
    assert title.alignment.horizontal == "center"
    assert [str(r) for r in sheet.merged_cells.ranges] == ["A1:D1"]  # across the columns
    assert [cell.value for cell in sheet[2]] == HEADERS
    assert all(cell.font.b for cell in sheet[2])
    assert not sheet["A3"].font.b
    assert sheet.freeze_panes == "A3"
    assert sheet.max_row == 4


def test_prints_a4_landscape_one_page_wide_with_the_header_on_every_page() -> None:
    _, sheet = read(workbook_bytes(title="t", headers=HEADERS, rows=ROWS * 200))
    assert sheet.print_title_rows == "$2:$2"
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.paperSize == 9  # A4
    assert sheet.page_setup.fitToWidth == 1
    assert sheet.page_setup.fitToHeight == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert "&P" in sheet.oddFooter.center.text  # 第 n 页，共 N 页
    assert not sheet.row_breaks.brk  # no totals, no manual break


def test_without_title_row_the_headers_stay_in_row_one() -> None:
    # The experts' import template: the import reads its headers from row 1.
    _, sheet = read(
        workbook_bytes(title="模板", headers=["姓名", "职称"], rows=[], title_row=False)
    )
    assert [cell.value for cell in sheet[1]] == ["姓名", "职称"]
    assert sheet.freeze_panes == "A2"
    assert sheet.print_title_rows == "$1:$1"
    assert not sheet.merged_cells.ranges


def test_number_formats_by_column_keep_the_decimals() -> None:
    _, sheet = read(
        workbook_bytes(
            title="t",
            headers=["申报人", "综合得分", "金额（元）", "版本"],
            rows=[["甲", Decimal("650"), 500000, 2], ["乙", None, 1234567890, 1]],
            formats={"综合得分": SCORE, "金额（元）": YUAN},
        )
    )
    assert sheet["B3"].number_format == "0.00"  # 650 prints 650.00
    assert float(sheet["B3"].value) == 650
    assert sheet["C3"].number_format == "#,##0"  # 500,000
    assert sheet["D3"].number_format == "General"  # no format asked: as it is
    assert sheet["A3"].number_format == "General"  # text is never given a number format
    assert sheet.column_dimensions["C"].width == len("1,234,567,890") + 2  # as displayed


def _ledger(entries: int) -> bytes:
    return workbook_bytes(
        title="奖金台账",
        headers=["获奖者", "类型", "金额（元）"],
        rows=[[f"获奖者{i}", "应发", 100000] for i in range(entries)],
        totals=[["合计", "应发", 100000 * entries], ["合计", "应发未发", 0]],
        formats={"金额（元）": YUAN},
    )


def test_totals_follow_an_empty_row_bold_with_their_labels() -> None:
    _, sheet = read(_ledger(3))
    assert sheet.max_row == 2 + 3 + 1 + 2
    assert all(cell.value is None for cell in sheet[6])
    assert [cell.value for cell in sheet[7]] == ["合计", "应发", 300000]
    assert all(cell.font.b for cell in sheet[7])
    assert sheet["C8"].number_format == "#,##0"
    assert not sheet.row_breaks.brk  # everything fits on one page


@pytest.mark.parametrize("entries", range(15, 60))
def test_totals_never_straddle_a_page(entries: int) -> None:
    """Some lengths put the totals across a page foot: those get a break before the totals,
    and only those (by the same estimate the render test checks with LibreOffice)."""
    _, sheet = read(_ledger(entries))
    first = 2 + entries + 2
    breaks = [b.id for b in sheet.row_breaks.brk]
    assert breaks in ([], [first - 1])


def test_a_break_is_made_where_the_totals_would_straddle() -> None:
    broken = [n for n in range(15, 60) if read(_ledger(n))[1].row_breaks.brk]
    assert broken  # some lengths need it
    assert len(broken) < 45 // 3  # most do not: no break for nothing


def test_rows_may_be_a_generator() -> None:
    sheet = export(([f"第{i}行", i] for i in range(3)), headers=["名称", "序号"])
    assert [sheet.cell(row=r, column=2).value for r in (3, 4, 5)] == [0, 1, 2]


@pytest.mark.parametrize("text", ["=1+1", "@SUM(A1)", "+86 138", "-3", "  =cmd|' /C calc'!A0"])
def test_formula_looking_text_is_stored_as_text(text: str) -> None:
    sheet = export([[text]])
    cell = sheet["A3"]
    assert cell.data_type == "s"
    assert cell.value == "'" + text


@pytest.mark.parametrize("text", ["\t=1+1", "\rabc", "\tplain"])
def test_leading_tab_or_carriage_return_is_neutralized(text: str) -> None:
    assert neutralize(text) == "'" + text


def test_error_codes_stay_text() -> None:
    cell = export([["#N/A"]])["A3"]
    assert cell.data_type == "s"
    assert cell.value == "#N/A"


def test_numbers_stay_numbers() -> None:
    sheet = export([[-3], [856.5], [Decimal("12.50")], [True], [None]])
    assert sheet["A3"].value == -3
    assert sheet["A3"].data_type == "n"
    assert sheet["A4"].value == 856.5
    assert sheet["A5"].value == pytest.approx(12.5)
    assert sheet["A6"].value is True
    assert sheet["A7"].value is None


def test_integers_beyond_excel_precision_become_text() -> None:
    cell = export([[320682197001011232]])["A3"]
    assert cell.data_type == "s"
    assert cell.value == "320682197001011232"


def test_non_finite_floats_become_text() -> None:
    sheet = export([[float("nan")], [float("-inf")]])
    assert sheet["A3"].value == "nan"
    assert sheet["A4"].value == "'-inf"


def test_dates_are_real_excel_dates() -> None:
    sheet = export(
        [
            [date(2026, 3, 15)],
            [datetime(2026, 3, 15, 9, 30)],  # noqa: DTZ001 -- a naive datetime on purpose
            [datetime(2026, 3, 15, 1, 30, tzinfo=UTC)],
        ]
    )
    cell = sheet["A3"]
    assert cell.is_date
    assert cell.value == datetime(2026, 3, 15)  # noqa: DTZ001 -- openpyxl reads naive
    assert cell.number_format == "yyyy-mm-dd"
    assert sheet["A4"].is_date
    assert sheet["A4"].number_format == "yyyy-mm-dd hh:mm:ss"
    # An aware time is written as China Standard Time (UTC+8).
    assert sheet["A5"].value == datetime(2026, 3, 15, 9, 30)  # noqa: DTZ001


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
    assert sheet.column_dimensions["A"].width == 40
    sheet = export([["短\n" + "x" * 20]], headers=["a"])
    assert sheet.column_dimensions["A"].width == 22


def test_long_text_wraps_and_its_row_grows() -> None:
    sheet = export([["长" * 100], ["短"], ["一行\n二行\n三行"]], headers=["a"])
    long, short, three = sheet["A3"], sheet["A4"], sheet["A5"]
    assert long.alignment.wrap_text
    assert long.alignment.vertical == "top"
    assert not short.alignment.wrap_text
    assert three.alignment.wrap_text
    # 200 columns of text in a 40 wide column (39 a line): 6 lines; each row set explicitly.
    heights = [sheet.row_dimensions[r].height for r in (3, 4, 5)]
    assert heights == [18 + 14.5 * 5, 18, 18 + 14.5 * 2]


def test_headers_are_measured_too() -> None:
    sheet = export([["x"]], headers=["统一社会信用代码"])
    assert sheet.column_dimensions["A"].width == 8 * 2 + 2


def test_control_characters_are_dropped_not_an_error() -> None:
    cell = export([["如皋\x00市\x0b长\x1f质量奖"]])["A3"]
    assert cell.value == "如皋市长质量奖"


def test_other_objects_are_written_as_text() -> None:
    class Status:
        def __str__(self) -> str:
            return "=已受理"

    cell = export([[Status()]])["A3"]
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
    for row, text in enumerate(texts, start=3):
        cell = sheet.cell(row=row, column=1)
        cleaned = "".join(c for c in text if c in "\t\n" or ord(c) >= 0x20)
        if cleaned:
            assert cell.data_type == "s"
            assert cell.value == neutralize(cleaned)
        else:
            assert cell.value in (None, "")
