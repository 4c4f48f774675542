from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class SysadminAdminConfig(AdminConfig):
    default_site = "config.admin_site.SysadminSite"
