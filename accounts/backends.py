"""Password authentication without Django's model permissions.

Permissions here come from roles (django-rules, accounts/rules.py); nobody holds Django
permission rows. ModelBackend would still run two queries per request looking for them
whenever a rule says no, so this backend answers "none" without asking.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend


class PasswordBackend(ModelBackend):
    def _get_permissions(self, user_obj: Any, obj: Any, from_name: str) -> set[str]:
        return set()
