"""The expert pages: the Office's pool and groups board, and the expert's workspace (A6.3, A8.1,
A17.1, A26.1)."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import unquote

import openpyxl
import pytest
from django.urls import reverse
from stdnum.cn import ric

from accounts.models import User
from audit.models import AuditEvent
from experts import services
from experts.models import Assignment, Conflict, Draw, Expert, ReviewGroup
from intake.models import Application
from tests.conftest import client_for
from tests.experts.test_groups import accepted, pool
from tests.experts.test_import_and_access import _row, _sheet, assigned, expert
from tests.experts.test_pool import QUALIFIED

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

__all__ = ["accepted", "assigned", "expert", "pool"]


def _id_number(n: int) -> str:
    body = f"32068219800101{n:03d}"
    return body + ric.calc_check_digit(body + "0")


def _experts(office: User, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        services.save_expert(
            actor=office,
            id_number=_id_number(n),
            **(QUALIFIED | {"name": f"专家{n}", "evidence_policy": "" if n % 2 else "有"}),
            employments=[{"employer_name": f"单位{n}"}],
        )


# --- the pool ----------------------------------------------------------------------------------


@pytest.mark.req("A8.1")
def test_the_pool_shows_who_may_join_a_group(office: User, personas: dict[str, User]) -> None:
    _experts(office, 2)
    page = client_for(office).get(reverse("experts:pool"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "专家0" in html
    assert "专家1" in html
    assert "可入组" in html
    assert "不可入组" in html
    assert "第八条第一项" in html  # 专家1 lacks the evidence of (1)
    assert "C 制造业 · 34" in html or "34 " in html
    filtered = client_for(office).get(reverse("experts:pool"), {"status": "removed"})
    assert "专家0" not in filtered.content.decode()
    assert client_for(personas["expert"]).get(reverse("experts:pool")).status_code == 403


def test_the_pool_page_keeps_its_query_count(
    office: User, django_assert_max_num_queries: Any
) -> None:
    _experts(office, 1)
    client = client_for(office)
    client.get(reverse("experts:pool"))
    with django_assert_max_num_queries(12) as one:
        client.get(reverse("experts:pool"))
    _experts(office, 9, start=1)
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(reverse("experts:pool"))
    assert page.content.decode().count("qa-gaps") + page.content.decode().count("可入组") >= 10


def _form(**over: Any) -> dict[str, Any]:
    data = {
        "name": "周敏",
        "id_number": "320682197501010017",
        "phone": "13800000000",
        "title": "教授",
        "category": "scholar",
        "industries": ["34", "35"],
        "practice_years": "12",
        "training_certificate": "证书",
        "training_on": "2021-05-01",
        "evidence_policy": "有",
        "evidence_practice": "有",
        "evidence_training": "有",
        "evidence_discipline": "有",
        "max_load": "5",
        "status": "active",
        "employer_name": "南通大学",
        "employer_since": "2015-09-01",
    }
    return data | over


@pytest.mark.req("A8.1")
def test_the_office_adds_and_edits_an_expert(office: User) -> None:
    client = client_for(office)
    assert client.get(reverse("experts:add")).status_code == 200
    response = client.post(reverse("experts:add"), _form())
    assert response.status_code == 302
    expert = Expert.objects.get(name="周敏")
    assert expert.industries == ["34", "35"]
    assert expert.employments.get().employer_name == "南通大学"
    assert AuditEvent.objects.filter(action="experts.expert.add").count() == 1
    # A past employment stays; the current employer line is replaced.
    expert.employments.create(employer_name="旧单位", ends_on="2015-08-31")
    url = reverse("experts:edit", args=[expert.public_id])
    assert "南通大学" in client.get(url).content.decode()
    response = client.post(url, _form(title="研究员", employer_name="江苏大学"))
    assert response.status_code == 302
    expert.refresh_from_db()
    assert expert.title == "研究员"
    assert sorted(expert.employments.values_list("employer_name", flat=True)) == [
        "旧单位",
        "江苏大学",
    ]


def test_a_service_refusal_is_shown_at_its_field(office: User) -> None:
    client = client_for(office)
    client.post(reverse("experts:add"), _form())
    page = client.post(reverse("experts:add"), _form(name="重复"))
    assert page.status_code == 200
    assert "该身份证号码已在专家库中" in page.content.decode()
    assert 'id="id_number-errors"' in page.content.decode()
    page = client.post(reverse("experts:add"), _form(id_number="320682197501010018"))
    assert "is-invalid" in page.content.decode()
    assert Expert.objects.count() == 1


def test_the_import_page_lists_each_bad_row(office: User) -> None:
    client = client_for(office)
    assert client.get(reverse("experts:import")).status_code == 200
    data = _sheet(_row("钱学", "320682197501010017"), _row("", "320682197501010016"))
    upload = _upload(data)
    page = client.post(reverse("experts:import"), {"file": upload})
    html = page.content.decode()
    assert page.status_code == 200
    assert "未导入任何专家" in html
    assert "第3行：缺少姓名" in html
    assert not Expert.objects.exists()
    good = _sheet(_row("钱学", "320682197501010017"))
    response = client.post(reverse("experts:import"), {"file": _upload(good)})
    assert response.status_code == 302
    assert Expert.objects.get().name == "钱学"


def _upload(data: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(
        "experts.xlsx",
        data,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def test_the_import_template_has_the_service_headers(office: User) -> None:
    import io

    response = client_for(office).get(reverse("experts:import_template"))
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [c.value for c in sheet[1]] == list(services.IMPORT_COLUMNS)


# --- the groups board --------------------------------------------------------------------------


@pytest.mark.req("A17.1", "A27.1")
def test_the_board_proposes_locks_and_names_the_leader(
    accepted: Application, pool: list[Expert], office: User, personas: dict[str, User]
) -> None:
    client = client_for(office)
    board = reverse("experts:groups")
    page = client.get(board)
    assert page.status_code == 200
    assert accepted.applicant_name in page.content.decode()
    assert "尚未分配" in page.content.decode()
    response = client.post(
        reverse("experts:propose", args=[accepted.cycle_id]),
        {"stage": "material_review"},
        follow=True,
    )
    html = response.content.decode()
    assert "最弱匹配" in html
    assert "各组均已配齐" in html
    members = list(Assignment.objects.filter(group__application=accepted, removed_at__isnull=True))
    assert len(members) == 2
    assert members[0].reasons
    assert members[0].reasons[0] in html
    # Lock one, name a leader and a supervisor.
    client.post(reverse("experts:lock", args=[members[0].pk]), {"locked": "1"})
    assert Assignment.objects.get(pk=members[0].pk).locked
    group = ReviewGroup.objects.get(application=accepted)
    client.post(
        reverse("experts:leader", args=[group.pk]),
        {"leader": str(members[0].expert_id), "supervisor": str(personas["supervisor"].pk)},
    )
    group.refresh_from_db()
    assert group.leader_id == members[0].expert_id
    assert group.supervisor_id == personas["supervisor"].pk
    # A random draw: the seed is the system's (a typed one is ignored), shown in the message
    # and on the board; the locked member stays.
    response = client.post(
        reverse("experts:propose", args=[accepted.cycle_id]),
        {"stage": "material_review", "method": "draw", "seed": "7"},
        follow=True,
    )
    draw = Draw.objects.get()
    assert draw.seed != "7"
    assert len(draw.seed) == 32
    assert f"随机抽取（系统生成种子{draw.seed}）" in response.content.decode()
    assert Assignment.objects.filter(pk=members[0].pk, removed_at__isnull=True).exists()


def test_a_hand_assignment_keeps_the_hard_rules(
    accepted: Application, pool: list[Expert], office: User
) -> None:
    client = client_for(office)
    client.post(reverse("experts:propose", args=[accepted.cycle_id]), {"stage": "material_review"})
    group = ReviewGroup.objects.get(application=accepted)
    active = Assignment.objects.filter(group=group, removed_at__isnull=True)
    outsider = Expert.objects.exclude(pk__in=active.values("expert_id")).first()
    assert outsider is not None
    services.declare_conflict(
        actor=office, application=accepted, expert=outsider, reason="competitor", note="同业"
    )
    response = client.post(
        reverse("experts:assign", args=[group.pk]), {"expert": str(outsider.pk)}, follow=True
    )
    assert "利害关系" in response.content.decode()
    assert not active.filter(expert=outsider).exists()


@pytest.mark.req("A26.1")
def test_the_hand_assignment_list_offers_neither_members_nor_conflicted_experts(
    accepted: Application, pool: list[Expert], office: User
) -> None:
    """Found by the whole-year scenario: the 人工加入专家 list offered every qualified expert,
    the group's members and an expert who had declared a conflict with the applicant too."""
    client = client_for(office)
    client.post(reverse("experts:propose", args=[accepted.cycle_id]), {"stage": "material_review"})
    group = ReviewGroup.objects.get(application=accepted)
    seated = set(
        Assignment.objects.filter(group=group, removed_at__isnull=True).values_list(
            "expert_id", flat=True
        )
    )
    outsiders = [e for e in pool if e.pk not in seated]
    assert len(outsiders) >= 2
    services.declare_conflict(
        actor=office, application=accepted, expert=outsiders[0], reason="competitor", note="同业"
    )
    html = client.get(reverse("experts:groups")).content.decode()
    start = html.index(f'id="assign-{group.pk}"')
    options = html[start : html.index("</select>", start)]
    assert f'value="{outsiders[1].pk}"' in options
    assert f'value="{outsiders[0].pk}"' not in options  # conflicted
    for pk in seated:
        assert f'value="{pk}"' not in options  # already in the group


