"""The experts' API: the pool, conflicts, codes of conduct and review groups.

No `from __future__ import annotations`: django-ninja reads these annotations at import time.
"""

import datetime as dt
import uuid
from typing import Any, Literal

from django.db.models import Prefetch
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, File, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import ConfigDict

from intake.selectors import applications_for
from lib.access import actor
from lib.api import Mapped, Ok, Page
from lib.errors import PermissionDenied, ServiceError
from lib.params import RowId
from programs.models import Cycle, Policy
from programs.selectors import tenant_cycles

from . import selectors, services
from .forms import check_import_file
from .models import Assignment, Conflict, Draw, Expert, ReviewGroup

router = Router(tags=["评审专家"])


def _office(request: HttpRequest) -> None:
    if not request.user.has_perm("experts.manage_pool"):
        raise PermissionDenied()


class EmploymentIn(Schema):
    employer_name: str
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None


class ExpertIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "周敏",
                    "id_number": "320682197506152348",
                    "category": "industry",
                    "industries": ["34", "38"],
                    "practice_years": 20,
                    "phone": "13800000000",
                    "title": "高级工程师",
                    "training_certificate": "GB/T 19580培训证书 2024-015",
                    "training_on": "2024-05-20",
                    "evidence_policy": "熟悉质量法律法规和政策",
                    "evidence_practice": "从事质量管理20年",
                    "evidence_training": "2024年参加卓越绩效评价准则培训",
                    "evidence_discipline": "已签署评审承诺书",
                    "max_load": 5,
                    "employments": [
                        {"employer_name": "南通某质量技术服务中心", "starts_on": "2005-07-01"}
                    ],
                }
            ]
        }
    )

    name: str
    id_number: str
    category: str
    industries: list[str]
    practice_years: int = Field(ge=0, le=70)
    phone: str = ""
    title: str = ""
    training_certificate: str = ""
    training_on: dt.date | None = None
    evidence_policy: str = ""
    evidence_practice: str = ""
    evidence_training: str = ""
    evidence_discipline: str = ""
    max_load: int = Field(5, ge=1, le=50)
    employments: list[EmploymentIn] = []


class ExpertOut(Schema):
    id: uuid.UUID = Field(alias="public_id")
    name: str
    category: str
    industries: list[str]
    status: str
    gaps: list[str]


def _expert_out(expert: Expert, policy: Policy | None = None) -> dict[str, Any]:
    policy = policy or selectors.policy_in_force()
    gaps = services.qualification_gaps(expert, policy) if policy else []
    return {
        "public_id": expert.public_id,
        "name": expert.name,
        "category": expert.category,
        "industries": expert.industries,
        "status": expert.status,
        "gaps": gaps,
    }


# What the list answers and the qualification check reads: not the encrypted identity number
# and phone (each a decryption per row).
EXPERT_LIST_FIELDS = (
    "public_id",
    "name",
    "category",
    "industries",
    "status",
    "practice_years",
    "training_certificate",
    "evidence_policy",
    "evidence_practice",
    "evidence_training",
    "evidence_discipline",
)


@router.get("/experts", response=list[ExpertOut], summary="专家库（办公室）")
@paginate(Page)
def list_experts(request: HttpRequest) -> Any:
    """By name, a page at a time (`page`, `page_size` up to 100); the Measures in force read
    once for the page's qualification gaps."""
    _office(request)
    policy = selectors.policy_in_force()
    return Mapped(
        Expert.objects.only(*EXPERT_LIST_FIELDS).order_by("name", "pk"),
        lambda e: _expert_out(e, policy),
    )


@router.post("/experts", response={201: ExpertOut}, summary="添加专家（办公室）")
def add_expert(request: HttpRequest, body: ExpertIn) -> Status[dict[str, Any]]:
    fields = body.model_dump()
    employments = fields.pop("employments")
    expert = services.save_expert(actor=actor(request), employments=employments, **fields)
    return Status(201, _expert_out(expert))


