from __future__ import annotations

from django.urls import path

from lib import params  # noqa: F401  # registers the bounded <id:…> and <year:…> converters

from . import views

app_name = "experts"
urlpatterns = [
    path("", views.pool, name="pool"),
    path("add/", views.add, name="add"),
    path("<uuid:public_id>/edit/", views.edit, name="edit"),
    path("<uuid:public_id>/sanctions/", views.sanction, name="sanction"),
    path("import/", views.import_experts, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("groups/", views.groups, name="groups"),
    path("cycles/<id:cycle_id>/propose/", views.propose, name="propose"),
    path("cycles/<id:cycle_id>/code/", views.code, name="code"),
    path("assignments/<id:assignment_id>/lock/", views.lock, name="lock"),
    path("groups/<id:group_id>/assign/", views.assign, name="assign"),
    path("applications/<uuid:public_id>/open-group/", views.open_group, name="open_group"),
    path("groups/<id:group_id>/leader/", views.leader, name="leader"),
    path("mine/", views.mine, name="mine"),
    path("mine/acknowledge/", views.acknowledge, name="acknowledge"),
    path("mine/<uuid:public_id>/confirm/", views.confirm, name="confirm"),
    path("mine/<uuid:public_id>/declare/", views.declare, name="declare"),
    path("mine/<uuid:public_id>/", views.read, name="read"),
    path(
        "mine/<uuid:public_id>/attachments/<uuid:attachment_id>/",
        views.attachment,
        name="attachment",
    ),
    path("applications/<uuid:public_id>/recusal/", views.recusal, name="recusal"),
    path("groups/export.xlsx", views.export_groups, name="export_groups"),
]
