"""The review's services: rubrics, phases, scorecards, consensus, site visits, feedback and the
comprehensive evaluation (A9.1, A10.1-A10.3, A17.1, A18.1, A27.1, A28.1)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from audit.models import AuditEvent
from intake.models import State
from lib.errors import PermissionDenied, ServiceError, StateConflict
from review import services
from review.models import Evaluation, ReviewPhase, Scorecard
from tests.review.conftest import (
    SITE_DAY,
    World,
    agree,
    full_scores,
    rubric_of,
    through_evaluation,
)


@pytest.mark.req("A10.2", "A10.3", "A17.1", "A18.1")
def test_a_year_of_review_ends_in_a_ranked_evaluation(world: World, time_machine: Any) -> None:
    results = through_evaluation(world, time_machine)
    by_app = {e.application_id: e for e in results}
    org = by_app[world.organization.pk]
    # Material consensus 60% of every item = 600; on site 65% = 650; 0.3 x 600 + 0.7 x 650.
    assert (org.material_score, org.site_score) == (Decimal("600.00"), Decimal("650.00"))
    assert org.final_score == Decimal("635.00")
    person = by_app[world.individual.pk]
    assert (person.material_score, person.site_score, person.final_score) == (
        Decimal("750.00"),
        None,
        Decimal("750.00"),
    )
    assert (org.rank, person.rank) == (1, 1)  # ranked within each kind
    assert org.category_percents["4.7"] == pytest.approx(63.5)
    world.organization.refresh_from_db()
    assert world.organization.state == State.EVALUATED
    assert AuditEvent.objects.filter(action="review.evaluate").count() == 1
    assert Evaluation.objects.count() == 2


@pytest.mark.req("A17.1")
def test_a_card_is_scored_in_steps_of_5_and_locked_on_submission(world: World) -> None:
    services.open_phase(actor=world.office, cycle=world.cycle, stage="material_review")
    assignment = world.assignment(world.organization, 1)
    rubric = rubric_of(world, world.organization)
    with pytest.raises(ServiceError, match="5的整数倍"):
        services.save_scorecard(
            actor=world.users[1],
            assignment=assignment,
            scores={"4.1.2": {"percent": 62}},
            revision=0,
        )
    card = services.save_scorecard(
        actor=world.users[1], assignment=assignment, scores={"4.1.2": {"percent": 60}}, revision=0
    )
    with pytest.raises(ServiceError, match="尚不完整"):
        services.submit_scorecard(actor=world.users[1], scorecard=card)
    card = services.save_scorecard(
        actor=world.users[1],
        assignment=assignment,
        scores=full_scores(rubric),
        revision=card.revision,
    )
    services.submit_scorecard(actor=world.users[1], scorecard=card)
    with pytest.raises(StateConflict, match="已提交"):
        services.save_scorecard(
            actor=world.users[1], assignment=assignment, scores={}, revision=card.revision + 1
        )
    with pytest.raises(PermissionDenied):  # only the leader reopens
        services.reopen_scorecard(actor=world.users[2], scorecard=card, reason="x")
    services.reopen_scorecard(actor=world.users[0], scorecard=card, reason="4.7.2分数与评语不符")
    card.refresh_from_db()
    assert card.state == Scorecard.State.DRAFT
    assert AuditEvent.objects.get(action="review.scorecard.reopen").reason == "4.7.2分数与评语不符"


@pytest.mark.req("A17.1")
def test_a_stale_save_is_refused_and_told(world: World) -> None:
    services.open_phase(actor=world.office, cycle=world.cycle, stage="material_review")
    assignment = world.assignment(world.organization, 1)
    first = services.save_scorecard(
        actor=world.users[1], assignment=assignment, scores={"4.1.2": {"percent": 60}}, revision=0
    )
    with pytest.raises(StateConflict, match="其他窗口") as refused:
        services.save_scorecard(
            actor=world.users[1],
            assignment=assignment,
            scores={"4.1.2": {"percent": 80}},
            revision=0,  # the page was opened before the first save
        )
    assert refused.value.code == "stale"
    assert first.scores.get().percent == 60


@pytest.mark.req("A17.1", "A11.1")
def test_cards_close_with_the_phase_and_after_the_deadline(world: World, time_machine: Any) -> None:
    assignment = world.assignment(world.organization, 1)
    with pytest.raises(ServiceError, match="不能保存草稿：材料评审尚未开放评分") as refused:
        services.save_scorecard(actor=world.users[1], assignment=assignment, scores={}, revision=0)
    assert (refused.value.code, refused.value.article) == ("outside_window", "A17.1")
    services.open_phase(actor=world.office, cycle=world.cycle, stage="material_review")
    time_machine.move_to(dt.datetime(2026, 7, 11, 9, tzinfo=dt.UTC), tick=False)
    with pytest.raises(ServiceError, match="材料评审评分已于2026年7月10日截止") as refused:
        services.save_scorecard(actor=world.users[1], assignment=assignment, scores={}, revision=0)
    assert refused.value.code == "outside_window"


@pytest.mark.req("A9.1")
def test_the_rubric_must_add_up_and_is_fixed_once_review_starts(world: World) -> None:
    rubric = services.ensure_rubric(actor=world.office, cycle=world.cycle, kind="individual")
    categories = rubric.categories
    items: list[dict[str, Any]] = [
        {"code": i.code, "category": i.category, "name": i.name, "points": i.points, "type": i.type}
        for i in rubric.items.all()
    ]
    items[0]["points"] += 10
    with pytest.raises(ServiceError, match="与总分1000分不符"):
        services.save_rubric(
            actor=world.office,
            cycle=world.cycle,
            kind="individual",
            categories=categories,
            items=items,
        )
    items[1]["points"] -= 10
    changed = services.save_rubric(
        actor=world.office, cycle=world.cycle, kind="individual", categories=categories, items=items
    )
    assert changed.version == 2
    services.open_phase(actor=world.office, cycle=world.cycle, stage="material_review")
    with pytest.raises(StateConflict, match="不能再修改"):
        services.save_rubric(
            actor=world.office,
            cycle=world.cycle,
            kind="individual",
            categories=categories,
            items=items,
        )


@pytest.mark.req("A17.1")
def test_consensus_waits_for_every_card_and_only_the_leader_records_it(world: World) -> None:
    services.open_phase(actor=world.office, cycle=world.cycle, stage="material_review")
    group = world.group(world.individual)
    items = full_scores(rubric_of(world, world.individual), 70)
    with pytest.raises(StateConflict, match="尚有专家未提交"):
        services.save_consensus(
            actor=world.users[0], group=group, items=items, final=True, revision=0
        )
    consensus = agree(world, world.individual, (60, 70, 95), consensus=75)
    assert consensus.score == Decimal("750.00")
    with pytest.raises(StateConflict, match="已确认"):
        services.save_consensus(actor=world.users[0], group=group, items=items, revision=1)
    with pytest.raises(PermissionDenied):
        services.save_consensus(actor=world.users[1], group=group, items=items, revision=1)


@pytest.mark.req("A17.1", "A27.1", "A28.1")
def test_site_visit_report_and_two_way_feedback(world: World, time_machine: Any) -> None:
    through_evaluation(world, time_machine)
    group = world.group(world.organization, "site_review")
    visit = group.site_visit
    with pytest.raises(StateConflict, match="记录后"):
        services.give_feedback(
            actor=world.applicant,
            application=world.organization,
            direction="of_group",
            work_quality=5,
            integrity=5,
        )
    with pytest.raises(PermissionDenied):
        services.record_site_visit(actor=world.users[1], visit=visit, items_verified="4.1")
    services.record_site_visit(
        actor=world.users[0], visit=visit, items_verified="4.1至4.7", interviews="访谈12人"
    )
    with pytest.raises(PermissionDenied):
        services.file_supervisor_report(
            actor=world.office, visit=visit, group_conduct="x", applicant_conduct="y"
        )
    services.file_supervisor_report(
        actor=world.supervisor,
        visit=visit,
        group_conduct="专家组遵守纪律",
        applicant_conduct="申报单位配合，无宴请",
    )
    # The supervisor has reported on the record: it stays as they read it.
    with pytest.raises(StateConflict, match="不能再修改"):
        services.record_site_visit(actor=world.users[0], visit=visit, items_verified="4.1")
    visit.refresh_from_db()
    assert visit.items_verified == "4.1至4.7"
    with pytest.raises(ServiceError, match="1至5分"):
        services.give_feedback(
            actor=world.applicant,
            application=world.organization,
            direction="of_group",
            work_quality=6,
            integrity=5,
        )
    services.give_feedback(
        actor=world.applicant,
        application=world.organization,
        direction="of_group",
        work_quality=5,
        integrity=4,
        comments="专家专业、守纪",
    )
    with pytest.raises(StateConflict, match="重复"):
        services.give_feedback(
            actor=world.applicant,
            application=world.organization,
            direction="of_group",
            work_quality=5,
            integrity=4,
        )
    services.give_feedback(
        actor=world.users[0],
        application=world.organization,
        direction="of_applicant",
        discipline=5,
    )
    assert world.organization.feedback.count() == 2


@pytest.mark.req("A17.1")
def test_site_review_cannot_open_before_any_material_consensus(
    world: World, time_machine: Any
) -> None:
    services.open_phase(actor=world.office, cycle=world.cycle, stage="material_review")
    # A closed phase can be opened again inside its dates, though nobody new enters it.
    services.close_phase(actor=world.office, cycle=world.cycle, stage="material_review")
    phase = services.open_phase(actor=world.office, cycle=world.cycle, stage="material_review")
    assert phase.state == ReviewPhase.State.OPEN
    time_machine.move_to(SITE_DAY, tick=False)
    with pytest.raises(StateConflict, match="没有可进入现场评审的申报"):
        services.open_phase(actor=world.office, cycle=world.cycle, stage="site_review")


@pytest.mark.req("A10.2")
def test_evaluation_names_what_is_missing(world: World) -> None:
    services.open_phase(actor=world.office, cycle=world.cycle, stage="material_review")
    with pytest.raises(ServiceError, match="材料评审共识未确认"):
        services.evaluate(actor=world.office, cycle=world.cycle)


@pytest.mark.req("A17.1")
def test_opening_a_phase_moves_every_application_or_none(world: World) -> None:
    from intake.models import Application

    # Another clerk withdraws one application after the page was loaded: nothing moves.
    stale = list(Application.objects.filter(pk__in=[world.organization.pk, world.individual.pk]))
    Application.objects.filter(pk=world.individual.pk).update(state=State.WITHDRAWN)
    from intake.services import transition_all

    with pytest.raises(StateConflict, match="已被他人改变"):
        transition_all(stale, "start_material_review")
    world.organization.refresh_from_db()
    assert world.organization.state == State.ACCEPTED
