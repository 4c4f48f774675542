from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema
from ninja.responses import Status
from ninja.security import HttpBearer
from pydantic import ConfigDict

from lib.access import actor
from lib.errors import ServiceError
from lib.params import MAX_ID

from . import throttling, two_factor
from .models import ApiToken, Individual, Organization, Role, User
from .password_gate import API_PASSWORD_PATH, refusal_body, refusal_code
from .selectors import roles_of, scopes_of
from .services import (
    add_contact,
    change_own_password,
    record_login,
    record_logout,
    reveal_id_number,
    update_organization,
)
from .tokens import revoke_token as revoke_one_token
from .tokens import token_expiry, tokens_of

router = Router(tags=["账号"])


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TOKEN_PATH = "/api/v1/auth/token"  # noqa: S105  # a URL path, not a secret
SCOPE_MESSAGE = (
    '此令牌为只读令牌，只能查询，不能修改数据。如需修改，请以 scope="full" 重新申请令牌。'
)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


# `last_used_at` is "last used, to the minute": written at most once a minute per token (one
# conditional UPDATE that matches nothing while the stored time is recent), not on every call.
LAST_USED_EVERY = dt.timedelta(seconds=60)


def _note_use(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_EVERY:
        return  # recent enough: no statement at all
    ApiToken.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_EVERY), pk=token.pk
    ).update(last_used_at=now)


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        found = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=_hash(token), expires_at__gt=timezone.now())
            .first()
        )
        if found is None or not found.user.is_active:
            return None
        gate = refusal_code(found.user)
        if gate and request.path != API_PASSWORD_PATH:
            # An administrator-set or expired password: changed first (accounts.password_gate).
            body = refusal_body(gate)
            raise ServiceError(str(body["message"]), code=gate, status=403)
        # A read token reads (least privilege); it may still end itself.
        ends_itself = request.method == "DELETE" and request.path == TOKEN_PATH
        writes = request.method not in SAFE_METHODS and not ends_itself
        if found.scope != ApiToken.Scope.FULL and writes:
            raise ServiceError(SCOPE_MESSAGE, code="token_scope", status=403)
        _note_use(found)
        request.user = found.user
        return found.user


def anonymous(request: HttpRequest) -> bool:
    """Last in a public endpoint's auth list: identify the caller if possible, admit anyone."""
    return True


class Credentials(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"username": "office", "password": "Pw#2026abc", "otp": "123456", "scope": "read"}
            ]
        }
    )

    # Bounded lengths: a bad body is a 422, never a server error. (A NUL character, which the
    # lockout's lookup could not store on PostgreSQL, is refused for every body by the API's
    # parser, config.api.NoNulParser.)
    username: str = Field(..., min_length=1, max_length=150)
    password: str = Field(..., min_length=1, max_length=1024)
    scope: Literal["read", "full"] = Field(
        "read", description="令牌范围：read 只读（默认，最小权限），full 持有人的全部权限"
    )
    otp: str = Field(
        "", max_length=64, description="动态口令的6位验证码或一个恢复码（工作人员必填）"
    )


class TokenOut(Schema):
    token: str
    expires_at: datetime
    scope: str


class RoleOut(Schema):
    role: str
    label: str


class MeOut(Schema):
    username: str
    full_name: str
    roles: list[RoleOut]


@router.post("/auth/token", auth=None, response=TokenOut, summary="用用户名和密码换取令牌")
def issue_token(request: HttpRequest, body: Credentials) -> dict[str, Any]:
    """The lockout of django-axes applies here as on the login page (5 failures, 30 minutes),
    and the limit per client address (accounts.throttling: 429). `scope` "read" (the default)
    gives a token that only reads; "full" one with all the holder's rights."""
    if throttling.blocked(request):
        raise ServiceError(throttling.message(), code=throttling.CODE, status=429)
    user = authenticate(request, username=body.username, password=body.password)
    if user is None:
        raise ServiceError("用户名或密码错误，或账号已被锁定。", code="bad_credentials", status=401)
    if two_factor.required(user):  # staff, and whoever enrolled: the token counts as verified
        if not body.otp or not two_factor.enrolled(user):
            raise ServiceError(two_factor.api_refusal(user), code=two_factor.CODE, status=403)
        two_factor.check_code(user=user, code=body.otp, channel="api")
    key = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, key_hash=_hash(key), expires_at=token_expiry(user), scope=body.scope
        )
        record_login(user=user, channel="api")
    return {"token": key, "expires_at": token.expires_at, "scope": token.scope}


@router.delete("/auth/token", response={204: None}, summary="注销当前令牌")
def revoke_token(request: HttpRequest) -> Status[None]:
    header = request.headers.get("Authorization", "")
    key = header.removeprefix("Bearer ").strip()
    with transaction.atomic():
        deleted, _ = ApiToken.objects.filter(key_hash=_hash(key), user=request.user.pk).delete()
        if deleted:
            record_logout(user=request.user)  # type: ignore[arg-type]  # authenticated
    return Status(204, None)


class ApiTokenOut(Schema):
    """A token as its owner sees it: never the key (only its hash is stored)."""

    id: int
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    scope: str = Field(description="read 只读；full 全部权限")
    current: bool = Field(description="是否为本次请求所用的令牌")


