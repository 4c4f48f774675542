"""What the database alone can no longer hide (issue 14, part 5): a result changed in SQL
differs from its audited value (`audit_verify --state`); a rewritten history with every later
hash recomputed, and a truncated tail with the head moved back, differ from the checkpoints
kept outside the database (`audit_verify`). Each is done as an attacker would, in raw SQL
(the models refuse to change events), on SQLite and PostgreSQL alike."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from audit import anchors
from audit.integrity import verify_state
from audit.models import AuditEvent, ChainHead
from audit.services import _digest, record, verify_chain
from review.models import Evaluation, ItemScore, Scorecard
from tests.audit.tamper import tamper
from tests.review import conftest as review
from tests.review.conftest import World, through_evaluation

# The review world of tests/review, with the fixtures it stands on.
in_window, open_cycle, org, person = review.in_window, review.open_cycle, review.org, review.person
world = review.world

pytestmark = pytest.mark.req("A3.1", "A27.1")


def _raw(sql: str, params: list[Any]) -> None:
    """Tamper with the tables behind the app's back, as an attacker with database access would."""
    tamper(sql, params)


def _verify(*args: str) -> tuple[str, str]:
    """`manage.py audit_verify` as a shell runs it: (stdout, the error it exits 1 with, or "")."""
    out = StringIO()
    error: CommandError | None = None
    try:
        call_command("audit_verify", *args, stdout=out, stderr=StringIO())
    except CommandError as exc:
        error = exc
    assert error is None or error.returncode == 1
    return out.getvalue(), str(error or "")


def _append(n: int) -> list[AuditEvent]:
    events = []
    for i in range(n):
        with transaction.atomic():
            events.append(
                record(
                    actor=None,
                    role="office",
                    action="programs.cycle.set_dates",
                    after={"i": i},
                    reason=f"理由{i}",
                )
            )
    return events


def _rewrite_from(seq: int, reason: str) -> None:
    """Change event `seq` and recompute its hash and every later one's, then move the head:
    the chain alone verifies again."""
    events = list(AuditEvent.objects.filter(seq__gte=seq).order_by("seq"))
    prev = events[0].prev_hash
    for event in events:
        if event.seq == seq:
            event.reason = reason
        event.prev_hash = prev
        event.hash = _digest(event)
        prev = event.hash
        _raw(
            "UPDATE audit_auditevent SET reason = %s, prev_hash = %s, hash = %s WHERE seq = %s",
            [event.reason, event.prev_hash, event.hash, event.seq],
        )
    _raw("UPDATE audit_chainhead SET hash = %s WHERE id = 1", [prev])


def _truncate_to(seq: int) -> None:
    """Delete every event after `seq` and move the head back to it."""
    kept = AuditEvent.objects.get(seq=seq)
    _raw("DELETE FROM audit_auditevent WHERE seq > %s", [seq])
    _raw("UPDATE audit_chainhead SET seq = %s, hash = %s WHERE id = 1", [seq, kept.hash])


@pytest.mark.django_db
def test_a_rewritten_event_with_recomputed_hashes_is_named(settings: Any, tmp_path: Any) -> None:
    _append(4)
    checkpoint = anchors.write()
    assert (checkpoint.seq, checkpoint.count) == (4, 4)
    _append(2)
    _rewrite_from(2, "改写后的理由")
    # Without the checkpoint the rewrite passes: the chain is consistent in itself.
    kept = settings.AUDIT_ANCHOR_DIR
    settings.AUDIT_ANCHOR_DIR = tmp_path / "elsewhere"
    assert verify_chain().ok
    settings.AUDIT_ANCHOR_DIR = kept
    out, error = _verify()
    assert out == ""
    assert "审计链断裂：第 4 号事件的哈希与检查点" in error
    assert "第 1 至 4 号之间的事件被改写" in error


@pytest.mark.django_db
def test_a_truncated_tail_with_the_head_moved_back_is_named() -> None:
    _append(5)
    anchors.write()  # fixes seq 5, then records its own event (6)
    _append(1)
    assert _verify()[1] == ""
    _truncate_to(3)
    # The chain alone is consistent: the head agrees with the last event left.
    head = ChainHead.objects.get(id=1)
    assert (head.seq, AuditEvent.objects.count()) == (3, 3)
    _, error = _verify()
    assert "审计链断裂：第 4 号事件起的事件缺失" in error
    assert "时链已有 5 条事件，现仅 3 条，链尾被删除，链头被移回" in error


