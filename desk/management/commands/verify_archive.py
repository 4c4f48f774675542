"""``manage.py verify_archive <file or year>``: every file of an archive against its manifest, and
the manifest against the audit event that recorded it (desk/archive.py `verify`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.services import verify_chain
from desk import archive


class Command(BaseCommand):
    help = (
        "校验年度归档：逐个文件核对 manifest.json 记录的 SM3 与大小，并核对清单本身的 SM3 与"
        "生成归档时审计事件的记录。参数为归档文件（下载的 ZIP 或存储中的名称）或年度（校验该"
        "年度存储中的全部归档）。有不一致时逐项列出并以非零状态退出。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("target", help="归档文件路径、存储中的名称，或年度（如 2025）")

    def handle(self, *args: Any, **options: Any) -> None:
        target: str = options["target"]
        reports = []
        if re.fullmatch(r"\d{4}", target):
            names = archive.stored_names(int(target))
            if not names:
                raise CommandError(f"没有{target}年度的归档。")
            reports = [archive.verify_stored(name) for name in names]
        elif Path(target).is_file():
            with Path(target).open("rb") as handle:
                reports = [archive.verify(handle, target)]
        elif default_storage.exists(target):
            reports = [archive.verify_stored(target)]
        else:
            raise CommandError(f"找不到归档文件 {target}。")
        # The events that hold the manifests' hashes are only as good as the chain around them.
        chain = verify_chain()
        failed = 0
        if not chain.ok:
            failed += 1
            self.stderr.write(f"审计链校验未通过，归档的生成记录不可信：{chain}")
        for report in reports:
            if report.ok:
                seq = f"审计事件第 {report.event.seq} 号" if report.event else "审计事件"
                self.stdout.write(
                    self.style.SUCCESS(
                        f"{report.source}：{report.files} 个文件与清单一致，清单与{seq}一致。"
                    )
                )
                continue
            failed += 1
            self.stderr.write(f"{report.source}：校验未通过，{len(report.problems)} 处不一致：")
            for problem in report.problems:
                self.stderr.write(f"  {problem}")
        if failed:
            raise CommandError(f"校验未通过：{failed} 处问题（见上）。")
