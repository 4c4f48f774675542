from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from .models import Organization, RecommendingUnit, Role, User


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "用户名或密码错误。连续失败5次，该账号将被锁定30分钟。",
        "inactive": "该账号已停用，请联系系统管理员。",
    }


class GrantRoleForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150)
    role = forms.ChoiceField(label="角色", choices=Role.choices)
    recommending_unit = forms.ModelChoiceField(
        label="推荐单位（推荐单位审核人必填）",
        queryset=RecommendingUnit.objects.filter(active=True),
        required=False,
    )
    organization_uscc = forms.CharField(
        label="组织统一社会信用代码（组织联系人必填）", max_length=18, required=False
    )
    reason = forms.CharField(label="理由", max_length=200)

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
