"""The JSON API: token auth, the same services as the pages, errors as DESIGN.md says."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from audit.models import AuditEvent
from programs.models import Announcement, AwardProgram, Cycle, HolidayArrangement
from programs.services import publish_call
from tests.conftest import PASSWORD, STAGES_2026, needs_otp, otp_code


def _token(client: Client, user: User) -> str:
    body = {"username": user.username, "password": PASSWORD, "scope": "full"}
    if needs_otp(user):
        body["otp"] = otp_code(user)  # staff: two factors (accounts.two_factor)
    response = client.post("/api/v1/auth/token", json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content
    return str(response.json()["token"])


def _api(user: User | None) -> tuple[Client, dict[str, str]]:
    client = Client()
    headers = {"Authorization": f"Bearer {_token(client, user)}"} if user else {}
    return client, headers


def _post(user: User | None, path: str, body: Any = None, method: str = "post") -> Any:
    client, headers = _api(user)
    return getattr(client, method)(
        path, json.dumps(body or {}), content_type="application/json", headers=headers
    )


def test_token_and_me(personas: dict[str, User]) -> None:
    client, headers = _api(personas["office"])
    response = client.get("/api/v1/me", headers=headers)
    assert response.json() == {
        "username": "p_office",
        "full_name": "",
        "roles": [{"role": "office", "label": "委员会办公室"}],
    }


def test_bad_credentials_get_a_json_error(personas: dict[str, User]) -> None:
    response = Client().post(
        "/api/v1/auth/token",
        json.dumps({"username": "p_office", "password": "nope"}),
        content_type="application/json",
    )
    assert response.status_code == 401
    assert response.json()["code"] == "bad_credentials"


@pytest.mark.parametrize("username", ["p_office\x00", "", "x" * 151])
def test_a_malformed_username_is_refused_not_a_server_error(
    personas: dict[str, User], username: str
) -> None:
    """A NUL byte cannot be stored in PostgreSQL (the lockout records the attempt): schemathesis
    found it answering 500."""
    response = Client().post(
        "/api/v1/auth/token",
        json.dumps({"username": username, "password": "Pw#2026abc"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "token" not in response.json()


def test_me_without_token_is_401() -> None:
    response = Client().get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["message"] == "请先登录或提供有效的令牌。"


def test_openapi_schema_lists_the_endpoints() -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    paths = set(schema["paths"])
    assert {
        "/api/v1/auth/token",
        "/api/v1/me",
        "/api/v1/cycles",
        "/api/v1/cycles/{cycle_id}/publish",
        "/api/v1/calendar-overrides",
        "/api/v1/announcements",
        "/api/v1/policies",
    } <= paths


@pytest.mark.req("A5.1", "A11.1", "A15.1", "A6.2")
def test_office_runs_a_cycle_through_the_api(
    personas: dict[str, User], program: AwardProgram
) -> None:
    office = personas["office"]
    response = _post(office, "/api/v1/cycles", {"year": 2026})
    assert response.status_code == 201
    cycle_id = response.json()["id"]
    stages = {
        s.value: {"starts_on": str(a), "ends_on": str(b)} for s, (a, b) in STAGES_2026.items()
    }
    response = _post(office, f"/api/v1/cycles/{cycle_id}/dates", {"stages": stages}, method="put")
    assert response.status_code == 200
    assert [s["label"] for s in response.json()["stages"]][:2] == ["申报推荐", "资格审查"]
    response = _post(office, f"/api/v1/cycles/{cycle_id}/publish")
    assert response.status_code == 200
    assert response.json()["title"] == "关于开展2026年度如皋市市长质量奖申报工作的通知"
    # The same services as the pages: the same audit events.
    assert list(
        AuditEvent.objects.filter(object_type="programs.cycle").values_list("action", flat=True)
    ) == ["programs.cycle.create", "programs.cycle.set_dates", "programs.cycle.publish"]
    again = _post(office, f"/api/v1/cycles/{cycle_id}/publish")
    assert again.status_code == 409
    assert again.json()["code"] == "state_conflict"
    assert Announcement.objects.count() == 1


@pytest.mark.req("A20.1")
def test_a_short_notice_is_refused_with_the_article(
    personas: dict[str, User], cycle: Cycle
) -> None:
    stages = {
        s.value: {"starts_on": str(a), "ends_on": str(b)} for s, (a, b) in STAGES_2026.items()
    }
    stages["notice"] = {"starts_on": "2026-11-25", "ends_on": "2026-11-30"}  # 4 working days
    response = _post(
        personas["office"],
        f"/api/v1/cycles/{cycle.public_id}/dates",
        {"stages": stages},
        method="put",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["article"] == "A20.1"
    assert "第二十条" in body["message"]
    assert "notice" in body["fields"]


@pytest.mark.parametrize("role", ["applicant", "expert", "supervisor", "committee", "sysadmin"])
def test_only_the_office_creates_cycles_through_the_api(
    personas: dict[str, User], program: AwardProgram, role: str
) -> None:
    response = _post(personas[role], "/api/v1/cycles", {"year": 2026})
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert not Cycle.objects.exists()


def test_drafts_are_hidden_from_the_public(personas: dict[str, User], cycle: Cycle) -> None:
    assert Client().get("/api/v1/cycles").json() == []
    assert Client().get(f"/api/v1/cycles/{cycle.public_id}").status_code == 404
    client, headers = _api(personas["office"])
    assert len(client.get("/api/v1/cycles", headers=headers).json()) == 1


def test_announcements_paginate(personas: dict[str, User], cycle: Cycle) -> None:
    publish_call(actor=personas["office"], cycle=cycle)
    body = Client().get("/api/v1/announcements?page=1&page_size=10").json()
    assert body["count"] == 1
    assert body["results"][0]["cycle_year"] == 2026


@pytest.mark.req("A20.1")
def test_office_enters_a_holiday_arrangement_through_the_api(
    personas: dict[str, User], program: AwardProgram
) -> None:
    body = {
        "year": 2027,
        "notice_ref": "测试数据（非官方2027年安排）",
        "days": [
            {"day": "2027-01-01", "is_workday": False, "name": "元旦"},
            {"day": "2027-02-20", "is_workday": True, "name": "春节调休上班"},
        ],
    }
    response = _post(personas["office"], "/api/v1/calendar-overrides", body)
    assert response.status_code == 201
    assert HolidayArrangement.objects.get(year=2027).days.count() == 2
    bad = _post(personas["office"], "/api/v1/calendar-overrides", body | {"year": 2028})
    assert bad.status_code == 400
    assert "不在2028年内" in bad.json()["message"]


def test_validation_errors_are_json(personas: dict[str, User]) -> None:
    response = _post(personas["office"], "/api/v1/cycles", {"year": "abc"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert "year" in response.json()["fields"]


def test_tokens_expire_and_can_be_revoked(personas: dict[str, User], time_machine) -> None:  # type: ignore[no-untyped-def]
    client, headers = _api(personas["office"])
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
    client, headers = _api(personas["office"])
    time_machine.move_to(dt.datetime(2026, 3, 2, 16, 59, tzinfo=dt.UTC), tick=False)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    time_machine.move_to(dt.datetime(2026, 3, 2, 17, 1, tzinfo=dt.UTC), tick=False)
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_api_login_is_locked_out_like_the_page(personas: dict[str, User]) -> None:
    for _ in range(5):
        Client().post(
            "/api/v1/auth/token",
            json.dumps({"username": "p_office", "password": "x"}),
            content_type="application/json",
        )
    response = Client().post(
        "/api/v1/auth/token",
        json.dumps({"username": "p_office", "password": PASSWORD}),
        content_type="application/json",
    )
    assert response.status_code == 429
    assert response.json()["code"] == "locked"


def test_cycle_list_query_count_is_constant(
    personas: dict[str, User], program: AwardProgram, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    from programs.services import create_cycle

    office = personas["office"]
    create_cycle(actor=office, program=program, year=2026)
    client, headers = _api(office)
    with django_assert_max_num_queries(10) as few:
        assert len(client.get("/api/v1/cycles", headers=headers).json()) == 1
    for year in range(2030, 2040):
        create_cycle(actor=office, program=program, year=year)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/v1/cycles", headers=headers).json()) == 11


def test_a_nul_anywhere_in_a_json_body_is_refused_with_422(
    personas: dict[str, User], program: AwardProgram
) -> None:
    """PostgreSQL can hold NUL in neither text nor JSON (a server error, found first on the
    token endpoint): the API's parser refuses it in every body, nested or in a key, before any
    operation runs. Security plan #51 (ASVS 2.2.x); 等保 入侵防范 d."""
    for body in [
        {"year": 2026, "work_plan": "计划\x00"},
        {"year": 2026, "work_plan": "计划", "policy\x00": None},
    ]:
        response = _post(personas["office"], "/api/v1/cycles", body)
        assert response.status_code == 422
        assert response.json()["code"] == "invalid"
        assert "空字符" in response.json()["message"]
    days = [{"day": "2027-01-01", "is_workday": False, "name": "元\x00旦"}]
    nested = {"year": 2027, "notice_ref": "通知", "days": days}
    assert _post(personas["office"], "/api/v1/calendar-overrides", nested).status_code == 422
    assert not Cycle.objects.exists()
    assert not HolidayArrangement.objects.exists()


def test_a_body_that_is_not_json_is_a_chinese_400(personas: dict[str, User]) -> None:
    client, headers = _api(personas["office"])
    response = client.post(
        "/api/v1/cycles", "{year: 2026", content_type="application/json", headers=headers
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "bad_json",
        "message": "请求体不是有效的JSON。",
        "article": None,
        "fields": {},
    }


def test_a_nul_in_a_query_or_path_of_the_api_is_refused_with_422(
    personas: dict[str, User],
) -> None:
    client, headers = _api(personas["office"])
    for url in ["/api/v1/applications?state=%00", "/api/v1/objections/a%00b/actions"]:
        response = client.get(url, headers=headers)
        assert response.status_code == 422, url
        assert "空字符" in response.json()["message"]
