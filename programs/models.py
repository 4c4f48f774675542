"""Award programs, the policy (numbers of the Measures), yearly cycles and the work calendar."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from accounts.models import Organization


class AwardProgram(models.Model):
    """A quality award run by one government, e.g. 如皋市市长质量奖."""

    slug = models.SlugField("代码", unique=True)
    name = models.CharField("奖项名称", max_length=100)
    government = models.CharField("设奖政府", max_length=100)
    committee_name = models.CharField("委员会", max_length=100)
    office_name = models.CharField("委员会办公室", max_length=200)
    division_code = models.CharField(
        "行政区划代码", max_length=6, help_text="登记注册地须在此行政区域内（如皋市 320682）"
    )
    # The program of the unprefixed public URLs and of whatever acts without naming a program
    # (a command, the tests): one row at most (decision 0030).
    is_default = models.BooleanField("默认奖项", default=False)

    class Meta:
        verbose_name = "奖项"
        verbose_name_plural = "奖项"
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_program",
                violation_error_message="只能有一个默认奖项。",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Seal(models.Model):
    """The office's 电子印章 (issue 16): a PNG with transparency that every certificate printed
    from now on carries over the issuer and the date. One per program; no row, no seal printed
    (never a drawn imitation). Its own table, so that the program, read on every page, does not
    carry the image; each upload and removal is audited with the image's digest."""

    program = models.OneToOneField(AwardProgram, on_delete=models.PROTECT, related_name="seal")
    image = models.BinaryField("印章图片（PNG）")
    width = models.PositiveIntegerField("宽（像素）")
    height = models.PositiveIntegerField("高（像素）")
    sha256 = models.CharField("图片摘要（SHA-256）", max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="上传人"
    )
    uploaded_at = models.DateTimeField("上传时间")

    class Meta:
        verbose_name = "电子印章"
        verbose_name_plural = "电子印章"

    def __str__(self) -> str:
        return f"{self.program}电子印章"

    @property
    def tenant_program_id(self) -> int:
        """The program this row belongs to (lib.tenancy.program_id_of)."""
        return int(self.program_id)


