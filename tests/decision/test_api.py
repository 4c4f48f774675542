"""The decision stage through /api/v1/: the Office's steps, the public notice, objections and
verification without a token."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from tests.conftest import api_call, api_client
from tests.decision.conftest import CST, Decided


def _public(method: str, path: str, body: Any = None) -> Any:
    kwargs: dict[str, Any] = {}
    if body is not None:
        kwargs = {"data": json.dumps(body), "content_type": "application/json"}
    return getattr(Client(), method)(f"/api/v1{path}", **kwargs)


@pytest.mark.req("A5.2", "A19.1", "A20.1", "A20.2", "A21.1", "A25.1")
def test_the_decision_through_the_api(decided: Decided, time_machine: Any) -> None:
    office, committee = api_client("p_office"), api_client("p_committee")
    base = f"/cycles/{decided.cycle.public_id}/proposal"
    o, i = decided.organizations, decided.individuals
    over = {"entries": [{"application": str(a.public_id), "level": "award"} for a in o[:3]]}
    refused = api_call(office, "put", base, over)
    assert (refused.status_code, refused.json()["article"]) == (400, "A5.2")
    assert "超过名额2个" in refused.json()["message"]
    body = {
        "entries": [
            {"application": str(o[0].public_id), "level": "award"},
            {"application": str(o[1].public_id), "level": "nomination"},
            {"application": str(i[0].public_id), "level": "award"},
        ]
    }
    assert api_call(committee, "put", base, body).status_code == 403
    saved = api_call(office, "put", base, body)
    assert saved.status_code == 200, saved.content
    assert [e["level"] for e in saved.json()["entries"]] == ["award", "nomination", "award"]
    committee_review = {
        "body": "committee",
        "decided_on": "2026-11-06",
        "reference": "质量发展委员会2026年第3次全体会议",
        "attendees": "委员11人",
        "resolution": "同意",
    }
    assert api_call(office, "post", f"{base}/approvals", committee_review).status_code == 201
    government = {
        "body": "government",
        "decided_on": "2026-11-09",
        "reference": "皋政复〔2026〕88号",
    }
    approved = api_call(office, "post", f"{base}/approvals", government)
    assert approved.json()["state"] == "government_approved"
    assert api_call(committee, "get", base).json()["state"] == "government_approved"

    time_machine.move_to(dt.datetime(2026, 11, 25, 9, tzinfo=CST), tick=False)
    office = api_client("p_office")
    published = api_call(office, "post", f"{base}/notice", {"starts_on": "2026-11-25"})
    assert published.json()["notice_ends_on"] == "2026-12-01"
    notice = _public("get", "/notices/2026").json()
    assert notice["open"] is True
    assert {e["name"] for e in notice["entries"]} == {
        o[0].applicant_name,
        o[1].applicant_name,
        i[0].applicant_name,
    }
    assert set(notice["entries"][0]) == {"id", "name", "level"}  # names and levels only
    anonymous = _public(
        "post",
        "/notices/2026/objections",
        {"name": "", "identity": "市民", "contact": "x", "content": "y"},
    )
    assert anonymous.status_code == 400
    filed = _public(
        "post",
        "/notices/2026/objections",
        {
            "name": "张三",
            "identity": "市民",
            "contact": "13800000000",
            "content": "请核查该公司的质量事故。",
            "entry": notice["entries"][0]["id"],
        },
    )
    assert filed.status_code == 201, filed.content
    receipt = filed.json()["receipt"]
    listed = api_call(office, "get", f"/cycles/{decided.cycle.public_id}/objections").json()
    assert [r["receipt"] for r in listed] == [receipt]
    decision = {
        "outcome": "dismissed",
        "findings": "经核查，事故与该公司无关。",
        "reply": "经核查不属实。",
    }
    assert (
        api_call(office, "post", f"/objections/{receipt}/decide", decision).json()["outcome"]
        == "dismissed"
    )

    time_machine.move_to(dt.datetime(2026, 12, 10, 9, tzinfo=CST), tick=False)
    office = api_client("p_office")
    late = _public(
        "post",
        "/notices/2026/objections",
        {"name": "李四", "identity": "市民", "contact": "x", "content": "晚了"},
    )
    # The notice's dates are the workflow table's window: a 400 `outside_window` with the reason.
    assert (late.status_code, late.json()["code"], late.json()["article"]) == (
        400,
        "outside_window",
        "A20.2",
    )
    assert "公示期已于2026年12月1日结束" in late.json()["message"]
    assert api_call(office, "post", f"{base}/notice/close").json()["state"] == "notice_closed"
    announced = api_call(
        office,
        "post",
        f"{base}/announce",
        {"announced_on": "2026-12-10", "document_number": "皋政发〔2026〕120号"},
    )
    assert announced.status_code == 201, announced.content
    by_holder = {a["holder"]: a for a in announced.json()}
    first = by_holder[o[0].applicant_name]
    assert (first["due"], by_holder[o[1].applicant_name]["due"]) == (200000, 100000)
    paid = api_call(
        office,
        "post",
        f"/awards/{first['id']}/bonus-payments",
        {"kind": "payment", "amount": 200000, "on": "2026-12-10", "voucher": "财拨〔2026〕501号"},
    )
    assert paid.json()["outstanding"] == 0
    verified = _public("get", f"/certificates/{first['certificate']}")
    assert (verified.status_code, verified.json()["valid"]) == (200, True)
    assert _public("get", "/certificates/RG2026-0000-0000-0000-0000").status_code == 404
