"""Sessions and API tokens (issue 15, part 4): idle and absolute limits per role, tokens listed
and revoked by their owner and the security administrator, and the headers of every response.

GB/T 22239-2019 level 3, 8.1.4.1 (身份鉴别: 登录连接超时自动退出) and 8.1.4.2 (访问控制);
OWASP ASVS 5.0 V7.3 (session timeout), V7.4 (session termination), V14.3 (no-store on
sensitive responses), V3.4 (browser security headers).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken, User
from audit.models import AuditEvent
from tests.conftest import ApiUser, api_call, api_client, client_for

CST = dt.timezone(dt.timedelta(hours=8))
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=CST)
DASHBOARD = "/accounts/me/"


def _at(time_machine: Any, minutes: float) -> None:
    time_machine.move_to(START + dt.timedelta(minutes=minutes), tick=False)


def _signed_out(response: Any, client: Client, words: str) -> None:
    """Sent to the login page, told why in Chinese, and signed out for good."""
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    page = client.get(response["Location"])
    assert words in page.content.decode()
    assert "_auth_user_id" not in client.session


# --- idle and absolute limits -----------------------------------------------------------------


@pytest.mark.req("A3.1")
@pytest.mark.parametrize(
    ("persona", "idle"),
    [("office", 30), ("expert", 30), ("sysadmin", 15), ("secadmin", 15), ("auditadmin", 15)],
)
def test_a_session_ends_after_its_idle_limit(
    personas: dict[str, User], time_machine: Any, persona: str, idle: int
) -> None:
    """等保 8.1.4.1 c) 登录连接超时自动退出; ASVS 7.3.1: 30 minutes without a request, 15 for the
    three administrators; any request restarts the count."""
    _at(time_machine, 0)
    client = client_for(personas[persona])
    assert client.get(DASHBOARD).status_code == 200
    _at(time_machine, idle - 1)
    assert client.get(DASHBOARD).status_code == 200
    _at(time_machine, 2 * idle - 2)  # idle - 1 since the last request: still signed in
    assert client.get(DASHBOARD).status_code == 200
    _at(time_machine, 3 * idle - 2)
    _signed_out(client.get(DASHBOARD), client, f"您已超过{idle}分钟未操作")
    logout = AuditEvent.objects.filter(action="accounts.logout", actor=personas[persona])
    assert logout.count() == 1


@pytest.mark.req("A3.1")
@pytest.mark.parametrize(("persona", "hours"), [("office", 8), ("secadmin", 2)])
def test_a_busy_session_still_ends_at_its_absolute_limit(
    personas: dict[str, User], time_machine: Any, persona: str, hours: int
) -> None:
    """ASVS 7.3.2: a request every 10 minutes keeps the session no longer than 8 hours after
    sign-in, 2 for an administrator."""
    _at(time_machine, 0)
    client = client_for(personas[persona])
    for minutes in range(0, hours * 60, 10):
        _at(time_machine, minutes)
        assert client.get(reverse("accounts:inbox")).status_code == 200, minutes
    _at(time_machine, hours * 60)
    _signed_out(client.get(reverse("accounts:inbox")), client, f"本次登录已满{hours}小时")


def test_the_limits_are_settings() -> None:
    assert (settings.SESSION_IDLE_MINUTES, settings.SESSION_IDLE_MINUTES_ADMIN) == (30, 15)
    assert (settings.SESSION_ABSOLUTE_HOURS, settings.SESSION_ABSOLUTE_HOURS_ADMIN) == (8, 2)


@pytest.mark.req("A3.1")
def test_the_limits_follow_the_settings(
    personas: dict[str, User], time_machine: Any, settings: Any
) -> None:
    settings.SESSION_IDLE_MINUTES = 5
    _at(time_machine, 0)
    client = client_for(personas["office"])
    assert client.get(DASHBOARD).status_code == 200
    _at(time_machine, 5)
    _signed_out(client.get(DASHBOARD), client, "您已超过5分钟未操作")


@pytest.mark.req("A3.1")
def test_an_expired_session_on_the_api_is_a_json_401(
    personas: dict[str, User], time_machine: Any
) -> None:
    _at(time_machine, 0)
    client = client_for(personas["office"])
    assert client.get("/api/v1/me").status_code == 200
    _at(time_machine, 31)
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "session_expired"
    assert "未操作" in response.json()["message"]
    assert client.get("/api/v1/me").status_code == 401


# --- API tokens ---------------------------------------------------------------------------------


def _token_of(who: ApiUser) -> str:
    return who[1]["Authorization"].removeprefix("Bearer ")


@pytest.mark.req("A3.1")
def test_an_administrators_token_lasts_no_longer_than_their_session(
    personas: dict[str, User],
) -> None:
    for username, hours in (("p_office", settings.API_TOKEN_HOURS), ("p_secadmin", 2)):
        api_client(username)
        token = ApiToken.objects.filter(user__username=username).get()
        lasts = token.expires_at - timezone.now()
        assert dt.timedelta(hours=hours) - dt.timedelta(minutes=1) < lasts
        assert lasts <= dt.timedelta(hours=hours)


@pytest.mark.req("A3.1")
def test_the_owner_lists_their_tokens_without_the_keys(personas: dict[str, User]) -> None:
    """ASVS 7.4.5: a user sees their active sessions (here: tokens) and can end each."""
    first = api_client("p_office")
    second = api_client("p_office")
    api_client("p_expert")
    response = api_call(second, "get", "/auth/tokens")
    assert response.status_code == 200
    rows = response.json()
    assert len(rows) == 2
    assert [row["current"] for row in rows] == [True, False]
    assert set(rows[0]) == {"id", "created_at", "expires_at", "last_used_at", "scope", "current"}
    text = response.content.decode()
    for who in (first, second):
        assert _token_of(who) not in text


@pytest.mark.req("A3.1")
def test_the_owner_revokes_a_token_and_it_no_longer_works(personas: dict[str, User]) -> None:
    lost = api_client("p_office")
    kept = api_client("p_office")
    lost_id = ApiToken.objects.order_by("pk").first().pk  # type: ignore[union-attr]
    assert api_call(kept, "delete", f"/auth/tokens/{lost_id}").status_code == 204
    assert api_call(lost, "get", "/me").status_code == 401
    assert api_call(kept, "get", "/me").status_code == 200
    event = AuditEvent.objects.filter(action="accounts.token.revoke").get()
    assert (event.actor, event.role, event.object_id) == (
        personas["office"],
        "self",
        str(personas["office"].pk),
    )
    assert event.before["token"] == lost_id  # type: ignore[index]
    assert api_call(kept, "delete", f"/auth/tokens/{lost_id}").status_code == 404


@pytest.mark.req("A3.1")
@pytest.mark.parametrize("persona", ["expert", "sysadmin", "auditadmin", "applicant"])
def test_nobody_else_sees_or_revokes_a_token(personas: dict[str, User], persona: str) -> None:
    victim = api_client("p_office")
    other = api_client(f"p_{persona}")
    victim_id = ApiToken.objects.get(user=personas["office"]).pk
    assert api_call(other, "delete", f"/auth/tokens/{victim_id}").status_code == 404
    assert api_call(other, "get", "/auth/tokens?username=p_office").status_code == 403
    assert api_call(victim, "get", "/me").status_code == 200
    assert not AuditEvent.objects.filter(action="accounts.token.revoke").exists()
    page = client_for(personas[persona]).post(
        reverse("accounts:token_revoke", args=[victim_id]), {"reason": "试探"}
    )
    assert page.status_code == 404
    assert ApiToken.objects.filter(pk=victim_id).exists()


@pytest.mark.req("A3.1")
def test_the_security_administrator_revokes_anyones_token_with_a_reason(
    personas: dict[str, User],
) -> None:
    victim = api_client("p_office")
    secadmin = api_client("p_secadmin")
    listed = api_call(secadmin, "get", "/auth/tokens?username=p_office").json()
    assert len(listed) == 1
    assert listed[0]["current"] is False
    token_id = listed[0]["id"]
    refused = api_call(secadmin, "delete", f"/auth/tokens/{token_id}")
    assert refused.status_code == 400
    assert "理由" in refused.json()["message"]
    path = f"/auth/tokens/{token_id}?reason=疑似泄露"
    assert api_call(secadmin, "delete", path).status_code == 204
    assert api_call(victim, "get", "/me").status_code == 401
    event = AuditEvent.objects.filter(action="accounts.token.revoke").get()
    assert (event.actor, event.role, event.reason) == (personas["secadmin"], "secadmin", "疑似泄露")
    assert event.object_id == str(personas["office"].pk)


@pytest.mark.req("A3.1")
def test_the_security_administrators_page_lists_and_revokes_tokens(
    personas: dict[str, User],
) -> None:
    api_client("p_office")
    token = ApiToken.objects.get()
    client = client_for(personas["secadmin"])
    page = client.get(reverse("accounts:tokens"))
    assert page.status_code == 200
    assert "p_office" in page.content.decode()
    assert token.key_hash not in page.content.decode()
    revoke = reverse("accounts:token_revoke", args=[token.pk])
    client.post(revoke, {"reason": ""})
    assert ApiToken.objects.filter(pk=token.pk).exists()
    response = client.post(revoke, {"reason": "人员离职"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:tokens")
    assert not ApiToken.objects.exists()
    assert AuditEvent.objects.filter(action="accounts.token.revoke", reason="人员离职").exists()


@pytest.mark.req("A3.1")
def test_the_owner_sees_and_revokes_tokens_on_the_workbench(personas: dict[str, User]) -> None:
    api_client("p_expert")
    token = ApiToken.objects.get()
    client = client_for(personas["expert"])
    page = client.get(DASHBOARD).content.decode()
    assert "我的API令牌" in page
    assert reverse("accounts:token_revoke", args=[token.pk]) in page
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response["Location"] == DASHBOARD
    assert not ApiToken.objects.exists()
    assert "我的API令牌" not in client.get(DASHBOARD).content.decode()


@pytest.mark.req("A3.1")
def test_signing_out_with_a_token_revokes_it(personas: dict[str, User]) -> None:
    """ASVS 7.4.1: the presented token ends at sign-out (the API's logout)."""
    who = api_client("p_office")
    assert api_call(who, "delete", "/auth/token").status_code == 204
    assert api_call(who, "get", "/me").status_code == 401
    assert not ApiToken.objects.exists()


@pytest.mark.req("A3.1")
def test_signing_out_of_the_pages_revokes_the_users_tokens(personas: dict[str, User]) -> None:
    """The finding: tokens survived logout. Signing out of the web session ends them, audited."""
    office = personas["office"]
    who = api_client("p_office")
    assert api_call(who, "get", "/me").status_code == 200
    client = client_for(office)
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert api_call(who, "get", "/me").status_code == 401
    assert not ApiToken.objects.filter(user=office).exists()
    event = AuditEvent.objects.filter(action="accounts.token.revoke").latest("pk")
    assert event.reason == "退出登录"


# --- headers ----------------------------------------------------------------------------------


def _permissions_policy(response: Any) -> None:
    policy = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment"):
        assert f"{feature}=()" in policy


@pytest.mark.req("A3.1")
def test_signed_in_pages_and_json_are_never_stored(personas: dict[str, User]) -> None:
    """ASVS 14.3.2: no-store on every response to a signed-in caller (等保 8.1.4.8 剩余信息保护)."""
    page = client_for(personas["office"]).get(DASHBOARD)
    assert "no-store" in page["Cache-Control"]
    _permissions_policy(page)
    json_response = api_call(api_client("p_office"), "get", "/me")
    assert json_response.status_code == 200
    assert "no-store" in json_response["Cache-Control"]
    _permissions_policy(json_response)
    session_json = client_for(personas["office"]).get("/api/v1/me")
    assert "no-store" in session_json["Cache-Control"]


def test_public_pages_may_be_cached_and_carry_the_permissions_policy(
    program: Any,
) -> None:
    response = Client().get(reverse("programs:home"))
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    _permissions_policy(response)
    api = Client().get("/api/v1/cycles")
    assert "no-store" not in api.get("Cache-Control", "")
    _permissions_policy(api)
    failed = Client().post(
        "/api/v1/auth/token",
        json.dumps({"username": "nobody", "password": "x"}),
        content_type="application/json",
    )
    _permissions_policy(failed)


@pytest.mark.req("A3.1")
def test_a_password_change_revokes_the_tokens_made_with_the_old_one(
    personas: dict[str, User],
) -> None:
    """A token stolen with the old password dies with it: a change on the page revokes every
    token; a change through the API keeps only the token it was made with."""
    from tests.conftest import PASSWORD

    first, second = api_client("p_office"), api_client("p_office")
    response = api_call(
        second,
        "post",
        "/auth/password",
        {"old_password": PASSWORD, "new_password": "Qz!9新密码-长一些"},
    )
    assert response.status_code == 204
    assert api_call(first, "get", "/me").status_code == 401
    assert api_call(second, "get", "/me").status_code == 200
    revoked = AuditEvent.objects.filter(action="accounts.token.revoke")
    assert [e.reason for e in revoked] == ["修改密码"]
    page = client_for(User.objects.get(pk=personas["office"].pk))  # the new password's session
    answer = page.post(
        reverse("accounts:password_change"),
        {
            "old_password": "Qz!9新密码-长一些",
            "new_password1": "Yx#8另一个密码-也够长",
            "new_password2": "Yx#8另一个密码-也够长",
        },
    )
    assert answer.status_code == 302
    assert api_call(second, "get", "/me").status_code == 401
    assert not ApiToken.objects.filter(user=personas["office"]).exists()
