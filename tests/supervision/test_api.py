"""Supervision through /api/v1/."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from accounts.models import Role
from intake.models import AwardRecord
from tests.conftest import api_call, api_client
from tests.decision.conftest import CST, Decided, announced


@pytest.mark.req("A23.1", "A23.2", "A29.1", "A27.1")
def test_supervision_through_the_api(decided: Decided, time_machine: Any, make_user: Any) -> None:
    announced(decided, time_machine)
    award = AwardRecord.objects.get(application=decided.organizations[0])
    make_user(Role.APPLICANT, username="api_winner", organization=award.organization)
    time_machine.move_to(dt.datetime(2027, 1, 12, 10, tzinfo=CST), tick=False)
    winner, office = api_client("api_winner"), api_client("p_office")
    supervisor = api_client("p_supervisor")
    body = {"what_happened": "抽查不合格", "confirmed_on": "2026-12-12"}
    filed = api_call(winner, "post", f"/awards/{award.pk}/violation-reports", body)
    assert filed.status_code == 201, filed.content
    assert (filed.json()["late"], filed.json()["report_due_on"]) == (True, "2027-01-11")
    assert (
        api_call(supervisor, "post", f"/awards/{award.pk}/violation-reports", body).status_code
        == 403
    )
    case_id = filed.json()["id"]
    assert (
        api_call(supervisor, "post", f"/cases/{case_id}/report", {"findings": "x"}).status_code
        == 403
    )
    assert (
        api_call(office, "post", f"/cases/{case_id}/report", {"findings": "属实"}).status_code
        == 200
    )
    decided_case = api_call(
        office,
        "post",
        f"/cases/{case_id}/decide",
        {"outcome": "warning", "decided_on": "2027-01-12", "decision_ref": "委员会2027年第1次会议"},
    )
    assert decided_case.json()["outcome"] == "warning"
    assert [c["id"] for c in api_call(supervisor, "get", "/cases").json()] == [case_id]
    sanctions = api_call(
        office,
        "post",
        f"/applications/{decided.organizations[4].public_id}/sanctions",
        {
            "kinds": ["credit", "ban"],
            "reason": "伪造检测报告",
            "decided_on": "2027-01-12",
            "decision_ref": "委员会2027年第1次会议",
        },
    )
    assert sanctions.status_code == 201, sanctions.content
    assert {s["article"] for s in sanctions.json()} == {"A29.1"}
    public = Client().get("/api/v1/credit-list").json()
    assert [p["name"] for p in public] == [decided.organizations[4].applicant_name]
    assert "uscc" not in public[0]
