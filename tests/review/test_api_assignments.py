"""An expert's way through the API to the scorecard: the seats (`GET /assignments`) and the
rubric of an assigned application (`GET /applications/{id}/{stage}/rubric`), 404 for the rest."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import Role, User
from experts import services as experts
from experts.models import Expert
from review import services
from tests.conftest import api_call, api_client
from tests.experts.test_pool import QUALIFIED
from tests.review.conftest import World


@pytest.mark.req("A17.1", "A26.1")
def test_an_expert_lists_their_seats_and_nobody_else_gets_a_list(
    world: World, personas: dict[str, User]
) -> None:
    leader = api_client(world.users[0].username)
    seats = api_call(leader, "get", "/assignments").json()
    assert sorted(
        (s["applicant"], s["stage"], s["leader"], s["confirmed"]) for s in seats
    ) == sorted(
        [
            (world.organization.applicant_name, "material_review", True, True),
            (world.organization.applicant_name, "site_review", True, True),
            (world.individual.applicant_name, "material_review", True, True),
        ]
    )
    member = api_call(api_client(world.users[1].username), "get", "/assignments").json()
    assert {s["leader"] for s in member} == {False}
    for role in ("office", "supervisor", "applicant"):
        refused = api_call(api_client(personas[role].username), "get", "/assignments")
        assert refused.status_code == 403
        assert refused.json()["message"] == "您不是评审专家，没有评审任务。"


@pytest.mark.req("A17.1", "A26.1")
def test_an_expert_who_has_not_signed_the_code_sees_no_seat(world: World, make_user: Any) -> None:
    """A seat shows once the cycle's code is signed (selectors.assigned_applications)."""
    user = make_user(Role.EXPERT, username="late_signer")
    expert = experts.save_expert(
        actor=world.office,
        id_number="320682196611110057",
        **(QUALIFIED | {"name": "吴晓"}),
        employments=[{"employer_name": "评审单位9"}],
    )
    Expert.objects.filter(pk=expert.pk).update(user=user)
    group = world.group(world.organization)
    experts.assign_manually(actor=world.office, group=group, expert=expert, reason="补充专家")
    caller = api_client("late_signer")
    assert api_call(caller, "get", "/assignments").json() == []
    experts.acknowledge(actor=User.objects.get(pk=user.pk), cycle=world.cycle)
    seats = api_call(caller, "get", "/assignments").json()
    assert [(s["stage"], s["confirmed"]) for s in seats] == [("material_review", False)]


@pytest.mark.req("A9.1", "A17.1")
def test_the_rubric_of_an_assigned_application_for_its_members_only(
    world: World, personas: dict[str, User], make_user: Any
) -> None:
    path = f"/applications/{world.organization.public_id}/material_review/rubric"
    member = api_client(world.users[1].username)
    assert api_call(member, "get", path).status_code == 404  # not opened: no rubric yet
    services.open_phase(actor=world.office, cycle=world.cycle, stage="material_review")
    rubric = api_call(member, "get", path).json()
    assert rubric["applies_to"] == "organization"
    assert sum(i["points"] for i in rubric["items"]) == rubric["total_points"] == 1000
    # The same items the card is saved against: every code accepted.
    card = api_call(
        member,
        "put",
        f"/applications/{world.organization.public_id}/material_review/scorecard",
        {
            "revision": 0,
            "scores": {i["code"]: {"percent": 50, "strengths": "好"} for i in rubric["items"]},
        },
    )
    assert card.status_code == 200, card.content
    assert card.json()["points"] == "500.00"
    individual = f"/applications/{world.individual.public_id}/material_review/rubric"
    assert api_call(member, "get", individual).json()["applies_to"] == "individual"
    # An expert of no group, the Office, the applicant itself: 404.
    outsider = make_user(Role.EXPERT, username="no_seat")
    for who, url in [
        (outsider.username, path),
        (personas["office"].username, path),
        (personas["applicant"].username, path),
    ]:
        response = api_call(api_client(who), "get", url)
        assert response.status_code == 404, (who, url)
        assert response.json()["code"] == "not_found"
