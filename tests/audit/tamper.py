"""Tampering with the audit tables behind the application's back, as an attacker with the
database's superuser rights would: on PostgreSQL the append-only trigger (migration audit 0004)
is first set aside for the session (`session_replication_role = replica`, a superuser's
privilege), then restored."""

from __future__ import annotations

from typing import Any

from django.db import connection


def tamper(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(sql, params)
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = origin")
