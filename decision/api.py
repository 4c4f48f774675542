"""The decision stage's API: the proposed list, approvals, the public notice and objections,
the announcement, the bonus ledger and certificate verification, through the same services as
the pages. The notice, objections and verification are public (no token).

No `from __future__ import annotations`: django-ninja reads these annotations at import time.
"""

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict

from accounts import two_factor
from intake.models import Application, AwardRecord
from lib.access import actor
from lib.api import ActionOut
from lib.errors import PermissionDenied
from lib.params import RowId, Year
from programs.context import current_program
from programs.models import Cycle
from programs.selectors import tenant_cycles

from . import services
from .models import Objection, Proposal
from .workflow import OBJECTION, PROPOSAL

router = Router(tags=["审定、公示与批准"])

Text = Annotated[str, Field(max_length=4000)]
Short = Annotated[str, Field(max_length=200)]


def _view(request: HttpRequest) -> None:
    if not request.user.has_perm("decision.view"):
        raise PermissionDenied()


def _cycle(cycle_id: uuid.UUID) -> Cycle:
    """A cycle of the current program (another program's: 404, decision 0030)."""
    return get_object_or_404(tenant_cycles().select_related("policy"), public_id=cycle_id)


def _proposals() -> QuerySet[Proposal]:
    """The current program's lists."""
    return Proposal.objects.filter(cycle__in=tenant_cycles())


def _proposal(cycle_id: uuid.UUID) -> Proposal:
    return get_object_or_404(
        _proposals().select_related("cycle__policy"), cycle__public_id=cycle_id
    )


def _objections() -> QuerySet[Objection]:
    return Objection.objects.filter(proposal__cycle__in=tenant_cycles())


def program_awards() -> QuerySet[AwardRecord]:
    """The current program's awards: those of its cycles, and for the default program the
    awards entered by hand from before the system (no application)."""
    program = current_program()
    mine = Q(application__cycle__program_id=program.pk)
    if program.is_default:
        mine |= Q(application__isnull=True)
    return AwardRecord.objects.filter(mine)


# --- the list and its approvals ----------------------------------------------------------------


class EntryIn(Schema):
    application: uuid.UUID
    level: Literal["award", "nomination"]


class ProposalIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "entries": [
                        {"application": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "level": "award"}
                    ]
                }
            ]
        }
    )

    entries: list[EntryIn]


class EntryOut(Schema):
    application: uuid.UUID
    applicant: str
    kind: str
    level: str
    rewinner: bool
    withdrawn: bool


class ApprovalOut(Schema):
    body: str
    decided_on: dt.date
    reference: str


class ProposalOut(Schema):
    id: int  # the Office's own handle for `GET /proposals/{id}/actions`
    year: int
    state: str
    entries: list[EntryOut]
    approvals: list[ApprovalOut]
    notice_starts_on: dt.date | None
    notice_ends_on: dt.date | None
    announced_on: dt.date | None
    announcement_number: str


def _proposal_out(proposal: Proposal) -> dict[str, Any]:
    entries = proposal.entries.select_related(
        "application__organization", "application__individual"
    )
    return {
        "id": proposal.pk,
        "year": proposal.cycle.year,
        "state": proposal.state,
        "entries": [
            {
                "application": e.application.public_id,
                "applicant": e.holder_name,
                "kind": e.application.kind,
                "level": e.level,
                "rewinner": e.rewinner,
                "withdrawn": e.withdrawn_at is not None,
            }
            for e in entries
        ],
        "approvals": list(proposal.approvals.values("body", "decided_on", "reference")),
        "notice_starts_on": proposal.notice_starts_on,
        "notice_ends_on": proposal.notice_ends_on,
        "announced_on": proposal.announced_on,
        "announcement_number": proposal.announcement_number,
    }


@router.get("/cycles/{cycle_id}/proposal", response=ProposalOut, summary="拟奖名单及其进度")
def proposal(request: HttpRequest, cycle_id: uuid.UUID) -> dict[str, Any]:
    _view(request)
    return _proposal_out(_proposal(cycle_id))


@router.put(
    "/cycles/{cycle_id}/proposal",
    response=ProposalOut,
    summary="拟定拟奖名单（办公室；超出名额时拒绝，第五条）",
)
def save_proposal(request: HttpRequest, cycle_id: uuid.UUID, body: ProposalIn) -> dict[str, Any]:
    cycle = _cycle(cycle_id)
    by_id = {
        a.public_id: a
        for a in Application.objects.filter(
            cycle=cycle, public_id__in=[e.application for e in body.entries]
        ).select_related("cycle__policy", "organization", "individual", "evaluation")
    }
    missing = [str(e.application) for e in body.entries if e.application not in by_id]
    if missing:
        raise Http404
    saved = services.save_proposal(
        actor=actor(request),
        cycle=cycle,
        entries=[(by_id[e.application], e.level) for e in body.entries],
    )
    return _proposal_out(saved)


