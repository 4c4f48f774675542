"""The security administrator grants and revokes roles and lifts lockouts; logins are audited."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role, RoleAssignment, User
from accounts.services import grant_role, locked_usernames
from audit.models import AuditEvent
from lib.errors import PermissionDenied
from tests.conftest import PASSWORD, client_for


def test_secadmin_grants_a_scoped_role_in_the_page(
    personas: dict[str, User], make_user: Callable[..., User]
) -> None:
    newcomer = make_user(None, username="zhou")
    response = client_for(personas["secadmin"]).post(
        reverse("accounts:role_grant"),
        {
            "username": "zhou",
            "role": "recommender",
            "recommending_unit": personas["recommender"]
            .role_assignments.get()
            .recommending_unit_id,
            "reason": "镇办新任审核人",
        },  # type: ignore[union-attr]
    )
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(user=newcomer)
    assert assignment.recommending_unit is not None
    assert assignment.recommending_unit.name == "如城街道"
    event = AuditEvent.objects.filter(
        action="accounts.role.grant", object_id=str(newcomer.pk)
    ).get()
    assert (event.actor, event.role, event.reason) == (
        personas["secadmin"],
        "secadmin",
        "镇办新任审核人",
    )


def test_grant_form_refuses_a_second_administrator_role_with_the_reason(
    personas: dict[str, User],
) -> None:
    response = client_for(personas["secadmin"]).post(
        reverse("accounts:role_grant"),
        {"username": "p_sysadmin", "role": "auditadmin", "reason": "兼任"},
    )
    assert response.status_code == 400
    assert "不得由同一人兼任" in response.content.decode()
    assert not RoleAssignment.objects.filter(user=personas["sysadmin"], role="auditadmin").exists()


@pytest.mark.parametrize("persona", ["sysadmin", "auditadmin", "office"])
def test_only_the_secadmin_grants_roles(personas: dict[str, User], persona: str) -> None:
    with pytest.raises(PermissionDenied):
        grant_role(
            actor=personas[persona], actor_role=persona, user=personas["outsider"], role=Role.EXPERT
        )
    assert not RoleAssignment.objects.filter(user=personas["outsider"]).exists()


def test_secadmin_revokes_a_role_with_a_reason(personas: dict[str, User]) -> None:
    assignment = RoleAssignment.objects.get(user=personas["expert"])
    client = client_for(personas["secadmin"])
    client.post(reverse("accounts:role_revoke", args=[assignment.pk]), {"reason": ""})
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()
    client.post(reverse("accounts:role_revoke", args=[assignment.pk]), {"reason": "专家资格撤销"})
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    event = AuditEvent.objects.get(action="accounts.role.revoke")
    assert event.before == {
        "assignment": assignment.pk,  # the row, for audit_verify --state
        "role": "expert",
        "recommending_unit": None,
        "organization": None,
    }
    assert event.reason == "专家资格撤销"
    # A second click finds it gone and changes nothing.
    response = client.post(
        reverse("accounts:role_revoke", args=[assignment.pk]), {"reason": "再次"}
    )
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="accounts.role.revoke").count() == 1


def test_secadmin_sees_and_lifts_a_lockout(personas: dict[str, User]) -> None:
    for _ in range(5):
        Client().post(reverse("accounts:login"), {"username": "p_office", "password": "wrong"})
    assert list(locked_usernames()) == ["p_office"]
    client = client_for(personas["secadmin"])
    assert "p_office" in client.get(reverse("accounts:roles")).content.decode()
    client.post(reverse("accounts:unlock"), {"username": "p_office", "reason": "本人电话确认"})
    assert list(locked_usernames()) == []
    response = Client().post(
        reverse("accounts:login"), {"username": "p_office", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="accounts.unlock", reason="本人电话确认").exists()


@pytest.mark.req("A3.1")
def test_logins_failures_and_logouts_are_audited(personas: dict[str, User]) -> None:
    client = Client()
    client.post(reverse("accounts:login"), {"username": "p_office", "password": "wrong"})
    client.post(reverse("accounts:login"), {"username": "p_office", "password": PASSWORD})
    client.post(reverse("accounts:logout"))
    events = list(
        AuditEvent.objects.filter(
            action__in=["accounts.login_failed", "accounts.login", "accounts.logout"]
        )
        .order_by("seq")
        .values_list("action", "actor_username")
    )
    assert events == [
        ("accounts.login_failed", ""),
        ("accounts.login", "p_office"),
        ("accounts.logout", "p_office"),
    ]
    failed = AuditEvent.objects.get(action="accounts.login_failed")
    assert failed.after == {"username": "p_office", "channel": "web"}
    assert "wrong" not in str(failed.after)


def test_roles_page_query_count_is_constant(
    personas: dict[str, User], make_user: Callable[..., User], django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(personas["secadmin"])
    client.get(reverse("accounts:roles"))
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("accounts:roles"))
    for i in range(15):
        make_user(Role.EXPERT, username=f"extra{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("accounts:roles"))
