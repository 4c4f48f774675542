from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from ninja.security import django_auth
from pydantic import ConfigDict

from accounts.api import TokenAuth, anonymous
from lib import tenancy
from lib.api import ActionOut, Page
from lib.errors import PermissionDenied, ServiceError
from lib.params import Year
from lib.workdays import ArrangementDay

from . import selectors, services, workflow
from .context import current_program_or_none
from .models import Announcement, AwardProgram, Cycle, HolidayArrangement, Policy, Stage

router = Router(tags=["奖项与年度"])
# Public reads still recognize a signed-in caller (the Office sees drafts).
PUBLIC = [TokenAuth(), django_auth, anonymous]


class ProgramOut(Schema):
    slug: str
    name: str
    government: str
    office_name: str


class PolicyOut(Schema):
    id: uuid.UUID = Field(alias="public_id")
    program: str = Field(alias="program.slug")
    title: str
    document_number: str
    effective_on: dt.date
    quota_organization_award: int
    quota_organization_nomination: int
    quota_individual_award: int
    total_points: int
    weight_material_organization: int
    weight_site_organization: int
    weight_material_individual: int
    consensus_spread_points: int
    bonus_organization_award: int
    bonus_organization_nomination: int
    bonus_individual_award: int
    notice_working_days: int
    min_operation_years: int
    min_gbt19580_years: int
    lookback_years: int
    reapply_gap_years: int
    report_deadline_days: int
    report_duty_years: int
    fraud_ban_years: int
    credit_list_years: int
    personal_data_retention_years: int
    nomination_waits: bool
    min_environmental_rating: str


class StageOut(Schema):
    stage: str
    label: str
    starts_on: dt.date
    ends_on: dt.date


class CycleOut(Schema):
    id: uuid.UUID = Field(alias="public_id")
    program: str = Field(alias="program.slug")
    year: int
    policy: uuid.UUID = Field(alias="policy.public_id")
    status: str
    published_at: dt.datetime | None
    current_stage: str | None
    stages: list[StageOut]

    @staticmethod
    def resolve_stages(obj: Cycle) -> list[dict[str, Any]]:
        rows = sorted(obj.stages.all(), key=lambda s: s.order)
        return [
            {
                "stage": s.stage,
                "label": Stage(s.stage).label,
                "starts_on": s.starts_on,
                "ends_on": s.ends_on,
            }
            for s in rows
        ]

    @staticmethod
    def resolve_current_stage(obj: Cycle) -> str | None:
        stage = selectors.current_stage(obj)
        return stage.value if stage else None


class CycleIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"year": 2027, "work_plan": "2027年度市长质量奖评审工作计划"}]
        }
    )

    year: Year
    policy: uuid.UUID | None = None
    work_plan: str = ""


class StageIn(Schema):
    starts_on: dt.date
    ends_on: dt.date


class DatesIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "stages": {
                        "application": {"starts_on": "2026-03-02", "ends_on": "2026-04-30"},
                        "qualification": {"starts_on": "2026-05-06", "ends_on": "2026-05-29"},
                        "material_review": {"starts_on": "2026-06-01", "ends_on": "2026-07-10"},
                        "site_review": {"starts_on": "2026-07-13", "ends_on": "2026-09-11"},
                        "evaluation": {"starts_on": "2026-09-14", "ends_on": "2026-10-16"},
                        "committee_review": {"starts_on": "2026-10-19", "ends_on": "2026-11-13"},
                        "notice": {"starts_on": "2026-11-25", "ends_on": "2026-12-01"},
                        "approval": {"starts_on": "2026-12-02", "ends_on": "2026-12-31"},
                    },
                    "reason": "",
                }
            ]
        }
    )

    stages: dict[Stage, StageIn]
    reason: str = ""


class AnnouncementOut(Schema):
    public_id: uuid.UUID
    kind: str
    title: str
    body: str
    published_at: dt.datetime
    cycle_year: int | None = None

    @staticmethod
    def resolve_cycle_year(obj: Announcement) -> int | None:
        return obj.cycle.year if obj.cycle else None


class DayIn(Schema):
    day: dt.date
    is_workday: bool
    name: str = ""


class ArrangementIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "year": 2027,
                    "notice_ref": "国务院办公厅关于2027年部分节假日安排的通知",
                    "days": [
                        {"day": "2027-01-01", "is_workday": False, "name": "元旦"},
                        {"day": "2027-02-20", "is_workday": True, "name": "春节调休上班"},
                    ],
                }
            ]
        }
    )

    year: Year
    notice_ref: str
    days: list[DayIn]


class ArrangementOut(Schema):
    year: int
    notice_ref: str
    entered_at: dt.datetime
    days: list[DayIn]

    @staticmethod
    def resolve_days(obj: HolidayArrangement) -> list[dict[str, Any]]:
        return [{"day": d.day, "is_workday": d.is_workday, "name": d.name} for d in obj.days.all()]


def _office(request: HttpRequest, perm: str = "programs.manage_cycle") -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied()


@router.get("/programs", response=list[ProgramOut], auth=PUBLIC, summary="奖项")
def list_programs(request: HttpRequest) -> QuerySet[AwardProgram]:
    return AwardProgram.objects.order_by("pk")


