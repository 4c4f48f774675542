"""Helpers shared by the review pages."""

from __future__ import annotations

from lib.errors import ServiceError

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _status(exc: ServiceError) -> int:
    return 409 if exc.status == 409 else 400
