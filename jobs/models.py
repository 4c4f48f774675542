"""A piece of background work and its state (issue 17 part 1; docs/decisions/0020).

One row per job: what it is (`kind`, a short code naming its handler in `jobs.registry`, and
a Chinese `label` the Office's list shows), its state, its attempts and when the next one is
due, and what it made (an optional result file). The row is the truth: Celery only carries
"run job <pk>" messages, and a message that is lost is sent again from the row
(`jobs.tasks.requeue_due`). The payload holds e-mail addresses, texts and codes: it is stored
SM4-encrypted (lib/fields.py) as JSON text, cleared once the job is done, and never shown.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models

from lib.fields import EncryptedTextField


def result_path(job: Job, filename: str) -> str:
    return f"jobs/{job.created_at:%Y/%m}/{job.pk}-{filename}"


class Job(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "进行中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"
        CANCELLED = "cancelled", "已取消"

    kind = models.CharField("任务类型", max_length=50)
    label = models.CharField("任务", max_length=200)
    state = models.CharField("状态", max_length=20, choices=State.choices, default=State.QUEUED)
    # JSON text, SM4-encrypted at rest: addresses, message bodies, one-time codes.
    payload_text = EncryptedTextField("任务参数", blank=True, default="")
    # What the job is about, without personal data ("decision.objection:YY2026-0001"), so a
    # caller finds the job it queued; not unique (a retry by the Office is the same row).
    ref = models.CharField("关联对象", max_length=100, blank=True, default="", db_index=True)
    attempts = models.PositiveSmallIntegerField("已尝试次数", default=0)
    max_attempts = models.PositiveSmallIntegerField("最多尝试次数", default=4)
    last_error = models.CharField("最近一次错误", max_length=500, blank=True, default="")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="发起人",
    )
    # The request that queued the job (its 参考编号, config/observability.py): the audit events
    # the job records carry it (audit.context.working_for), so they join that request's log
    # lines and error page. Empty for jobs queued by the beat or a command.
    request_id = models.CharField("参考编号", max_length=64, blank=True, default="")
    # The award program it was queued in, and runs in (decision 0030); None: the default.
    # An id, not a foreign key: jobs sit below programs.
    program_pk = models.PositiveIntegerField("奖项", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    next_attempt_at = models.DateTimeField("下次尝试时间", null=True, blank=True)
    # What the job made for someone to download (an export, a certificate), encrypted at rest
    # like every upload (config.storage); `result_name` is the name the download offers.
    result = models.FileField("结果文件", upload_to=result_path, max_length=200, blank=True)
    result_name = models.CharField("结果文件名", max_length=200, blank=True, default="")
    # What the result was made from, for its reader to tell whether it is still current (a
    # certificate: the digest of the seal it carries, decision/jobs.py); empty when unrecorded.
    result_basis = models.CharField("结果依据", max_length=100, blank=True, default="")

    class Meta:
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        ordering = ["-pk"]
        indexes = [
            # The beat's sweep: queued jobs whose attempt is due; running jobs past their time.
            models.Index(fields=["state", "next_attempt_at"], name="job_state_due"),
            # The Office's list by state, newest first (keyset on the id, which grows with
            # created_at); the whole list reads the primary key's index.
            models.Index(fields=["state", "-id"], name="job_state_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.label}（#{self.pk}）"

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.payload_text) if self.payload_text else {}

    @payload.setter
    def payload(self, value: dict[str, Any]) -> None:
        self.payload_text = json.dumps(value, ensure_ascii=False, default=str) if value else ""
