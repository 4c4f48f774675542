from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from programs import demo
from programs.models import AwardProgram


class Command(BaseCommand):
    help = "写入演示数据（如皋市市长质量奖、2021年办法、当前年度、各角色演示账号）；可重复运行。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="数据库已有奖项时什么也不做")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and AwardProgram.objects.exists():
            self.stdout.write("数据库已有数据，未写入演示数据。")
        else:
            demo.seed()
            self.stdout.write(self.style.SUCCESS("演示数据已就绪。"))
        self.stdout.write(f"演示账号（密码均为 {demo.DEMO_PASSWORD}）：")
        for username, _, role, _ in demo.DEMO_USERS:
            self.stdout.write(f"  {username:<12} {role.label}")