@pytest.mark.req("A6.3", "A26.1")
def test_the_board_sets_the_code_and_shows_conflicts_without_a_button(
    accepted: Application, pool: list[Expert], office: User, django_assert_max_num_queries: Any
) -> None:
    client = client_for(office)
    cycle_id = accepted.cycle_id
    response = client.post(reverse("experts:code", args=[cycle_id]), {"text": "一、公正评审。"})
    assert response.status_code == 302
    assert accepted.cycle.code_of_conduct.text == "一、公正评审。"
    services.save_expert(
        actor=office, expert=pool[3], employments=[{"employer_name": accepted.applicant_name}]
    )
    html = client.get(reverse("experts:groups")).content.decode()
    assert "系统识别" in html  # found when the employment was saved, nobody pressed anything
    assert "识别利害关系</button>" not in html
    assert "由系统自动识别" in html  # the board says how conflicts are handled
    client.get(reverse("experts:groups"))
    with django_assert_max_num_queries(30) as one:
        client.get(reverse("experts:groups"))
    for e in pool[:3]:
        services.declare_conflict(
            actor=office, application=accepted, expert=e, reason="other", note="x"
        )
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(reverse("experts:groups"))
    assert page.content.decode().count("其他利害关系") == 3


# --- the expert's workspace --------------------------------------------------------------------


