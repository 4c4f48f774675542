from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from programs import packs


class Command(BaseCommand):
    help = (
        "把奖项写成方案包（YAML）：名称、最新施行的管理办法的全部数值与规则、评价准则，"
        "库中只有该奖项时连同推荐单位。load_program 载入它得到同一个奖项。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="奖项代码，如 rugao")
        parser.add_argument("--output", "-o", help="写入文件（默认输出到屏幕）")

    def handle(self, *args: Any, **options: Any) -> None:
        data = packs.program_pack(options["slug"])
        if data is None:
            raise CommandError(f"没有代码为“{options['slug']}”的奖项，或该奖项尚无管理办法。")
        text = packs.dump(data)
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
            self.stdout.write(f"已写入 {options['output']}")
        else:
            self.stdout.write(text, ending="")
