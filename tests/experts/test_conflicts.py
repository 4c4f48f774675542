"""Conflicts are a property of the records, not a button (A26.1, issue 14).

The experts and employments here are written straight to the tables, as the records stood
before issue 14 (when nothing ran detection until the Office pressed 识别利害关系): each test
shows that the operation itself finds the conflict, records it and keeps the expert away.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from accounts.models import Individual, Organization, RecommendingUnit, Role, User
from audit.models import AuditEvent
from experts import services
from experts.models import (
    Acknowledgement,
    Assignment,
    Conflict,
    Employment,
    Expert,
    NoConflictConfirmation,
    ReviewGroup,
)
from intake.eligibility import reference_date, years_before
from intake.models import Application
from lib.errors import ServiceError
from programs.models import Cycle, Policy
from tests.conftest import api_call, api_client, client_for
from tests.experts.test_pool import QUALIFIED

STAGE = "material_review"


def _since(cycle: Cycle) -> dt.date:
    """The first day of the look-back (the application date less Policy.lookback_years)."""
    return years_before(reference_date(cycle), cycle.policy.lookback_years)


def _expert(
    n: int,
    jobs: list[dict[str, Any]] | None = None,
    *,
    id_number: str = "",
    user: User | None = None,
    industries: list[str] | None = None,
) -> Expert:
    expert = Expert.objects.create(
        id_number=id_number or f"E{n:017d}",
        user=user,
        **(QUALIFIED | {"name": f"专家{n}", "industries": industries or ["34"], "max_load": 9}),
    )
    Employment.objects.bulk_create(
        Employment(expert=expert, starts_on=dt.date(2001, 1, 1), **job) for job in jobs or []
    )
    return expert


def _org(n: int) -> Organization:
    return Organization.objects.create(
        uscc=f"91320682TEST{n:06d}",
        name=f"如皋测试{n}有限公司",
        recommending_unit=RecommendingUnit.objects.get(name="如城街道"),
        industry_code="34",
    )


def _individual(n: int, *, id_number: str, employer: Organization | None, name: str) -> Individual:
    user = User.objects.create(username=f"person{n}")
    return Individual.objects.create(
        user=user,
        name=f"个人{n}",
        id_number=id_number,
        employer=employer,
        employer_name=name,
        recommending_unit=RecommendingUnit.objects.get(name="如城街道"),
        position="other",
        quality_work_years=8,
    )


def _application(
    cycle: Cycle,
    office: User,
    *,
    org: Organization | None = None,
    individual: Individual | None = None,
) -> Application:
    return Application.objects.create(
        cycle=cycle,
        kind="organization" if org else "individual",
        organization=org,
        individual=individual,
        recommending_unit=RecommendingUnit.objects.get(name="如城街道"),
        created_by=office,
        state="accepted",
    )


def _seated(application: Application) -> set[int]:
    return set(
        Assignment.objects.filter(
            group__application=application, removed_at__isnull=True
        ).values_list("expert_id", flat=True)
    )


@pytest.fixture
def small_groups(cycle: Cycle) -> None:
    Policy.objects.filter(pk=cycle.policy_id).update(expert_group_size=2)
    cycle.policy.refresh_from_db()


# --- the findings of issue 14 ------------------------------------------------------------------


@pytest.mark.req("A26.1", "A17.1")
@pytest.mark.parametrize("how", ["propose", "draw"])
def test_experts_employed_now_or_within_the_look_back_never_join_the_applicants_group(
    cycle: Cycle, office: User, small_groups: None, how: str
) -> None:
    """Finding: 优化分配 put an expert employed by the applicant now, and one who left it inside
    the look-back, in the applicant's own group. The one who left before it may serve."""
    org = _org(1)
    application = _application(cycle, office, org=org)
    since = _since(cycle)
    now_employed = _expert(1, [{"employer_name": org.name, "organization": org}])
    left_inside = _expert(2, [{"employer_name": org.name, "ends_on": since}])
    left_before = _expert(3, [{"employer_name": org.name, "ends_on": since - dt.timedelta(1)}])
    if how == "propose":
        services.propose_groups(actor=office, cycle=cycle, stage=STAGE)
    else:
        services.draw_groups(actor=office, cycle=cycle, stage=STAGE)
    assert _seated(application) == {left_before.pk}  # the only one who may serve
    found = Conflict.objects.filter(application=application)
    assert set(found.values_list("expert_id", "source", "reason")) == {
        (now_employed.pk, "detected", "employer"),
        (left_inside.pk, "detected", "employer"),
    }
    assert AuditEvent.objects.filter(action="experts.conflict.detect").count() == 2


