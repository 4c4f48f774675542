from __future__ import annotations

from typing import Any

from django import forms
from django.apps import apps
from django.contrib.auth.forms import AuthenticationForm

from lib import industries
from lib import phone as phones
from lib.forms import BootstrapForm

from . import privacy
from .models import Individual, Organization, RecommendingUnit, Role, User
from .validators import USERNAME_MAX, USERNAME_RULE, validate_username


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "用户名或密码错误。连续失败5次，该账号将被锁定30分钟。",
        "inactive": "该账号已停用，请联系系统管理员。",
    }


class GrantRoleForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150)
    role = forms.ChoiceField(label="角色", choices=Role.choices)
    program = forms.ModelChoiceField(
        label="奖项（委员会办公室、监督员、委员、省级管理员必填）",
        queryset=RecommendingUnit.objects.none(),  # the programs, set in __init__
        required=False,
        empty_label="当前奖项",
    )
    recommending_unit = forms.ModelChoiceField(
        label="推荐单位（推荐单位审核人必填）",
        queryset=RecommendingUnit.objects.none(),
        required=False,
    )
    organization_uscc = forms.CharField(
        label="组织统一社会信用代码（组织联系人必填）", max_length=18, required=False
    )
    reason = forms.CharField(label="理由", max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The security administrator is the deployment's: every program and every program's
        # units (decision 0030). By the app registry: accounts imports nothing of programs.
        programs = apps.get_model("programs", "AwardProgram").objects.order_by("pk")
        self.fields["program"].queryset = programs  # type: ignore[attr-defined]
        units = RecommendingUnit.objects.filter(active=True).select_related("program")
        several = programs.count() > 1
        field = self.fields["recommending_unit"]
        field.queryset = units.order_by("program_id", "kind", "name")  # type: ignore[attr-defined]
        if several:
            field.label_from_instance = lambda u: f"{u}（{u.program}）"  # type: ignore[attr-defined]

    def clean_username(self) -> User:
        user = User.objects.filter(username=self.cleaned_data["username"], is_active=True).first()
        if user is None:
            raise forms.ValidationError("没有这个用户名（或账号已停用）。")
        return user

    def clean_organization_uscc(self) -> Organization | None:
        code = self.cleaned_data["organization_uscc"].strip().upper()
        if not code:
            return None
        org = Organization.objects.filter(uscc=code).first()
        if org is None:
            raise forms.ValidationError("没有以此统一社会信用代码登记的组织。")
        return org


class ReasonForm(forms.Form):
    reason = forms.CharField(label="理由", max_length=200)


class UnitForm(forms.Form):
    name = forms.CharField(label="名称", max_length=100)
    kind = forms.ChoiceField(label="类别", choices=RecommendingUnit.Kind.choices)
    also_known_as = forms.CharField(label="合署名称", max_length=100, required=False)
    active = forms.BooleanField(label="启用", required=False, initial=True)


PHONE_HELP = "手机号码，或带区号的固定电话（如0513-87654321）；填写手机号码可用短信找回密码"


def clean_phone_value(value: str) -> str:
    """The phone's written form (lib.phone) or a form error in Chinese; "" stays "" ."""
    if not value:
        return ""
    try:
        return phones.validate_phone(value)
    except phones.InvalidPhone as exc:
        raise forms.ValidationError(f"{exc}。", code="invalid_phone") from exc


def username_field() -> forms.CharField:
    """The username of a new account: the rule (accounts.validators) checked and stated."""
    return forms.CharField(
        label="用户名",
        help_text=USERNAME_RULE,
        validators=[validate_username],
        widget=forms.TextInput(
            attrs={
                "maxlength": USERNAME_MAX,
                "autocomplete": "username",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        ),
    )


# Django's own Chinese says "输入一个有效的 Email 地址。": the site says it in Chinese only.
EMAIL_INVALID = "电子邮箱地址格式不正确，如 name@example.com。"


class _AccountFields(BootstrapForm):
    """The contact's account, shared by both registrations and a contact added later (the
    username rule and the phone's format here; the service checks the password rules)."""

    username = username_field()
    password1 = forms.CharField(
        label="密码",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        max_length=1024,
    )
    password2 = forms.CharField(
        label="再次输入密码",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        max_length=1024,
    )
    phone = forms.CharField(label="联系电话", max_length=40, required=False, help_text=PHONE_HELP)
    email = forms.EmailField(
        label="电子邮箱", required=False, error_messages={"invalid": EMAIL_INVALID}
    )

    def clean_phone(self) -> str:
        return clean_phone_value(self.cleaned_data.get("phone", ""))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "两次输入的密码不一致。")
        return data


class _RegistrationFields(_AccountFields):
    """What both self-registrations add: a required email (the verification code goes there)
    and the consent to the privacy notice (个人信息保护法 第十四条)."""

    email = forms.EmailField(
        label="电子邮箱",
        help_text="注册验证码和申报进展的通知会发到此邮箱",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": "请填写电子邮箱：注册验证码将发到此邮箱。",
            "invalid": EMAIL_INVALID,
        },
    )
    privacy_consent = forms.BooleanField(
        label=privacy.CONSENT_LABEL, error_messages={"required": privacy.CONSENT_REQUIRED}
    )


