"""Fixed-window counters for throttling (issue 15 part 2: per source address and per account;
GB/T 22239-2019 8.1.4.1 b; OWASP ASVS 5.0 V6.3.1 credential stuffing).

The counters live in the Django cache alias "throttle" (settings.CACHES): Redis at
settings.REDIS_URL, shared by every worker process and server of the deployment, so a limit
holds whichever process serves the request. A counter starts at its first hit and lasts
`window_seconds` (a fixed window: the first hit sets the key's expiry, later hits only count).

    if not throttle.hit("login-ip", address, limit=30, window_seconds=900):
        ...  # refuse with 429

Keys are hashed (SHA-256): no username or address is stored in Redis in clear, and any text
(spaces, non-ASCII) makes a valid key. A cache that is down answers "allowed" and logs: a
broken Redis must not lock every person out of the system (django-axes, in the database, still
limits each account).
"""

from __future__ import annotations

import hashlib
import logging

from django.core.cache import caches

logger = logging.getLogger(__name__)

ALIAS = "throttle"


def _key(scope: str, key: str) -> str:
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"throttle:{scope}:{digest}"


def hit(scope: str, key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one event of `key` in `scope`; True while the count is within `limit` (the
    `limit`-th hit is still allowed, the next is not)."""
    return count(scope, key, window_seconds=window_seconds) <= limit


def count(scope: str, key: str, *, window_seconds: int) -> int:
    """Count one event and return the count in the current window."""
    cache = caches[ALIAS]
    name = _key(scope, key)
    try:
        # add() is atomic (SET NX on Redis): the first hit of a window sets its expiry.
        if cache.add(name, 1, timeout=window_seconds):
            return 1
        try:
            return int(cache.incr(name))
        except ValueError:  # expired between add() and incr(): a new window
            cache.add(name, 1, timeout=window_seconds)
            return 1
    except Exception:  # the cache server is down: allow, and say so in the log
        logger.exception("throttle cache unavailable (scope %s)", scope)
        return 0


def blocked(scope: str, key: str, *, limit: int) -> bool:
    """True when `key` has used up `limit` in the current window (without counting)."""
    try:
        return int(caches[ALIAS].get(_key(scope, key)) or 0) >= limit
    except Exception:
        logger.exception("throttle cache unavailable (scope %s)", scope)
        return False


def reset(scope: str, key: str) -> None:
    """Forget `key`'s count (after a success, or an administrator's unlock)."""
    try:
        caches[ALIAS].delete(_key(scope, key))
    except Exception:
        logger.exception("throttle cache unavailable (scope %s)", scope)
