"""申报推荐 and 资格审查: applications, their frozen versions, evidence, checks and decisions."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from accounts.models import Individual, Organization, RecommendingUnit
from programs.models import Cycle


class Kind(models.TextChoices):
    ORGANIZATION = "organization", "组织"
    INDIVIDUAL = "individual", "个人"


class State(models.TextChoices):
    """The application's life (DESIGN.md); later stages are added by their issues."""

    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已提交，待推荐"
    RETURNED = "returned", "已退回修改"
    RECOMMENDED = "recommended", "已推荐，待资格审查"
    ACCEPTED = "accepted", "已受理"
    NOT_ACCEPTED = "not_accepted", "不予受理"
    LAPSED = "lapsed", "逾期未受理"
    MATERIAL_REVIEW = "material_review", "材料评审中"
    SITE_REVIEW = "site_review", "现场评审中"
    EVALUATED = "evaluated", "已完成综合评价"
    PROPOSED = "proposed", "拟奖"
    IN_NOTICE = "in_notice", "公示中"
    AWARDED = "awarded", "已获奖"
    NOT_AWARDED = "not_awarded", "未获奖"
    REVOKED = "revoked", "奖项已撤销"
    WITHDRAWN = "withdrawn", "已撤回"
    DISQUALIFIED = "disqualified", "已撤销申报资格"


# Accepted and not yet decided: the applications the review groups work on (A17.1).
IN_REVIEW = frozenset({State.ACCEPTED, State.MATERIAL_REVIEW, State.SITE_REVIEW, State.EVALUATED})


class Application(models.Model):
    """One applicant's application in one cycle (申报); its form is `data` while a draft."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="applications")
    kind = models.CharField("类别", max_length=16, choices=Kind.choices)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="applications"
    )
    individual = models.ForeignKey(
        Individual, null=True, blank=True, on_delete=models.PROTECT, related_name="applications"
    )
    recommending_unit = models.ForeignKey(
        RecommendingUnit,
        verbose_name="推荐单位",
        on_delete=models.PROTECT,
        related_name="applications",
    )
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.DRAFT)
    data = models.JSONField("申报表（草稿）", default=dict, blank=True)
    # A draft keeps every field as typed (issue 16): `data` holds what the form's rules accept
    # (what the eligibility rules read and a submission freezes); while some field is refused,
    # `draft_typed` holds the whole form as last typed and `draft_errors` the reasons by place
    # (`employees`, `figures.0.revenue`), so a reload shows exactly what was typed. Both are
    # empty once every field is valid; submitting is refused while `draft_errors` is not.
    draft_typed = models.JSONField("申报表（按填写保留）", default=dict, blank=True)
    draft_errors = models.JSONField("未通过校验的栏目", default=dict, blank=True)
    version = models.PositiveSmallIntegerField("已提交版本", default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("最后保存", auto_now=True)
    submitted_at = models.DateTimeField("最近提交", null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "申报"
        verbose_name_plural = "申报"
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "organization"],
                condition=Q(organization__isnull=False),
                name="application_one_per_organization_per_cycle",
                violation_error_message="该组织本年度已有申报。",
            ),
            models.UniqueConstraint(
                fields=["cycle", "individual"],
                condition=Q(individual__isnull=False),
                name="application_one_per_individual_per_cycle",
                violation_error_message="本人本年度已有申报。",
            ),
            models.CheckConstraint(
                name="application_kind_matches_applicant",
                condition=(
                    Q(kind="organization", organization__isnull=False, individual__isnull=True)
                    | Q(kind="individual", individual__isnull=False, organization__isnull=True)
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["cycle", "state"], name="application_cycle_state_idx"),
            # The list's order (intake.selectors.NEWEST_FIRST, read backwards): its pages and
            # its to-do rows are index reads, never a sort of every visible row (issue 17).
            models.Index(fields=["submitted_at", "id"], name="application_list_order_idx"),
            models.Index(
                fields=["state", "submitted_at", "id"], name="application_state_order_idx"
            ),
            # The supervisors' year page: a cycle's applications by kind, then id, a page at a
            # time (supervision.selectors.cycle_cards).
            models.Index(fields=["cycle", "kind", "id"], name="application_cycle_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.applicant_name}（{self.cycle.year}年度）"

    @property
    def tenant_program_id(self) -> int:
        """The program of the application's cycle (lib.tenancy.program_id_of)."""
        return int(self.cycle.program_id)

    @property
    def applicant_name(self) -> str:
        applicant = self.organization or self.individual
        return str(applicant) if applicant else ""


