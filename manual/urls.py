from __future__ import annotations

from django.urls import path

from . import views

app_name = "manual"
urlpatterns = [
    path("", views.index, name="index"),
    path("figures/<str:name>.jpg", views.figure, name="figure"),
    path("<slug:slug>/", views.chapter, name="chapter"),
]