@router.post(
    "/experts/import", response={201: list[ExpertOut]}, summary="从Excel导入专家（办公室）"
)
def import_experts(request: HttpRequest, file: File[UploadedFile]) -> Status[list[dict[str, Any]]]:
    data = file.read()
    if refused := check_import_file(file.name or "", data):
        raise ServiceError(refused, code="bad_file")
    added = services.import_experts(actor=actor(request), data=data)
    return Status(201, [_expert_out(e) for e in added])


class ExpertSanctionIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "warning",
                    "decided_on": "2026-08-01",
                    "decision_ref": "皋质委〔2026〕12号",
                    "reason": "现场评审中未按规定回避",
                    "evidence": "评审监督员报告",
                }
            ]
        }
    )

    kind: str
    decided_on: dt.date
    decision_ref: str
    reason: str
    evidence: str = ""


@router.post(
    "/experts/{expert_id}/sanctions",
    response={201: ExpertOut},
    summary="记录专家处分（第二十六条）",
)
def sanction(
    request: HttpRequest, expert_id: uuid.UUID, body: ExpertSanctionIn
) -> Status[dict[str, Any]]:
    _office(request)
    expert = get_object_or_404(Expert, public_id=expert_id)
    services.record_sanction(actor=actor(request), expert=expert, **body.model_dump())
    expert.refresh_from_db()
    return Status(201, _expert_out(expert))


