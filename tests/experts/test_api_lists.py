"""The experts' list API does not grow with the pool (issue 17 part 3): a page at a time, the
Measures in force read once (was one query per expert), no identity number decrypted."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import User
from experts import services
from tests.conftest import api_call, api_client
from tests.experts.test_pool import QUALIFIED

pytestmark = pytest.mark.req("A8.1")


def _number(n: int) -> str:
    """A valid identity number (GB 11643 check digit), one per n."""
    first17 = f"3206821975{1 + n // 28:02d}{1 + n % 28:02d}{n % 1000:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


def _add(office: User, numbers: range) -> None:
    for n in numbers:
        services.save_expert(
            actor=office, id_number=_number(n), **(QUALIFIED | {"name": f"专家{n:03d}"})
        )


def test_the_experts_api_is_paged_and_constant_in_rows(
    office: User, program: object, django_assert_max_num_queries: Any
) -> None:
    client = api_client("p_office")
    _add(office, range(1, 4))  # N = 3
    api_call(client, "get", "/experts")
    with django_assert_max_num_queries(10) as n_rows:
        listed = api_call(client, "get", "/experts").json()
    assert listed["count"] == 3
    assert [e["gaps"] for e in listed["results"]] == [[], [], []]
    _add(office, range(4, 10))  # 3N = 9
    with django_assert_max_num_queries(len(n_rows.captured_queries)):
        listed = api_call(client, "get", "/experts?page=2&page_size=4").json()
    assert listed["count"] == 9
    assert [e["name"] for e in listed["results"]] == ["专家005", "专家006", "专家007", "专家008"]
    for q in n_rows.captured_queries:
        assert '"id_number"' not in q["sql"]
        assert '"phone"' not in q["sql"] or "accounts_user" in q["sql"]
