"""Backups and their restore (issue 15 part 7; GB/T 22239-2019 8.1.4.11 数据备份恢复).

One archive file per run, ``qa-backup-<UTC time>.qabak``: a tar of

- ``database.pgdump`` (PostgreSQL: ``pg_dump --format=custom`` of an exported snapshot) or
  ``database.sqlite3`` (SQLite: sqlite3's online backup API);
- ``media/…``: MEDIA_ROOT as it is on disk (the uploads, SM4-encrypted at rest by their own
  key ring, PII_KEYS: a restore needs that ring too);
- ``anchors/…``: the audit chain's checkpoints (AUDIT_ANCHOR_DIR);
- ``manifest.json``: every other member with its SM3 hash and size, the audit chain head, the
  migrations applied, each table's row count (all read in the dump's snapshot), the time and
  the software version;

the whole encrypted with SM4-GCM under settings.BACKUP_KEY (16 bytes, 32 hex digits), in
1 MiB chunks: each chunk has its own nonce (a random 8-byte prefix per archive and the chunk's
number) and is authenticated with the header, its number and whether it is the last, so a
changed, reordered, truncated or extended archive does not decrypt. The header carries the
key's fingerprint (the first 8 bytes of SM3 over a label and the key), so a wrong key is told
apart from a damaged file. Memory stays constant: the tar is written straight into the
encrypting writer and read straight from the decrypting reader.

The restore decrypts into a private temporary directory, checks every member against the
manifest (a member missing, extra or with another hash refuses the whole restore, naming it),
refuses a database holding accounts or audit events unless forced, loads the database
(``pg_restore`` / the SQLite backup API), the files and the checkpoints, then verifies the
audit chain (`audit.services.verify_chain`, the check of ``manage.py audit_verify``) and
compares the chain head and the row counts with the manifest.

The same sealed format, under another purpose, holds the audit archives of
``manage.py archive_audit``: a backup does not decrypt as an archive nor the reverse.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import struct
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from lib.errors import ServiceError

__all__ = [
    "ARCHIVE_PURPOSE",
    "BACKUP_PURPOSE",
    "BackupResult",
    "RestoreResult",
    "SealedReader",
    "SealedWriter",
    "backup_key",
    "create_backup",
    "database_is_empty",
    "restore_backup",
    "sm3_file",
]

MAGIC = b"QABAK\x00\x01\n"
CHUNK = 1024 * 1024
_TAG = 16
_PREFIX = 8
_FINGERPRINT = 8
HEADER_SIZE = len(MAGIC) + _FINGERPRINT + _PREFIX
BACKUP_PURPOSE = "backup"
ARCHIVE_PURPOSE = "audit-archive"
MANIFEST = "manifest.json"
FORMAT = 1
_TAMPERED = "备份文件校验失败（被篡改、截断或不完整），未恢复。"


# --- the sealed stream: SM4-GCM in chunks -------------------------------------------------------


def backup_key() -> bytes:
    """settings.BACKUP_KEY as 16 bytes; ServiceError naming the setting when it is not."""
    text = str(getattr(settings, "BACKUP_KEY", "")).strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != 16:
        raise ServiceError("BACKUP_KEY 应为32位十六进制（16字节SM4密钥），请检查环境变量。")
    return key


def _fingerprint(key: bytes) -> bytes:
    return hashlib.new("sm3", b"qa-backup-key\x00" + key).digest()[:_FINGERPRINT]


def _aad(purpose: str, header: bytes, counter: int, last: bool) -> bytes:
    return purpose.encode() + b"\x00" + header + struct.pack(">I?", counter, last)


class SealedWriter(io.RawIOBase):
    """A write-only stream that encrypts what is written into `out` (call close() to finish:
    the last chunk is sealed as the last)."""

    def __init__(self, out: BinaryIO, key: bytes, *, purpose: str) -> None:
        super().__init__()
        self._out, self._key, self._purpose = out, key, purpose
        self._prefix = os.urandom(_PREFIX)
        self._header = MAGIC + _fingerprint(key) + self._prefix
        self._buffer = bytearray()
        self._counter = 0
        self.written = 0  # encrypted bytes written, header included
        out.write(self._header)
        self.written += len(self._header)

    def writable(self) -> bool:
        return True

    def _seal(self, chunk: bytes, last: bool) -> None:
        nonce = self._prefix + struct.pack(">I", self._counter)
        enc = Cipher(algorithms.SM4(self._key), modes.GCM(nonce)).encryptor()
        enc.authenticate_additional_data(_aad(self._purpose, self._header, self._counter, last))
        sealed = enc.update(chunk) + enc.finalize() + enc.tag
        self._out.write(sealed)
        self.written += len(sealed)
        self._counter += 1

    def write(self, data: Any) -> int:
        self._buffer += data
        # Keep at least one full chunk back: only close() knows which chunk is the last.
        while len(self._buffer) > CHUNK:
            self._seal(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._seal(bytes(self._buffer), last=True)
            self._buffer.clear()
        super().close()


def _read_full(source: IO[bytes], size: int) -> bytes:
    parts, remaining = [], size
    while remaining:
        part = source.read(remaining)
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)


def unseal(source: IO[bytes], key: bytes, *, purpose: str) -> Iterator[bytes]:
    """The plaintext of a sealed stream, chunk by chunk, each verified before it is given;
    ServiceError (Chinese) on a wrong key, a change, a truncation or an extension."""
    header = _read_full(source, HEADER_SIZE)
    if len(header) < HEADER_SIZE or not header.startswith(MAGIC):
        raise ServiceError("不是本系统的备份或归档文件（文件头无法识别），未恢复。")
    if header[len(MAGIC) : len(MAGIC) + _FINGERPRINT] != _fingerprint(key):
        raise ServiceError("备份密钥不符：该文件不是用当前 BACKUP_KEY 加密的，未恢复。")
    prefix = header[-_PREFIX:]
    counter = 0
    sealed = _read_full(source, CHUNK + _TAG)
    while True:
        if len(sealed) < _TAG:
            raise ServiceError(_TAMPERED)
        following = _read_full(source, CHUNK + _TAG) if len(sealed) == CHUNK + _TAG else b""
        last = not following
        nonce = prefix + struct.pack(">I", counter)
        dec = Cipher(algorithms.SM4(key), modes.GCM(nonce, sealed[-_TAG:])).decryptor()
        dec.authenticate_additional_data(_aad(purpose, header, counter, last))
        try:
            plain = dec.update(sealed[:-_TAG]) + dec.finalize()
        except InvalidTag:
            raise ServiceError(_TAMPERED) from None
        yield plain
        if last:
            return
        sealed = following
        counter += 1


class SealedReader(io.RawIOBase):
    """A read-only stream of the plaintext of a sealed file (for tarfile's stream mode)."""

    def __init__(self, source: IO[bytes], key: bytes, *, purpose: str) -> None:
        super().__init__()
        self._pieces = unseal(source, key, purpose=purpose)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                self._pending = next(self._pieces)
            except StopIteration:
                return 0
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count


# --- hashing ------------------------------------------------------------------------------------


def sm3_file(path: Path) -> str:
    digest = hashlib.new("sm3")
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


class _Hashing(io.RawIOBase):
    """Reads through a file, hashing with SM3 what tarfile takes."""

    def __init__(self, handle: BinaryIO) -> None:
        super().__init__()
        self._handle = handle
        self.digest = hashlib.new("sm3")

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self.digest.update(data)
        return data


# --- the database -------------------------------------------------------------------------------


def _vendor() -> str:
    return str(connection.vendor)


def _program(name: str) -> str:
    """The full path of a PostgreSQL client program (Debian: postgresql-client)."""
    found = shutil.which(name)
    if found is None:
        raise ServiceError(f"未找到 {name}：请安装与数据库服务器版本一致的 postgresql-client。")
    return found


def _pg_env_args() -> tuple[dict[str, str], list[str]]:
    db = connection.settings_dict  # the test database's name under pytest, too
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    args = []
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    return env, [*args, "--dbname", str(db["NAME"])]


def _tables(existing: set[str]) -> list[tuple[str, str]]:
    """(model label, table) of every concrete model whose table is in `existing`."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.managed and not meta.proxy and meta.db_table in existing:
            found.append((meta.label_lower, meta.db_table))
    return sorted(set(found))


def _facts(cursor: Any, existing: set[str]) -> dict[str, Any]:
    """The chain head, the migrations and the row counts, as `cursor` (any DB-API cursor of
    PostgreSQL or SQLite) sees them; `existing` is the tables of that database."""
    counts = {}
    for _label, table in _tables(existing):
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - our own table names
        counts[table] = cursor.fetchone()[0]
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    migrations = [f"{app}.{name}" for app, name in cursor.fetchall()]
    cursor.execute('SELECT seq, hash FROM "audit_chainhead" WHERE id = 1')
    row = cursor.fetchone()
    return {
        "audit_head": {"seq": row[0], "hash": row[1]} if row else {"seq": 0, "hash": ""},
        "migrations": migrations,
        "rows": counts,
    }


def _dump_postgresql(target: Path) -> dict[str, Any]:
    """pg_dump of a snapshot exported from a repeatable-read transaction that also reads the
    facts of the manifest: the dump and the manifest describe the same moment."""
    env, args = _pg_env_args()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        facts = _facts(cursor, set(connection.introspection.table_names(cursor)))
        done = subprocess.run(  # noqa: S603 - fixed program, arguments from settings
            [
                _program("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={target}",
                *args,
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise ServiceError(f"pg_dump 失败：{done.stderr.strip()[:500]}")
    return facts


def _sqlite_facts(path: Path) -> dict[str, Any]:
    with closing(sqlite3.connect(str(path))) as db:
        cursor = db.cursor()
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        existing = {name for (name,) in cursor.fetchall()}
        return _facts(cursor, existing)


def _dump_sqlite(target: Path) -> dict[str, Any]:
    """sqlite3's online backup (a consistent copy, WAL included) from Django's own connection
    into `target`, then the manifest's facts read from the copy."""
    connection.ensure_connection()
    with closing(sqlite3.connect(str(target))) as copy:
        connection.connection.backup(copy)
    return _sqlite_facts(target)


def _version() -> str:
    """The software's commit when run from a git checkout, else the project's version."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],  # noqa: S607 - git from PATH
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except OSError:
        done = None
    if done is not None and done.returncode == 0:
        return f"git {done.stdout.strip()}"
    return "unknown"


# --- backup -------------------------------------------------------------------------------------


@dataclass
class BackupResult:
    path: Path
    manifest: dict[str, Any]
    size: int  # bytes of the archive
    seconds: float


def _walk(root: Path) -> Iterator[tuple[Path, str]]:
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path, path.relative_to(root).as_posix()


def _add(tar: tarfile.TarFile, path: Path, name: str, members: dict[str, dict[str, Any]]) -> None:
    info = tar.gettarinfo(str(path), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o600
    with path.open("rb") as handle:
        reader = _Hashing(handle)
        tar.addfile(info, reader)  # type: ignore[arg-type]
    members[name] = {"sm3": reader.digest.hexdigest(), "size": info.size}


def create_backup(out_dir: Path, *, now: dt.datetime | None = None) -> BackupResult:
    """Write one encrypted archive of the database, the files and the checkpoints into
    `out_dir` (created if missing; the file is 0600, written under a temporary name and
    renamed when complete). Returns where it is and its manifest."""
    started = time.perf_counter()
    key = backup_key()
    moment = (now or timezone.now()).astimezone(dt.UTC)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"qa-backup-{moment:%Y%m%dT%H%M%SZ}.qabak"
    partial = target.with_suffix(".part")
    vendor = _vendor()
    with tempfile.TemporaryDirectory(prefix="qa-backup-") as staging:
        dump = Path(staging) / ("database.pgdump" if vendor == "postgresql" else "database.sqlite3")
        if vendor == "postgresql":
            facts = _dump_postgresql(dump)
        elif vendor == "sqlite":
            facts = _dump_sqlite(dump)
        else:
            raise ServiceError(f"不支持备份 {vendor} 数据库。")
        members: dict[str, dict[str, Any]] = {}
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as raw:
                sealed = SealedWriter(raw, key, purpose=BACKUP_PURPOSE)
                with tarfile.open(fileobj=sealed, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                    _add(tar, dump, dump.name, members)
                    for path, rel in _walk(Path(settings.MEDIA_ROOT)):
                        _add(tar, path, f"media/{rel}", members)
                    for path, rel in _walk(Path(settings.AUDIT_ANCHOR_DIR)):
                        _add(tar, path, f"anchors/{rel}", members)
                    manifest = {
                        "format": FORMAT,
                        "created_at": moment.isoformat(timespec="seconds"),
                        "software": _version(),
                        "database": vendor,
                        **facts,
                        "members": members,
                    }
                    body = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
                    info = tarfile.TarInfo(MANIFEST)
                    info.size, info.mode, info.mtime = len(body), 0o600, int(moment.timestamp())
                    tar.addfile(info, io.BytesIO(body))
                sealed.close()
                raw.flush()
                os.fsync(raw.fileno())
            partial.replace(target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return BackupResult(target, manifest, target.stat().st_size, time.perf_counter() - started)


# --- restore ------------------------------------------------------------------------------------


@dataclass
class RestoreResult:
    manifest: dict[str, Any]
    chain: Any  # audit.services.ChainReport
    problems: list[str] = field(default_factory=list)  # head or row counts unlike the manifest
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return bool(self.chain.ok) and not self.problems


def database_is_empty() -> bool:
    """No account and no audit event: a new database (migrated or not)."""
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for table in ("accounts_user", "audit_auditevent"):
            if table in existing:
                cursor.execute(f'SELECT 1 FROM "{table}" LIMIT 1')  # noqa: S608
                if cursor.fetchone():
                    return False
    return True


def _safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    return (
        not path.is_absolute()
        and ".." not in path.parts
        and (
            name in (MANIFEST, "database.pgdump", "database.sqlite3", "events.jsonl")
            or (path.parts[0] in ("media", "anchors") and len(path.parts) > 1)
        )
    )


def unpack(archive: Path, into: Path, *, purpose: str = BACKUP_PURPOSE) -> dict[str, Any]:
    """Decrypt and unpack `archive` into the directory `into`, check every member against the
    manifest and return the manifest; ServiceError naming what is wrong otherwise."""
    key = backup_key()
    try:
        with archive.open("rb") as raw:
            reader = io.BufferedReader(SealedReader(raw, key, purpose=purpose), CHUNK)
            with tarfile.open(fileobj=reader, mode="r|") as tar:
                for member in tar:
                    if not member.isfile() or not _safe_name(member.name):
                        raise ServiceError(f"备份中有不应有的成员“{member.name[:100]}”，未恢复。")
                    tar.extract(member, into, filter="data")
    except tarfile.TarError as exc:
        raise ServiceError(f"备份文件无法解包（{exc}），未恢复。") from exc
    except FileNotFoundError as exc:
        raise ServiceError(f"找不到备份文件 {archive}。") from exc
    manifest_path = into / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError) as exc:
        raise ServiceError("备份中缺少或无法读取清单 manifest.json，未恢复。") from exc
    members: dict[str, dict[str, Any]] = manifest.get("members", {})
    for name, expected in members.items():
        path = into / name
        if not _safe_name(name) or not path.is_file():
            raise ServiceError(f"备份成员“{name}”缺失，未恢复。")
        if path.stat().st_size != expected.get("size") or sm3_file(path) != expected.get("sm3"):
            raise ServiceError(f"备份成员“{name}”的SM3哈希与清单不符（已被篡改），未恢复。")
    listed = set(members) | {MANIFEST}
    for path in into.rglob("*"):
        if path.is_file() and path.relative_to(into).as_posix() not in listed:
            raise ServiceError(f"备份成员“{path.relative_to(into).as_posix()}”不在清单中，未恢复。")
    return manifest


def _load_postgresql(dump: Path, *, clean: bool) -> None:
    env, args = _pg_env_args()
    connection.close()  # no session of ours holds a lock on what is dropped and loaded
    done = subprocess.run(  # noqa: S603 - fixed program, arguments from settings
        [
            _program("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            *(["--clean", "--if-exists"] if clean else []),
            *args,
            str(dump),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise ServiceError(f"pg_restore 失败：{done.stderr.strip()[:500]}")


def _load_sqlite(copy: Path) -> None:
    """The copy's pages into the database through Django's own connection (so an in-memory
    test database works as a file does)."""
    connection.ensure_connection()
    with closing(sqlite3.connect(str(copy))) as source:
        source.backup(connection.connection)


def _copy_tree(source: Path, target: Path) -> int:
    count = 0
    for path, rel in _walk(source):
        destination = target / rel
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
        count += 1
    return count


def restore_backup(
    archive: Path, *, force: bool = False, say: Callable[[str], None] = lambda _text: None
) -> RestoreResult:
    """Restore `archive` into the configured database, MEDIA_ROOT and AUDIT_ANCHOR_DIR.

    Refuses (ServiceError, nothing changed) a file that does not decrypt under BACKUP_KEY, a
    member unlike the manifest, another database engine than the backup's, and a database
    holding accounts or audit events unless `force`. Then loads, and verifies the chain."""
    from .services import verify_chain  # services is the chain's home; imported when used

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="qa-restore-") as staging:
        into = Path(staging)
        manifest = unpack(archive, into)
        say(
            f"备份文件解密成功，{len(manifest['members'])} 个成员的SM3哈希与清单一致"
            f"（备份时间 {manifest['created_at']}，软件版本 {manifest.get('software', '')}）。"
        )
        vendor = _vendor()
        if manifest.get("database") != vendor:
            raise ServiceError(
                f"该备份来自 {manifest.get('database')} 数据库，不能恢复到 {vendor} 数据库。"
            )
        if not database_is_empty() and not force:
            raise ServiceError(
                "目标数据库已有账户或审计记录，未恢复。确需覆盖请加 --force（现有数据将被替换）。"
            )
        if vendor == "postgresql":
            clean = bool(connection.introspection.table_names())
            _load_postgresql(into / "database.pgdump", clean=clean)
        else:
            _load_sqlite(into / "database.sqlite3")
        files = _copy_tree(into / "media", Path(settings.MEDIA_ROOT))
        checkpoints = _copy_tree(into / "anchors", Path(settings.AUDIT_ANCHOR_DIR))
        say(f"数据库已恢复；文件 {files} 个，审计检查点文件 {checkpoints} 个。")
    chain = verify_chain()
    with connection.cursor() as cursor:
        facts = _facts(cursor, set(connection.introspection.table_names(cursor)))
    problems = []
    if facts["audit_head"] != manifest["audit_head"]:
        problems.append(
            f"审计链头为第 {facts['audit_head']['seq']} 号，与清单（第 "
            f"{manifest['audit_head']['seq']} 号）不符。"
        )
    for table, count in manifest["rows"].items():
        if facts["rows"].get(table) != count:
            problems.append(f"表 {table} 有 {facts['rows'].get(table)} 行，清单为 {count} 行。")
    return RestoreResult(manifest, chain, problems, time.perf_counter() - started)