def test_the_workspace_is_for_experts_only(personas: dict[str, User], expert: Expert) -> None:
    assert client_for(personas["expert"]).get(reverse("experts:mine")).status_code == 200
    assert client_for(personas["office"]).get(reverse("experts:mine")).status_code == 404


@pytest.mark.req("A6.3", "A26.1")
def test_an_expert_signs_confirms_and_reads_with_a_watermark(
    assigned: Application, expert: Expert, office: User, personas: dict[str, User]
) -> None:
    client = client_for(personas["expert"])
    read = reverse("experts:read", args=[assigned.public_id])
    page = client.get(reverse("experts:mine")).content.decode()
    assert "尚未发布本年度评审专家工作守则" in page
    assert client.get(read).status_code == 404
    services.set_code_of_conduct(actor=office, cycle=assigned.cycle, text="一、公正评审。")
    page = client.get(reverse("experts:mine")).content.decode()
    assert "一、公正评审。" in page
    assert assigned.applicant_name not in page  # nothing of the cycle before signing
    client.post(reverse("experts:acknowledge"), {"cycle": str(assigned.cycle_id)})
    page = client.get(reverse("experts:mine")).content.decode()
    assert assigned.applicant_name in page
    assert "确认不存在利害关系" in page
    assert client.get(read).status_code == 404  # not yet confirmed
    client.post(reverse("experts:confirm", args=[assigned.public_id]))
    assert read in client.get(reverse("experts:mine")).content.decode()
    for n in (1, 2):
        response = client.get(read)
        assert response.status_code == 200
        html = response.content.decode()
        assert html.count('class="qa-watermark">查阅人：赵强 · ') == 2
        assert "公司主营通用设备制造" in html
        assert AuditEvent.objects.filter(action="experts.materials.view").count() == n
    assert client_for(personas["supervisor"]).get(read).status_code == 404


