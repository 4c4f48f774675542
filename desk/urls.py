"""The desk's pages, joined to the `accounts` namespace by config/urls.py: the workbench kept
its address (/accounts/me/) and its name (`accounts:dashboard`, used by LOGIN_REDIRECT_URL,
the header and the pages' breadcrumbs) when it moved up from accounts. The Office's 年度归档
lives beside it (/accounts/me/archives/)."""

from __future__ import annotations

from django.urls import path

from . import archive_views, export_views, views

urlpatterns = [
    path("me/", views.dashboard, name="dashboard"),
    path("me/archives/", archive_views.archives, name="archives"),
    path("me/archives/<id:cycle_id>/make/", archive_views.archive_make, name="archive_make"),
    path(
        "me/archives/file/<id:event_id>/", archive_views.archive_download, name="archive_download"
    ),
    # Exports made in the background (desk/exports.py): ask, follow, download; the requester's.
    path("me/exports/", export_views.my_jobs, name="my_jobs"),
    path("me/exports/<slug:name>/new/", export_views.export_new, name="export_new"),
    path("me/jobs/<id:job_id>/", export_views.my_job, name="my_job"),
    path("me/jobs/<id:job_id>/file/", export_views.my_job_file, name="my_job_file"),
]
