"""专家随机抽取 (A17.1, issue 14): the seed is the system's, recorded before the draw; a second
draw of a stage needs a reason; every draw is listed and replays from its seed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import User
from audit.models import AuditEvent
from experts import services
from experts.models import Assignment, Draw, Expert, ReviewGroup
from intake.models import Application
from lib.errors import ServiceError
from programs.models import Cycle
from tests.conftest import api_call, api_client, client_for
from tests.experts.test_conflicts import _application, _expert, _org, small_groups

__all__ = ["small_groups"]

STAGE = "material_review"


@pytest.fixture
def board(cycle: Cycle, office: User, small_groups: None) -> list[Application]:
    """Three applicants and eight experts of eight employers."""
    applications = [_application(cycle, office, org=_org(n)) for n in range(3)]
    for n in range(8):
        _expert(n, [{"employer_name": f"南通大学{n}"}], industries=["34" if n % 2 else "15"])
    return applications


def _pairs() -> list[list[str]]:
    return sorted(
        [str(a), str(e)]
        for a, e in Assignment.objects.filter(removed_at__isnull=True).values_list(
            "group__application_id", "expert_id"
        )
    )


@pytest.mark.req("A17.1")
def test_the_seed_comes_from_the_system_and_is_recorded_before_the_draw(
    cycle: Cycle, office: User, board: list[Application]
) -> None:
    summary = services.draw_groups(actor=office, cycle=cycle, stage=STAGE)
    draw = Draw.objects.get()
    assert summary["seed"] == draw.seed
    assert len(draw.seed) == 32
    int(draw.seed, 16)  # 128 bits from `secrets`, as hex
    assert (draw.drawn_by, draw.reason, draw.failure) == (office, "", "")
    assert draw.completed_at is not None
    seeded = AuditEvent.objects.get(action="experts.draw.seed")
    drawn = AuditEvent.objects.get(action="experts.groups.draw")
    assert seeded.seq < drawn.seq  # the seed is on the record before any pair
    assert (seeded.after or {})["seed"] == draw.seed
    assert (drawn.after or {})["pairs"] == [f"{a}:{e}" for a, e in draw.pairs]
    assert draw.pairs == _pairs()
    assert len(draw.pairs) == 6  # three groups of two
    assert set(Assignment.objects.values_list("source", flat=True)) == {"random"}


@pytest.mark.req("A17.1")
def test_a_draw_replays_from_its_seed(cycle: Cycle, office: User, board: list[Application]) -> None:
    services.draw_groups(actor=office, cycle=cycle, stage=STAGE)
    services.draw_groups(actor=office, cycle=cycle, stage=STAGE, reason="一名专家因病不能参加")
    first, second = Draw.objects.order_by("pk")
    assert services.replay_draw(first) == first.pairs
    assert services.replay_draw(second) == second.pairs == _pairs()
    assert first.seed != second.seed


@pytest.mark.req("A17.1")
def test_drawing_again_needs_a_reason(cycle: Cycle, office: User, board: list[Application]) -> None:
    services.draw_groups(actor=office, cycle=cycle, stage=STAGE)
    before = _pairs()
    for reason in ("", "   "):
        with pytest.raises(ServiceError) as refused:
            services.draw_groups(actor=office, cycle=cycle, stage=STAGE, reason=reason)
        assert refused.value.code == "reason_required"
        assert refused.value.article == "A17.1"
        assert "再次抽取须说明理由" in refused.value.message
        assert "第十七条" in refused.value.message
    assert Draw.objects.count() == 1  # a refused redraw draws nothing and records no seed
    assert AuditEvent.objects.filter(action="experts.draw.seed").count() == 1
    assert _pairs() == before
    # The other stage is its own first draw.
    Application.objects.update(kind="organization")
    services.draw_groups(actor=office, cycle=cycle, stage="site_review")
    services.draw_groups(actor=office, cycle=cycle, stage=STAGE, reason="专家回避后重新抽取")
    assert list(Draw.objects.order_by("pk").values_list("stage", "reason")) == [
        (STAGE, ""),
        ("site_review", ""),
        (STAGE, "专家回避后重新抽取"),
    ]


@pytest.mark.req("A17.1")
def test_optimising_after_a_draw_needs_a_reason(
    cycle: Cycle, office: User, board: list[Application]
) -> None:
    """优化分配 after a draw would replace the drawn pairs: without a reason it is refused and
    nothing changes (else a clerk could draw, dislike the result and optimise it away unseen);
    with one, the reason is on the proposal's event. Before any draw no reason is asked."""
    services.propose_groups(actor=office, cycle=cycle, stage=STAGE)
    services.draw_groups(actor=office, cycle=cycle, stage=STAGE, reason="演练后正式抽取")
    drawn = _pairs()
    with pytest.raises(ServiceError) as refused:
        services.propose_groups(actor=office, cycle=cycle, stage=STAGE, reason=" ")
    assert (refused.value.code, refused.value.article) == ("reason_required", "A17.1")
    assert "第十七条" in refused.value.message
    assert _pairs() == drawn
    assert AuditEvent.objects.filter(action="experts.groups.propose").count() == 1
    page = client_for(office).post(
        reverse("experts:propose", args=[cycle.pk]), {"stage": STAGE}, follow=True
    )
    assert "须说明理由" in page.content.decode()
    assert _pairs() == drawn
    services.propose_groups(actor=office, cycle=cycle, stage=STAGE, reason="专家回避后重新分配")
    last = AuditEvent.objects.filter(action="experts.groups.propose").latest("seq")
    assert last.reason == "专家回避后重新分配"


