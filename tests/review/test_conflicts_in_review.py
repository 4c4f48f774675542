"""Conflicts found where review brings an expert near an application (A26.1, issue 14): the
records are checked again when scoring opens and whenever a scorecard or the consensus page is
opened, not only when the groups were formed. A record entered without the experts' services
(an employment written straight to the table stands for any such path) is caught there."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from experts import services as experts
from experts.models import Assignment, Conflict, Employment
from review import services
from tests.conftest import client_for
from tests.review.conftest import World

MATERIAL = "material_review"


def _employ(world: World, n: int) -> None:
    """Expert n now works for the organization applicant, recorded behind the services' back."""
    org = world.organization.organization
    assert org is not None
    Employment.objects.create(expert=world.experts[n], employer_name=org.name, organization=org)


def _seated(world: World, n: int) -> bool:
    return Assignment.objects.filter(
        group=world.group(world.organization), expert=world.experts[n], removed_at__isnull=True
    ).exists()


@pytest.mark.req("A26.1", "A17.1")
def test_opening_the_stage_ends_a_conflicted_seat_first(world: World) -> None:
    _employ(world, 2)
    assert _seated(world, 2)
    services.open_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    assert not _seated(world, 2)
    conflict = Conflict.objects.get(application=world.organization, expert=world.experts[2])
    assert (conflict.source, conflict.reason) == ("detected", "employer")
    # The site group of the same application loses the expert too.
    assert not Assignment.objects.filter(
        group=world.group(world.organization, "site_review"),
        expert=world.experts[2],
        removed_at__isnull=True,
    ).exists()


@pytest.mark.req("A26.1")
def test_the_scorecard_page_runs_detection_before_it_shows_the_application(
    world: World,
) -> None:
    services.open_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    url = reverse("review:card", args=[world.organization.public_id, MATERIAL])
    assert client_for(world.users[2]).get(url).status_code == 200
    _employ(world, 2)
    assert client_for(world.users[2]).get(url).status_code == 404
    assert not _seated(world, 2)
    assert Conflict.objects.filter(
        application=world.organization, expert=world.experts[2], source="detected"
    ).exists()


@pytest.mark.req("A26.1")
def test_the_consensus_page_runs_detection_for_the_leader(world: World) -> None:
    services.open_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    url = reverse("review:consensus", args=[world.organization.public_id, MATERIAL])
    assert client_for(world.users[0]).get(url).status_code == 200
    _employ(world, 0)
    assert client_for(world.users[0]).get(url).status_code == 404
    assert not _seated(world, 0)


def _guard_sql(queries: list[dict[str, str]]) -> list[str]:
    """The statements that read the recusal requests or the employments (the guard's and
    detection's)."""
    return [
        q["sql"]
        for q in queries
        if '"experts_recusalrequest"' in q["sql"] or '"experts_employment"' in q["sql"]
    ]


@pytest.mark.req("A26.1", "I17.3")
def test_the_pages_check_the_records_in_two_statements_when_they_show_nothing(
    world: World, django_assert_num_queries: Any
) -> None:
    """Detection's full read (the application, its stages and recusal requests, the expert,
    the employments and their organizations, the recorded conflicts) ran on every view; the
    guard now reads the records in two statements and detects only when they may show an
    interest. Both pages' counts hold the new number (issue 17 part 3)."""
    services.open_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    leader = client_for(world.users[0])
    member = client_for(world.users[1])
    matrix = reverse("review:consensus", args=[world.organization.public_id, MATERIAL])
    card = reverse("review:card", args=[world.organization.public_id, MATERIAL])
    leader.get(matrix)  # the session's first request warms its caches
    member.get(card)
    with django_assert_num_queries(MATRIX_QUERIES) as on_matrix:
        assert leader.get(matrix).status_code == 200
    with django_assert_num_queries(CARD_QUERIES) as on_card:
        assert member.get(card).status_code == 200
    for captured in (on_matrix, on_card):
        application, employments = _guard_sql(captured.captured_queries)
        # One statement: the application, its application date, a recorded conflict of the
        # two, a recusal request naming the expert; without the form.
        for table in ('"programs_cyclestage"', '"experts_conflict"', '"experts_recusalrequest"'):
            assert table in application
        assert '"intake_application"."data"' not in application
        assert employments.startswith('SELECT "experts_employment"')


# The signed-in user's (session, device, roles, expert), the page's own and the guard's two.
MATRIX_QUERIES = 14
CARD_QUERIES = 14


@pytest.mark.req("A26.1", "I17.3")
def test_a_conflict_recorded_between_two_views_blocks_the_second(world: World) -> None:
    """The guard reads the database as it is on each view: a conflict recorded a moment ago
    (here written straight to the table, the seat left as it was: no service ended it) turns
    the next view of the matrix into a 404; one declared by the expert ends the seat too."""
    services.open_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    leader = client_for(world.users[0])
    matrix = reverse("review:consensus", args=[world.organization.public_id, MATERIAL])
    assert leader.get(matrix).status_code == 200
    Conflict.objects.create(
        application=world.organization,
        expert=world.experts[0],
        source=Conflict.Source.EXPERT,
        reason=Conflict.Reason.OTHER,
        recorded_at=timezone.now(),
    )
    assert _seated(world, 0)
    assert leader.get(matrix).status_code == 404
    member = client_for(world.users[1])
    card = reverse("review:card", args=[world.organization.public_id, MATERIAL])
    assert member.get(card).status_code == 200
    experts.declare_conflict(
        actor=world.users[1],
        application=world.organization,
        expert=world.experts[1],
        reason=Conflict.Reason.OTHER,
        note="亲属在该单位任职",
    )
    assert member.get(card).status_code == 404
    assert not _seated(world, 1)
