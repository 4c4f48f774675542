"""The API of 申报推荐 and 资格审查: the same services, permissions and audit as the pages.

No `from __future__ import annotations` here: django-ninja reads the parameter annotations at
import time, and a paginated view's string annotations would be resolved in ninja's module.
"""

import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import BaseModel, ConfigDict

from accounts import registration, two_factor
from accounts.models import Individual, Organization, RecommendingUnit, Role
from accounts.privacy import PRIVACY_NOTICE_VERSION
from accounts.selectors import program_units, scopes_of
from audit.context import client_ip
from jobs import exports as large_exports
from lib import uploads
from lib.access import actor
from lib.api import ActionOut, Page
from lib.errors import ServiceError
from lib.http import file_response
from lib.params import RowId, Year
from programs.models import Cycle

from . import documents, schema, services, standing, workflow
from .models import Attachment, QualificationDecision, State
from .selectors import LIST_DEFERRED, NEWEST_FIRST, applications_for, get_application_for_user

router = Router(tags=["申报推荐与资格审查"])


class ApplicationOut(Schema):
    id: uuid.UUID = Field(alias="public_id")
    cycle: int = Field(alias="cycle.year")
    kind: str
    applicant: str = Field(alias="applicant_name")
    recommending_unit: str = Field(alias="recommending_unit.name")
    state: str
    state_label: str
    version: int
    submitted_at: dt.datetime | None

    @staticmethod
    def resolve_state_label(obj: Any) -> str:
        return str(State(obj.state).label)


class ApplicationDetail(ApplicationOut):
    data: dict[str, Any]
    # A draft's refused fields by place, with their reasons (issue 16): the valid part is in
    # `data`; the fields here are kept as typed and block submitting until put right.
    draft_errors: dict[str, list[str]] = {}


