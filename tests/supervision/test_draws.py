"""The supervisors' 专家抽取记录 (A17.1, A27.1, issue 14): every random draw of the year, with
its time, who drew, the system's seed, the reason for a redraw and the pairs, read-only."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from experts import selectors as experts_selectors
from experts import services
from experts.models import Draw, Expert
from programs.models import Cycle
from tests.conftest import client_for
from tests.experts.test_conflicts import _application, _expert, _org, small_groups

__all__ = ["small_groups"]

STAGE = "material_review"


@pytest.fixture
def drawn(cycle: Cycle, office: User, small_groups: None) -> list[Draw]:
    for n in range(2):
        _application(cycle, office, org=_org(n))
    for n in range(6):
        _expert(n, [{"employer_name": f"南通大学{n}"}])
    services.draw_groups(actor=office, cycle=cycle, stage=STAGE)
    services.draw_groups(actor=office, cycle=cycle, stage=STAGE, reason="两名专家因故不能参加")
    return list(Draw.objects.order_by("pk"))


def _section(html: str) -> str:
    start = html.index('id="h-sv-draws"')
    return html[start : html.index("</section>", start)]


@pytest.mark.req("A17.1", "A27.1")
def test_the_supervisors_see_every_draw_with_its_seed_reason_and_pairs(
    cycle: Cycle, drawn: list[Draw], personas: dict[str, Any]
) -> None:
    html = client_for(personas["supervisor"]).get(reverse("supervision:cycle", args=[cycle.pk]))
    assert html.status_code == 200
    section = _section(html.content.decode())
    assert "专家抽取记录" in section
    assert "材料评审第1次" in section
    assert "材料评审第2次" in section
    assert "首次抽取" in section
    assert "两名专家因故不能参加" in section
    names = dict(Expert.objects.values_list("pk", "name"))
    for draw in drawn:
        assert draw.seed in section
        for _, expert in draw.pairs:
            assert names[int(expert)] in section
    assert str(personas["office"]) in section  # who drew
    assert "<form" not in section  # read-only
    # The page shows the pairs of its own applications, and says how many the draw served.
    assert section.count("此次共为2个申报抽取专家") == len(drawn)
    # The same table on the Office's board lists every pair, without the count.
    board = render_to_string("experts/draws.html", {"draws": experts_selectors.draws(cycle, STAGE)})
    assert "材料评审第2次" in board
    assert "此次共为" not in board


@pytest.mark.req("A17.1")
def test_the_draws_section_costs_the_same_queries_for_more_draws(
    cycle: Cycle, drawn: list[Draw], personas: dict[str, Any], office: User
) -> None:
    client = client_for(personas["supervisor"])
    url = reverse("supervision:cycle", args=[cycle.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as two:
        client.get(url)
    for n in range(2):
        services.draw_groups(actor=office, cycle=cycle, stage=STAGE, reason=f"第{n + 3}次")
    with CaptureQueriesContext(connection) as four:
        page = client.get(url).content.decode()
    assert "材料评审第4次" in _section(page)
    assert len(four.captured_queries) == len(two.captured_queries)


def test_a_year_without_draws_says_so(cycle: Cycle, personas: dict[str, Any]) -> None:
    html = client_for(personas["supervisor"]).get(reverse("supervision:cycle", args=[cycle.pk]))
    assert "尚无随机抽取" in _section(html.content.decode())