class ConflictIn(Schema):
    """An interest between an expert and an application (A26.1)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "application": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                    "expert": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
                    "reason": "consulting",
                    "note": "近两年为该单位提供质量管理咨询",
                }
            ]
        }
    )

    application: uuid.UUID = Field(
        description="申报的 id（专家：本人被分配的申报）",
        examples=["3f1c2a9e-5b7d-4c1e-9a2b-6d8e0f4a1b2c"],
    )
    expert: uuid.UUID = Field(
        description="专家的 id（专家本人申报时为自己的 id）",
        examples=["8a4e6b1d-2c3f-4e5a-9b7c-1d2e3f4a5b6c"],
    )
    reason: Literal[
        "employer", "consulting", "relative", "competitor", "supply_chain", "self", "other"
    ] = Field(
        description="利害关系的类型：" + "；".join(f"{r.value}={r.label}" for r in Conflict.Reason),
        examples=["consulting"],
    )
    note: str = Field(
        "", max_length=2000, description="说明", examples=["近三年为该单位提供质量管理咨询服务。"]
    )


@router.post(
    "/conflicts",
    response={201: Ok},
    summary="专家申报或办公室记录利害关系（回避）",
    description=(
        "专家对本人被分配的申报申报利害关系（须已签署本年度工作守则；与页面“申报回避”相同），"
        "或办公室为任一专家记录。记录后该专家即移出该申报的专家组，不能再查阅其材料"
        "（《办法》第二十六条）。申报人不使用本接口，而是提出回避申请。"
        "对专家而言，未分配给本人的申报视为不存在（404）；年度已结束时为409。"
    ),
)
def declare(request: HttpRequest, body: ConflictIn) -> Status[dict[str, bool]]:
    """The expert for itself on its own assignment (as the page, `experts:declare`), or the
    Office for anyone. Applicants use the recusal requests below."""
    from .selectors import assigned_applications

    own = getattr(request.user, "expert", None)
    if own is not None and own.public_id == body.expert:
        # Only what is assigned to this expert exists for them (404 otherwise, never 403).
        application = get_object_or_404(
            assigned_applications(request.user), public_id=body.application
        )
        expert = own
    else:
        application = get_object_or_404(applications_for(request.user), public_id=body.application)
        expert = get_object_or_404(Expert, public_id=body.expert)
    services.declare_conflict(
        actor=actor(request),
        application=application,
        expert=expert,
        reason=body.reason,
        note=body.note,
    )
    return Status(201, {"ok": True})


class RecusalIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "赵某",
                    "employer": "某竞争企业",
                    "reason": "与本单位存在竞争关系",
                    "note": "该专家现任同行业竞争企业质量总监",
                }
            ]
        }
    )

    name: str = Field(max_length=50)
    employer: str = Field("", max_length=200)
    reason: str
    note: str = Field(max_length=2000)


class RecusalOut(Schema):
    name: str
    employer: str
    reason: str
    note: str
    requested_at: dt.datetime


def _own_application(request: HttpRequest, application_id: uuid.UUID) -> Any:
    application = get_object_or_404(applications_for(request.user), public_id=application_id)
    if not request.user.has_perm("intake.edit_application", application):
        raise PermissionDenied()
    return application


@router.get(
    "/applications/{application_id}/recusal-requests",
    response=list[RecusalOut],
    summary="本申报的回避申请（申报人）",
)
def recusals(request: HttpRequest, application_id: uuid.UUID) -> Any:
    return _own_application(request, application_id).recusal_requests.all()


@router.post(
    "/applications/{application_id}/recusal-requests",
    response={201: RecusalOut},
    summary="申请专家回避（申报人，材料评审开始前）",
)
def request_recusal(
    request: HttpRequest, application_id: uuid.UUID, body: RecusalIn
) -> Status[Any]:
    """The reply is the same whether or not the named person is in the (confidential) pool."""
    application = _own_application(request, application_id)
    made = services.request_recusal(actor=actor(request), application=application, **body.dict())
    return Status(201, made)


class CodeIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"text": "评审专家应当坚持客观、公正、科学的原则，遵守回避和保密规定。"}]
        }
    )

    text: str


@router.put(
    "/cycles/{cycle_id}/code-of-conduct", response=Ok, summary="发布评审专家工作守则（办公室）"
)
def code_of_conduct(request: HttpRequest, cycle_id: uuid.UUID, body: CodeIn) -> dict[str, bool]:
    services.set_code_of_conduct(
        actor=actor(request),
        cycle=get_object_or_404(tenant_cycles(), public_id=cycle_id),
        text=body.text,
    )
    return {"ok": True}


@router.post(
    "/cycles/{cycle_id}/acknowledge", response={201: Ok}, summary="专家确认工作守则并签署承诺"
)
def acknowledge(request: HttpRequest, cycle_id: uuid.UUID) -> Status[dict[str, bool]]:
    services.acknowledge(actor=actor(request), cycle=get_object_or_404(Cycle, public_id=cycle_id))
    return Status(201, {"ok": True})


class ProposeIn(Schema):
    """优化分配 of one stage. No seed: a random draw is `/groups/draw`, its seed the system's."""

    model_config = ConfigDict(extra="forbid")

    stage: Literal["material_review", "site_review"] = Field(examples=["material_review"])
    reason: str = Field(
        "",
        max_length=2000,
        description="本阶段已随机抽取时必填：优化分配将替换未锁定的抽取结果（第十七条）。",
        examples=[""],
    )


@router.post("/cycles/{cycle_id}/groups/propose", summary="生成专家组分配方案（办公室）")
def propose(request: HttpRequest, cycle_id: uuid.UUID, body: ProposeIn) -> dict[str, Any]:
    cycle = get_object_or_404(tenant_cycles(), public_id=cycle_id)
    return services.propose_groups(
        actor=actor(request), cycle=cycle, stage=body.stage, reason=body.reason
    )


class DrawIn(Schema):
    """专家随机抽取 of one stage; the seed comes from the system and cannot be given."""

    model_config = ConfigDict(extra="forbid")

    stage: Literal["material_review", "site_review"] = Field(examples=["material_review"])
    reason: str = Field(
        "",
        max_length=2000,
        description="再次抽取的理由：同一年度同一阶段已抽取过时必填",
        examples=["首次抽取后两名专家因利害关系回避，需重新抽取。"],
    )


