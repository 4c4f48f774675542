"""材料评审, 现场评审 and 综合评价 (A9.1, A10, A17.1, A18.1, A27.1, A28.1): the cycle's rubrics,
the experts' scorecards, the groups' consensus, site visits, two-way feedback and the final
evaluation. The arithmetic lives in `lib/scoring.py`; the actions in `review/services.py`."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from experts.models import Assignment, ReviewGroup
from intake.models import Application, Kind
from programs.models import Cycle, Stage

REVIEW_STAGES = (Stage.MATERIAL_REVIEW, Stage.SITE_REVIEW)
STAGE_CHOICES = [(s.value, s.label) for s in REVIEW_STAGES]
PERCENTS = list(range(0, 101, 5))  # a percentage is a multiple of 5 (GB/Z 19579)
# An application's form and its draft copies (large JSON), and an individual applicant's
# encrypted identity number (a decryption per row): what no review list shows, left out of their
# queries (`.defer`, with the applicant joined), issue 17.
APPLICATION_FORM_FIELDS = ("data", "draft_typed", "draft_errors", "individual__id_number")


class Rubric(models.Model):
    """A cycle's rubric for one kind of applicant (A9.1), copied from `data/gbt19580.yaml` when
    the cycle first needs it, editable by the Office until review starts. Each edit bumps
    `version`; scorecards point at the rubric and so at the items they were scored on."""

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="rubrics")
    applies_to = models.CharField("适用", max_length=16, choices=Kind.choices)
    key = models.CharField("准则代码", max_length=50)
    name = models.CharField("名称", max_length=100)
    total_points = models.PositiveSmallIntegerField("总分")
    # [{"code", "name", "points"}] in order: the categories of the radar chart.
    categories = models.JSONField("类目", default=list)
    version = models.PositiveSmallIntegerField("版本", default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "评价准则"
        verbose_name_plural = "评价准则"
        constraints = [
            models.UniqueConstraint(fields=["cycle", "applies_to"], name="rubric_per_cycle_kind")
        ]

    def __str__(self) -> str:
        return f"{self.cycle.year}年度 {self.name}"


class RubricItem(models.Model):
    """One scored item (评分条款) with its points and type (process: A-D-L-I; result: Le-T-C-I)."""

    class Type(models.TextChoices):
        PROCESS = "process", "过程"
        RESULT = "result", "结果"

    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    code = models.CharField("条款", max_length=16)
    category = models.CharField("类目", max_length=16)
    name = models.CharField("名称", max_length=100)
    points = models.PositiveSmallIntegerField("分值", validators=[MinValueValidator(1)])
    type = models.CharField("类型", max_length=8, choices=Type.choices)

    class Meta:
        ordering = ["rubric", "position"]
        verbose_name = "评分条款"
        verbose_name_plural = "评分条款"
        constraints = [
            models.UniqueConstraint(fields=["rubric", "code"], name="rubric_item_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}（{self.points}分）"


class ReviewPhase(models.Model):
    """A review stage of a cycle as data (A17.1): whether its scorecards are open and whether an
    expert who has submitted may see the other members' scores. Its `state` moves only through
    `review.workflow.PHASE` (not opened -> open <-> closed); the deadline is the stage's last day
    in the cycle's calendar. A stage never opened may have no row at all."""

    class State(models.TextChoices):
        NOT_OPENED = "not_opened", "尚未开放评分"
        OPEN = "open", "评分进行中"
        CLOSED = "closed", "评分已关闭"

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="review_phases")
    stage = models.CharField("阶段", max_length=20, choices=STAGE_CHOICES)
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.NOT_OPENED)
    others_visible = models.BooleanField("提交后可见组内他人评分", default=True)
    opened_at = models.DateTimeField(null=True, blank=True)  # first opened (fixes the rubrics)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "评审阶段"
        verbose_name_plural = "评审阶段"
        constraints = [
            models.UniqueConstraint(fields=["cycle", "stage"], name="review_phase_unique"),
            # Once opened, a phase keeps when it first opened (review_started reads it).
            models.CheckConstraint(
                name="review_phase_opened_at",
                condition=Q(state="not_opened") | Q(opened_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cycle.year}年度{Stage(self.stage).label}"


class Scorecard(models.Model):
    """One expert's scores of one application at one stage: a percentage per item, with
    strengths and opportunities for improvement. Drafts save with optimistic concurrency
    (`revision`); a submitted card is locked until the group leader reopens it."""

    class State(models.TextChoices):
        DRAFT = "draft", "填写中"
        SUBMITTED = "submitted", "已提交"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    assignment = models.OneToOneField(
        Assignment, on_delete=models.PROTECT, related_name="scorecard"
    )
    rubric = models.ForeignKey(Rubric, on_delete=models.PROTECT, related_name="+")
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.DRAFT)
    revision = models.PositiveIntegerField("修订号", default=0)
    summary = models.TextField("总体评价", blank=True)
    saved_at = models.DateTimeField("最后保存", null=True, blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    # Why the leader last returned it (kept after resubmission, for the record).
    returned_reason = models.TextField("退回理由", blank=True)
    returned_at = models.DateTimeField("退回时间", null=True, blank=True)

    class Meta:
        verbose_name = "评分表"
        verbose_name_plural = "评分表"

    def __str__(self) -> str:
        return f"{self.assignment.expert} · {self.assignment.group}"


class ItemScore(models.Model):
    """One item of a scorecard; `percent` is empty until scored."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="scores")
    item = models.ForeignKey(RubricItem, on_delete=models.PROTECT, related_name="+")
    percent = models.PositiveSmallIntegerField(
        "得分比例（%）", null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    strengths = models.TextField("优势", blank=True)
    opportunities = models.TextField("改进机会", blank=True)

    class Meta:
        ordering = ["scorecard", "item__position"]
        verbose_name = "条款评分"
        verbose_name_plural = "条款评分"
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "item"], name="item_score_unique"),
            models.CheckConstraint(
                name="item_score_percent_step",
                condition=Q(percent__isnull=True) | Q(percent__in=PERCENTS),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scorecard} {self.item_id}: {self.percent}"


class Consensus(models.Model):
    """The group's agreed scores for one application at one stage, recorded by the leader after
    discussion. `final` once the leader confirms it; the stage score is the sum of its items.
    Each save advances `revision` (a save naming an older one is refused as stale)."""

    group = models.OneToOneField(ReviewGroup, on_delete=models.PROTECT, related_name="consensus")
    comment = models.TextField("综合意见", blank=True)
    final = models.BooleanField("已确认", default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("记录时间")
    score = models.DecimalField("阶段得分", max_digits=7, decimal_places=2, null=True, blank=True)
    # Optimistic concurrency, as on the scorecard: each save names the revision its page showed.
    revision = models.PositiveIntegerField("修订号", default=0)

    class Meta:
        verbose_name = "专家组共识"
        verbose_name_plural = "专家组共识"

    def __str__(self) -> str:
        return f"{self.group}共识"


class ConsensusItem(models.Model):
    consensus = models.ForeignKey(Consensus, on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey(RubricItem, on_delete=models.PROTECT, related_name="+")
    percent = models.PositiveSmallIntegerField("共识比例（%）", validators=[MaxValueValidator(100)])
    strengths = models.TextField("优势", blank=True)
    opportunities = models.TextField("改进机会", blank=True)

    class Meta:
        ordering = ["consensus", "item__position"]
        verbose_name = "条款共识"
        verbose_name_plural = "条款共识"
        constraints = [
            models.UniqueConstraint(fields=["consensus", "item"], name="consensus_item_unique"),
            models.CheckConstraint(
                name="consensus_item_percent_step", condition=Q(percent__in=PERCENTS)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.consensus} {self.item_id}: {self.percent}"


class SiteVisit(models.Model):
    """The on-site review of an organization (A17.1): the schedule the Office sets and the
    record the group leader keeps; the supervisor files a report on the visit (A27.1)."""

    group = models.OneToOneField(ReviewGroup, on_delete=models.PROTECT, related_name="site_visit")
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    place = models.CharField("地点", max_length=200)
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    items_verified = models.TextField("核实的条款", blank=True)
    interviews = models.TextField("访谈情况", blank=True)
    evidence_seen = models.TextField("查阅的证据", blank=True)
    issues_found = models.TextField("发现的问题", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)
    # The supervisor's report (评审监督员, A27.1).
    group_conduct = models.TextField("专家组工作纪律情况", blank=True)
    applicant_conduct = models.TextField("申报单位配合及廉洁情况", blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "现场评审"
        verbose_name_plural = "现场评审"
        constraints = [
            models.CheckConstraint(
                name="site_visit_ends_after_start", condition=Q(ends_on__gte=models.F("starts_on"))
            )
        ]

    def __str__(self) -> str:
        return f"{self.group.application}现场评审"


class Feedback(models.Model):
    """Two-way feedback after the site visit (A28.1): the organization rates the group's work
    quality and integrity; the group rates the organization's discipline. Only the Office and
    supervisors read it."""

    class Direction(models.TextChoices):
        OF_GROUP = "of_group", "申报单位评价专家组"
        OF_APPLICANT = "of_applicant", "专家组评价申报单位"

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="feedback")
    direction = models.CharField("方向", max_length=16, choices=Direction.choices)
    work_quality = models.PositiveSmallIntegerField(
        "工作质量", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    integrity = models.PositiveSmallIntegerField(
        "廉洁自律", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    discipline = models.PositiveSmallIntegerField(
        "遵守纪律", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comments = models.TextField("意见", blank=True)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    given_at = models.DateTimeField()

    class Meta:
        verbose_name = "双向评价"
        verbose_name_plural = "双向评价"
        constraints = [
            models.UniqueConstraint(
                fields=["application", "direction"], name="feedback_once_per_direction"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application} {self.get_direction_display()}"


class Evaluation(models.Model):
    """The comprehensive evaluation of one application (A10.2, A10.3, A18.1): stage scores, the
    weighted final score (lib/scoring.py's rounding rule), its rank within its kind, and
    whether it ties with another."""

    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="evaluation"
    )
    material_score = models.DecimalField("材料评审得分", max_digits=7, decimal_places=2)
    site_score = models.DecimalField(
        "现场评审得分", max_digits=7, decimal_places=2, null=True, blank=True
    )
    material_weight = models.PositiveSmallIntegerField("材料评审权重（%）")
    site_weight = models.PositiveSmallIntegerField("现场评审权重（%）", default=0)
    final_score = models.DecimalField("综合得分", max_digits=7, decimal_places=2)
    rank = models.PositiveSmallIntegerField("排名")
    tied = models.BooleanField("并列", default=False)
    # {category code: percent of its points}, for the radar chart.
    category_percents = models.JSONField("各类目得分率", default=dict)
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    evaluated_at = models.DateTimeField()

    class Meta:
        ordering = ["application__kind", "rank"]
        verbose_name = "综合评价"
        verbose_name_plural = "综合评价"
        # The ranking page's order within a kind: a page is read along it (50 index entries
        # and their applications), not by sorting the cycle's 2,000 joined rows (issue 17).
        indexes = [models.Index(fields=["rank", "application"], name="evaluation_rank_idx")]

    def __str__(self) -> str:
        return f"{self.application} {self.final_score}"


class ScoringReminder(models.Model):
    """A deadline reminder sent to an expert about one card not yet submitted (`manage.py
    remind_experts`): one row per assignment and deadline, so the command sends each reminder
    once however often it runs; a deadline the Office moves gets its own reminder."""

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="+")
    deadline = models.DateField("评分截止日")
    sent_at = models.DateTimeField("发送时间")

    class Meta:
        verbose_name = "评分截止提醒"
        verbose_name_plural = "评分截止提醒"
        constraints = [
            models.UniqueConstraint(fields=["assignment", "deadline"], name="scoring_reminder_once")
        ]

    def __str__(self) -> str:
        return f"{self.assignment} {self.deadline}"


class CycleAnalytics(models.Model):
    """The rater analytics of a cycle (review/analytics.py), computed once by the task
    `review.tasks.refresh_analytics` and read by the ranking and the supervisors' expert page
    (issue 17: recomputed from every item score on each view they took seconds at 2,000
    evaluated applications). The services that change their inputs (a card submitted or
    returned, a consensus confirmed, the evaluation) advance `version` in their transaction and
    queue the task once it commits; the figures are stale while `computed_version` is behind
    (numbers, not times: two changes in one clock tick still count). `source` says what they
    were computed from (submitted cards and confirmed consensus: count and latest time)."""

    cycle = models.OneToOneField(Cycle, on_delete=models.CASCADE, related_name="analytics")
    version = models.PositiveIntegerField("数据版本", default=1)
    computed_version = models.PositiveIntegerField("已统计版本", default=0)
    computed_at = models.DateTimeField("统计时间", null=True, blank=True)
    # The version last queued for recomputation, and when (a task lost long ago is queued again).
    queued_version = models.PositiveIntegerField("已排队版本", default=0)
    queued_at = models.DateTimeField("排队时间", null=True, blank=True)
    # [{expert_id, name, cards, items, deviation, agreement}], by name.
    raters = models.JSONField("专家评分偏差", default=list)
    # [{application_id, name, kind, stage, cards, spread}], by application and stage: every row,
    # read only when the page asks for all of them (decoding 4,000 rows cost the ranking page
    # ~30 ms a view, issue 17 part R).
    dispersion = models.JSONField("评分离散度", default=list)
    # What the ranking page shows by default, cut from `dispersion` when computed: how many rows
    # it has, the rows whose spread exceeds `spread_threshold` (the policy's discussion
    # threshold then; a page whose policy says otherwise cuts `dispersion` itself), and the
    # `analytics.CHART_ROWS` widest spreads for the chart, both by application and stage.
    dispersion_count = models.PositiveIntegerField("离散度条目数", default=0)
    spread_threshold = models.PositiveSmallIntegerField("讨论标准（百分点）", null=True, blank=True)
    flagged = models.JSONField("超过讨论标准的离散度", default=list)
    widest = models.JSONField("离散度最大的条目", default=list)
    source = models.JSONField("统计依据", default=dict)

    class Meta:
        verbose_name = "评分分析"
        verbose_name_plural = "评分分析"

    def __str__(self) -> str:
        return f"{self.cycle}评分分析"

    @property
    def stale(self) -> bool:
        return self.computed_at is None or self.computed_version < self.version