def _presented_hash(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    return _hash(header.removeprefix("Bearer ").strip()) if header.startswith("Bearer ") else ""


@router.get(
    "/auth/tokens",
    response=list[ApiTokenOut],
    summary="令牌列表（本人；安全管理员可按用户名查看他人）",
)
def list_tokens(
    request: HttpRequest, username: Annotated[str, Query(max_length=150)] = ""
) -> list[dict[str, Any]]:
    """Own live tokens, newest first; `username` (the security administrator only) lists
    another user's."""
    owner: Any = request.user
    if username and username != request.user.get_username():
        if not request.user.has_perm("accounts.manage_tokens"):
            raise ServiceError("只有安全管理员可以查看他人的令牌。", code="forbidden", status=403)
        owner = get_object_or_404(User, username=username)
    presented = _presented_hash(request)
    return [
        {
            "id": t.pk,
            "created_at": t.created_at,
            "expires_at": t.expires_at,
            "last_used_at": t.last_used_at,
            "scope": t.scope,
            "current": t.key_hash == presented,
        }
        for t in tokens_of(owner)
    ]


@router.delete(
    "/auth/tokens/{token_id}",
    response={204: None},
    summary="注销一个令牌（本人或安全管理员，留痕）",
)
def revoke_token_by_id(
    request: HttpRequest,
    token_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    reason: Annotated[str, Query(max_length=500, description="注销他人的令牌时必填")] = "",
) -> Status[None]:
    """404 for a token the caller may not revoke: nobody learns of another's token."""
    token = ApiToken.objects.filter(pk=token_id).select_related("user").first()
    if token is None or not request.user.has_perm("accounts.revoke_token", token):
        raise ServiceError("令牌不存在。", code="not_found", status=404)
    revoke_one_token(actor=actor(request), token=token, reason=reason)
    return Status(204, None)


@router.get("/me", response=MeOut, summary="当前用户")
def me(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    return {
        "username": user.get_username(),
        "full_name": getattr(user, "full_name", ""),
        "roles": [{"role": r.value, "label": Role(r).label} for r in sorted(roles_of(user))],
    }


class IdNumberOut(Schema):
    id_number: str


class RevealIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "核对推荐材料中的身份信息"}]}
    )

    reason: str = ""


@router.post(
    "/individuals/{individual_id}/reveal-id-number",
    response=IdNumberOut,
    summary="查看完整身份证号码（办公室，留痕）",
)
def reveal(request: HttpRequest, individual_id: uuid.UUID, body: RevealIn) -> dict[str, str]:
    """Office staff only; every view of a full number is an audit event. A code no older than
    REAUTH_MINUTES, else one in the X-OTP header (accounts.two_factor)."""
    two_factor.require_fresh_otp(request)
    individual = get_object_or_404(Individual, public_id=individual_id)
    number = reveal_id_number(actor=actor(request), individual=individual, reason=body.reason)
    return {"id_number": number}


class OrganizationOut(Schema):
    uscc: str
    name: str
    registered_address: str
    industry_code: str
    established_on: dt.date | None
    legal_representative: str
    is_construction: bool
    is_industrial: bool
    environmental_rating: str
    chief_quality_officer: str


class OrganizationIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"registered_address": "如皋市如城街道示例路1号", "chief_quality_officer": "张华"}
            ]
        }
    )

    name: str | None = None
    registered_address: str | None = None
    industry_code: str | None = None
    established_on: dt.date | None = None
    legal_representative: str | None = None
    is_construction: bool | None = None
    is_industrial: bool | None = None
    environmental_rating: str | None = None
    chief_quality_officer: str | None = None


class ContactIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "username": "zhang_li",
                    "password": "Pw#2026abc",
                    "full_name": "张立",
                    "email": "zhangli@example.com",
                    "phone": "0513-87000000",
                }
            ]
        }
    )

    username: str
    password: str
    full_name: str
    email: str = ""
    phone: str = ""


def _own_organization(request: HttpRequest) -> Organization:
    ids = scopes_of(request.user).get(Role.APPLICANT, frozenset())
    return get_object_or_404(Organization, pk__in=ids)


@router.get("/organization", response=OrganizationOut, summary="本组织的登记信息（组织联系人）")
def organization(request: HttpRequest) -> Organization:
    return _own_organization(request)


@router.patch("/organization", response=OrganizationOut, summary="修改本组织的登记信息")
def update_organization_api(request: HttpRequest, body: OrganizationIn) -> Organization:
    changes = body.model_dump(exclude_unset=True)
    return update_organization(
        actor=actor(request), organization=_own_organization(request), **changes
    )


@router.post("/organization/contacts", response={201: MeOut}, summary="添加本组织的联系人")
def add_contact_api(request: HttpRequest, body: ContactIn) -> Status[dict[str, Any]]:
    user = add_contact(
        actor=actor(request), organization=_own_organization(request), **body.model_dump()
    )
    return Status(
        201,
        {
            "username": user.username,
            "full_name": user.full_name,
            "roles": [{"role": "applicant", "label": str(Role.APPLICANT.label)}],
        },
    )


class PasswordChangeIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"old_password": "Pw#2026abc", "new_password": "Nq7!river-Rugao"}]
        }
    )

    old_password: str = Field(..., min_length=1, max_length=1024, description="当前密码")
    new_password: str = Field(
        ...,
        min_length=1,
        max_length=1024,
        description="新密码：至少8个字符，含大写字母、小写字母、数字、符号中的至少三类，不含用户名",
    )


@router.post("/auth/password", response={204: None}, summary="修改本人密码")
def change_password(request: HttpRequest, body: PasswordChangeIn) -> Status[None]:
    """The caller's own password; 400 with `fields` when the current password is wrong or the
    new one breaks the rules. Audited (`accounts.password.change`, never the hash)."""
    change_own_password(
        user=actor(request),
        old_password=body.old_password,
        new_password=body.new_password,
        keep_token_hash=_presented_hash(request),
    )
    return Status(204, None)