class ApplicationVersion(models.Model):
    """The form as submitted: frozen, never edited; one per submission."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField("版本")
    data = models.JSONField("申报表")
    # The applicant's registration as it stood when submitted (later edits do not change it).
    applicant = models.JSONField("申报主体信息", default=dict)
    attachments = models.JSONField("附件清单", default=list)
    submitted_at = models.DateTimeField("提交时间")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["application", "number"]
        verbose_name = "申报版本"
        verbose_name_plural = "申报版本"
        constraints = [
            models.UniqueConstraint(fields=["application", "number"], name="version_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.application} 第{self.number}版"


def attachment_path(instance: Attachment, filename: str) -> str:
    # Never the uploaded name on disk: the name is data, the path is ours.
    return f"attachments/{instance.application.public_id}/{instance.public_id}"


class StateChange(models.Model):
    """One move of an application's state (written by `intake.workflow` only): the 办件进度
    timeline reads these rows, one query per application."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="state_changes"
    )
    action = models.CharField("操作", max_length=32)
    from_state = models.CharField("原状态", max_length=16, choices=State.choices)
    to_state = models.CharField("新状态", max_length=16, choices=State.choices)
    at = models.DateTimeField("时间")

    class Meta:
        ordering = ["application", "at", "pk"]
        verbose_name = "办理进度"
        verbose_name_plural = "办理进度"

    def __str__(self) -> str:
        return f"{self.get_from_state_display()} → {self.get_to_state_display()}"


class Attachment(models.Model):
    """Evidence (证明性材料). Stored under MEDIA_ROOT (outside the web root), served by a view
    that checks permission and audits; kept for ever once a submitted version lists it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="attachments"
    )
    section = models.CharField("所属栏目", max_length=32)
    original_name = models.CharField("文件名", max_length=200)
    kind = models.CharField("类型", max_length=8)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField(max_length=64)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)
    removed_at = models.DateTimeField("移出草稿时间", null=True, blank=True)

    class Meta:
        ordering = ["uploaded_at"]
        verbose_name = "附件"
        verbose_name_plural = "附件"

    def __str__(self) -> str:
        return self.original_name


class EligibilityResult(models.Model):
    """The outcome of one rule of A12-A14 for one submitted version (the Office's report)."""

    class Outcome(models.TextChoices):
        PASS = "pass", "符合"
        FAIL = "fail", "不符合"
        CONFIRM = "confirm", "需办公室核实"

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="eligibility"
    )
    version = models.PositiveSmallIntegerField("版本")
    rule = models.CharField("规则", max_length=32)
    article = models.CharField("条款", max_length=16)
    outcome = models.CharField("结果", max_length=8, choices=Outcome.choices)
    message = models.TextField("说明")
    evidence = models.JSONField("依据", default=dict)

    class Meta:
        ordering = ["application", "version", "pk"]
        verbose_name = "资格条件核查结果"
        verbose_name_plural = "资格条件核查结果"
        constraints = [
            models.UniqueConstraint(
                fields=["application", "version", "rule"], name="eligibility_one_result_per_rule"
            )
        ]

    def __str__(self) -> str:
        return f"{self.article} {self.get_outcome_display()}"


class Recommendation(models.Model):
    """A recommending unit's opinion (推荐意见, A15.3) or its return of the application."""

    class Outcome(models.TextChoices):
        RECOMMENDED = "recommended", "同意推荐"
        RETURNED = "returned", "退回修改"

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="recommendations"
    )
    version = models.PositiveSmallIntegerField("版本")
    unit = models.ForeignKey(RecommendingUnit, on_delete=models.PROTECT, related_name="+")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField("结论", max_length=16, choices=Outcome.choices)
    opinion = models.TextField("推荐意见或退回理由")
    decided_at = models.DateTimeField("时间")

    class Meta:
        ordering = ["application", "decided_at"]
        verbose_name = "推荐意见"
        verbose_name_plural = "推荐意见"

    def __str__(self) -> str:
        return f"{self.unit} {self.get_outcome_display()}"


