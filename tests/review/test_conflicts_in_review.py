"""Conflicts found where review brings an expert near an application (A26.1, issue 14): the
records are checked again when scoring opens and whenever a scorecard or the consensus page is
opened, not only when the groups were formed. A record entered without the experts' services
(an employment written straight to the table stands for any such path) is caught there."""

from __future__ import annotations

import pytest
from django.urls import reverse

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
