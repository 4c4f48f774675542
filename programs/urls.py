from __future__ import annotations

from django.urls import path

from . import views

app_name = "programs"
urlpatterns = [
    path("", views.home, name="home"),
    path("announcements/<uuid:public_id>/", views.announcement_detail, name="announcement"),
    path("office/cycles/", views.cycle_list, name="cycle_list"),
    path("office/cycles/new/", views.cycle_create, name="cycle_create"),
    path("office/cycles/<int:pk>/", views.cycle_detail, name="cycle_detail"),
    path("office/cycles/<int:pk>/dates/", views.cycle_set_dates, name="cycle_set_dates"),
    path("office/cycles/<int:pk>/publish/", views.cycle_publish, name="cycle_publish"),
    path("office/calendar/", views.calendar, name="calendar"),
    path("office/calendar/enter/", views.calendar_enter, name="calendar_enter"),
]
