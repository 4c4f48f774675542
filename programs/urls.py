from __future__ import annotations

from django.urls import path

from lib import params  # noqa: F401  # registers the bounded <id:…> and <year:…> converters

from . import views

app_name = "programs"
urlpatterns = [
    path("", views.home, name="home"),
    path("program/switch/", views.switch_program, name="switch"),
    path("announcements/<uuid:public_id>/", views.announcement_detail, name="announcement"),
    path("office/cycles/", views.cycle_list, name="cycle_list"),
    path("office/cycles/new/", views.cycle_create, name="cycle_create"),
    path("office/cycles/<id:pk>/", views.cycle_detail, name="cycle_detail"),
    path("office/cycles/<id:pk>/dates/", views.cycle_set_dates, name="cycle_set_dates"),
    path("office/cycles/<id:pk>/publish/", views.cycle_publish, name="cycle_publish"),
    path("office/calendar/", views.calendar, name="calendar"),
    path("office/calendar/enter/", views.calendar_enter, name="calendar_enter"),
    path("office/seal/", views.seal, name="seal"),
    path("office/seal/upload/", views.seal_upload, name="seal_upload"),
    path("office/seal/remove/", views.seal_remove, name="seal_remove"),
    path("office/seal/specimen.pdf", views.seal_specimen, name="seal_specimen"),
    path("office/measures/", views.measures, name="measures"),
    path("office/measures/<id:pk>/", views.measures, name="measures_policy"),
    path("office/measures/<id:pk>/pack.yaml", views.measures_pack, name="measures_pack"),
    path("office/measures/preview/", views.measures_preview, name="measures_preview"),
    path("office/measures/confirm/", views.measures_confirm, name="measures_confirm"),
]
