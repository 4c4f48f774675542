"""The audit trail page: read by the audit administrator and supervisors, filtered (A27.1)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import User
from programs.models import AwardProgram
from programs.services import create_cycle
from tests.conftest import client_for

pytestmark = pytest.mark.req("A27.1", "A3.1")


def test_supervisor_reads_the_trail_filtered_by_action(
    personas: dict[str, User], program: AwardProgram
) -> None:
    create_cycle(actor=personas["office"], program=program, year=2026)
    client = client_for(personas["supervisor"])
    html = client.get(reverse("audit:trail"), {"action": "programs.cycle"}).content.decode()
    assert "programs.cycle.create" in html
    assert "accounts.role.grant" not in html
    html = client.get(reverse("audit:trail"), {"actor": "p_office"}).content.decode()
    assert "programs.cycle.create" in html


def test_trail_filters_by_object_and_date(personas: dict[str, User], program: AwardProgram) -> None:
    cycle = create_cycle(actor=personas["office"], program=program, year=2026)
    client = client_for(personas["auditadmin"])
    page = client.get(
        reverse("audit:trail"), {"object_type": "programs.cycle", "object_id": str(cycle.pk)}
    )
    assert [e.action for e in page.context["page"].object_list] == ["programs.cycle.create"]
    empty = client.get(reverse("audit:trail"), {"date_to": "2000-01-01"})
    assert len(empty.context["page"].object_list) == 0


def test_trail_query_count_does_not_grow_with_events(
    personas: dict[str, User], program: AwardProgram, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(personas["auditadmin"])
    client.get(reverse("audit:trail"))  # warm the session
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("audit:trail"))
    for year in range(2030, 2050):
        create_cycle(actor=personas["office"], program=program, year=year)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("audit:trail"))


def test_the_trail_page_verifies_the_chain_on_demand(
    personas: dict[str, User], program: AwardProgram
) -> None:
    """The audit administrator sees whether the chain holds on the page itself (before, only
    the supervisors' Excel export said so, and no page linked it for the audit administrator)."""
    from audit.models import AuditEvent

    create_cycle(actor=personas["office"], program=program, year=2026)
    client = client_for(personas["auditadmin"])
    plain = client.get(reverse("audit:trail")).content.decode()
    assert "审计链校验通过" not in plain  # verified only when asked: it reads every event
    assert "校验审计链" in plain
    assert reverse("supervision:audit_export") in plain
    checked = client.get(reverse("audit:trail"), {"verify": "1", "action": "programs"})
    html = checked.content.decode()
    assert "审计链校验通过" in html
    assert f"审计链完整：共校验 {AuditEvent.objects.count()} 条事件" in html
    assert "programs.cycle.create" in html
    assert "accounts.role.grant" not in html  # the filter still applies
    assert "action=programs&amp;verify=1" in html  # verifying again keeps the filter


def test_the_trail_page_names_the_broken_link(
    personas: dict[str, User], program: AwardProgram
) -> None:
    from django.db import connection

    create_cycle(actor=personas["office"], program=program, year=2026)
    with connection.cursor() as cursor:  # an attacker with database access
        cursor.execute("UPDATE audit_auditevent SET reason = %s WHERE seq = %s", ["改写", 2])
    html = client_for(personas["supervisor"]).get(reverse("audit:trail"), {"verify": "1"})
    text = html.content.decode()
    assert "审计链校验未通过" in text
    assert "审计链断裂：第 2 号事件的内容与其哈希不符：事件被篡改。" in text
