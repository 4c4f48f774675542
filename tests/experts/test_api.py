"""The experts' API: the same services and permissions as the pages will have."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from experts.models import Expert
from tests.conftest import PASSWORD
from tests.experts.test_pool import QUALIFIED


def _client(username: str) -> tuple[Client, dict[str, str]]:
    client = Client()
    token = client.post(
        "/api/v1/auth/token",
        json.dumps({"username": username, "password": PASSWORD}),
        content_type="application/json",
    ).json()["token"]
    return client, {"Authorization": f"Bearer {token}"}


def _call(who: tuple[Client, dict[str, str]], method: str, path: str, body: Any = None) -> Any:
    client, headers = who
    kwargs: dict[str, Any] = {"headers": headers}
    if body is not None:
        kwargs |= {"data": json.dumps(body, default=str), "content_type": "application/json"}
    return getattr(client, method)(f"/api/v1{path}", **kwargs)


@pytest.mark.req("A8.1")
def test_office_adds_an_expert_and_sees_the_gaps(
    personas: dict[str, User], program: object
) -> None:
    office = _client("p_office")
    body = QUALIFIED | {"id_number": "320682197501010017", "evidence_discipline": ""}
    created = _call(office, "post", "/experts", body)
    assert created.status_code == 201, created.content
    assert created.json()["gaps"] == ["第八条第四项：缺少履职守纪、公正严明的依据"]
    assert _call(office, "get", "/experts").json()[0]["name"] == "赵强"
    assert _call(_client("p_expert"), "get", "/experts").status_code == 403
    assert (
        _call(
            _client("p_applicant"), "post", "/experts", body | {"id_number": "320682198002020020"}
        ).status_code
        == 403
    )
    assert Expert.objects.count() == 1


def test_confirming_an_unassigned_application_is_404(
    personas: dict[str, User], program: object
) -> None:
    import uuid

    response = _call(
        _client("p_expert"), "post", f"/applications/{uuid.uuid4()}/confirm-no-conflict"
    )
    assert response.status_code == 404
