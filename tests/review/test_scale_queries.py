"""The review's pages and APIs do not grow with the data (issue 17 part 3): the same number of
statements at N and at 3N rows, the ranking and the evaluations a page at a time, the rater
analytics read as stored, the scorecard autosave within its budget."""

from __future__ import annotations

import importlib
import io
import re
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.urls import reverse

from experts.models import Expert
from intake.models import Application, State
from review import services
from review.models import Evaluation, Scorecard
from tests.conftest import api_call, api_client, client_for
from tests.review.conftest import World, rubric_of, through_evaluation
from tests.review.test_office import extra_organization
from tests.review.test_pages import HTMX, MATERIAL, _open, _post_card, _url


def _room(world: World) -> None:
    """The same three experts sit in every group: room for more than their usual 5."""
    Expert.objects.update(max_load=20)
    for expert in world.experts:
        expert.max_load = 20


def _more_evaluated(world: World, numbers: range) -> None:
    """Organizations evaluated like the first one (copies of its evaluation, ranks after it)."""
    _room(world)
    template = Evaluation.objects.get(application=world.organization)
    for n in numbers:
        application = extra_organization(world, n)
        Application.objects.filter(pk=application.pk).update(state=State.EVALUATED)
        template.pk = None
        template.application = application
        template.rank = n
        template.save()


@pytest.mark.req("A10.2", "A18.1")
def test_the_ranking_page_and_the_evaluations_api_are_constant_in_rows(
    world: World, time_machine: Any, django_assert_max_num_queries: Any
) -> None:
    through_evaluation(world, time_machine)  # N = 2 evaluations
    office = client_for(world.office)
    url = reverse("review:ranking", args=[world.cycle.pk])
    office.get(url)  # the stored analytics computed once (eagerly)
    committee = api_client("p_committee")
    api = f"/cycles/{world.cycle.public_id}/evaluations"
    api_call(committee, "get", api)
    # The page's own five (the cycle, one count of both kinds and the ties, a page of each
    # kind, the stored figures), the rest the signed-in user's (device, roles, expert, inbox).
    with django_assert_max_num_queries(10) as page_n:
        office.get(url)
    with django_assert_max_num_queries(20) as api_n:
        assert api_call(committee, "get", api).json()["count"] == 2
    _more_evaluated(world, range(3, 7))  # 3N = 6
    with django_assert_max_num_queries(len(page_n.captured_queries)):
        page = office.get(url).content.decode()
    assert page.count("635.00") == 5
    with django_assert_max_num_queries(len(api_n.captured_queries)):
        listed = api_call(committee, "get", api).json()
    assert listed["count"] == 6
    # Neither reads the applications' forms.
    for q in [*page_n.captured_queries, *api_n.captured_queries]:
        assert '"intake_application"."data"' not in q["sql"]


