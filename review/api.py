"""The review's API: rubrics, phases, scorecards, consensus, site visits, feedback and the
evaluation, calling the same services as the pages.

No `from __future__ import annotations`: django-ninja reads these annotations at import time.
"""

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import ConfigDict

from experts.models import Assignment, ReviewGroup
from experts.selectors import openable_applications
from intake.selectors import applications_for
from lib.access import actor
from lib.api import ActionOut, Mapped, Ok, Page
from lib.errors import PermissionDenied
from programs.models import Cycle
from programs.selectors import tenant_cycles

from . import selectors, services
from .boundaries import deadline
from .models import (
    APPLICATION_FORM_FIELDS,
    Consensus,
    Evaluation,
    ItemScore,
    ReviewPhase,
    Rubric,
    Scorecard,
    SiteVisit,
)
from .workflow import CARD, PHASE, blank_card

router = Router(tags=["评审与综合评价"])

Stage = Literal["material_review", "site_review"]
Kind = Literal["organization", "individual"]
Percent = Annotated[int, Field(ge=0, le=100)]
Rating = Annotated[int, Field(ge=1, le=5)]
Text = Annotated[str, Field(max_length=4000)]


def _cycle(cycle_id: uuid.UUID) -> Cycle:
    """A cycle of the current program (another program's: 404, decision 0030)."""
    return get_object_or_404(tenant_cycles().select_related("policy"), public_id=cycle_id)


def _perm(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied()


# --- rubrics -----------------------------------------------------------------------------------


class CategoryIO(Schema):
    code: str = Field(max_length=16)
    name: str = Field("", max_length=100)
    points: int = Field(ge=1, le=10000)


class ItemIO(Schema):
    code: str = Field(max_length=16)
    category: str = Field(max_length=16)
    name: str = Field("", max_length=100)
    points: int = Field(ge=1, le=10000)
    type: Literal["process", "result"]


class RubricOut(Schema):
    applies_to: str
    key: str
    name: str
    total_points: int
    version: int
    categories: list[CategoryIO]
    items: list[ItemIO]


class RubricIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "categories": [{"code": "1", "name": "领导", "points": 1000}],
                    "items": [
                        {
                            "code": "1.1",
                            "category": "1",
                            "name": "高层领导的作用",
                            "points": 1000,
                            "type": "process",
                        }
                    ],
                }
            ]
        }
    )

    categories: list[CategoryIO]
    items: list[ItemIO]


def _rubric_out(rubric: Rubric) -> dict[str, Any]:
    return {
        "applies_to": rubric.applies_to,
        "key": rubric.key,
        "name": rubric.name,
        "total_points": rubric.total_points,
        "version": rubric.version,
        "categories": rubric.categories,
        "items": list(rubric.items.values("code", "category", "name", "points", "type")),
    }


@router.get(
    "/cycles/{cycle_id}/rubrics/{kind}", response=RubricOut, summary="年度评价准则（办公室、监督）"
)
def rubric(request: HttpRequest, cycle_id: uuid.UUID, kind: Kind) -> dict[str, Any]:
    _perm(request, "review.oversee")
    found = Rubric.objects.filter(cycle=_cycle(cycle_id), applies_to=kind).first()
    if found is None:
        raise Http404
    return _rubric_out(found)


@router.put(
    "/cycles/{cycle_id}/rubrics/{kind}",
    response=RubricOut,
    summary="修改年度评价准则（办公室，评审开始前）",
)
def save_rubric(
    request: HttpRequest, cycle_id: uuid.UUID, kind: Kind, body: RubricIn
) -> dict[str, Any]:
    saved = services.save_rubric(
        actor=actor(request),
        cycle=_cycle(cycle_id),
        kind=kind,
        categories=[c.model_dump() for c in body.categories],
        items=[i.model_dump() for i in body.items],
    )
    return _rubric_out(saved)


# --- phases ------------------------------------------------------------------------------------


class PhaseIn(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [{"others_visible": True}]})

    others_visible: bool = True


class PhaseOut(Schema):
    stage: str
    state: Literal["not_opened", "open", "closed"]
    is_open: bool
    others_visible: bool
    deadline: dt.date | None


def _phase_out(phase: ReviewPhase) -> dict[str, Any]:
    return {
        "stage": phase.stage,
        "state": phase.state,
        "is_open": phase.state == ReviewPhase.State.OPEN,
        "others_visible": phase.others_visible,
        "deadline": deadline(phase.cycle, phase.stage),
    }


