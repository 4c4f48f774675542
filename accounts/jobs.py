"""Sending e-mail and text messages as background jobs (issue 17; docs/decisions/0020).

    queue_mail(subject, body, ["a@example.com"], label="邮件：评分提醒")
    queue_sms("13800001234", text, template="reset", label="短信：重置登录密码验证码")

Each queues one job in the caller's transaction (jobs.services.enqueue: sent to the workers on
commit, retried with backoff, 失败 on the Office's list after the last attempt). The handlers
below send through Django's e-mail backend (settings.EMAIL_BACKEND) and lib.sms
(settings.SMS_BACKEND). A message that carries a one-time code names when the code expires: an
attempt after that sends nothing (a late code is useless, and a newer one may exist).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.mail import EmailMessage, get_connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from jobs.models import Job
from jobs.registry import Permanent, handler
from jobs.services import Item, enqueue, enqueue_many
from lib import sms

MAIL = "mail.send"
SMS = "sms.send"


def mail_item(
    subject: str,
    body: str,
    to: Sequence[str],
    *,
    label: str = "",
    ref: str = "",
    expires_at: dt.datetime | None = None,
) -> Item:
    payload = {"subject": subject, "body": body, "to": list(to)}
    if expires_at is not None:
        payload["expires_at"] = expires_at.isoformat()
    return Item(MAIL, payload, label=label or f"邮件：{subject}", ref=ref)


def queue_mail(
    subject: str,
    body: str,
    to: Sequence[str],
    *,
    label: str = "",
    ref: str = "",
    expires_at: dt.datetime | None = None,
    requested_by: object = None,
) -> Job:
    """One e-mail (one message to the addresses `to`), sent by a worker after the commit."""
    item = mail_item(subject, body, to, label=label, ref=ref, expires_at=expires_at)
    return enqueue(
        item.kind, item.payload, label=item.label, ref=item.ref, requested_by=requested_by
    )


def queue_mails(items: Sequence[Item]) -> list[Job]:
    """Many e-mails (`mail_item`), one job each, queued with one INSERT."""
    return enqueue_many(items)


def queue_sms(
    phone: str,
    text: str,
    *,
    template: str,
    label: str,
    ref: str = "",
    expires_at: dt.datetime | None = None,
    requested_by: object = None,
) -> Job:
    """One text message, sent by a worker after the commit (lib.sms)."""
    payload: dict[str, object] = {"phone": phone, "text": text, "template": template}
    if expires_at is not None:
        payload["expires_at"] = expires_at.isoformat()
    return enqueue(SMS, payload, label=label, ref=ref, requested_by=requested_by)


def _still_valid(payload: dict[str, object]) -> None:
    expires = payload.get("expires_at")
    if isinstance(expires, str):
        when = parse_datetime(expires)
        if when is not None and when <= timezone.now():
            raise Permanent("验证码已过期，未再发送（用户可重新获取）")


@handler(MAIL)
def send_mail_job(job: Job) -> None:
    payload = job.payload
    _still_valid(payload)
    to = [str(a) for a in payload.get("to", []) if a]
    if not to:
        raise Permanent("没有收件地址")
    message = EmailMessage(str(payload["subject"]), str(payload["body"]), None, to)
    get_connection(fail_silently=False).send_messages([message])


@handler(SMS)
def send_sms_job(job: Job) -> None:
    payload = job.payload
    _still_valid(payload)
    if not payload.get("phone"):
        raise Permanent("没有手机号码")
    template = payload.get("template")
    message = sms.SmsMessage(str(payload["phone"]), str(payload["text"]), template=template)
    sms.send([message])
