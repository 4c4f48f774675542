"""Shared fixtures: the Rugao program, its 2021 policy, and one persona per role."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from hypothesis import settings as hypothesis_settings

from accounts.models import Organization, RecommendingUnit, Role, User
from accounts.services import create_user, grant_role
from lib import sms
from programs import demo
from programs.models import AwardProgram, Cycle, Policy, Stage
from programs.services import create_cycle, set_cycle_dates

# Tests assert behaviour, never seconds (benchmarks measure time): no Hypothesis deadline, which
# a loaded CI machine running two xdist workers missed on a 9 ms example (518 ms once).
hypothesis_settings.register_profile("project", deadline=None)
hypothesis_settings.load_profile("project")

PASSWORD = "Pw#2026abc"

# Dates of a valid 2026 cycle; the notice 2026-11-25..12-01 holds exactly 5 working days.
STAGES_2026: dict[Stage, tuple[dt.date, dt.date]] = dict(demo.DEMO_STAGES)


@pytest.fixture
def program(db: None) -> AwardProgram:
    demo.seed_units()
    return demo.seed_program()


@pytest.fixture
def policy(program: AwardProgram) -> Policy:
    return program.policies.get()


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(
        role: Role | None = None,
        *,
        username: str | None = None,
        unit: RecommendingUnit | None = None,
        organization: Organization | None = None,
    ) -> User:
        name = username or f"{role.value if role else 'user'}{next(counter)}"
        user = create_user(actor=None, actor_role="system", username=name, password=PASSWORD)
        if role is not None:
            grant_role(
                actor=None,
                actor_role="system",
                user=user,
                role=role,
                recommending_unit=unit,
                organization=organization,
            )
        return user

    return make


@pytest.fixture
def organization(program: AwardProgram) -> Organization:
    return demo.seed_organization()


@pytest.fixture
def personas(
    make_user: Callable[..., User], program: AwardProgram, organization: Organization
) -> dict[str, User | None]:
    """One user per role (plus `outsider`: signed in, no role; `anon`: nobody)."""
    unit = RecommendingUnit.objects.get(name="如城街道")
    people: dict[str, User | None] = {
        "anon": None,
        "outsider": make_user(None, username="outsider"),
    }
    for role in Role:
        people[role.value] = make_user(
            role,
            username=f"p_{role.value}",
            unit=unit if role == Role.RECOMMENDER else None,
            organization=organization if role == Role.APPLICANT else None,
        )
    return people


@pytest.fixture
def office(personas: dict[str, User | None]) -> User:
    user = personas["office"]
    assert user is not None
    return user


@pytest.fixture
def cycle(program: AwardProgram, office: User) -> Cycle:
    """A draft 2026 cycle with valid dates."""
    cycle = create_cycle(actor=office, program=program, year=2026)
    set_cycle_dates(actor=office, cycle=cycle, dates=STAGES_2026)
    return cycle


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user, backend="accounts.backends.PasswordBackend")
    return client


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    """PBKDF2 costs ~0.3 s a user and tests create dozens: a fast hasher. Static files by their
    own names, as the live server's finders serve them, even when a `make run` left a manifest
    in var/static. Production keeps both defaults."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Audit checkpoints in a directory of the test's own, never var/; written when a test asks.
    settings.AUDIT_ANCHOR_DIR = tmp_path_factory.mktemp("audit-anchors")
    settings.AUDIT_ANCHOR_AUTO = False
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    }
    settings.SMS_BACKEND = "lib.sms.LocmemBackend"
    sms.outbox.clear()


# Each xdist worker (and each run: several people share the machine's Redis) counts under its
# own prefix, cleared between tests by pattern (never FLUSHDB: the database is shared).
THROTTLE_PREFIX = f"test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{os.getpid()}"


@pytest.fixture(autouse=True)
def _throttle(settings):  # type: ignore[no-untyped-def]
    """Throttle counters (lib/throttle.py) in the real Redis, under this worker's prefix, and
    none left from the test before."""
    settings.CACHES = settings.CACHES | {
        "throttle": settings.CACHES["throttle"] | {"KEY_PREFIX": THROTTLE_PREFIX}
    }
    _clear_throttle()
    yield
    _clear_throttle()


def _clear_throttle() -> None:
    from django.conf import settings
    from django.core.cache import caches

    if not settings.REDIS_URL:
        caches["throttle"].clear()  # a LocMemCache of this process alone
        return
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{THROTTLE_PREFIX}:*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(autouse=True)
def _chinese() -> None:
    """Services called directly speak Chinese, as they do inside a request (LocaleMiddleware)."""
    translation.activate("zh-hans")


ApiUser = tuple[Client, dict[str, str]]


def api_client(username: str, password: str = PASSWORD) -> ApiUser:
    """A client with a bearer token for /api/v1/, as an integration would hold one."""
    client = Client()
    token = client.post(
        "/api/v1/auth/token",
        json.dumps({"username": username, "password": password, "scope": "full"}),
        content_type="application/json",
    ).json()["token"]
    return client, {"Authorization": f"Bearer {token}"}


def api_call(who: ApiUser, method: str, path: str, body: Any = None) -> Any:
    client, headers = who
    kwargs: dict[str, Any] = {"headers": headers}
    if body is not None:
        kwargs |= {"data": json.dumps(body, default=str), "content_type": "application/json"}
    return getattr(client, method)(f"/api/v1{path}", **kwargs)
