"""审定, 公示 and 批准 (A5.2, A6.1, A19.1-A22.1, A24.1, A25.1): the proposed list within the
quotas, the committee's and the government's approvals, the public notice with its objections,
the announcement, the certificates and the bonus ledger. The award itself is
`intake.AwardRecord` (the applicant's standing that A24.1 reads); the actions are in
`decision/services.py`."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Individual, Organization
from intake.models import Application, AwardRecord, RecordedHolder
from lib.fields import EncryptedTextField
from programs.models import Cycle


class Proposal(models.Model):
    """The year's 拟奖名单 and where it stands, from the Office's draft to the announcement."""

    class State(models.TextChoices):
        DRAFT = "draft", "办公室拟定中"
        COMMITTEE_APPROVED = "committee_approved", "委员会已审定"
        GOVERNMENT_APPROVED = "government_approved", "市政府已批准"
        IN_NOTICE = "in_notice", "公示中"
        NOTICE_CLOSED = "notice_closed", "公示结束"
        ANNOUNCED = "announced", "已公告"

    cycle = models.OneToOneField(Cycle, on_delete=models.PROTECT, related_name="proposal")
    state = models.CharField("状态", max_length=24, choices=State.choices, default=State.DRAFT)
    # The notice (A20.1): dates in working days from the policy; the public page shows them.
    notice_starts_on = models.DateField("公示开始", null=True, blank=True)
    notice_ends_on = models.DateField("公示结束", null=True, blank=True)
    notice_published_at = models.DateTimeField(null=True, blank=True)
    notice_closed_at = models.DateTimeField(null=True, blank=True)
    # The announcement (A20.2).
    announced_on = models.DateField("公告日期", null=True, blank=True)
    announcement_number = models.CharField("公告文号", max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "拟奖名单"
        verbose_name_plural = "拟奖名单"

    def __str__(self) -> str:
        return f"{self.cycle.year}年度拟奖名单"


class Entry(RecordedHolder):
    """One applicant on the list, at a level. A re-winner (A24.1) is marked: it takes no quota
    place and no bonus. An entry withdrawn after an upheld objection stays, with why. Its name
    and code are the submitted version's (`RecordedHolder`): the notice shows them."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="entries")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="+")
    level = models.CharField("奖项", max_length=16, choices=AwardRecord.Level.choices)
    rewinner = models.BooleanField("再次获奖（不占名额、不发奖金）", default=False)
    position = models.PositiveSmallIntegerField("排序", default=0)
    withdrawn_at = models.DateTimeField("撤出时间", null=True, blank=True)
    withdrawn_reason = models.TextField("撤出原因", blank=True)

    class Meta:
        ordering = ["proposal", "position", "pk"]
        verbose_name = "拟奖对象"
        verbose_name_plural = "拟奖对象"
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "application"], name="entry_once_per_proposal"
            )
        ]

    def __str__(self) -> str:
        return f"{self.holder_name} {self.get_level_display()}"

    def registration(self) -> Organization | Individual | None:
        return self.application.organization or self.application.individual


class Approval(models.Model):
    """The committee's 审定 (A6.1, A19.1) or the city government's approval of the list."""

    class Body(models.TextChoices):
        COMMITTEE = "committee", "质量发展委员会审定"
        GOVERNMENT = "government", "市人民政府批准"

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="approvals")
    body = models.CharField("机构", max_length=16, choices=Body.choices)
    decided_on = models.DateField("日期")
    reference = models.CharField("会议名称或文号", max_length=200)
    attendees = models.TextField("出席人员", blank=True)
    resolution = models.TextField("决议内容", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["decided_on", "pk"]
        verbose_name = "审定与批准"
        verbose_name_plural = "审定与批准"
        constraints = [
            models.UniqueConstraint(fields=["proposal", "body"], name="approval_once_per_body")
        ]

    def __str__(self) -> str:
        return f"{self.get_body_display()} {self.reference}"


class Objection(models.Model):
    """An objection filed during the notice (A20.2) by a named person, with a receipt number;
    investigated and answered by the Office. The notice cannot close while one is open."""

    class Outcome(models.TextChoices):
        OPEN = "open", "核查中"
        UPHELD = "upheld", "异议成立"
        DISMISSED = "dismissed", "异议不成立"

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="objections")
    receipt = models.CharField("受理回执号", max_length=32, unique=True)
    entry = models.ForeignKey(
        Entry, null=True, blank=True, on_delete=models.PROTECT, related_name="objections"
    )
    # Who objected and how to reach them: SM4-encrypted at rest (lib/fields.py), never
    # searched; shown to the Office on the objection's page only.
    name = EncryptedTextField("姓名", max_length=50)
    identity = EncryptedTextField("身份或单位", max_length=200)
    contact = EncryptedTextField("联系方式", max_length=100)
    content = models.TextField("异议内容")
    filed_at = models.DateTimeField("提出时间")
    outcome = models.CharField(
        "核查结论", max_length=16, choices=Outcome.choices, default=Outcome.OPEN
    )
    findings = models.TextField("核查情况", blank=True)
    reply = models.TextField("答复", blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # The same objection sent again (Back and resubmit, a fresh form, a double click) is
    # recognized by this keyed HMAC (lib.crypto.blind_index) of the list entry, the normalised
    # name, contact and content (`services.objection_fingerprint`); unique per notice, so two
    # requests in flight at once cannot both file it. Blank on a row filed before it existed
    # that repeated an earlier one.
    fingerprint = models.CharField("重复识别码", max_length=64, blank=True, editable=False)

    # Set by `services.file_objection` on the first objection when the same one is sent again
    # (nothing new filed); never stored.
    repeated: bool = False

    class Meta:
        ordering = ["filed_at"]
        verbose_name = "公示异议"
        verbose_name_plural = "公示异议"
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "fingerprint"],
                condition=~Q(fingerprint=""),
                name="decision_objection_once_per_notice",
            )
        ]

    def __str__(self) -> str:
        return f"异议{self.receipt}"

    @classmethod
    def refresh_fingerprints(cls, *, dry_run: bool = False) -> int:
        """Recompute every fingerprint under the current BLIND_INDEX_KEY (`manage.py
        rotate_keys` calls this on every model that has it); returns how many were stale. A
        blank one (a repeat filed before fingerprints existed) stays blank."""
        from .services import objection_fingerprint  # the one formula, beside the filing

        stale = 0
        rows = cls._base_manager.exclude(fingerprint="").select_related("proposal", "entry")
        for objection in rows.order_by("pk").iterator(500):
            fresh = objection_fingerprint(
                objection.proposal,
                objection.entry,
                objection.name,
                objection.contact,
                objection.content,
            )
            if fresh != objection.fingerprint:
                stale += 1
                if not dry_run:
                    cls._base_manager.filter(pk=objection.pk).update(fingerprint=fresh)
        return stale


