from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from audit.backup import restore_backup
from audit.services import record
from lib.errors import ServiceError


class Command(BaseCommand):
    help = (
        "从备份文件恢复：以 BACKUP_KEY 解密，逐一核对清单中各成员的 SM3 哈希，载入数据库、"
        "上传文件和审计检查点，再校验审计链并与清单中的链头和各表行数比对。目标数据库已有"
        "账户或审计记录时拒绝，除非加 --force（现有数据将被替换）。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path, help="备份文件（qa-backup-….qabak）")
        parser.add_argument(
            "--force", action="store_true", help="目标数据库非空时仍恢复（替换现有数据）"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        archive = Path(options["archive"])
        try:
            result = restore_backup(archive, force=options["force"], say=self.stdout.write)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        if result.chain.ok:
            self.stdout.write(self.style.SUCCESS(str(result.chain)))
        else:
            self.stdout.write(self.style.ERROR(str(result.chain)))
        for problem in result.problems:
            self.stdout.write(self.style.ERROR(problem))
        if not result.ok:
            raise CommandError("恢复后的数据与备份清单不一致，请勿投入使用，并检查备份来源。")
        head = result.manifest["audit_head"]
        with transaction.atomic():
            record(
                actor=None,
                role="system",
                action="audit.backup.restore",
                after={
                    "file": archive.name,
                    "backup_at": result.manifest["created_at"],
                    "seq": head["seq"],
                    "hash": head["hash"],
                },
                reason="从备份恢复",
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"恢复完成（用时 {result.seconds:.1f} 秒）：各表行数与审计链头均与备份清单一致。"
            )
        )
