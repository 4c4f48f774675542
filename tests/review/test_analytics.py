"""Rater analytics (issue 5 item 7) against numbers worked out by hand: each expert's mean
deviation from the confirmed consensus and agreement with it, each application's dispersion."""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse

from programs.models import Policy
from review import analytics, services, tasks
from review.models import CycleAnalytics, Scorecard
from tests.conftest import client_for
from tests.review.conftest import World, full_scores, rubric_of


def _card(
    world: World,
    application: Any,
    n: int,
    percent: int,
    *,
    submit: bool = True,
    revision: int = 0,
    over: dict[str, int] | None = None,
) -> Scorecard:
    """Expert n scores every item at `percent` (items in `over`, "4_1_2" for 4.1.2, differ)."""
    card = services.save_scorecard(
        actor=world.users[n],
        assignment=world.assignment(application, n),
        scores=full_scores(rubric_of(world, application), percent, **(over or {})),
        revision=revision,
    )
    return services.submit_scorecard(actor=world.users[n], scorecard=card) if submit else card


def _confirm(world: World, application: Any, percent: int) -> None:
    services.save_consensus(
        actor=world.users[0],
        group=world.group(application),
        items=full_scores(rubric_of(world, application), percent),
        final=True,
        revision=0,
    )


@pytest.fixture
def scored(world: World) -> World:
    """The organization's 23 items: 赵强 45% everywhere, 钱敏 60% but 80% on 4.1.2, 孙立 70%;
    the consensus is 60% everywhere. The individual's 4 items: 赵强 70%, 钱敏 80% submitted,
    孙立's 20% still a draft; no consensus yet."""
    services.open_phase(actor=world.office, cycle=world.cycle, stage="material_review")
    _card(world, world.organization, 0, 45)
    _card(world, world.organization, 1, 60, over={"4_1_2": 80})
    _card(world, world.organization, 2, 70)
    _confirm(world, world.organization, 60)
    _card(world, world.individual, 0, 70)
    _card(world, world.individual, 1, 80)
    _card(world, world.individual, 2, 20, submit=False)
    return world


def _by_name(world: World) -> dict[str, analytics.RaterFigure]:
    return {f.name: f for f in analytics.rater_figures(world.cycle)}


def test_rater_figures_measure_each_expert_against_the_consensus(scored: World) -> None:
    figures = _by_name(scored)
    # 赵强: 45 - 60 = -15 on all 23 items, none within 10 points.
    assert figures["赵强"] == analytics.RaterFigure(
        expert_id=scored.experts[0].pk, name="赵强", cards=1, items=23, deviation=-15.0, agreement=0
    )
    # 钱敏: +20 on one item of 23 = 0.8696; 22 of 23 items within 10 points = 95.65%.
    assert (figures["钱敏"].deviation, figures["钱敏"].agreement) == (0.87, 95.7)
    # 孙立: +10 everywhere, exactly 10 points counts as agreeing.
    assert (figures["孙立"].deviation, figures["孙立"].agreement) == (10.0, 100.0)
    # The individual's group has no confirmed consensus: not compared yet.
    assert {f.cards for f in figures.values()} == {1}


def test_rater_figures_pool_every_item_of_every_confirmed_card(scored: World) -> None:
    _card(scored, scored.individual, 2, 75, revision=1)  # the draft, now submitted at 75%
    _confirm(scored, scored.individual, 75)
    figures = _by_name(scored)
    # 赵强: (23 x -15 + 4 x -5) / 27 = -365/27; within 10: the 4 individual items of 27.
    assert (figures["赵强"].cards, figures["赵强"].items) == (2, 27)
    assert (figures["赵强"].deviation, figures["赵强"].agreement) == (-13.52, 14.8)
    # 钱敏: (20 + 4 x 5) / 27 = 1.48; 26 of 27 within.
    assert (figures["钱敏"].deviation, figures["钱敏"].agreement) == (1.48, 96.3)
    # 孙立: (23 x 10 + 0) / 27 = 8.52; all within.
    assert (figures["孙立"].deviation, figures["孙立"].agreement) == (8.52, 100.0)