class DraftIn(BaseModel):  # not ninja's Schema, which drops the extra (every) field
    """The 申报表 as typed: the fields of `ApplicationForm` (intake/schema.py). Each field is
    saved on its own: a refused one does not keep the others from saving; it comes back in
    `draft_errors` (by place, with the reason in Chinese) and blocks submitting."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={"examples": [schema.FORM_EXAMPLE]},
    )


class FindingOut(Schema):
    rule: str
    article: str
    outcome: str
    message: str


class StartIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"cycle": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "kind": "organization"}]
        }
    )

    cycle: uuid.UUID
    kind: str = "organization"


class TextIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"text": "同意推荐。该单位质量管理体系健全，近三年无质量安全事故。"}]
        }
    )

    text: str


class AcceptIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "材料齐全，符合申报条件", "confirmed": []}]}
    )

    reason: str = ""
    confirmed: list[str] = []


class RejectIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"reason": "近三年发生重大质量安全事故", "articles": ["A13.3"]}]
        }
    )

    reason: str
    articles: list[str]


class AttachmentOut(Schema):
    id: uuid.UUID = Field(alias="public_id")
    section: str
    name: str = Field(alias="original_name")
    kind: str
    size: int
    sha256: str


class OrganizationRegistration(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "uscc": "91320682MA1APGK01F",
                    "name": "如皋示例电子有限公司",
                    "recommending_unit": "如城街道",
                    "username": "sample_electronics",
                    "password": "Pw#2026abc",
                    "contact_name": "李明",
                    "email": "liming@example.com",
                    "phone": "0513-87000001",
                    "registered_address": "如皋市如城街道示例路2号",
                    "industry_code": "39",
                    "established_on": "2010-04-01",
                    "legal_representative": "王强",
                    "is_industrial": True,
                    "environmental_rating": "green",
                    "chief_quality_officer": "李明",
                    "privacy_consent": True,
                }
            ]
        }
    )

    uscc: str
    name: str
    recommending_unit: str
    username: str
    password: str
    contact_name: str
    email: str = ""
    phone: str = ""
    registered_address: str = ""
    industry_code: str = ""
    established_on: dt.date | None = None
    legal_representative: str = ""
    is_construction: bool = False
    is_industrial: bool = False
    environmental_rating: str = "none"
    chief_quality_officer: str = ""
    # 个人信息保护法 第十四条: the person read and agreed to /privacy/ (accounts.privacy).
    privacy_consent: bool = False


class IndividualRegistration(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "陈平",
                    "id_number": "320682198001011237",
                    "recommending_unit": "如城街道",
                    "position": "cqo",
                    "quality_work_years": 15,
                    "employer_name": "如皋示例机械有限公司",
                    "username": "chen_ping",
                    "password": "Pw#2026abc",
                    "email": "chenping@example.com",
                    "privacy_consent": True,
                    "sensitive_consent": True,
                }
            ]
        }
    )

    name: str
    id_number: str
    recommending_unit: str
    position: str
    quality_work_years: int = Field(ge=0, le=80)
    employer_name: str
    username: str
    password: str
    email: str = ""
    phone: str = ""
    privacy_consent: bool = False
    # 第二十九条: the separate consent for the 身份证 number (sensitive personal information).
    sensitive_consent: bool = False


class RegisteredOut(Schema):
    username: str


class RegistrationSent(Schema):
    message: str


class RegistrationConfirm(Schema):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"username": "sample_electronics", "code": "123456"}]}
    )

    username: str
    code: str


def _consent(fields: dict[str, Any]) -> registration.Consent | None:
    agreed, sensitive = fields.pop("privacy_consent"), fields.pop("sensitive_consent", False)
    return registration.Consent(PRIVACY_NOTICE_VERSION, sensitive=sensitive) if agreed else None


def _not_too_often(request: HttpRequest) -> None:
    if not registration.allowed(client_ip(request)):
        raise ServiceError(registration.THROTTLED, code="throttled", status=429)


def _unit(name: str) -> RecommendingUnit:
    """The active unit of this name: the current program's (`?program=<slug>`), else the only
    one of that name in any program (units are per program, decision 0030; a name two
    programs share needs the program named)."""
    unit = program_units().filter(name=name, active=True).first()
    if unit is None:
        found = list(RecommendingUnit.objects.filter(name=name, active=True)[:2])
        unit = found[0] if len(found) == 1 else None
    if unit is None:
        raise ServiceError("没有该推荐单位。", fields={"recommending_unit": ["没有该推荐单位"]})
    return unit


# Registration answers the same whatever is registered (accounts.registration): the account
# works once the code emailed to it is confirmed (/registrations/confirm).
SENT = {200: RegistrationSent}


@router.post("/registrations/organization", auth=None, response=SENT, summary="组织注册")
def register_org(request: HttpRequest, body: OrganizationRegistration) -> dict[str, str]:
    _not_too_often(request)
    fields = body.model_dump()
    registration.request_organization(
        consent=_consent(fields),
        uscc_code=fields.pop("uscc"),
        recommending_unit=_unit(fields.pop("recommending_unit")),
        **fields,
    )
    return {"message": registration.sent_message()}


@router.post("/registrations/individual", auth=None, response=SENT, summary="个人注册")
def register_person(request: HttpRequest, body: IndividualRegistration) -> dict[str, str]:
    _not_too_often(request)
    fields = body.model_dump()
    registration.request_individual(
        consent=_consent(fields), recommending_unit=_unit(fields.pop("recommending_unit")), **fields
    )
    return {"message": registration.sent_message()}


@router.post(
    "/registrations/confirm",
    auth=None,
    response={201: RegisteredOut},
    summary="输入邮箱验证码，完成注册",
)
def register_confirm(request: HttpRequest, body: RegistrationConfirm) -> Status[dict[str, str]]:
    user = registration.confirm_by_username(username=body.username, code=body.code)
    return Status(201, {"username": user.username})


class IndexedPage(Page):
    """`Page` (the same `page`, `page_size`, `count`, `results`) that finds a page's rows by
    their ids first: the offset walks the order's index only (no join, no sort of every visible
    row), then one query loads the page's rows (issue 17)."""

    def paginate_queryset(  # type: ignore[override]
        self, queryset: Any, pagination: Page.Input, **params: Any
    ) -> dict[str, Any]:
        size = max(1, min(pagination.page_size, 100))
        start = (max(1, pagination.page) - 1) * size
        ids = list(queryset.values_list("pk", flat=True)[start : start + size])
        found = {a.pk: a for a in queryset.order_by().filter(pk__in=ids)}
        return {"count": queryset.count(), "results": [found[i] for i in ids if i in found]}


