"""Every URL of the URLconf has a row in the permission matrix, and each row holds.

A new page without a row fails `test_every_url_pattern_has_a_row`: nothing escapes review.
Rows give the expected status of a GET per persona; `default` covers the personas not named.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import RecommendingUnit, RoleAssignment, User
from programs.models import Announcement, Cycle
from programs.services import publish_call
from tests.conftest import client_for

PERSONAS = [
    "anon",
    "outsider",
    "applicant",
    "individual",
    "recommender",
    "office",
    "expert",
    "supervisor",
    "committee",
    "sysadmin",
    "secadmin",
    "auditadmin",
]
SIGNED_IN = {p: 200 for p in PERSONAS if p != "anon"}
OFFICE_PAGE = {"anon": 302, "office": 200, "default": 403}
OFFICE_POST = {"anon": 302, "office": 405, "default": 403}

# url name -> expected GET status per persona
MATRIX: dict[str, dict[str, int]] = {
    "programs:home": {"default": 200},
    "programs:announcement": {"default": 200},
    "programs:cycle_list": OFFICE_PAGE,
    "programs:cycle_create": OFFICE_POST,
    "programs:cycle_detail": OFFICE_PAGE,
    "programs:cycle_set_dates": OFFICE_POST,
    "programs:cycle_publish": OFFICE_POST,
    "programs:calendar": OFFICE_PAGE,
    "programs:calendar_enter": OFFICE_POST,
    "accounts:login": {"anon": 200, "default": 302},
    "accounts:logout": {"default": 405},
    "accounts:dashboard": {"anon": 302, "default": 200},
    "accounts:roles": {"anon": 302, "secadmin": 200, "default": 403},
    "accounts:role_grant": {"anon": 302, "secadmin": 405, "default": 403},
    "accounts:role_revoke": {"anon": 302, "secadmin": 405, "default": 403},
    "accounts:unlock": {"anon": 302, "secadmin": 405, "default": 403},
    "accounts:units": OFFICE_PAGE,
    "accounts:unit_add": OFFICE_POST,
    "accounts:unit_change": OFFICE_POST,
    "audit:trail": {"anon": 302, "supervisor": 200, "auditadmin": 200, "default": 403},
    "healthz": {"default": 200},
}
# Whole namespaces checked through a representative URL (the rest share its gate).
NAMESPACES: dict[str, tuple[str, dict[str, int]]] = {
    # The admin redirects everyone but the system administrator to its own login.
    "admin": ("admin:index", {"sysadmin": 200, "default": 302}),
    # The API's own gates are tested endpoint by endpoint in tests/test_api.py.
    "api": ("api:openapi-json", {"default": 200}),
}


def _names(patterns: list[Any], prefix: str = "") -> set[str]:
    names: set[str] = set()
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
            names |= _names(p.url_patterns, ns)
        elif isinstance(p, URLPattern):
            names.add(f"{prefix}{p.name}" if p.name else f"{prefix}<unnamed {p.pattern}>")
    return names


def test_every_url_pattern_has_a_row() -> None:
    missing = sorted(
        n
        for n in _names(get_resolver().url_patterns)
        if n not in MATRIX and n.split(":")[0] not in NAMESPACES
    )
    assert missing == [], f"URL patterns without a permission-matrix row: {missing}"


def _url(name: str, cycle: Cycle, announcement: Announcement) -> str:
    if name == "accounts:unit_change":
        return reverse(name, args=[RecommendingUnit.objects.first().pk])  # type: ignore[union-attr]
    if name == "accounts:role_revoke":
        return reverse(name, args=[RoleAssignment.objects.first().pk])  # type: ignore[union-attr]
    if name == "programs:announcement":
        return reverse(name, args=[announcement.public_id])
    if name.startswith("programs:cycle_") and name not in {
        "programs:cycle_list",
        "programs:cycle_create",
    }:
        return reverse(name, args=[cycle.pk])
    return reverse(name)


@pytest.mark.req("A3.1", "A6.2")
def test_permission_matrix(personas: dict[str, User | None], cycle: Cycle, office: User) -> None:
    announcement = publish_call(actor=office, cycle=cycle)
    rows = dict(MATRIX) | {ns: row for ns, (_, row) in NAMESPACES.items()}
    urls = {name: _url(name, cycle, announcement) for name in MATRIX}
    urls |= {ns: reverse(rep) for ns, (rep, _) in NAMESPACES.items()}
    failures = []
    for persona in PERSONAS:
        client = client_for(personas[persona])
        for name, url in urls.items():
            expected = rows[name].get(persona, rows[name].get("default"))
            status = client.get(url).status_code
            if status != expected:
                failures.append(f"{persona} GET {url} ({name}): {status}, expected {expected}")
    assert failures == []
