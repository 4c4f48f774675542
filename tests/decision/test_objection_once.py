"""An objection the Office can answer, filed once (A20.2, issue 16 part 3): a contact that
reaches the objector (form, service and API alike), and the same objection sent again (a
fresh form, Back and resubmit, the API, two requests at once) recognized: the first receipt,
one row."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
import threading
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from decision import services
from decision.models import Objection, Proposal
from lib.errors import ServiceError
from tests.conftest import client_for
from tests.decision.conftest import CST, Decided, in_notice
from tests.test_stock_english import _stock_english

IN_NOTICE = dt.datetime(2026, 11, 26, 10, tzinfo=CST)


def _in_notice(d: Decided, time_machine: Any) -> Proposal:
    proposal = in_notice(d, time_machine)
    time_machine.move_to(IN_NOTICE, tick=False)
    return proposal  # type: ignore[no-any-return]


def _file(proposal: Proposal, **over: Any) -> Objection:
    fields: dict[str, Any] = {
        "proposal": proposal,
        "name": "张三",
        "identity": "如皋某公司员工",
        "contact": "13912345678",
        "content": "该公司2025年发生质量事故未如实申报。",
        "entry": proposal.entries.get(position=0),
        **over,
    }
    return services.file_objection(**fields)


def _form(client: Client) -> str:
    page = client.get(reverse("decision:object_to", args=[2026]))
    match = re.search(r'name="token" value="([^"]+)"', page.content.decode())
    assert match is not None
    return match.group(1)


def _post(client: Client, token: str, **over: Any) -> Any:
    data = {
        "token": token,
        "name": "张三",
        "identity": "如皋某公司员工",
        "contact": "13912345678",
        "entry": "0",
        "content": "该公司2025年发生质量事故未如实申报。",
        **over,
    }
    return client.post(reverse("decision:object_to", args=[2026]), data)


# --- the contact -------------------------------------------------------------------------------


@pytest.mark.req("A20.2")
@pytest.mark.parametrize("contact", ["abc", "12345", "0513-123", "zhang@", "1391234567"])
def test_a_contact_the_office_cannot_answer_is_refused_by_the_service(
    decided: Decided, time_machine: Any, contact: str
) -> None:
    proposal = _in_notice(decided, time_machine)
    with pytest.raises(ServiceError) as refused:
        _file(proposal, contact=contact)
    assert refused.value.article == "A20.2"
    (message,) = refused.value.fields["contact"]
    assert "联系方式可以是手机号码、带区号的固定电话或电子邮箱" in message or "电子邮箱" in message
    assert "本办公室须通过联系方式答复异议人（第二十条）" in message
    assert not Objection.objects.exists()


@pytest.mark.req("A20.2")
def test_a_good_contact_is_kept_in_its_written_form(decided: Decided, time_machine: Any) -> None:
    proposal = _in_notice(decided, time_machine)
    assert _file(proposal, contact="+86 139 1234 5678").contact == "13912345678"
    assert _file(proposal, contact="(0513)87654321", content="另一件事。").contact == (
        "0513-87654321"
    )
    assert _file(proposal, contact="Zhang@Example.COM", content="第三件事。").contact == (
        "Zhang@example.com"
    )


@pytest.mark.req("A20.2")
def test_the_form_and_the_api_refuse_abc_with_the_reason(
    decided: Decided, time_machine: Any
) -> None:
    _in_notice(decided, time_machine)
    client = Client()
    response = _post(client, _form(client), contact="abc")
    assert response.status_code == 400
    html = response.content.decode()
    assert "请填写手机号码，或带区号的固定电话（如0513-87654321）" in html
    assert _stock_english(response) == []
    wrong = _post(client, _form(client), contact="zhang@", entry="99", name="", content="")
    assert "电子邮箱地址格式不正确" in wrong.content.decode()
    assert _stock_english(wrong) == []  # no "Select a valid choice", no "Email"
    assert "该公司2025年发生质量事故未如实申报。" in html  # kept
    api = Client().post(
        "/api/v1/notices/2026/objections",
        {"name": "张三", "identity": "市民", "contact": "abc", "content": "有问题"},
        content_type="application/json",
    )
    assert api.status_code == 400
    assert "contact" in api.json()["fields"]
    assert not Objection.objects.exists()


# --- the same objection again ------------------------------------------------------------------


@pytest.mark.req("A20.2")
def test_the_same_objection_again_gives_the_first_receipt_and_files_nothing(
    decided: Decided, time_machine: Any
) -> None:
    proposal = _in_notice(decided, time_machine)
    first = _file(proposal)
    assert not first.repeated
    time_machine.move_to(IN_NOTICE + dt.timedelta(hours=3), tick=False)
    # Retyped: other spaces, full-width digits, the mobile with +86, another identity.
    again = _file(
        proposal,
        name=" 张 三",
        identity="市民",
        contact="+86 １３９ １２３４ ５６７８",
        content="该公司2025年发生质量事故  未如实申报。\n",
    )
    assert again.repeated
    assert again.pk == first.pk
    assert again.receipt == first.receipt
    assert Objection.objects.count() == 1
    assert AuditEvent.objects.filter(action="decision.objection.file").count() == 1
    # Another content, entry, name or contact is another objection.
    assert not _file(proposal, content="另一件事。").repeated
    assert not _file(proposal, entry=proposal.entries.get(position=1)).repeated
    assert not _file(proposal, name="李四").repeated
    assert not _file(proposal, contact="zhangsan@example.com").repeated
    assert Objection.objects.count() == 5
    assert AuditEvent.objects.filter(action="decision.objection.file").count() == 5


@pytest.mark.req("A20.2")
def test_a_fresh_form_with_the_same_objection_shows_the_first_receipt(
    decided: Decided, time_machine: Any
) -> None:
    _in_notice(decided, time_machine)
    client = Client()
    first = _post(client, _form(client))
    assert first.status_code == 302
    other = Client()  # another browser, a fresh form: the session knows nothing
    again = _post(other, _form(other))
    assert again.status_code == 302
    assert again["Location"] == first["Location"]
    html = other.get(again["Location"]).content.decode()
    assert "您已于2026年11月26日 10:00提交过相同的异议，不会重复受理。" in html
    assert Objection.objects.get().receipt in html
    assert "data-print>打印</button>" in html
    assert Objection.objects.count() == 1
    # The Office's board lists it once.
    receipt = Objection.objects.get().receipt
    board = client_for(decided.office).get(reverse("decision:board")).content.decode()
    assert "异议（1件，1件待核查）" in board
    assert board.count(reverse("decision:objection", args=[receipt])) == 1


@pytest.mark.req("A20.2")
def test_the_api_answers_a_repeat_with_the_first_receipt(
    decided: Decided, time_machine: Any
) -> None:
    _in_notice(decided, time_machine)
    body = {"name": "张三", "identity": "市民", "contact": "13912345678", "content": "有问题"}
    url = "/api/v1/notices/2026/objections"
    first = Client().post(url, body, content_type="application/json")
    again = Client().post(url, body, content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert (first.json()["repeated"], again.json()["repeated"]) == (False, True)
    assert again.json()["receipt"] == first.json()["receipt"]
    assert Objection.objects.count() == 1


# --- two at once -------------------------------------------------------------------------------


@pytest.mark.req("A20.2")
def test_the_fingerprint_is_unique_per_notice(decided: Decided, time_machine: Any) -> None:
    proposal = _in_notice(decided, time_machine)
    first = _file(proposal)
    assert len(first.fingerprint) == 64
    with pytest.raises(IntegrityError), transaction.atomic():
        Objection.objects.create(
            proposal=proposal,
            receipt="YY2026XXXXXXXXXX",
            name="张三",
            identity="市民",
            contact="13912345678",
            content="x",
            filed_at=first.filed_at,
            fingerprint=first.fingerprint,
        )
    # Blank fingerprints (rows older than the column that repeated one) do not collide.
    Objection.objects.filter(pk=first.pk).update(fingerprint="")
    Objection.objects.create(
        proposal=proposal,
        receipt="YY2026YYYYYYYYYY",
        name="张三",
        identity="市民",
        contact="13912345678",
        content="x",
        filed_at=first.filed_at,
    )


@pytest.mark.req("A20.2")
def test_a_request_that_loses_the_race_returns_the_winners_receipt(
    decided: Decided, time_machine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The look finds nothing, the other request files meanwhile, the insert is refused by
    the unique fingerprint: the answer is the other's receipt, nothing of this one stays."""
    proposal = _in_notice(decided, time_machine)
    winner = _file(proposal)
    looked = services._same_objection
    calls = iter([None])
    monkeypatch.setattr(services, "_same_objection", lambda p, f: next(calls, None) or looked(p, f))
    again = _file(proposal, evidence=[("证据.pdf", b"%PDF-1.4\n%%EOF\n")])
    assert again.repeated
    assert again.receipt == winner.receipt
    assert Objection.objects.count() == 1
    assert not winner.evidence.exists()
    assert AuditEvent.objects.filter(action="decision.objection.file").count() == 1


