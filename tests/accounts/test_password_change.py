"""Changing one's own password (issue 15 part 3): the page, the API, the forced first change.

The finding: nobody could change their own password (the manual said to ask the 安全管理员, who
had no tool for it).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role, User
from accounts.services import create_user
from audit.models import AuditEvent
from tests.conftest import PASSWORD, api_call, api_client, client_for

pytestmark = pytest.mark.req("A3.1")

NEW = "Nq7!river-Rugao"


def _form(old: str = PASSWORD, new: str = NEW, again: str | None = None) -> dict[str, str]:
    return {"old_password": old, "new_password1": new, "new_password2": again or new}


def test_every_signed_in_user_reaches_the_page_from_the_header(personas: dict[str, User]) -> None:
    for name in ("outsider", "applicant", "office", "sysadmin", "secadmin", "auditadmin"):
        client = client_for(personas[name])
        home = client.get(reverse("accounts:inbox")).content.decode()
        assert reverse("accounts:password_change") in home
        page = client.get(reverse("accounts:password_change"))
        assert page.status_code == 200
        assert "当前密码" in page.content.decode()
        assert "再次输入新密码" in page.content.decode()


def test_changing_ones_password_keeps_the_session_and_is_audited(
    personas: dict[str, User],
) -> None:
    user = personas["office"]
    client = client_for(user)
    response = client.post(reverse("accounts:password_change"), _form())
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW)
    # Still signed in (update_session_auth_hash): the next page opens.
    assert client.get(reverse("accounts:inbox")).status_code == 200
    event = AuditEvent.objects.get(action="accounts.password.change")
    assert (event.actor, event.role, event.object_id) == (user, "self", str(user.pk))
    assert user.password not in f"{event.before} {event.after}"
    # The new password signs in; the old one no longer does.
    login = reverse("accounts:login")
    assert Client().post(login, {"username": user.username, "password": NEW}).status_code == 302
    assert (
        Client().post(login, {"username": user.username, "password": PASSWORD}).status_code == 200
    )


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (_form(old="Wrong#2026x"), "当前密码不正确"),
        (_form(again="Other#2026x"), "两次输入的新密码不一致"),
        (_form(new="short"), "密码太短"),
        (_form(new=PASSWORD), "不能与当前密码相同"),
    ],
)
def test_a_refused_change_says_why_in_chinese(
    personas: dict[str, User], form: dict[str, str], message: str
) -> None:
    user = personas["expert"]
    response = client_for(user).post(reverse("accounts:password_change"), form)
    assert response.status_code == 400
    assert message in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action="accounts.password.change").exists()


def test_the_api_changes_the_callers_password(personas: dict[str, User]) -> None:
    user = personas["applicant"]
    who = api_client(user.username)
    wrong = api_call(who, "post", "/auth/password", {"old_password": "x", "new_password": NEW})
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "bad_credentials"
    weak = api_call(who, "post", "/auth/password", {"old_password": PASSWORD, "new_password": "a"})
    assert weak.status_code == 400
    assert "new_password" in weak.json()["fields"]
    done = api_call(who, "post", "/auth/password", {"old_password": PASSWORD, "new_password": NEW})
    assert done.status_code == 204
    user.refresh_from_db()
    assert user.check_password(NEW)
    assert AuditEvent.objects.get(action="accounts.password.change").actor == user


def test_an_account_made_by_an_administrator_changes_its_password_first(
    personas: dict[str, User],
) -> None:
    sysadmin = personas["sysadmin"]
    user = create_user(
        actor=sysadmin, actor_role=Role.SYSADMIN, username="zhao", password="Init#2026pw"
    )
    assert user.must_change_password
    client = client_for(user)
    assert client.get(reverse("accounts:inbox"))["Location"] == reverse("accounts:password_change")
    page = client.get(reverse("accounts:password_change"))
    assert page.status_code == 200
    assert "须先修改" in page.content.decode()
    api = client.get("/api/v1/me")
    assert api.status_code == 403
    assert api.json()["code"] == "password_change_required"
    who = api_client("zhao", "Init#2026pw")
    assert api_call(who, "get", "/me").json()["code"] == "password_change_required"
    response = client.post(reverse("accounts:password_change"), _form(old="Init#2026pw"))
    assert response.status_code == 302
    assert client.get(reverse("accounts:inbox")).status_code == 200
    # The token taken with the initial password died with it; a new one works.
    assert api_call(who, "get", "/me").status_code == 401
    assert api_call(api_client("zhao", NEW), "get", "/me").status_code == 200
    assert not User.objects.get(pk=user.pk).must_change_password


def test_the_api_change_lifts_the_forced_change(personas: dict[str, User]) -> None:
    create_user(
        actor=personas["sysadmin"],
        actor_role=Role.SYSADMIN,
        username="qian",
        password="Init#2026pw",
    )
    who = api_client("qian", "Init#2026pw")
    assert api_call(who, "get", "/me").status_code == 403
    body = {"old_password": "Init#2026pw", "new_password": NEW}
    assert api_call(who, "post", "/auth/password", body).status_code == 204
    assert api_call(who, "get", "/me").status_code == 200


def test_the_demo_and_the_personas_are_not_forced(
    personas: dict[str, User], make_user: Callable[..., User]
) -> None:
    assert not User.objects.filter(must_change_password=True).exists()
    assert not make_user(Role.OFFICE).must_change_password
