"""Working-day arithmetic (A20.1: a public notice lasts at least 5 working days).

The 2026 expectations were read from chinesecalendar 1.11 (which follows the State Council's
2026 arrangement, 国办发明电〔2025〕7号) before the tests were written:
  元旦 01-01..01-03 rest, Sun 01-04 works; 春节 02-15..02-23 rest, Sat 02-14 and Sat 02-28 work;
  劳动节 05-01..05-05 rest, Sat 05-09 works; 国庆节 10-01..10-07 rest (中秋节 09-25 rest),
  Sun 09-20 and Sat 10-10 work.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime, timedelta

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.workdays import (
    ArrangementDay,
    ArrangementFileError,
    UnknownCalendarYear,
    WorkCalendar,
    read_arrangement_file,
)

A20_1 = pytest.mark.req("A20.1")
CAL = WorkCalendar()

known_dates = st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 12, 31))
# Starts early enough that 60 working days later is still inside 2026.
start_dates = st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 9, 30))


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(d) for d in range((end - start).days + 1)]


# --- the real 2026 arrangement through chinesecalendar ---------------------------------------


@A20_1
def test_2026_national_day_is_rest_and_saturday_10_10_is_a_makeup_workday() -> None:
    assert [CAL.is_workday(d) for d in days(date(2026, 10, 1), date(2026, 10, 7))] == [False] * 7
    assert date(2026, 10, 10).weekday() == 5  # a Saturday
    assert CAL.is_workday(date(2026, 10, 10))
    assert date(2026, 9, 20).weekday() == 6  # a Sunday, the other National Day make-up day
    assert CAL.is_workday(date(2026, 9, 20))
    assert not CAL.is_workday(date(2026, 9, 25))  # 中秋节, a Friday
    assert CAL.is_workday(date(2026, 10, 8))
    assert CAL.is_workday(date(2026, 10, 9))
    assert not CAL.is_workday(date(2026, 10, 11))  # an ordinary Sunday


@A20_1
def test_2026_spring_festival_and_its_makeup_saturdays() -> None:
    rest = days(date(2026, 2, 15), date(2026, 2, 23))  # Sunday 02-15 .. Monday 02-23
    assert not any(CAL.is_workday(d) for d in rest)
    for makeup in (date(2026, 2, 14), date(2026, 2, 28)):
        assert makeup.weekday() == 5
        assert CAL.is_workday(makeup)
    assert CAL.is_workday(date(2026, 2, 13))
    assert CAL.is_workday(date(2026, 2, 24))
    # February 2026: 20 weekdays, 6 of them 春节 holidays, plus two make-up Saturdays.
    assert CAL.count_workdays(date(2026, 2, 1), date(2026, 2, 28)) == 20 - 6 + 2


@A20_1
def test_five_working_day_notice_across_national_day() -> None:
    start = date(2026, 9, 28)  # Monday; 09-28, 09-29, 09-30, then the holiday, then 10-08, 10-09
    assert CAL.nth_workday(start, 5) == date(2026, 10, 9)
    assert CAL.count_workdays(start, date(2026, 10, 9)) == 5
    # add_workdays does not count the start: 09-29, 09-30, 10-08, 10-09, Saturday 10-10.
    assert CAL.add_workdays(start, 5) == date(2026, 10, 10)


@A20_1
def test_five_working_day_notice_across_spring_festival() -> None:
    start = date(2026, 2, 12)  # Thursday: 02-12, 02-13, Saturday 02-14, then 02-24, 02-25
    assert CAL.nth_workday(start, 5) == date(2026, 2, 25)
    assert CAL.count_workdays(start, date(2026, 2, 25)) == 5


@A20_1
def test_nth_workday_starting_on_a_holiday_skips_to_the_first_workday() -> None:
    assert CAL.nth_workday(date(2026, 10, 1), 1) == date(2026, 10, 8)
    assert CAL.nth_workday(date(2026, 10, 5), 1) == date(2026, 10, 8)
    assert CAL.nth_workday(date(2026, 10, 8), 1) == date(2026, 10, 8)


@A20_1
def test_edge_values() -> None:
    d = date(2026, 10, 1)
    assert CAL.add_workdays(d, 0) == d
    assert CAL.count_workdays(date(2026, 10, 9), date(2026, 10, 8)) == 0
    assert CAL.count_workdays(date(2026, 10, 9), date(2026, 10, 9)) == 1
    with pytest.raises(ValueError, match="n must be >= 0"):
        CAL.add_workdays(d, -1)
    with pytest.raises(ValueError, match="n must be >= 1"):
        CAL.nth_workday(d, 0)


@A20_1
def test_datetime_is_rejected() -> None:
    with pytest.raises(TypeError):
        CAL.is_workday(datetime(2026, 10, 1, 9, 0))  # noqa: DTZ001 - the type is what is tested
    with pytest.raises(TypeError):
        CAL.count_workdays(date(2026, 10, 1), datetime(2026, 10, 9))  # noqa: DTZ001
    with pytest.raises(TypeError):
        WorkCalendar(overrides={datetime(2026, 10, 1): True})  # noqa: DTZ001
    with pytest.raises(TypeError):
        CAL.is_workday("2026-10-01")  # type: ignore[arg-type]


# --- unknown years and Office-entered arrangements -------------------------------------------


@A20_1
def test_unknown_year_is_an_error_not_a_guess() -> None:
    with pytest.raises(UnknownCalendarYear) as info:
        CAL.is_workday(date(2027, 1, 4))
    assert info.value.year == 2027
    assert "2027年" in str(info.value)
    assert "录入" in str(info.value)
    with pytest.raises(UnknownCalendarYear) as info:
        CAL.is_workday(date(2003, 12, 31))
    assert info.value.year == 2003


@A20_1
def test_arithmetic_running_into_an_unknown_year_raises() -> None:
    with pytest.raises(UnknownCalendarYear, match="2027"):
        CAL.add_workdays(date(2026, 12, 28), 10)
    with pytest.raises(UnknownCalendarYear, match="2027"):
        CAL.nth_workday(date(2026, 12, 30), 5)
    with pytest.raises(UnknownCalendarYear, match="2027"):
        CAL.count_workdays(date(2026, 12, 1), date(2027, 1, 10))


# Fictional TEST DATA for 2027, not the official State Council notice (which did not exist
# when this was written): New Year rest Fri 01-01, Spring Festival rest Sat 02-06..Sun 02-14,
# make-up workdays Sun 01-31 and Sat 02-20.
TEST_2027 = {
    date(2027, 1, 1): False,
    **{date(2027, 2, 6) + timedelta(d): False for d in range(9)},
    date(2027, 1, 31): True,
    date(2027, 2, 20): True,
}


@A20_1
def test_office_entered_year_is_used() -> None:
    cal = WorkCalendar(overrides=TEST_2027, entered_years=frozenset({2027}))
    assert cal.is_workday(date(2027, 1, 4))  # an ordinary Monday
    assert not cal.is_workday(date(2027, 1, 1))
    assert cal.is_workday(date(2027, 1, 31))  # Sunday, make-up
    assert not cal.is_workday(date(2027, 2, 8))  # Monday in the holiday
    assert cal.is_workday(date(2027, 2, 20))  # Saturday, make-up
    assert not cal.is_workday(date(2027, 2, 21))  # ordinary Sunday
    # Fri 02-05, (holiday 02-06..02-14), Mon 02-15 .. Thu 02-18
    assert cal.nth_workday(date(2027, 2, 5), 5) == date(2027, 2, 18)
    # Crossing from library data (2026) into the entered year works.
    assert cal.nth_workday(date(2026, 12, 30), 5) == date(2027, 1, 6)
    assert cal.known_years() >= {2004, 2026, 2027}
    assert 2028 not in cal.known_years()
    with pytest.raises(UnknownCalendarYear):
        cal.is_workday(date(2028, 1, 3))


@A20_1
def test_overrides_beat_chinesecalendar() -> None:
    cal = WorkCalendar(overrides={date(2026, 10, 1): True, date(2026, 10, 9): False})
    assert cal.is_workday(date(2026, 10, 1))
    assert not cal.is_workday(date(2026, 10, 9))
    assert cal.is_workday(date(2026, 10, 10))  # not overridden: chinesecalendar still answers


@A20_1
def test_entered_year_replaces_chinesecalendar_for_the_whole_year() -> None:
    cal = WorkCalendar(entered_years=frozenset({2026}))
    # With no override the Office's (empty) arrangement is authoritative: weekdays work.
    assert cal.is_workday(date(2026, 10, 1))
    assert not cal.is_workday(date(2026, 10, 10))


@A20_1
def test_calendar_is_immune_to_later_changes_of_the_callers_dict() -> None:
    overrides = {date(2026, 10, 1): True}
    cal = WorkCalendar(overrides=overrides, entered_years={2027})  # type: ignore[arg-type]
    overrides[date(2026, 10, 1)] = False
    assert cal.is_workday(date(2026, 10, 1))
    assert cal.entered_years == frozenset({2027})


# --- properties -------------------------------------------------------------------------------


@A20_1
@given(a=known_dates, b=known_dates, c=known_dates)
def test_count_is_additive_over_adjacent_ranges(a: date, b: date, c: date) -> None:
    lo, mid, hi = sorted((a, b, c))
    assert CAL.count_workdays(lo, mid) + CAL.count_workdays(
        mid + timedelta(1), hi
    ) == CAL.count_workdays(lo, hi)


@A20_1
@given(d=start_dates, n=st.integers(min_value=1, max_value=60))
def test_add_workdays_lands_on_a_workday(d: date, n: int) -> None:
    end = CAL.add_workdays(d, n)
    assert end > d
    assert CAL.is_workday(end)


@A20_1
@given(d=start_dates, n=st.integers(min_value=0, max_value=60))
def test_count_inverts_add(d: date, n: int) -> None:
    end = CAL.add_workdays(d, n)
    assert CAL.count_workdays(d, end) == n + (1 if CAL.is_workday(d) else 0)


@A20_1
@given(d=start_dates, n=st.integers(min_value=1, max_value=60))
def test_count_inverts_nth(d: date, n: int) -> None:
    end = CAL.nth_workday(d, n)
    assert CAL.is_workday(end)
    assert CAL.count_workdays(d, end) == n
    assert CAL.count_workdays(d, end - timedelta(1)) == n - 1  # end is the first such day


# --- the Office's import file -----------------------------------------------------------------

CSV_2027 = (
    "日期,类型,名称\n"
    "2027-01-01,放假,元旦\n"
    "2027/1/31,调休上班,春节调休上班\n"
    "\n"
    "2027年2月6日,休息,春节\n"
    "2027-02-20,补班,春节调休上班\n"
)


@A20_1
def test_read_good_csv_with_and_without_bom() -> None:
    expected = [
        ArrangementDay(date(2027, 1, 1), False, "元旦"),
        ArrangementDay(date(2027, 1, 31), True, "春节调休上班"),
        ArrangementDay(date(2027, 2, 6), False, "春节"),
        ArrangementDay(date(2027, 2, 20), True, "春节调休上班"),
    ]
    assert read_arrangement_file(CSV_2027.encode(), "2027.csv") == expected
    assert read_arrangement_file(CSV_2027.encode("utf-8-sig"), "2027.CSV") == expected


@A20_1
def test_read_gb18030_csv() -> None:
    data = CSV_2027.encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the fallback really is exercised
    rows = read_arrangement_file(data, "放假安排.csv")
    assert [r.name for r in rows] == ["元旦", "春节调休上班", "春节", "春节调休上班"]


@A20_1
def test_read_csv_columns_in_any_order_and_name_optional() -> None:
    data = "类型,日期\nworkday,2027-01-31\nHoliday,2027-01-01\n".encode()
    assert read_arrangement_file(data, "a.csv") == [
        ArrangementDay(date(2027, 1, 1), False, ""),
        ArrangementDay(date(2027, 1, 31), True, ""),
    ]


def make_xlsx(rows: Sequence[Sequence[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@A20_1
def test_read_good_xlsx_with_real_and_text_dates() -> None:
    data = make_xlsx(
        [
            ["日期", "类型", "名称"],
            [date(2027, 2, 20), "上班", "春节调休上班"],
            [datetime(2027, 1, 1), "放假", "元旦"],  # noqa: DTZ001 - Excel dates are naive
            [],
            ["2027/2/6", "放假", "春节"],
        ]
    )
    assert read_arrangement_file(data, "2027.xlsx") == [
        ArrangementDay(date(2027, 1, 1), False, "元旦"),
        ArrangementDay(date(2027, 2, 6), False, "春节"),
        ArrangementDay(date(2027, 2, 20), True, "春节调休上班"),
    ]


@A20_1
def test_imported_file_drives_the_calendar() -> None:
    # The real 2026 National Day / Mid-autumn rows, entered as the Office would: with the year
    # marked as entered, the calendar must agree with chinesecalendar for September-October.
    rows = [["日期", "类型", "名称"], ["2026-09-20", "上班", "国庆节调休上班"]]
    rows += [["2026-09-25", "放假", "中秋节"]]
    rows += [[f"2026-10-0{d}", "放假", "国庆节"] for d in range(1, 8)]
    rows += [["2026-10-10", "上班", "国庆节调休上班"]]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    arrangement = read_arrangement_file(buffer.getvalue().encode(), "2026.csv")
    entered = WorkCalendar(
        overrides={r.day: r.is_workday for r in arrangement}, entered_years=frozenset({2026})
    )
    for d in days(date(2026, 9, 1), date(2026, 10, 31)):
        assert entered.is_workday(d) == CAL.is_workday(d), d


@A20_1
def test_every_bad_row_is_reported_with_its_row_number() -> None:
    data = (
        "日期,类型,名称\n"
        "2027-01-01,放假,元旦\n"  # row 2: fine
        "2027-02-30,放假,春节\n"  # row 3: no such date
        "2027-02-06,加班,春节\n"  # row 4: unknown type
        "明天,,\n"  # row 5: bad date and empty type
        ",放假,春节\n"  # row 6: empty date
        "2027-01-01,上班,重复\n"  # row 7: duplicate of row 2
    ).encode()
    with pytest.raises(ArrangementFileError) as info:
        read_arrangement_file(data, "2027.csv")
    errors = info.value.errors
    assert errors[0] == (
        "第3行：日期“2027-02-30”无效，应为2026-10-01、2026/10/1或2026年10月1日的形式"
    )
    assert errors[1].startswith("第4行：类型“加班”无效")
    assert errors[2].startswith("第5行：日期“明天”无效")
    assert errors[3].startswith("第5行：类型为空")
    assert errors[4] == "第6行：日期为空"
    assert errors[5] == "第7行：日期“2027-01-01”与第2行重复"
    assert len(errors) == 6
    assert str(info.value) == "\n".join(errors)


@A20_1
def test_duplicate_date_in_xlsx_in_different_spellings() -> None:
    data = make_xlsx(
        [["日期", "类型"], [date(2027, 1, 1), "放假"], ["2027年1月1日", "放假"]],
    )
    with pytest.raises(ArrangementFileError) as info:
        read_arrangement_file(data, "2027.xlsx")
    assert info.value.errors == ["第3行：日期“2027-01-01”与第2行重复"]


@A20_1
def test_xlsx_whose_bytes_are_plain_text() -> None:
    with pytest.raises(ArrangementFileError) as info:
        read_arrangement_file(CSV_2027.encode(), "2027.xlsx")
    assert len(info.value.errors) == 1
    assert "不是Excel" in info.value.errors[0]


@A20_1
def test_damaged_xlsx_and_xlsx_named_csv() -> None:
    good = make_xlsx([["日期", "类型"], ["2027-01-01", "放假"]])
    with pytest.raises(ArrangementFileError, match="无法读取Excel文件"):
        read_arrangement_file(good[: len(good) // 2], "2027.xlsx")
    with pytest.raises(ArrangementFileError, match=r"扩展名改为\.xlsx"):
        read_arrangement_file(good, "2027.csv")


@A20_1
@pytest.mark.parametrize("filename", ["2027.xls", "2027.txt", "2027"])
def test_unsupported_extension(filename: str) -> None:
    with pytest.raises(ArrangementFileError, match="不支持的文件类型"):
        read_arrangement_file(CSV_2027.encode(), filename)


@A20_1
@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "a.csv", "文件为空"),
        (b"\n\n \n", "a.csv", "文件为空"),
        ("日期,类型,名称\n".encode(), "a.csv", "没有任何日期"),
        ("2027-01-01,放假,元旦\n".encode(), "a.csv", "第1行：缺少表头“日期”、“类型”"),
        ("日期,名称\n2027-01-01,元旦\n".encode(), "a.csv", "缺少表头“类型”"),
    ],
)
def test_empty_file_and_missing_header(data: bytes, filename: str, message: str) -> None:
    with pytest.raises(ArrangementFileError, match=message):
        read_arrangement_file(data, filename)


@A20_1
def test_empty_xlsx() -> None:
    with pytest.raises(ArrangementFileError, match="文件为空"):
        read_arrangement_file(make_xlsx([]), "a.xlsx")


@A20_1
def test_full_width_dates_and_datetime_with_time_rejected() -> None:
    data = make_xlsx(
        [
            ["日期", "类型"],
            ["２０２７－０１－０１", "放假"],
            [datetime(2027, 1, 2, 9, 30), "放假"],  # noqa: DTZ001
        ]
    )
    with pytest.raises(ArrangementFileError) as info:
        read_arrangement_file(data, "a.xlsx")
    assert info.value.errors == [
        "第3行：日期“2027-01-02 09:30:00”无效，应为2026-10-01、2026/10/1或2026年10月1日的形式"
    ]


GOOD_XLSX = make_xlsx(
    [["日期", "类型", "名称"], *[[f"2027-10-0{d}", "放假", "国庆节"] for d in range(1, 8)]]
)


def read_or_error(data: bytes, filename: str) -> list[ArrangementDay] | ArrangementFileError:
    try:
        return read_arrangement_file(data, filename)
    except ArrangementFileError as exc:
        return exc


@A20_1
@given(
    damage=st.lists(
        st.tuples(st.integers(0, len(GOOD_XLSX) - 1), st.integers(0, 255)), min_size=1, max_size=20
    )
)
def test_damaged_xlsx_is_a_user_error_never_a_crash(damage: list[tuple[int, int]]) -> None:
    data = bytearray(GOOD_XLSX)
    for position, value in damage:
        data[position] = value
    result = read_or_error(bytes(data), "2027.xlsx")
    if isinstance(result, ArrangementFileError):
        assert result.errors
    else:
        assert all(isinstance(row, ArrangementDay) for row in result)


@A20_1
@given(data=st.binary(max_size=300))
def test_arbitrary_csv_bytes_are_a_user_error_never_a_crash(data: bytes) -> None:
    result = read_or_error(data, "2027.csv")
    assert isinstance(result, list) or result.errors
