"""A page never shows a link its reader cannot open (issue 14: the Office's 纪律监督工作台 linked
the audit trail and its export, both 403 for the Office). Who reads the trail: the audit
administrator and the discipline supervisors (accounts/rules.py `audit.view_trail`); the
Office, whose acts it records, does not."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import User
from tests.conftest import client_for
from tests.intake.conftest import in_window, open_cycle
from tests.review.conftest import World, org, person, world

__all__ = ["in_window", "open_cycle", "org", "person", "world"]  # fixtures

pytestmark = pytest.mark.req("A27.1", "A3.1")

HREF = re.compile(r'<a\b[^>]*\bhref="([^"#]+)"')
# Pages with side effects on GET or outside the app.
SKIP = ("/accounts/logout", "/static/", "/media/", "/admin/logout")


def _links(html: str) -> set[str]:
    return {unescape(h) for h in HREF.findall(html) if h.startswith("/") and not h.startswith(SKIP)}


def _pages(who: str, w: World) -> list[str]:
    """The role's workbench, and the workspace pages it may open."""
    pages = [reverse("accounts:dashboard")]
    if who in ("office", "supervisor"):
        pages += [
            reverse("supervision:overview"),
            reverse("supervision:cycle", args=[w.cycle.pk]),
        ]
    if who in ("supervisor", "auditadmin"):
        pages.append(reverse("audit:trail"))
    return pages


@pytest.mark.parametrize(
    "who",
    ["office", "supervisor", "auditadmin", "expert", "applicant", "recommender", "committee",
     "sysadmin", "secadmin"],
)  # fmt: skip
def test_every_link_on_a_roles_workbench_and_workspace_opens(
    who: str, world: World, personas: dict[str, User], time_machine: Any
) -> None:
    client = client_for(personas[who])
    refused = []
    for page in _pages(who, world):
        response = client.get(page)
        assert response.status_code == 200, (who, page)
        for link in sorted(_links(response.content.decode())):
            if client.get(link).status_code == 403:
                refused.append((page, link))
    assert refused == []


def test_the_office_workspace_does_not_link_the_trail(world: World) -> None:
    html = client_for(world.office).get(reverse("supervision:overview")).content.decode()
    assert reverse("audit:trail") not in html
    assert reverse("supervision:audit_export") not in html
    supervisor = client_for(world.supervisor).get(reverse("supervision:overview"))
    assert reverse("audit:trail") in supervisor.content.decode()
    assert reverse("supervision:audit_export") in supervisor.content.decode()