@router.post(
    "/cycles/{cycle_id}/phases/{stage}/open", response=PhaseOut, summary="开放评分（办公室）"
)
def open_phase(
    request: HttpRequest, cycle_id: uuid.UUID, stage: Stage, body: PhaseIn
) -> dict[str, Any]:
    phase = services.open_phase(
        actor=actor(request),
        cycle=_cycle(cycle_id),
        stage=stage,
        others_visible=body.others_visible,
    )
    return _phase_out(phase)


@router.post(
    "/cycles/{cycle_id}/phases/{stage}/close", response=PhaseOut, summary="关闭评分（办公室）"
)
def close_phase(request: HttpRequest, cycle_id: uuid.UUID, stage: Stage) -> dict[str, Any]:
    return _phase_out(
        services.close_phase(actor=actor(request), cycle=_cycle(cycle_id), stage=stage)
    )


@router.get(
    "/cycles/{cycle_id}/phases/{stage}/actions",
    response=list[ActionOut],
    summary="评分阶段现在可办理的操作（及不可办理的原因；办公室）",
)
def phase_actions(request: HttpRequest, cycle_id: uuid.UUID, stage: Stage) -> list[dict[str, Any]]:
    """The phase's table for this user today: open or close, allowed now or why not (nothing
    for those who may not act on it)."""
    _perm(request, "review.oversee")
    phase = selectors.phase_or_blank(_cycle(cycle_id), stage)
    return [o.as_dict() for o in PHASE.allowed_actions(phase, request.user).values()]


# --- scorecards --------------------------------------------------------------------------------


class ScoreIO(Schema):
    percent: Percent | None = None
    strengths: Text = ""
    opportunities: Text = ""


class ScorecardOut(Schema):
    id: uuid.UUID
    state: str
    revision: int
    summary: str
    scores: dict[str, ScoreIO]
    points: Decimal
    deadline: dt.date | None


class ScorecardIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "revision": 0,
                    "summary": "总体较好",
                    "scores": {
                        "4.1.1": {
                            "percent": 60,
                            "strengths": "战略目标明确",
                            "opportunities": "部署到基层不足",
                        }
                    },
                }
            ]
        }
    )

    revision: int = Field(ge=0, le=2**31)
    summary: Text = ""
    scores: dict[str, ScoreIO]


def _assignment(request: HttpRequest, application_id: uuid.UUID, stage: str) -> Assignment:
    """The caller's own active assignment, on an application they may open; else 404."""
    expert = getattr(request.user, "expert", None)
    application = openable_applications(request.user).filter(public_id=application_id).first()
    if expert is None or application is None:
        raise Http404
    return get_object_or_404(
        Assignment.objects.select_related("group__application__cycle"),
        group__application=application,
        group__stage=stage,
        expert=expert,
        removed_at__isnull=True,
    )


def _card_out(card: Scorecard, stage: str) -> dict[str, Any]:
    scores = list(ItemScore.objects.filter(scorecard=card).select_related("item"))
    return {
        "id": card.public_id,
        "state": card.state,
        "revision": card.revision,
        "summary": card.summary,
        "scores": {
            s.item.code: {
                "percent": s.percent,
                "strengths": s.strengths,
                "opportunities": s.opportunities,
            }
            for s in scores
        },
        "points": services.card_score(card),
        "deadline": deadline(card.assignment.group.application.cycle, stage),
    }


@router.get(
    "/applications/{application_id}/{stage}/scorecard/actions",
    response=list[ActionOut],
    summary="我的评分表现在可办理的操作（及不可办理的原因；评审专家）",
)
def scorecard_actions(
    request: HttpRequest, application_id: uuid.UUID, stage: Stage
) -> list[dict[str, Any]]:
    """The scorecard's table for the caller's own card (a blank draft before the first save):
    save and submit, allowed now or why not; a leader's own submitted card also lists its
    return."""
    assignment = _assignment(request, application_id, stage)
    card = Scorecard.objects.filter(assignment=assignment).first()
    if card is not None:
        card.assignment = assignment
    shown = card or blank_card(assignment)
    return [o.as_dict() for o in CARD.allowed_actions(shown, request.user).values()]


