"""The discipline supervisors' workspace (A27.1, A26.2): read-only pages over the cycles, one
cycle, one expert; supervision notes (added, audited, never edited); the audit trail as Excel
with the chain's verification."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Organization, RecommendingUnit, Role, User
from audit.models import AuditEvent
from experts import services as experts
from experts.models import ExpertSanction
from intake import services as intake
from intake.models import Application, State
from lib import uscc
from lib.errors import PermissionDenied
from programs.models import Cycle
from review import services as review
from review.models import Evaluation
from supervision import services
from supervision.models import Note
from tests.audit.tamper import tamper
from tests.conftest import client_for
from tests.intake.conftest import CST, complete_form, to_qualification
from tests.review.conftest import World, org, person, through_evaluation, world

__all__ = ["org", "person", "to_qualification", "world"]

SITE = "site_review"


def _pages(world: World) -> list[str]:
    return [
        reverse("supervision:overview"),
        reverse("supervision:cycle", args=[world.cycle.pk]),
        reverse("supervision:expert", args=[world.experts[0].public_id]),
        reverse("supervision:notes"),
    ]


def _reviewed(world: World, time_machine: Any) -> None:
    """The review driven through the services, with a site record, a supervisor's report, the
    applicant's rating of the group, a declared conflict and a fraud sanction."""
    through_evaluation(world, time_machine)
    visit = world.group(world.organization, SITE).site_visit
    review.record_site_visit(actor=world.users[0], visit=visit, items_verified="4.1至4.7")
    review.file_supervisor_report(
        actor=world.supervisor,
        visit=visit,
        group_conduct="专家组遵守纪律，未接受宴请",
        applicant_conduct="申报单位积极配合",
    )
    review.give_feedback(
        actor=world.applicant,
        application=world.organization,
        direction="of_group",
        work_quality=5,
        integrity=4,
        comments="专家专业、守纪",
    )
    experts.declare_conflict(
        actor=world.office,
        application=world.individual,
        expert=world.experts[2],
        reason="employer",
        note="曾在该单位任职",
    )
    services.sanction_fraud(
        actor=world.office,
        application=world.individual,
        kinds=["warning"],
        reason="申报材料中的获奖证书系伪造",
        decided_on=dt.date(2026, 9, 15),
        decision_ref="如质发委〔2026〕3号",
    )


# --- who may open the workspace ----------------------------------------------------------------


@pytest.mark.req("A27.1")
def test_supervisors_and_the_office_read_everyone_else_is_refused(
    world: World, personas: dict[str, User | None]
) -> None:
    for url in _pages(world):
        for who in ("supervisor", "office"):
            assert client_for(personas[who]).get(url).status_code == 200, (who, url)
        for who in ("expert", "applicant", "committee", "recommender", "outsider"):
            assert client_for(personas[who]).get(url).status_code == 403, (who, url)
        response = client_for(None).get(url)
        assert response.status_code == 302
        assert "login" in response["Location"]


@pytest.mark.req("A27.1")
def test_supervisors_cannot_change_anything_here(world: World) -> None:
    supervisor = client_for(world.supervisor)
    before = AuditEvent.objects.count()
    for url in [u for u in _pages(world) if "notes" not in u] + [
        reverse("supervision:audit_export")
    ]:
        assert supervisor.post(url, {"text": "x"}).status_code == 405, url
    assert AuditEvent.objects.count() == before


def test_an_unknown_cycle_or_expert_is_404(world: World) -> None:
    supervisor = client_for(world.supervisor)
    assert supervisor.get(reverse("supervision:cycle", args=[9999])).status_code == 404
    url = reverse("supervision:expert", args=["00000000-0000-0000-0000-000000000000"])
    assert supervisor.get(url).status_code == 404


# --- the overview ------------------------------------------------------------------------------


@pytest.mark.req("A27.1")
def test_the_overview_lists_cycles_with_stages_counts_and_links(world: World) -> None:
    html = client_for(world.supervisor).get(reverse("supervision:overview")).content.decode()
    assert "2026年度" in html
    assert "已受理：2 件" in html
    assert "材料评审" in html
    assert "现场评审" in html
    for name in ("review:board", "decision:board", "audit:trail", "supervision:cases"):
        assert reverse(name) in html
    assert reverse("supervision:cycle", args=[world.cycle.pk]) in html


