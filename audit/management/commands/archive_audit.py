"""Export the audit events before a date to an encrypted archive file (issue 15 part 7).

网络安全法 第二十一条 requires the network logs to be kept for no less than six months; the
Office keeps them longer in the database and exports the old ones to archives that can be kept
offline. The command refuses a date less than AUDIT_RETENTION_MONTHS (at least 6) ago.

The choice: nothing is deleted. The audit chain is append-only (migration audit 0004 forbids
DELETE on PostgreSQL by a trigger) and its verification (`audit_verify`) starts from the first
event, so removing the archived rows would break every later check. The law sets a minimum,
not a maximum; removing old rows, if ever wanted, is a database administrator's procedure
documented in docs/deployment.md (after verifying the archive, with the trigger set aside and
the verification's starting point moved), not something the application does.

The archive: a tar of ``events.jsonl`` (one event a line, every field and its hash) and
``manifest.json`` (the date, the count, the SM3 of the events file, the number and hash of the
first and last event, so the archive can be matched to the chain and the chain's checkpoints),
sealed with SM4-GCM under BACKUP_KEY like the backups (audit/backup.py) but for another purpose:
an archive is not restorable as a backup nor the reverse. The export is recorded as
``audit.archive.export``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import tarfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from audit.backup import ARCHIVE_PURPOSE, MANIFEST, SealedWriter, backup_key
from audit.models import AuditEvent
from audit.services import record, verify_chain
from lib.errors import ServiceError

EVENTS = "events.jsonl"


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` months earlier (the month's last day when it has fewer days)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    following = dt.date(year + (month == 12), month % 12 + 1, 1)
    return dt.date(year, month, min(day.day, (following - dt.timedelta(days=1)).day))


def _line(event: AuditEvent) -> bytes:
    row = {
        "seq": event.seq,
        "created_at": event.created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_username": event.actor_username,
        "role": event.role,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "before": event.before,
        "after": event.after,
        "reason": event.reason,
        "client_ip": event.client_ip,
        "user_agent": event.user_agent,
        "request_id": event.request_id,
        "program_pk": event.program_pk,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }
    return json.dumps(row, ensure_ascii=False, sort_keys=True).encode() + b"\n"


class Command(BaseCommand):
    help = (
        "将指定日期之前的审计事件导出为加密归档文件（JSONL 与清单，SM3 哈希，BACKUP_KEY 加密）。"
        "日期须早于 AUDIT_RETENTION_MONTHS（至少 6）个月前（网络安全法第二十一条）。"
        "数据库中的审计记录不删除（审计链只追加）。由定时任务每月运行。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--before", required=True, help="截止日期 YYYY-MM-DD（不含当日）")
        parser.add_argument("--out", required=True, type=Path, help="归档文件存放的目录")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            before = dt.date.fromisoformat(str(options["before"]))
        except ValueError as exc:
            raise CommandError("日期格式应为 YYYY-MM-DD。") from exc
        months = max(6, int(getattr(settings, "AUDIT_RETENTION_MONTHS", 6)))
        today = timezone.localdate()
        latest = months_before(today, months)
        if before > latest:
            raise CommandError(
                f"审计日志至少保存 {months} 个月（网络安全法第二十一条），"
                f"截止日期不得晚于 {latest.isoformat()}。"
            )
        chain = verify_chain()
        if not chain.ok:
            raise CommandError(f"{chain}，未归档：请先查明审计链的问题。")
        cutoff = dt.datetime.combine(before, dt.time.min, tzinfo=timezone.get_current_timezone())
        events = AuditEvent.objects.filter(created_at__lt=cutoff).order_by("seq")
        first, last = events.first(), events.last()
        if first is None or last is None:
            self.stdout.write(f"没有 {before.isoformat()} 之前的审计事件，未生成归档。")
            return
        try:
            key = backup_key()
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        out_dir = Path(options["out"])
        out_dir.mkdir(parents=True, exist_ok=True)
        now = timezone.now().astimezone(dt.UTC)
        target = out_dir / f"qa-audit-{before:%Y%m%d}-{now:%Y%m%dT%H%M%SZ}.qaarc"
        digest, count, body = hashlib.new("sm3"), 0, io.BytesIO()
        for event in events.iterator(chunk_size=2000):
            line = _line(event)
            digest.update(line)
            body.write(line)
            count += 1
        manifest = {
            "format": 1,
            "kind": "audit-archive",
            "before": before.isoformat(),
            "created_at": now.isoformat(timespec="seconds"),
            "events": count,
            "first": {"seq": first.seq, "hash": first.hash, "prev_hash": first.prev_hash},
            "last": {"seq": last.seq, "hash": last.hash},
            "members": {EVENTS: {"sm3": digest.hexdigest(), "size": body.tell()}},
        }
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw:
            sealed = SealedWriter(raw, key, purpose=ARCHIVE_PURPOSE)
            with tarfile.open(fileobj=sealed, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                for name, data in (
                    (EVENTS, body.getvalue()),
                    (MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode()),
                ):
                    info = tarfile.TarInfo(name)
                    info.size, info.mode, info.mtime = len(data), 0o600, int(now.timestamp())
                    tar.addfile(info, io.BytesIO(data))
            sealed.close()
        with transaction.atomic():
            record(
                actor=None,
                role="system",
                action="audit.archive.export",
                after={
                    "file": target.name,
                    "before_date": before.isoformat(),
                    "events": count,
                    "first_seq": first.seq,
                    "last_seq": last.seq,
                    "first_hash": first.hash,
                    "last_hash": last.hash,
                },
                reason=f"审计日志归档（保存期限不少于{months}个月）",
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"已归档 {count} 条审计事件（第 {first.seq} 至 {last.seq} 号，"
                f"{before.isoformat()} 之前）到 {target}。数据库中的记录保留不删。"
            )
        )
