"""Password reset by a one-time code to a verified address (issue 15 part 2)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from accounts.codes import MAX_ATTEMPTS, check_code, issue_code
from accounts.models import OneTimeCode, User
from audit.models import AuditEvent
from lib import sms
from lib.errors import ServiceError

RESET = OneTimeCode.Purpose.PASSWORD_RESET
EMAIL = OneTimeCode.Channel.EMAIL
SMS = OneTimeCode.Channel.SMS


def code_in(text: object) -> str:
    found = re.search(r"验证码为(\d{6})", str(text))
    assert found, text
    return found[1]


@pytest.fixture
def owner(make_user: Callable[..., User]) -> User:
    user = make_user(None, username="owner")
    user.email = "owner@example.com"
    user.phone = "13800001234"
    user.email_verified_at = user.phone_verified_at = timezone.now()
    user.save()
    return user


@pytest.mark.req("A3.1")
def test_a_code_is_six_digits_sent_by_email_stored_only_as_a_hash(owner: User) -> None:
    issue_code(user=owner, purpose=RESET, channel=EMAIL)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["owner@example.com"]
    code = code_in(message.body)
    assert "15分钟内有效" in message.body
    row = OneTimeCode.objects.get(user=owner)
    assert code not in row.code_hash
    assert AuditEvent.objects.filter(action="accounts.code.issue", object_id=str(owner.pk)).exists()
    assert code not in str(AuditEvent.objects.filter(action="accounts.code.issue").values().get())
    check_code(user=owner, purpose=RESET, code=code)
    row.refresh_from_db()
    assert row.used_at is not None


@pytest.mark.req("A3.1")
def test_a_code_by_sms_goes_to_the_verified_phone(owner: User) -> None:
    issue_code(user=owner, purpose=RESET, channel=SMS)
    assert mail.outbox == []
    [message] = sms.outbox
    assert message.phone == "13800001234"
    assert message.template == "reset"
    check_code(user=owner, purpose=RESET, code=code_in(message.text))


@pytest.mark.req("A3.1")
def test_five_wrong_codes_void_the_code(owner: User) -> None:
    issue_code(user=owner, purpose=RESET, channel=EMAIL)
    code = code_in(mail.outbox[0].body)
    wrong = "000000" if code != "000000" else "111111"
    for attempt in range(1, MAX_ATTEMPTS + 1):
        with pytest.raises(ServiceError, match="验证码不正确"):
            check_code(user=owner, purpose=RESET, code=wrong)
        assert OneTimeCode.objects.get(user=owner).attempts == attempt
    with pytest.raises(ServiceError, match="已失效"):
        check_code(user=owner, purpose=RESET, code=code)  # the right one, too late


@pytest.mark.req("A3.1")
def test_an_expired_code_is_refused(owner: User, time_machine: Any) -> None:
    time_machine.move_to(timezone.now(), tick=False)
    issue_code(user=owner, purpose=RESET, channel=EMAIL)
    code = code_in(mail.outbox[0].body)
    time_machine.shift(dt.timedelta(minutes=15, seconds=1))
    with pytest.raises(ServiceError, match="已过期"):
        check_code(user=owner, purpose=RESET, code=code)


@pytest.mark.req("A3.1")
def test_a_code_is_used_once_and_a_new_one_voids_the_old(owner: User) -> None:
    issue_code(user=owner, purpose=RESET, channel=EMAIL)
    first = code_in(mail.outbox[0].body)
    issue_code(user=owner, purpose=RESET, channel=EMAIL)
    second = code_in(mail.outbox[1].body)
    if first != second:
        with pytest.raises(ServiceError, match="验证码不正确"):
            check_code(user=owner, purpose=RESET, code=first)
    check_code(user=owner, purpose=RESET, code=second)
    with pytest.raises(ServiceError, match="已使用"):
        check_code(user=owner, purpose=RESET, code=second)
    assert OneTimeCode.objects.filter(user=owner, expires_at__gt=timezone.now()).count() == 1


@pytest.mark.req("A3.1")
def test_a_reset_code_never_goes_to_an_unverified_address(
    make_user: Callable[..., User],
) -> None:
    user = make_user(None, username="unverified")
    user.email, user.phone = "u@example.com", "13900001111"
    user.save()
    for channel in (EMAIL, SMS):
        with pytest.raises(ServiceError, match="尚未验证"):
            issue_code(user=user, purpose=RESET, channel=channel)
    assert mail.outbox == []
    assert sms.outbox == []
    assert not OneTimeCode.objects.exists()