class QualificationDecision(models.Model):
    """The Office's 受理 / 不予受理 with its reasons (A16.1), or its return for completion
    (退回补正). Corrections are new rows linked to what they correct."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", "受理"
        NOT_ACCEPTED = "not_accepted", "不予受理"
        RETURNED = "returned", "退回补正"

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="decisions")
    version = models.PositiveSmallIntegerField("版本")
    outcome = models.CharField("决定", max_length=16, choices=Outcome.choices)
    articles = models.JSONField("所依据条款", default=list)
    reason = models.TextField("理由")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField("时间")
    corrects = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrected_by"
    )

    class Meta:
        ordering = ["application", "decided_at"]
        verbose_name = "资格审查决定"
        verbose_name_plural = "资格审查决定"

    def __str__(self) -> str:
        return f"{self.application} {self.get_outcome_display()}"


def holder_display(name: str, employer: str = "") -> str:
    """A holder as a public record names it: the organization's name, or the person's name with
    the employer (never an ID number, a phone or an address)."""
    return f"{name}（{employer}）" if employer else name


class RecordedHolder(models.Model):
    """The applicant's name and code as a public record was made with them: the 公示 entry from
    the submitted version, the award and the certificate from the entry (the decision). A later
    rename of the registration changes none of them; `renamed_to` says the name it has now
    (现名称). Blank only on rows made without a record (then the registration is read)."""

    recorded_name = models.CharField("名称（记录时）", max_length=200, blank=True)
    recorded_uscc = models.CharField("统一社会信用代码（记录时）", max_length=18, blank=True)
    recorded_employer = models.CharField("所在组织（记录时）", max_length=200, blank=True)

    class Meta:
        abstract = True

    def registration(self) -> Organization | Individual | None:
        """The organization or person the record is of (the live row)."""
        raise NotImplementedError

    @property
    def holder_name(self) -> str:
        live = self.registration()
        return self.recorded_name or (live.name if live else "")

    @property
    def holder_uscc(self) -> str:
        if self.recorded_name:
            return self.recorded_uscc
        live = self.registration()
        return live.uscc if isinstance(live, Organization) else ""

    @property
    def holder_employer(self) -> str:
        if self.recorded_name:
            return self.recorded_employer
        live = self.registration()
        return live.employer_name if isinstance(live, Individual) else ""

    @property
    def holder(self) -> str:
        """The name as recorded, with the employer for a person."""
        return holder_display(self.holder_name, self.holder_employer)

    @property
    def renamed_to(self) -> str:
        """The registration's name now when it differs from the recorded one (现名称), else ""."""
        live = self.registration()
        return live.name if live is not None and live.name != self.holder_name else ""


class AwardRecord(RecordedHolder):
    """A Mayor's Quality Award an applicant holds (A24.1): won before this system (entered by the
    Office from the government's announcement) or, later, recorded by the decision stage. Its
    holder's name and code are those of the decision (`RecordedHolder`)."""

    class Level(models.TextChoices):
        AWARD = "award", "市长质量奖"
        NOMINATION = "nomination", "市长质量奖提名奖"

    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="award_records"
    )
    individual = models.ForeignKey(
        Individual, null=True, blank=True, on_delete=models.PROTECT, related_name="award_records"
    )
    # The application it was won with, when won through this system (decision stage).
    application = models.OneToOneField(
        "Application", null=True, blank=True, on_delete=models.PROTECT, related_name="award"
    )
    year = models.PositiveSmallIntegerField("获奖年度")
    level = models.CharField("奖项", max_length=16, choices=Level.choices)
    announced_on = models.DateField("公告日期")
    document_number = models.CharField("公告文号", max_length=100)
    revoked_on = models.DateField("撤销日期", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = "获奖记录"
        verbose_name_plural = "获奖记录"
        constraints = [
            models.CheckConstraint(
                name="award_record_one_holder",
                condition=Q(organization__isnull=False, individual__isnull=True)
                | Q(organization__isnull=True, individual__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.holder_name} {self.year}年度{self.get_level_display()}"

    def registration(self) -> Organization | Individual | None:
        return self.organization or self.individual


class Ban(models.Model):
    """A ban from the award for fraud (A29.1: 3 years), decided by the committee."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="bans")
    article = models.CharField("依据", max_length=16, default="A29.1")
    starts_on = models.DateField("起始日期")
    ends_on = models.DateField("截止日期")
    reason = models.TextField("事由")
    decision_ref = models.CharField("委员会决定", max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = "禁止申报记录"
        verbose_name_plural = "禁止申报记录"
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gt=F("starts_on")), name="ban_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} {self.starts_on}至{self.ends_on}"
