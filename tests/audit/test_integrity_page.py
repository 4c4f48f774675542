"""The trail page's 校验 names what differs from the chain, and the audit administrator writes
a checkpoint from the page (issue 14, part 5)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from audit import anchors
from audit.models import AuditEvent
from programs.models import AwardProgram
from tests.conftest import client_for

pytestmark = [pytest.mark.req("A27.1"), pytest.mark.django_db]


def test_the_audit_administrator_writes_a_checkpoint_from_the_page(
    personas: dict[str, User], django_capture_on_commit_callbacks: Any
) -> None:
    url = reverse("audit:anchor")
    trail = reverse("audit:trail")
    admin = client_for(personas["auditadmin"])
    assert 'action="/audit/anchor/"' in admin.get(trail).content.decode()
    supervisor = client_for(personas["supervisor"])
    assert 'action="/audit/anchor/"' not in supervisor.get(trail).content.decode()
    assert supervisor.post(url).status_code == 403
    assert admin.get(url).status_code == 405
    assert anchors.read().checkpoints == []
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(url, follow=True)
    (checkpoint,) = anchors.read().checkpoints
    html = response.content.decode()
    assert f"已写入{checkpoint.label}，并已通知纪律监督员。" in html
    event = AuditEvent.objects.get(action="audit.anchor.write")
    assert (event.actor, event.role, event.seq) == (
        personas["auditadmin"],
        "auditadmin",
        checkpoint.seq + 1,
    )
    # The check now reads the checkpoint.
    html = admin.get(trail, {"verify": "1"}).content.decode()
    assert "与 1 个检查点一致" in html


def test_verify_on_the_trail_page_names_a_row_changed_in_sql(
    personas: dict[str, User], program: AwardProgram
) -> None:
    trail = reverse("audit:trail")
    client = client_for(personas["supervisor"])
    html = client.get(trail, {"verify": "1"}).content.decode()
    assert "数据与审计记录一致" in html
    assert "alert-success" in html
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_roleassignment (user_id, role, program_id, granted_at)"
            " VALUES (%s, %s, %s, %s)",
            [personas["outsider"].pk, Role.COMMITTEE.value, program.pk, timezone.now()],
        )
    html = client.get(trail, {"verify": "1"}).content.decode()
    assert "审计链校验通过；数据与审计记录不一致" in html
    assert "alert-danger" in html
    assert "（outsider：" in html
    assert "：没有审计记录</li>" in html
