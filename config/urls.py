from __future__ import annotations

from django.contrib import admin
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from accounts import urls as accounts_urls
from accounts.views import privacy_notice
from desk import urls as desk_urls

from . import site_urls
from .api import api
from .observability import metrics, readyz


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: 200 when the process is up and the database answers; 503 otherwise (for the
    load balancer). Readiness, with Redis, the broker and the workers, is /readyz."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure means "not healthy"
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("", include("programs.urls")),
    # One `accounts` namespace: the workbench (desk) kept its name accounts:dashboard.
    path("accounts/", include((accounts_urls.urlpatterns + desk_urls.urlpatterns, "accounts"))),
    path("applications/", include("intake.urls", namespace="intake")),
    path("audit/", include("audit.urls")),
    path("experts/", include("experts.urls")),
    path("review/", include("review.urls")),
    path("", include("decision.urls")),
    path("", include("supervision.urls")),
    path("help/", include("manual.urls")),
    # The Office's background jobs (issue 17; desk/jobs_views.py).
    path("office/jobs/", include("desk.jobs_urls")),
    # The provincial administrator's 各地奖项概况 (issue 18; desk/province.py).
    path("office/province/", include("desk.province_urls")),
    path("privacy/", privacy_notice, name="privacy"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("healthz", healthz, name="healthz"),
    # Readiness and Prometheus (config/observability.py; docs/deployment.md).
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    # Each program's public site under its slug (decision 0030; programs/site.py), last: no
    # slug hides an address above. The default program's stay unprefixed.
    path("<slug:program_slug>/", include((site_urls.urlpatterns, "site"))),
]

# The error pages in Chinese, with a way back and a reference number (config/errors.py); the
# API under /api/v1/ gets JSON from the same views.
handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
