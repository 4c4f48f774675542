"""Appending to and verifying the audit chain."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models, transaction
from django.utils import timezone

from lib import tenancy

from . import anchors, catalogue, context
from .models import GENESIS_HASH, AuditEvent, ChainHead


def jsonable(value: Any) -> Any:
    """Plain JSON types only, so the stored value hashes the same after a database round trip."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, (float, decimal.Decimal)):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return str(value)


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The named fields of `obj` as JSON, for an event's before/after."""
    return {name: jsonable(getattr(obj, name)) for name in fields}


def _digest(event: AuditEvent) -> str:
    """SM3 over the event's fields and the previous hash (canonical JSON).

    The client address and user agent (added by issue 14) enter the payload only when
    non-empty: an event written before they existed, or outside a request, hashes exactly as
    it did, so the old chain still verifies without a version field; an event that has them
    cannot lose or change them unseen (its hash covers them)."""
    payload: dict[str, Any] = {
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
        "prev_hash": event.prev_hash,
    }
    if event.client_ip:
        payload["client_ip"] = event.client_ip
    if event.user_agent:
        payload["user_agent"] = event.user_agent
    if event.request_id:  # issue 17 part 4: the same rule, so older chains verify unchanged
        payload["request_id"] = event.request_id
    if event.program_pk is not None:  # decision 0030, the same rule
        payload["program_pk"] = event.program_pk
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.new("sm3", text.encode()).hexdigest()


def record(
    *,
    actor: AbstractBaseUser | None,
    role: str,
    action: str,
    obj: models.Model | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction.

    Preconditions: called inside `transaction.atomic()` (the event commits or rolls back with
    the change it records); `action` is a code of `audit.catalogue` (ValueError otherwise: no
    event the trail page cannot name). Side effects, in order: locks the chain head (appends
    are serialized, so the chain never forks), writes the event with the client address, user
    agent and request id of the request being served (audit.context; inside a job, the id of
    the request that queued it; empty outside both), advances the head.
    """
    catalogue.require(action)
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must run in the transaction of the change it records")
    client_ip, user_agent = context.client()
    # Everything that may read the database (str(obj) follows foreign keys: a scorecard's name
    # is six lazy SELECTs) or costs time is done before the head is locked: while it is held,
    # every other audited change of the system waits (issue 17, performance note item 4).
    event = AuditEvent(
        actor_id=actor.pk if actor is not None and actor.pk else None,
        actor_username=actor.get_username() if actor is not None and actor.pk else "",
        role=role,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
        reason=reason,
        client_ip=client_ip,
        user_agent=user_agent,
        request_id=context.reference(),
        # No statement: the object's program, else the one the request or job names; None is
        # the default program's (or none), as the events older than the field.
        program_pk=tenancy.program_id_of(obj) or tenancy.known_id(),
    )
    # FOR UPDATE serializes appends on PostgreSQL; on SQLite the IMMEDIATE transaction already
    # holds the database write lock. The head row comes with the migrations; it is recreated
    # only after a test flush emptied the table. Between this lock and the head's update only
    # the event's INSERT runs; the hash (it covers the number and the previous hash) is SM3
    # over a few hundred bytes, no query.
    head = ChainHead.objects.select_for_update().filter(id=1).first()
    if head is None:
        ChainHead.objects.get_or_create(id=1)
        head = ChainHead.objects.select_for_update().get(id=1)
    event.seq = head.seq + 1
    event.created_at = timezone.now()
    event.prev_hash = head.hash
    event.hash = _digest(event)
    event.save(force_insert=True)
    ChainHead.objects.filter(id=1).update(seq=event.seq, hash=event.hash)
    context.note(action)
    anchors.after_commit()  # the daily checkpoint, once this write has committed
    return event


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    broken_seq: int | None = None
    problem: str = ""
    anchors: int = 0  # checkpoints the chain was compared with
    newest: str = ""  # the newest checkpoint, as people read it

    def __str__(self) -> str:
        if self.ok:
            held = (
                f"，与 {self.anchors} 个检查点一致（最新：{self.newest}）"
                if self.anchors
                else "；尚无检查点（manage.py audit_anchor 写入）"
            )
            return f"审计链完整：共校验 {self.checked} 条事件{held}。"
        if self.broken_seq is None:
            return f"审计链校验失败：{self.problem}"
        return f"审计链断裂：第 {self.broken_seq} 号事件{self.problem}"


def _events() -> Iterator[AuditEvent]:
    return AuditEvent.objects.order_by("pk").iterator(chunk_size=2000)


def verify_chain() -> ChainReport:
    """Recompute every hash in insertion order and check each link and the head, then compare
    the chain with every checkpoint kept outside the database (`audit.anchors`).

    Insertion order (pk) is independent of the hashed `seq`, so swapping two events' numbers or
    contents is caught as well as editing or deleting one. The checkpoints catch what the
    database alone can hide: an event rewritten with every later hash recomputed (the event at a
    checkpoint's number no longer has its hash) and a tail deleted with the head moved back
    (the chain is shorter than the newest checkpoint). A checkpoint whose MAC fails is reported
    too. What neither can see: a change to events after the newest checkpoint.
    """
    kept = anchors.read()
    by_seq: dict[int, list[anchors.Checkpoint]] = {}
    for cp in kept.checkpoints:
        by_seq.setdefault(cp.seq, []).append(cp)
    newest = kept.newest
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    matched = 0  # the last event a checkpoint confirmed
    for event in _events():
        if event.seq != expected_seq:
            return ChainReport(
                False, checked, event.seq, f"序号不连续（应为 {expected_seq}）：事件被删除或调换。"
            )
        if event.prev_hash != expected_prev:
            return ChainReport(False, checked, event.seq, "的前一哈希与链不符：事件被删除或调换。")
        if _digest(event) != event.hash:
            return ChainReport(False, checked, event.seq, "的内容与其哈希不符：事件被篡改。")
        for cp in by_seq.get(event.seq, ()):
            if cp.hash != event.hash:
                return ChainReport(
                    False,
                    checked,
                    event.seq,
                    f"的哈希与{cp.label}不符：第 {matched + 1} 至 {event.seq} 号之间的事件"
                    "被改写，其后的哈希被重新计算。",
                )
            matched = event.seq
        expected_prev = event.hash
        expected_seq += 1
        checked += 1
    head = ChainHead.objects.filter(id=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    if head_seq != checked or head_hash != expected_prev:
        return ChainReport(
            False,
            checked,
            checked + 1 if head_seq > checked else head_seq,
            "之后的事件缺失：链尾被删除。",
        )
    if newest is not None and newest.seq > checked:
        return ChainReport(
            False,
            checked,
            checked + 1,
            f"起的事件缺失：{newest.label}时链已有 {newest.seq} 条事件，现仅 {checked} 条，"
            "链尾被删除，链头被移回。",
        )
    if kept.problems:
        return ChainReport(False, checked, None, kept.problems[0])
    return ChainReport(
        True,
        checked,
        anchors=len(kept.checkpoints),
        newest=newest.label if newest is not None else "",
    )
