"""Two saves of a group's consensus from the same revision (two windows, or two clicks): the
second is refused as stale and overwrites nothing, on the page and through the API (A17.1)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from review import services
from review.models import Consensus
from tests.conftest import api_call, api_client, client_for
from tests.review.conftest import World, full_scores, rubric_of, score_and_submit

MATERIAL = "material_review"


def _ready(world: World) -> None:
    services.open_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    for n, pct in enumerate((50, 60, 70)):
        score_and_submit(world, world.organization, n, pct)


def _posted(world: World, percent: int, revision: str, comment: str) -> dict[str, str]:
    data = {"action": "save", "comment": comment, "revision": revision}
    for item in rubric_of(world, world.organization).items.all():
        data[f"percent-{item.code}"] = str(percent)
        data[f"strengths-{item.code}"] = ""
        data[f"opportunities-{item.code}"] = ""
    return data


def _items(consensus: Consensus) -> set[int]:
    return set(consensus.items.values_list("percent", flat=True))


@pytest.mark.req("A17.1")
def test_a_second_save_from_the_same_revision_is_refused_on_the_page(world: World) -> None:
    _ready(world)
    url = reverse("review:consensus", args=[world.organization.public_id, MATERIAL])
    first, second = client_for(world.users[0]), client_for(world.users[0])
    # Both windows show revision 0 in their hidden field.
    for window in (first, second):
        assert 'name="revision" value="0"' in window.get(url).content.decode()
    assert first.post(url, _posted(world, 65, "0", "第一个窗口")).status_code == 302
    stale = second.post(url, _posted(world, 40, "0", "第二个窗口"))
    assert stale.status_code == 409
    html = stale.content.decode()
    assert "专家组共识已在其他窗口保存" in html
    assert "本次未保存，已保存的内容未被覆盖" in html
    # The refused input stays on the page for the leader to copy.
    assert "第二个窗口" in html
    consensus = Consensus.objects.get(group=world.group(world.organization))
    assert (consensus.revision, consensus.comment, _items(consensus)) == (1, "第一个窗口", {65})
    # Confirming from the old page is refused too; the page reloaded carries revision 1.
    confirm = _posted(world, 40, "0", "第二个窗口") | {"action": "confirm"}
    assert second.post(url, confirm).status_code == 409
    consensus.refresh_from_db()
    assert not consensus.final
    assert 'name="revision" value="1"' in second.get(url).content.decode()
    assert second.post(url, confirm | {"revision": "1"}).status_code == 302
    consensus.refresh_from_db()
    assert (consensus.final, consensus.revision, _items(consensus)) == (True, 2, {40})
    assert AuditEvent.objects.filter(action="review.consensus.save").count() == 1
    assert AuditEvent.objects.filter(action="review.consensus.confirm").count() == 1


@pytest.mark.req("A17.1")
def test_a_post_without_a_revision_is_stale(world: World) -> None:
    _ready(world)
    url = reverse("review:consensus", args=[world.organization.public_id, MATERIAL])
    data = _posted(world, 65, "", "无修订号")
    assert client_for(world.users[0]).post(url, data).status_code == 409
    assert not Consensus.objects.filter(group=world.group(world.organization)).exists()


@pytest.mark.req("A17.1")
def test_a_second_save_from_the_same_revision_is_refused_by_the_api(world: World) -> None:
    _ready(world)
    path = f"/applications/{world.organization.public_id}/{MATERIAL}/consensus"
    leader = api_client("reviewer0")
    rubric = rubric_of(world, world.organization)
    first = {"revision": 0, "items": full_scores(rubric, 65), "comment": "甲"}
    saved = api_call(leader, "put", path, first)
    assert saved.status_code == 200, saved.content
    assert saved.json()["revision"] == 1
    second = {"revision": 0, "items": full_scores(rubric, 40), "comment": "乙", "final": True}
    stale = api_call(leader, "put", path, second)
    assert (stale.status_code, stale.json()["code"]) == (409, "stale")
    current = api_call(leader, "get", path).json()
    assert (current["revision"], current["comment"], current["final"]) == (1, "甲", False)
    assert {v["percent"] for v in current["items"].values()} == {65}
    done = api_call(leader, "put", path, second | {"revision": 1})
    assert done.status_code == 200, done.content
    assert (done.json()["revision"], done.json()["score"]) == (2, "400.00")


@pytest.mark.req("A17.1")
def test_the_consensus_event_carries_the_items_and_score(world: World) -> None:
    _ready(world)
    group = world.group(world.organization)
    rubric = rubric_of(world, world.organization)
    consensus = services.save_consensus(
        actor=world.users[0],
        group=group,
        items=full_scores(rubric, 60, **{"4_1_2": 80}),
        final=True,
        revision=0,
    )
    event = AuditEvent.objects.get(action="review.consensus.confirm")
    assert (event.object_type, event.object_id) == ("review.consensus", str(consensus.pk))
    assert event.after is not None
    assert event.after["score"] == str(consensus.score)
    assert event.after["revision"] == 1
    assert event.after["items"]["4.1.2"] == 80
    assert len(event.after["items"]) == rubric.items.count()
