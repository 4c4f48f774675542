"""Password strength, history and expiry (issue 15 part 2; GB/T 22239-2019 8.1.4.1 a).

The findings: `Rugao@2026`, `Award2024` and `Passw0rd!` were accepted; no expiry; no history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization, PasswordHistory, Role, User
from accounts.passwords import StrengthValidator
from accounts.services import add_contact
from tests.conftest import PASSWORD, api_call, api_client, client_for

pytestmark = pytest.mark.req("A3.1")

CHANGE = "/accounts/password/"


def _change(client: Any, old: str, new: str) -> Any:
    return client.post(CHANGE, {"old_password": old, "new_password1": new, "new_password2": new})


@pytest.fixture(autouse=True)
def _expiry_as_in_production(settings: Any) -> None:
    """tests/conftest.py turns expiry off for the year-long scenarios; here it is the default."""
    settings.PASSWORD_EXPIRY_DAYS = 90


@pytest.mark.parametrize("weak", ["Rugao@2026", "Award2024", "Passw0rd!"])
def test_the_three_weak_passwords_of_the_finding_are_refused_in_chinese(
    personas: dict[str, User], weak: str
) -> None:
    user = personas["applicant"]
    response = _change(client_for(user), PASSWORD, weak)
    assert response.status_code == 400
    text = response.content.decode()
    assert "密码太容易被猜到" in text or "至少三类" in text
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_strength_weighs_the_persons_own_words(
    organization: Organization, make_user: Callable[..., User]
) -> None:
    """The organization's name, the person's name and email are guessed first."""
    user = make_user(Role.APPLICANT, username="contact", organization=organization)
    user.full_name, user.email = "Zhang Mingyuan", "mingyuan.zhang@example.com"
    user.save()
    organization.name = "Jianghai Machinery"
    organization.save()
    for weak in ("Jianghai#Machinery1", "Mingyuan#Zhang2", "Rugao-Quality#2027"):
        with pytest.raises(ValidationError) as refused:
            StrengthValidator().validate(weak, user)
        assert "单位名称" in refused.value.messages[0]
    StrengthValidator().validate("Lantern#Mulberry-7", user)


def test_an_english_warning_becomes_chinese() -> None:
    with pytest.raises(ValidationError) as refused:
        StrengthValidator().validate("Qwertyuiop1!")
    message = refused.value.messages[0]
    assert "键盘" in message or "常用密码" in message
    assert not any(
        "a" <= ch.lower() <= "z" for ch in message.replace("Rugao", "").replace("Award", "")
    )


def test_no_reuse_of_the_last_five_passwords(personas: dict[str, User]) -> None:
    user = personas["applicant"]
    client = client_for(user)
    chain = [PASSWORD] + [f"Lantern#Mulberry-{n}x" for n in range(1, 6)]
    for old, new in pairwise(chain[:3]):
        assert _change(client, old, new).status_code == 302
    # The current one and the two before it are refused.
    for reused in chain[:3]:
        response = _change(client, chain[2], reused)
        assert response.status_code == 400
        assert (
            "不能使用最近5次用过的密码" in response.content.decode()
            or "不能与当前密码相同" in response.content.decode()
        )
    for old, new in pairwise(chain[2:]):
        assert _change(client, old, new).status_code == 302
    # Five newer passwords later, the first one may come back.
    assert PasswordHistory.objects.filter(user=user).count() == 5
    assert _change(client, chain[-1], PASSWORD).status_code == 302


def test_setting_a_password_stamps_the_time_and_keeps_the_hash(
    make_user: Callable[..., User], time_machine: Any
) -> None:
    time_machine.move_to(dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC), tick=False)
    user = make_user(None, username="stamped")
    assert user.password_changed_at == timezone.now()
    user.set_password("Lantern#Mulberry-7")
    time_machine.shift(dt.timedelta(days=1))
    user.save()
    user.refresh_from_db()
    assert user.password_changed_at == timezone.now()
    hashes = list(PasswordHistory.objects.filter(user=user).values_list("password", flat=True))
    assert hashes[0] == user.password
    assert len(hashes) == 2


def _age(user: User, days: int) -> None:
    User.objects.filter(pk=user.pk).update(
        password_changed_at=timezone.now() - dt.timedelta(days=days)
    )


def test_an_expired_staff_password_must_be_changed_first(personas: dict[str, User]) -> None:
    office = personas["office"]
    client = client_for(office)
    token = api_client("p_office")
    _age(office, 89)
    assert client.get(reverse("accounts:inbox")).status_code == 200
    _age(office, 91)
    response = client.get(reverse("accounts:inbox"))
    assert response.status_code == 302
    assert response["Location"] == CHANGE
    page = client.get(CHANGE).content.decode()
    assert "您的密码已超过90天未更换" in page
    api = api_call(token, "get", "/me")
    assert api.status_code == 403
    assert api.json()["code"] == "password_expired"
    assert "90天" in api.json()["message"]
    assert _change(client, PASSWORD, "Lantern#Mulberry-7").status_code == 302
    assert client.get(reverse("accounts:inbox")).status_code == 200


def test_applicants_passwords_do_not_expire(personas: dict[str, User]) -> None:
    for name in ("applicant", "individual", "outsider"):
        user = personas[name]
        _age(user, 400)
        assert client_for(user).get(reverse("accounts:inbox")).status_code == 200


def test_expiry_counts_from_date_joined_when_never_stamped(
    personas: dict[str, User], settings: Any
) -> None:
    supervisor = personas["supervisor"]
    User.objects.filter(pk=supervisor.pk).update(
        password_changed_at=None, date_joined=timezone.now() - dt.timedelta(days=100)
    )
    assert client_for(supervisor).get(reverse("accounts:inbox")).status_code == 302
    settings.PASSWORD_EXPIRY_DAYS = 0  # expiry off
    assert client_for(supervisor).get(reverse("accounts:inbox")).status_code == 200


def test_a_contact_added_by_a_colleague_changes_the_password_first(
    personas: dict[str, User], organization: Organization
) -> None:
    """The colleague's first password was typed by the contact who added them."""
    added = add_contact(
        actor=personas["applicant"],
        organization=organization,
        username="colleague",
        password="Lantern#Mulberry-7",
        full_name="同事",
    )
    added.refresh_from_db()
    assert added.must_change_password
    response = client_for(added).get(reverse("accounts:inbox"))
    assert response["Location"] == CHANGE


def test_validators_replaced_by_zxcvbn_are_gone(settings: Any) -> None:
    """One home per rule: similarity and common passwords are zxcvbn's."""
    names = [v["NAME"] for v in settings.AUTH_PASSWORD_VALIDATORS]
    assert "django.contrib.auth.password_validation.CommonPasswordValidator" not in names
    assert "django.contrib.auth.password_validation.UserAttributeSimilarityValidator" not in names
    with pytest.raises(ValidationError):
        validate_password("Passw0rd!")


def test_the_workbench_warns_a_week_before_expiry(personas: dict[str, User]) -> None:
    office, applicant = personas["office"], personas["applicant"]
    _age(office, 80)
    assert (
        "您的密码将在" not in client_for(office).get(reverse("accounts:dashboard")).content.decode()
    )
    _age(office, 85)
    page = client_for(office).get(reverse("accounts:dashboard")).content.decode()
    assert "您的密码将在5天内" in page
    assert 'href="/accounts/password/"' in page
    _age(applicant, 400)
    assert (
        "您的密码将在"
        not in client_for(applicant).get(reverse("accounts:dashboard")).content.decode()
    )