@router.get(
    "/applications/{application_id}/{stage}/rubric",
    response=RubricOut,
    summary="本申报适用的评价准则（被分配的评审专家）",
)
def assignment_rubric(
    request: HttpRequest, application_id: uuid.UUID, stage: Stage
) -> dict[str, Any]:
    """The rubric the caller's scorecard is scored on (the items' codes and points the page's
    card shows): the cycle's rubric for the applicant's kind, fixed when scoring opened. Only
    to an expert of the stage's group who confirmed no conflict; 404 to anyone else, and
    before the stage opened (no rubric yet)."""
    assignment = _assignment(request, application_id, stage)
    found = selectors.rubric_of(assignment.group.application)
    if found is None:
        raise Http404
    return _rubric_out(found)


@router.get(
    "/applications/{application_id}/{stage}/scorecard",
    response=ScorecardOut,
    summary="我的评分表（评审专家）",
)
def scorecard(request: HttpRequest, application_id: uuid.UUID, stage: Stage) -> dict[str, Any]:
    assignment = _assignment(request, application_id, stage)
    card = Scorecard.objects.filter(assignment=assignment).first()
    if card is None:
        raise Http404
    return _card_out(card, stage)


@router.put(
    "/applications/{application_id}/{stage}/scorecard",
    response=ScorecardOut,
    summary="保存评分表草稿（评审专家；revision不符时409）",
)
def save_scorecard(
    request: HttpRequest, application_id: uuid.UUID, stage: Stage, body: ScorecardIn
) -> dict[str, Any]:
    card = services.save_scorecard(
        actor=actor(request),
        assignment=_assignment(request, application_id, stage),
        scores={code: s.model_dump() for code, s in body.scores.items()},
        summary=body.summary,
        revision=body.revision,
    )
    return _card_out(card, stage)


@router.post(
    "/applications/{application_id}/{stage}/scorecard/submit",
    response=ScorecardOut,
    summary="提交评分表（评审专家）",
)
def submit_scorecard(
    request: HttpRequest, application_id: uuid.UUID, stage: Stage
) -> dict[str, Any]:
    assignment = _assignment(request, application_id, stage)
    card = get_object_or_404(Scorecard, assignment=assignment)
    return _card_out(services.submit_scorecard(actor=actor(request), scorecard=card), stage)


class ReasonIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "第4.2.1项评分依据不足，请补充"}]}
    )

    reason: Text


def _led_group(request: HttpRequest, application_id: uuid.UUID, stage: str) -> ReviewGroup:
    """A group the caller leads, on an application they may open; else 404."""
    expert = getattr(request.user, "expert", None)
    application = openable_applications(request.user).filter(public_id=application_id).first()
    if expert is None or application is None:
        raise Http404
    return get_object_or_404(
        ReviewGroup.objects.select_related("application__cycle"),
        application=application,
        stage=stage,
        leader=expert,
    )


def _led_card(request: HttpRequest, card_id: uuid.UUID) -> Scorecard:
    """A card of a group the caller leads, on an application they may open; else 404."""
    card = get_object_or_404(
        Scorecard.objects.select_related("assignment__group"), public_id=card_id
    )
    group = _led_group(
        request, card.assignment.group.application.public_id, card.assignment.group.stage
    )
    card.assignment.group = group
    return card


@router.get(
    "/scorecards/{card_id}/actions",
    response=list[ActionOut],
    summary="组员评分表现在可办理的操作（及不可办理的原因；专家组组长）",
)
def card_actions(request: HttpRequest, card_id: uuid.UUID) -> list[dict[str, Any]]:
    """The scorecard's table for a card of the caller's group: its return, allowed now or why
    not. Another expert's card is a 404 to anyone but the group's leader."""
    card = _led_card(request, card_id)
    return [o.as_dict() for o in CARD.allowed_actions(card, request.user).values()]


@router.post("/scorecards/{card_id}/reopen", response=Ok, summary="退回评分表（专家组组长）")
def reopen(request: HttpRequest, card_id: uuid.UUID, body: ReasonIn) -> dict[str, bool]:
    card = _led_card(request, card_id)
    services.reopen_scorecard(actor=actor(request), scorecard=card, reason=body.reason)
    return {"ok": True}


# --- consensus ---------------------------------------------------------------------------------


class ConsensusIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "revision": 0,
                    "items": {
                        "4.1.1": {
                            "percent": 55,
                            "strengths": "战略目标明确",
                            "opportunities": "部署到基层不足",
                        }
                    },
                    "comment": "专家组一致意见",
                    "final": False,
                }
            ]
        }
    )

    # The revision the client last read (0 before the first save); an older one answers 409.
    revision: int = Field(ge=0, le=2**31)
    items: dict[str, ScoreIO]
    comment: Text = ""
    final: bool = False


