from __future__ import annotations

from django.urls import path

from lib import params  # noqa: F401  # registers the bounded <id:…> and <year:…> converters

from . import public, views

app_name = "decision"
urlpatterns = [
    # The Office (decision/views/).
    path("decision/", views.board, name="board"),
    path("decision/cycles/<id:cycle_id>/proposal/", views.proposal, name="proposal"),
    path("decision/cycles/<id:cycle_id>/approval/", views.approval, name="approval"),
    path(
        "decision/approvals/attachments/<id:attachment_id>/",
        views.approval_attachment,
        name="approval_attachment",
    ),
    path("decision/cycles/<id:cycle_id>/notice/", views.notice, name="notice"),
    path("decision/cycles/<id:cycle_id>/notice/close/", views.close, name="close"),
    path("decision/objections/<str:receipt>/", views.objection, name="objection"),
    path(
        "decision/objections/<str:receipt>/evidence/<id:evidence_id>/",
        views.evidence,
        name="evidence",
    ),
    path("decision/cycles/<id:cycle_id>/announce/", views.announce, name="announce"),
    path("decision/ledger/", views.ledger, name="ledger"),
    path("decision/ledger.xlsx", views.ledger_xlsx, name="ledger_xlsx"),
    path("decision/awards/<id:award_id>/bonus/", views.bonus, name="bonus"),
    path("decision/certificates/<str:number>.pdf", views.certificate_pdf, name="certificate_pdf"),
    # The public (no login; decision/public.py).
    path("notices/", public.notices, name="notices"),
    path("notices/<year:year>/", public.notice, name="public_notice"),
    path("notices/<year:year>/objection/", public.object_to, name="object_to"),
    path("notices/receipts/<str:receipt>/", public.receipt, name="receipt"),
    path("winners/", public.winners, name="winners"),
    path("verify/", public.verify, name="verify"),
    path("verify/<str:number>/", public.verified, name="verified"),
]
