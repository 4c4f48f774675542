"""Background jobs (issue 17): each piece of work done outside the request, with its state."""

from __future__ import annotations

from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "后台任务"

    def ready(self) -> None:
        # Each app's handlers live in its own jobs.py (accounts/jobs.py sends mail and SMS):
        # imported here by name, so this app depends on none of them.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("jobs")