@pytest.mark.req("A20.2")
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections at once")
def test_two_racing_submissions_file_one_objection(
    decided: Decided, time_machine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    proposal = _in_notice(decided, time_machine)
    looked = services._same_objection
    both_looked = threading.Barrier(2, timeout=20)

    def look_then_wait(p: Proposal, f: str) -> Objection | None:
        found = looked(p, f)
        if found is None and threading.current_thread().name.startswith("racer"):
            with contextlib.suppress(threading.BrokenBarrierError):
                both_looked.wait()  # both have looked and found nothing: now both insert
        return found

    monkeypatch.setattr(services, "_same_objection", look_then_wait)
    results: list[Objection] = []
    failures: list[BaseException] = []

    def racer() -> None:
        try:
            results.append(_file(Proposal.objects.get(pk=proposal.pk)))
        except BaseException as exc:  # reported below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=racer, name=f"racer{n}") for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not failures
    assert Objection.objects.count() == 1
    assert sorted(r.repeated for r in results) == [False, True]
    assert results[0].receipt == results[1].receipt
    assert AuditEvent.objects.filter(action="decision.objection.file").count() == 1


@pytest.mark.req("A20.2")
def test_a_new_blind_index_key_still_recognizes_the_same_objection(
    decided: Decided, time_machine: Any, settings: Any
) -> None:
    """After BLIND_INDEX_KEY changes, `rotate_keys` recomputes the fingerprints: the same
    objection sent again is still recognized (it would be filed twice with stale ones)."""
    from django.core.management import call_command

    proposal = _in_notice(decided, time_machine)
    first = _file(proposal)
    settings.BLIND_INDEX_KEY = "77" * 32
    call_command("rotate_keys", stdout=io.StringIO())
    again = _file(proposal)
    assert again.repeated
    assert again.receipt == first.receipt
    assert Objection.objects.filter(proposal=proposal).count() == 1
