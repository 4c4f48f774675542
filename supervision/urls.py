from __future__ import annotations

from django.urls import path

from lib import params  # noqa: F401  # registers the bounded <id:…> and <year:…> converters

from . import views, workspace

app_name = "supervision"
urlpatterns = [
    # The Office's cases and sanctions, the winner's duty (supervision/views.py).
    path("supervision/cases/", views.cases, name="cases"),
    path("supervision/cases/new/", views.case_new, name="case_new"),
    path("supervision/cases/<uuid:case_id>/", views.case, name="case"),
    path("supervision/cases/<uuid:case_id>/report/", views.case_report, name="case_report"),
    path("supervision/cases/<uuid:case_id>/decide/", views.case_decide, name="case_decide"),
    path("supervision/sanctions/", views.sanctions, name="sanctions"),
    path("supervision/my-award/", views.my_award, name="my_award"),
    path("credit-list/", views.credit_list, name="credit_list"),
    # The discipline supervisors' workspace (supervision/workspace.py).
    path("supervision/", workspace.overview, name="overview"),
    path("supervision/cycles/<id:cycle_id>/", workspace.cycle, name="cycle"),
    path("supervision/experts/<uuid:public_id>/", workspace.expert, name="expert"),
    path("supervision/notes/", workspace.notes, name="notes"),
    path("supervision/audit.xlsx", workspace.audit_export, name="audit_export"),
]
