from __future__ import annotations

from django.urls import path

from lib import params  # noqa: F401  # registers the bounded <id:…> and <year:…> converters

from . import reset, two_factor, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("organization/", views.organization_profile, name="organization"),
    path("organization/contacts/", views.organization_add_contact, name="add_contact"),
    path("roles/", views.roles_page, name="roles"),
    path("roles/grant/", views.role_grant, name="role_grant"),
    path("roles/<id:pk>/revoke/", views.role_revoke, name="role_revoke"),
    path("roles/unlock/", views.account_unlock, name="unlock"),
    path("tokens/", views.tokens_page, name="tokens"),
    path("tokens/<id:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("units/", views.units_page, name="units"),
    path("units/new/", views.unit_save, name="unit_add"),
    path("units/<id:pk>/", views.unit_save, name="unit_change"),
    path("register/organization/", views.register_organization, name="register_organization"),
    path("register/individual/", views.register_individual, name="register_individual"),
    path("register/verify/", views.register_verify, name="register_verify"),
    path("password/", views.password_change, name="password_change"),
    path("password/reset/", reset.password_reset, name="password_reset"),
    path("password/reset/confirm/", reset.password_reset_confirm, name="password_reset_confirm"),
    path("security/", reset.security, name="security"),
    path("security/send/", reset.security_send, name="security_send"),
    path("security/confirm/", reset.security_confirm, name="security_confirm"),
    path("users/<id:pk>/reset/", reset.admin_reset, name="admin_reset"),
    path("two-factor/", two_factor.settings_page, name="otp_settings"),
    path("two-factor/enrol/", two_factor.enrol, name="otp_enrol"),
    path("two-factor/verify/", two_factor.verify, name="otp_verify"),
    path("two-factor/confirm/", two_factor.reauth, name="otp_reauth"),
    path("two-factor/recovery/", two_factor.recovery, name="otp_recovery"),
    path("two-factor/recovery/new/", two_factor.recovery_regenerate, name="otp_recovery_new"),
    path("roles/<id:pk>/two-factor-reset/", two_factor.reset_page, name="otp_reset"),
    path("roles/<id:pk>/verify-in-person/", reset.in_person_page, name="verify_in_person"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.inbox_read, name="inbox_read"),
]
