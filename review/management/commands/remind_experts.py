"""`manage.py remind_experts`: remind every expert whose scorecards of an open stage are not yet
submitted, 3 working days before the stage's last day (A17.1), by inbox and e-mail. Each card is
reminded once per deadline. The Celery beat runs the same daily at 08:00 (`review.remind_experts`,
config/settings.py CELERY_BEAT_SCHEDULE; issue 17); the command stays for a run by hand
(`--on` a date)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from review import services


class Command(BaseCommand):
    help = "评分截止前3个工作日，提醒尚未提交评分表的评审专家（每张评分表每个截止日只提醒一次）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--on", type=dt.date.fromisoformat, help="按该日期计算（YYYY-MM-DD）")

    def handle(self, *args: Any, **options: Any) -> None:
        told, unknown = services.send_scoring_reminders(options.get("on"))
        for line in unknown:
            self.stderr.write(self.style.WARNING(line))
        self.stdout.write(self.style.SUCCESS(f"已提醒{told}位专家。"))
