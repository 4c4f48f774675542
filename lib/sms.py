"""Text messages (SMS) to mainland mobile phones, behind one interface like Django's email
backends (issue 15 part 2: one-time codes to the verified phone).

    from lib import sms
    sms.send([sms.SmsMessage("13800001234", "您的验证码为123456，15分钟内有效。",
                             template="reset", params={"code": "123456", "minutes": "15"})])

`send(messages)` loads the class named by settings.SMS_BACKEND and returns how many messages it
accepted. Backends shipped here:

- `lib.sms.ConsoleBackend` (the default; development): writes each message to standard output
  and the log, the phone masked (138****1234). The code itself is printed: a development
  console is the developer's own.
- `lib.sms.LocmemBackend` (tests): appends each message to `lib.sms.outbox`, as Django's
  locmem email backend does to `django.core.mail.outbox`.

Adapter contract for a real provider (阿里云短信服务 Dysmsapi, 腾讯云短信 SendSms), to be
written in the deployment's own module and named in SMS_BACKEND:

1. A class with `__init__(self, **kwargs)` and `send_messages(self, messages:
   list[SmsMessage]) -> int` returning the number accepted by the provider.
2. The signature (签名) is the registered 【如皋市市场监督管理局】; providers require it to be
   approved beforehand and add it themselves (send it as SignName / SignName parameter, never in
   the text).
3. Providers in mainland China send only approved templates: the adapter maps
   `message.template` (the purpose: "reset", "reset_notice", "email", "phone") to the
   provider's template id from its own settings (e.g. SMS_TEMPLATES = {"reset": "SMS_4651…"})
   and passes `message.params` as the template variables (code, minutes). `message.text` is
   the same content in full, for logs and the console; it is not sent by a template provider.
4. Credentials (AccessKey, SecretId) come from the environment, never from the code or the
   database.
5. Any refusal or transport error raises `lib.sms.SmsError` with the provider's code in the
   message (never the phone or the code in clear). No retries inside the adapter: the caller
   decides (a one-time code is simply requested again), and a retry could deliver two codes.
6. Phones are stored as the user typed them; the adapter normalises to +86 E.164 if the
   provider wants it.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from lib.masking import mask_mobile

logger = logging.getLogger(__name__)

SIGNATURE = "【如皋市市场监督管理局】"

# What LocmemBackend sent (tests clear it between tests, as Django clears mail.outbox).
outbox: list[SmsMessage] = []


class SmsError(Exception):
    """The gateway refused or could not be reached."""


@dataclass
class SmsMessage:
    phone: str
    text: str
    template: str | None = None
    params: dict[str, str] | None = field(default=None)


class Backend(Protocol):
    def send_messages(self, messages: list[SmsMessage]) -> int: ...


def masked(phone: str) -> str:
    """138****1234 (any other shape: all but the last four digits hidden)."""
    shown = mask_mobile(phone)
    if shown != phone or len(phone) <= 4:
        return shown
    return "*" * (len(phone) - 4) + phone[-4:]


class ConsoleBackend:
    """Development: the message on standard output and in the log, the phone masked."""

    def __init__(self, **kwargs: Any) -> None:
        self.stream = kwargs.get("stream") or sys.stdout

    def send_messages(self, messages: list[SmsMessage]) -> int:
        for message in messages:
            line = f"短信 → {masked(message.phone)}：{SIGNATURE}{message.text}"
            self.stream.write(line + "\n")
            self.stream.flush()
            logger.info("sms to %s (template %s)", masked(message.phone), message.template)
        return len(messages)


class LocmemBackend:
    """Tests: every message kept in `lib.sms.outbox`."""

    def __init__(self, **kwargs: Any) -> None:
        pass

    def send_messages(self, messages: list[SmsMessage]) -> int:
        outbox.extend(messages)
        return len(messages)


def get_backend(**kwargs: Any) -> Backend:
    path = getattr(settings, "SMS_BACKEND", "") or "lib.sms.ConsoleBackend"
    backend: Backend = import_string(path)(**kwargs)
    return backend


def send(messages: list[SmsMessage]) -> int:
    """Send `messages` through settings.SMS_BACKEND; raises SmsError when the gateway fails."""
    if not messages:
        return 0
    return get_backend().send_messages(list(messages))
