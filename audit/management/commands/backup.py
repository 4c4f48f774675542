from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from audit.backup import create_backup
from audit.services import record
from lib.errors import ServiceError


def size_text(count: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} 字节"


class Command(BaseCommand):
    help = (
        "备份：数据库（PostgreSQL 为 pg_dump 自定义格式，SQLite 为在线备份）、上传文件"
        "（MEDIA_ROOT）、审计检查点（AUDIT_ANCHOR_DIR）和清单（各成员的 SM3 哈希、审计链头、"
        "迁移状态、各表行数），整体以 BACKUP_KEY 做 SM4-GCM 加密，每次运行生成一个文件。"
        "由定时任务每晚运行（docs/deployment.md）。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, type=Path, help="备份文件存放的目录")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = create_backup(Path(options["out"]))
        except ServiceError as exc:
            raise CommandError(f"备份失败：{exc.message}") from exc
        manifest = result.manifest
        members = manifest["members"]
        files = sum(1 for name in members if name.startswith("media/"))
        head = manifest["audit_head"]
        with transaction.atomic():
            record(
                actor=None,
                role="system",
                action="audit.backup.create",
                after={
                    "file": result.path.name,
                    "size": result.size,
                    "files": files,
                    "seq": head["seq"],
                    "hash": head["hash"],
                },
                reason="定期备份",
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"备份完成：{result.path}（{size_text(result.size)}，用时 "
                f"{result.seconds:.1f} 秒）。数据库 {len(manifest['rows'])} 张表 "
                f"{sum(manifest['rows'].values())} 行，文件 {files} 个，审计链头第 "
                f"{head['seq']} 号。"
            )
        )
        self.stdout.write("请将备份文件与 BACKUP_KEY 分开保存：只有二者同时具备才能恢复。")
