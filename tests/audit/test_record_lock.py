"""record() holds the chain head's lock as briefly as it can (issue 17, performance note item 4):
everything that may read the database (the object's name follows foreign keys) happens before
the `SELECT ... FOR UPDATE`, so no other audited change waits on a lazy SELECT."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from audit.models import ChainHead
from audit.services import record, verify_chain
from programs.models import AwardProgram, Cycle

pytestmark = pytest.mark.req("A3.1")


def _is_head_read(sql: str) -> bool:
    return ChainHead._meta.db_table in sql and sql.lstrip().upper().startswith("SELECT")


@pytest.mark.django_db
def test_record_runs_no_query_inside_the_chain_lock(program: AwardProgram) -> None:
    made = program.cycles.first() or Cycle.objects.create(
        program=program, year=2031, policy=program.policies.get()
    )
    cycle = Cycle.objects.get(pk=made.pk)  # its name reads the program: one lazy SELECT
    ChainHead.objects.get_or_create(id=1)
    with CaptureQueriesContext(connection) as ctx, transaction.atomic():
        record(actor=None, role="office", action="review.evaluate", obj=cycle)
    sqls = [q["sql"] for q in ctx.captured_queries]
    lock = next(i for i, sql in enumerate(sqls) if _is_head_read(sql))
    if connection.vendor == "postgresql":
        assert "FOR UPDATE" in sqls[lock]
    inside = sqls[lock + 1 :]
    # The event's INSERT, then the head's UPDATE; nothing else while the head is held.
    assert [sql.split()[0].upper() for sql in inside[:2]] == ["INSERT", "UPDATE"], inside
    assert "audit_auditevent" in inside[0] or "auditevent" in inside[0].lower()
    assert ChainHead._meta.db_table in inside[1]
    rest = [s for s in inside[2:] if s.split()[0].upper() not in ("RELEASE", "COMMIT")]
    assert rest == []
    # The object's name was read before the lock (it needs the program's row).
    assert any(AwardProgram._meta.db_table in sql for sql in sqls[:lock])
    assert verify_chain().ok