def test_dispersion_is_the_mean_spread_of_submitted_cards(scored: World) -> None:
    rows = {(d.name, d.stage): d for d in analytics.dispersion(scored.cycle)}
    org = rows[(scored.organization.applicant_name, "material_review")]
    # 22 items spread 70 - 45 = 25, item 4.1.2 spread 80 - 45 = 35: 585 / 23 = 25.43.
    assert (org.cards, org.spread, org.kind) == (3, 25.43, "organization")
    person = rows[(scored.individual.applicant_name, "material_review")]
    # The draft at 20% does not count: 80 - 70 on each item.
    assert (person.cards, person.spread) == (2, 10.0)


def test_dispersion_needs_two_cards(world: World) -> None:
    services.open_phase(actor=world.office, cycle=world.cycle, stage="material_review")
    _card(world, world.organization, 0, 45)
    assert analytics.dispersion(world.cycle) == []
    assert analytics.rater_figures(world.cycle) == []


def test_analytics_take_a_fixed_number_of_queries(
    scored: World, django_assert_num_queries: Any
) -> None:
    # The consensus, the scores, the experts' names.
    with django_assert_num_queries(3):
        analytics.rater_figures(scored.cycle)
    # The scores, the groups with their applicants.
    with django_assert_num_queries(2):
        analytics.dispersion(scored.cycle)


# --- stored (issue 17): computed once by the task, read by the pages ---------------------------

THRESHOLD = 30  # the policy's default


def test_a_confirmed_consensus_queues_the_figures_and_the_page_reads_them_stored(
    world: World, django_capture_on_commit_callbacks: Any, django_assert_num_queries: Any
) -> None:
    services.open_phase(actor=world.office, cycle=world.cycle, stage="material_review")
    _card(world, world.organization, 0, 45)
    _card(world, world.organization, 1, 60)
    _card(world, world.organization, 2, 70)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _confirm(world, world.organization, 60)
    assert callbacks  # the task, queued once the consensus committed (eager in tests)
    row = CycleAnalytics.objects.get(cycle=world.cycle)
    assert not row.stale
    assert row.computed_at is not None
    assert row.source["cards"] == 3
    assert row.source["consensus"] == 1
    with django_assert_num_queries(1):
        figures = analytics.stored(world.cycle, 0, full=True)
    assert {f.name: f.deviation for f in figures.raters} == {
        "赵强": -15.0,
        "钱敏": 0.0,
        "孙立": 10.0,
    }
    assert figures.dispersion is not None
    assert [d.spread for d in figures.dispersion] == [25.0]
    assert figures.raters == analytics.rater_figures(world.cycle)


def test_stale_figures_are_queued_once_not_on_every_view(
    scored: World, monkeypatch: pytest.MonkeyPatch, django_assert_num_queries: Any
) -> None:
    analytics.refresh(scored.cycle)
    before = analytics.stored(scored.cycle, THRESHOLD)
    queued: list[int] = []
    monkeypatch.setattr(tasks.refresh_analytics, "delay", queued.append)  # a worker, busy
    with transaction.atomic():
        analytics.changed(scored.cycle.pk)  # a card returned, say; its task not run yet
    first = analytics.stored(scored.cycle, THRESHOLD)
    second = analytics.stored(scored.cycle, THRESHOLD)
    assert queued == [scored.cycle.pk]  # the first view queued it, the second did not
    assert first.stale
    assert second.stale
    assert first.raters == before.raters  # the last figures stay readable meanwhile
    page = client_for(scored.office).get(reverse("review:ranking", args=[scored.cycle.pk]))
    assert "评分分析正在更新" in page.content.decode()
    assert queued == [scored.cycle.pk]
    tasks.refresh_analytics(scored.cycle.pk)  # the worker gets to it
    with django_assert_num_queries(1):
        assert not analytics.stored(scored.cycle, THRESHOLD).stale


def test_figures_not_yet_computed_are_computed_on_the_first_view_where_tasks_run_eagerly(
    scored: World,
) -> None:
    # The services marked them (the test's transaction never commits: their task never ran).
    assert CycleAnalytics.objects.get().computed_at is None
    page = client_for(scored.office).get(reverse("review:ranking", args=[scored.cycle.pk]))
    text = page.content.decode()
    assert "统计于" in text
    assert "正在更新" not in text
    assert "赵强" in text
    row = CycleAnalytics.objects.get()
    assert not row.stale
    assert row.computed_version == row.version


# --- what the ranking page reads of them (issue 17 part R) ---------------------------------------


