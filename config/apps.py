from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class SysadminAdminConfig(AdminConfig):
    default_site = "config.admin_site.SysadminSite"

    def ready(self) -> None:
        super().ready()
        # The log context's end of request, and the Celery signal handlers of the log
        # context, the task counts and the workers' heartbeat (config/observability.py):
        # connected in every process that loads Django, the workers included.
        from .observability import connect_signals

        connect_signals()
