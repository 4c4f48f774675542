"""The review through /api/v1/: the same services, permissions and errors as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.conftest import api_call, api_client
from tests.review.conftest import (
    EVALUATION_DAY,
    SITE_DAY,
    World,
    agree,
    full_scores,
    rubric_of,
)


def _scores(world: World, percent: int) -> dict[str, Any]:
    return full_scores(rubric_of(world, world.organization), percent)


@pytest.mark.req("A9.1", "A17.1", "A10.2", "A18.1", "A27.1", "A28.1")
def test_a_review_through_the_api(world: World, time_machine: Any) -> None:
    cycle = f"/cycles/{world.cycle.public_id}"
    org = f"/applications/{world.organization.public_id}"
    office, leader = api_client("p_office"), api_client("reviewer0")
    member, supervisor = api_client("reviewer1"), api_client("p_supervisor")
    assert api_call(member, "post", f"{cycle}/phases/material_review/open", {}).status_code == 403
    opened = api_call(office, "post", f"{cycle}/phases/material_review/open", {})
    assert opened.status_code == 200, opened.content
    assert opened.json()["deadline"] == "2026-07-10"
    again = api_call(office, "post", f"{cycle}/phases/material_review/open", {})
    assert again.status_code == 409
    rubric = api_call(office, "get", f"{cycle}/rubrics/organization").json()
    assert (rubric["total_points"], len(rubric["items"])) == (1000, 23)
    assert api_call(office, "put", f"{cycle}/rubrics/organization", rubric).status_code == 409

    # A member saves, a stale save is refused with code "stale", then submits.
    card = f"{org}/material_review/scorecard"
    assert api_call(member, "get", card).status_code == 404  # nothing saved yet
    saved = api_call(member, "put", card, {"revision": 0, "scores": _scores(world, 60)})
    assert saved.status_code == 200, saved.content
    assert saved.json()["points"] == "600.00"
    stale = api_call(member, "put", card, {"revision": 0, "scores": _scores(world, 80)})
    assert (stale.status_code, stale.json()["code"]) == (409, "stale")
    bad = api_call(member, "put", card, {"revision": 1, "scores": {"4.1.2": {"percent": 62}}})
    assert bad.status_code == 400
    assert "5的整数倍" in bad.json()["message"]
    assert api_call(member, "post", f"{card}/submit").json()["state"] == "submitted"
    # Someone not assigned learns nothing.
    assert api_call(supervisor, "get", card).status_code == 404

    for n, pct in ((0, 60), (2, 70)):
        agree_card = api_client(f"reviewer{n}")
        api_call(agree_card, "put", card, {"revision": 0, "scores": _scores(world, pct)})
        api_call(agree_card, "post", f"{card}/submit")
    consensus = f"{org}/material_review/consensus"
    assert api_call(member, "put", consensus, {"revision": 0, "items": {}}).status_code == 404
    body = {"revision": 0, "items": _scores(world, 60), "comment": "一致", "final": True}
    done = api_call(leader, "put", consensus, body)
    assert done.status_code == 200, done.content
    assert done.json()["score"] == "600.00"
    assert api_call(office, "get", consensus).json()["final"] is True

    # The individual's material review, then the organization's site visit.
    agree(world, world.individual, (70, 75, 80))
    time_machine.move_to(SITE_DAY, tick=False)
    # Tokens last 8 hours: the next days need new ones.
    office, leader = api_client("p_office"), api_client("reviewer0")
    member, supervisor = api_client("reviewer1"), api_client("p_supervisor")
    visit = {"starts_on": "2026-07-20", "ends_on": "2026-07-21", "place": "公司本部"}
    assert api_call(office, "put", f"{org}/site-visit", visit).status_code == 200
    assert api_call(office, "post", f"{cycle}/phases/site_review/open", {}).status_code == 200
    agree(world, world.organization, (60, 65, 70), stage="site_review")
    record = {"items_verified": "4.1至4.7", "interviews": "访谈12人"}
    assert api_call(member, "post", f"{org}/site-visit/record", record).status_code == 404
    assert api_call(leader, "post", f"{org}/site-visit/record", record).status_code == 200
    report = {"group_conduct": "遵守纪律", "applicant_conduct": "配合，无宴请"}
    reported = api_call(supervisor, "post", f"{org}/site-visit/report", report)
    assert reported.json()["reported"] is True
    applicant = api_client("p_applicant")
    rating = {"direction": "of_group", "work_quality": 6, "integrity": 5}
    assert api_call(applicant, "post", f"{org}/feedback", rating).status_code == 422
    rating["work_quality"] = 5
    assert api_call(applicant, "post", f"{org}/feedback", rating).status_code == 201
    assert api_call(applicant, "post", f"{org}/feedback", rating).status_code == 409

    time_machine.move_to(EVALUATION_DAY, tick=False)
    office, applicant = api_client("p_office"), api_client("p_applicant")
    ranking = api_call(office, "post", f"{cycle}/evaluate")
    assert ranking.status_code == 200, ranking.content
    rows = {r["kind"]: r for r in ranking.json()}
    assert rows["organization"]["final_score"] == "635.00"
    assert (rows["individual"]["final_score"], rows["individual"]["site_score"]) == (
        "750.00",
        None,
    )
    committee = api_client("p_committee")
    listed = api_call(committee, "get", f"{cycle}/evaluations").json()
    assert listed["count"] == 2
    assert [r["final_score"] for r in listed["results"]] == ["750.00", "635.00"]
    second = api_call(committee, "get", f"{cycle}/evaluations?page=2&page_size=1").json()
    assert second["count"] == 2
    assert [r["kind"] for r in second["results"]] == ["organization"]  # by kind, then rank
    assert api_call(applicant, "get", f"{cycle}/evaluations").status_code == 403


def test_scheduling_outside_the_stage_is_refused(world: World) -> None:
    office = api_client("p_office")
    org = f"/applications/{world.organization.public_id}"
    early = {"starts_on": "2026-07-01", "ends_on": "2026-07-02", "place": "公司本部"}
    refused = api_call(office, "put", f"{org}/site-visit", early)
    assert refused.status_code == 400
    assert "2026-07-13至2026-09-11" in refused.json()["message"]
    assert dt.date(2026, 7, 13)  # the demo calendar's 现场评审 window