@pytest.mark.req("A26.1")
def test_a_conflict_is_never_declared_with_a_reason_the_expert_did_not_choose(
    assigned: Application, expert: Expert, office: User, personas: dict[str, User]
) -> None:
    """Found by the whole-year scenario: the 利害关系 list came preset to its first reason, so
    a declaration (final) could record a reason nobody chose. It starts empty and is required."""
    services.set_code_of_conduct(actor=office, cycle=assigned.cycle, text="守则")
    client = client_for(personas["expert"])
    client.post(reverse("experts:acknowledge"), {"cycle": str(assigned.cycle_id)})
    html = client.get(reverse("experts:mine")).content.decode()
    assert 'name="reason" id="reason-1" required><option value="">请选择</option>' in html
    response = client.post(
        reverse("experts:declare", args=[assigned.public_id]),
        {"reason": "", "note": ""},
        follow=True,
    )
    assert "请选择利害关系的类型。" in response.content.decode()
    assert not Conflict.objects.exists()


@pytest.mark.req("A26.1")
def test_a_conflicted_expert_gets_404(
    assigned: Application, expert: Expert, office: User, personas: dict[str, User]
) -> None:
    services.set_code_of_conduct(actor=office, cycle=assigned.cycle, text="守则")
    client = client_for(personas["expert"])
    client.post(reverse("experts:acknowledge"), {"cycle": str(assigned.cycle_id)})
    client.post(reverse("experts:confirm", args=[assigned.public_id]))
    response = client.post(
        reverse("experts:declare", args=[assigned.public_id]),
        {"reason": "relative", "note": "表兄任副总经理"},
    )
    assert response.status_code == 302
    conflict = Conflict.objects.get()
    assert (conflict.source, conflict.recorded_by) == ("expert", personas["expert"])
    assert client.get(reverse("experts:read", args=[assigned.public_id])).status_code == 404
    assert client.post(reverse("experts:confirm", args=[assigned.public_id])).status_code == 404
    assert not AuditEvent.objects.filter(action="experts.materials.view").exists()


def test_office_records_a_sanction_on_the_experts_page(
    personas: dict[str, Any], office: Any
) -> None:
    from experts import services as expert_services
    from experts.models import Expert, ExpertSanction
    from tests.conftest import client_for
    from tests.experts.test_pool import QUALIFIED

    expert = expert_services.save_expert(actor=office, id_number="320682197501010017", **QUALIFIED)
    client = client_for(office)
    response = client.post(
        f"/experts/{expert.public_id}/sanctions/",
        {
            "kind": "warning",
            "decided_on": "2026-06-01",
            "decision_ref": "委员会2026年第2次会议",
            "reason": "迟交评分表且未说明理由",
        },
    )
    assert response.status_code == 302
    assert ExpertSanction.objects.get().get_kind_display() == "警告"
    page = client.get(f"/experts/{expert.public_id}/edit/").content.decode()
    assert "迟交评分表且未说明理由" in page
    assert (
        Expert.objects.get(pk=expert.pk).status == "active"
    )  # a warning leaves the expert in the pool
    assert (
        client_for(personas["expert"])
        .post(f"/experts/{expert.public_id}/sanctions/", {})
        .status_code
        == 403
    )


# --- the Office's export, the applicant's recusal requests, the expert's downloads -------------