@router.get("/policies", response=list[PolicyOut], auth=PUBLIC, summary="管理办法（政策数值）")
def list_policies(request: HttpRequest) -> QuerySet[Policy]:
    """The current program's Measures, newest first (`?program=<slug>` for another's)."""
    return (
        Policy.objects.filter(tenancy.current_q())
        .select_related("program")
        .order_by("-effective_on")
    )


@router.get("/cycles", response=list[CycleOut], auth=PUBLIC, summary="已发布的年度；办公室可见全部")
def list_cycles(request: HttpRequest) -> QuerySet[Cycle]:
    cycles = selectors.cycles_with_stages().filter(tenancy.current_q()).order_by("-year")
    if not request.user.has_perm("programs.manage_cycle"):
        cycles = cycles.exclude(status=Cycle.Status.DRAFT)
    return cycles


def _cycle(request: HttpRequest, cycle_id: uuid.UUID) -> Cycle:
    cycles = selectors.cycles_with_stages().filter(tenancy.current_q())
    if not request.user.has_perm("programs.manage_cycle"):
        cycles = cycles.exclude(status=Cycle.Status.DRAFT)  # a draft is the Office's business
    return get_object_or_404(cycles, public_id=cycle_id)


@router.get("/cycles/{cycle_id}", response=CycleOut, auth=PUBLIC, summary="年度")
def get_cycle(request: HttpRequest, cycle_id: uuid.UUID) -> Cycle:
    return _cycle(request, cycle_id)


@router.get(
    "/cycles/{cycle_id}/actions",
    response=list[ActionOut],
    summary="我现在可对该年度办理的操作（及不可办理的原因）",
)
def cycle_actions(request: HttpRequest, cycle_id: uuid.UUID) -> list[dict[str, Any]]:
    """The cycle's workflow table for this user today: what the 年度管理 page offers, and for a
    refused action the reason it shows instead. Nobody but the Office has an action (an empty
    list); a draft is known to the Office only (404)."""
    cycle = _cycle(request, cycle_id)
    return [o.as_dict() for o in workflow.allowed_actions(cycle, request.user).values()]


@router.post("/cycles", response={201: CycleOut}, summary="创建年度（办公室）")
def create_cycle(request: HttpRequest, body: CycleIn) -> Status[Cycle]:
    _office(request)
    program = current_program_or_none()
    if program is None:
        raise ServiceError("系统尚未配置奖项。", code="no_program")
    policy = None
    if body.policy is not None:
        policy = program.policies.filter(public_id=body.policy).first()
        if policy is None:
            raise ServiceError("管理办法不存在。", fields={"policy": ["不存在"]})
    cycle = services.create_cycle(
        actor=request.user,  # type: ignore[arg-type]  # authenticated by the router
        program=program,
        year=body.year,
        policy=policy,
        work_plan=body.work_plan,
    )
    return Status(201, selectors.cycles_with_stages().get(pk=cycle.pk))


@router.put("/cycles/{cycle_id}/dates", response=CycleOut, summary="设置各阶段日期（办公室）")
def set_dates(request: HttpRequest, cycle_id: uuid.UUID, body: DatesIn) -> Cycle:
    _office(request)
    cycle = _cycle(request, cycle_id)
    services.set_cycle_dates(
        actor=request.user,  # type: ignore[arg-type]
        cycle=cycle,
        dates={stage: (s.starts_on, s.ends_on) for stage, s in body.stages.items()},
        reason=body.reason,
    )
    return selectors.cycles_with_stages().get(pk=cycle.pk)


@router.post(
    "/cycles/{cycle_id}/publish", response=AnnouncementOut, summary="发布申报通知（办公室）"
)
def publish(request: HttpRequest, cycle_id: uuid.UUID) -> Announcement:
    _office(request)
    cycle = _cycle(request, cycle_id)
    return services.publish_call(actor=request.user, cycle=cycle)  # type: ignore[arg-type]


@router.get("/announcements", response=list[AnnouncementOut], auth=PUBLIC, summary="公告")
@paginate(Page)
def list_announcements(request: HttpRequest) -> QuerySet[Announcement]:
    return (
        Announcement.objects.filter(tenancy.current_q("cycle__program"))
        .select_related("cycle")
        .order_by("-published_at")
    )


@router.get("/calendar-overrides", response=list[ArrangementOut], summary="节假日安排（办公室）")
def list_arrangements(request: HttpRequest) -> QuerySet[HolidayArrangement]:
    _office(request, "programs.manage_calendar")
    return HolidayArrangement.objects.prefetch_related("days")


@router.post(
    "/calendar-overrides", response={201: ArrangementOut}, summary="录入某年节假日安排（办公室）"
)
def enter_arrangement(request: HttpRequest, body: ArrangementIn) -> Status[HolidayArrangement]:
    _office(request, "programs.manage_calendar")
    arrangement = services.enter_holiday_arrangement(
        actor=request.user,  # type: ignore[arg-type]
        year=body.year,
        notice_ref=body.notice_ref,
        days=[ArrangementDay(day=d.day, is_workday=d.is_workday, name=d.name) for d in body.days],
    )
    return Status(201, HolidayArrangement.objects.prefetch_related("days").get(pk=arrangement.pk))
