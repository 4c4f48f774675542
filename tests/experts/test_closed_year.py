"""A past year's groups (A11.1, A17.1, A26.1): the groups page and 我的评审 find every reviewed
application of the year whatever its state now, and nothing of a closed year's groups and
conflicts changes any more (`experts.services.closed_refusal`)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import User
from audit.models import AuditEvent
from experts import selectors, services
from experts.models import (
    Acknowledgement,
    Assignment,
    CodeOfConduct,
    Conflict,
    Expert,
    NoConflictConfirmation,
    ReviewGroup,
)
from intake.models import Application, State, StateChange
from lib.errors import StateConflict
from programs.models import Cycle
from tests.conftest import client_for
from tests.experts.test_groups import accepted, pool
from tests.experts.test_import_and_access import assigned, expert

__all__ = ["accepted", "assigned", "expert", "pool"]

STAGE = "material_review"


def _close(application: Application, state: str = State.AWARDED) -> Application:
    """The year announced: the application decided, the cycle closed."""
    Application.objects.filter(pk=application.pk).update(state=state)
    Cycle.objects.filter(pk=application.cycle_id).update(status=Cycle.Status.CLOSED)
    return Application.objects.select_related("cycle__policy").get(pk=application.pk)


@pytest.fixture
def closed_group(accepted: Application, pool: list[Expert], office: User) -> ReviewGroup:
    """A group proposed and led while the year was open; then the year closed."""
    services.propose_groups(actor=office, cycle=accepted.cycle, stage=STAGE)
    group = ReviewGroup.objects.get(application=accepted, stage=STAGE)
    member = group.assignments.filter(removed_at__isnull=True).first()
    assert member is not None
    services.set_leader(actor=office, group=group, expert=member.expert)
    services.set_code_of_conduct(actor=office, cycle=accepted.cycle, text="一、公正评审。")
    _close(accepted)
    return ReviewGroup.objects.select_related("application__cycle__policy").get(pk=group.pk)


def _state() -> tuple[Any, ...]:
    """Everything a group or conflict action could write."""
    return (
        AuditEvent.objects.count(),
        list(ReviewGroup.objects.values_list("pk", "leader_id", "supervisor_id").order_by("pk")),
        list(
            Assignment.objects.values_list("pk", "expert_id", "locked", "removed_at").order_by("pk")
        ),
        Conflict.objects.count(),
        NoConflictConfirmation.objects.count(),
        list(CodeOfConduct.objects.values_list("text", flat=True)),
        Acknowledgement.objects.count(),
    )


def _outsider(group: ReviewGroup, pool: list[Expert]) -> Expert:
    seated = set(group.assignments.values_list("expert_id", flat=True))
    return next(e for e in pool if e.pk not in seated)


def _member(group: ReviewGroup) -> Assignment:
    seat = group.assignments.filter(removed_at__isnull=True).select_related("expert").first()
    assert seat is not None
    return seat


ACTIONS: dict[str, Callable[[ReviewGroup, list[Expert], dict[str, User]], Any]] = {
    "propose": lambda g, pool, p: services.propose_groups(
        actor=p["office"], cycle=g.application.cycle, stage=STAGE
    ),
    "draw": lambda g, pool, p: services.draw_groups(
        actor=p["office"], cycle=g.application.cycle, stage=STAGE, reason="再抽"
    ),
    "open_group": lambda g, pool, p: services.open_group(
        actor=p["office"], application=g.application, stage="site_review"
    ),
    "assign": lambda g, pool, p: services.assign_manually(
        actor=p["office"], group=g, expert=_outsider(g, pool), reason="人工调整"
    ),
    "lock": lambda g, pool, p: services.set_locked(
        actor=p["office"], assignment=_member(g), locked=True
    ),
    "leader": lambda g, pool, p: services.set_leader(
        actor=p["office"], group=g, expert=_member(g).expert, supervisor=p["supervisor"]
    ),
    "declare": lambda g, pool, p: services.declare_conflict(
        actor=p["office"], application=g.application, expert=_member(g).expert, reason="other"
    ),
    "detect": lambda g, pool, p: services.detect_conflicts(
        actor=p["office"], cycle=g.application.cycle
    ),
    "code": lambda g, pool, p: services.set_code_of_conduct(
        actor=p["office"], cycle=g.application.cycle, text="二、改过的守则。"
    ),
}


@pytest.mark.req("A11.1", "A17.1", "A26.1")
@pytest.mark.parametrize("action", ACTIONS)
def test_a_closed_year_refuses_every_group_and_conflict_change(
    action: str, closed_group: ReviewGroup, pool: list[Expert], personas: dict[str, User]
) -> None:
    if action == "declare":  # a conflict found later would otherwise end the seat
        services.save_expert(
            actor=personas["office"], expert=_member(closed_group).expert, employments=[]
        )
    before = _state()
    with pytest.raises(StateConflict) as refused:
        ACTIONS[action](closed_group, pool, personas)
    assert refused.value.code == "cycle_closed"
    assert refused.value.article == "A11.1"
    assert refused.value.message.startswith(
        f"{closed_group.application.cycle.year}年度评审已结束。"
    )
    assert _state() == before  # nothing audited, nothing changed


@pytest.mark.req("A11.1", "A26.1")
def test_the_expert_neither_confirms_nor_declares_in_a_closed_year(
    assigned: Application, expert: Expert, office: User, personas: dict[str, User]
) -> None:
    user = personas["expert"]
    services.set_code_of_conduct(actor=office, cycle=assigned.cycle, text="工作守则")
    services.acknowledge(actor=user, cycle=assigned.cycle)
    closed = _close(assigned)
    before = _state()
    for act in (
        lambda: services.confirm_no_conflict(actor=user, application=closed),
        lambda: services.declare_conflict(
            actor=user, application=closed, expert=expert, reason="other"
        ),
        lambda: services.acknowledge(actor=user, cycle=closed.cycle),
    ):
        with pytest.raises(StateConflict, match="评审已结束"):
            act()
    assert _state() == before
    page = client_for(user).get(reverse("experts:mine")).content.decode()
    assert assigned.applicant_name in page
    assert "评审已结束" in page
    assert "确认不存在利害关系</button>" not in page
    assert "申报回避</button>" not in page


@pytest.mark.req("A26.2", "A11.1")
def test_a_removal_sanction_leaves_a_closed_years_seats_as_they_were(
    closed_group: ReviewGroup, office: User
) -> None:
    seat = _member(closed_group)
    services.record_sanction(
        actor=office,
        expert=seat.expert,
        kind="removal",
        decided_on=dt.date(2026, 6, 1),
        decision_ref="如质奖委〔2026〕1号",
        reason="违反工作守则",
    )
    seat.refresh_from_db()
    assert seat.removed_at is None
    assert not AuditEvent.objects.filter(action="experts.assignment.remove").exists()


def _board(client: Any, cycle: Cycle, stage: str = STAGE) -> str:
    url = reverse("experts:groups") + f"?cycle={cycle.pk}&stage={stage}"
    return str(client.get(url).content.decode())


@pytest.mark.req("A11.1", "A17.1")
def test_the_groups_page_shows_a_closed_year_with_the_reason_in_place_of_the_buttons(
    closed_group: ReviewGroup, office: User
) -> None:
    cycle = closed_group.application.cycle
    html = _board(client_for(office), cycle)
    assert html.count("qa-group") == 1  # the awarded application keeps its group
    assert closed_group.application.applicant_name in html
    assert "组长：" in html
    assert f"{cycle.year}年度评审已结束。" in html
    assert "qa-refusal" in html
    assert "建立专家组" not in html
    for button in ("优化分配</button>", "随机抽取</button>", "识别利害关系</button>"):
        assert button not in html
    assert "加入</button>" not in html
    assert "设定</button>" not in html
    assert "锁定</button>" not in html
    assert "解锁</button>" not in html
    assert "发布守则" not in html
    assert "修改守则" not in html
    assert "一、公正评审。" in html  # the code of conduct stays readable
    Cycle.objects.filter(pk=cycle.pk).update(status=Cycle.Status.PUBLISHED)
    html = _board(client_for(office), cycle)
    assert "评审已结束" not in html
    # Reopened, the year still has nothing in review: the proposal says why, the groups' own
    # actions come back.
    assert "材料评审无需生成分配方案" in html
    assert "优化分配</button>" not in html
    assert "设定</button>" in html


@pytest.mark.req("A17.1")
@pytest.mark.parametrize("state", [State.IN_NOTICE, State.NOT_AWARDED, State.REVOKED])
def test_the_groups_page_finds_a_decided_application_by_its_group(
    state: str, accepted: Application, pool: list[Expert], office: User
) -> None:
    """A year in 公示 (not closed) as well: the group is found, whatever the state now."""
    services.propose_groups(actor=office, cycle=accepted.cycle, stage=STAGE)
    Application.objects.filter(pk=accepted.pk).update(state=state)
    html = _board(client_for(office), accepted.cycle)
    assert html.count("qa-group") == 1
    assert "本阶段没有已受理的申报" not in html
    # ... and at 现场评审, where it has no group, it is not listed.
    assert _board(client_for(office), accepted.cycle, "site_review").count("qa-group") == 0


def _more(application: Application, pool: list[Expert], n: int) -> None:
    """Another awarded organization of the year with a group of two."""
    org = application.organization
    assert org is not None
    org.pk = None
    org.public_id = uuid.uuid4()
    org.uscc = f"91320682MA{n:07d}X"
    org.name = f"如皋示例{n}有限公司"
    org.save()
    application.pk = None
    application.public_id = uuid.uuid4()
    application.organization = org
    application.save()
    group = ReviewGroup.objects.create(application=application, stage=STAGE, leader=pool[0])
    for e in pool[:2]:
        Assignment.objects.create(
            group=group,
            expert=e,
            source="solver",
            assigned_at=dt.datetime(2025, 5, 1, tzinfo=dt.UTC),
        )


@pytest.mark.req("A17.1")
def test_the_groups_page_of_a_closed_year_keeps_its_query_count(
    closed_group: ReviewGroup,
    pool: list[Expert],
    office: User,
    django_assert_num_queries: Any,
    django_assert_max_num_queries: Any,
) -> None:
    client = client_for(office)
    cycle = closed_group.application.cycle
    _board(client, cycle)  # warm the session
    with django_assert_max_num_queries(30) as one:
        assert _board(client, cycle).count("qa-group") == 1
    for n in range(4):
        _more(Application.objects.get(pk=closed_group.application_id), pool, n)
    with django_assert_num_queries(len(one.captured_queries)):
        assert _board(client, cycle).count("qa-group") == 5


@pytest.mark.req("A17.1")
def test_the_experts_review_links_follow_what_the_application_went_through(
    assigned: Application, expert: Expert, office: User, personas: dict[str, User]
) -> None:
    user = personas["expert"]
    services.set_code_of_conduct(actor=office, cycle=assigned.cycle, text="工作守则")
    services.acknowledge(actor=user, cycle=assigned.cycle)
    services.confirm_no_conflict(actor=user, application=assigned)
    card = reverse("review:card", args=[assigned.public_id, STAGE])
    assert card not in client_for(user).get(reverse("experts:mine")).content.decode()
    at = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    for source, target in [
        (State.ACCEPTED, State.MATERIAL_REVIEW),
        (State.MATERIAL_REVIEW, State.EVALUATED),
        (State.EVALUATED, State.NOT_AWARDED),
    ]:
        StateChange.objects.create(
            application=assigned, action="x", from_state=source, to_state=target, at=at
        )
    closed = _close(assigned, State.NOT_AWARDED)
    assert STAGE in selectors.scored_stages([closed])[closed.pk]
    page = client_for(user).get(reverse("experts:mine")).content.decode()
    assert card in page  # the past year's scorecard stays in reach
    assert "评审已结束" in page