@pytest.mark.req("A26.1")
def test_an_expert_seated_before_the_records_showed_the_conflict_cannot_confirm_or_read(
    cycle: Cycle, office: User, personas: dict[str, User]
) -> None:
    """Finding: the expert employed by the applicant confirmed "no conflict" and read the
    申报表. Now the confirmation runs detection: refused with the reason, the seat ends."""
    org = _org(1)
    application = _application(cycle, office, org=org)
    expert = _expert(1, [{"employer_name": org.name, "organization": org}], user=personas["expert"])
    Acknowledgement.objects.create(
        expert=expert,
        cycle=cycle,
        code_text="守则",
        signed_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
    )
    group = ReviewGroup.objects.create(application=application, stage=STAGE)
    seat = Assignment.objects.create(
        group=group, expert=expert, source="manual", assigned_at=dt.datetime.now(dt.UTC)
    )
    user = User.objects.get(pk=personas["expert"].pk)
    with pytest.raises(ServiceError) as refused:
        services.confirm_no_conflict(actor=user, application=application)
    assert refused.value.article == "A26.1"
    assert "现任或考察期内曾任职于申报单位" in refused.value.message
    assert not NoConflictConfirmation.objects.exists()
    seat.refresh_from_db()
    assert seat.removed_at is not None
    assert seat.removed_reason.startswith("利害关系")
    conflict = Conflict.objects.get()
    assert (conflict.source, conflict.recorded_by) == ("detected", user)
    event = AuditEvent.objects.get(action="experts.conflict.detect")
    assert event.role == Role.EXPERT


@pytest.mark.req("A26.1")
@pytest.mark.parametrize("page", ["read", "attachment"])
def test_opening_the_materials_runs_detection_first(
    cycle: Cycle, office: User, personas: dict[str, User], page: str
) -> None:
    """An expert who confirmed before the employment was recorded: the 申报表 and its
    attachments are no longer there for them (404), the conflict is recorded, the seat ends."""
    org = _org(1)
    application = _application(cycle, office, org=org)
    expert = _expert(1, user=personas["expert"])
    Acknowledgement.objects.create(
        expert=expert,
        cycle=cycle,
        code_text="守则",
        signed_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
    )
    group = ReviewGroup.objects.create(application=application, stage=STAGE)
    Assignment.objects.create(
        group=group, expert=expert, source="manual", assigned_at=dt.datetime.now(dt.UTC)
    )
    NoConflictConfirmation.objects.create(
        expert=expert, application=application, confirmed_at=dt.datetime.now(dt.UTC)
    )
    Employment.objects.create(expert=expert, employer_name=org.name)  # recorded by name only
    client = client_for(personas["expert"])
    url = (
        reverse("experts:read", args=[application.public_id])
        if page == "read"
        else reverse(
            "experts:attachment",
            args=[application.public_id, "00000000-0000-4000-8000-000000000000"],
        )
    )
    assert client.get(url).status_code == 404
    assert Conflict.objects.filter(application=application, expert=expert).exists()
    assert _seated(application) == set()
    assert not AuditEvent.objects.filter(action="experts.materials.view").exists()


