from __future__ import annotations

from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("", views.trail_page, name="trail"),
    path("anchor/", views.anchor, name="anchor"),
]
