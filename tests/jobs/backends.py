"""E-mail backends for the job tests: a mail server that refuses (SMTPException), as a real
one does when it is down or rejects a recipient."""

from __future__ import annotations

import smtplib
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend

calls: list[int] = []


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Any) -> int:
        calls.append(len(email_messages))
        recipients = ", ".join(a for m in email_messages for a in m.to)
        raise smtplib.SMTPException(f"450 mailbox unavailable: {recipients}")
