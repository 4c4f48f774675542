"""The audit log: append-only, hash-chained events (A3.1, A27.1).

Each event's SM3 hash covers its own fields and the previous event's hash, so altering,
deleting or reordering any event breaks the chain at that point (`manage.py audit_verify`).
Events are written only by `audit.services.record`; the app has no way to change them.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

from django.conf import settings
from django.db import models

GENESIS_HASH = "0" * 64


def _pretty(value: Any) -> str:
    """A before/after value as people read it: Chinese as is, one key per line."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return "\n".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in value.items())
    return json.dumps(value, ensure_ascii=False)


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise TypeError("审计事件不可修改。")

    def delete(self) -> NoReturn:  # type: ignore[override]  # refusing is the point
        raise TypeError("审计事件不可删除。")


class AuditEvent(models.Model):
    seq = models.PositiveBigIntegerField("序号", unique=True)
    created_at = models.DateTimeField("时间")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_username = models.CharField("操作人账号", max_length=150, blank=True)
    role = models.CharField("角色", max_length=32)
    action = models.CharField("操作", max_length=64, db_index=True)
    object_type = models.CharField("对象类型", max_length=64, blank=True)
    object_id = models.CharField("对象标识", max_length=64, blank=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    before = models.JSONField("变更前", null=True, blank=True)
    after = models.JSONField("变更后", null=True, blank=True)
    reason = models.TextField("理由", blank=True)
    # Where the act came from (audit.middleware): the client's address as the server saw it
    # (REMOTE_ADDR, or the address a trusted proxy forwarded) and its user agent. Empty for
    # events written outside a request (commands, the demo seed) and for events older than
    # these fields; hashed only when present (audit.services._digest).
    client_ip = models.CharField("客户端地址", max_length=45, blank=True)
    user_agent = models.CharField("客户端程序", max_length=300, blank=True)
    # The request that caused the act (issue 17 part 4, docs/decisions/0028): the 参考编号 of
    # its error page, its X-Request-ID and the request_id of its log lines; for an act done by
    # a background job, the request that queued the job. Empty for commands, the demo seed and
    # events older than the field; hashed only when present, like the address above.
    request_id = models.CharField("参考编号", max_length=64, blank=True)
    # The award program the act belongs to (decision 0030): its object's, else the program the
    # request or job named; empty: the default program's (or no program's), as every event
    # older than the field. A program's supervisors read their program's events (the default
    # program's, the empty ones too); the audit administrator all. An id (audit sits below
    # programs); hashed only when present, like the fields above.
    program_pk = models.PositiveIntegerField("奖项", null=True, blank=True)
    prev_hash = models.CharField("前一哈希", max_length=64)
    hash = models.CharField("哈希", max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        verbose_name = "审计事件"
        verbose_name_plural = "审计事件"
        constraints = [
            # Two events can never claim the same predecessor: the chain cannot fork.
            models.UniqueConstraint(fields=["prev_hash"], name="audit_event_prev_hash_unique"),
        ]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_event_object_idx"),
            models.Index(fields=["created_at"], name="audit_event_created_idx"),
            # The trail filtered by 参考编号: a person quotes the number of an error page.
            models.Index(fields=["request_id"], name="audit_event_request_idx"),
            models.Index(fields=["program_pk", "-seq"], name="audit_event_program_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("审计事件不可修改。")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("审计事件不可删除。")

    @property
    def before_text(self) -> str:
        return _pretty(self.before)

    @property
    def after_text(self) -> str:
        return _pretty(self.after)


class ChainHead(models.Model):
    """One row: the last event's number and hash. Locking it serializes appends."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = "审计链头"
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="chain_head_singleton")
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"
