"""The audit chain: written in the change's transaction, SM3-linked, tamper-evident."""

from __future__ import annotations

import hashlib
import threading
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from accounts.models import User
from audit.models import GENESIS_HASH, AuditEvent, ChainHead
from audit.services import record, verify_chain
from tests.audit.tamper import tamper

pytestmark = pytest.mark.req("A3.1")


def _append(n: int, actor: User | None = None) -> list[AuditEvent]:
    events = []
    for i in range(n):
        with transaction.atomic():
            events.append(
                record(
                    actor=actor,
                    role="office",
                    action="programs.cycle.set_dates",
                    after={"i": i},
                    reason=f"理由{i}",
                )
            )
    return events


def _raw(sql: str, params: list[Any]) -> None:
    """Tamper with the tables behind the app's back, as an attacker with database access would."""
    tamper(sql, params)


@pytest.mark.django_db
def test_record_links_each_event_to_the_previous_with_sm3() -> None:
    first, second = _append(2)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert len(second.hash) == 64
    assert second.hash != hashlib.sha256().hexdigest()  # not SHA-256 of anything trivial
    head = ChainHead.objects.get(id=1)
    assert (head.seq, head.hash) == (2, second.hash)
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_record_refuses_to_run_outside_a_transaction() -> None:
    with pytest.raises(RuntimeError, match="transaction"):
        record(actor=None, role="office", action="programs.cycle.close")
    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db
def test_record_rolls_back_with_the_change_it_records() -> None:
    def change_that_fails() -> None:
        with transaction.atomic():
            record(actor=None, role="office", action="programs.cycle.close")
            raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        change_that_fails()
    assert AuditEvent.objects.count() == 0
    assert ChainHead.objects.get(id=1).seq == 0


@pytest.mark.django_db
def test_record_keeps_who_role_what_when_and_why(office: User) -> None:
    with transaction.atomic():
        event = record(
            actor=office,
            role="office",
            action="supervision.case.decide",
            obj=office,
            before={"a": 1},
            after={"a": 2},
            reason="依据第十六条",
        )
    event.refresh_from_db()
    assert event.actor == office
    assert event.actor_username == office.username
    assert (event.role, event.action) == ("office", "supervision.case.decide")
    assert event.reason == "依据第十六条"
    assert (event.object_type, event.object_id) == ("accounts.user", str(office.pk))
    assert (event.before, event.after) == ({"a": 1}, {"a": 2})
    assert event.created_at is not None


@pytest.mark.django_db
def test_app_cannot_edit_or_delete_an_event() -> None:
    (event,) = _append(1)
    event.reason = "改写"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).update(reason="改写")
    with pytest.raises(TypeError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get().reason == "理由0"


@pytest.mark.django_db
def test_verify_names_the_first_altered_event() -> None:
    events = _append(5)
    _raw("UPDATE audit_auditevent SET reason = %s WHERE seq = %s", ["改写", events[2].seq])
    report = verify_chain()
    assert not report.ok
    assert report.broken_seq == 3
    assert "篡改" in str(report)


@pytest.mark.django_db
def test_verify_catches_an_altered_json_payload() -> None:
    events = _append(3)
    _raw("UPDATE audit_auditevent SET after = %s WHERE seq = %s", ['{"i": 99}', events[1].seq])
    assert verify_chain().broken_seq == 2


@pytest.mark.django_db
def test_verify_catches_a_deleted_event() -> None:
    events = _append(4)
    _raw("DELETE FROM audit_auditevent WHERE seq = %s", [events[1].seq])
    report = verify_chain()
    assert not report.ok
    assert report.broken_seq == 3


@pytest.mark.django_db
def test_verify_catches_a_deleted_tail() -> None:
    events = _append(3)
    _raw("DELETE FROM audit_auditevent WHERE seq = %s", [events[2].seq])
    report = verify_chain()
    assert not report.ok
    assert report.broken_seq == 3


@pytest.mark.django_db
def test_verify_catches_reordered_events() -> None:
    """Swapping two events' content (keeping their positions) breaks the links."""
    a, b = _append(3)[:2]
    columns = ["action", "after", "reason", "prev_hash", "hash"]
    sets = ", ".join(f"{c} = %s" for c in columns)
    rows = {
        e.seq: [
            getattr(e, c) if c != "after" else f'{{"i": {(e.after or {})["i"]}}}' for c in columns
        ]
        for e in (a, b)
    }
    # Free the unique hash values first, then write each row with the other's content.
    _raw("UPDATE audit_auditevent SET hash = %s, prev_hash = %s WHERE seq = %s", ["x", "y", a.seq])
    _raw(f"UPDATE audit_auditevent SET {sets} WHERE seq = %s", [*rows[a.seq], b.seq])
    _raw(f"UPDATE audit_auditevent SET {sets} WHERE seq = %s", [*rows[b.seq], a.seq])
    report = verify_chain()
    assert not report.ok
    assert report.broken_seq == 1


@pytest.mark.django_db
def test_audit_verify_command_exits_zero_then_nonzero_after_tampering() -> None:
    events = _append(3)
    call_command("audit_verify")
    _raw("UPDATE audit_auditevent SET role = %s WHERE seq = %s", ["committee", events[0].seq])
    with pytest.raises(CommandError, match="第 1 号事件"):
        call_command("audit_verify")


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need a server database"
)
def test_concurrent_appends_never_fork_the_chain() -> None:
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(10):
                with transaction.atomic():
                    record(
                        actor=None,
                        role="office",
                        action="programs.cycle.set_dates",
                        after={"worker": n, "i": i},
                    )
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert AuditEvent.objects.count() == 40
    assert verify_chain().ok


@pytest.mark.req("A27.1")
@pytest.mark.django_db
def test_postgresql_refuses_update_and_delete_of_an_event_in_the_database() -> None:
    """Security plan, test 39: on PostgreSQL a trigger makes the table append-only whatever SQL
    the application (or a curious administrator without the owner's rights) sends; SQLite has no
    such guard, the models refuse there."""
    from django.db import DatabaseError

    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's")
    (event,) = _append(1)
    for sql in (
        "UPDATE audit_auditevent SET reason = 'x' WHERE seq = %s",
        "DELETE FROM audit_auditevent WHERE seq = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="审计事件只能追加"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.seq])
    assert AuditEvent.objects.get(seq=event.seq).reason == event.reason
