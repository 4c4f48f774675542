"""Working-day calendar: WorkCalendar arithmetic and building it from the database.

    .venv/bin/python benchmarks/workdays.py
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/workdays.py

Dates are drawn with a fixed seed. `is_workday` is timed in batches of 100 (one call is too
short for perf_counter); the other operations one call at a time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project root

from benchmarks._common import Row, bench_database, machine, out, table, timed

FIRST, LAST = dt.date(2004, 1, 1), dt.date(2026, 12, 31)  # chinesecalendar 1.11's years

# chinesecalendar's English holiday names, as the Office would type them.
NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def random_dates(rng: random.Random, n: int, first: dt.date, last: dt.date) -> list[dt.date]:
    span = (last - first).days
    return [first + dt.timedelta(days=rng.randint(0, span)) for _ in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--is-workday", type=int, default=100_000)
    parser.add_argument("-n", type=int, default=10_000, help="add/nth/count operations each")
    parser.add_argument("--builds", type=int, default=500, help="work_calendar() constructions")
    args = parser.parse_args()

    with bench_database() as db:
        import chinese_calendar
        from django.db import connections
        from django.test.utils import CaptureQueriesContext

        from accounts.models import User
        from lib.workdays import ArrangementDay, WorkCalendar
        from programs import demo, selectors
        from programs.models import HolidayDay
        from programs.services import enter_holiday_arrangement

        rng = random.Random(20261128)  # noqa: S311 - reproducible dates, not secrets
        cal = WorkCalendar()
        rows: list[Row] = []

        # First touch of every date: fills lib.workdays' per-date cache of chinesecalendar.
        every_day = [FIRST + dt.timedelta(days=i) for i in range((LAST - FIRST).days + 1)]
        rows.append(timed("is_workday, first call per date (cold)", every_day, cal.is_workday))

        days = random_dates(rng, args.is_workday, FIRST, LAST)
        rows.append(timed("is_workday, 2004..2026 (warm)", days, cal.is_workday, per=100))

        # Starts early enough that 5 working days never run past 2026.
        starts = random_dates(rng, args.n, FIRST, dt.date(2026, 12, 15))
        rows.append(timed("add_workdays(d, 5)", starts, lambda d: cal.add_workdays(d, 5)))
        rows.append(timed("nth_workday(d, 5)", starts, lambda d: cal.nth_workday(d, 5)))

        spans = random_dates(rng, args.n, FIRST, dt.date(2025, 12, 31))
        rows.append(
            timed(
                "count_workdays(d, d + 364 days)",
                spans,
                lambda d: cal.count_workdays(d, d + dt.timedelta(days=364)),
            )
        )

        # Ten Office-entered years, 2027..2036, each shaped like the real arrangement ten years
        # earlier (same month and day; ~30 rest days and ~6 make-up workdays a year).
        demo.seed()
        office = User.objects.get(username="office")
        for year in range(2027, 2037):
            entered: dict[dt.date, ArrangementDay] = {}
            for table_, is_work in (
                (chinese_calendar.holidays, False),
                (chinese_calendar.workdays, True),
            ):
                for day, name in table_.items():
                    if day.year != year - 10:
                        continue
                    try:
                        moved = day.replace(year=year)
                    except ValueError:  # 29 February
                        continue
                    label = NAMES.get(str(name), str(name))
                    entered[moved] = ArrangementDay(
                        moved, is_work, label + ("调休上班" if is_work else "")
                    )
            enter_holiday_arrangement(
                actor=office,
                year=year,
                notice_ref=f"国办发明电〔{year - 1}〕1号（基准测试）",
                days=sorted(entered.values(), key=lambda a: a.day),
            )
        override_rows = HolidayDay.objects.count()

        with CaptureQueriesContext(connections["default"]) as ctx:
            selectors.work_calendar()
        builds: list[float] = []
        for _ in range(args.builds):
            t0 = time.perf_counter()
            db_cal = selectors.work_calendar()
            builds.append(time.perf_counter() - t0)
        rows.append(
            Row(
                "selectors.work_calendar() with 10 entered years",
                args.builds,
                sum(builds),
                builds,
                cells=(f"{len(ctx.captured_queries)} queries, {override_rows} override rows",),
            )
        )
        entered_days = random_dates(
            rng, args.is_workday, dt.date(2027, 1, 1), dt.date(2036, 12, 31)
        )
        rows.append(
            timed("is_workday, entered years 2027..2036", entered_days, db_cal.is_workday, per=100)
        )

        out(
            f"# benchmarks/workdays.py  is_workday N={args.is_workday:,}, "
            f"add/nth/count N={args.n:,}, builds={args.builds}"
        )
        out(machine(db))
        out()
        table(rows, extra=("note",))


if __name__ == "__main__":
    main()
