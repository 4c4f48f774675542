"""After the award, and integrity (A13.4, A23.1, A23.2, A29.1): violation cases of winners, their
investigation and the committee's decision (revocation included), and the sanctions for fraud.
The actions are in `supervision/services.py`; the ban itself is `intake.Ban` (read by the
eligibility rules) and the revocation marks `intake.AwardRecord`."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from intake.models import Application, AwardRecord, Ban


class Case(models.Model):
    """A violation by a winner (A23.1): reported by the winner itself (in writing, within the
    policy's 30 days of the confirmation date) or opened by the Office from a spot check, a
    complaint or the news; investigated, reported to the committee and decided (A23.2)."""

    class Source(models.TextChoices):
        WINNER = "winner", "获奖者书面报告"
        SPOT_CHECK = "spot_check", "监督抽查"
        COMPLAINT = "complaint", "投诉举报"
        MEDIA = "media", "媒体报道"
        OTHER = "other", "其他"

    class State(models.TextChoices):
        OPEN = "open", "待核查"
        REPORTED = "reported", "已报委员会"
        DECIDED = "decided", "已决定"

    class Outcome(models.TextChoices):
        NO_ACTION = "no_action", "不予处理"
        WARNING = "warning", "警告"
        REVOCATION = "revocation", "撤销称号"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    award = models.ForeignKey(AwardRecord, on_delete=models.PROTECT, related_name="cases")
    source = models.CharField("来源", max_length=16, choices=Source.choices)
    what_happened = models.TextField("违规情况")
    confirmed_on = models.DateField("确认日期", null=True, blank=True)
    # A23.1: the written report is due within the policy's days of the confirmation date.
    report_due_on = models.DateField("报告期限", null=True, blank=True)
    reported_on = models.DateField("获奖者报告日期", null=True, blank=True)
    late = models.BooleanField("逾期报告", default=False)
    evidence = models.TextField("证据材料", blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField("立案时间")
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.OPEN)
    findings = models.TextField("核查情况", blank=True)
    reported_at = models.DateTimeField("报委员会时间", null=True, blank=True)
    outcome = models.CharField("决定", max_length=16, choices=Outcome.choices, blank=True)
    decided_on = models.DateField("决定日期", null=True, blank=True)
    decision_ref = models.CharField("委员会决定或政府文号", max_length=200, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = "违规案件"
        verbose_name_plural = "违规案件"

    def __str__(self) -> str:
        return f"{self.award}：{self.get_source_display()}"

    @property
    def failed_to_report(self) -> bool:
        """未按规定报告 today: derived by `selectors.report_duties` (A23.1), never stored, so a
        case opened before the winner's deadline turns the day after it passes unreported."""
        from .selectors import report_duty

        return report_duty(self).failed


class Sanction(models.Model):
    """A sanction for fraud in the application (A29.1, A13.4), each citing its article: a
    warning, the application revoked, the award revoked with recovery, an entry in credit
    management (published), or the ban from applying (`intake.Ban`)."""

    class Kind(models.TextChoices):
        WARNING = "warning", "警告"
        APPLICATION_REVOKED = "application_revoked", "撤销申报资格"
        AWARD_REVOKED = "award_revoked", "撤销奖项并追回奖牌、证书和奖金"
        CREDIT = "credit", "纳入信用管理并公开"
        # The period is the policy's (Policy.fraud_ban_years): the ban's own dates say it.
        BAN = "ban", "期限内不得申报"

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="sanctions")
    kind = models.CharField("处理", max_length=24, choices=Kind.choices)
    article = models.CharField("依据", max_length=16, default="A29.1")
    reason = models.TextField("事由")
    decided_on = models.DateField("决定日期")
    decision_ref = models.CharField("委员会决定", max_length=200)
    ban = models.OneToOneField(
        Ban, null=True, blank=True, on_delete=models.PROTECT, related_name="sanction"
    )
    # A credit entry is published until this day (the ban's end, or three years).
    public_until = models.DateField("公开截止", null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-decided_on", "pk"]
        verbose_name = "弄虚作假处理"
        verbose_name_plural = "弄虚作假处理"
        constraints = [
            models.UniqueConstraint(fields=["application", "kind"], name="sanction_once_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.application} {self.get_kind_display()}"


class Note(models.Model):
    """A discipline supervisor's (or the Office's) note on a cycle, an application or an expert
    (A27.1): filed once, never edited or deleted; each is audited as `supervision.note.add`."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="记录人"
    )
    cycle = models.ForeignKey(
        "programs.Cycle",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="年度",
    )
    application = models.ForeignKey(
        Application,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="申报",
    )
    expert = models.ForeignKey(
        "experts.Expert",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="专家",
    )
    text = models.TextField("内容")
    created_at = models.DateTimeField("记录时间")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "监督记录"
        verbose_name_plural = "监督记录"

    def __str__(self) -> str:
        return f"监督记录 {self.created_at:%Y-%m-%d}"
