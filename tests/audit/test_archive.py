"""Audit retention (issue 15 part 7; 网络安全法 第二十一条: network logs kept no less than six
months): `manage.py archive_audit --before DATE` exports the older events to an encrypted
archive and keeps them in the chain; a date within the retention period is refused."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from audit.backup import ARCHIVE_PURPOSE, BACKUP_PURPOSE, unpack
from audit.management.commands.archive_audit import months_before
from audit.models import AuditEvent
from audit.services import record, verify_chain
from programs.models import AwardProgram

pytestmark = [pytest.mark.req("A3.1"), pytest.mark.django_db]


def _events_at(when: dt.datetime, count: int, program: AwardProgram, time_machine: Any) -> None:
    time_machine.move_to(when, tick=False)
    with transaction.atomic():
        for n in range(count):
            record(
                actor=None,
                role="system",
                action="programs.program.seed",
                obj=program,
                reason=f"旧事件{n}",
            )


def test_old_events_are_exported_encrypted_and_kept(
    program: AwardProgram, time_machine: Any, tmp_path: Path
) -> None:
    zone = timezone.get_current_timezone()
    _events_at(dt.datetime(2025, 1, 10, 9, tzinfo=zone), 3, program, time_machine)
    _events_at(dt.datetime(2025, 8, 1, 9, tzinfo=zone), 2, program, time_machine)
    time_machine.move_to(dt.datetime(2026, 12, 5, 10, tzinfo=zone), tick=False)
    total = AuditEvent.objects.count()
    stdout = io.StringIO()
    call_command("archive_audit", before="2025-06-01", out=str(tmp_path), stdout=stdout)
    (archive,) = tmp_path.glob("qa-audit-20250601-*.qaarc")
    old = list(AuditEvent.objects.filter(created_at__lt=dt.datetime(2025, 6, 1, tzinfo=zone)))
    assert len(old) == 3
    assert f"已归档 {len(old)} 条审计事件" in stdout.getvalue()
    assert "数据库中的记录保留不删" in stdout.getvalue()
    assert "旧事件".encode() not in archive.read_bytes()  # encrypted
    manifest = unpack(archive, tmp_path / "out", purpose=ARCHIVE_PURPOSE)
    lines = (tmp_path / "out" / "events.jsonl").read_bytes().splitlines(keepends=True)
    assert manifest["events"] == len(lines) == len(old)
    assert (
        manifest["members"]["events.jsonl"]["sm3"]
        == hashlib.new("sm3", b"".join(lines)).hexdigest()
    )
    rows = [json.loads(line) for line in lines]
    assert [r["seq"] for r in rows] == [e.seq for e in old]
    assert (manifest["first"]["seq"], manifest["last"]["hash"]) == (old[0].seq, old[-1].hash)
    assert all(b["prev_hash"] == a["hash"] for a, b in itertools.pairwise(rows))
    # Nothing deleted; the export itself is the chain's next event.
    assert AuditEvent.objects.count() == total + 1
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert event.action == "audit.archive.export"
    assert event.after is not None
    assert event.after["events"] == len(old)
    assert event.after["last_hash"] == old[-1].hash
    assert verify_chain().ok
    # An archive is not a backup: it does not decrypt for that purpose.
    with pytest.raises(Exception, match="备份文件校验失败"):
        unpack(archive, tmp_path / "as-backup", purpose=BACKUP_PURPOSE)


def test_a_date_within_six_months_is_refused(time_machine: Any, tmp_path: Path) -> None:
    zone = timezone.get_current_timezone()
    time_machine.move_to(dt.datetime(2026, 12, 5, 10, tzinfo=zone), tick=False)
    with pytest.raises(CommandError) as info:
        call_command("archive_audit", before="2026-06-06", out=str(tmp_path))
    assert str(info.value) == (
        "审计日志至少保存 6 个月（网络安全法第二十一条），截止日期不得晚于 2026-06-05。"
    )
    assert not list(tmp_path.iterdir())


def test_the_retention_setting_cannot_go_below_six_months(
    settings: Any, time_machine: Any, tmp_path: Path
) -> None:
    zone = timezone.get_current_timezone()
    time_machine.move_to(dt.datetime(2026, 12, 5, 10, tzinfo=zone), tick=False)
    settings.AUDIT_RETENTION_MONTHS = 1
    with pytest.raises(CommandError, match="至少保存 6 个月"):
        call_command("archive_audit", before="2026-11-01", out=str(tmp_path))
    settings.AUDIT_RETENTION_MONTHS = 12
    with pytest.raises(CommandError, match="不得晚于 2025-12-05"):
        call_command("archive_audit", before="2026-01-01", out=str(tmp_path))


def test_months_before() -> None:
    assert months_before(dt.date(2026, 8, 31), 6) == dt.date(2026, 2, 28)
    assert months_before(dt.date(2026, 3, 15), 6) == dt.date(2025, 9, 15)
    assert months_before(dt.date(2026, 12, 5), 12) == dt.date(2025, 12, 5)