@router.post(
    "/cycles/{cycle_id}/groups/draw",
    summary="随机抽取专家组（办公室，种子由系统生成）",
    description=(
        "随机种子由系统的密码学安全随机数生成并在抽取前记录（审计事件 experts.draw.seed）；"
        "同一年度同一阶段再次抽取须填写理由，否则拒绝（《办法》第十七条）。"
        "返回的 seed 和 pairs 可用于复现。"
    ),
)
def draw(request: HttpRequest, cycle_id: uuid.UUID, body: DrawIn) -> dict[str, Any]:
    cycle = get_object_or_404(tenant_cycles(), public_id=cycle_id)
    return services.draw_groups(
        actor=actor(request), cycle=cycle, stage=body.stage, reason=body.reason
    )


class DrawOut(Schema):
    stage: str
    seed: str
    reason: str
    drawn_by: str
    drawn_at: dt.datetime
    completed: bool
    failure: str
    pairs: list[list[str]]


@router.get(
    "/cycles/{cycle_id}/draws", response=list[DrawOut], summary="专家抽取记录（办公室、纪律监督）"
)
def draws(request: HttpRequest, cycle_id: uuid.UUID) -> list[dict[str, Any]]:
    if not (
        request.user.has_perm("experts.manage_pool") or request.user.has_perm("supervision.view")
    ):
        raise PermissionDenied()
    cycle = get_object_or_404(tenant_cycles(), public_id=cycle_id)
    return [
        {
            "stage": d.stage,
            "seed": d.seed,
            "reason": d.reason,
            "drawn_by": str(d.drawn_by),
            "drawn_at": d.drawn_at,
            "completed": d.completed_at is not None,
            "failure": d.failure,
            "pairs": d.pairs,
        }
        for d in Draw.objects.filter(cycle=cycle)
        .select_related("drawn_by")
        .order_by("drawn_at", "pk")
    ]


class MemberOut(Schema):
    assignment: int
    expert: str
    expert_id: uuid.UUID  # for `POST /groups/{id}/leader`
    locked: bool
    reasons: list[str]


class GroupOut(Schema):
    id: int
    application: uuid.UUID
    applicant: str
    stage: str
    leader: str | None
    members: list[MemberOut]


def _group_out(g: ReviewGroup) -> dict[str, Any]:
    return {
        "id": g.pk,
        "application": g.application.public_id,
        "applicant": g.application.applicant_name,
        "stage": g.stage,
        "leader": g.leader.name if g.leader else None,
        "members": [
            {
                "assignment": a.pk,
                "expert": a.expert.name,
                "expert_id": a.expert.public_id,
                "locked": a.locked,
                "reasons": a.reasons,
            }
            for a in g.assignments.all()
        ],
    }


@router.get("/cycles/{cycle_id}/groups", response=list[GroupOut], summary="专家组（办公室）")
@paginate(Page)
def groups(request: HttpRequest, cycle_id: uuid.UUID, stage: str = "material_review") -> Any:
    """In the order of the applications, a page at a time (`page`, `page_size` up to 100): four
    queries a page, nothing of the applications' forms or the experts' encrypted fields."""
    _office(request)
    qs = (
        ReviewGroup.objects.filter(
            application__cycle=get_object_or_404(tenant_cycles(), public_id=cycle_id),
            stage=stage,
        )
        .select_related("application__organization", "application__individual")
        # The applications' forms and draft copies (large JSON), the individuals' encrypted
        # identity numbers: the answer holds none of them.
        .defer(
            "application__data",
            "application__draft_typed",
            "application__draft_errors",
            "application__individual__id_number",
        )
        .prefetch_related(
            Prefetch("leader", queryset=Expert.objects.only("pk", "name")),
            Prefetch(
                "assignments",
                queryset=Assignment.objects.filter(removed_at__isnull=True)
                .select_related("expert")
                .only("pk", "group_id", "locked", "reasons", "expert__name", "expert__public_id")
                .order_by("pk"),
            ),
        )
        .order_by("application_id", "pk")
    )
    return Mapped(qs, _group_out)


class LockIn(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [{"locked": True}]})

    locked: bool = True


