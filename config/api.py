"""The JSON API at /api/v1/: a second thin face over the same services as the pages.

Errors are JSON `{"code", "message", "article", "fields"}` (DESIGN.md, "API conventions").
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import django_auth

from accounts.api import TokenAuth
from accounts.api import router as accounts_router
from decision.api import router as decision_router
from experts.api import router as experts_router
from intake.api import router as intake_router
from lib.errors import ServiceError
from programs.api import router as programs_router
from review.api import router as review_router
from supervision.api import router as supervision_router

api = NinjaAPI(
    title="市长质量奖评审管理系统 API",
    version="1",
    openapi_url="/openapi.json",
    # ninja's Swagger page needs an inline script (blocked by our CSP) and, outside
    # INSTALLED_APPS, a CDN: the schema is published, the page is not.
    docs_url=None,
    auth=[TokenAuth(), django_auth],
    urls_namespace="api",
)


def _error(request: HttpRequest, status: int, **body: Any) -> HttpResponse:
    payload = {"code": "error", "message": "", "article": None, "fields": {}} | body
    return api.create_response(request, payload, status=status)


@api.exception_handler(ServiceError)
def service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "payload")]
        name = ".".join(loc) or "body"
        fields.setdefault(name, []).append(err.get("msg", "无效"))
    return _error(request, 422, code="invalid", message="提交的数据不符合要求。", fields=fields)


@api.exception_handler(AuthenticationError)
def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, code="unauthenticated", message="请先登录或提供有效的令牌。")


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, code="http_error", message=str(exc))


api.add_router("/", accounts_router)
api.add_router("/", programs_router)
api.add_router("/", intake_router)
api.add_router("/", experts_router)
api.add_router("/", review_router)
api.add_router("/", decision_router)
api.add_router("/", supervision_router)