class Policy(models.Model):
    """Every number of the Measures, versioned by document and effective date.

    A revision of the Measures is a new row; a cycle keeps the policy it was opened under.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    program = models.ForeignKey(AwardProgram, on_delete=models.PROTECT, related_name="policies")
    title = models.CharField("文件名称", max_length=200)
    document_number = models.CharField("文号", max_length=100)
    effective_on = models.DateField("施行日期")

    # A5.2 quotas
    quota_organization_award = models.PositiveSmallIntegerField("组织市长质量奖名额", default=2)
    quota_organization_nomination = models.PositiveSmallIntegerField("提名奖名额", default=2)
    quota_individual_award = models.PositiveSmallIntegerField("个人市长质量奖名额", default=1)
    # A10.1-A10.3 scores
    total_points = models.PositiveSmallIntegerField("评审总分", default=1000)
    # Weights in whole percent (integers: exact on every database, unlike decimals in SQLite).
    weight_material_organization = models.PositiveSmallIntegerField(
        "组织类材料评审权重（%）", default=30
    )
    weight_site_organization = models.PositiveSmallIntegerField(
        "组织类现场评审权重（%）", default=70
    )
    weight_material_individual = models.PositiveSmallIntegerField(
        "个人类材料评审权重（%）", default=100
    )
    # Consensus (A17.1): items whose experts differ by more than this many percentage points are
    # flagged for the group's discussion.
    consensus_spread_points = models.PositiveSmallIntegerField(
        "评分分歧提示阈值（百分点）", default=30, validators=[MaxValueValidator(100)]
    )
    # Optional minimum final scores for a level (A19.1: the committee may set a line); empty
    # means no line.
    min_score_award = models.PositiveSmallIntegerField("市长质量奖最低分", null=True, blank=True)
    min_score_nomination = models.PositiveSmallIntegerField("提名奖最低分", null=True, blank=True)
    # A21.1 bonuses (yuan)
    bonus_organization_award = models.PositiveIntegerField("市长质量奖奖金（元）", default=200000)
    bonus_organization_nomination = models.PositiveIntegerField("提名奖奖金（元）", default=100000)
    bonus_individual_award = models.PositiveIntegerField("个人奖金（元）", default=0)
    # A20.1 notice
    notice_working_days = models.PositiveSmallIntegerField("公示期（工作日）", default=5)
    # A12, A13, A23, A24, A29
    min_operation_years = models.PositiveSmallIntegerField("合法经营年限", default=5)
    min_gbt19580_years = models.PositiveSmallIntegerField("推行卓越绩效年限", default=2)
    lookback_years = models.PositiveSmallIntegerField("近年考察期（年）", default=3)
    # A13.3: a builder with more than this many ordinary production-safety accidents in the
    # look-back may not apply ("超过2起生产安全一般事故").
    max_construction_general_accidents = models.PositiveSmallIntegerField(
        "建筑企业生产安全一般事故上限（起）", default=2
    )
    reapply_gap_years = models.PositiveSmallIntegerField("获奖后重新申报间隔（年）", default=3)
    report_deadline_days = models.PositiveSmallIntegerField("违规报告时限（日）", default=30)
    # A23.1: a winner reports violations "获奖后3年内".
    report_duty_years = models.PositiveSmallIntegerField("获奖后报告义务期（年）", default=3)
    fraud_ban_years = models.PositiveSmallIntegerField("弄虚作假禁止申报（年）", default=3)
    # A29.1 names no period for the published credit entry; the 2021 practice publishes it as
    # long as the ban runs (3 years).
    credit_list_years = models.PositiveSmallIntegerField("信用管理公布期（年）", default=3)
    # 个人信息保护法 第十九条/第四十七条: personal data is kept no longer than its purpose needs.
    # The Measures name no period; the Office keeps an applicant's who won nothing this many
    # years after the cycle closed (the reapplication gap and the lookback stay answerable), then
    # `manage.py purge_personal_data` erases it. Winners' data is never purged (A23.1, A29.1).
    personal_data_retention_years = models.PositiveSmallIntegerField(
        "未获奖申报人个人信息保存期限（年）", default=3
    )
    # A24.1 makes winners of the 市长质量奖 wait; off (the Measures as written) a 提名奖 winner
    # may apply the next year, on (a stricter local practice) it waits as long.
    nomination_waits = models.BooleanField("提名奖获奖组织同样须满重新申报间隔", default=False)
    min_environmental_rating = models.CharField(
        "工业企业最低环保信用等级",
        max_length=8,
        choices=Organization.EnvironmentalRating.choices,
        default=Organization.EnvironmentalRating.BLUE,
    )
    # A8.1 practice years of experts; A14.1 years of quality work of individuals
    min_expert_practice_years = models.PositiveSmallIntegerField("专家实践年限", default=5)
    # A17.1 review groups: experts per application (the Office's practice; not in the Measures).
    expert_group_size = models.PositiveSmallIntegerField("专家组人数", default=5)
    min_individual_work_years = models.PositiveSmallIntegerField("个人从事质量工作年限", default=5)
    # Issue 18, from the program's pack (programs/packs.py): the engine behaviours the Measures
    # need, by name (`packs.RULES`), and the rubric of each kind as checked data (A9.1), which
    # `review.services.ensure_rubric` copies into a cycle. Empty (a policy entered before packs):
    # the rubrics of data/gbt19580.yaml.
    rules = models.JSONField("适用规则", default=list, blank=True)
    rubrics = models.JSONField("评价准则", default=dict, blank=True)

    class Meta:
        ordering = ["program", "-effective_on"]
        verbose_name = "管理办法（政策）"
        verbose_name_plural = "管理办法（政策）"
        constraints = [
            models.UniqueConstraint(
                fields=["program", "document_number"], name="policy_document_unique"
            ),
            models.CheckConstraint(
                name="policy_organization_weights_sum_to_one",
                condition=Q(weight_material_organization=100 - F("weight_site_organization")),
            ),
            models.CheckConstraint(
                name="policy_individual_weight_is_whole",
                condition=Q(weight_material_individual=100),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title}（{self.document_number}，{self.effective_on:%Y-%m-%d}施行）"

    @property
    def tenant_program_id(self) -> int:
        """The program this row belongs to (lib.tenancy.program_id_of)."""
        return int(self.program_id)


class Stage(models.TextChoices):
    """The stages of article 11, in their order (A11.1)."""

    APPLICATION = "application", "申报推荐"
    QUALIFICATION = "qualification", "资格审查"
    MATERIAL_REVIEW = "material_review", "材料评审"
    SITE_REVIEW = "site_review", "现场评审"
    EVALUATION = "evaluation", "综合评价"
    COMMITTEE_REVIEW = "committee_review", "审定"
    NOTICE = "notice", "公示"
    APPROVAL = "approval", "批准"

    @classmethod
    def ordered(cls) -> list[Stage]:
        return list(cls)


class Cycle(models.Model):
    """One year's evaluation (年度, A5.1): one per program and year."""

    class Status(models.TextChoices):
        DRAFT = "draft", "筹备中"
        PUBLISHED = "published", "已发布申报通知"
        CLOSED = "closed", "已结束"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    program = models.ForeignKey(AwardProgram, on_delete=models.PROTECT, related_name="cycles")
    year = models.PositiveSmallIntegerField(
        "年度", validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    policy = models.ForeignKey(Policy, verbose_name="适用办法", on_delete=models.PROTECT)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.DRAFT)
    work_plan = models.TextField("工作安排", blank=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)

    class Meta:
        ordering = ["program", "-year"]
        verbose_name = "年度"
        verbose_name_plural = "年度"
        constraints = [
            models.UniqueConstraint(fields=["program", "year"], name="cycle_one_per_program_year")
        ]

    def __str__(self) -> str:
        return f"{self.program.name}（{self.year}年度）"

    @property
    def tenant_program_id(self) -> int:
        """The program this row belongs to (lib.tenancy.program_id_of)."""
        return int(self.program_id)


