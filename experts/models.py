"""The expert pool (A6.3, A8.1), conflicts of interest (A26.1) and review groups (A17.1)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from accounts.models import Organization
from intake.models import Application
from lib.fields import BlindIndexField, EncryptedTextField
from programs.models import Cycle, Stage


class Expert(models.Model):
    """A member of the expert pool, with the evidence for each condition of article 8."""

    class Category(models.TextChoices):
        SCHOLAR = "scholar", "知名学者"
        INDUSTRY = "industry", "行业质量专家"
        MANAGER = "manager", "企业优秀管理者"
        CHIEF_QUALITY_OFFICER = "cqo", "首席质量官"

    class Status(models.TextChoices):
        ACTIVE = "active", "在库"
        SUSPENDED = "suspended", "暂停"
        REMOVED = "removed", "已撤销专家资格"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="expert",
    )
    name = models.CharField("姓名", max_length=50)
    # Masked as for individual applicants; the full number only to the Office, audited.
    # Both SM4-encrypted at rest (lib/fields.py); unique and found through the blind index.
    id_number = EncryptedTextField("身份证号码", max_length=18, kind="id_number")
    id_number_index = BlindIndexField(source="id_number", kind="id_number", unique=True)
    phone = EncryptedTextField("手机号码", max_length=20, blank=True, kind="phone")
    title = models.CharField("职称", max_length=100, blank=True)
    category = models.CharField("类别", max_length=16, choices=Category.choices)
    industries = models.JSONField("熟悉行业（GB/T 4754大类）", default=list)
    practice_years = models.PositiveSmallIntegerField("质量管理、技术或专业实践年限")
    training_certificate = models.CharField("卓越绩效评价准则培训证书", max_length=100, blank=True)
    training_on = models.DateField("培训日期", null=True, blank=True)
    # A8.1 (1)-(4): what shows each condition is met.
    evidence_policy = models.TextField("熟悉方针政策和法律法规的依据", blank=True)
    evidence_practice = models.TextField("实践经验年限及分析沟通能力的依据", blank=True)
    evidence_training = models.TextField("接受卓越绩效评价准则学习教育的依据", blank=True)
    evidence_discipline = models.TextField("履职守纪、公正严明的依据", blank=True)
    max_load = models.PositiveSmallIntegerField("每年度最多评审件数", default=5)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "评审专家"
        verbose_name_plural = "评审专家"

    def __str__(self) -> str:
        return self.name


class Employment(models.Model):
    """A current or past employer: conflicts within the look-back are detected from these."""

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="employments")
    employer_name = models.CharField("工作单位", max_length=200)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    starts_on = models.DateField("起始日期", null=True, blank=True)
    ends_on = models.DateField("截止日期", null=True, blank=True, help_text="空表示至今")

    class Meta:
        ordering = ["expert", "-starts_on"]
        verbose_name = "任职经历"
        verbose_name_plural = "任职经历"
        constraints = [
            models.CheckConstraint(
                name="employment_ends_after_start",
                condition=Q(ends_on__isnull=True)
                | Q(starts_on__isnull=True)
                | Q(ends_on__gte=F("starts_on")),
            )
        ]

    def __str__(self) -> str:
        return f"{self.expert} {self.employer_name}"


class CodeOfConduct(models.Model):
    """The cycle's 评审专家工作守则 (A6.3), text set by the Office."""

    cycle = models.OneToOneField(Cycle, on_delete=models.PROTECT, related_name="code_of_conduct")
    text = models.TextField("工作守则")
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField()

    class Meta:
        verbose_name = "评审专家工作守则"
        verbose_name_plural = "评审专家工作守则"

    def __str__(self) -> str:
        return f"{self.cycle}工作守则"


class Acknowledgement(models.Model):
    """An expert's acknowledgement of the code and signed impartiality and confidentiality
    statement for one cycle: nothing of the cycle is shown to the expert before it."""

    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="acknowledgements")
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="+")
    code_text = models.TextField("所确认的守则文本")
    signed_at = models.DateTimeField("签署时间")

    class Meta:
        verbose_name = "守则确认与承诺"
        verbose_name_plural = "守则确认与承诺"
        constraints = [
            models.UniqueConstraint(
                fields=["expert", "cycle"], name="acknowledgement_once_per_cycle"
            )
        ]

    def __str__(self) -> str:
        return f"{self.expert} {self.cycle}"