@pytest.mark.req("A26.1", "A17.1")
def test_a_hand_addition_and_a_leader_run_detection_and_keep_the_conflict_when_refused(
    cycle: Cycle, office: User
) -> None:
    org = _org(1)
    application = _application(cycle, office, org=org)
    group = ReviewGroup.objects.create(application=application, stage=STAGE)
    since = _since(cycle)
    conflicted = _expert(1, [{"employer_name": "旧称", "organization": org, "ends_on": since}])
    with pytest.raises(ServiceError) as refused:
        services.assign_manually(actor=office, group=group, expert=conflicted, reason="熟悉行业")
    assert (refused.value.code, refused.value.article) == ("conflict", "A26.1")
    assert Conflict.objects.filter(expert=conflicted).exists()  # recorded though refused
    # A member seated before the employment was recorded cannot be named leader.
    member = _expert(2)
    services.assign_manually(actor=office, group=group, expert=member, reason="熟悉行业")
    Employment.objects.create(expert=member, employer_name=org.name, organization=org)
    with pytest.raises(ServiceError, match="利害关系"):
        services.set_leader(actor=office, group=group, expert=member)
    assert _seated(application) == set()
    group.refresh_from_db()
    assert group.leader is None


@pytest.mark.req("A26.1")
def test_an_individual_applicant_conflicts_with_itself_and_its_employers_experts(
    cycle: Cycle, office: User, small_groups: None
) -> None:
    employer = _org(1)
    person = _individual(1, id_number="320682197001010011", employer=employer, name="如皋某厂")
    application = _application(cycle, office, individual=person)
    itself = _expert(1, id_number="320682197001010011")
    by_fk = _expert(2, [{"employer_name": "别名", "organization": employer}])
    by_name = _expert(3, [{"employer_name": " 如皋某厂 "}])  # blanks do not hide a name
    free = _expert(4, [{"employer_name": "南通大学"}])
    services.propose_groups(actor=office, cycle=cycle, stage=STAGE)
    assert _seated(application) == {free.pk}
    assert set(Conflict.objects.values_list("expert_id", "reason")) == {
        (itself.pk, "self"),
        (by_fk.pk, "employer"),
        (by_name.pk, "employer"),
    }


@pytest.mark.req("A26.1")
def test_changing_an_employment_ends_a_current_seat_at_once(cycle: Cycle, office: User) -> None:
    org = _org(1)
    application = _application(cycle, office, org=org)
    group = ReviewGroup.objects.create(application=application, stage=STAGE)
    expert = _expert(1)
    services.assign_manually(actor=office, group=group, expert=expert, reason="熟悉行业")
    services.save_expert(
        actor=office, expert=expert, employments=[{"employer_name": org.name, "organization": org}]
    )
    assert _seated(application) == set()
    removed = AuditEvent.objects.get(action="experts.assignment.remove")
    assert removed.reason == "利害关系：现任或考察期内曾任职于申报单位"


@pytest.mark.req("A26.1")
def test_an_imported_expert_is_checked_against_the_applications(cycle: Cycle, office: User) -> None:
    import openpyxl

    org = _org(1)
    application = _application(cycle, office, org=org)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["姓名", "身份证号码", "类别", "熟悉行业", "实践年限", "工作单位"])
    sheet.append(["钱进", "320682197501010017", "行业质量专家", "34", 10, org.name])
    sheet.append(["孙明", "320682198002020020", "行业质量专家", "34", 10, "南通大学"])
    data = io.BytesIO()
    book.save(data)
    added = services.import_experts(actor=office, data=data.getvalue())
    assert len(added) == 2
    assert list(Conflict.objects.values_list("application_id", "expert__name")) == [
        (application.pk, "钱进")
    ]