@pytest.mark.req("A17.1")
def test_the_office_exports_the_groups_to_excel(
    accepted: Application, pool: list[Expert], office: User, personas: dict[str, User]
) -> None:
    client = client_for(office)
    client.post(reverse("experts:propose", args=[accepted.cycle_id]), {"stage": "material_review"})
    group = ReviewGroup.objects.get(application=accepted)
    leader = Assignment.objects.filter(group=group).first()
    assert leader is not None
    services.set_leader(actor=office, group=group, expert=leader.expert)
    response = client.get(
        reverse("experts:export_groups"),
        {"cycle": str(accepted.cycle_id), "stage": "material_review"},
    )
    assert response.status_code == 200
    assert unquote(response["Content-Disposition"]).endswith("2026年度材料评审专家组.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.getvalue())).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "2026年度材料评审专家组"  # the title row
    assert rows[1][:6] == ("年度", "阶段", "申报人", "类别", "专家", "组内角色")
    body = rows[2:]
    assert len(body) == 2  # the policy's group size in this fixture
    assert {r[2] for r in body} == {accepted.applicant_name}
    assert sorted(r[5] for r in body) == ["成员", "组长"]
    assert all(r[9] == "优化分配" for r in body)
    assert client_for(personas["expert"]).get(reverse("experts:export_groups")).status_code == 403


@pytest.mark.req("A26.1")
def test_the_applicant_requests_a_recusal_without_learning_the_pool(
    accepted: Application, pool: list[Expert], office: User, personas: dict[str, User]
) -> None:
    client = client_for(personas["applicant"])
    detail = client.get(reverse("intake:detail", args=[accepted.public_id])).content.decode()
    page = reverse("experts:recusal", args=[accepted.public_id])
    assert page in detail
    bad = client.post(page, {"name": "专家0", "reason": "competitor", "note": ""})
    assert bad.status_code == 400
    assert "专家0" in bad.content.decode()  # the input is kept
    replies = []
    for name in ("专家0", "不在库的人"):
        response = client.post(
            page, {"name": name, "reason": "competitor", "note": "竞争对手的顾问"}, follow=True
        )
        replies.append(response.content.decode().replace(name, "某人"))
        assert "pool" not in response.content.decode()
    # The two replies read the same: nothing says whether the person is in the pool.
    assert replies[0].count("如在专家库中") == replies[1].count("如在专家库中") == 1
    assert list(Conflict.objects.values_list("expert__name", "source")) == [("专家0", "applicant")]
    board = client_for(office).get(reverse("experts:groups")).content.decode()
    assert "不在库的人" in board
    assert "专家库中无此人" in board
    assert client_for(personas["recommender"]).get(page).status_code == 404


@pytest.mark.req("A26.1")
def test_an_expert_downloads_the_materials_attachments_audited(
    open_cycle: Any, org: Any, expert: Expert, office: User, personas: dict[str, User]
) -> None:
    from intake import services as intake
    from tests.intake.conftest import complete_form

    applicant = personas["applicant"]
    application = intake.start_application(actor=applicant, cycle=open_cycle, organization=org)
    intake.save_draft(actor=applicant, application=application, data=complete_form())
    kept = intake.add_attachment(
        actor=applicant, application=application, section="general", name="执照.pdf", data=PDF
    )
    dropped = intake.add_attachment(
        actor=applicant,
        application=application,
        section="general",
        name="旧.pdf",
        data=PDF + b"% an earlier version\n",  # another file: the same one twice would ask first
    )
    intake.remove_attachment(actor=applicant, attachment=dropped)
    intake.submit_application(actor=applicant, application=application)
    group = ReviewGroup.objects.create(application=application, stage="material_review")
    services.assign_manually(actor=office, group=group, expert=expert, reason="测试")
    services.set_code_of_conduct(actor=office, cycle=open_cycle, text="守则")
    user = personas["expert"]
    client = client_for(user)
    url = reverse("experts:attachment", args=[application.public_id, kept.public_id])
    services.acknowledge(actor=user, cycle=open_cycle)
    assert client.get(url).status_code == 404  # not yet confirmed free of conflict
    services.confirm_no_conflict(actor=user, application=application)
    assert url in client.get(reverse("experts:read", args=[application.public_id])).content.decode()
    response = client.get(url)
    assert response.status_code == 200
    assert response.getvalue() == PDF
    event = AuditEvent.objects.get(action="experts.attachment.download")
    assert (event.actor_id, event.role) == (user.pk, "expert")
    gone = reverse("experts:attachment", args=[application.public_id, dropped.public_id])
    assert client.get(gone).status_code == 404  # not in the submitted version
    services.declare_conflict(
        actor=user, application=application, expert=expert, reason="other", note="同学"
    )
    assert client.get(url).status_code == 404
    assert AuditEvent.objects.filter(action="experts.attachment.download").count() == 1
