"""The experts' API: the same services and permissions as the pages will have."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import User
from experts.models import Expert
from tests.conftest import api_call, api_client
from tests.experts.test_pool import QUALIFIED

_client = api_client
_call = api_call


@pytest.mark.req("A8.1")
def test_office_adds_an_expert_and_sees_the_gaps(
    personas: dict[str, User], program: object
) -> None:
    office = _client("p_office")
    body = QUALIFIED | {"id_number": "320682197501010017", "evidence_discipline": ""}
    created = _call(office, "post", "/experts", body)
    assert created.status_code == 201, created.content
    assert created.json()["gaps"] == ["第八条第四项：缺少履职守纪、公正严明的依据"]
    listed = _call(office, "get", "/experts").json()
    assert listed["count"] == 1
    assert listed["results"][0]["name"] == "赵强"
    assert listed["results"][0]["gaps"] == created.json()["gaps"]
    assert _call(_client("p_expert"), "get", "/experts").status_code == 403
    assert (
        _call(
            _client("p_applicant"), "post", "/experts", body | {"id_number": "320682198002020020"}
        ).status_code
        == 403
    )
    assert Expert.objects.count() == 1


def test_confirming_an_unassigned_application_is_404(
    personas: dict[str, User], program: object
) -> None:
    import uuid

    response = _call(
        _client("p_expert"), "post", f"/applications/{uuid.uuid4()}/confirm-no-conflict"
    )
    assert response.status_code == 404


def test_groups_through_the_api(personas: dict[str, User], program: object, office: User) -> None:
    from experts import services
    from experts.models import Assignment, ReviewGroup
    from intake.models import Application
    from tests.experts.test_pool import QUALIFIED

    expert = services.save_expert(actor=office, id_number="320682197501010017", **QUALIFIED)
    application = Application.objects.create(
        cycle=_cycle(office),
        kind="organization",
        organization=_org(),
        recommending_unit=_org().recommending_unit,
        created_by=office,
        state="accepted",
    )
    group = ReviewGroup.objects.create(application=application, stage="material_review")
    office_api = _client("p_office")
    added = _call(
        office_api,
        "post",
        f"/groups/{group.pk}/assignments",
        {"expert": str(expert.public_id), "reason": "熟悉行业"},
    )
    assert added.status_code == 201, added.content
    assert Assignment.objects.get().locked
    led = _call(
        office_api,
        "post",
        f"/groups/{group.pk}/leader",
        {"leader": str(expert.public_id), "supervisor": "p_supervisor"},
    )
    assert led.status_code == 200
    group.refresh_from_db()
    assert (group.leader, group.supervisor) == (expert, personas["supervisor"])
    assert (
        _call(
            _client("p_expert"),
            "post",
            f"/groups/{group.pk}/leader",
            {"leader": str(expert.public_id)},
        ).status_code
        == 403
    )


def _org() -> Any:
    from programs import demo

    return demo.seed_organization()


def _cycle(office: User) -> Any:
    from programs.models import AwardProgram
    from programs.services import create_cycle

    return create_cycle(actor=office, program=AwardProgram.objects.get(), year=2026)


@pytest.mark.req("A26.1")
def test_the_applicant_requests_a_recusal_through_the_api(
    personas: dict[str, User], office: User, open_cycle: Any, org: Any
) -> None:
    from experts import services
    from experts.models import Conflict
    from intake import services as intake
    from tests.intake.conftest import complete_form

    applicant = personas["applicant"]
    application = intake.start_application(actor=applicant, cycle=open_cycle, organization=org)
    intake.save_draft(actor=applicant, application=application, data=complete_form())
    path = f"/applications/{application.public_id}/recusal-requests"
    body = {"name": "赵强", "reason": "competitor", "note": "竞争对手的顾问"}
    refused = _call(_client("p_applicant"), "post", path, body)
    assert refused.status_code == 409  # a draft: nothing to review yet
    intake.submit_application(actor=applicant, application=application)
    services.save_expert(actor=office, id_number="320682197501010017", **QUALIFIED)
    made = _call(_client("p_applicant"), "post", path, body)
    assert made.status_code == 201, made.content
    assert set(made.json()) == {"name", "employer", "reason", "note", "requested_at"}
    assert Conflict.objects.get().source == "applicant"
    assert _call(_client("p_applicant"), "get", path).json()[0]["name"] == "赵强"
    assert _call(_client("p_recommender"), "post", path, body).status_code == 403
    bad = _call(_client("p_applicant"), "post", path, body | {"reason": "nonsense"})
    assert bad.status_code == 400
    assert bad.json()["fields"]["reason"] == ["请选择回避原因。"]
