"""Backup and restore (issue 15 part 7): `manage.py backup` writes one SM4-GCM archive of the
database, the files and the audit checkpoints with an SM3 manifest; `manage.py restore` loads it
into an empty database, refusing a changed archive, and verifies the audit chain.

The data must be committed for pg_dump to see it: these tests run outside the test transaction.
The PostgreSQL round trip restores into a database it creates on the same server, through
`manage.py restore` in a separate process (as an operator would run it)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.models import User
from audit import anchors
from audit.backup import BACKUP_PURPOSE, MANIFEST, SealedWriter, backup_key, unpack
from audit.models import AuditEvent, ChainHead
from audit.services import verify_chain
from programs.models import Cycle

pytestmark = [pytest.mark.req("A3.1"), pytest.mark.django_db(transaction=True)]

ATTACHMENT = b"%PDF-1.4\n% an applicant's scanned licence\n%%EOF\n"


@pytest.fixture
def data(cycle: Cycle, settings: Any, tmp_path: Path) -> dict[str, Any]:
    """Committed data: users of every role, a cycle (audited), two stored files, a checkpoint."""
    settings.MEDIA_ROOT = tmp_path / "media"
    names = [
        default_storage.save("attachments/licence.pdf", ContentFile(ATTACHMENT)),
        default_storage.save("approvals/2026/decision.pdf", ContentFile(ATTACHMENT * 3)),
    ]
    anchors.write(reason="测试")
    head = ChainHead.objects.get()
    return {
        "names": names,
        "users": User.objects.count(),
        "events": AuditEvent.objects.count(),
        "head": (head.seq, head.hash),
    }


def _backup(out: Path) -> Path:
    stdout = io.StringIO()
    call_command("backup", out=str(out), stdout=stdout)
    assert "备份完成" in stdout.getvalue()
    (archive,) = out.glob("qa-backup-*.qabak")
    return archive


def _restore(archive: Path, *options: str) -> str:
    stdout = io.StringIO()
    call_command("restore", str(archive), *options, stdout=stdout)
    return stdout.getvalue()


def test_backup_is_one_encrypted_archive_with_an_sm3_manifest(
    data: dict[str, Any], tmp_path: Path
) -> None:
    archive = _backup(tmp_path / "backups")
    assert archive.stat().st_mode & 0o777 == 0o600
    raw = archive.read_bytes()
    assert ATTACHMENT not in raw
    assert b"manifest" not in raw
    manifest = unpack(archive, tmp_path / "out")
    members = manifest["members"]
    assert set(members) >= {f"media/{name}" for name in data["names"]}
    assert any(name.startswith("anchors/") for name in members)
    assert ("database.pgdump" if connection.vendor == "postgresql" else "database.sqlite3") in (
        members
    )
    assert len(members[f"media/{data['names'][0]}"]["sm3"]) == 64  # SM3, 256 bits
    # The head and the counts are the backup's moment: the backup's own event comes after.
    assert (manifest["audit_head"]["seq"], manifest["audit_head"]["hash"]) == data["head"]
    assert manifest["rows"]["accounts_user"] == data["users"]
    assert manifest["rows"]["audit_auditevent"] == data["events"]
    assert "audit.0001_initial" in manifest["migrations"]
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert event.action == "audit.backup.create"
    assert event.after is not None
    assert event.after["file"] == archive.name


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="the SQLite round trip"
)
def test_sqlite_round_trip_into_an_emptied_database(data: dict[str, Any], tmp_path: Path) -> None:
    archive = _backup(tmp_path / "backups")
    manifest = unpack(archive, tmp_path / "peek")
    # Lose everything: the database and the files.
    call_command("flush", "--no-input")
    for name in data["names"]:
        default_storage.delete(name)
    assert not User.objects.exists()
    output = _restore(archive)
    assert "审计链完整" in output
    assert "恢复完成" in output
    assert User.objects.count() == data["users"]
    assert AuditEvent.objects.filter(seq__lte=data["head"][0]).count() == data["events"]
    for name in data["names"]:
        assert default_storage.open(name).read().startswith(b"%PDF")
    restored = AuditEvent.objects.order_by("-seq").first()
    assert restored is not None
    assert restored.action == "audit.backup.restore"
    assert (restored.seq - 1, restored.prev_hash) == (
        manifest["audit_head"]["seq"],
        manifest["audit_head"]["hash"],
    )
    assert verify_chain().ok


def test_a_database_with_data_is_not_overwritten_without_force(
    data: dict[str, Any], tmp_path: Path
) -> None:
    archive = _backup(tmp_path / "backups")
    with pytest.raises(
        CommandError, match="目标数据库已有账户或审计记录，未恢复。确需覆盖请加 --force"
    ):
        _restore(archive)


def test_a_tampered_archive_is_refused(data: dict[str, Any], tmp_path: Path) -> None:
    archive = _backup(tmp_path / "backups")
    call_command("flush", "--no-input")
    raw = bytearray(archive.read_bytes())
    raw[len(raw) // 2] ^= 0x01  # one byte changed
    changed = tmp_path / "changed.qabak"
    changed.write_bytes(bytes(raw))
    with pytest.raises(CommandError, match="备份文件校验失败（被篡改、截断或不完整），未恢复。"):
        _restore(changed)
    truncated = tmp_path / "truncated.qabak"
    truncated.write_bytes(archive.read_bytes()[:-100])
    with pytest.raises(CommandError, match="备份文件校验失败"):
        _restore(truncated)
    assert not User.objects.exists()  # nothing was loaded


def test_a_member_unlike_the_manifest_is_refused_by_name(
    data: dict[str, Any], tmp_path: Path
) -> None:
    """Whoever holds the key and re-encrypts a changed file is still caught by the manifest."""
    archive = _backup(tmp_path / "backups")
    unpacked = tmp_path / "unpacked"
    unpack(archive, unpacked)
    victim = unpacked / "media" / data["names"][0]
    changed = bytearray(victim.read_bytes())
    changed[-1] ^= 0x01
    victim.write_bytes(bytes(changed))
    forged = tmp_path / "forged.qabak"
    with forged.open("wb") as raw:
        sealed = SealedWriter(raw, backup_key(), purpose=BACKUP_PURPOSE)
        with tarfile.open(fileobj=sealed, mode="w|") as tar:
            for path in sorted(p for p in unpacked.rglob("*") if p.is_file()):
                tar.add(path, arcname=path.relative_to(unpacked).as_posix())
        sealed.close()
    call_command("flush", "--no-input")
    with pytest.raises(CommandError) as info:
        _restore(forged)
    assert str(info.value) == (
        f"备份成员“media/{data['names'][0]}”的SM3哈希与清单不符（已被篡改），未恢复。"
    )


def test_another_key_is_told_apart_from_damage(
    data: dict[str, Any], tmp_path: Path, settings: Any
) -> None:
    archive = _backup(tmp_path / "backups")
    settings.BACKUP_KEY = "00" * 16
    with pytest.raises(CommandError, match="备份密钥不符"):
        _restore(archive)
    assert MANIFEST == "manifest.json"


# --- PostgreSQL: a real round trip into a new database ------------------------------------------


@pytest.fixture
def fresh_database() -> Iterator[str]:
    """A new, empty database on the same server, dropped afterwards."""
    import psycopg

    db = connection.settings_dict
    name = f"qa_restore_{uuid.uuid4().hex[:10]}"
    params = {
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "user": db["USER"],
        "password": db["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**params) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(**params) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the PostgreSQL round trip needs DATABASE_URL=postgresql://…",
)
def test_postgresql_round_trip_into_a_new_database(
    data: dict[str, Any], tmp_path: Path, fresh_database: str
) -> None:
    import psycopg

    archive = _backup(tmp_path / "backups")
    manifest = unpack(archive, tmp_path / "peek")
    db = connection.settings_dict
    url = (
        f"postgresql://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{fresh_database}"
    )
    env = os.environ | {
        "DATABASE_URL": url,
        "VAR_DIR": str(tmp_path / "restored-var"),
        "AUDIT_ANCHOR_DIR": str(tmp_path / "restored-anchors"),
        "BACKUP_KEY": settings.BACKUP_KEY,
        "PII_KEYS": settings.PII_KEYS,
        "BLIND_INDEX_KEY": settings.BLIND_INDEX_KEY,
        "AUDIT_ANCHOR_KEY": settings.AUDIT_ANCHOR_KEY,
    }
    manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
    done = subprocess.run(  # noqa: S603 - our own manage.py
        [*manage, "restore", str(archive)], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "审计链完整" in done.stdout
    assert "恢复完成" in done.stdout
    verified = subprocess.run(  # noqa: S603
        [*manage, "audit_verify"], env=env, capture_output=True, text=True, check=False
    )
    assert verified.returncode == 0, verified.stderr
    assert "审计链完整" in verified.stdout
    with psycopg.connect(url) as restored:
        for table, count in manifest["rows"].items():
            if table == "audit_auditevent":
                count += 1  # the restore's own event, chained onto the backup's head
            row = restored.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()
            assert row is not None
            assert row[0] == count, table
        head = restored.execute("SELECT seq, hash FROM audit_chainhead").fetchone()
        event = restored.execute(
            "SELECT action, prev_hash FROM audit_auditevent ORDER BY seq DESC LIMIT 1"
        ).fetchone()
    assert head is not None
    assert head[0] == data["head"][0] + 1
    assert event == ("audit.backup.restore", data["head"][1])
    for name in data["names"]:
        restored_file = tmp_path / "restored-var" / "media" / name
        assert restored_file.read_bytes() == (Path(settings.MEDIA_ROOT) / name).read_bytes()