@pytest.mark.req("A17.1")
def test_a_draw_that_cannot_be_made_stays_on_record_with_its_seed(
    cycle: Cycle, office: User, board: list[Application]
) -> None:
    """A draw cannot be tried and hidden: the seed's event is committed first, and a failure
    (here: three locked members in a group of two) is recorded beside it."""
    group = ReviewGroup.objects.create(application=board[0], stage=STAGE)
    for expert in Expert.objects.all()[:3]:
        services.assign_manually(actor=office, group=group, expert=expert, reason="人工")
    with pytest.raises(ServiceError) as refused:
        services.draw_groups(actor=office, cycle=cycle, stage=STAGE)
    assert refused.value.code == "infeasible"
    draw = Draw.objects.get()
    assert draw.failure == refused.value.message
    assert draw.completed_at is None
    assert AuditEvent.objects.filter(action="experts.draw.seed", after__seed=draw.seed).exists()
    assert AuditEvent.objects.filter(action="experts.draw.fail", after__seed=draw.seed).exists()
    # And the next try is a redraw: it needs a reason.
    with pytest.raises(ServiceError, match="再次抽取须说明理由"):
        services.draw_groups(actor=office, cycle=cycle, stage=STAGE)


@pytest.mark.req("A17.1")
def test_the_board_draws_without_a_typed_seed_and_lists_every_draw(
    open_cycle: Cycle, office: User, board: list[Application]
) -> None:
    cycle = open_cycle
    client = client_for(office)
    url = reverse("experts:propose", args=[cycle.pk])
    board_url = reverse("experts:groups") + f"?cycle={cycle.pk}&stage={STAGE}"
    page = client.get(board_url).content.decode()
    assert 'name="seed"' not in page  # nobody types a seed
    assert "尚无随机抽取" in page
    client.post(url, {"stage": STAGE, "method": "draw", "seed": "7"})
    draw = Draw.objects.get()
    assert draw.seed != "7"
    page = client.get(board_url).content.decode()
    assert draw.seed in page
    assert 'name="reason"' in page  # the next draw asks why
    response = client.post(url, {"stage": STAGE, "method": "draw"}, follow=True)
    assert "再次抽取须说明理由" in response.content.decode()
    assert Draw.objects.count() == 1
    client.post(url, {"stage": STAGE, "method": "draw", "reason": "两名专家出差"})
    page = client.get(board_url).content.decode()
    section = page[page.index('id="h-draws"') :]
    assert "材料评审第1次" in section
    assert "材料评审第2次" in section
    assert "两名专家出差" in section
    assert "首次抽取" in section
    for seed in Draw.objects.values_list("seed", flat=True):
        assert seed in section
    names = dict(Expert.objects.values_list("pk", "name"))
    last = Draw.objects.order_by("pk").last()
    assert last is not None
    for _, expert in last.pairs:
        assert names[int(expert)] in section


