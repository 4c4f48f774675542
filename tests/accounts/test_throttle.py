"""Throttling per source address and per account (issue 15 part 2; lib/throttle.py)."""

from __future__ import annotations

import pytest
from django.core.cache import caches

from lib import throttle


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
