"""`manage.py remind_winners`: remind every winner inside its duty to report violations (A23.1:
for Rugao three years, within 30 days; the numbers are the award's policy's), by inbox and
e-mail. The Celery beat runs it on the first working day of each quarter
(`supervision.remind_winners`, config/settings.py CELERY_BEAT_SCHEDULE; issue 17); the command
stays for a run by hand (`--on` a date)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from supervision import services


class Command(BaseCommand):
    help = (
        "提醒报告义务期内的获奖者：发生违规情形须在规定时限内书面报告"
        "（《办法》第二十三条；期限按各奖项的管理办法参数）。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--on", type=dt.date.fromisoformat, help="按该日期计算（YYYY-MM-DD）")

    def handle(self, *args: Any, **options: Any) -> None:
        count = services.send_reminders(options.get("on"))
        self.stdout.write(self.style.SUCCESS(f"已提醒{count}人。"))