@pytest.mark.req("A17.1")
def test_the_api_draws_with_the_systems_seed_and_refuses_a_typed_one(
    cycle: Cycle, office: User, board: list[Application], personas: dict[str, User]
) -> None:
    office_api = api_client("p_office")
    base = f"/cycles/{cycle.public_id}/groups"
    typed = api_call(office_api, "post", f"{base}/propose", {"stage": STAGE, "seed": 7})
    assert typed.status_code == 422  # no seed field any more: refused, not ignored
    assert not Assignment.objects.exists()
    drawn = api_call(office_api, "post", f"{base}/draw", {"stage": STAGE})
    assert drawn.status_code == 200, drawn.content
    assert drawn.json()["seed"] == Draw.objects.get().seed
    assert (
        api_call(office_api, "post", f"{base}/draw", {"stage": STAGE, "seed": 7}).status_code == 422
    )
    again = api_call(office_api, "post", f"{base}/draw", {"stage": STAGE})
    assert again.status_code == 400
    assert again.json()["code"] == "reason_required"
    assert (
        api_call(office_api, "post", f"{base}/draw", {"stage": STAGE, "reason": "回避"}).status_code
        == 200
    )
    listed = api_call(office_api, "get", f"/cycles/{cycle.public_id}/draws")
    assert [d["reason"] for d in listed.json()] == ["", "回避"]
    assert listed.json()[1]["pairs"] == Draw.objects.order_by("pk").last().pairs  # type: ignore[union-attr]
    supervisor = api_call(api_client("p_supervisor"), "get", f"/cycles/{cycle.public_id}/draws")
    assert supervisor.status_code == 200
    assert (
        api_call(api_client("p_expert"), "get", f"/cycles/{cycle.public_id}/draws").status_code
        == 403
    )
    assert (
        api_call(
            api_client("p_expert"), "post", f"{base}/draw", {"stage": STAGE, "reason": "x"}
        ).status_code
        == 403
    )
    assert Draw.objects.count() == 2


def test_a_draw_is_audited_with_its_time_and_who(
    cycle: Cycle, office: User, board: list[Application]
) -> None:
    services.draw_groups(actor=office, cycle=cycle, stage=STAGE)
    draw = Draw.objects.get()
    event = AuditEvent.objects.get(action="experts.draw.seed")
    assert event.actor_id == office.pk
    assert abs(event.created_at - draw.drawn_at) < dt.timedelta(seconds=5)


@pytest.mark.req("A17.1")
def test_the_board_says_why_nothing_can_be_grouped_instead_of_offering_it(
    cycle: Cycle, office: User
) -> None:
    """No application in review for the stage: the page shows the service's own reason in
    place of 优化分配 and 随机抽取 (which would be refused), and the service says the same."""
    Cycle.objects.filter(pk=cycle.pk).update(status=Cycle.Status.PUBLISHED)
    url = reverse("experts:groups") + f"?cycle={cycle.pk}&stage={STAGE}"
    html = client_for(office).get(url).content.decode()
    assert "没有处于评审中的申报，材料评审无需生成分配方案" in html
    assert "qa-propose" not in html
    with pytest.raises(ServiceError) as refused:
        services.draw_groups(actor=office, cycle=cycle, stage=STAGE)
    assert refused.value.code == "nothing_to_group"
    assert not Draw.objects.exists()
