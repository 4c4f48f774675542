"""Accounts: scoped roles, 三员分立, passwords, lockout and idle expiry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from accounts.models import Organization, RecommendingUnit, Role, RoleAssignment, User
from accounts.selectors import roles_of
from accounts.services import create_user, grant_role
from audit.models import AuditEvent
from lib.errors import ServiceError
from tests.conftest import PASSWORD, pass_otp


def test_every_role_of_the_measures_exists() -> None:
    labels = {r.value: str(r.label) for r in Role}
    assert labels["office"] == "委员会办公室"  # A6.2
    assert labels["committee"] == "质量发展委员会委员"  # A6.1
    assert labels["expert"] == "评审专家"  # A6.3
    assert labels["recommender"] == "推荐单位审核人"  # A7.1
    assert labels["supervisor"] == "评审监督员"  # A27.1


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (Role.SYSADMIN, Role.SECADMIN),
        (Role.SECADMIN, Role.AUDITADMIN),
        (Role.AUDITADMIN, Role.SYSADMIN),
    ],
)
def test_grant_role_refuses_a_second_administrator_role(
    make_user: Callable[..., User], first: Role, second: Role
) -> None:
    user = make_user(first)
    with pytest.raises(ServiceError, match="不得由同一人兼任"):
        grant_role(actor=None, actor_role="system", user=user, role=second)
    assert roles_of(User.objects.get(pk=user.pk)) == {first}


def test_database_refuses_a_second_administrator_role(make_user: Callable[..., User]) -> None:
    """Even code that skips the service cannot give one person two of the three."""
    user = make_user(Role.SYSADMIN)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role=Role.AUDITADMIN)


def test_an_administrator_holds_no_business_role(make_user: Callable[..., User]) -> None:
    """三员分立 (issue 15 part 3): an administrator role is its holder's only role."""
    user = make_user(Role.SYSADMIN)
    with pytest.raises(ServiceError, match="不得兼任任何业务角色"):
        grant_role(actor=None, actor_role="system", user=user, role=Role.COMMITTEE)
    assert roles_of(User.objects.get(pk=user.pk)) == {Role.SYSADMIN}


def test_scoped_roles_need_their_scope(make_user: Callable[..., User], program: object) -> None:
    user = make_user(None)
    with pytest.raises(ServiceError, match="须指定推荐单位"):
        grant_role(actor=None, actor_role="system", user=user, role=Role.RECOMMENDER)
    with pytest.raises(ServiceError, match="须指定组织"):
        grant_role(actor=None, actor_role="system", user=user, role=Role.APPLICANT)
    unit = RecommendingUnit.objects.get(name="白蒲镇")
    grant_role(
        actor=None, actor_role="system", user=user, role=Role.RECOMMENDER, recommending_unit=unit
    )
    assert RoleAssignment.objects.get(user=user).recommending_unit == unit


def test_grant_role_is_audited(make_user: Callable[..., User], organization: Organization) -> None:
    user = make_user(None)
    grant_role(
        actor=None,
        actor_role="system",
        user=user,
        role=Role.APPLICANT,
        organization=organization,
        reason="注册",
    )
    event = AuditEvent.objects.filter(action="accounts.role.grant", object_id=str(user.pk)).get()
    assert event.after == {
        "assignment": RoleAssignment.objects.get(user=user).pk,  # its row (audit_verify --state)
        "role": "applicant",
        "recommending_unit": None,
        "organization": organization.pk,
    }
    assert event.reason == "注册"


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Ab1!", "太短"),
        ("abcdefgh1", "至少三类"),
        ("Zhangwei#2026", "不得包含用户名"),
    ],
)
@pytest.mark.django_db
def test_password_rules(password: str, message: str) -> None:
    with pytest.raises(ServiceError, match=message):
        create_user(actor=None, actor_role="system", username="zhangwei", password=password)
    assert not User.objects.filter(username="zhangwei").exists()


@pytest.mark.django_db
def test_password_with_three_classes_is_accepted() -> None:
    user = create_user(
        actor=None, actor_role="system", username="zhangwei", password="Mulberry#Kite7"
    )
    assert user.check_password("Mulberry#Kite7")


