"""Checkpoints of the audit chain kept outside the database (issue 14, part 5; A27.1).

The chain's hashes are unkeyed and its head lives in the same database as the events, so
someone holding the database can rewrite an event and recompute every later hash, or delete the
tail and move the head back, and the chain still verifies. A checkpoint fixes the head as it
was: its sequence number, hash, the number of events and the time, with an HMAC-SM3 over them
keyed by AUDIT_ANCHOR_KEY (the environment, never the database). Checkpoints are appended, one
JSON line each, to `anchors.jsonl` in AUDIT_ANCHOR_DIR (separate storage in production) and
mailed to the supervisors (through the announcers a higher app registers: audit sits below
accounts). `verify_chain` compares the chain with every checkpoint. See
docs/decisions/0014-audit-anchors-and-state.md.

Written on demand (`manage.py audit_anchor`, the audit administrator's button on the trail
page) and at least daily: after a committed audit write, a check against the time of the last
checkpoint this process knows (read from the file once per process and directory) writes one
when it is older than `EVERY`.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hmac
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from .models import AuditEvent, ChainHead

logger = logging.getLogger(__name__)

EVERY = dt.timedelta(days=1)
FILENAME = "anchors.jsonl"
FIELDS = ("seq", "hash", "count", "at")


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    count: int
    at: str  # ISO 8601, UTC
    mac: str
    line: int = 0  # its line in the file, for the messages

    @property
    def time(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.at)

    @property
    def label(self) -> str:
        when = timezone.localtime(self.time).strftime("%Y-%m-%d %H:%M:%S")
        return f"检查点（{when}，第 {self.seq} 号事件）"

    def as_line(self) -> str:
        fields = {k: getattr(self, k) for k in FIELDS} | {"mac": self.mac}
        return json.dumps(fields, ensure_ascii=False, sort_keys=True) + "\n"


@dataclass(frozen=True)
class Anchors:
    """The checkpoints of the file, in order, and the lines that failed their MAC or parse."""

    checkpoints: list[Checkpoint]
    problems: list[str]

    @property
    def newest(self) -> Checkpoint | None:
        return max(self.checkpoints, key=lambda c: c.seq) if self.checkpoints else None


# Who hears of a new checkpoint (the supervisors, registered by accounts): audit cannot import
# the apps above it.
Announcer = Callable[[Checkpoint], None]
_announcers: list[Announcer] = []
# The newest checkpoint time this process knows, per directory: the daily check reads the
# file once per process, not once per event.
_known: dict[str, dt.datetime] = {}


def register_announcer(announce: Announcer) -> None:
    if announce not in _announcers:
        _announcers.append(announce)


def directory() -> Path:
    return Path(settings.AUDIT_ANCHOR_DIR)


def path() -> Path:
    return directory() / FILENAME


def mac(seq: int, hash: str, count: int, at: str) -> str:
    """HMAC-SM3 over the checkpoint's fields as canonical JSON, keyed by AUDIT_ANCHOR_KEY."""
    message = json.dumps(
        {"seq": seq, "hash": hash, "count": count, "at": at},
        sort_keys=True,
        separators=(",", ":"),
    )
    key = str(settings.AUDIT_ANCHOR_KEY).encode()
    return hmac.new(key, message.encode(), "sm3").hexdigest()


def read() -> Anchors:
    """Every checkpoint of the file whose MAC holds; a line that does not parse or whose MAC
    differs (edited, or written with another key) is a problem, named by its line."""
    checkpoints: list[Checkpoint] = []
    problems: list[str] = []
    try:
        text = path().read_text(encoding="utf-8")
    except FileNotFoundError:
        return Anchors([], [])
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data: dict[str, Any] = json.loads(line)
            cp = Checkpoint(
                seq=int(data["seq"]),
                hash=str(data["hash"]),
                count=int(data["count"]),
                at=str(data["at"]),
                mac=str(data["mac"]),
                line=number,
            )
            cp.time  # noqa: B018  # the time must parse too
        except (ValueError, KeyError, TypeError):
            problems.append(f"检查点文件第 {number} 行无法解读：检查点文件被改动。")
            continue
        if not hmac.compare_digest(cp.mac, mac(cp.seq, cp.hash, cp.count, cp.at)):
            problems.append(
                f"检查点文件第 {number} 行的 HMAC-SM3 不符：检查点被改动，或密钥不是写入时的密钥。"
            )
            continue
        checkpoints.append(cp)
    return Anchors(checkpoints, problems)


def _append(cp: Checkpoint) -> None:
    """Append one line, under an exclusive lock (two processes may write at once), to disk."""
    directory().mkdir(parents=True, exist_ok=True)
    with path().open("a", encoding="utf-8") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            f.write(cp.as_line())
            f.flush()
            os.fsync(f.fileno())
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def write(
    *, actor: AbstractBaseUser | None = None, role: str = "system", reason: str = ""
) -> Checkpoint:
    """Write a checkpoint of the chain's head now.

    Side effects, in order: locks the chain head (no event is appended meanwhile), appends the
    checkpoint to the file, records `audit.anchor.write` (the next event, after the head it
    fixes), tells the announcers (the supervisors' inbox and e-mail, on commit). The file line
    stays even if the transaction rolls back: it fixes the head as committed before it."""
    from .services import record  # services calls back into this module after each write

    with transaction.atomic():
        head = ChainHead.objects.select_for_update().filter(id=1).first()
        seq = head.seq if head is not None else 0
        head_hash = head.hash if head is not None else ""
        count = AuditEvent.objects.count()
        at = timezone.now().astimezone(dt.UTC).isoformat(timespec="seconds")
        cp = Checkpoint(seq, head_hash, count, at, mac(seq, head_hash, count, at))
        _append(cp)
        _known[str(directory())] = cp.time
        record(
            actor=actor,
            role=role,
            action="audit.anchor.write",
            after={"seq": seq, "hash": head_hash, "count": count, "at": at},
            reason=reason,
        )
        for announce in _announcers:
            announce(cp)
    return cp


def _newest_time() -> dt.datetime | None:
    newest = read().newest
    return newest.time if newest is not None else None


def write_if_due() -> Checkpoint | None:
    """The daily checkpoint: written when the newest one this process knows is older than
    `EVERY` (the file is read once per process and directory, and again under way only when a
    checkpoint seems due, in case another process wrote it)."""
    if not settings.AUDIT_ANCHOR_AUTO:
        return None
    key = str(directory())
    now = timezone.now()
    known = _known.get(key)
    if known is not None and now - known < EVERY:
        return None
    newest = _newest_time()
    if newest is not None and now - newest < EVERY:
        _known[key] = newest
        return None
    if not ChainHead.objects.filter(id=1, seq__gt=0).exists():
        return None  # nothing to fix yet
    return write(reason="每日自动检查点")


def after_commit() -> None:
    """Called by `record()`: schedules the daily check for when the write has committed. A
    failure is logged, never raised: the change it follows is already committed."""

    def check() -> None:
        try:
            write_if_due()
        except Exception:
            logger.exception("audit checkpoint failed")

    if settings.AUDIT_ANCHOR_AUTO:
        transaction.on_commit(check)
