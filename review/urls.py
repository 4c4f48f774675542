from __future__ import annotations

from django.urls import path

from lib import params  # noqa: F401  # registers the bounded <id:…> and <year:…> converters

from . import office, views

app_name = "review"
urlpatterns = [
    # Experts, group leaders, supervisors and applicants (review/views/).
    path("<uuid:public_id>/<str:stage>/card/", views.card, name="card"),
    path("<uuid:public_id>/<str:stage>/card/submit/", views.card_submit, name="card_submit"),
    path("<uuid:public_id>/<str:stage>/consensus/", views.consensus, name="consensus"),
    path("cards/<uuid:card_id>/reopen/", views.reopen, name="reopen"),
    path("<uuid:public_id>/site/", views.site, name="site"),
    path("<uuid:public_id>/site/record/", views.site_record, name="site_record"),
    path("<uuid:public_id>/site/report/", views.site_report, name="site_report"),
    path("<uuid:public_id>/feedback/", views.feedback, name="feedback"),
    path("<uuid:public_id>/feedback-report.docx", views.feedback_report, name="feedback_report"),
    # The Office, supervisors and the committee (review/office/, one module per page).
    path("", office.board, name="board"),
    path("cycles/<id:cycle_id>/phase/", office.phase, name="phase"),
    path("cycles/<id:cycle_id>/rubrics/<str:kind>/", office.rubric, name="rubric"),
    path("groups/<id:group_id>/schedule/", office.schedule, name="schedule"),
    path("cycles/<id:cycle_id>/evaluate/", office.evaluate, name="evaluate"),
    path("cycles/<id:cycle_id>/ranking/", office.ranking, name="ranking"),
    path("cycles/<id:cycle_id>/ranking.xlsx", office.ranking_xlsx, name="ranking_xlsx"),
    path("cycles/<id:cycle_id>/report.docx", office.report, name="report"),
    path("applications/<uuid:public_id>/", office.record, name="record"),
]