@router.get(
    "/proposals/{proposal_id}/actions",
    response=list[ActionOut],
    summary="拟奖名单：我现在可办理的操作（及不可办理的原因）",
)
def proposal_actions(request: HttpRequest, proposal_id: RowId) -> Any:
    """The workflow table's answer for this user today (`decision.workflow.PROPOSAL`): each
    action their role may take on the list in its state, whether the calendar allows it now
    and, if not, why."""
    _view(request)
    proposal = get_object_or_404(
        _proposals().select_related("cycle__policy").prefetch_related("cycle__stages"),
        pk=proposal_id,
    )
    return [o.as_dict() for o in PROPOSAL.allowed_actions(proposal, request.user).values()]


class ApprovalIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "body": "committee",
                    "decided_on": "2026-11-10",
                    "reference": "皋质委〔2026〕20号",
                    "attendees": "质量发展委员会全体成员",
                    "resolution": "同意拟奖名单",
                }
            ]
        }
    )

    body: Literal["committee", "government"]
    decided_on: dt.date
    reference: Short
    attendees: Text = ""
    resolution: Text = ""


@router.post(
    "/cycles/{cycle_id}/proposal/approvals",
    response={201: ProposalOut},
    summary="记录委员会审定或市政府批准（办公室）",
)
def approve(request: HttpRequest, cycle_id: uuid.UUID, body: ApprovalIn) -> Status[Any]:
    """After a recent second factor, else one in the X-OTP header (accounts.two_factor)."""
    two_factor.require_fresh_otp(request)
    proposal = _proposal(cycle_id)
    services.record_approval(actor=actor(request), proposal=proposal, **body.model_dump())
    proposal.refresh_from_db()
    return Status(201, _proposal_out(proposal))


class NoticeIn(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [{"starts_on": "2026-11-25"}]})

    starts_on: dt.date


@router.post(
    "/cycles/{cycle_id}/proposal/notice",
    response=ProposalOut,
    summary="发布公示（办公室；公示期按工作日计算，第二十条）",
)
def publish(request: HttpRequest, cycle_id: uuid.UUID, body: NoticeIn) -> dict[str, Any]:
    published = services.publish_notice(
        actor=actor(request), proposal=_proposal(cycle_id), starts_on=body.starts_on
    )
    return _proposal_out(published)


@router.post(
    "/cycles/{cycle_id}/proposal/notice/close",
    response=ProposalOut,
    summary="结束公示（办公室；异议均已答复）",
)
def close(request: HttpRequest, cycle_id: uuid.UUID) -> dict[str, Any]:
    return _proposal_out(services.close_notice(actor=actor(request), proposal=_proposal(cycle_id)))


class AnnounceIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"announced_on": "2026-12-20", "document_number": "皋政发〔2026〕90号"}]
        }
    )

    announced_on: dt.date
    document_number: Short


class AwardOut(Schema):
    id: int
    holder: str
    year: int
    level: str
    certificate: str | None
    due: int
    paid: int
    recovered: int
    outstanding: int
    revoked_on: dt.date | None


def _award_out(award: AwardRecord) -> dict[str, Any]:
    certificate = getattr(award, "certificate", None)
    return {
        "id": award.pk,
        "holder": award.holder,
        "year": award.year,
        "level": award.level,
        "certificate": certificate.number if certificate else None,
        "revoked_on": award.revoked_on,
        **services.ledger_balance(award),
    }


@router.post(
    "/cycles/{cycle_id}/proposal/announce",
    response={201: list[AwardOut]},
    summary="记录市政府公告，产生获奖记录、证书和应发奖金（办公室）",
)
def announce(request: HttpRequest, cycle_id: uuid.UUID, body: AnnounceIn) -> Status[Any]:
    awards = services.announce(
        actor=actor(request), proposal=_proposal(cycle_id), **body.model_dump()
    )
    return Status(201, [_award_out(a) for a in awards])


# --- objections --------------------------------------------------------------------------------


class PublicEntry(Schema):
    id: int
    name: str
    level: str


class PublicNotice(Schema):
    year: int
    starts_on: dt.date
    ends_on: dt.date
    open: bool
    entries: list[PublicEntry]


def _published(year: int) -> Proposal:
    return get_object_or_404(
        _proposals().select_related("cycle"),
        cycle__year=year,
        notice_published_at__isnull=False,
    )


@router.get("/notices/{year}", auth=None, response=PublicNotice, summary="拟奖名单公示（公开）")
def notice(request: HttpRequest, year: Year) -> dict[str, Any]:
    proposal = _published(year)
    entries = proposal.entries.filter(withdrawn_at__isnull=True).select_related(
        "application__organization", "application__individual"
    )
    return {
        "year": year,
        "starts_on": proposal.notice_starts_on,
        "ends_on": proposal.notice_ends_on,
        "open": services.notice_is_open(proposal),
        "entries": [
            {"id": e.pk, "name": e.holder_name, "level": e.get_level_display()} for e in entries
        ],
    }


class ObjectionIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "刘某",
                    "identity": "市民",
                    "contact": "13900000000",
                    "content": "该单位近三年曾发生质量事故",
                    "entry": None,
                }
            ]
        }
    )

    name: Annotated[str, Field(max_length=50)]
    identity: Short
    contact: Annotated[str, Field(max_length=100)]
    content: Text
    entry: RowId | None = None