@router.get("/applications", response=list[ApplicationOut], summary="我可见的申报")
@paginate(IndexedPage)
def list_applications(request: HttpRequest, state: str = "", cycle: Year | None = None) -> Any:
    """Newest submission first (drafts, never submitted, before them), in the order of the list
    page's index: a page is an index read, not a sort of every visible row with its form."""
    qs = applications_for(request.user)
    if state:
        qs = qs.filter(state=state)
    if cycle:
        qs = qs.filter(cycle__year=cycle)
    return qs.defer(*LIST_DEFERRED).order_by(*NEWEST_FIRST)


@router.get("/applications/export.xlsx", summary="导出申报汇总（Excel）", response={200: None})
def export(request: HttpRequest, state: str = "", cycle: Year | None = None) -> HttpResponse:
    """Personal data: after a recent second factor, else one in X-OTP (accounts.two_factor).
    Made while the caller waits, up to 10,000 applications; above, 422 `too_large`: ask by
    state or cycle."""
    two_factor.require_fresh_otp(request)
    qs = applications_for(request.user)
    if state:
        qs = qs.filter(state=state)
    if cycle:
        qs = qs.filter(cycle__year=cycle)
    # Synchronous, with a cap (docs/decisions/0027): above it the caller splits by state or
    # cycle; a person above the page's threshold gets the background export instead.
    if large_exports.too_large(qs, large_exports.API_APPLICATIONS_MAX):
        raise ServiceError(
            f"导出的申报超过{large_exports.API_APPLICATIONS_MAX}条，请按状态（state）或"
            "年度（cycle）分批导出，或在网页上导出（由后台任务生成）。",
            code="too_large",
            status=422,
        )
    return file_response(documents.applications_xlsx(qs), "市长质量奖申报汇总.xlsx", documents.XLSX)


@router.get(
    "/applications/{application_id}/form.docx", summary="申报表（Word）", response={200: None}
)
def form_docx(
    request: HttpRequest, application_id: uuid.UUID, version: RowId | None = None
) -> HttpResponse:
    """The submitted 申报表 (the latest version unless `version` is given) for the archive."""
    application = get_application_for_user(request.user, application_id)
    frozen = get_object_or_404(application.versions, number=version or application.version)
    name = (
        f"{application.applicant_name}-{application.cycle.year}年度申报表-第{frozen.number}版.docx"
    )
    return file_response(documents.application_form_docx(frozen), name, documents.DOCX)


@router.post("/applications", response={201: ApplicationDetail}, summary="开始申报（草稿）")
def start(request: HttpRequest, body: StartIn) -> Status[Any]:
    cycle = get_object_or_404(Cycle, public_id=body.cycle, status=Cycle.Status.PUBLISHED)
    user = actor(request)
    organization = individual = None
    if body.kind == "organization":
        org_ids = scopes_of(user).get(Role.APPLICANT, frozenset())
        organization = Organization.objects.filter(pk__in=org_ids).first()
    else:
        individual = Individual.objects.filter(user=actor(request)).first()
    if organization is None and individual is None:
        raise ServiceError("您的账号没有可申报的组织或个人信息。", code="no_applicant", status=403)
    application = services.start_application(
        actor=user,
        cycle=cycle,
        organization=organization,
        individual=individual,  # type: ignore[arg-type]
    )
    return Status(201, application)


@router.get("/applications/{application_id}", response=ApplicationDetail, summary="申报详情")
def detail(request: HttpRequest, application_id: uuid.UUID) -> Any:
    return get_application_for_user(request.user, application_id)


@router.put(
    "/applications/{application_id}/form", response=ApplicationDetail, summary="保存申报表草稿"
)
def save_form(request: HttpRequest, application_id: uuid.UUID, body: DraftIn) -> Any:
    """Saves what the rules accept and keeps the rest as typed: 200 with the refused fields in
    `draft_errors` (empty when the whole form is valid), as the pages' autosave does."""
    application = get_application_for_user(request.user, application_id)
    return services.save_draft(
        actor=actor(request),
        application=application,
        data=body.model_dump(mode="json"),
    )


