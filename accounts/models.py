"""People, their scoped roles, organizations and recommending units."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from lib import uscc
from lib.fields import BlindIndexField, EncryptedTextField


class Role(models.TextChoices):
    APPLICANT = "applicant", "申报组织联系人"
    INDIVIDUAL = "individual", "个人申报人"
    RECOMMENDER = "recommender", "推荐单位审核人"
    OFFICE = "office", "委员会办公室"
    EXPERT = "expert", "评审专家"
    SUPERVISOR = "supervisor", "评审监督员"
    COMMITTEE = "committee", "质量发展委员会委员"
    SYSADMIN = "sysadmin", "系统管理员"
    SECADMIN = "secadmin", "安全管理员"
    AUDITADMIN = "auditadmin", "审计管理员"
    PROVINCE = "province", "省级管理员"


# 等级保护 三员分立: no account may hold two of these.
ADMIN_ROLES = (Role.SYSADMIN, Role.SECADMIN, Role.AUDITADMIN)
# Staff: every role that works for the award rather than applying to it. Two factors, password
# expiry and the shorter lifecycle rules of issue 15 apply to whoever holds one of these.
STAFF_ROLES = tuple(r for r in Role if r not in (Role.APPLICANT, Role.INDIVIDUAL))
# Roles held in one award program (decision 0030): the Office, the supervisors and the committee
# of a program, and the provincial administrator (whose program is the province's). A
# recommending unit's reviewer is in the unit's program; applicants, experts (a shared pool)
# and the three administrators are the deployment's.
PROGRAM_ROLES = (Role.OFFICE, Role.SUPERVISOR, Role.COMMITTEE, Role.PROVINCE)


class User(AbstractUser):
    full_name = models.CharField("姓名", max_length=100, blank=True)
    # SM4-encrypted at rest (lib/fields.py; issue 15 part 5): never searched, so no blind index
    # (a password reset finds the account by its username).
    email = EncryptedTextField("电子邮箱", max_length=254, blank=True, kind="email")
    phone = EncryptedTextField("手机号码", max_length=20, blank=True, kind="phone")
    # Set when an administrator creates the account (its first password is not the owner's
    # secret): the owner changes it before any other page or API call (accounts.password_gate).
    must_change_password = models.BooleanField("须修改密码", default=False)
    # When the password was last set (expiry of staff passwords, issue 15 part 2); None: before
    # the field existed (the account's `date_joined` stands in).
    password_changed_at = models.DateTimeField("密码设置时间", null=True, blank=True)
    # 个人信息保护法 第十三、十四条: the privacy notice version the person agreed to, and when.
    privacy_notice_version = models.CharField("同意的隐私声明版本", max_length=20, blank=True)
    privacy_consent_at = models.DateTimeField("同意隐私声明时间", null=True, blank=True)
    # Set when the owner proved the address by a one-time code; only a verified address
    # receives a password-reset code.
    email_verified_at = models.DateTimeField("邮箱验证时间", null=True, blank=True)
    phone_verified_at = models.DateTimeField("手机验证时间", null=True, blank=True)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        constraints = [
            # A Django superuser passes every permission check, defeating 三员分立 and the
            # scoped roles: administrators hold roles like everyone else.
            models.CheckConstraint(condition=Q(is_superuser=False), name="user_no_superuser")
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any) -> User:
        user = super().from_db(db, field_names, values)
        # The addresses as loaded: a change of either clears its verification (User.save).
        user._qa_loaded_contact = user._contact_state()
        return user

    def _contact_state(self) -> dict[str, Any]:
        names = ("email", "phone", "email_verified_at", "phone_verified_at")
        return {name: self.__dict__.get(name) for name in names}

    def _unverify_changed_contact(self, update_fields: Any) -> list[str]:
        """Clear `email_verified_at` / `phone_verified_at` when the address changed since the
        row was loaded (the profile, the admin, a service: one home), unless the same save also
        stamps it (a verification of the new address). Returns the fields cleared, for
        `update_fields`."""
        loaded = getattr(self, "_qa_loaded_contact", None)
        if self.pk is None or loaded is None:
            return []
        cleared = []
        for name, stamp in (("email", "email_verified_at"), ("phone", "phone_verified_at")):
            if update_fields is not None and name not in update_fields:
                continue
            moved = name in self.__dict__ and self.__dict__[name] != loaded[name]
            if moved and getattr(self, stamp) and self.__dict__.get(stamp) == loaded[stamp]:
                setattr(self, stamp, None)
                cleared.append(stamp)
        return cleared

    def save(self, *args: Any, **kwargs: Any) -> None:
        """The one home of what follows a save of an account:

        - a changed email or phone loses its verification (`_unverify_changed_contact`);
        - a password set (a new account with a usable password, or a changed one by any path:
          the change page, a reset, the API, the shell, a test) stamps `password_changed_at`
          (staff expiry, accounts.password_gate) and joins `PasswordHistory` (no reuse of the
          last settings.PASSWORD_HISTORY, accounts.passwords), older entries pruned;
        - a changed password of an existing account writes `accounts.password.change` in the
          same transaction: who changed it (the signed-in caller of the request being served,
          or the system), never the hash. A hash upgraded at sign-in is not a change (Django
          clears `_password` first)."""
        from django.db import transaction
        from django.utils import timezone

        update_fields = kwargs.get("update_fields")
        extra = self._unverify_changed_contact(update_fields)
        password_set = getattr(self, "_password", None) is not None and self.has_usable_password()
        if password_set:
            self.password_changed_at = timezone.now()
            extra.append("password_changed_at")
        if update_fields is not None and extra:
            kwargs["update_fields"] = {*update_fields, *extra}
        changed = self.pk is not None and getattr(self, "_password", None) is not None
        if not (password_set or changed):
            super().save(*args, **kwargs)
        else:
            with transaction.atomic():
                super().save(*args, **kwargs)
                if password_set:
                    self._remember_password()
                if changed:
                    self._record_password_change()
        self._qa_loaded_contact = self._contact_state()

    def _remember_password(self) -> None:
        from django.conf import settings

        PasswordHistory.objects.create(user=self, password=self.password)
        keep = max(1, int(getattr(settings, "PASSWORD_HISTORY", 5)))
        old = PasswordHistory.objects.filter(user=self).values_list("pk", flat=True)[keep:]
        PasswordHistory.objects.filter(pk__in=list(old)).delete()

    def _record_password_change(self) -> None:
        from audit import context
        from audit.services import record

        current = context.current()
        caller = getattr(self, "_qa_changed_by", None) or (
            getattr(current.request, "user", None) if current else None
        )
        actor = caller if caller is not None and caller.is_authenticated else None
        own = actor is not None and actor.pk == self.pk
        record(
            actor=actor,
            role="self" if own else ("system" if actor is None else "other"),
            action="accounts.password.change",
            obj=self,
            after={"own": own, "must_change_password": self.must_change_password},
        )


class RecommendingUnit(models.Model):
    """A unit of article 7 that reviews and recommends applicants of its jurisdiction."""

    class Kind(models.TextChoices):
        SUBDISTRICT = "subdistrict", "街道"
        TOWN = "town", "镇"
        DISTRICT = "district", "区"
        DEPARTMENT = "department", "市有关主管部门"
        ASSOCIATION = "association", "行业商会（协会）"

    # The award program whose Office lists the unit (article 7 is each Measures' own); by
    # string, so accounts imports nothing of programs (decision 0030).
    program = models.ForeignKey(
        "programs.AwardProgram",
        verbose_name="奖项",
        on_delete=models.PROTECT,
        related_name="recommending_units",
    )
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类别", max_length=16, choices=Kind.choices)
    also_known_as = models.CharField("合署名称", max_length=100, blank=True)
    active = models.BooleanField("启用", default=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = "推荐单位"
        verbose_name_plural = "推荐单位"
        constraints = [
            models.UniqueConstraint(
                fields=["program", "name"],
                name="unit_name_unique_in_program",
                violation_error_message="本奖项已有同名推荐单位。",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.also_known_as}）" if self.also_known_as else self.name

    @property
    def tenant_program_id(self) -> int:
        return int(self.program_id)

    @property
    def is_territorial(self) -> bool:
        return self.kind in {self.Kind.SUBDISTRICT, self.Kind.TOWN, self.Kind.DISTRICT}


def validate_uscc(value: str) -> None:
    from django.core.exceptions import ValidationError

    try:
        uscc.validate(value)
    except uscc.InvalidUSCC as exc:
        raise ValidationError(str(exc), code="invalid_uscc") from exc


class Organization(models.Model):
    """An organization that applies (A12): identified by its 统一社会信用代码."""

    class EnvironmentalRating(models.TextChoices):
        # Ordered best to worst; A12.5 compares against the policy's minimum.
        GREEN = "green", "绿色"
        BLUE = "blue", "蓝色"
        YELLOW = "yellow", "黄色"
        RED = "red", "红色"
        BLACK = "black", "黑色"
        NONE = "none", "未评价"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    uscc = models.CharField(
        "统一社会信用代码", max_length=18, unique=True, validators=[validate_uscc]
    )
    name = models.CharField("组织名称", max_length=200)
    registered_address = models.CharField("注册地址", max_length=300, blank=True)
    recommending_unit = models.ForeignKey(
        RecommendingUnit,
        verbose_name="所在镇（区、街道）",
        on_delete=models.PROTECT,
        related_name="organizations",
    )
    industry_code = models.CharField("行业（GB/T 4754-2017）", max_length=4, blank=True)
    established_on = models.DateField("成立日期", null=True, blank=True)
    legal_representative = models.CharField("法定代表人", max_length=100, blank=True)
    is_construction = models.BooleanField("建筑企业", default=False)
    is_industrial = models.BooleanField("工业企业", default=False)
    environmental_rating = models.CharField(
        "环保信用等级",
        max_length=8,
        choices=EnvironmentalRating.choices,
        default=EnvironmentalRating.NONE,
    )
    chief_quality_officer = models.CharField("首席质量官", max_length=100, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "组织"
        verbose_name_plural = "组织"

    def __str__(self) -> str:
        return self.name


class Individual(models.Model):
    """A person who applies for the individual award (A5.3, A14.1)."""

    class Position(models.TextChoices):
        ENTREPRENEUR = "entrepreneur", "企业家"
        CHIEF_QUALITY_OFFICER = "cqo", "首席质量官"
        OTHER = "other", "其他在质量方面做出突出贡献的个人"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="individual")
    name = models.CharField("姓名", max_length=50)
    # Shown masked everywhere but to Office staff allowed to see it; each unmasked view audited.
    # SM4-encrypted at rest; unique and found through its blind index
    # (`selectors.individual_by_id_number`).
    id_number = EncryptedTextField("身份证号码", max_length=18, kind="id_number")
    id_number_index = BlindIndexField(source="id_number", kind="id_number", unique=True)
    employer = models.ForeignKey(
        Organization, verbose_name="所在组织", null=True, blank=True, on_delete=models.PROTECT
    )
    employer_name = models.CharField("所在组织名称", max_length=200)
    recommending_unit = models.ForeignKey(
        RecommendingUnit, verbose_name="推荐单位", on_delete=models.PROTECT, related_name="+"
    )
    position = models.CharField("身份", max_length=16, choices=Position.choices)
    quality_work_years = models.PositiveSmallIntegerField("在本市从事质量工作年限")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "个人申报人"
        verbose_name_plural = "个人申报人"

    def __str__(self) -> str:
        return self.name


class Notification(models.Model):
    """One message in a user's inbox; the same text goes out by email."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    subject = models.CharField("标题", max_length=200)
    body = models.TextField("内容")
    url = models.CharField("链接", max_length=300, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "站内消息"
        verbose_name_plural = "站内消息"
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return self.subject


class RoleAssignment(models.Model):
    """One role of one user, with its scope (a unit for reviewers, an organization for contacts)."""

    user = models.ForeignKey(
        User, verbose_name="用户", on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField("角色", max_length=16, choices=Role.choices)
    recommending_unit = models.ForeignKey(
        RecommendingUnit, verbose_name="推荐单位", null=True, blank=True, on_delete=models.PROTECT
    )
    organization = models.ForeignKey(
        Organization, verbose_name="组织", null=True, blank=True, on_delete=models.PROTECT
    )
    # The program a PROGRAM_ROLES role is held in (decision 0030); None for the others (a
    # reviewer's program is its unit's: one home, no copy).
    program = models.ForeignKey(
        "programs.AwardProgram",
        verbose_name="奖项",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    granted_at = models.DateTimeField("授予时间", auto_now_add=True)
    # None: the system (seed data, self-registration, a migration).
    granted_by = models.ForeignKey(
        User,
        verbose_name="授予人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "角色授予"
        verbose_name_plural = "角色授予"
        constraints = [
            # 三员分立: nobody grants a role to themselves (accounts.services.grant_role says so
            # in Chinese first).
            models.CheckConstraint(
                condition=Q(granted_by__isnull=True) | ~Q(granted_by=models.F("user")),
                name="role_not_self_granted",
                violation_error_message="不得为自己授予角色。",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(role__in=[r.value for r in ADMIN_ROLES]),
                name="one_admin_role_per_user",
                violation_error_message="系统管理员、安全管理员、审计管理员三者不得由同一人兼任。",
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(
                    recommending_unit__isnull=True, organization__isnull=True, program__isnull=True
                ),
                name="role_unscoped_unique",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "program"],
                condition=Q(program__isnull=False),
                name="role_program_unique",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "recommending_unit"],
                condition=Q(recommending_unit__isnull=False),
                name="role_unit_unique",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "organization"],
                condition=Q(organization__isnull=False),
                name="role_organization_unique",
            ),
            models.CheckConstraint(
                name="role_scope_matches",
                condition=(
                    Q(
                        role="recommender",
                        recommending_unit__isnull=False,
                        organization__isnull=True,
                    )
                    | Q(
                        role="applicant", organization__isnull=False, recommending_unit__isnull=True
                    )
                    | (
                        ~Q(role__in=["recommender", "applicant"])
                        & Q(recommending_unit__isnull=True, organization__isnull=True)
                    )
                ),
                violation_error_message="推荐单位审核人须指定推荐单位，组织联系人须指定组织，其他角色不带范围。",
            ),
            models.CheckConstraint(
                name="role_program_matches",
                condition=(
                    Q(role__in=[r.value for r in PROGRAM_ROLES], program__isnull=False)
                    | (~Q(role__in=[r.value for r in PROGRAM_ROLES]) & Q(program__isnull=True))
                ),
                violation_error_message="委员会办公室、评审监督员、委员会委员和省级管理员须指定奖项，其他角色不指定奖项。",
            ),
        ]

    def __str__(self) -> str:
        scope = self.recommending_unit or self.organization or self.program
        label = Role(self.role).label
        return f"{self.user} · {label}（{scope}）" if scope else f"{self.user} · {label}"


class ApiToken(models.Model):
    """A bearer token for /api/v1/; only its SHA-256 is stored."""

    class Scope(models.TextChoices):
        READ = "read", "只读（仅查询）"
        FULL = "full", "读写（持有人的全部权限）"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField("范围", max_length=8, choices=Scope.choices, default=Scope.FULL)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API 令牌"
        verbose_name_plural = "API 令牌"

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d}"