def approval_path(instance: ApprovalAttachment, filename: str) -> str:
    return f"approvals/{instance.approval.proposal.cycle.year}/{instance.sha256[:16]}"


class ApprovalAttachment(models.Model):
    """A document of the committee's 审定 or the government's approval (minutes, the reply), typed
    from its content (lib/files.py)."""

    approval = models.ForeignKey(Approval, on_delete=models.CASCADE, related_name="attachments")
    original_name = models.CharField("文件名", max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    file = models.FileField(upload_to=approval_path, max_length=200)

    class Meta:
        verbose_name = "审批附件"
        verbose_name_plural = "审批附件"

    def __str__(self) -> str:
        return self.original_name


def evidence_path(instance: ObjectionEvidence, filename: str) -> str:
    return f"objections/{instance.objection.receipt}/{instance.sha256[:16]}"


class ObjectionEvidence(models.Model):
    """A file attached to an objection, typed from its content (lib/files.py)."""

    objection = models.ForeignKey(Objection, on_delete=models.CASCADE, related_name="evidence")
    original_name = models.CharField("文件名", max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    file = models.FileField(upload_to=evidence_path, max_length=200)

    class Meta:
        verbose_name = "异议证据"
        verbose_name_plural = "异议证据"

    def __str__(self) -> str:
        return self.original_name


class Certificate(RecordedHolder):
    """The award's certificate (A21.1, A25.1): a number nobody can guess, verifiable publicly;
    revoked with the award (`intake.AwardRecord.revoked_on`). What it prints (name, code,
    number, date) is fixed when it is issued: a later rename never reprints it."""

    award = models.OneToOneField(AwardRecord, on_delete=models.PROTECT, related_name="certificate")
    number = models.CharField("证书编号", max_length=40, unique=True)
    issued_on = models.DateField("发证日期")
    revoked_reason = models.TextField("撤销原因", blank=True)

    class Meta:
        verbose_name = "证书"
        verbose_name_plural = "证书"

    def __str__(self) -> str:
        return self.number

    def registration(self) -> Organization | Individual | None:
        return self.award.organization or self.award.individual


class BonusEntry(models.Model):
    """The bonus ledger (A21.1, A22.1): what is due by the policy, what was paid (voucher), and
    what was recovered. Amounts in whole yuan, always positive; the kind says the direction."""

    class Kind(models.TextChoices):
        DUE = "due", "应发"
        PAYMENT = "payment", "已拨付"
        RECOVERY = "recovery", "追回"

    award = models.ForeignKey(AwardRecord, on_delete=models.PROTECT, related_name="bonus_entries")
    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    amount = models.PositiveIntegerField("金额（元）")
    on = models.DateField("日期")
    voucher = models.CharField("凭证号", max_length=100, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["award", "on", "pk"]
        verbose_name = "奖金台账"
        verbose_name_plural = "奖金台账"
        constraints = [
            models.UniqueConstraint(
                fields=["award"], condition=Q(kind="due"), name="bonus_due_once_per_award"
            ),
            models.CheckConstraint(name="bonus_amount_positive", condition=Q(amount__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.award} {self.get_kind_display()} {self.amount}"