@router.post(
    "/assignments/{assignment_id}/lock", response=Ok, summary="锁定或解锁一个分配（办公室）"
)
def lock(request: HttpRequest, assignment_id: RowId, body: LockIn) -> dict[str, bool]:
    _office(request)
    assignment = get_object_or_404(
        Assignment.objects.filter(group__application__cycle__in=tenant_cycles()), pk=assignment_id
    )
    services.set_locked(actor=actor(request), assignment=assignment, locked=body.locked)
    return {"ok": True}


class SeatOut(Schema):
    application: uuid.UUID
    applicant: str
    kind: str
    year: int
    stage: str
    leader: bool
    confirmed: bool = Field(description="已确认与该申报无利害关系（确认后方可查阅材料、评分）")


@router.get(
    "/assignments",
    response=list[SeatOut],
    summary="我的评审任务（评审专家）",
    description=(
        "本人被分配的申报及评审阶段，与页面“我的评审”相同：须先签署该年度工作守则"
        "（POST /cycles/{cycle_id}/acknowledge），已回避的申报不列出。"
        "不是评审专家的账号为403。"
    ),
)
def my_assignments(request: HttpRequest) -> list[dict[str, Any]]:
    expert = selectors.expert_of(request.user)
    if expert is None:
        raise PermissionDenied("您不是评审专家，没有评审任务。")
    assigned = list(selectors.assigned_applications(request.user).order_by("cycle__year", "pk"))
    confirmed = selectors.confirmed(expert, assigned)
    by_pk = {a.pk: a for a in assigned}
    seats = sorted(
        selectors.assignments_of(expert, by_pk),
        key=lambda s: (s.group.application_id, s.group.stage != "material_review"),
    )
    return [
        {
            "application": by_pk[s.group.application_id].public_id,
            "applicant": by_pk[s.group.application_id].applicant_name,
            "kind": by_pk[s.group.application_id].kind,
            "year": by_pk[s.group.application_id].cycle.year,
            "stage": s.group.stage,
            "leader": s.group.leader_id == expert.pk,
            "confirmed": s.group.application_id in confirmed,
        }
        for s in seats
    ]


@router.post(
    "/applications/{application_id}/confirm-no-conflict",
    response={201: Ok},
    summary="专家确认与该申报无利害关系",
)
def confirm(request: HttpRequest, application_id: uuid.UUID) -> Status[dict[str, bool]]:
    from .selectors import assigned_applications

    # Only what is assigned to this expert exists for them (404 otherwise, never 403).
    application = get_object_or_404(assigned_applications(request.user), public_id=application_id)
    services.confirm_no_conflict(actor=actor(request), application=application)
    return Status(201, {"ok": True})


def _program_groups() -> Any:
    """The current program's review groups (another program's: 404, decision 0030)."""
    return ReviewGroup.objects.filter(application__cycle__in=tenant_cycles())


class AssignIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"expert": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "reason": "补充行业专家"}
            ]
        }
    )

    expert: uuid.UUID
    reason: str = ""


@router.post("/groups/{group_id}/assignments", response={201: Ok}, summary="人工加入专家（办公室）")
def assign(request: HttpRequest, group_id: RowId, body: AssignIn) -> Status[dict[str, bool]]:
    _office(request)
    group = get_object_or_404(_program_groups(), pk=group_id)
    expert = get_object_or_404(Expert, public_id=body.expert)
    services.assign_manually(actor=actor(request), group=group, expert=expert, reason=body.reason)
    return Status(201, {"ok": True})


class LeaderIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"leader": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "supervisor": "supervisor1"}
            ]
        }
    )

    leader: uuid.UUID
    supervisor: str | None = None  # the supervisor's username


@router.post("/groups/{group_id}/leader", response=Ok, summary="确定组长和评审监督员（办公室）")
def leader(request: HttpRequest, group_id: RowId, body: LeaderIn) -> dict[str, bool]:
    from accounts.models import User

    _office(request)
    group = get_object_or_404(_program_groups(), pk=group_id)
    expert = get_object_or_404(Expert, public_id=body.leader)
    supervisor = get_object_or_404(User, username=body.supervisor) if body.supervisor else None
    services.set_leader(actor=actor(request), group=group, expert=expert, supervisor=supervisor)
    return {"ok": True}
