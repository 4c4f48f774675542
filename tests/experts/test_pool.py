"""The expert pool (A6.3, A8.1) and conflicts of interest (A26.1)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from accounts.models import Organization, Role, User
from audit.models import AuditEvent
from experts import services
from experts.models import Acknowledgement, Assignment, Conflict, Expert, ReviewGroup
from intake.models import Application
from lib.errors import PermissionDenied, ServiceError, StateConflict
from programs.models import Cycle, Policy
from tests.intake.conftest import complete_form

QUALIFIED: dict[str, Any] = {
    "name": "赵强",
    "category": "industry",
    "industries": ["34", "35"],
    "practice_years": 12,
    "title": "高级工程师",
    "training_certificate": "卓越绩效自评师证书",
    "training_on": dt.date(2020, 6, 1),
    "evidence_policy": "长期从事质量监管工作",
    "evidence_practice": "质量管理12年，见简历",
    "evidence_training": "2020年参加GB/T 19580培训",
    "evidence_discipline": "承诺书已签署",
}


@pytest.fixture
def expert(office: User) -> Expert:
    return services.save_expert(actor=office, id_number="320682197501010017", **QUALIFIED)


@pytest.mark.req("A8.1")
def test_a_qualified_expert_has_no_gaps(expert: Expert, policy: Policy) -> None:
    assert services.qualification_gaps(expert, policy) == []


@pytest.mark.req("A8.1")
@pytest.mark.parametrize(
    ("change", "article"),
    [
        ({"evidence_policy": ""}, "第一项"),
        ({"practice_years": 4}, "第二项"),
        ({"training_certificate": "", "evidence_training": ""}, "第三项"),
        ({"evidence_discipline": ""}, "第四项"),
        ({"status": "removed"}, "已撤销专家资格"),
    ],
)
def test_each_unmet_condition_of_article_8_is_named(
    expert: Expert, policy: Policy, office: User, change: dict[str, Any], article: str
) -> None:
    services.save_expert(actor=office, expert=expert, **change)
    expert.refresh_from_db()
    gaps = services.qualification_gaps(expert, policy)
    assert len(gaps) == 1
    assert article in gaps[0]


def test_pool_is_the_offices_and_validated(office: User, personas: dict[str, User]) -> None:
    with pytest.raises(PermissionDenied):
        services.save_expert(actor=personas["expert"], id_number="320682197501010017", **QUALIFIED)
    with pytest.raises(ServiceError, match="校验位错误"):
        services.save_expert(actor=office, id_number="320682197501010016", **QUALIFIED)
    with pytest.raises(ServiceError, match="99"):
        services.save_expert(
            actor=office, id_number="320682197501010017", **(QUALIFIED | {"industries": ["99"]})
        )
    services.save_expert(actor=office, id_number="320682197501010017", **QUALIFIED)
    with pytest.raises(ServiceError, match="已在专家库中"):
        services.save_expert(actor=office, id_number="320682197501010017", **QUALIFIED)
    event = AuditEvent.objects.get(action="experts.expert.add")
    assert (event.after or {})["id_number"] == "320682********0017"


@pytest.mark.req("A6.3")
def test_expert_signs_the_code_once_and_the_text_is_then_fixed(
    expert: Expert, office: User, personas: dict[str, User], cycle: Cycle
) -> None:
    Expert.objects.filter(pk=expert.pk).update(user=personas["expert"])
    personas["expert"].refresh_from_db()
    with pytest.raises(StateConflict, match="尚未发布"):
        services.acknowledge(actor=personas["expert"], cycle=cycle)
    services.set_code_of_conduct(
        actor=office, cycle=cycle, text="一、遵纪守法，实事求是……\n二、保守商业秘密……"
    )
    services.acknowledge(actor=personas["expert"], cycle=cycle)
    with pytest.raises(StateConflict, match="已签署"):
        services.acknowledge(actor=personas["expert"], cycle=cycle)
    with pytest.raises(StateConflict, match="不能再修改"):
        services.set_code_of_conduct(actor=office, cycle=cycle, text="改写")
    assert Acknowledgement.objects.get().code_text.startswith("一、遵纪守法")


@pytest.fixture
def accepted(open_cycle: Cycle, org: Organization, personas: dict[str, User]) -> Application:
    from intake import services as intake

    application = intake.start_application(
        actor=personas["applicant"], cycle=open_cycle, organization=org
    )
    intake.save_draft(actor=personas["applicant"], application=application, data=complete_form())
    intake.submit_application(actor=personas["applicant"], application=application)
    return application


@pytest.mark.req("A26.1")
def test_a_former_employer_within_the_look_back_is_detected(
    accepted: Application, expert: Expert, office: User, org: Organization
) -> None:
    services.save_expert(
        actor=office,
        expert=expert,
        employments=[
            {
                "employer_name": org.name,
                "organization": org,
                "starts_on": dt.date(2010, 1, 1),
                "ends_on": dt.date(2023, 6, 30),
            }
        ],
    )
    # Saving the employment is enough: nobody presses anything (issue 14).
    conflict = Conflict.objects.get()
    assert (conflict.expert, conflict.source, conflict.reason) == (expert, "detected", "employer")
    assert conflict.recorded_by == office
    event = AuditEvent.objects.get(action="experts.conflict.detect")
    assert (event.after or {})["expert"] == expert.pk
    assert services.detect_conflicts(actor=office, cycle=accepted.cycle) == {
        (accepted.pk, expert.pk)
    }
    assert Conflict.objects.count() == 1  # idempotent


@pytest.mark.req("A26.1")
def test_an_employer_left_before_the_look_back_is_not_a_conflict(
    accepted: Application, expert: Expert, office: User, org: Organization
) -> None:
    services.save_expert(
        actor=office,
        expert=expert,
        employments=[
            {"employer_name": org.name, "organization": org, "ends_on": dt.date(2023, 3, 1)}
        ],
    )
    assert services.detect_conflicts(actor=office, cycle=accepted.cycle) == set()
    assert not Conflict.objects.exists()


@pytest.mark.req("A26.1")
def test_a_declared_conflict_removes_an_existing_assignment(
    accepted: Application, expert: Expert, office: User, personas: dict[str, User]
) -> None:
    group = ReviewGroup.objects.create(application=accepted, stage="material_review")
    Assignment.objects.create(
        group=group,
        expert=expert,
        source="manual",
        assigned_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
    )
    Expert.objects.filter(pk=expert.pk).update(user=personas["expert"])
    personas["expert"].refresh_from_db()
    services.declare_conflict(
        actor=personas["expert"],
        application=accepted,
        expert=expert,
        reason="consulting",
        note="2025年为其做过咨询",
    )
    assignment = Assignment.objects.get()
    assert assignment.removed_at is not None
    assert "咨询" in assignment.removed_reason
    assert Conflict.objects.get().source == "expert"
    assert AuditEvent.objects.filter(action="experts.assignment.remove").exists()


@pytest.mark.req("A26.1")
def test_the_applicant_names_people_to_recuse_before_review_starts_only(
    accepted: Application, expert: Expert, personas: dict[str, User], time_machine: Any
) -> None:
    applicant = personas["applicant"]
    with pytest.raises(ServiceError, match="理由"):
        services.request_recusal(
            actor=applicant, application=accepted, name="赵强", reason="competitor", note=""
        )
    with pytest.raises(ServiceError, match="回避原因"):
        services.request_recusal(
            actor=applicant, application=accepted, name="赵强", reason="self", note="x"
        )
    services.request_recusal(
        actor=applicant,
        application=accepted,
        name="赵强",
        reason="competitor",
        note="其任职单位与我司为直接竞争对手",
    )
    conflict = Conflict.objects.get()
    assert (conflict.expert, conflict.source) == (expert, Role.APPLICANT.value)
    assert AuditEvent.objects.filter(action="experts.recusal.request").count() == 1
    time_machine.move_to(
        dt.datetime(2026, 6, 2, 9, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False
    )
    with pytest.raises(ServiceError, match="材料评审已于2026年6月1日开始") as late:
        services.request_recusal(
            actor=applicant, application=accepted, name="钱七", reason="other", note="x"
        )
    assert (late.value.code, late.value.article) == ("outside_window", "A26.1")
    with pytest.raises(PermissionDenied):
        services.request_recusal(
            actor=personas["recommender"],
            application=accepted,
            name="赵强",
            reason="other",
            note="x",
        )
    with pytest.raises(PermissionDenied):  # the applicant cannot address the pool directly
        services.declare_conflict(
            actor=applicant, application=accepted, expert=expert, reason="competitor", note="x"
        )
    assert Conflict.objects.count() == 1


@pytest.mark.req("A26.1")
def test_a_recusal_matches_namesakes_by_employer_and_experts_who_join_later(
    accepted: Application, expert: Expert, office: User, personas: dict[str, User]
) -> None:
    services.save_expert(actor=office, expert=expert, employments=[{"employer_name": "南通大学"}])
    services.request_recusal(
        actor=personas["applicant"],
        application=accepted,
        name="赵强",
        employer="江苏某竞争公司",
        reason="competitor",
        note="竞争对手的技术总监",
    )
    assert not Conflict.objects.exists()  # the namesake at 南通大学 is not the person named
    services.request_recusal(
        actor=personas["applicant"],
        application=accepted,
        name="孙立",
        reason="relative",
        note="董事长的亲属",
    )
    assert not Conflict.objects.exists()  # not (yet) in the pool
    joined = services.save_expert(
        actor=office,
        id_number="320682198001010015",
        **(QUALIFIED | {"name": "孙立"}),
        employments=[{"employer_name": "市标准化院"}],
    )
    # Joining the pool is enough: the request stands against later experts too.
    found = list(Conflict.objects.all())
    assert [(c.expert, c.source, c.reason) for c in found] == [(joined, "applicant", "relative")]
    services.detect_conflicts(actor=office, cycle=accepted.cycle)
    assert Conflict.objects.count() == 1  # idempotent
