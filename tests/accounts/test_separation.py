"""三员分立 that holds (issue 15 part 3): the three administrators as attackers of each other.

The findings: the system administrator set the audit administrator's password in the Django
admin, signed in as them and read the trail, and the change left no event; the security
administrator granted itself 委员会办公室 and 评审监督员.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import ADMIN_ROLES, Organization, RecommendingUnit, Role, RoleAssignment, User
from accounts.selectors import roles_of
from accounts.services import create_user, grant_role
from audit.models import AuditEvent
from lib.errors import PermissionDenied, ServiceError
from tests.conftest import PASSWORD, client_for

pytestmark = pytest.mark.req("A3.1")


def _admin_user_url(user: User, suffix: str = "") -> str:
    return reverse("admin:accounts_user_change", args=[user.pk]) + suffix


# --- the system administrator against the others' passwords -------------------------------------


def test_sysadmin_has_no_form_to_set_the_auditadmins_password(
    personas: dict[str, User],
) -> None:
    sysadmin, auditadmin = personas["sysadmin"], personas["auditadmin"]
    client = client_for(sysadmin)
    page = client.get(_admin_user_url(auditadmin))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="password' not in html
    assert "password/" not in html
    # Django's own page for it is gone: no form, nothing set.
    answer = client.post(
        _admin_user_url(auditadmin, "password/"),
        {"password1": "Taken#Over2026", "password2": "Taken#Over2026"},
    )
    assert answer.status_code != 200
    assert client.get(_admin_user_url(auditadmin, "password/")).status_code != 200
    auditadmin.refresh_from_db()
    assert auditadmin.check_password(PASSWORD)
    assert not auditadmin.check_password("Taken#Over2026")
    assert not AuditEvent.objects.filter(action="accounts.password.change").exists()


def test_a_password_posted_with_the_change_form_is_ignored_and_the_change_audited(
    personas: dict[str, User],
) -> None:
    sysadmin, auditadmin = personas["sysadmin"], personas["auditadmin"]
    response = client_for(sysadmin).post(
        _admin_user_url(auditadmin),
        {
            "username": auditadmin.username,
            "full_name": "审计",
            "email": "audit@example.cn",
            "phone": "",
            "password": "md5$salt$0123456789abcdef0123456789abcdef",
        },
    )
    assert response.status_code == 302
    auditadmin.refresh_from_db()
    assert auditadmin.check_password(PASSWORD)
    assert auditadmin.is_active is False  # the checkbox was not sent: switched off, audited
    event = AuditEvent.objects.get(action="admin.user.change", object_id=str(auditadmin.pk))
    assert (event.actor, event.role) == (sysadmin, Role.SYSADMIN)
    assert event.before is not None
    assert event.after is not None
    assert event.before["is_active"] is True
    assert event.after["is_active"] is False
    assert event.after["email"] == "a***@example.cn"  # masked: encrypted at rest (issue 15)
    assert "password" not in event.before
    assert "password" not in event.after


def test_an_account_added_in_the_admin_has_no_password_the_sysadmin_knows(
    personas: dict[str, User],
) -> None:
    response = client_for(personas["sysadmin"]).post(
        reverse("admin:accounts_user_add"),
        {
            "username": "newcomer",
            "full_name": "新人",
            "email": "",
            "phone": "",
            "password1": "Known#2026pw",
            "password2": "Known#2026pw",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="newcomer")
    assert not user.has_usable_password()
    assert user.must_change_password
    event = AuditEvent.objects.get(action="admin.user.add", object_id=str(user.pk))
    assert event.after is not None
    assert "password" not in event.after


def test_a_password_changed_by_any_path_is_audited_without_the_hash(
    personas: dict[str, User],
) -> None:
    auditadmin = personas["auditadmin"]
    with transaction.atomic():  # the shell, a script: no page, still in the trail
        auditadmin.set_password("Shell#Path2026")
        auditadmin.save()
    event = AuditEvent.objects.get(action="accounts.password.change")
    assert (event.actor, event.role, event.object_id) == (None, "system", str(auditadmin.pk))
    text = f"{event.before} {event.after}"
    assert auditadmin.password not in text
    assert "Shell#Path2026" not in text


# --- the security administrator against the rule of roles --------------------------------------


@pytest.mark.parametrize("role", [Role.OFFICE, Role.SUPERVISOR, Role.AUDITADMIN, Role.COMMITTEE])
def test_secadmin_cannot_grant_itself_a_role(personas: dict[str, User], role: Role) -> None:
    secadmin = personas["secadmin"]
    with pytest.raises(ServiceError, match="不得为自己授予角色"):
        grant_role(actor=secadmin, actor_role=Role.SECADMIN, user=secadmin, role=role)
    assert roles_of(User.objects.get(pk=secadmin.pk)) == {Role.SECADMIN}
    refused = AuditEvent.objects.get(action="accounts.role.grant_refused")
    assert (refused.actor, refused.after) == (secadmin, {"role": role.value})


def test_secadmin_self_grant_in_the_page_is_refused_in_chinese_and_audited(
    personas: dict[str, User],
) -> None:
    secadmin = personas["secadmin"]
    response = client_for(secadmin).post(
        reverse("accounts:role_grant"),
        {"username": secadmin.username, "role": "office", "reason": "自己来"},
    )
    assert response.status_code == 400
    assert "不得为自己授予角色" in response.content.decode()
    assert roles_of(User.objects.get(pk=secadmin.pk)) == {Role.SECADMIN}
    assert AuditEvent.objects.filter(
        action="accounts.role.grant_refused", actor=secadmin, object_id=str(secadmin.pk)
    ).exists()
    assert not AuditEvent.objects.filter(
        action="accounts.role.grant", object_id=str(secadmin.pk), actor=secadmin
    ).exists()


def test_the_database_refuses_a_self_granted_role(personas: dict[str, User]) -> None:
    secadmin = personas["secadmin"]
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=secadmin, role=Role.OFFICE, granted_by=secadmin)


@pytest.mark.parametrize("admin_role", ADMIN_ROLES)
def test_an_administrator_gets_no_business_role_and_a_business_holder_no_admin_role(
    personas: dict[str, User], make_user: Callable[..., User], admin_role: Role
) -> None:
    secadmin = personas["secadmin"]
    administrator = personas[admin_role.value]
    if admin_role == Role.SECADMIN:
        administrator = make_user(Role.SECADMIN)
    with pytest.raises(ServiceError, match="不得兼任任何业务角色"):
        grant_role(
            actor=secadmin, actor_role=Role.SECADMIN, user=administrator, role=Role.SUPERVISOR
        )
    with pytest.raises(ServiceError, match="不得兼任任何业务角色"):
        grant_role(
            actor=secadmin, actor_role=Role.SECADMIN, user=personas["office"], role=admin_role
        )
    assert roles_of(User.objects.get(pk=administrator.pk)) == {admin_role}
    assert roles_of(User.objects.get(pk=personas["office"].pk)) == {Role.OFFICE}
    assert AuditEvent.objects.filter(action="accounts.role.grant_refused").count() == 2


# --- the audit administrator against accounts ---------------------------------------------------


def test_auditadmin_cannot_change_users(personas: dict[str, User]) -> None:
    auditadmin, sysadmin = personas["auditadmin"], personas["sysadmin"]
    client = client_for(auditadmin)
    assert client.get(_admin_user_url(sysadmin)).status_code != 200
    response = client.post(
        _admin_user_url(sysadmin), {"username": sysadmin.username, "is_active": ""}
    )
    assert response.status_code != 200
    sysadmin.refresh_from_db()
    assert sysadmin.is_active
    assert not AuditEvent.objects.filter(action__startswith="admin.user.").exists()
    with pytest.raises(PermissionDenied):
        create_user(
            actor=auditadmin, actor_role=Role.AUDITADMIN, username="ghost", password="Gh0st#2026x"
        )
    with pytest.raises(PermissionDenied):
        grant_role(actor=auditadmin, actor_role=Role.AUDITADMIN, user=sysadmin, role=Role.OFFICE)
    # Refused in the page: recorded as a refusal by the audit middleware.
    assert client.post(reverse("accounts:role_grant"), {}).status_code == 403
    assert AuditEvent.objects.filter(actor=auditadmin, action="access.denied").exists()


# --- the property -------------------------------------------------------------------------------

POOL = 4


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(
            st.integers(min_value=-1, max_value=POOL),  # -1: the system; POOL: the secadmin
            st.integers(min_value=0, max_value=POOL - 1),
            st.sampled_from(list(Role)),
        ),
        max_size=12,
    )
)
def test_no_grant_sequence_combines_an_admin_role_or_grants_to_oneself(
    personas: dict[str, User], organization: Organization, steps: list[tuple[int, int, Role]]
) -> None:
    unit = RecommendingUnit.objects.get(name="如城街道")
    pool = [
        User.objects.get_or_create(username=f"pool{i}")[0] for i in range(POOL)
    ]  # plain users; they may become security administrators and try on each other
    RoleAssignment.objects.filter(user__in=pool).delete()
    for who, target, role in steps:
        actor = None if who == -1 else personas["secadmin"] if who == POOL else pool[who]
        actor = User.objects.get(pk=actor.pk) if actor is not None else None  # fresh roles
        with contextlib.suppress(ServiceError, PermissionDenied):
            grant_role(
                actor=actor,
                actor_role=Role.SECADMIN if actor is not None else "system",
                user=User.objects.get(pk=pool[target].pk),
                role=role,
                recommending_unit=unit if role == Role.RECOMMENDER else None,
                organization=organization if role == Role.APPLICANT else None,
            )
        for user in [*pool, personas["secadmin"]]:
            held = list(RoleAssignment.objects.filter(user=user).values_list("role", flat=True))
            if any(r in ADMIN_ROLES for r in held):
                assert len(held) == 1, (user.username, held)
        assert not RoleAssignment.objects.filter(granted_by_id=F("user_id")).exists()
