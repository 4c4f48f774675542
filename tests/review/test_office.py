"""The Office's, supervisors' and the committee's review pages (A9.1, A10.2, A10.3, A17.1,
A18.1, A27.1, A28.1): the board, phases, site-visit schedules, the evaluation, the rubrics, the
ranking with its Excel, and one application's record."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from accounts.models import Organization, RecommendingUnit, User
from audit.models import AuditEvent
from experts import services as experts
from experts.models import ReviewGroup
from intake.models import Application, State
from lib import rubrics
from review import services
from review.models import Evaluation, ReviewPhase, Rubric, SiteVisit
from review.office import RANKING_HEADERS
from tests.conftest import client_for
from tests.review.conftest import (
    EVALUATION_DAY,
    SITE_DAY,
    World,
    _group,
    agree,
    through_evaluation,
)

MATERIAL = "material_review"
SITE = "site_review"


def _messages(response: Any) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def _board(world: World) -> str:
    return reverse("review:board") + f"?cycle={world.cycle.pk}"


def _post(client: Client, name: str, *args: Any, **data: Any) -> Any:
    return client.post(reverse(f"review:{name}", args=args), data)


def extra_organization(world: World, n: int) -> Application:
    """Another accepted organization with both groups (the same three experts, who confirm no
    conflict), for ties and query counts."""
    organization = Organization.objects.create(
        uscc=f"91320682MA1XYK{n:03d}X",
        name=f"如皋示例{n}号有限公司",
        recommending_unit=RecommendingUnit.objects.get(name="如城街道"),
        industry_code="34",
        established_on=dt.date(2012, 5, 18),
    )
    application = Application.objects.create(
        cycle=world.cycle,
        kind="organization",
        organization=organization,
        recommending_unit=organization.recommending_unit,
        state=State.ACCEPTED,
        created_by=world.office,
    )
    _group(world, application, MATERIAL)
    _group(world, application, SITE)
    for user in world.users:
        experts.confirm_no_conflict(actor=user, application=application)
    return application


def _schedule(world: World, application: Application) -> None:
    services.schedule_site_visit(
        actor=world.office,
        group=world.group(application, SITE),
        starts_on=dt.date(2026, 7, 20),
        ends_on=dt.date(2026, 7, 21),
        place="申报单位厂区",
    )


# --- who may see and act -----------------------------------------------------------------------


@pytest.mark.req("A17.1", "A27.1", "A19.1")
def test_the_office_acts_supervisors_read_the_committee_sees_the_ranking(
    world: World, personas: dict[str, User]
) -> None:
    office = client_for(world.office)
    page = office.get(_board(world)).content.decode()
    assert "开放评分" in page
    assert world.organization.applicant_name in page
    assert "李娜" in page
    assert office.get(reverse("review:phase", args=[world.cycle.pk])).status_code == 405

    supervisor = client_for(world.supervisor)
    page = supervisor.get(_board(world)).content.decode()
    assert "只读" in page
    assert 'name="action"' not in page
    assert "尚未开放评分" in page
    group = world.group(world.organization, SITE)
    posts: list[tuple[str, list[Any]]] = [
        ("phase", [world.cycle.pk]),
        ("schedule", [group.pk]),
        ("evaluate", [world.cycle.pk]),
        ("rubric", [world.cycle.pk, "organization"]),
    ]
    for name, args in posts:
        response = supervisor.post(reverse(f"review:{name}", args=args), {"stage": MATERIAL})
        assert response.status_code == 403, name
    assert not ReviewPhase.objects.exists()
    assert supervisor.get(reverse("review:ranking", args=[world.cycle.pk])).status_code == 200

    record = reverse("review:record", args=[world.organization.public_id])
    committee = client_for(personas["committee"])
    assert committee.get(reverse("review:ranking", args=[world.cycle.pk])).status_code == 200
    # The committee sees results only: the board takes it to the cycle's ranking.
    assert committee.get(_board(world))["Location"] == reverse(
        "review:ranking", args=[world.cycle.pk]
    )
    assert committee.get(record).status_code == 403
    for who in (personas["expert"], world.users[0], world.applicant, personas["outsider"]):
        client = client_for(who)
        assert client.get(_board(world)).status_code == 403
        assert client.get(reverse("review:ranking", args=[world.cycle.pk])).status_code == 403
        assert client.get(record).status_code == 403
    assert Client().get(_board(world)).status_code == 302


# --- phases, schedules, evaluation -------------------------------------------------------------


@pytest.mark.req("A17.1")
def test_opening_material_review_names_what_is_missing_then_opens(world: World) -> None:
    office = client_for(world.office)
    person_group = world.group(world.individual)
    ReviewGroup.objects.filter(pk=person_group.pk).update(leader=None)
    response = _post(office, "phase", world.cycle.pk, stage=MATERIAL, action="open")
    assert response.status_code == 302
    assert "李娜：尚未确定组长" in _messages(response)
    assert not ReviewPhase.objects.filter(state=ReviewPhase.State.OPEN).exists()
    world.individual.refresh_from_db()
    assert world.individual.state == State.ACCEPTED

    ReviewGroup.objects.filter(pk=person_group.pk).update(leader=world.experts[0])
    response = _post(office, "phase", world.cycle.pk, stage=MATERIAL, action="open")
    assert "已开放材料评审评分" in _messages(response)
    phase = ReviewPhase.objects.get(stage=MATERIAL)
    assert phase.state == ReviewPhase.State.OPEN
    assert not phase.others_visible  # the checkbox was not sent
    assert set(Application.objects.values_list("state", flat=True)) == {State.MATERIAL_REVIEW}
    assert AuditEvent.objects.filter(action="review.phase.open").count() == 1
    page = office.get(_board(world)).content.decode()
    assert "评分进行中" in page
    assert "专家提交后仍不可见组内他人评分" in page
    assert "已提交 0/3" in page

    response = _post(office, "phase", world.cycle.pk, stage=MATERIAL, action="open")
    # A second click is refused by the phase's table, not repeated.
    assert "当前状态为“评分进行中”，不能开放评分" in _messages(response)
    assert AuditEvent.objects.filter(action="review.phase.open").count() == 1
    _post(office, "phase", world.cycle.pk, stage=MATERIAL, action="close")
    assert ReviewPhase.objects.get(stage=MATERIAL).state == ReviewPhase.State.CLOSED
    assert "评分已关闭" in office.get(_board(world)).content.decode()


@pytest.mark.req("A17.1", "A27.1")
def test_the_office_schedules_the_site_visit_before_site_review_opens(
    world: World, time_machine: Any
) -> None:
    services.open_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    agree(world, world.organization, (50, 60, 70))
    time_machine.move_to(SITE_DAY, tick=False)
    office = client_for(world.office)  # signed in on the day (sessions expire)
    response = _post(office, "phase", world.cycle.pk, stage=SITE, action="open")
    assert "尚未安排现场评审" in _messages(response)

    group = world.group(world.organization, SITE)
    response = _post(
        office, "schedule", group.pk, starts_on="2026-07-21", ends_on="2026-07-20", place="厂区"
    )
    assert "结束日期不能早于开始日期" in _messages(response)
    response = _post(
        office, "schedule", group.pk, starts_on="2026-12-01", ends_on="2026-12-02", place="厂区"
    )
    assert "现场评审应安排在" in _messages(response)
    response = _post(office, "schedule", group.pk, starts_on="2026-07-20", ends_on="", place="")
    assert "结束日期" in _messages(response)
    assert not SiteVisit.objects.exists()

    response = _post(
        office,
        "schedule",
        group.pk,
        starts_on="2026-07-20",
        ends_on="2026-07-21",
        place="如皋示例机械有限公司厂区",
    )
    assert response.status_code == 302
    assert "已安排" in _messages(response)
    visit = SiteVisit.objects.get(group=group)
    assert (visit.starts_on, visit.ends_on) == (dt.date(2026, 7, 20), dt.date(2026, 7, 21))
    assert AuditEvent.objects.filter(action="review.site_visit.schedule").count() == 1
    page = office.get(_board(world)).content.decode()
    assert "如皋示例机械有限公司厂区" in page
    assert "现场记录：" in page

    response = _post(office, "phase", world.cycle.pk, stage=SITE, action="open")
    assert "已开放现场评审评分" in _messages(response)
    world.organization.refresh_from_db()
    assert world.organization.state == State.SITE_REVIEW


@pytest.mark.req("A10.2", "A10.3", "A18.1")
def test_the_office_evaluates_on_the_board_and_sees_the_ranking(
    world: World, time_machine: Any
) -> None:
    office = client_for(world.office)
    services.open_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    agree(world, world.organization, (50, 60, 70))
    response = _post(office, "evaluate", world.cycle.pk)
    assert response.status_code == 302
    assert response["Location"].endswith("#evaluate")
    text = _messages(response)
    assert "李娜：材料评审共识未确认" in text
    assert "现场评审共识未确认" in text
    assert not Evaluation.objects.exists()

    agree(world, world.individual, (70, 75, 80))
    time_machine.move_to(SITE_DAY, tick=False)
    _schedule(world, world.organization)
    services.open_phase(actor=world.office, cycle=world.cycle, stage=SITE)
    agree(world, world.organization, (60, 65, 70), stage=SITE)
    time_machine.move_to(EVALUATION_DAY, tick=False)
    office = client_for(world.office)
    response = _post(office, "evaluate", world.cycle.pk)
    assert response["Location"] == reverse("review:ranking", args=[world.cycle.pk])
    assert "已完成综合评价：2项申报" in _messages(response)
    assert Evaluation.objects.count() == 2
    assert AuditEvent.objects.filter(action="review.evaluate").count() == 1

    page = office.get(response["Location"]).content.decode()
    assert "635.00" in page  # 0.3 x 600 + 0.7 x 650
    assert "750.00" in page
    assert "只在最后一步四舍五入保留两位小数" in page
    assert "并列" not in page.split("计分规则")[0]  # no tie here
    assert reverse("review:record", args=[world.organization.public_id]) in page
    assert 'id="review-chart-data"' in page
    assert "echarts.min.js" in page
    # Rater analytics: 赵强 scored 50 against 60 on material, 60 against 65 on site.
    assert "赵强" in page


# --- ranking: ties and Excel -------------------------------------------------------------------


@pytest.fixture
def tied(world: World, time_machine: Any) -> Application:
    """Two organizations with the same scores at both stages: 635.00 each."""
    second = extra_organization(world, 2)
    services.open_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    for application in (world.organization, second):
        agree(world, application, (50, 60, 70))
    agree(world, world.individual, (70, 75, 80))
    time_machine.move_to(SITE_DAY, tick=False)
    for application in (world.organization, second):
        _schedule(world, application)
    services.open_phase(actor=world.office, cycle=world.cycle, stage=SITE)
    for application in (world.organization, second):
        agree(world, application, (60, 65, 70), stage=SITE)
    time_machine.move_to(EVALUATION_DAY, tick=False)
    services.evaluate(actor=world.office, cycle=world.cycle)
    return second


@pytest.mark.req("A10.2", "A18.1")
def test_the_ranking_flags_ties_for_the_committee(
    world: World, tied: Application, personas: dict[str, User]
) -> None:
    page = client_for(personas["committee"]).get(reverse("review:ranking", args=[world.cycle.pk]))
    html = page.content.decode()
    assert "名次相同，未作区分，由委员会审定" in html
    assert html.count('class="qa-tied"') == 2
    assert html.count(">并列</span>") == 2
    assert tied.applicant_name in html
    # The committee does not open the records behind the ranking.
    assert reverse("review:record", args=[tied.public_id]) not in html


@pytest.mark.req("A18.1")
def test_the_ranking_downloads_as_one_excel_sheet(
    world: World, tied: Application, personas: dict[str, User]
) -> None:
    response = client_for(personas["committee"]).get(
        reverse("review:ranking_xlsx", args=[world.cycle.pk])
    )
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["综合评价排名"]
    rows = list(book.active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows[0][0] == f"{world.cycle.year}年度综合评价排名"  # the title row
    assert list(rows[1]) == RANKING_HEADERS
    organizations = [r for r in rows[2:] if r[0] == "组织"]
    assert {r[3] for r in organizations} == {world.organization.applicant_name, tied.applicant_name}
    for row in organizations:
        assert row[1:3] == (1, "并列")
        assert [float(v) for v in row[4:]] == [600, 30, 650, 70, 635]  # type: ignore[arg-type]
    person = next(r for r in rows[2:] if r[0] == "个人")
    assert person[1:4] == (1, None, "李娜")
    assert person[6:8] == (None, None)  # no on-site review for individuals
    assert float(person[8]) == 750  # type: ignore[arg-type]


@pytest.mark.req("A18.1")
def test_the_evaluation_report_downloads_once_evaluated(
    world: World, time_machine: Any, personas: dict[str, User]
) -> None:
    url = reverse("review:report", args=[world.cycle.pk])
    response = client_for(world.office).get(url)
    assert response["Location"] == reverse("review:ranking", args=[world.cycle.pk])
    assert "尚未进行综合评价" in _messages(response)
    through_evaluation(world, time_machine)
    response = client_for(personas["committee"]).get(url)
    assert response.status_code == 200
    assert response["Content-Type"].endswith("wordprocessingml.document")
    assert response.content[:2] == b"PK"  # a .docx is a zip
    assert client_for(world.applicant).get(url).status_code == 403


# --- rubrics (A9.1) ----------------------------------------------------------------------------


def _rubric_post(points: dict[str, int]) -> dict[str, list[Any]]:
    """The default rubric as the page posts it; `points` overrides items ("4_1_2": 55)."""
    source = rubrics.rubric_for("organization")
    items = source.items
    return {
        "cat_code": [c.code for c in source.categories],
        "cat_name": [c.name for c in source.categories],
        "cat_points": [str(c.points) for c in source.categories],
        "item_code": [i.code for i in items] + [""],
        "item_category": [i.category for i in items] + [source.categories[0].code],
        "item_name": [i.name for i in items] + [""],
        "item_points": [str(points.get(i.code.replace(".", "_"), i.points)) for i in items] + [""],
        "item_type": [i.type for i in items] + ["process"],
    }


@pytest.mark.req("A9.1")
def test_the_rubric_is_edited_with_every_error_shown_until_review_starts(
    world: World,
) -> None:
    office = client_for(world.office)
    url = reverse("review:rubric", args=[world.cycle.pk, "organization"])
    page = office.get(url).content.decode()
    assert "尚未复制评价准则" in page
    assert "高层领导的作用" in page
    assert 'name="item_code"' in page
    assert not Rubric.objects.exists()  # looking does not copy

    response = office.post(url, _rubric_post({"4_1_2": 55}))
    assert response.status_code == 400
    html = response.content.decode()
    assert "各条款分值之和为1005分，与总分1000分不符" in html
    assert "类目4.1领导的条款分值之和为115分，与该类目110分不符" in html
    assert 'value="55"' in html  # the Office's input stays on the page

    data = _rubric_post({"4_1_2": 40, "4_1_3": 40})
    data["item_name"][0] = "高层领导的作用与示范"
    response = office.post(url, data)
    assert response.status_code == 302
    rubric = Rubric.objects.get(applies_to="organization")
    item = rubric.items.get(code="4.1.2")
    assert (item.name, item.points, rubric.version) == ("高层领导的作用与示范", 40, 2)
    assert AuditEvent.objects.filter(action="review.rubric.change").count() == 1

    supervisor = client_for(world.supervisor)
    page = supervisor.get(url).content.decode()
    assert "高层领导的作用与示范" in page
    assert 'name="item_code"' not in page
    assert supervisor.post(url, data).status_code == 403

    services.open_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    page = office.get(url).content.decode()
    assert "评审已开始" in page
    assert 'name="item_code"' not in page
    response = office.post(url, data)
    assert "不能再修改" in response.content.decode()
    assert Rubric.objects.get(pk=rubric.pk).version == 2
    assert office.get(reverse("review:rubric", args=[world.cycle.pk, "team"])).status_code == 404


# --- the record (A17.1, A27.1, A28.1) ----------------------------------------------------------


@pytest.mark.req("A17.1", "A27.1", "A28.1")
def test_the_record_shows_the_whole_review_to_the_office_and_supervisors(
    world: World, time_machine: Any, personas: dict[str, User]
) -> None:
    through_evaluation(world, time_machine)
    visit = world.group(world.organization, SITE).site_visit
    services.record_site_visit(
        actor=world.users[0], visit=visit, items_verified="4.1至4.7", interviews="访谈12人"
    )
    services.file_supervisor_report(
        actor=world.supervisor,
        visit=visit,
        group_conduct="专家组遵守纪律",
        applicant_conduct="申报单位配合，无宴请",
    )
    services.give_feedback(
        actor=world.applicant,
        application=world.organization,
        direction="of_group",
        work_quality=5,
        integrity=4,
        comments="专家专业、守纪",
    )
    services.give_feedback(
        actor=world.users[0], application=world.organization, direction="of_applicant", discipline=5
    )
    url = reverse("review:record", args=[world.organization.public_id])
    for who in (world.office, world.supervisor):
        html = client_for(who).get(url).content.decode()
        for text in (
            "赵强",
            "钱敏",
            "孙立",
            "综合意见",
            "访谈12人",
            "专家组遵守纪律",
            "申报单位配合，无宴请",
            "专家专业、守纪",
            "工作质量：5/5；廉洁自律：4/5",
            "遵守纪律：5/5",
            "635.00分",
            "600.00分",
            "高层领导的作用",
        ):
            assert text in html, text
        # Material: 50/60/70 on every item; the spread 20 is within the threshold of 30.
        assert 'class="qa-office-flagged"' not in html
    assert client_for(personas["committee"]).get(url).status_code == 403
    person = client_for(world.office).get(
        reverse("review:record", args=[world.individual.public_id])
    )
    assert "h-feedback" not in person.content.decode()  # no site visit, no feedback
    missing = reverse("review:record", args=["00000000-0000-0000-0000-000000000000"])
    assert client_for(world.office).get(missing).status_code == 404


@pytest.mark.req("A17.1")
def test_the_record_flags_items_whose_spread_calls_for_discussion(world: World) -> None:
    services.open_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    agree(world, world.organization, (30, 60, 80))  # spread 50 > the policy's 30 points
    url = reverse("review:record", args=[world.organization.public_id])
    html = client_for(world.office).get(url).content.decode()
    assert html.count('class="qa-office-flagged"') == 23
    assert "56.67" in html  # the mean of 30, 60 and 80 on each item
    assert "成员评分平均566.67分" in html


# --- query counts -----------------------------------------------------------------------------


def test_the_board_keeps_its_query_count(world: World, django_assert_max_num_queries: Any) -> None:
    services.open_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL)
    agree(world, world.organization, (50, 60, 70))
    office = client_for(world.office)
    office.get(_board(world))
    # 17: the board's 16 and the session's second-factor device (two_factor.TwoFactorGate).
    with django_assert_max_num_queries(17) as few:
        office.get(_board(world))
    for n in range(3, 6):
        extra_organization(world, n)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = office.get(_board(world))
    assert page.content.decode().count("如皋示例") >= 5


def test_the_ranking_keeps_its_query_count(
    world: World, time_machine: Any, django_assert_max_num_queries: Any
) -> None:
    through_evaluation(world, time_machine)
    client = client_for(world.office)
    url = reverse("review:ranking", args=[world.cycle.pk])
    client.get(url)
    with django_assert_max_num_queries(16) as few:
        client.get(url)
    template = Evaluation.objects.get(application=world.organization)
    for n in range(3, 6):
        application = extra_organization(world, n)
        Application.objects.filter(pk=application.pk).update(state=State.EVALUATED)
        template.pk = None
        template.application = application
        template.save()
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url)
    assert page.content.decode().count("635.00") == 4