def _login(client: Client, username: str, password: str, ip: str = "10.0.0.1") -> int:
    response = client.post(
        reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )
    return response.status_code


def test_login_and_logout(make_user: Callable[..., User]) -> None:
    user = make_user(Role.OFFICE)
    client = Client()
    assert _login(client, user.username, PASSWORD) == 302
    assert pass_otp(client, user).status_code == 302  # staff: the second factor
    assert client.get(reverse("accounts:dashboard")).status_code == 200
    assert client.get(reverse("accounts:logout")).status_code == 405  # a link cannot log out
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(reverse("accounts:dashboard")).status_code == 302


def test_lockout_after_five_failures_is_keyed_by_account_not_ip(
    make_user: Callable[..., User],
) -> None:
    victim = make_user(Role.OFFICE)
    colleague = make_user(Role.OFFICE)
    for i in range(4):
        # Different addresses: rotating IPs must not escape the lockout.
        assert _login(Client(), victim.username, "wrong-password", ip=f"10.0.0.{i}") == 200
    assert _login(Client(), victim.username, "wrong-password", ip="10.0.0.5") == 429  # the 5th
    response = Client().post(
        reverse("accounts:login"),
        {"username": victim.username, "password": PASSWORD},
        REMOTE_ADDR="10.9.9.9",
    )
    assert response.status_code == 429
    assert "已锁定30分钟" in response.content.decode()
    # A colleague behind the same government proxy still logs in.
    assert _login(Client(), colleague.username, PASSWORD, ip="10.0.0.1") == 302


def test_lockout_ends_after_thirty_minutes(make_user: Callable[..., User], time_machine) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.OFFICE)
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
    for _ in range(5):
        _login(Client(), user.username, "wrong-password")
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 10, tzinfo=dt.UTC), tick=False)
    assert _login(Client(), user.username, PASSWORD) == 429  # locked, even with the password
    # Each attempt while locked restarts the 30 minutes (axes counts it as a failure).
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 39, tzinfo=dt.UTC), tick=False)
    assert _login(Client(), user.username, PASSWORD) == 429
    time_machine.move_to(dt.datetime(2026, 3, 2, 10, 10, tzinfo=dt.UTC), tick=False)
    assert _login(Client(), user.username, PASSWORD) == 302


def test_idle_session_expires_after_thirty_minutes(
    make_user: Callable[..., User], time_machine
) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.OFFICE)
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
    client = Client()
    assert _login(client, user.username, PASSWORD) == 302
    assert pass_otp(client, user).status_code == 302
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 29, tzinfo=dt.UTC), tick=False)
    assert client.get(reverse("accounts:dashboard")).status_code == 200  # activity renews it
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 58, tzinfo=dt.UTC), tick=False)
    assert client.get(reverse("accounts:dashboard")).status_code == 200
    time_machine.move_to(dt.datetime(2026, 3, 2, 10, 29, tzinfo=dt.UTC), tick=False)
    response = client.get(reverse("accounts:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_nobody_is_a_django_superuser_in_the_demo(db: None) -> None:
    """Superusers pass every permission check, which would defeat 三员分立."""
    from programs import demo

    demo.seed()
    assert not User.objects.filter(is_superuser=True).exists()


def test_database_refuses_a_superuser(db: None) -> None:
    """`createsuperuser` or a stray flag cannot make an account that passes every check."""
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_superuser("root", password="Root#2026x")


def test_granting_a_role_twice_says_so(make_user: Callable[..., User]) -> None:
    user = make_user(Role.SYSADMIN)
    with pytest.raises(ServiceError, match="已具有此角色"):
        grant_role(actor=None, actor_role="system", user=user, role=Role.SYSADMIN)


def test_admin_login_sends_everyone_to_the_one_login_page(make_user: Callable[..., User]) -> None:
    response = Client().get(reverse("admin:index"))
    assert response.status_code == 302
    login = Client().get(response["Location"])
    assert login.status_code == 302
    assert login["Location"].startswith(reverse("accounts:login"))
    sysadmin = make_user(Role.SYSADMIN)
    client = Client()
    assert _login(client, sysadmin.username, PASSWORD) == 302
    assert pass_otp(client, sysadmin).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