def test_the_overview_query_count_does_not_grow_with_cycles(
    world: World, program: Any, django_assert_max_num_queries: Any
) -> None:
    client = client_for(world.supervisor)
    url = reverse("supervision:overview")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for year in (2024, 2025):
        Cycle.objects.create(program=program, year=year, policy=world.cycle.policy)
    services.add_note(actor=world.supervisor, text="抽查", cycle=world.cycle)
    with django_assert_max_num_queries(len(one)):
        assert client.get(url).status_code == 200


# --- one cycle ---------------------------------------------------------------------------------


@pytest.mark.req("A27.1", "A16.1")
def test_the_cycle_page_shows_recommendations_and_refusals_with_reasons(
    open_cycle: Cycle,
    org: Organization,
    personas: dict[str, User],
    to_qualification: Callable[[], None],
) -> None:
    applicant = personas["applicant"]
    application = intake.start_application(actor=applicant, cycle=open_cycle, organization=org)
    intake.save_draft(actor=applicant, application=application, data=complete_form())
    intake.submit_application(actor=applicant, application=application)
    intake.recommend_application(
        actor=personas["recommender"], application=application, opinion="同意推荐，材料属实。"
    )
    to_qualification()
    intake.decide_qualification(
        actor=personas["office"],
        application=application,
        accept=False,
        reason="申报材料不完整，缺少纳税证明。",
        articles=["A16.1"],
    )
    url = reverse("supervision:cycle", args=[open_cycle.pk])
    html = client_for(personas["supervisor"]).get(url).content.decode()
    for text in (
        "同意推荐，材料属实。",
        "不予受理",
        "申报材料不完整，缺少纳税证明。",
        "依据：《办法》第十六条",
    ):
        assert text in html, text


@pytest.mark.req("A27.1", "A17.1", "A26.1", "A29.1")
def test_the_cycle_page_shows_groups_conflicts_scores_visits_and_sanctions(
    world: World, time_machine: Any
) -> None:
    _reviewed(world, time_machine)
    html = (
        client_for(world.supervisor)
        .get(reverse("supervision:cycle", args=[world.cycle.pk]))
        .content.decode()
    )
    for text in (
        "赵强",  # the leader
        "（组长）",
        "评审监督员",
        "共识已确认",
        "曾在该单位任职",  # the conflict's note
        "孙立",
        "专家组遵守纪律，未接受宴请",  # the supervisor's report
        "监督员报告已提交",
        "申报单位评价专家组已提交",
        "申报材料中的获奖证书系伪造",  # the sanction
        "如质发委〔2026〕3号",
        "第 1 名",
    ):
        assert text in html, text
    # The conflict removed 孙立 from the individual's group, with why.
    assert "移出：孙立" in html
    assert reverse("supervision:expert", args=[world.experts[0].public_id]) in html
    assert reverse("review:record", args=[world.organization.public_id]) in html