@pytest.mark.req("A26.1")
def test_a_recusal_request_stands_against_experts_who_join_later(
    cycle: Cycle, office: User
) -> None:
    from experts.models import RecusalRequest

    org = _org(1)
    application = _application(cycle, office, org=org)
    RecusalRequest.objects.create(
        application=application,
        name="专家1",
        reason="competitor",
        note="竞争对手的顾问",
        requested_by=office,
        requested_at=dt.datetime(2026, 4, 1, tzinfo=dt.UTC),
    )
    joined = _expert(1)  # joined without detection: the proposal finds it
    services.propose_groups(actor=office, cycle=cycle, stage=STAGE)
    assert joined.pk not in _seated(application)
    conflict = Conflict.objects.get()
    assert (conflict.source, conflict.reason) == ("applicant", "competitor")


@pytest.mark.req("A26.1")
def test_the_experts_list_and_the_board_show_what_the_records_show_now(
    open_cycle: Cycle, office: User, personas: dict[str, User]
) -> None:
    """Reading 我的评审 or the groups board runs detection too (by the system: reading a page is
    nobody's act): the conflicted application leaves the expert's list, the board lists the
    conflict and no longer offers the expert for the group."""
    org = _org(1)
    application = _application(open_cycle, office, org=org)
    expert = _expert(1, user=personas["expert"])
    Acknowledgement.objects.create(
        expert=expert,
        cycle=open_cycle,
        code_text="守则",
        signed_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
    )
    group = ReviewGroup.objects.create(application=application, stage=STAGE)
    services.assign_manually(actor=office, group=group, expert=expert, reason="熟悉行业")
    assert org.name in client_for(personas["expert"]).get(reverse("experts:mine")).content.decode()
    Employment.objects.create(expert=expert, employer_name=org.name)
    mine = client_for(personas["expert"]).get(reverse("experts:mine")).content.decode()
    assert org.name not in mine
    conflict = Conflict.objects.get()
    assert conflict.recorded_by is None
    assert AuditEvent.objects.get(action="experts.conflict.detect").role == "system"
    other = _expert(2, [{"employer_name": org.name, "organization": org}])
    board = client_for(office).get(reverse("experts:groups") + f"?cycle={open_cycle.pk}")
    html = board.content.decode()
    start = html.index(f'id="assign-{group.pk}"')
    assert f'value="{other.pk}"' not in html[start : html.index("</select>", start)]
    assert Conflict.objects.filter(expert=other, source="detected").exists()
    assert html.count("系统识别") == 2


# --- no query per pair ----------------------------------------------------------------------


def _world(cycle: Cycle, office: User, size: int) -> None:
    """`size` applicants and 3 × `size` experts: one employed by each applicant now (a
    conflict), one who left before the look-back, one elsewhere."""
    since = _since(cycle)
    for n in range(size):
        org = _org(n)
        _application(cycle, office, org=org)
        _expert(3 * n, [{"employer_name": org.name, "organization": org}])
        _expert(3 * n + 1, [{"employer_name": org.name, "ends_on": since - dt.timedelta(1)}])
        _expert(3 * n + 2, [{"employer_name": f"南通大学{n}"}])


def _propose_queries(cycle: Cycle, office: User, size: int) -> int:
    with transaction.atomic():
        _world(cycle, office, size)
        services.detect_conflicts(actor=office, cycle=cycle)  # the conflicts stand recorded
        with CaptureQueriesContext(connection) as queries:
            services.propose_groups(actor=office, cycle=cycle, stage=STAGE)
        assert Conflict.objects.count() == size
        transaction.set_rollback(True)
    return len(queries.captured_queries)


@pytest.mark.req("A26.1")
def test_propose_with_detection_costs_the_same_queries_for_few_or_many(
    cycle: Cycle, office: User, small_groups: None
) -> None:
    few = _propose_queries(cycle, office, 3)
    many = _propose_queries(cycle, office, 12)  # 12 applications × 36 experts
    assert few == many


