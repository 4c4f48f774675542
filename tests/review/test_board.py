"""The review board (评审进度) shows every application the year reviewed, whatever its state now:
a year whose applications went on to be awarded, not awarded or revoked keeps its groups,
scorecards, consensus, site visits, supervisors' reports and feedback on the board (A17.1,
A18.1, A27.1, A28.1); its query count does not grow with the applications."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import Organization, RecommendingUnit, User
from decision.demo import PAST_STAGES
from experts.models import Assignment, ReviewGroup
from intake.models import Application, State
from programs.models import Cycle
from programs.services import create_cycle, set_cycle_dates
from review import services
from review.models import Consensus, Evaluation, Feedback, Scorecard, SiteVisit
from review.office import selectors
from tests.conftest import client_for
from tests.review.conftest import World, through_evaluation

SITE = "site_review"


def _board(cycle: Cycle) -> str:
    return reverse("review:board") + f"?cycle={cycle.pk}"


def _close(cycle: Cycle) -> None:
    # The announcement closes a year (programs.services.close_cycle); here only its result.
    Cycle.objects.filter(pk=cycle.pk).update(status=Cycle.Status.CLOSED)
    cycle.refresh_from_db()


def _finish_site_review(world: World) -> None:
    visit = world.group(world.organization, SITE).site_visit
    services.record_site_visit(actor=world.users[0], visit=visit, items_verified="4.1至4.7")
    services.file_supervisor_report(
        actor=world.supervisor, visit=visit, group_conduct="守纪", applicant_conduct="配合"
    )
    services.give_feedback(
        actor=world.applicant,
        application=world.organization,
        direction="of_group",
        work_quality=5,
        integrity=5,
    )
    services.give_feedback(
        actor=world.users[0], application=world.organization, direction="of_applicant", discipline=5
    )


@pytest.mark.req("A17.1", "A18.1", "A27.1", "A28.1")
def test_a_closed_year_keeps_every_reviewed_application_on_the_board(
    world: World, time_machine: Any
) -> None:
    through_evaluation(world, time_machine)
    _finish_site_review(world)
    # Past 综合评价: one awarded, one not (the decision stage's states), then the year closes.
    Application.objects.filter(pk=world.organization.pk).update(state=State.AWARDED)
    Application.objects.filter(pk=world.individual.pk).update(state=State.NOT_AWARDED)
    _close(world.cycle)
    for who in (world.office, world.supervisor):
        html = client_for(who).get(_board(world.cycle)).content.decode()
        assert "本年度尚无已受理的申报" not in html
        assert "本年度尚无进入现场评审的组织" not in html
        assert html.count(world.organization.applicant_name) >= 2  # both stages
        assert "李娜" in html
        assert "已获奖" in html
        assert "未获奖" in html
        assert html.count("已提交 3/3") == 3  # two material groups and the site group
        for score in ("600.00分", "750.00分", "650.00分"):  # the confirmed consensus
            assert score in html, score
        assert '现场记录：<span class="text-success">已填写' in html
        assert '监督报告：<span class="text-success">已提交' in html
        assert html.count(">已评价</span>") == 2  # both directions of A28.1
        assert "已完成综合评价：2/2项" in html
        assert "0/0项" not in html
    # The Office sees why nothing can be done instead of the buttons.
    html = client_for(world.office).get(_board(world.cycle)).content.decode()
    assert 'name="action"' not in html
    assert reverse("review:evaluate", args=[world.cycle.pk]) not in html
    assert html.count("2026年度评价工作已结束，评审记录只能查阅，不能再更改") == 3


def test_an_application_withdrawn_before_a_stage_is_not_listed_at_it(world: World) -> None:
    """Withdrawn after its material group was formed: on the material board (it has a group),
    not at 现场评审, where it never got one."""
    Assignment.objects.filter(group__application=world.organization, group__stage=SITE).delete()
    ReviewGroup.objects.filter(application=world.organization, stage=SITE).delete()
    Application.objects.filter(pk=world.organization.pk).update(state=State.WITHDRAWN)
    html = client_for(world.office).get(_board(world.cycle)).content.decode()
    material, site = html.split('id="stage-site_review"')
    assert world.organization.applicant_name in material
    assert "已撤回" in material
    assert world.organization.applicant_name not in site.split('id="evaluate"')[0]
    assert "已完成综合评价：0/1项" in html  # the individual, still in review


# --- query counts ------------------------------------------------------------------------------


@pytest.fixture
def past_year(world: World) -> Cycle:
    """A closed 2025 year with the rubrics copied and nothing reviewed yet."""
    cycle = create_cycle(actor=world.office, program=world.cycle.program, year=2025)
    set_cycle_dates(actor=world.office, cycle=cycle, dates=PAST_STAGES)
    Cycle.objects.filter(pk=cycle.pk).update(status=Cycle.Status.PUBLISHED)
    for kind in ("organization", "individual"):
        services.ensure_rubric(actor=world.office, cycle=cycle, kind=kind)
    _close(cycle)
    return cycle


def awarded_organization(world: World, cycle: Cycle, n: int) -> Application:
    """An organization of `cycle` reviewed at both stages and awarded: three experts' submitted
    cards, the confirmed consensus, the recorded and reported visit, both feedbacks and the
    evaluation (rows written directly: the services' own tests prove how they come about)."""
    organization = Organization.objects.create(
        uscc=f"91320682MA2XYK{n:03d}X",
        name=f"如皋往年{n}号有限公司",
        recommending_unit=RecommendingUnit.objects.get(name="如城街道"),
        industry_code="34",
        established_on=dt.date(2010, 1, 1),
    )
    application = Application.objects.create(
        cycle=cycle,
        kind="organization",
        organization=organization,
        recommending_unit=organization.recommending_unit,
        state=State.AWARDED,
        created_by=world.office,
    )
    rubric = cycle.rubrics.get(applies_to="organization")
    at = dt.datetime(2025, 7, 22, 10, tzinfo=dt.UTC)
    for stage in ("material_review", SITE):
        group = ReviewGroup.objects.create(
            application=application,
            stage=stage,
            leader=world.experts[0],
            supervisor=world.supervisor if stage == SITE else None,
        )
        for expert in world.experts:
            assignment = Assignment.objects.create(
                group=group, expert=expert, source="manual", assigned_at=at
            )
            Scorecard.objects.create(
                assignment=assignment, rubric=rubric, state="submitted", submitted_at=at
            )
        Consensus.objects.create(
            group=group,
            final=True,
            recorded_by=world.users[0],
            recorded_at=at,
            score=Decimal("600.00"),
        )
    SiteVisit.objects.create(
        group=group,
        starts_on=dt.date(2025, 7, 21),
        ends_on=dt.date(2025, 7, 22),
        place="厂区",
        scheduled_by=world.office,
        items_verified="4.1",
        recorded_by=world.users[0],
        recorded_at=at,
        group_conduct="守纪",
        applicant_conduct="配合",
        reported_by=world.supervisor,
        reported_at=at,
    )
    for direction, who in (("of_group", world.applicant), ("of_applicant", world.users[0])):
        Feedback.objects.create(
            application=application, direction=direction, given_by=who, given_at=at
        )
    Evaluation.objects.create(
        application=application,
        material_score=Decimal("600.00"),
        site_score=Decimal("600.00"),
        material_weight=30,
        site_weight=70,
        final_score=Decimal("600.00"),
        rank=n,
        evaluated_by=world.office,
        evaluated_at=at,
    )
    return application


# Phases, applications (with their evaluations), their groups, the groups' members, the
# feedback; the evaluation's own check asks nothing more of a closed year.
BOARD_SELECTOR_QUERIES = 5


def test_the_board_reads_a_fixed_number_of_queries(
    world: World, past_year: Cycle, django_assert_num_queries: Any
) -> None:
    awarded_organization(world, past_year, 1)
    cycle = Cycle.objects.prefetch_related("stages").get(pk=past_year.pk)
    assert world.office.has_perm("review.manage")  # the roles, read once per request
    with django_assert_num_queries(BOARD_SELECTOR_QUERIES):
        board = selectors.board(cycle, world.office)
    assert [len(s.rows) for s in board.stages] == [1, 1]
    for n in range(2, 6):
        awarded_organization(world, past_year, n)
    cycle = Cycle.objects.prefetch_related("stages").get(pk=past_year.pk)
    with django_assert_num_queries(BOARD_SELECTOR_QUERIES):
        board = selectors.board(cycle, world.office)
    assert [len(s.rows) for s in board.stages] == [5, 5]
    assert (board.evaluated, board.evaluable) == (5, 5)
    assert all(r.submitted == 3 and r.of_group and r.of_applicant for r in board.stages[1].rows)


def test_the_board_page_keeps_its_query_count_at_one_and_at_several_rows(
    world: World,
    past_year: Cycle,
    django_assert_max_num_queries: Any,
    django_assert_num_queries: Any,
) -> None:
    office = client_for(world.office)
    awarded_organization(world, past_year, 1)
    office.get(_board(past_year))  # the session's first request warms its caches
    with django_assert_max_num_queries(20) as one:
        page = office.get(_board(past_year))
    assert page.content.decode().count("如皋往年") == 2  # one row at each stage
    for n in range(2, 7):
        awarded_organization(world, past_year, n)
    with django_assert_num_queries(len(one.captured_queries)):
        page = office.get(_board(past_year))
    html = page.content.decode()
    assert html.count("如皋往年") == 12
    assert "已完成综合评价：6/6项" in html


def test_supervisors_read_a_closed_year_too(
    world: World, past_year: Cycle, personas: dict[str, User]
) -> None:
    awarded_organization(world, past_year, 1)
    html = client_for(world.supervisor).get(_board(past_year)).content.decode()
    assert "如皋往年1号有限公司" in html
    assert "qa-refusal" not in html  # no buttons for supervisors, so no reasons either