def _threshold(world: World, points: int) -> None:
    """The cycle's policy asks for discussion above `points` from now."""
    Policy.objects.filter(pk=world.cycle.policy_id).update(consensus_spread_points=points)
    world.cycle.policy.refresh_from_db()


def _dispersion_table(world: World, **params: str) -> str:
    page = client_for(world.office).get(reverse("review:ranking", args=[world.cycle.pk]), params)
    return page.content.decode().split("各申报评分离散度")[1]


def _spreads(table: str) -> list[str]:
    return re.findall(r'data-label="平均极差（百分点）">([0-9.]+)<', table)


@pytest.mark.req("A18.1", "I17.3")
def test_the_page_reads_the_rows_above_the_threshold_and_the_widest_not_every_row(
    scored: World, django_assert_max_num_queries: Any
) -> None:
    _threshold(scored, 20)
    analytics.refresh(scored.cycle)
    row = CycleAnalytics.objects.get()
    every = [analytics.Dispersion(**d) for d in row.dispersion]
    assert [d.spread for d in every] == [25.43, 10.0]  # the organization, the individual
    assert row.dispersion_count == 2
    assert row.spread_threshold == 20
    assert row.flagged == [row.dispersion[0]]
    assert row.widest == [asdict(d) for d in analytics.widest(every)]
    with django_assert_max_num_queries(1) as read:
        figures = analytics.stored(scored.cycle, 20)
    assert '"dispersion"' not in read.captured_queries[0]["sql"]  # 4,000 rows at scale
    assert figures.dispersion is None
    assert [d.spread for d in figures.flagged] == [25.43]
    assert figures.dispersion_count == 2
    assert _spreads(_dispersion_table(scored)) == ["25.43"]
    assert _spreads(_dispersion_table(scored, dispersion="all")) == ["25.43", "10.00"]


@pytest.mark.req("A18.1", "I17.3")
def test_a_threshold_changed_after_the_figures_cuts_every_row_again(scored: World) -> None:
    _threshold(scored, 20)
    analytics.refresh(scored.cycle)
    assert _spreads(_dispersion_table(scored)) == ["25.43"]
    _threshold(scored, 5)
    table = _dispersion_table(scored)
    assert "超过5个百分点" in table
    assert _spreads(table) == ["25.43", "10.00"]
    assert analytics.stored(scored.cycle, 5).flagged == analytics.dispersion(scored.cycle)


@pytest.mark.req("A17.1", "A18.1", "I17.3")
def test_the_page_shows_the_figures_of_each_change(scored: World) -> None:
    """Submitted, returned, confirmed: each change is on the page at its next view (the figures
    recomputed, eagerly here), the rows above the threshold and the chart included."""
    _threshold(scored, 20)
    assert _spreads(_dispersion_table(scored)) == ["25.43"]
    # 孙立 submits 20% on the individual's items: 80 - 20 = 60 points apart.
    card = Scorecard.objects.get(
        assignment=scored.assignment(scored.individual, 2), state=Scorecard.State.DRAFT
    )
    services.submit_scorecard(actor=scored.users[2], scorecard=card)
    assert _spreads(_dispersion_table(scored)) == ["25.43", "60.00"]
    page = client_for(scored.office).get(reverse("review:ranking", args=[scored.cycle.pk]))
    assert 60.0 in page.context["chart_data"]["dispersion"]["series"][0]["values"]
    # The leader returns it: back to two cards, 10 points apart.
    card.refresh_from_db()
    services.reopen_scorecard(actor=scored.users[0], scorecard=card, reason="请复核。")
    assert _spreads(_dispersion_table(scored)) == ["25.43"]
    assert _spreads(_dispersion_table(scored, dispersion="all")) == ["25.43", "10.00"]
    # 孙立 corrects it to 75%; the individual's consensus confirmed: the three experts are
    # compared on its 4 items too.
    card.refresh_from_db()
    _card(scored, scored.individual, 2, 75, revision=card.revision)
    assert _spreads(_dispersion_table(scored, dispersion="all")) == ["25.43", "10.00"]
    assert _raters_table(scored).count('data-label="条款数">23<') == 3
    _confirm(scored, scored.individual, 75)
    assert _raters_table(scored).count('data-label="条款数">27<') == 3


def _raters_table(world: World) -> str:
    page = client_for(world.office).get(reverse("review:ranking", args=[world.cycle.pk]))
    return page.content.decode().split("qa-raters")[1].split("</table>")[0]