class Conflict(models.Model):
    """An interest between an expert and an application (A26.1): the expert must recuse."""

    class Source(models.TextChoices):
        EXPERT = "expert", "专家主动申报"
        APPLICANT = "applicant", "申报人提出回避"
        DETECTED = "detected", "系统识别"

    class Reason(models.TextChoices):
        EMPLOYER = "employer", "现任或考察期内曾任职于申报单位"
        CONSULTING = "consulting", "为申报单位提供咨询服务"
        RELATIVE = "relative", "亲属在申报单位领导层"
        COMPETITOR = "competitor", "竞争关系"
        SUPPLY_CHAIN = "supply_chain", "供应商或客户关系"
        SELF = "self", "本人即申报人"
        OTHER = "other", "其他利害关系"

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="conflicts")
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="conflicts")
    source = models.CharField("来源", max_length=16, choices=Source.choices)
    reason = models.CharField("原因", max_length=16, choices=Reason.choices)
    note = models.TextField("说明", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("记录时间")

    class Meta:
        ordering = ["-recorded_at"]
        verbose_name = "回避（利害关系）"
        verbose_name_plural = "回避（利害关系）"
        constraints = [
            models.UniqueConstraint(
                fields=["application", "expert", "source", "reason"], name="conflict_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.expert} ↔ {self.application}（{self.get_reason_display()}）"


class ReviewGroup(models.Model):
    """The expert group of one application at one stage (材料评审 or 现场评审), with its leader
    and, on site, the supervisor appointed by the Office (A17.1, A27.1)."""

    STAGES = (Stage.MATERIAL_REVIEW, Stage.SITE_REVIEW)

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="review_groups"
    )
    stage = models.CharField("阶段", max_length=20, choices=[(s.value, s.label) for s in STAGES])
    leader = models.ForeignKey(
        Expert, null=True, blank=True, on_delete=models.PROTECT, related_name="led_groups"
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField("确定时间", null=True, blank=True)

    class Meta:
        verbose_name = "专家组"
        verbose_name_plural = "专家组"
        constraints = [
            models.UniqueConstraint(fields=["application", "stage"], name="review_group_per_stage")
        ]

    def __str__(self) -> str:
        return f"{self.application} {self.get_stage_display()}专家组"


class Assignment(models.Model):
    """One expert in one group. Removed rows stay (with why) so the history of a group is kept."""

    class Source(models.TextChoices):
        SOLVER = "solver", "优化分配"
        RANDOM = "random", "随机抽取"
        MANUAL = "manual", "人工调整"

    group = models.ForeignKey(ReviewGroup, on_delete=models.PROTECT, related_name="assignments")
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="assignments")
    source = models.CharField("来源", max_length=16, choices=Source.choices)
    locked = models.BooleanField("已锁定", default=False)
    reasons = models.JSONField("分配依据", default=list)
    assigned_at = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_reason = models.CharField("移出原因", max_length=200, blank=True)

    class Meta:
        ordering = ["group", "assigned_at"]
        verbose_name = "专家分配"
        verbose_name_plural = "专家分配"
        constraints = [
            models.UniqueConstraint(
                fields=["group", "expert"],
                condition=Q(removed_at__isnull=True),
                name="assignment_active_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.expert} → {self.group}"


class NoConflictConfirmation(models.Model):
    """Before opening an application's materials the expert confirms, per application, that no
    interest exists (A26.1)."""

    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="+")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField()

    class Meta:
        verbose_name = "无利害关系确认"
        verbose_name_plural = "无利害关系确认"
        constraints = [
            models.UniqueConstraint(fields=["expert", "application"], name="no_conflict_once")
        ]

    def __str__(self) -> str:
        return f"{self.expert} {self.application}"


class ExpertSanction(models.Model):
    """The committee's sanction on a reviewer (A26.2), recorded by the Office with its evidence."""

    class Kind(models.TextChoices):
        WARNING = "warning", "警告"
        REMOVAL = "removal", "撤销评审专家资格"
        REFERRAL = "referral", "移送纪检监察部门或司法机关"

    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="sanctions")
    kind = models.CharField("处分", max_length=16, choices=Kind.choices)
    decided_on = models.DateField("决定日期")
    decision_ref = models.CharField("委员会决定", max_length=200)
    reason = models.TextField("事由")
    evidence = models.TextField("证据", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-decided_on"]
        verbose_name = "专家处分"
        verbose_name_plural = "专家处分"

    def __str__(self) -> str:
        return f"{self.expert} {self.get_kind_display()}"


class RecusalRequest(models.Model):
    """The applicant's request that a named person not review it (A26.1), made before 材料评审
    starts. The pool stays confidential: the applicant names the person (and, to tell namesakes
    apart, the employer); every expert of the pool who matches becomes a conflict, now and
    whenever detection runs later (`conflicts.detect`: an expert joins the pool, a proposal, a
    draw...). The applicant is never told
    whether the person is in the pool (decision 0009)."""

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="recusal_requests"
    )
    name = models.CharField("要求回避的人员姓名", max_length=50)
    employer = models.CharField("其工作单位", max_length=200, blank=True)
    reason = models.CharField("原因", max_length=16, choices=Conflict.Reason.choices)
    note = models.TextField("理由")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField("提出时间")

    class Meta:
        ordering = ["requested_at"]
        verbose_name = "回避申请"
        verbose_name_plural = "回避申请"

    def __str__(self) -> str:
        return f"{self.application} 申请{self.name}回避"


class Draw(models.Model):
    """One random draw of a stage's groups (专家随机抽取, A17.1). The seed comes from the
    system's CSPRNG (`secrets`), never from a person, and this row with its audit event
    (`experts.draw.seed`) is written and committed before the draw is made: a draw cannot be
    tried and hidden. Drawing again for the same stage of the same year needs a reason. The
    problem as it stood (applications, qualified experts, conflicts, locked pairs) is kept with
    the pairs drawn, so anyone can replay the draw from its seed (`services.replay_draw`)."""

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="+")
    stage = models.CharField(
        "阶段", max_length=20, choices=[(s.value, s.label) for s in ReviewGroup.STAGES]
    )
    seed = models.CharField("随机种子", max_length=64)
    reason = models.TextField("再次抽取的理由", blank=True)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    drawn_at = models.DateTimeField("抽取时间")
    problem = models.JSONField("抽取时的申报、专家和约束", default=dict)
    pairs = models.JSONField("抽取结果（申报、专家）", default=list)
    completed_at = models.DateTimeField("完成时间", null=True, blank=True)
    failure = models.CharField("未完成的原因", max_length=300, blank=True)

    class Meta:
        ordering = ["drawn_at", "pk"]
        verbose_name = "专家随机抽取"
        verbose_name_plural = "专家随机抽取"

    def __str__(self) -> str:
        return f"{self.cycle}{self.get_stage_display()}专家随机抽取（{self.seed}）"