@pytest.mark.req("A26.1")
def test_detection_finds_many_new_conflicts_in_one_pass(cycle: Cycle, office: User) -> None:
    """Detection's reads are a fixed handful; each new conflict then costs its own writes (the
    row, its event, the seats it ends), never a read per (application, expert) pair."""
    sizes = {}
    for size in (2, 8):
        with transaction.atomic():
            _world(cycle, office, size)
            with CaptureQueriesContext(connection) as queries:
                services.detect_conflicts(actor=office, cycle=cycle)
            assert Conflict.objects.count() == size
            transaction.set_rollback(True)
        sizes[size] = len(queries.captured_queries)
    per_conflict = (sizes[8] - sizes[2]) / 6
    assert per_conflict <= 12  # the writes of one conflict
    assert sizes[2] - 2 * per_conflict <= 10  # and a few reads, whatever the pool's size


# --- the API: experts declare as on the page ---------------------------------------------------


@pytest.mark.req("A26.1")
def test_an_expert_declares_a_conflict_on_their_own_assignment_through_the_api(
    cycle: Cycle, office: User, personas: dict[str, User]
) -> None:
    """Finding: POST /api/v1/conflicts answered 404 to an expert on their own assignment."""
    org = _org(1)
    application = _application(cycle, office, org=org)
    other = _application(cycle, office, org=_org(2))
    expert = _expert(1, user=personas["expert"])
    colleague = _expert(2)
    Acknowledgement.objects.create(
        expert=expert,
        cycle=cycle,
        code_text="守则",
        signed_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
    )
    group = ReviewGroup.objects.create(application=application, stage=STAGE)
    services.assign_manually(actor=office, group=group, expert=expert, reason="熟悉行业")
    me = api_client("p_expert")
    body = {
        "application": str(application.public_id),
        "expert": str(expert.public_id),
        "reason": "consulting",
        "note": "近三年为该单位提供咨询",
    }
    # Not assigned to them: as if it did not exist; nor may they declare for someone else.
    assert (
        api_call(me, "post", "/conflicts", body | {"application": str(other.public_id)}).status_code
        == 404
    )
    assert (
        api_call(me, "post", "/conflicts", body | {"expert": str(colleague.public_id)}).status_code
        == 404
    )
    assert api_call(me, "post", "/conflicts", body | {"reason": "bribe"}).status_code == 422
    declared = api_call(me, "post", "/conflicts", body)
    assert declared.status_code == 201, declared.content
    conflict = Conflict.objects.get()
    assert (conflict.expert, conflict.source, conflict.reason) == (expert, "expert", "consulting")
    assert _seated(application) == set()
    event = AuditEvent.objects.get(action="experts.conflict.declare")
    assert (event.role, event.actor_id) == (Role.EXPERT, personas["expert"].pk)
    # Once declared the application is no longer theirs to see.
    assert api_call(me, "post", "/conflicts", body).status_code == 404
    # The Office records one for any expert; an applicant cannot.
    office_body = body | {"expert": str(colleague.public_id), "reason": "relative"}
    assert api_call(api_client("p_office"), "post", "/conflicts", office_body).status_code == 201
    assert api_call(api_client("p_applicant"), "post", "/conflicts", office_body).status_code in (
        403,
        404,
    )
    assert Conflict.objects.count() == 2


def test_the_schema_documents_the_conflict_body(program: object) -> None:
    from django.test import Client

    schema = Client().get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/conflicts"]["post"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert set(body["required"]) == {"application", "expert", "reason"}
    assert set(body["properties"]["reason"]["enum"]) == set(Conflict.Reason.values)
    assert "201" in operation["responses"]
    assert "专家" in operation["description"]


# --- the property ------------------------------------------------------------------------------

OFFSETS = st.sampled_from([None, -400, -1, 0, 1, 400])  # days after the look-back's first day
JOB = st.fixed_dictionaries(
    {
        "at": st.integers(0, 2),  # which organization (2: one that applies for nothing)
        "by": st.sampled_from(["fk", "name"]),
        "ends": OFFSETS,
    }
)
EXPERT = st.fixed_dictionaries(
    {
        "jobs": st.lists(JOB, max_size=2),
        "is_person": st.sampled_from([None, 0, 1]),  # the individual applicant themselves
    }
)
PERSON = st.fixed_dictionaries(
    {"at": st.integers(0, 2), "by": st.sampled_from(["fk", "name", "both"])}
)


