"""The Office enters a year's holiday arrangement; working days then count in that year (A20.1)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import User
from audit.models import AuditEvent
from lib.workdays import ArrangementDay, UnknownCalendarYear
from programs.models import AwardProgram, HolidayArrangement, Stage
from programs.selectors import work_calendar
from programs.services import create_cycle, enter_holiday_arrangement, set_cycle_dates
from tests.conftest import STAGES_2026, client_for

pytestmark = pytest.mark.req("A20.1")

# Test data shaped like a State Council arrangement; NOT the official 2027 notice.
LINES_2027 = (
    "2027-10-01,放假,国庆节\n2027-10-04,放假,国庆节\n2027-10-05,放假,国庆节\n"
    "2027-10-09,上班,国庆节调休上班"
)


def test_unknown_year_is_an_error_until_entered(office: User) -> None:
    with pytest.raises(UnknownCalendarYear):
        work_calendar().is_workday(dt.date(2027, 10, 4))
    enter_holiday_arrangement(
        actor=office,
        year=2027,
        notice_ref="测试安排",
        days=[
            ArrangementDay(dt.date(2027, 10, 4), False, "国庆节"),
            ArrangementDay(dt.date(2027, 10, 9), True, "调休"),
        ],
    )
    calendar = work_calendar()
    assert not calendar.is_workday(dt.date(2027, 10, 4))  # a Monday off
    assert calendar.is_workday(dt.date(2027, 10, 9))  # a Saturday at work
    assert calendar.is_workday(dt.date(2027, 10, 6))  # not listed: an ordinary Wednesday


def test_office_enters_a_year_in_the_form(office: User, program: AwardProgram) -> None:
    response = client_for(office).post(
        reverse("programs:calendar_enter"),
        {"year": 2027, "notice_ref": "测试安排", "days": LINES_2027},
    )
    assert response.status_code == 302
    arrangement = HolidayArrangement.objects.get(year=2027)
    assert arrangement.days.count() == 4
    assert AuditEvent.objects.filter(
        action="programs.calendar.enter", object_id=str(arrangement.pk)
    ).exists()
    # The 2027 notice now validates: 10-08, 10-09 (Saturday, at work), 10-11, 10-12, 10-13.
    cycle = create_cycle(actor=office, program=program, year=2027)
    dates = {s: (a.replace(year=2027), b.replace(year=2027)) for s, (a, b) in STAGES_2026.items()}
    dates[Stage.EVALUATION] = (dt.date(2027, 9, 13), dt.date(2027, 9, 17))
    dates[Stage.COMMITTEE_REVIEW] = (dt.date(2027, 9, 20), dt.date(2027, 9, 30))
    dates[Stage.NOTICE] = (dt.date(2027, 10, 8), dt.date(2027, 10, 13))
    set_cycle_dates(actor=office, cycle=cycle, dates=dates)


def test_office_imports_a_year_from_excel(office: User) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["日期", "类型", "名称"])
    sheet.append([dt.date(2027, 1, 1), "放假", "元旦"])
    sheet.append([dt.date(2027, 2, 20), "上班", "春节调休上班"])
    data = io.BytesIO()
    book.save(data)
    upload = SimpleUploadedFile("2027.xlsx", data.getvalue())
    response = client_for(office).post(
        reverse("programs:calendar_enter"), {"year": 2027, "notice_ref": "测试安排", "file": upload}
    )
    assert response.status_code == 302
    assert list(
        HolidayArrangement.objects.get(year=2027).days.values_list("day", "is_workday")
    ) == [
        (dt.date(2027, 1, 1), False),
        (dt.date(2027, 2, 20), True),
    ]


def test_bad_rows_are_all_reported_and_nothing_is_saved(office: User) -> None:
    response = client_for(office).post(
        reverse("programs:calendar_enter"),
        {
            "year": 2027,
            "notice_ref": "测试安排",
            "days": "2027-02-30,放假,春节\n2027-03-01,请假,无\n2027-01-01,放假,元旦",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "第2行" in html
    assert "第3行" in html
    assert not HolidayArrangement.objects.exists()


def test_a_file_that_is_not_what_its_name_says_is_refused(office: User) -> None:
    upload = SimpleUploadedFile("2027.xlsx", b"this is plain text, not a workbook")
    response = client_for(office).post(
        reverse("programs:calendar_enter"), {"year": 2027, "notice_ref": "测试安排", "file": upload}
    )
    assert response.status_code == 400
    assert not HolidayArrangement.objects.exists()


def test_days_outside_the_year_are_refused(office: User) -> None:
    response = client_for(office).post(
        reverse("programs:calendar_enter"),
        {"year": 2028, "notice_ref": "测试安排", "days": LINES_2027},
    )
    assert response.status_code == 400
    assert "不在2028年内" in response.content.decode()
    assert not HolidayArrangement.objects.exists()


def test_reentering_a_year_replaces_it_and_keeps_the_old_days_in_the_audit(office: User) -> None:
    first = [ArrangementDay(dt.date(2027, 1, 1), False, "元旦")]
    second = [
        ArrangementDay(dt.date(2027, 1, 1), False, "元旦"),
        ArrangementDay(dt.date(2027, 1, 2), True, "调休"),
    ]
    enter_holiday_arrangement(actor=office, year=2027, notice_ref="第一版", days=first)
    enter_holiday_arrangement(actor=office, year=2027, notice_ref="更正版", days=second)
    assert HolidayArrangement.objects.get(year=2027).days.count() == 2
    event = AuditEvent.objects.filter(action="programs.calendar.enter").last()
    assert event is not None
    assert event.before == {"notice_ref": "第一版", "days": [["2027-01-01", False, "元旦"]]}
