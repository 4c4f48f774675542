"""The JSON API at /api/v1/: a second thin face over the same services as the pages.

Errors are JSON `{"code", "message", "article", "fields"}` (DESIGN.md, "API conventions").
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation
from ninja.parser import Parser
from ninja.security import django_auth

from accounts.api import TokenAuth, anonymous
from accounts.api import router as accounts_router
from accounts.selectors import held_program_ids
from decision.api import router as decision_router
from experts.api import router as experts_router
from intake.api import router as intake_router
from lib.errors import ServiceError
from lib.params import NUL_MESSAGE, has_nul
from lib.tenancy import using_program
from programs.api import router as programs_router
from programs.models import AwardProgram
from review.api import router as review_router
from supervision.api import router as supervision_router


class RefusedBody(ServiceError):
    """A JSON body the API will not read: not JSON, or holding the NUL character."""


class NoNulParser(Parser):
    """The one reader of every JSON body: a string holding the NUL character (a value or a
    key, at any depth) is refused with 422 before any operation sees it, since PostgreSQL can
    store it in neither text nor JSON (a server error). Paths, query strings and form fields
    (multipart uploads too) are refused earlier, for pages and API alike, by
    `lib.params.RefuseNulMiddleware`."""

    def parse_body(self, request: HttpRequest) -> Any:
        try:
            data = json.loads(request.body)
        except ValueError as exc:  # JSONDecodeError, or bytes that are not UTF-8
            raise RefusedBody("请求体不是有效的JSON。", code="bad_json") from exc
        if has_nul(data):
            raise RefusedBody(NUL_MESSAGE, status=422)
        return data


class Schema(OpenAPISchema):
    def operation_security(self, operation: Operation) -> list[dict[str, Any]] | None:
        """A public read that still recognizes a signed-in caller (`accounts.api.anonymous` in
        its list) declares the empty requirement among its alternatives: OpenAPI's way of
        saying that no credentials are needed (a generated client then sends none)."""
        security = super().operation_security(operation)
        if security and anonymous in operation.auth_callbacks:
            return [{}, *security]
        return security


class Api(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return Schema(self, path_prefix)


api = Api(
    title="市长质量奖评审管理系统 API",
    version="1",
    openapi_url="/openapi.json",
    # ninja's Swagger page needs an inline script (blocked by our CSP) and, outside
    # INSTALLED_APPS, a CDN: the schema is published, the page is not.
    docs_url=None,
    auth=[TokenAuth(), django_auth],
    urls_namespace="api",
    parser=NoNulParser(),
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


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    # ninja's own answer is {"detail": "Not Found"}: the API's format and Chinese instead.
    return _error(request, 404, code="not_found", message="请求的对象不存在。")


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # ninja wraps whatever the parser raised into a 400 "Cannot parse request body".
    if isinstance(exc.__cause__, ServiceError):
        return service_error(request, exc.__cause__)
    return _error(request, exc.status_code, code="http_error", message=str(exc))


def in_named_program(operation: Callable[..., Any]) -> Callable[..., Any]:
    """`?program=<slug>` on any operation: act in that program (decision 0030, item 1). Without
    it the caller acts where the middleware put them: a program's staff in their (first)
    program, everyone else (visitors, applicants, experts) in the default one. Staff may name
    only a program they hold a role in; an unknown slug, or another program for staff, is 404
    (its existence is not disclosed). Applied after authentication, so a token's holder is
    known."""

    @functools.wraps(operation)
    def run(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        slug = request.GET.get("program", "")
        if not slug:
            return operation(request, *args, **kwargs)
        program = AwardProgram.objects.filter(slug=slug[:50]).first()
        held = held_program_ids(request.user) if request.user.is_authenticated else frozenset()
        if program is None or (held and program.pk not in held):
            raise Http404("没有这个奖项。")
        with using_program(program):
            return operation(request, *args, **kwargs)

    return run


api.add_decorator(in_named_program)
api.add_router("/", accounts_router)
api.add_router("/", programs_router)
api.add_router("/", intake_router)
api.add_router("/", experts_router)
api.add_router("/", review_router)
api.add_router("/", decision_router)
api.add_router("/", supervision_router)