@pytest.mark.req("A26.1", "A17.1")
@settings(
    max_examples=25,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    experts=st.lists(EXPERT, min_size=1, max_size=6),
    people=st.lists(PERSON, max_size=2),
    operation=st.sampled_from(["propose", "draw", "add"]),
    pick=st.integers(0, 100),
)
def test_no_operation_ever_pairs_a_conflicted_expert_with_the_application(
    cycle: Cycle,
    office: User,
    small_groups: None,
    experts: list[dict[str, Any]],
    people: list[dict[str, Any]],
    operation: str,
    pick: int,
) -> None:
    note(f"experts={experts} people={people} operation={operation} pick={pick}")
    since = _since(cycle)
    with transaction.atomic():
        orgs = [_org(n) for n in range(3)]
        applications = [
            _application(cycle, office, org=orgs[0]),
            _application(cycle, office, org=orgs[1]),
        ]
        person_ids = [f"P{n:017d}" for n in range(len(people))]
        for n, p in enumerate(people):
            org = orgs[p["at"]]
            individual = _individual(
                n,
                id_number=person_ids[n],
                employer=org if p["by"] in ("fk", "both") else None,
                name=org.name if p["by"] in ("name", "both") else "某个体工商户",
            )
            applications.append(_application(cycle, office, individual=individual))
        made: list[tuple[Expert, dict[str, Any], str]] = []
        for n, e in enumerate(experts):
            jobs = [
                {
                    "employer_name": orgs[j["at"]].name if j["by"] == "name" else f"旧称{n}",
                    "organization": orgs[j["at"]] if j["by"] == "fk" else None,
                    "ends_on": None if j["ends"] is None else since + dt.timedelta(j["ends"]),
                }
                for j in e["jobs"]
            ]
            self_id = ""
            if e["is_person"] is not None and e["is_person"] < len(people):
                self_id = person_ids[e["is_person"]]
                if self_id in {m[2] for m in made}:
                    self_id = ""  # one expert per 身份证号码
            made.append((_expert(n, jobs, id_number=self_id), e, self_id))

        def conflicted(application: Application, expert: Expert, spec: dict[str, Any]) -> bool:
            """The oracle: the rule of A26.1 written out independently of the code."""
            person = application.individual
            if person is not None and person.id_number == expert.id_number:
                return True  # 本人即申报人
            if person is not None:
                at = {
                    o.pk
                    for o in orgs
                    if person.employer_id == o.pk or person.employer_name == o.name
                }
            else:
                at = {application.organization_id or 0}
            return any(
                orgs[j["at"]].pk in at and (j["ends"] is None or j["ends"] >= 0)
                for j in spec["jobs"]
            )

        if operation == "propose":
            services.propose_groups(actor=office, cycle=cycle, stage=STAGE)
        elif operation == "draw":
            services.draw_groups(actor=office, cycle=cycle, stage=STAGE)
        else:
            application = applications[pick % len(applications)]
            expert, spec, _ = made[pick % len(made)]
            group = ReviewGroup.objects.create(application=application, stage=STAGE)
            if conflicted(application, expert, spec):
                with pytest.raises(ServiceError) as refused:
                    services.assign_manually(actor=office, group=group, expert=expert, reason="x")
                assert refused.value.code == "conflict"
            else:  # an empty group, a qualified expert under the cap: nothing else refuses
                services.assign_manually(actor=office, group=group, expert=expert, reason="x")
        seats = set(
            Assignment.objects.filter(removed_at__isnull=True).values_list(
                "group__application_id", "expert_id"
            )
        )
        recorded = set(Conflict.objects.values_list("application_id", "expert_id"))
        for application in applications:
            for expert, spec, _ in made:
                pair = (application.pk, expert.pk)
                if conflicted(application, expert, spec):
                    assert pair not in seats
                    if operation != "add":
                        assert pair in recorded  # detection saw the whole pool
                else:
                    assert pair not in recorded
        transaction.set_rollback(True)


