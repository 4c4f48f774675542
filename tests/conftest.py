"""Shared fixtures: the Rugao program, its 2021 policy, and one persona per role."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import settings as hypothesis_settings

from accounts import two_factor
from accounts.models import (
    PROGRAM_ROLES,
    STAFF_ROLES,
    Organization,
    RecommendingUnit,
    Role,
    RoleAssignment,
    User,
)
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
def make_user(db: None, request: pytest.FixtureRequest) -> Callable[..., User]:
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
        if role in PROGRAM_ROLES:
            request.getfixturevalue("program")  # held in a program (decision 0030): Rugao's
        if role is not None:
            grant_role(
                actor=None,
                actor_role="system",
                user=user,
                role=role,
                recommending_unit=unit,
                organization=organization,
            )
            if role in STAFF_ROLES:
                otp_device(user)  # staff sign in with two factors (accounts.two_factor)
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
    """A signed-in client; a staff member's session has also presented a code just now."""
    client = Client()
    if user is not None:
        client.force_login(user, backend="accounts.backends.PasswordBackend")
        if needs_otp(user):
            otp_verified(client, user)
    return client


# --- two factors (issue 15 part 1): staff hold a TOTP device with a known key ------------------

# RFC 6238's test key ("12345678901234567890"), hex as django-otp stores it.
TOTP_KEY = "3132333435363738393031323334353637383930"


def needs_otp(user: User) -> bool:
    """`accounts.two_factor.required`, read afresh (no roles cached on the test's user object)."""
    return (
        RoleAssignment.objects.filter(user=user, role__in=STAFF_ROLES).exists()
        or TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    )


def otp_device(user: User) -> TOTPDevice:
    """The user's confirmed TOTP device, made with TOTP_KEY when there is none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", key=TOTP_KEY, confirmed=True)
    return device


def otp_code(user: User) -> str:
    """A code the server accepts now. The device's replay guard (a code's time step is used
    once) and its throttling are cleared first, so a test may sign in often within 30 s; the
    guard itself is tested in tests/accounts/test_two_factor.py."""
    device = otp_device(user)
    TOTPDevice.objects.filter(pk=device.pk).update(
        last_t=-1, throttling_failure_count=0, throttling_failure_timestamp=None
    )
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def pass_otp(client: Client, user: User) -> Any:
    """The second step of a sign-in through the pages: the current code on the verify page."""
    return client.post("/accounts/two-factor/verify/", {"otp": otp_code(user)})


def otp_verified(client: Client, user: User) -> None:
    """Mark the client's session as having presented a code now (django_otp.login's key)."""
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = otp_device(user).persistent_id
    session[two_factor.VERIFIED_AT] = time.time()
    session.save()


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
    # The scenarios travel through the award's year (time-machine) and staff would meet the
    # 90-day password expiry half-way; expiry is off here and proved, with its production
    # setting, in tests/accounts/test_password_policy.py.
    settings.PASSWORD_EXPIRY_DAYS = 0


# Each xdist worker (and each run: several people share the machine's Redis) keeps its cache,
# sessions and throttle counters under its own prefix, cleared between tests by pattern (never
# FLUSHDB: the database is shared).
REDIS_PREFIX = f"test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{os.getpid()}"
THROTTLE_PREFIX = f"{REDIS_PREFIX}:throttle"


@pytest.fixture(autouse=True)
def _redis_state(settings):  # type: ignore[no-untyped-def]
    """Cache, sessions and throttle counters in the real Redis (config/settings.py CACHES),
    under this worker's prefix, and none left from the test before."""
    settings.CACHES = {
        alias: config | ({"KEY_PREFIX": f"{REDIS_PREFIX}:{alias}"} if settings.REDIS_URL else {})
        for alias, config in settings.CACHES.items()
    }
    _clear_redis_state()
    yield
    _clear_redis_state()


def _clear_redis_state() -> None:
    from django.conf import settings
    from django.core.cache import caches

    if not settings.REDIS_URL:
        for alias in settings.CACHES:
            caches[alias].clear()  # a LocMemCache of this process alone
        return
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{REDIS_PREFIX}:*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(autouse=True)
def _jobs_on_commit(monkeypatch):  # type: ignore[no-untyped-def]
    """Background jobs (jobs.services) go to the workers when the caller's transaction commits;
    without a broker they run then, in this process. A test runs inside a transaction of its
    own (pytest-django) that never commits: a job queued outside any transaction of the code
    under test is sent at once, as in production; one queued inside such a transaction waits
    for its commit (django_capture_on_commit_callbacks(execute=True))."""
    from django.db import transaction

    from jobs import services as job_services

    def on_commit(func):  # type: ignore[no-untyped-def]
        connection = transaction.get_connection()
        if all(getattr(block, "_from_testcase", False) for block in connection.atomic_blocks):
            func()
        else:
            transaction.on_commit(func)

    monkeypatch.setattr(job_services, "on_commit", on_commit)


@pytest.fixture(autouse=True)
def _demo_allowed(settings) -> None:  # type: ignore[no-untyped-def]
    """Tests may load the demo (its public TOTP secrets need DEMO on, programs.demo)."""
    settings.DEMO = True


@pytest.fixture(autouse=True)
def _chinese() -> None:
    """Services called directly speak Chinese, as they do inside a request (LocaleMiddleware)."""
    translation.activate("zh-hans")


ApiUser = tuple[Client, dict[str, str]]


def api_client(username: str, password: str = PASSWORD) -> ApiUser:
    """A client with a bearer token for /api/v1/, as an integration would hold one."""
    client = Client()
    body = {"username": username, "password": password, "scope": "full"}
    user = User.objects.filter(username=username).first()
    if user is not None and needs_otp(user):
        body["otp"] = otp_code(user)
    token = client.post(
        "/api/v1/auth/token", json.dumps(body), content_type="application/json"
    ).json()["token"]
    return client, {"Authorization": f"Bearer {token}"}


def api_call(who: ApiUser, method: str, path: str, body: Any = None) -> Any:
    client, headers = who
    kwargs: dict[str, Any] = {"headers": headers}
    if body is not None:
        kwargs |= {"data": json.dumps(body, default=str), "content_type": "application/json"}
    return getattr(client, method)(f"/api/v1{path}", **kwargs)