@pytest.mark.req("A10.2", "A18.1")
def test_the_ranking_is_paged_and_the_excel_sheet_has_every_row(
    world: World, time_machine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    through_evaluation(world, time_machine)
    _more_evaluated(world, range(3, 6))  # four organizations
    monkeypatch.setattr(importlib.import_module("review.office.ranking"), "PAGE_SIZE", 3)
    office = client_for(world.office)
    url = reverse("review:ranking", args=[world.cycle.pk])
    first = office.get(url).content.decode()
    assert first.count("635.00") == 3
    assert "第1/2页，共4项" in first
    assert "page_organization=2" in first
    second = office.get(url, {"page_organization": "2"}).content.decode()
    assert second.count("635.00") == 1
    assert world.individual.applicant_name in second  # the other table keeps its page
    sheet = office.get(reverse("review:ranking_xlsx", args=[world.cycle.pk])).content
    rows = openpyxl.load_workbook(io.BytesIO(sheet)).active.iter_rows(values_only=True)
    assert sum(1 for r in rows if "有限公司" in str(r[3])) == 4  # every organization


@pytest.mark.req("A18.1")
def test_the_raters_table_is_paged_and_the_charts_keep_every_expert(
    world: World, time_machine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    through_evaluation(world, time_machine)  # three experts scored
    monkeypatch.setattr(importlib.import_module("review.office.ranking"), "PAGE_SIZE", 2)
    office = client_for(world.office)
    url = reverse("review:ranking", args=[world.cycle.pk])
    first = office.get(url)
    second = office.get(url, {"page_raters": "2"})

    def rows(response: Any) -> list[str]:
        table = response.content.decode().split("qa-raters")[1].split("</table>")[0]
        return re.findall(r'<th scope="row" data-label="专家">([^<]+)</th>', table)

    names = {e.name for e in world.experts}
    assert len(rows(first)) == 2
    assert "第1/2页，共3位专家" in first.content.decode()
    assert "page_raters=2" in first.content.decode()
    assert set(rows(first)) | set(rows(second)) == names
    assert {r["name"] for r in first.context["chart_data"]["raters"]} == names


@pytest.mark.req("A18.1")
def test_the_dispersion_lists_the_rows_above_the_threshold_unless_all_are_asked_for(
    world: World, time_machine: Any
) -> None:
    # Material: the organization's cards 50/60/70% (spread 20), the individual's 70/75/80%;
    # site: the organization's 60/65/70%.
    through_evaluation(world, time_machine)
    threshold = world.cycle.policy.consensus_spread_points
    office = client_for(world.office)
    url = reverse("review:ranking", args=[world.cycle.pk])
    page = office.get(url).content.decode()
    table = page.split("各申报评分离散度")[1]
    everything = office.get(url, {"dispersion": "all"}).content.decode()
    whole = everything.split("各申报评分离散度")[1]
    assert f"超过{threshold}个百分点" in table
    assert whole.count('data-label="平均极差（百分点）"') == 3  # two stages + one
    above = sum(1 for spread in (20.0, 10.0, 10.0) if spread > threshold)
    assert table.count('data-label="平均极差（百分点）"') == above


@pytest.mark.req("A17.1")
def test_the_groups_api_is_constant_in_rows(
    world: World, django_assert_max_num_queries: Any
) -> None:
    office = api_client("p_office")
    api = f"/cycles/{world.cycle.public_id}/groups?stage={MATERIAL}"
    api_call(office, "get", api)
    with django_assert_max_num_queries(20) as n_rows:
        listed = api_call(office, "get", api).json()
    assert listed["count"] == 2
    assert [len(g["members"]) for g in listed["results"]] == [3, 3]
    _room(world)
    for n in range(3, 7):
        extra_organization(world, n)
    with django_assert_max_num_queries(len(n_rows.captured_queries)):
        listed = api_call(office, "get", api).json()
    assert listed["count"] == 6
    assert {m["expert"] for g in listed["results"] for m in g["members"]} == {
        e.name for e in world.experts
    }
    for q in n_rows.captured_queries:
        assert '"intake_application"."data"' not in q["sql"]
        assert '"id_number"' not in q["sql"]  # no identity number decrypted


@pytest.mark.req("A17.1")
def test_the_autosave_stays_within_its_statements_however_many_items_change(
    world: World, django_assert_max_num_queries: Any
) -> None:
    _open(world)
    url = _url("card", world.organization, MATERIAL)
    client = client_for(world.users[1])
    data = _post_card(world, world.organization, **{"percent-4.1.2": "60"})
    assert client.post(url, data, headers=HTMX).status_code == 200  # creates the card
    data["revision"] = "1"
    data["percent-4.1.2"] = "65"
    # 19: the session's user, device and roles (3), the assignment with its application, dates
    # and phases (5), the rubric and its items (2), the card, its scores, the UPDATEs (3-4), the
    # audit head, event and head update (3) and the savepoint around them.
    with django_assert_max_num_queries(19) as one:
        response = client.post(url, data, headers=HTMX)
    assert 'id="card-revision" value="2"' in response.content.decode()
    assert 'id="card-total" hx-swap-oob="true">32.50<' in response.content.decode()  # 50 x 65%
    data["revision"] = "2"
    for item in list(rubric_of(world, world.organization).items.all())[:6]:
        code = item.code
        data[f"percent-{code}"] = "70"
        data[f"strengths-{code}"] = "有依据"
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.post(url, data, headers=HTMX)
    assert 'id="card-revision" value="3"' in response.content.decode()
    card = Scorecard.objects.get(assignment=world.assignment(world.organization, 1))
    assert card.revision == 3
    assert card.scores.filter(percent=70).count() == 6
    # The points the autosave answered are those read back from the database.
    answered = re.search(r'id="card-total"[^>]*>([0-9.]+)<', response.content.decode())
    assert answered is not None
    assert Decimal(answered.group(1)) == services.card_score(card) > Decimal("32.5")
    # One item cleared, alone: its percent written empty (the only row of the UPDATE).
    data["revision"] = "3"
    data["percent-4.1.2"] = ""
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert "已自动保存" in client.post(url, data, headers=HTMX).content.decode()
    cleared = card.scores.get(item__code="4.1.2")
    assert cleared.percent is None
    assert card.scores.filter(percent=70).count() == 5  # 4.1.2 was one of the six
