from __future__ import annotations

from django.urls import path

from lib import params  # noqa: F401  # registers the bounded <id:…> and <year:…> converters

from . import views

app_name = "intake"
urlpatterns = [
    path("", views.application_list, name="list"),
    path("start/", views.start, name="start"),
    path("export.xlsx", views.export_xlsx, name="export"),
    path("standing/", views.standing, name="standing"),
    path("standing/<str:kind>/", views.standing_add, name="standing_add"),
    path(
        "attachments/<uuid:attachment_id>/",
        views.attachment_download,
        name="attachment_download",
    ),
    # The services link to /applications/<public_id>/ in notifications: keep this path.
    path("<uuid:public_id>/", views.detail, name="detail"),
    path("<uuid:public_id>/edit/", views.edit, name="edit"),
    path("<uuid:public_id>/form.docx", views.form_docx, name="form_docx"),
    path("<uuid:public_id>/save/", views.save, name="save"),
    path("<uuid:public_id>/submit/", views.submit, name="submit"),
    path("<uuid:public_id>/withdraw/", views.withdraw, name="withdraw"),
    path("<uuid:public_id>/attachments/", views.attachment_add, name="attachment_add"),
    path(
        "<uuid:public_id>/attachments/<uuid:attachment_id>/remove/",
        views.attachment_remove,
        name="attachment_remove",
    ),
    path("<uuid:public_id>/recommend/", views.recommend, name="recommend"),
    path("<uuid:public_id>/return/", views.return_application, name="return"),
    path("<uuid:public_id>/decide/", views.decide, name="decide"),
    path("<uuid:public_id>/lapse/", views.lapse, name="lapse"),
    path(
        "<uuid:public_id>/decisions/<id:decision_id>/correct/",
        views.correct,
        name="correct",
    ),
]
