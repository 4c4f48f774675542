"""The API after the award: winners' violation reports, the Office's cases and the committee's
decisions, fraud sanctions, and the public credit list.

No `from __future__ import annotations`: django-ninja reads these annotations at import time.
"""

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict

from accounts import two_factor
from decision.api import program_awards
from intake.models import AwardRecord
from intake.selectors import applications_for
from lib.access import actor
from lib.api import ActionOut
from lib.errors import PermissionDenied
from lib.params import RowId

from . import selectors, services, workflow
from .models import Case

router = Router(tags=["获奖后监督与诚信"])

Text = Annotated[str, Field(max_length=4000)]
Short = Annotated[str, Field(max_length=200)]


class CaseOut(Schema):
    id: uuid.UUID = Field(alias="public_id")
    award: int = Field(alias="award_id")
    source: str
    what_happened: str
    confirmed_on: dt.date | None
    report_due_on: dt.date | None
    reported_on: dt.date | None
    # The winner's duty to report (A23.1), as of today: `selectors.report_duties`, the one
    # reading the pages share (unknown, due, on_time, late, failed); `late` and
    # `failed_to_report` are its two flags.
    report_duty: str
    late: bool
    failed_to_report: bool
    state: str
    outcome: str
    decided_on: dt.date | None
    decision_ref: str

    @staticmethod
    def resolve_report_duty(obj: Case) -> str:
        return _duty(obj).state

    @staticmethod
    def resolve_late(obj: Case) -> bool:
        return _duty(obj).late

    @staticmethod
    def resolve_failed_to_report(obj: Case) -> bool:
        return _duty(obj).failed


def _cases() -> Any:
    """The cases on the current program's awards (another program's: 404, decision 0030)."""
    return Case.objects.filter(award__in=program_awards())


def _duty(case: Case) -> selectors.ReportDuty:
    known: selectors.ReportDuty | None = getattr(case, "_report_duty", None)
    return known or selectors.report_duty(case)


def _with_duties(cases: list[Case]) -> list[Case]:
    """The cases with their duty read in one query (`CaseOut` reads it per case otherwise)."""
    duties = selectors.report_duties(cases)
    for case in cases:
        case._report_duty = duties[case.pk]  # type: ignore[attr-defined]
    return cases


class ViolationReportIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "what_happened": "2027年3月发生一起产品质量投诉，已按规定处理",
                    "confirmed_on": "2027-03-10",
                    "evidence": "处理报告",
                }
            ]
        }
    )

    what_happened: Text
    confirmed_on: dt.date
    evidence: Text = ""


@router.post(
    "/awards/{award_id}/violation-reports",
    response={201: CaseOut},
    summary="获奖者书面报告违规情形（30日内，第二十三条）",
)
def report(request: HttpRequest, award_id: RowId, body: ViolationReportIn) -> Status[Any]:
    award = get_object_or_404(AwardRecord.objects.select_related("individual"), pk=award_id)
    if not services.holds(request.user, award):  # type: ignore[arg-type]
        raise PermissionDenied()
    return Status(201, services.report_violation(actor=actor(request), award=award, **body.dict()))


@router.get("/cases", response=list[CaseOut], summary="违规案件（办公室、监督）")
def cases(request: HttpRequest) -> Any:
    if not request.user.has_perm("supervision.view"):
        raise PermissionDenied()
    return _with_duties(list(_cases().order_by("-opened_at")))


@router.get(
    "/cases/{case_id}/actions",
    response=list[ActionOut],
    summary="我现在可对该案件办理的操作（及不可办理的原因）",
)
def case_actions(request: HttpRequest, case_id: uuid.UUID) -> list[dict[str, Any]]:
    """The case's workflow table for this user today: what the case page offers, and for a
    refused action the reason it shows instead. Supervisors read cases (an empty list);
    anybody else is refused before the case is looked up."""
    if not request.user.has_perm("supervision.view"):
        raise PermissionDenied()
    case = get_object_or_404(_cases(), public_id=case_id)
    return [o.as_dict() for o in workflow.allowed_actions(case, request.user).values()]


class CaseIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "award": 1,
                    "source": "spot_check",
                    "what_happened": "市场监管抽查发现产品质量不合格",
                    "confirmed_on": "2027-04-01",
                    "evidence": "抽查报告",
                }
            ]
        }
    )

    award: RowId
    source: Literal["spot_check", "complaint", "media", "other"]
    what_happened: Text
    confirmed_on: dt.date | None = None
    evidence: Text = ""


@router.post("/cases", response={201: CaseOut}, summary="办公室立案（抽查、投诉、媒体）")
def open_case(request: HttpRequest, body: CaseIn) -> Status[Any]:
    if not request.user.has_perm("supervision.manage"):
        raise PermissionDenied()
    fields = body.dict()
    award = get_object_or_404(program_awards(), pk=fields.pop("award"))
    return Status(201, services.open_case(actor=actor(request), award=award, **fields))


def _may_act_on_cases(request: HttpRequest) -> None:
    """Refused before the case is looked up: whoever may not act on cases gets 403 for any id,
    so an existing case cannot be told from an unknown one (as the pages answer)."""
    if not request.user.has_perm("supervision.manage"):
        raise PermissionDenied()


class FindingsIn(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [{"findings": "经核查，情况属实"}]})

    findings: Text


@router.post("/cases/{case_id}/report", response=CaseOut, summary="核查情况报委员会（办公室）")
def report_to_committee(request: HttpRequest, case_id: uuid.UUID, body: FindingsIn) -> Any:
    _may_act_on_cases(request)
    case = get_object_or_404(_cases(), public_id=case_id)
    return services.report_to_committee(actor=actor(request), case=case, findings=body.findings)


class DecisionIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "outcome": "warning",
                    "decided_on": "2027-05-10",
                    "decision_ref": "皋质委〔2027〕4号",
                }
            ]
        }
    )

    outcome: Literal["no_action", "warning", "revocation"]
    decided_on: dt.date
    decision_ref: Short


@router.post("/cases/{case_id}/decide", response=CaseOut, summary="记录委员会处理决定（办公室）")
def decide(request: HttpRequest, case_id: uuid.UUID, body: DecisionIn) -> Any:
    """A revocation of the title needs a recent second factor, else one in X-OTP."""
    _may_act_on_cases(request)
    if body.outcome == "revocation":
        two_factor.require_fresh_otp(request)
    case = get_object_or_404(_cases().select_related("award"), public_id=case_id)
    return services.decide_case(actor=actor(request), case=case, **body.dict())


class FraudSanctionIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kinds": ["application_revoked", "ban"],
                    "reason": "申报材料中的经营数据弄虚作假",
                    "decided_on": "2026-09-01",
                    "decision_ref": "皋质委〔2026〕15号",
                }
            ]
        }
    )

    kinds: list[Literal["warning", "application_revoked", "award_revoked", "credit", "ban"]]
    reason: Text
    decided_on: dt.date
    decision_ref: Short


class SanctionOut(Schema):
    kind: str
    article: str
    decided_on: dt.date
    public_until: dt.date | None


@router.post(
    "/applications/{application_id}/sanctions",
    response={201: list[SanctionOut]},
    summary="弄虚作假的处理（办公室，第二十九条）",
)
def sanction(request: HttpRequest, application_id: uuid.UUID, body: FraudSanctionIn) -> Status[Any]:
    if not request.user.has_perm("supervision.manage"):
        raise PermissionDenied()
    application = get_object_or_404(applications_for(request.user), public_id=application_id)
    made = services.sanction_fraud(actor=actor(request), application=application, **body.dict())
    return Status(201, made)


class CreditOut(Schema):
    name: str
    year: int
    kind: str
    reason: str
    decided_on: dt.date
    public_until: dt.date | None


@router.get("/credit-list", auth=None, response=list[CreditOut], summary="信用管理公开名单（公开）")
def credit(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "name": s.application.applicant_name,
            "year": s.application.cycle.year,
            "kind": s.get_kind_display(),
            "reason": s.reason,
            "decided_on": s.decided_on,
            "public_until": s.public_until,
        }
        for s in services.credit_list()
    ]
