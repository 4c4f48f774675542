"""The Django admin: the system administrator's tool alone (三员分立), every change audited."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from audit.services import jsonable, record
from lib.fields import BlindIndexField, EncryptedTextField

from .models import Organization, RecommendingUnit, Role, User
from .services import ORGANIZATION_PROFILE, note_registration_change


class SysadminModelAdmin(admin.ModelAdmin):
    """Permissions come from the sysadmin role, not Django's model permissions; saves audited."""

    def _allowed(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.has_perm("accounts.use_admin"))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def _fields(self, obj: Model) -> dict[str, Any]:
        # The audit trail is not encrypted: an encrypted value goes in masked, its blind index
        # not at all (lib/fields.py).
        return {
            f.attname: (
                f.mask(getattr(obj, f.attname))
                if isinstance(f, EncryptedTextField)
                else jsonable(getattr(obj, f.attname))
            )
            for f in obj._meta.concrete_fields
            if f.attname not in {"password"} and not isinstance(f, BlindIndexField)
        }

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        # The admin's change view already runs in a transaction: the event commits with the row.
        before = self._fields(type(obj)._default_manager.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        record(
            actor=request.user,  # type: ignore[arg-type]  # the site admits only signed-in sysadmins
            role=Role.SYSADMIN,
            action=f"admin.{obj._meta.model_name}.{'change' if change else 'add'}",
            obj=obj,
            before=before,
            after=self._fields(obj),
        )

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        before = self._fields(obj)
        record(
            actor=request.user,  # type: ignore[arg-type]
            role=Role.SYSADMIN,
            action=f"admin.{obj._meta.model_name}.delete",
            obj=obj,
            before=before,
        )
        super().delete_model(request, obj)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Bulk delete would bypass delete_model and its audit event.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


class UserAddForm(forms.ModelForm):
    """A new account without a password (三员分立: the system administrator never knows one).

    Its password is unusable and `must_change_password` set; the owner's first password comes
    from a reset by a one-time code to their verified address (accounts.reset.start_reset; an
    address not yet verified is verified in person at the Office).
    """

    class Meta:
        model = User
        fields = ["username", "full_name", "email", "phone"]

    def clean_username(self) -> str:
        from .validators import validate_username

        username: str = self.cleaned_data["username"]
        validate_username(username)  # the rule of every new account, in Chinese
        return username

    def clean_phone(self) -> str:
        from .forms import clean_phone_value

        return clean_phone_value(self.cleaned_data.get("phone", ""))

    def save(self, commit: bool = True) -> Any:
        user = super().save(commit=False)
        user.set_unusable_password()
        user.must_change_password = True
        if commit:
            user.save()
        return user


@admin.register(User)
class UserAdmin(SysadminModelAdmin, BaseUserAdmin):
    """Accounts, without their passwords: no password field, no password-setting page, no
    password in the add form (三员分立: the system administrator cannot set, see or bypass
    another person's password). Every add and change is audited (`SysadminModelAdmin`); a
    password change by any other path is audited by `User.save`."""

    list_display = ["username", "full_name", "email", "is_active", "last_login"]
    # Not Django's (username, names, email): the email is stored encrypted and cannot be searched.
    search_fields = ["username", "full_name"]
    fieldsets = [
        (None, {"fields": ["username"]}),
        ("个人信息", {"fields": ["full_name", "email", "phone"]}),
        ("个人信息验证", {"fields": ["email_verified_at", "phone_verified_at"]}),
        (
            "状态",
            {
                "fields": [
                    "is_active",
                    "must_change_password",
                    "password_reset",
                    "last_login",
                    "date_joined",
                ]
            },
        ),
    ]
    add_fieldsets = [(None, {"fields": ["username", "full_name", "email", "phone"]})]
    add_form = UserAddForm
    readonly_fields = [
        "must_change_password",
        "last_login",
        "date_joined",
        "email_verified_at",
        "phone_verified_at",
        "password_reset",
    ]

    @admin.display(description="密码")
    def password_reset(self, obj: User) -> str:
        """No password here: a reset by a one-time code to the owner's verified address
        (accounts.reset.start_reset), which the system administrator starts and never sees."""
        if obj.pk is None:
            return "—"
        url = reverse("accounts:admin_reset", args=[obj.pk])
        return format_html(
            '<a href="{}">发起密码重置</a>（验证码只发给本人已验证的邮箱或手机）', url
        )

    def get_urls(self) -> list[Any]:
        # Django's UserAdmin adds <id>/password/ (set anyone's password): not here.
        return [url for url in super().get_urls() if url.name != "auth_user_password_change"]

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        raise PermissionDenied("系统管理员不能设置他人的密码（三员分立）。")


@admin.register(RecommendingUnit)
class RecommendingUnitAdmin(SysadminModelAdmin):
    list_display = ["name", "kind", "also_known_as", "active"]
    list_filter = ["kind", "active"]


@admin.register(Organization)
class OrganizationAdmin(SysadminModelAdmin):
    list_display = ["name", "uscc", "recommending_unit"]
    search_fields = ["name", "uscc"]

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        # A registration changed here (a new 统一社会信用代码, a move to another town) joins its
        # history like the contact's own edits (申报后登记信息变更 on the Office's pages).
        before = self._fields(type(obj)._default_manager.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        if before is not None:
            kept = {"uscc", "recommending_unit_id", *ORGANIZATION_PROFILE}
            after = {k: v for k, v in self._fields(obj).items() if k in kept}
            note_registration_change(
                actor=request.user,  # type: ignore[arg-type]  # signed-in sysadmins only
                role=Role.SYSADMIN,
                organization=obj,  # type: ignore[arg-type]  # this admin's model
                before={k: before[k] for k in after},
                after=after,
            )