@pytest.mark.django_db
def test_a_forged_or_edited_checkpoint_is_refused(settings: Any) -> None:
    _append(3)
    checkpoint = anchors.write()
    assert verify_chain().ok
    forged = json.loads(checkpoint.as_line()) | {"seq": 2}
    with anchors.path().open("a", encoding="utf-8") as f:
        f.write(json.dumps(forged) + "\n")
    report = verify_chain()
    assert not report.ok
    assert "检查点文件第 2 行的 HMAC-SM3 不符" in str(report)
    # Written with another key, every checkpoint fails: the database alone cannot make one.
    settings.AUDIT_ANCHOR_KEY = "另一把密钥"
    assert "第 1 行的 HMAC-SM3 不符" in str(verify_chain())


@pytest.mark.django_db
def test_the_checkpoint_is_keyed_with_hmac_sm3_outside_the_database() -> None:
    import hashlib
    import hmac

    from django.conf import settings

    _append(2)
    checkpoint = anchors.write()
    line = json.loads(anchors.path().read_text().splitlines()[0])
    message = json.dumps(
        {k: line[k] for k in ("at", "count", "hash", "seq")}, sort_keys=True, separators=(",", ":")
    )
    expected = hmac.new(settings.AUDIT_ANCHOR_KEY.encode(), message.encode(), "sm3").hexdigest()
    assert line["mac"] == expected == checkpoint.mac
    assert line["hash"] == AuditEvent.objects.get(seq=2).hash
    assert len(hashlib.new("sm3", b"").hexdigest()) == len(expected)
    # The key is nowhere in the database's events.
    assert not AuditEvent.objects.filter(after__icontains=settings.AUDIT_ANCHOR_KEY).exists()
    event = AuditEvent.objects.get(action="audit.anchor.write")
    assert event.after == {"seq": 2, "hash": line["hash"], "count": 2, "at": line["at"]}


@pytest.mark.django_db
def test_a_score_edited_in_sql_is_named(world: World, time_machine: Any) -> None:
    through_evaluation(world, time_machine)
    out, error = _verify("--state")
    assert error == ""
    assert "数据与审计记录一致" in out
    evaluation = Evaluation.objects.get(application=world.organization)
    _raw("UPDATE review_evaluation SET final_score = %s WHERE id = %s", [999, evaluation.pk])
    card = Scorecard.objects.filter(state=Scorecard.State.SUBMITTED).order_by("pk").first()
    assert card is not None
    score = ItemScore.objects.get(scorecard=card, item__code="4.1.2")
    _raw("UPDATE review_itemscore SET percent = %s WHERE id = %s", [100, score.pk])
    out, error = _verify("--state")
    # The chain itself holds: only the data was bent.
    assert "审计链完整" in out
    assert "数据与审计记录不一致：" in error
    org_id = world.organization.pk
    assert (
        f"综合评价 申报 #{org_id}（{world.organization.applicant_name}）：final_score 现为 "
        f"999.00，审计记录为 {evaluation.final_score}"
    ) in error
    assert f"评审专家评分表 #{card.pk}（" in error
    assert f"items[4.1.2] 现为 100，审计记录为 {score.percent}" in error
    report = verify_state()
    assert len(report.mismatches) == 3  # the final score; the card's item and its points


@pytest.mark.django_db
def test_the_daily_checkpoint_follows_a_committed_write(
    settings: Any, time_machine: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.AUDIT_ANCHOR_AUTO = True
    with django_capture_on_commit_callbacks(execute=True):
        _append(1)
    assert [c.seq for c in anchors.read().checkpoints] == [1]
    with django_capture_on_commit_callbacks(execute=True):
        _append(3)
    assert len(anchors.read().checkpoints) == 1  # a day has not passed
    time_machine.move_to(timezone.now() + anchors.EVERY, tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        _append(1)
    # Seq 2 was the first checkpoint's own event; 3 to 5 the three; 6 the one after a day.
    assert [c.seq for c in anchors.read().checkpoints] == [1, 6]
    assert verify_chain().ok


@pytest.mark.django_db
def test_the_supervisors_receive_each_checkpoint(
    personas: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    supervisor = personas["supervisor"]
    supervisor.email = "jiandu@example.cn"
    supervisor.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        checkpoint = anchors.write()
    (message,) = [m for m in mail.outbox if "jiandu@example.cn" in m.to]
    assert "审计链检查点" in message.subject
    assert checkpoint.hash in message.body
    assert checkpoint.mac in message.body


@pytest.mark.django_db
def test_audit_anchor_writes_a_checkpoint_on_demand() -> None:
    _append(3)
    out = StringIO()
    call_command("audit_anchor", stdout=out)
    (checkpoint,) = anchors.read().checkpoints
    assert (checkpoint.seq, checkpoint.count) == (3, 3)
    assert f"已写入{checkpoint.label}：哈希 {checkpoint.hash}，共 3 条事件" in out.getvalue()
    event = AuditEvent.objects.get(action="audit.anchor.write")
    assert (event.seq, event.role, event.reason) == (4, "system", "manage.py audit_anchor")
    assert "与 1 个检查点一致" in _verify()[0]