class RegistrationChange(models.Model):
    """One change of a registration (登记信息): the changed fields before and after, who changed
    them and when. Written with the change itself (`accounts.services`, the admin) and never
    edited, so the Office sees what changed after an application was submitted (申报后登记信息变更)
    and the public records keep the name they were made with (`intake.models.RecordedHolder`)."""

    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="registration_changes",
    )
    individual = models.ForeignKey(
        Individual,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="registration_changes",
    )
    before = models.JSONField("变更前", default=dict)
    after = models.JSONField("变更后", default=dict)
    changed_at = models.DateTimeField("变更时间")
    # None: the system (a data migration, a command).
    changed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_as = models.CharField("变更人身份", max_length=16, blank=True)

    class Meta:
        ordering = ["changed_at", "pk"]
        verbose_name = "登记信息变更"
        verbose_name_plural = "登记信息变更"
        constraints = [
            models.CheckConstraint(
                name="registration_change_one_subject",
                condition=Q(organization__isnull=False, individual__isnull=True)
                | Q(organization__isnull=True, individual__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization or self.individual} {self.changed_at:%Y-%m-%d %H:%M}"


class PasswordHistory(models.Model):
    """A password hash the user held before (no reuse of the last five, issue 15 part 2)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField("密码散列", max_length=128)
    created_at = models.DateTimeField("设置时间", auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "历史密码"
        verbose_name_plural = "历史密码"

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d}"


class OneTimeCode(models.Model):
    """A one-time code sent to a verified email or phone (a password reset, issue 15 part 2):
    only its hash is stored; it expires, counts wrong attempts and is used once."""

    class Purpose(models.TextChoices):
        PASSWORD_RESET = "reset", "重置密码"
        VERIFY_EMAIL = "email", "验证邮箱"
        VERIFY_PHONE = "phone", "验证手机"

    class Channel(models.TextChoices):
        EMAIL = "email", "电子邮箱"
        SMS = "sms", "手机短信"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="one_time_codes")
    purpose = models.CharField("用途", max_length=8, choices=Purpose.choices)
    channel = models.CharField("发送方式", max_length=8, choices=Channel.choices)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField("发送时间", auto_now_add=True)
    expires_at = models.DateTimeField("失效时间")
    used_at = models.DateTimeField("使用时间", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("错误次数", default=0)
    # None: the owner asked; else the administrator who started the reset (the owner is told).
    requested_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "一次性验证码"
        verbose_name_plural = "一次性验证码"
        indexes = [models.Index(fields=["user", "purpose", "used_at"], name="otc_user_purpose_idx")]

    def __str__(self) -> str:
        return f"{self.user} {self.get_purpose_display()} {self.created_at:%Y-%m-%d %H:%M}"