@pytest.mark.req("A26.1", "I17.3")
def test_the_guards_first_read_never_clears_a_pair_detection_would_find(
    cycle: Cycle, office: User
) -> None:
    """`conflicts.may_conflict` (the materials' guard reads it on every view before detection)
    answers False only where `detect` finds nothing: each rule of the records, at and beyond
    its edges, pair by pair, read before detection records anything."""
    from experts import conflicts
    from experts.models import RecusalRequest

    since = _since(cycle)
    employer = _org(1)
    org = _org(2)
    person = _individual(1, id_number="320682197001010011", employer=employer, name="如皋某厂")
    by_person = _application(cycle, office, individual=person)
    by_org = _application(cycle, office, org=org)
    withdrawn = _application(cycle, office, org=_org(3))
    Application.objects.filter(pk=withdrawn.pk).update(state="withdrawn")
    RecusalRequest.objects.create(
        application=by_org,
        name="专家9",
        employer="某咨询公司",
        reason="competitor",
        note="竞争对手的顾问",
        requested_by=office,
        requested_at=dt.datetime(2026, 4, 1, tzinfo=dt.UTC),
    )
    day = dt.timedelta(days=1)
    experts = [
        _expert(1, id_number="320682197001010011"),  # the applicant itself
        _expert(2, [{"employer_name": "别名", "organization": employer}]),
        _expert(3, [{"employer_name": " 如皋某厂\u3000"}]),  # blanks do not hide a name
        _expert(4, [{"employer_name": org.name, "ends_on": since}]),  # left on the first day
        _expert(5, [{"employer_name": "旧称", "organization": org, "ends_on": since - day}]),
        _expert(6, [{"employer_name": "南通大学"}]),  # free of both
        _expert(7, [{"employer_name": org.name, "organization": org}]),  # only by_org's
        _expert(8, [{"employer_name": "南通大学"}]),  # named, another employer: not matched
        _expert(9, [{"employer_name": "某咨询公司（南通）"}]),
        _expert(11, [{"employer_name": "如皋测试3有限公司"}]),  # the withdrawn applicant's
    ]
    Expert.objects.filter(pk=experts[7].pk).update(name="专家9")
    experts[7].name = "专家9"
    declared = _expert(10)
    Conflict.objects.create(
        application=by_person,
        expert=declared,
        source="expert",
        reason="other",
        recorded_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
    )
    pairs = [(a, e) for a in (by_person, by_org, withdrawn) for e in [*experts, declared]]
    names = {e.pk: e.name for e in [*experts, declared]}
    names[experts[7].pk] = "专家8"
    first = {(a.pk, e.pk): conflicts.may_conflict(a, e) for a, e in pairs}
    found = {(a.pk, e.pk): bool(conflicts.detect(applications=[a], experts=[e])) for a, e in pairs}
    assert {k for k, v in found.items() if v} <= {k for k, v in first.items() if v}
    cleared = {(a.pk, e.pk) for a, e in pairs if not first[(a.pk, e.pk)]}
    # Every pair the records leave free is cleared without detection's full read, but the
    # namesake of a recusal request (detection compares the employer).
    assert {k for k, v in found.items() if not v} - cleared == {(by_org.pk, experts[7].pk)}
    named = {(a, names[e]) for a, e in cleared}
    assert {(by_person.pk, n) for n in ("专家1", "专家2", "专家3", "专家10")}.isdisjoint(named)
    assert {(by_org.pk, n) for n in ("专家4", "专家7", "专家9")}.isdisjoint(named)
    assert (by_org.pk, "专家5") in named  # left the day before the look-back began
    assert (by_person.pk, "专家6") in named
    assert {(withdrawn.pk, names[e.pk]) for e in [*experts, declared]} <= named