def _industry_choices() -> list[tuple[str, str]]:
    return [("", "请选择"), *industries.choices()]


def _territorial_units() -> Any:
    """The current program's towns, districts and subdistricts (an organization registers
    under its town; decision 0030)."""
    from .selectors import program_units

    return (
        program_units()
        .filter(
            active=True,
            kind__in=[
                RecommendingUnit.Kind.TOWN,
                RecommendingUnit.Kind.SUBDISTRICT,
                RecommendingUnit.Kind.DISTRICT,
            ],
        )
        .order_by("kind", "name")
    )


class OrganizationRegistrationForm(_RegistrationFields):
    uscc = forms.CharField(label="统一社会信用代码", max_length=24)
    name = forms.CharField(label="组织名称", max_length=200)
    registered_address = forms.CharField(label="注册地址", max_length=300, required=False)
    recommending_unit = forms.ModelChoiceField(
        label="所在镇（区、街道）",
        queryset=RecommendingUnit.objects.none(),  # the current program's, in __init__
        empty_label="请选择",
    )
    industry_code = forms.ChoiceField(
        label="行业（GB/T 4754-2017）", required=False, choices=_industry_choices
    )
    established_on = forms.DateField(
        label="成立日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    legal_representative = forms.CharField(label="法定代表人", max_length=100, required=False)
    is_construction = forms.BooleanField(label="建筑企业", required=False)
    is_industrial = forms.BooleanField(label="工业企业", required=False)
    environmental_rating = forms.ChoiceField(
        label="环保信用等级",
        choices=Organization.EnvironmentalRating.choices,
        initial=Organization.EnvironmentalRating.NONE,
    )
    chief_quality_officer = forms.CharField(label="首席质量官", max_length=100, required=False)
    contact_name = forms.CharField(label="联系人姓名", max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from .selectors import program_units  # noqa: F401

        self.fields["recommending_unit"].queryset = _territorial_units()  # type: ignore[attr-defined]


class IndividualRegistrationForm(_RegistrationFields):
    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(label="身份证号码", max_length=24)
    position = forms.ChoiceField(
        label="身份", choices=[("", "请选择"), *Individual.Position.choices]
    )
    employer_name = forms.CharField(label="所在组织名称", max_length=200)
    quality_work_years = forms.IntegerField(
        label="在本市从事质量工作年限", min_value=0, max_value=70
    )
    recommending_unit = forms.ModelChoiceField(
        label="推荐单位",
        queryset=RecommendingUnit.objects.none(),  # the current program's, in __init__
        empty_label="请选择",
    )
    sensitive_consent = forms.BooleanField(
        label=privacy.SENSITIVE_CONSENT_LABEL,
        error_messages={"required": privacy.SENSITIVE_CONSENT_REQUIRED},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from .selectors import program_units

        units = program_units().filter(active=True).order_by("kind", "name")
        self.fields["recommending_unit"].queryset = units  # type: ignore[attr-defined]


class OrganizationProfileForm(BootstrapForm):
    """What a contact may change of the registration (not the code, not the town)."""

    name = forms.CharField(label="组织名称", max_length=200)
    registered_address = forms.CharField(label="注册地址", max_length=300, required=False)
    industry_code = forms.ChoiceField(
        label="行业（GB/T 4754-2017）", required=False, choices=_industry_choices
    )
    established_on = forms.DateField(
        label="成立日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    legal_representative = forms.CharField(label="法定代表人", max_length=100, required=False)
    is_construction = forms.BooleanField(label="建筑企业", required=False)
    is_industrial = forms.BooleanField(label="工业企业", required=False)
    environmental_rating = forms.ChoiceField(
        label="环保信用等级", choices=Organization.EnvironmentalRating.choices
    )
    chief_quality_officer = forms.CharField(label="首席质量官", max_length=100, required=False)


class ContactForm(_AccountFields):
    full_name = forms.CharField(label="姓名", max_length=100)


class PasswordChangeForm(BootstrapForm):
    """Change one's own password (accounts.views.password_change; the rules are the service's)."""

    old_password = forms.CharField(
        label="当前密码",
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password1 = forms.CharField(
        label="新密码",
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label="再次输入新密码",
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("new_password1"), data.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", "两次输入的新密码不一致。")
        return data


class VerifyCodeForm(BootstrapForm):
    """The six digits sent to the registration's email."""

    code = forms.CharField(
        label="邮箱验证码",
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "maxlength": 6,
                "pattern": "[0-9]*",
            }
        ),
        error_messages={"required": "请填写邮件中的6位验证码。"},
    )
