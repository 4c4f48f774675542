"""申报推荐 and 资格审查 through /api/v1/: the same rules as the pages."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from accounts.models import User
from audit.models import AuditEvent
from intake.models import Application, State
from lib import uscc
from programs.models import Cycle
from tests.conftest import api_call, api_client
from tests.intake.conftest import complete_form

_client = api_client
_call = api_call


@pytest.mark.req("A2.1", "A15.2", "A15.3", "A16.1")
def test_register_apply_recommend_accept(
    open_cycle: Cycle, personas: dict[str, User], to_qualification: Callable[[], None]
) -> None:
    code = "91320682MA1APF00X"[:17]
    code += uscc.check_character(code)
    response = Client().post(
        "/api/v1/registrations/organization",
        json.dumps(
            {
                "uscc": code,
                "name": "如皋接口示例有限公司",
                "recommending_unit": "如城街道",
                "username": "apiorg",
                "password": "Lantern#2026api",
                "contact_name": "周一",
                "established_on": "2010-01-01",
                "chief_quality_officer": "吴二",
                "industry_code": "34",
                "email": "apiorg@example.com",
                "privacy_consent": True,
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert "我们已向您填写的邮箱发送验证码" in response.json()["message"]
    body = next(str(m.body) for m in mail.outbox if m.to == ["apiorg@example.com"])
    sent = re.search(r"验证码为(\d{6})", body)
    assert sent is not None
    confirmed = Client().post(
        "/api/v1/registrations/confirm",
        json.dumps({"username": "apiorg", "code": sent[1]}),
        content_type="application/json",
    )
    assert confirmed.status_code == 201, confirmed.content
    applicant = _client("apiorg", "Lantern#2026api")
    started = _call(applicant, "post", "/applications", {"cycle": str(open_cycle.public_id)})
    assert started.status_code == 201
    app_id = started.json()["id"]
    assert (
        _call(applicant, "put", f"/applications/{app_id}/form", complete_form()).status_code == 200
    )
    preview = _call(applicant, "get", f"/applications/{app_id}/eligibility").json()
    assert {f["rule"]: f["outcome"] for f in preview}["a12_1_operation"] == "pass"
    assert _call(applicant, "post", f"/applications/{app_id}/submit").json()["state"] == "submitted"
    town = _client("p_recommender")
    assert (
        _call(town, "post", f"/applications/{app_id}/recommend", {"text": "同意推荐"}).json()[
            "state"
        ]
        == "recommended"
    )
    office = _client("p_office")
    too_early = _call(office, "post", f"/applications/{app_id}/accept", {"reason": ""})
    assert too_early.status_code == 400
    assert too_early.json()["article"] == "A16.1"
    assert "资格审查将于2026年5月6日开始" in too_early.json()["message"]
    to_qualification()
    office = _client("p_office")  # a token lasts hours, not the weeks the clock just moved
    refused = _call(
        office, "post", f"/applications/{app_id}/accept", {"reason": "", "confirmed": []}
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "unconfirmed"
    confirm = [
        f["rule"]
        for f in _call(office, "get", f"/applications/{app_id}/eligibility").json()
        if f["outcome"] == "confirm"
    ]
    accepted = _call(
        office,
        "post",
        f"/applications/{app_id}/accept",
        {"reason": "符合条件", "confirmed": confirm},
    )
    assert accepted.json()["state"] == "accepted"
    actions = list(
        AuditEvent.objects.filter(object_type="intake.application").values_list("action", flat=True)
    )
    assert actions == [
        "intake.application.start",
        "intake.application.submit",
        "intake.application.recommend",
        "intake.application.accept",
    ]


def test_strangers_get_404_and_the_wrong_role_403(
    open_cycle: Cycle, personas: dict[str, User], org: object
) -> None:
    applicant = _client("p_applicant")
    app_id = _call(applicant, "post", "/applications", {"cycle": str(open_cycle.public_id)}).json()[
        "id"
    ]
    assert (
        _call(_client("p_office"), "get", f"/applications/{app_id}").status_code == 404
    )  # a draft
    _call(applicant, "put", f"/applications/{app_id}/form", complete_form())
    _call(applicant, "post", f"/applications/{app_id}/submit")
    assert _call(_client("p_expert"), "get", f"/applications/{app_id}").status_code == 404
    assert _call(_client("p_office"), "get", f"/applications/{app_id}").status_code == 200
    forbidden = _call(
        _client("p_office"), "post", f"/applications/{app_id}/recommend", {"text": "同意"}
    )
    assert forbidden.status_code == 403
    assert Application.objects.get().state == State.SUBMITTED


def test_upload_checks_the_content(
    open_cycle: Cycle, personas: dict[str, User], org: object
) -> None:
    client, headers = _client("p_applicant")
    app_id = _call(
        (client, headers), "post", "/applications", {"cycle": str(open_cycle.public_id)}
    ).json()["id"]
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = client.post(
        f"/api/v1/applications/{app_id}/attachments",
        {
            "section": "general",
            "file": SimpleUploadedFile("证书.pdf", b"MZ\x90\x00" + b"\x00" * 100),
        },
        headers=headers,
    )
    assert bad.status_code == 400
    assert "可执行程序" in bad.json()["message"]
    good = client.post(
        f"/api/v1/applications/{app_id}/attachments",
        {"section": "general", "file": SimpleUploadedFile("证书.pdf", b"%PDF-1.4\n%%EOF\n")},
        headers=headers,
    )
    assert good.status_code == 201
    download = client.get(f"/api/v1/attachments/{good.json()['id']}", headers=headers)
    assert download.content == b"%PDF-1.4\n%%EOF\n"
    assert download["Content-Type"] == "application/pdf"
    assert "filename*=utf-8''%e8%af%81%e4%b9%a6.pdf" in download["Content-Disposition"].lower()


def test_list_query_count_is_constant(
    open_cycle: Cycle, personas: dict[str, User], org: object, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    office = _client("p_office")
    applicant = _client("p_applicant")
    app_id = _call(applicant, "post", "/applications", {"cycle": str(open_cycle.public_id)}).json()[
        "id"
    ]
    _call(applicant, "put", f"/applications/{app_id}/form", complete_form())
    _call(applicant, "post", f"/applications/{app_id}/submit")
    with django_assert_max_num_queries(12) as few:
        assert _call(office, "get", "/applications").json()["count"] == 1
    from accounts.models import RecommendingUnit
    from accounts.registration import register_organization
    from intake import services

    for i in range(8):
        body = f"91320682MA1L{i:04d}0"
        org_i, user = register_organization(
            uscc_code=body + uscc.check_character(body),
            name=f"列表示例{i}",
            recommending_unit=RecommendingUnit.objects.get(name="如城街道"),
            username=f"list{i}",
            password="Lantern#2026l",
            contact_name="某",
            established_on=None,
        )
        a = services.start_application(actor=user, cycle=open_cycle, organization=org_i)
        services.save_draft(actor=user, application=a, data=complete_form())
        services.submit_application(actor=user, application=a)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert _call(office, "get", "/applications").json()["count"] == 9


def test_word_and_excel_downloads(
    open_cycle: Cycle, personas: dict[str, User], org: object
) -> None:
    applicant = _client("p_applicant")
    app_id = _call(applicant, "post", "/applications", {"cycle": str(open_cycle.public_id)}).json()[
        "id"
    ]
    _call(applicant, "put", f"/applications/{app_id}/form", complete_form())
    _call(applicant, "post", f"/applications/{app_id}/submit")
    docx = _call(applicant, "get", f"/applications/{app_id}/form.docx")
    assert docx.status_code == 200
    assert docx.content[:2] == b"PK"
    assert "wordprocessingml" in docx["Content-Type"]
    assert _call(_client("p_expert"), "get", f"/applications/{app_id}/form.docx").status_code == 404
    xlsx = _call(_client("p_office"), "get", "/applications/export.xlsx?state=submitted")
    assert xlsx.status_code == 200
    assert "spreadsheetml" in xlsx["Content-Type"]


@pytest.mark.req("A29.1")
def test_standing_and_organization_through_the_api(
    open_cycle: Cycle, personas: dict[str, User], org: Any
) -> None:
    office = _client("p_office")
    ban = _call(
        office,
        "post",
        "/bans",
        {"uscc": org.uscc, "starts_on": "2025-01-10", "reason": "造假", "decision_ref": "决定"},
    )
    assert ban.status_code == 201
    award = _call(
        office,
        "post",
        "/award-records",
        {
            "uscc": org.uscc,
            "year": 2022,
            "level": "award",
            "announced_on": "2023-01-16",
            "document_number": "皋政发〔2023〕5号",
        },
    )
    assert award.status_code == 201
    assert (
        _call(
            _client("p_applicant"),
            "post",
            "/bans",
            {"uscc": org.uscc, "starts_on": "2025-01-10", "reason": "x", "decision_ref": "y"},
        ).status_code
        == 403
    )
    applicant = _client("p_applicant")
    assert _call(applicant, "get", "/organization").json()["uscc"] == org.uscc
    patched = _call(applicant, "patch", "/organization", {"environmental_rating": "blue"})
    assert patched.json()["environmental_rating"] == "blue"
    added = _call(
        applicant,
        "post",
        "/organization/contacts",
        {"username": "colleague", "password": "Lantern#2026c", "full_name": "同事"},
    )
    assert added.status_code == 201
    assert _call(_client("p_office"), "get", "/organization").status_code == 404
    app_id = _call(applicant, "post", "/applications", {"cycle": str(open_cycle.public_id)}).json()[
        "id"
    ]
    _call(applicant, "put", f"/applications/{app_id}/form", complete_form())
    preview = {
        f["rule"]: f for f in _call(applicant, "get", f"/applications/{app_id}/eligibility").json()
    }
    assert preview["a29_ban"]["outcome"] == "fail"
    assert "第二十九条" in preview["a29_ban"]["message"]