class ReceiptOut(Schema):
    receipt: str
    filed_at: dt.datetime
    # True when the same objection (entry, name, contact, content) was filed before: its
    # receipt is returned and nothing new is filed (status 200 instead of 201).
    repeated: bool = False


@router.post(
    "/notices/{year}/objections",
    auth=None,
    response={200: ReceiptOut, 201: ReceiptOut},
    summary="对公示提出异议（公开；须实名，公示期内；证据材料请通过网页上传；相同异议只受理一次）",
)
def object_to(request: HttpRequest, year: Year, body: ObjectionIn) -> Status[Any]:
    proposal = _published(year)
    entry = proposal.entries.filter(pk=body.entry).first() if body.entry else None
    if body.entry and entry is None:
        raise Http404
    filed = services.file_objection(
        proposal=proposal,
        name=body.name,
        identity=body.identity,
        contact=body.contact,
        content=body.content,
        entry=entry,
        actor=actor(request) if request.user.is_authenticated else None,
    )
    out = {"receipt": filed.receipt, "filed_at": filed.filed_at, "repeated": filed.repeated}
    return Status(200 if filed.repeated else 201, out)


class ObjectionOut(Schema):
    receipt: str
    name: str
    identity: str
    contact: str
    content: str
    entry: int | None = Field(None, alias="entry_id")
    filed_at: dt.datetime
    outcome: str
    findings: str
    reply: str


@router.get(
    "/cycles/{cycle_id}/objections", response=list[ObjectionOut], summary="公示异议（办公室、监督）"
)
def objections(request: HttpRequest, cycle_id: uuid.UUID) -> Any:
    _view(request)
    return _objections().filter(proposal__cycle=_cycle(cycle_id))


class DecideIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "outcome": "dismissed",
                    "findings": "经核查，反映情况不属实",
                    "reply": "经核查，您反映的情况不属实，特此答复。",
                    "withdraw": False,
                }
            ]
        }
    )

    outcome: Literal["upheld", "dismissed"]
    findings: Text
    reply: Text
    withdraw: bool = False


@router.post(
    "/objections/{receipt}/decide", response=ObjectionOut, summary="异议核查结论和答复（办公室）"
)
def decide(request: HttpRequest, receipt: str, body: DecideIn) -> Any:
    objection = get_object_or_404(_objections().select_related("entry"), receipt=receipt)
    return services.decide_objection(actor=actor(request), objection=objection, **body.model_dump())


@router.get(
    "/objections/{receipt}/actions",
    response=list[ActionOut],
    summary="公示异议：我现在可办理的操作（及不可办理的原因）",
)
def objection_actions(request: HttpRequest, receipt: Annotated[str, Field(max_length=32)]) -> Any:
    """`decision.workflow.OBJECTION`'s answer for this user today: whether its outcome may be
    recorded now and, if not, why. The receipt number is the objection's identifier."""
    _view(request)
    objection = get_object_or_404(_objections().select_related("proposal__cycle"), receipt=receipt)
    return [o.as_dict() for o in OBJECTION.allowed_actions(objection, request.user).values()]


# --- awards, the bonus ledger, verification ----------------------------------------------------


@router.get(
    "/awards", response=list[AwardOut], summary="获奖记录与奖金台账（办公室、监督、委员会）"
)
def awards(request: HttpRequest) -> list[dict[str, Any]]:
    _view(request)
    rows = program_awards().select_related("organization", "individual", "certificate")
    return [_award_out(a) for a in rows.order_by("-year", "pk")]


class BonusIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "payment",
                    "amount": 200000,
                    "on": "2027-01-15",
                    "voucher": "财拨〔2027〕5号",
                    "note": "",
                }
            ]
        }
    )

    kind: Literal["payment", "recovery"]
    amount: Annotated[int, Field(ge=1, le=100_000_000)]
    on: dt.date
    voucher: Short = ""
    note: Short = ""


@router.post(
    "/awards/{award_id}/bonus-payments",
    response={201: AwardOut},
    summary="记录奖金拨付或追回（办公室，第二十二条）",
)
def bonus(request: HttpRequest, award_id: RowId, body: BonusIn) -> Status[Any]:
    if not request.user.has_perm("decision.manage"):
        raise PermissionDenied()
    award = get_object_or_404(program_awards(), pk=award_id)
    services.record_bonus(actor=actor(request), award=award, **body.model_dump())
    return Status(201, _award_out(award))


class VerifiedOut(Schema):
    number: str
    holder: str = Field(description="获奖者，按证书颁发时的名称（个人附所在组织）")
    renamed_to: str = Field(description="获奖后更名的现名称；未更名为空")
    level: str
    year: int
    issued_on: dt.date
    valid: bool
    revoked_on: dt.date | None
    revoked_reason: str


@router.get(
    "/certificates/{number}",
    auth=None,
    response=VerifiedOut,
    summary="核验证书（公开，第二十五条）",
)
def verify(request: HttpRequest, number: Annotated[str, Field(max_length=60)]) -> dict[str, Any]:
    found = services.verify(number, program=current_program())  # ?program=<slug> for another
    if found is None:
        raise Http404
    return found
