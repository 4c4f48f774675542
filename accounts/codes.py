"""One-time codes sent to a person's email or phone (issue 15 part 2: password reset by a code
to a verified address; proving an address; GB/T 22239-2019 8.1.4.1 a; OWASP ASVS 5.0 V6.6).

    issue_code(user=u, purpose=OneTimeCode.Purpose.PASSWORD_RESET, channel=OneTimeCode.Channel.SMS)
    check_code(user=u, purpose=OneTimeCode.Purpose.PASSWORD_RESET, code="123456")

A code is six random digits (`secrets`). Only an HMAC-SHA256 of it is stored, keyed with
SECRET_KEY and bound to the user and the purpose (a stolen database does not give the codes,
and the million possible codes cannot be tried offline without the key). It lasts
settings.ONE_TIME_CODE_MINUTES (15), is used once, and dies after MAX_ATTEMPTS wrong tries; a
new code of the same purpose voids the older unused ones (their expiry is set to now).

Channels: a reset code goes only to an address the owner verified (`email_verified_at`,
`phone_verified_at`); a verification code goes to the address being proved (email → email,
phone → sms). Each code sent is audited (`accounts.code.issue`: purpose, channel, who asked;
never the code).

`check_code` must not run inside an outer transaction that the caller rolls back on its
refusal: the count of wrong attempts is written before the refusal is raised.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from audit.services import record
from lib.errors import ServiceError

from .models import OneTimeCode, User

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
SUBJECT = "【如皋市质量奖评审系统】验证码"

Purpose = OneTimeCode.Purpose
Channel = OneTimeCode.Channel


def minutes() -> int:
    return int(getattr(settings, "ONE_TIME_CODE_MINUTES", 15))


def _digest(user: User, purpose: str, code: str) -> str:
    return salted_hmac(
        "accounts.codes", f"{user.pk}:{purpose}:{code}", algorithm="sha256"
    ).hexdigest()


def address_of(user: User, channel: str) -> str:
    return (user.email if channel == Channel.EMAIL else user.phone) or ""


def verified(user: User, channel: str) -> bool:
    """Whether the owner proved the address of `channel` (and still has one)."""
    if channel == Channel.EMAIL:
        return bool(user.email and user.email_verified_at)
    return bool(user.phone and user.phone_verified_at)


def verified_channels(user: User) -> list[str]:
    return [c for c in (Channel.EMAIL, Channel.SMS) if verified(user, c)]


def activation_channels(user: User) -> list[str]:
    """The channels a never-used account may receive its first code on: the addresses recorded
    when an administrator created it (no usable password, never signed in); else none."""
    if user.last_login is not None or user.has_usable_password() or not user.is_active:
        return []
    return [c for c, present in ((Channel.EMAIL, user.email), (Channel.SMS, user.phone)) if present]


def reset_channels(user: User) -> list[str]:
    """Where an administrator-started code may go: the verified addresses, or for a never-used
    account its recorded ones (`activation_channels`)."""
    return verified_channels(user) or activation_channels(user)


def _text(purpose: str, code: str, requested_by: User | None) -> str:
    what = {
        Purpose.PASSWORD_RESET: "重置登录密码",
        Purpose.VERIFY_EMAIL: "验证电子邮箱",
        Purpose.VERIFY_PHONE: "验证手机号码",
    }[Purpose(purpose)]
    started = (
        f"系统管理员{requested_by}为您的账号发起了密码重置（管理员看不到此验证码）。"
        if requested_by is not None
        else ""
    )
    return (
        f"{started}您正在{what}，验证码为{code}，{minutes()}分钟内有效，仅能使用一次。"
        "请勿将验证码告诉任何人（包括工作人员）。如非本人操作，请忽略并联系委员会办公室。"
    )


LABELS = {
    Purpose.PASSWORD_RESET: "重置登录密码验证码",
    Purpose.VERIFY_EMAIL: "验证电子邮箱验证码",
    Purpose.VERIFY_PHONE: "验证手机号码验证码",
    "reset_notice": "密码已重置通知",
}


def deliver(
    *,
    user: User,
    channel: str,
    subject: str,
    text: str,
    template: str,
    expires_at: dt.datetime | None = None,
) -> None:
    """Queue one message to the user's address of `channel` (a "mail.send" or "sms.send"
    background job, accounts/jobs.py; issue 17): sent on commit by a worker within seconds (at
    once without a broker), retried while `expires_at` (a code's expiry) has not passed, and
    shown to the Office as 失败 if it never leaves. ServiceError when there is no address."""
    from .jobs import queue_mail, queue_sms

    address = address_of(user, channel)
    if not address:
        raise ServiceError("该账号没有此联系方式。", code="no_address")
    what = LABELS.get(template, subject)
    ref = f"accounts.user:{user.pk}"
    if channel == Channel.EMAIL:
        queue_mail(subject, text, [address], label=f"邮件：{what}", ref=ref, expires_at=expires_at)
    else:
        queue_sms(
            address, text, template=template, label=f"短信：{what}", ref=ref, expires_at=expires_at
        )


def issue_code(*, user: User, purpose: str, channel: str, requested_by: User | None = None) -> None:
    """Make a new code for `purpose`, void the older unused ones, send it by `channel`.

    Preconditions: a reset code goes to a verified address only; a verification code by the
    channel of the address it proves. Side effects: the `OneTimeCode` row (its hash), an
    `accounts.code.issue` event, the email or the SMS queued as a background job (sent after
    the commit; a delivery that fails is retried until the code expires, then shows as 失败 on
    the Office's job list). Refusals (ServiceError, Chinese): no such address, an address not
    verified, a channel that does not fit the purpose.
    """
    purpose, channel = Purpose(purpose), Channel(channel)
    if purpose == Purpose.VERIFY_EMAIL and channel != Channel.EMAIL:
        raise ServiceError("验证邮箱的验证码只能发送到该邮箱。")
    if purpose == Purpose.VERIFY_PHONE and channel != Channel.SMS:
        raise ServiceError("验证手机的验证码只能以短信发送到该手机。")
    if not address_of(user, channel):
        raise ServiceError(
            "该账号没有登记电子邮箱。" if channel == Channel.EMAIL else "该账号没有登记手机号码。",
            code="no_address",
        )
    if purpose == Purpose.PASSWORD_RESET and channel not in reset_channels(user):
        raise ServiceError(
            "该账号的此联系方式尚未验证，不能接收重置密码的验证码。", code="not_verified"
        )
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = timezone.now()
    with transaction.atomic():
        OneTimeCode.objects.filter(
            user=user, purpose=purpose, used_at__isnull=True, expires_at__gt=now
        ).update(expires_at=now)
        row = OneTimeCode.objects.create(
            user=user,
            purpose=purpose,
            channel=channel,
            code_hash=_digest(user, purpose, code),
            expires_at=now + dt.timedelta(minutes=minutes()),
            requested_by=requested_by,
        )
        own = requested_by is None or requested_by.pk == user.pk
        record(
            actor=requested_by,
            role="self" if own else "other",
            action="accounts.code.issue",
            obj=user,
            after={
                "purpose": purpose.value,
                "channel": channel.value,
                "one_time_code": row.pk,
                "expires_at": row.expires_at,
            },
        )
    # Queued once the code's row is committed (inside an outer transaction, with it).
    deliver(
        user=user,
        channel=channel,
        subject=SUBJECT,
        text=_text(purpose, code, requested_by if not own else None),
        template=purpose.value,
        expires_at=row.expires_at,
    )


def check_code(*, user: User, purpose: str, code: str, consume: bool = True) -> None:
    """Accept the latest code of `purpose` once; refuse (ServiceError, Chinese) when it is
    wrong (the attempt counts), expired, already used or voided by MAX_ATTEMPTS wrong tries.

    Side effects: `attempts` + 1 on a wrong code (committed even though the refusal follows);
    `used_at` on success. `consume=False` checks without using the code up (a reset checks the
    code before the new password's rules, so that those rules answer nobody without a code,
    then uses it with the password change).
    """
    purpose = Purpose(purpose)
    code = (code or "").strip()
    now = timezone.now()
    with transaction.atomic():
        row = (
            OneTimeCode.objects.select_for_update()
            .filter(user=user, purpose=purpose)
            .order_by("-created_at", "-pk")
            .first()
        )
        if row is None:
            raise ServiceError("验证码不正确，请重新获取。", code="code_invalid")
        if row.used_at is not None:
            raise ServiceError("该验证码已使用过，请重新获取。", code="code_used")
        if row.attempts >= MAX_ATTEMPTS:
            raise ServiceError(
                f"验证码错误已达{MAX_ATTEMPTS}次，已失效，请重新获取。", code="code_void"
            )
        if row.expires_at <= now:
            raise ServiceError(
                f"验证码已过期（有效期{minutes()}分钟），请重新获取。", code="code_expired"
            )
        if hmac.compare_digest(row.code_hash, _digest(user, purpose, code)):
            if consume:
                row.used_at = now
                row.save(update_fields=["used_at"])
            return
        row.attempts += 1
        row.save(update_fields=["attempts"])
    # Raised after the block: the wrong attempt stays counted.
    left = MAX_ATTEMPTS - row.attempts
    wrong = "验证码不正确。"
    raise ServiceError(
        wrong + (f"还可尝试{left}次。" if left else "已失效，请重新获取。"),
        code="code_invalid" if left else "code_void",
        fields={"code": [wrong]},
    )