class CycleStage(models.Model):
    """The dates of one stage of article 11 in one cycle (both days inclusive)."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="stages")
    stage = models.CharField("阶段", max_length=20, choices=Stage.choices)
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")

    class Meta:
        verbose_name = "年度阶段"
        verbose_name_plural = "年度阶段"
        constraints = [
            models.UniqueConstraint(fields=["cycle", "stage"], name="cycle_stage_unique"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="cycle_stage_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{Stage(self.stage).label} {self.starts_on}—{self.ends_on}"

    @property
    def order(self) -> int:
        return Stage.ordered().index(Stage(self.stage))


class Announcement(models.Model):
    """A public announcement: a cycle's call (A15.1), later notices and results."""

    class Kind(models.TextChoices):
        CALL = "call", "申报通知"
        NOTICE = "notice", "公示"
        RESULT = "result", "公告"
        GENERAL = "general", "通知"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    program = models.ForeignKey(
        AwardProgram, on_delete=models.PROTECT, related_name="announcements"
    )
    cycle = models.ForeignKey(
        Cycle, null=True, blank=True, on_delete=models.PROTECT, related_name="announcements"
    )
    kind = models.CharField("类别", max_length=16, choices=Kind.choices)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("正文")
    published_at = models.DateTimeField("发布时间")
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-published_at"]
        verbose_name = "公告"
        verbose_name_plural = "公告"
        constraints = [
            # Publishing a call twice (double click) must not make two announcements.
            models.UniqueConstraint(
                fields=["cycle"], condition=Q(kind="call"), name="announcement_one_call_per_cycle"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def tenant_program_id(self) -> int:
        """The program this row belongs to (lib.tenancy.program_id_of)."""
        return int(self.program_id)


class HolidayArrangement(models.Model):
    """A year's official holiday arrangement, entered by the Office from the State Council notice.

    Once entered, it is authoritative for that year (see lib.workdays.WorkCalendar).
    """

    year = models.PositiveSmallIntegerField(
        "年份", unique=True, validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    notice_ref = models.CharField("依据（国务院办公厅通知）", max_length=200)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField("录入时间")

    class Meta:
        ordering = ["-year"]
        verbose_name = "节假日安排"
        verbose_name_plural = "节假日安排"

    def __str__(self) -> str:
        return f"{self.year}年节假日安排（{self.notice_ref}）"


class HolidayDay(models.Model):
    arrangement = models.ForeignKey(
        HolidayArrangement, on_delete=models.CASCADE, related_name="days"
    )
    day = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("调休上班")
    name = models.CharField("名称", max_length=50, blank=True)

    class Meta:
        ordering = ["day"]
        verbose_name = "节假日安排日期"
        verbose_name_plural = "节假日安排日期"

    def __str__(self) -> str:
        return f"{self.day} {'上班' if self.is_workday else '放假'} {self.name}"
