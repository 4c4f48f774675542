"""Throttling per source address and per account (issue 15 part 2; lib/throttle.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client

from accounts.models import ApiToken, User
from audit.models import AuditEvent
from lib import throttle
from tests.conftest import PASSWORD, api_call, api_client, client_for


@pytest.mark.req("A3.1")
def test_fixed_window_allows_the_limit_then_refuses() -> None:
    allowed = [throttle.hit("t", "10.0.0.1", limit=3, window_seconds=60) for _ in range(5)]
    assert allowed == [True, True, True, False, False]
    assert throttle.blocked("t", "10.0.0.1", limit=3)
    assert not throttle.blocked("t", "10.0.0.2", limit=3)  # another key counts apart
    throttle.reset("t", "10.0.0.1")
    assert not throttle.blocked("t", "10.0.0.1", limit=3)
    assert throttle.hit("t", "10.0.0.1", limit=3, window_seconds=60)


@pytest.mark.req("A3.1")
def test_counters_live_in_redis_hashed_with_an_expiry() -> None:
    """Shared by every process (the real Redis), no address in clear, gone after the window."""
    from django.conf import settings

    assert caches["throttle"].__class__.__name__ == "RedisCache"
    throttle.hit("t", "用户 名!", limit=3, window_seconds=60)
    client = caches["throttle"]._cache.get_client(write=False)  # type: ignore[attr-defined]
    keys = [k.decode() for k in client.keys(f"{settings.CACHES['throttle']['KEY_PREFIX']}:*")]
    assert len(keys) == 1
    assert "用户" not in keys[0]
    assert 0 < client.ttl(keys[0]) <= 60


@pytest.mark.req("A3.1")
def test_a_cache_that_is_down_allows(settings) -> None:  # type: ignore[no-untyped-def]
    """A broken Redis does not lock everyone out (django-axes still limits each account)."""
    settings.CACHES = settings.CACHES | {
        "throttle": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    assert throttle.hit("t", "x", limit=0, window_seconds=60) is True
    assert throttle.blocked("t", "x", limit=0) is False


# --- per client address: credential stuffing ------------------------------------------------


def _login(username: str, password: str, ip: str) -> Any:
    return Client().post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )


@pytest.mark.req("A3.1")
def test_one_address_failing_against_many_usernames_is_throttled(
    settings: Any, make_user: Callable[..., User]
) -> None:
    """Each username fails once only (django-axes, per account, never fires): the address is
    what repeats, and it is stopped with a Chinese 429, audited once."""
    settings.LOGIN_IP_FAILURE_LIMIT = 5
    make_user(None, username="victim")
    for n in range(5):
        assert _login(f"user{n}", "Guess#2026x", "203.0.113.7").status_code == 200
    blocked = _login("victim", PASSWORD, "203.0.113.7")  # even the right password
    assert blocked.status_code == 429
    assert "失败次数过多" in blocked.content.decode()
    api = Client().post(
        "/api/v1/auth/token",
        json.dumps({"username": "victim", "password": PASSWORD}),
        content_type="application/json",
        REMOTE_ADDR="203.0.113.7",
    )
    assert api.status_code == 429
    assert api.json()["code"] == "throttled"
    assert "失败次数过多" in api.json()["message"]
    # Another address is not affected; the block is audited once, with the address.
    assert _login("victim", PASSWORD, "198.51.100.2").status_code == 302
    [event] = AuditEvent.objects.filter(action="accounts.login.throttled")
    assert (event.after or {})["client_address"] == "203.0.113.7"


@pytest.mark.req("A3.1")
def test_api_failures_count_too(settings: Any, make_user: Callable[..., User]) -> None:
    settings.LOGIN_IP_FAILURE_LIMIT = 3
    for n in range(3):
        Client().post(
            "/api/v1/auth/token",
            json.dumps({"username": f"u{n}", "password": "x"}),
            content_type="application/json",
            REMOTE_ADDR="203.0.113.9",
        )
    assert _login("anyone", "x", "203.0.113.9").status_code == 429


@pytest.mark.req("A3.1")
def test_the_address_behind_a_trusted_proxy_is_the_client(
    settings: Any, make_user: Callable[..., User]
) -> None:
    """Behind the deployment's proxy every request comes from the proxy: the client is read
    from X-Forwarded-For (audit.context.client_ip), so one client does not block the office."""
    settings.LOGIN_IP_FAILURE_LIMIT = 3
    settings.AUDIT_TRUSTED_PROXIES = ["10.0.0.1"]
    make_user(None, username="clerk")

    def through_proxy(client_ip: str, password: str) -> int:
        return (
            Client()
            .post(
                "/accounts/login/",
                {"username": "clerk", "password": password},
                REMOTE_ADDR="10.0.0.1",
                HTTP_X_FORWARDED_FOR=client_ip,
            )
            .status_code
        )

    for _ in range(3):
        through_proxy("203.0.113.50", "wrong")
    assert through_proxy("203.0.113.50", PASSWORD) == 429
    assert through_proxy("203.0.113.51", PASSWORD) == 302


# --- token scope ---------------------------------------------------------------------------


@pytest.mark.req("A3.1")
def test_a_token_is_read_only_unless_full_is_asked(personas: dict[str, User]) -> None:
    client = Client()
    body = {"username": "p_applicant", "password": PASSWORD}
    issued = client.post("/api/v1/auth/token", json.dumps(body), content_type="application/json")
    assert issued.json()["scope"] == "read"
    read = (client, {"Authorization": f"Bearer {issued.json()['token']}"})
    assert api_call(read, "get", "/me").status_code == 200
    refused = api_call(read, "patch", "/organization", {"chief_quality_officer": "张华"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "token_scope"
    assert "只读" in refused.json()["message"]
    listed = api_call(read, "get", "/auth/tokens").json()
    assert [t["scope"] for t in listed] == ["read"]
    full = api_client("p_applicant")  # asks for "full"
    assert (
        api_call(full, "patch", "/organization", {"chief_quality_officer": "张华"}).status_code
        == 200
    )
    # A read token may still end itself.
    assert api_call(read, "delete", "/auth/token").status_code == 204
    assert set(ApiToken.objects.values_list("scope", flat=True)) == {"full"}


@pytest.mark.req("A3.1")
def test_the_tokens_page_shows_the_scope_in_constant_queries(personas: dict[str, User]) -> None:
    """The security administrator's token list: the same number of queries for 1 token or 7."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(personas["secadmin"])
    api_client("p_office")
    client.get("/accounts/tokens/")  # warm: the session's first save
    with CaptureQueriesContext(connection) as one:
        page = client.get("/accounts/tokens/")
    assert page.content.decode().count("读写") == 1
    for _ in range(6):
        api_client("p_expert")
    with CaptureQueriesContext(connection) as seven:
        page = client.get("/accounts/tokens/")
    assert page.content.decode().count("读写") == 7
    assert len(one) > 0
    assert len(seven) == len(one)