def test_the_cycle_page_query_count_does_not_grow_with_applications(
    world: World, time_machine: Any, django_assert_max_num_queries: Any
) -> None:
    _reviewed(world, time_machine)
    client = client_for(world.supervisor)
    url = reverse("supervision:cycle", args=[world.cycle.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as two:
        client.get(url)
    unit = RecommendingUnit.objects.get(name="如城街道")
    for n in range(4):
        more = Organization.objects.create(
            uscc=f"91320682MA1SUP{n:03d}X", name=f"如皋监督测试{n}号公司", recommending_unit=unit
        )
        application = Application.objects.create(
            cycle=world.cycle,
            kind="organization",
            organization=more,
            recommending_unit=unit,
            state=State.EVALUATED,
            created_by=world.office,
        )
        Evaluation.objects.create(
            application=application,
            material_score=Decimal("600"),
            material_weight=100,
            final_score=Decimal("600"),
            rank=n + 3,
            evaluated_by=world.office,
            evaluated_at=dt.datetime(2026, 9, 15, tzinfo=CST),
        )
    with django_assert_max_num_queries(len(two)):
        html = client.get(url).content.decode()
    assert "如皋监督测试3号公司" in html


# --- one expert --------------------------------------------------------------------------------


@pytest.mark.req("A26.2", "A27.1", "A28.1")
def test_the_expert_page_shows_ratings_reports_conflicts_and_sanctions(
    world: World, time_machine: Any
) -> None:
    _reviewed(world, time_machine)
    experts.record_sanction(
        actor=world.office,
        expert=world.experts[0],
        kind=ExpertSanction.Kind.WARNING,
        decided_on=dt.date(2026, 9, 15),
        decision_ref="如质发委〔2026〕5号",
        reason="评审中泄露评审信息",
        evidence="录音材料",
    )
    html = (
        client_for(world.supervisor)
        .get(reverse("supervision:expert", args=[world.experts[0].public_id]))
        .content.decode()
    )
    for text in (
        "赵强",
        "组长",
        "专家专业、守纪",  # the applicant's rating of the group
        "5 / 5",
        "4 / 5",
        "专家组遵守纪律，未接受宴请",  # the supervisor's report
        "评审中泄露评审信息",
        "如质发委〔2026〕5号",
        "评分与专家组共识的偏离",
    ):
        assert text in html, text
    assert world.experts[0].id_number not in html  # never the ID number
    conflicted = (
        client_for(world.office)
        .get(reverse("supervision:expert", args=[world.experts[2].public_id]))
        .content.decode()
    )
    assert "曾在该单位任职" in conflicted


# --- notes -------------------------------------------------------------------------------------


@pytest.mark.req("A27.1")
def test_a_supervisor_adds_a_note_which_is_audited_and_listed(world: World) -> None:
    supervisor = client_for(world.supervisor)
    url = reverse("supervision:notes")
    response = supervisor.post(
        url,
        {
            "text": "材料评审组讨论记录完整。",
            "cycle": world.cycle.pk,
            "expert": str(world.experts[1].public_id),
            "next": reverse("supervision:expert", args=[world.experts[1].public_id]),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("supervision:expert", args=[world.experts[1].public_id])
    note = Note.objects.get()
    assert (note.author, note.cycle, note.expert) == (
        world.supervisor,
        world.cycle,
        world.experts[1],
    )
    event = AuditEvent.objects.get(action="supervision.note.add")
    assert (event.actor, event.role, event.object_id) == (
        world.supervisor,
        Role.SUPERVISOR,
        str(note.pk),
    )
    services.add_note(actor=world.office, text="办公室补充说明。")
    html = supervisor.get(url).content.decode()
    assert html.index("办公室补充说明。") < html.index("材料评审组讨论记录完整。")  # newest first
    filtered = supervisor.get(url, {"cycle": world.cycle.pk}).content.decode()
    assert "材料评审组讨论记录完整。" in filtered
    assert "办公室补充说明。" not in filtered
    expert_page = supervisor.get(response["Location"]).content.decode()
    assert "材料评审组讨论记录完整。" in expert_page


@pytest.mark.req("A27.1")
def test_a_note_needs_text_and_others_cannot_file_one(
    world: World, personas: dict[str, User]
) -> None:
    response = client_for(world.supervisor).post(reverse("supervision:notes"), {"text": " "})
    assert response.status_code == 400
    assert not Note.objects.exists()
    with pytest.raises(PermissionDenied):
        services.add_note(actor=personas["expert"], text="越权")
    url = reverse("supervision:notes")
    assert client_for(personas["expert"]).post(url, {"text": "越权"}).status_code == 403
    assert not Note.objects.exists()


def test_notes_cannot_be_edited_or_deleted(world: World) -> None:
    note = services.add_note(actor=world.supervisor, text="原始记录。")
    supervisor = client_for(world.supervisor)
    for path in (f"/supervision/notes/{note.pk}/", f"/supervision/notes/{note.pk}/edit/"):
        assert supervisor.post(path, {"text": "改写"}).status_code == 404
    assert Note.objects.get().text == "原始记录。"


# --- the audit trail as Excel -------------------------------------------------------------------


@pytest.mark.req("A27.1", "A3.1")
def test_the_audit_export_states_the_chain_verification(
    world: World, personas: dict[str, User]
) -> None:
    services.add_note(actor=world.supervisor, text="导出前的记录")
    url = reverse("supervision:audit_export")
    for who in ("office", "committee", "expert", "applicant"):
        assert client_for(personas[who]).get(url).status_code == 403, who
    response = client_for(world.supervisor).get(url, {"action": "supervision.note.add"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    first, trail_sheet = book.worksheets
    assert first["A1"].value == "审计链校验通过"
    assert "校验时间" in first["A3"].value
    rows = list(trail_sheet.iter_rows(values_only=True))
    assert rows[1][:6] == ("序号", "时间", "操作人", "角色", "类别", "操作")
    assert [r[5] for r in rows[2:]] == ["纪律监督：记录监督意见"]
    assert rows[2][3] == "评审监督员"
    assert "导出前的记录" in rows[2][8]
    assert client_for(personas["auditadmin"]).get(url).status_code == 200


@pytest.mark.req("A27.1", "A3.1")
def test_the_audit_export_names_the_first_broken_link(world: World) -> None:
    seq = AuditEvent.objects.order_by("seq").values_list("seq", flat=True)[2]
    tamper("UPDATE audit_auditevent SET reason = %s WHERE seq = %s", ["改写", seq])
    response = client_for(world.supervisor).get(reverse("supervision:audit_export"))
    first = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert first["A1"].value == "审计链校验未通过"
    assert f"第 {seq} 号事件" in first["A2"].value


# --- the year page a page at a time (issue 17) ---------------------------------------------------


def _more(world: World, count: int, start: int = 0) -> None:
    unit = RecommendingUnit.objects.get(name="如城街道")
    for n in range(start, start + count):
        body = f"91320682MA1PAG{n:03d}"
        more = Organization.objects.create(
            uscc=body + uscc.check_character(body),
            name=f"如皋分页{n:03d}号公司",
            recommending_unit=unit,
        )
        Application.objects.create(
            cycle=world.cycle,
            kind="organization",
            organization=more,
            recommending_unit=unit,
            state=State.ACCEPTED,
            created_by=world.office,
        )


def test_the_cycle_page_comes_a_page_at_a_time_with_every_application_once(
    world: World, django_assert_max_num_queries: Any
) -> None:
    from supervision.workspace import CYCLE_PAGE_SIZE

    _more(world, 2 * CYCLE_PAGE_SIZE + 3)
    client = client_for(world.supervisor)
    url = reverse("supervision:cycle", args=[world.cycle.pk])
    seen: list[str] = []
    response = client.get(url)
    assert "已受理 " in response.content.decode()
    pages = 0
    while True:
        pages += 1
        rows = response.context["rows"]
        assert len(rows) <= CYCLE_PAGE_SIZE
        seen += [r["application"].applicant_name for r in rows]
        after = response.context["next_after"]
        if after is None:
            break
        html = response.content.decode()
        assert f'href="?after={after}" rel="next">下一页 ›</a>' in html
        with django_assert_max_num_queries(40):
            response = client.get(url, {"after": str(after)})
        assert "« 第一页" in response.content.decode()
    submitted = Application.objects.filter(cycle=world.cycle).exclude(state=State.DRAFT)
    assert sorted(seen) == sorted(a.applicant_name for a in submitted)
    assert len(seen) == len(set(seen))
    assert pages == -(-submitted.count() // CYCLE_PAGE_SIZE)


def test_the_cycle_page_size_and_queries_do_not_grow_with_the_year(
    world: World, django_assert_max_num_queries: Any
) -> None:
    _more(world, 25)
    client = client_for(world.supervisor)
    url = reverse("supervision:cycle", args=[world.cycle.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        small = client.get(url).content
    _more(world, 50, start=100)
    with django_assert_max_num_queries(len(few)):
        large = client.get(url).content
    assert len(large) < len(small) * 1.1
