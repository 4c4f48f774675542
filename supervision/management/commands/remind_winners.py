"""`manage.py remind_winners`: remind every winner inside its three years of the duty to report
violations within 30 days (A23.1), by inbox and e-mail. The Celery beat runs it on the first
working day of each quarter (`supervision.remind_winners`, config/settings.py
CELERY_BEAT_SCHEDULE; issue 17); the command stays for a run by hand (`--on` a date)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from supervision import services


class Command(BaseCommand):
    help = "提醒获奖三年内的获奖者：发生违规情形须在30日内书面报告（《办法》第二十三条）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--on", type=dt.date.fromisoformat, help="按该日期计算（YYYY-MM-DD）")

    def handle(self, *args: Any, **options: Any) -> None:
        count = services.send_reminders(options.get("on"))
        self.stdout.write(self.style.SUCCESS(f"已提醒{count}人。"))
