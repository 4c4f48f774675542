from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from lib.errors import ServiceError
from programs import packs
from programs.services import load_program


class Command(BaseCommand):
    help = (
        "按方案包（YAML）新建或更新奖项：名称、管理办法的全部数值、评价准则、推荐单位（仅当库中只有"
        "该奖项时）。逐项校验，未知字段、引擎缺少的规则一律拒绝；已发布年度所用办法的数值不得改写。"
        "字段说明见 docs/programs.md。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("pack", help="方案包文件，如 data/programs/rugao-2021.yaml")
        parser.add_argument("--dry-run", action="store_true", help="只校验并列出将作的修改，不写入")
        parser.add_argument(
            "--skip-units", action="store_true", help="不载入推荐单位（库中已有其他奖项时）"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["pack"]).resolve()
        if not path.is_file():
            raise CommandError(f"方案包文件不存在：{options['pack']}")
        try:
            pack, sha256 = packs.read(path)
            source = (
                str(path.relative_to(settings.BASE_DIR))
                if path.is_relative_to(settings.BASE_DIR)
                else str(path)
            )
            lines = load_program(
                pack=pack,
                source=source,
                sha256=sha256,
                with_units=not options["skip_units"],
                dry_run=options["dry_run"],
            )
        except packs.PackRefused as exc:
            raise CommandError(
                "方案包未通过校验，未作任何修改：\n" + "\n".join(f"  - {p}" for p in exc.problems)
            ) from exc
        except ServiceError as exc:
            raise CommandError(f"未作任何修改：{exc.message}") from exc
        for line in lines:
            self.stdout.write(f"  {line}")
        if options["dry_run"]:
            self.stdout.write(f"试运行：以上{len(lines)}项修改未写入（SHA-256 {sha256}）。")
        elif lines:
            done = f"已载入{pack.program['name']}（SHA-256 {sha256}）。"
            self.stdout.write(self.style.SUCCESS(done))
        else:
            self.stdout.write(f"{pack.program['name']}与方案包一致，无需修改。")