@router.get(
    "/applications/{application_id}/eligibility", response=list[FindingOut], summary="资格条件核查"
)
def eligibility(request: HttpRequest, application_id: uuid.UUID) -> Any:
    """The draft's check for the applicant before submitting; the submitted version's report
    for the unit and the Office."""
    application = get_application_for_user(request.user, application_id)
    if application.state in {State.DRAFT, State.RETURNED} and request.user.has_perm(
        "intake.edit_application", application
    ):
        return services.check_eligibility(application)
    return list(application.eligibility.filter(version=application.version).order_by("pk"))


@router.post(
    "/applications/{application_id}/attachments", response={201: AttachmentOut}, summary="上传附件"
)
def add_attachment(
    request: HttpRequest,
    application_id: uuid.UUID,
    section: Form[str] = "",
    file: File[UploadedFile | None] = None,
    same_file_ok: Form[str] = "",
) -> Status[Any]:
    """One file to one section (`section`: general, figures, records, A12.3, declarations,
    self). Over the size limit: 413 before the body is read (by its Content-Length, or cut off
    while counting). The same file (same SHA-256) already attached: 409 `same_file`, with the
    hash in `fields.same_file`; send it again with `same_file_ok` set to that hash to keep both."""
    application = get_application_for_user(request.user, application_id)
    if (too_large := uploads.refusal(request)) is not None:
        raise ServiceError(uploads.too_large_message(too_large), code="too_large", status=413)
    if file is None or not section:
        missing = {"file": ["请选择要上传的文件"]} if file is None else {}
        missing |= {} if section else {"section": ["请选择附件所属栏目"]}
        raise ServiceError("请选择附件所属栏目和要上传的文件。", fields=missing, status=422)
    if file.size and file.size > services.MAX_ATTACHMENT_BYTES:
        refused = uploads.UploadRefused(services.MAX_ATTACHMENT_BYTES, file.size)
        message = uploads.too_large_message(refused, file.name or "")
        raise ServiceError(message, code="too_large", status=413)
    attachment = services.add_attachment(
        actor=actor(request),
        application=application,
        section=section,
        name=file.name or "",
        data=file.read(),
        same_file_ok=same_file_ok,
    )
    return Status(201, attachment)


uploads.limit_uploads("api:add_attachment", lambda: services.MAX_ATTACHMENT_BYTES)


@router.get("/attachments/{attachment_id}", summary="下载附件", response={200: None})
def download(request: HttpRequest, attachment_id: uuid.UUID) -> HttpResponse:
    visible = applications_for(request.user)
    attachment = get_object_or_404(
        Attachment.objects.filter(application__in=visible), public_id=attachment_id
    )
    data = services.open_attachment(actor=actor(request), attachment=attachment)  # type: ignore[arg-type]
    return file_response(data, attachment.original_name, attachment.content_type)


def _action(request: HttpRequest, application_id: uuid.UUID) -> Any:
    return get_application_for_user(request.user, application_id)


@router.post("/applications/{application_id}/submit", response=ApplicationOut, summary="提交申报")
def submit(request: HttpRequest, application_id: uuid.UUID) -> Any:
    application = _action(request, application_id)
    services.submit_application(actor=actor(request), application=application)  # type: ignore[arg-type]
    return application


@router.post(
    "/applications/{application_id}/recommend", response=ApplicationOut, summary="签署推荐意见"
)
def recommend(request: HttpRequest, application_id: uuid.UUID, body: TextIn) -> Any:
    application = _action(request, application_id)
    services.recommend_application(actor=actor(request), application=application, opinion=body.text)  # type: ignore[arg-type]
    return application


@router.post("/applications/{application_id}/return", response=ApplicationOut, summary="退回修改")
def return_(request: HttpRequest, application_id: uuid.UUID, body: TextIn) -> Any:
    application = _action(request, application_id)
    services.return_application(actor=actor(request), application=application, reason=body.text)  # type: ignore[arg-type]
    return application


@router.post("/applications/{application_id}/accept", response=ApplicationOut, summary="受理")
def accept(request: HttpRequest, application_id: uuid.UUID, body: AcceptIn) -> Any:
    application = _action(request, application_id)
    services.decide_qualification(
        actor=actor(request),
        application=application,
        accept=True,  # type: ignore[arg-type]
        reason=body.reason,
        confirmed=body.confirmed,
    )
    return application


