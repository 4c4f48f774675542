"""Schemathesis against our own OpenAPI schema: generated requests, valid and not, to every
operation as Office staff; the API must never answer with a server error.

(Driven by hand rather than through schemathesis' pytest plugin, which does not run under
pytest 9.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.openapi import from_wsgi

from accounts.models import User
from config.wsgi import application
from tests.conftest import PASSWORD


@contextmanager
def connection_kept() -> Iterator[None]:
    """Requests go straight to the WSGI app, so Django would close the test's database
    connection after each one (the test client avoids that the same way, and reconnects the
    handler after each of its own requests: so no test client inside this block)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_api_never_answers_with_a_server_error(personas: dict[str, User]) -> None:
    token = (
        Client()
        .post(
            "/api/v1/auth/token",
            json.dumps({"username": "p_office", "password": PASSWORD}),
            content_type="application/json",
        )
        .json()["token"]
    )
    with connection_kept():
        schema = from_wsgi("/api/v1/openapi.json", application)
        operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]  # an invalid schema fails here, as it should
        assert len(operations) > 20

        for operation in operations:

            @settings(
                max_examples=10,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
            )
            @given(case=operation.as_strategy())
            def check(case: Case) -> None:
                response = case.call(headers={"Authorization": f"Bearer {token}"})
                case.validate_response(response, checks=[not_a_server_error])

            check()
