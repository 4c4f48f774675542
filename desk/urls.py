"""The desk's pages, joined to the `accounts` namespace by config/urls.py: the workbench kept
its address (/accounts/me/) and its name (`accounts:dashboard`, used by LOGIN_REDIRECT_URL,
the header and the pages' breadcrumbs) when it moved up from accounts."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("me/", views.dashboard, name="dashboard"),
]