class ConsensusOut(Schema):
    revision: int
    final: bool
    comment: str
    score: Decimal | None
    items: dict[str, ScoreIO]


def _consensus_out(consensus: Consensus) -> dict[str, Any]:
    return {
        "revision": consensus.revision,
        "final": consensus.final,
        "comment": consensus.comment,
        "score": consensus.score,
        "items": {
            c.item.code: {
                "percent": c.percent,
                "strengths": c.strengths,
                "opportunities": c.opportunities,
            }
            for c in consensus.items.select_related("item")
        },
    }


@router.get(
    "/applications/{application_id}/{stage}/consensus",
    response=ConsensusOut,
    summary="专家组共识（组长；办公室、监督）",
)
def consensus(request: HttpRequest, application_id: uuid.UUID, stage: Stage) -> dict[str, Any]:
    if request.user.has_perm("review.oversee"):
        application = get_object_or_404(applications_for(request.user), public_id=application_id)
        group = get_object_or_404(ReviewGroup, application=application, stage=stage)
    else:
        group = _led_group(request, application_id, stage)
    return _consensus_out(get_object_or_404(Consensus, group=group))


@router.put(
    "/applications/{application_id}/{stage}/consensus",
    response=ConsensusOut,
    summary="记录或确认专家组共识（组长；revision不符时409）",
)
def save_consensus(
    request: HttpRequest, application_id: uuid.UUID, stage: Stage, body: ConsensusIn
) -> dict[str, Any]:
    saved = services.save_consensus(
        actor=actor(request),
        group=_led_group(request, application_id, stage),
        items={code: s.model_dump() for code, s in body.items.items()},
        comment=body.comment,
        final=body.final,
        revision=body.revision,
    )
    return _consensus_out(saved)


# --- site visits and feedback ------------------------------------------------------------------


class ScheduleIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "starts_on": "2026-07-20",
                    "ends_on": "2026-07-21",
                    "place": "如皋市如城街道示例路1号",
                }
            ]
        }
    )

    starts_on: dt.date
    ends_on: dt.date
    place: str = Field(max_length=200)


class SiteRecordIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items_verified": "核查了4.1至4.7各项",
                    "interviews": "访谈高层领导3人、员工12人",
                    "evidence_seen": "质量手册、内审记录",
                    "issues_found": "无",
                }
            ]
        }
    )

    items_verified: Text
    interviews: Text = ""
    evidence_seen: Text = ""
    issues_found: Text = ""


class SupervisorReportIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "group_conduct": "专家组遵守评审纪律，按程序开展评审",
                    "applicant_conduct": "申报单位配合评审，未发现请托行为",
                }
            ]
        }
    )

    group_conduct: Text
    applicant_conduct: Text


class SiteVisitOut(Schema):
    starts_on: dt.date
    ends_on: dt.date
    place: str
    recorded: bool
    reported: bool


def _visit_out(visit: SiteVisit) -> dict[str, Any]:
    return {
        "starts_on": visit.starts_on,
        "ends_on": visit.ends_on,
        "place": visit.place,
        "recorded": visit.recorded_at is not None,
        "reported": visit.reported_at is not None,
    }


def _site_group(application_id: uuid.UUID, *, program_only: bool = False) -> ReviewGroup:
    """The application's site group. The Office's: of the current program only (404 for
    another's); the leader's and the supervisor's are checked by person (`_visit_for`), an
    expert of the shared pool serving any program."""
    groups = ReviewGroup.objects.select_related("application__cycle")
    if program_only:
        groups = groups.filter(application__cycle__in=tenant_cycles())
    return get_object_or_404(groups, application__public_id=application_id, stage="site_review")


@router.put(
    "/applications/{application_id}/site-visit",
    response=SiteVisitOut,
    summary="安排现场评审（办公室）",
)
def schedule(request: HttpRequest, application_id: uuid.UUID, body: ScheduleIn) -> dict[str, Any]:
    _perm(request, "review.manage")
    visit = services.schedule_site_visit(
        actor=actor(request),
        group=_site_group(application_id, program_only=True),
        **body.model_dump(),
    )
    return _visit_out(visit)