@router.post("/applications/{application_id}/reject", response=ApplicationOut, summary="不予受理")
def reject(request: HttpRequest, application_id: uuid.UUID, body: RejectIn) -> Any:
    application = _action(request, application_id)
    services.decide_qualification(
        actor=actor(request),
        application=application,
        accept=False,  # type: ignore[arg-type]
        reason=body.reason,
        articles=body.articles,
    )
    return application


@router.post(
    "/decisions/{decision_id}/correct", response=ApplicationOut, summary="更正资格审查决定"
)
def correct(request: HttpRequest, decision_id: RowId, body: TextIn) -> Any:
    visible = applications_for(request.user)
    decision = get_object_or_404(
        QualificationDecision.objects.filter(application__in=visible), pk=decision_id
    )
    services.correct_decision(actor=actor(request), decision=decision, reason=body.text)  # type: ignore[arg-type]
    decision.application.refresh_from_db()
    return decision.application


@router.post(
    "/applications/{application_id}/lapse", response=ApplicationOut, summary="按逾期未受理办结"
)
def lapse(request: HttpRequest, application_id: uuid.UUID, body: TextIn) -> Any:
    application = _action(request, application_id)
    services.lapse_application(actor=actor(request), application=application, reason=body.text)  # type: ignore[arg-type]
    return application


@router.get(
    "/applications/{application_id}/actions",
    response=list[ActionOut],
    summary="我现在可办理的操作（及不可办理的原因）",
)
def actions(request: HttpRequest, application_id: uuid.UUID) -> Any:
    """The workflow table's answer for this user today: each action their role may take on the
    application in its state, whether the calendar allows it now and, if not, why."""
    application = get_application_for_user(request.user, application_id)
    return [o.as_dict() for o in workflow.allowed_actions(application, request.user).values()]


@router.post("/applications/{application_id}/withdraw", response=ApplicationOut, summary="撤回申报")
def withdraw(request: HttpRequest, application_id: uuid.UUID, body: TextIn) -> Any:
    application = _action(request, application_id)
    services.withdraw_application(actor=actor(request), application=application, reason=body.text)  # type: ignore[arg-type]
    return application


class AwardRecordIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "uscc": "91320682MA1XYK123E",
                    "year": 2019,
                    "level": "award",
                    "announced_on": "2019-12-20",
                    "document_number": "皋政发〔2019〕88号",
                }
            ]
        }
    )

    uscc: str
    year: Year
    level: str
    announced_on: dt.date
    document_number: str


class BanIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "uscc": "91320682MA1XYK123E",
                    "starts_on": "2026-01-15",
                    "reason": "申报材料弄虚作假",
                    "decision_ref": "皋质委〔2026〕3号",
                }
            ]
        }
    )

    uscc: str
    starts_on: dt.date
    reason: str
    decision_ref: str


class StandingOut(Schema):
    id: int
    organization: str = Field(alias="organization.name")


def _organization_by_code(code: str) -> Organization:
    from lib import uscc

    org = Organization.objects.filter(uscc=uscc.compact(code)).first()
    if org is None:
        raise ServiceError("没有以此统一社会信用代码注册的组织。", fields={"uscc": ["未注册"]})
    return org


@router.post(
    "/award-records", response={201: StandingOut}, summary="录入获奖记录（办公室，第二十四条）"
)
def add_award_record(request: HttpRequest, body: AwardRecordIn) -> Status[Any]:
    fields = body.model_dump()
    organization = _organization_by_code(fields.pop("uscc"))
    return Status(
        201, standing.record_prior_award(actor=actor(request), organization=organization, **fields)
    )


@router.post("/bans", response={201: StandingOut}, summary="录入禁止申报（办公室，第二十九条）")
def add_ban(request: HttpRequest, body: BanIn) -> Status[Any]:
    fields = body.model_dump()
    organization = _organization_by_code(fields.pop("uscc"))
    return Status(
        201, standing.record_ban(actor=actor(request), organization=organization, **fields)
    )
