"""The Office's 后台任务 page (issue 17), at /office/jobs/ (config/urls.py)."""

from __future__ import annotations

from django.urls import path

from . import jobs_views

app_name = "jobs"

urlpatterns = [
    path("", jobs_views.jobs, name="list"),
    path("<id:job_id>/retry/", jobs_views.retry, name="retry"),
    path("<id:job_id>/cancel/", jobs_views.cancel, name="cancel"),
]