def _visit_for(request: HttpRequest, application_id: uuid.UUID) -> SiteVisit:
    """The site visit of a group the caller leads or supervises; else 404."""
    group = _site_group(application_id)
    expert = getattr(request.user, "expert", None)
    leads = expert is not None and group.leader_id == expert.pk
    if not leads and group.supervisor_id != request.user.pk:
        raise Http404
    return get_object_or_404(SiteVisit, group=group)


@router.post(
    "/applications/{application_id}/site-visit/record",
    response=SiteVisitOut,
    summary="填写现场评审记录（组长）",
)
def record_site_visit(
    request: HttpRequest, application_id: uuid.UUID, body: SiteRecordIn
) -> dict[str, Any]:
    visit = services.record_site_visit(
        actor=actor(request), visit=_visit_for(request, application_id), **body.model_dump()
    )
    return _visit_out(visit)


@router.post(
    "/applications/{application_id}/site-visit/report",
    response=SiteVisitOut,
    summary="提交监督报告（评审监督员）",
)
def report(
    request: HttpRequest, application_id: uuid.UUID, body: SupervisorReportIn
) -> dict[str, Any]:
    visit = services.file_supervisor_report(
        actor=actor(request), visit=_visit_for(request, application_id), **body.model_dump()
    )
    return _visit_out(visit)


class FeedbackIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "direction": "of_group",
                    "work_quality": 5,
                    "integrity": 5,
                    "discipline": 5,
                    "comments": "专家组工作认真",
                }
            ]
        }
    )

    direction: Literal["of_group", "of_applicant"]
    work_quality: Rating | None = None
    integrity: Rating | None = None
    discipline: Rating | None = None
    comments: Text = ""


@router.post(
    "/applications/{application_id}/feedback",
    response={201: Ok},
    summary="双向评价（申报单位评价专家组；组长评价申报单位）",
)
def feedback(
    request: HttpRequest, application_id: uuid.UUID, body: FeedbackIn
) -> Status[dict[str, bool]]:
    application = (
        applications_for(request.user).filter(public_id=application_id).first()
        or openable_applications(request.user).filter(public_id=application_id).first()
    )
    if application is None:
        raise Http404
    services.give_feedback(actor=actor(request), application=application, **body.model_dump())
    return Status(201, {"ok": True})


# --- the evaluation ----------------------------------------------------------------------------


class EvaluationOut(Schema):
    application: uuid.UUID
    applicant: str
    kind: str
    material_score: Decimal
    site_score: Decimal | None
    final_score: Decimal
    rank: int
    tied: bool
    category_percents: dict[str, float]


def _evaluation_out(e: Evaluation) -> dict[str, Any]:
    return {
        "application": e.application.public_id,
        "applicant": e.application.applicant_name,
        "kind": e.application.kind,
        "material_score": e.material_score,
        "site_score": e.site_score,
        "final_score": e.final_score,
        "rank": e.rank,
        "tied": e.tied,
        "category_percents": e.category_percents,
    }


def _evaluations(cycle: Cycle) -> Any:
    """The cycle's evaluations by kind and rank, with the applicants' names and nothing of their
    forms (a page of them is three queries whatever the size of the cycle)."""
    return (
        Evaluation.objects.filter(application__cycle=cycle)
        .select_related("application__organization", "application__individual")
        .defer(*(f"application__{name}" for name in APPLICATION_FORM_FIELDS))
        .order_by("application__kind", "rank", "pk")
    )


@router.post(
    "/cycles/{cycle_id}/evaluate",
    response=list[EvaluationOut],
    summary="综合评价并排名（办公室）",
)
def evaluate(request: HttpRequest, cycle_id: uuid.UUID) -> list[dict[str, Any]]:
    cycle = _cycle(cycle_id)
    services.evaluate(actor=actor(request), cycle=cycle)
    return [_evaluation_out(e) for e in _evaluations(cycle)]


@router.get(
    "/cycles/{cycle_id}/evaluations",
    response=list[EvaluationOut],
    summary="综合评价结果与排名（办公室、监督、委员会）",
)
@paginate(Page)
def evaluations(request: HttpRequest, cycle_id: uuid.UUID) -> Any:
    """By kind (its code: individuals, then organizations), then rank, a page at a time
    (`page`, `page_size` up to 100)."""
    _perm(request, "review.view_results")
    return Mapped(_evaluations(_cycle(cycle_id)), _evaluation_out)
