"""The error pages (issue 16 part 7): 400, 403, 404, 500 and the CSRF failure, in Chinese, in
the site's layout, each with a way back (首页, 返回上一页, the workbench for a signed-in user)
and a reference number (参考编号) the Office can quote.

The reference is the request's id (issue 17, config/observability.py): the local time to
the minute and eight random characters (``2612051030-7KQ3-XZ4M``), the ``request_id`` of every
log line written while the request was served and the response's ``X-Request-ID``. It is
logged here too (logger ``config.errors``) with the method, the path and the user, and for a
500 with the exception's traceback, so the administrator finds the entries from the number a
user reads out. The response carries it in the header ``X-Reference`` as well (a refusal's
audit event keeps it as ``error_reference``).

A page that fails to render in the site's layout (a 500 while the database is down: the
layout asks for the user, the navigation, the messages) falls back to a self-contained page
that needs neither the database nor a context processor (``errors/plain.html``). The API
(``/api/v1/``) answers JSON in its error format (``{"code", "message", "article",
"fields"}``, plus ``reference``), never a page.
"""

from __future__ import annotations

import logging
import sys
from typing import Any
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.urls import reverse
from django.utils import timezone

from .observability import request_id

log = logging.getLogger(__name__)

API_PREFIX = "/api/"


# What each page says: its title, what happened, what to do (the page names the status too).
PAGES: dict[int | str, dict[str, str]] = {
    400: {
        "code": "bad_request",
        "title": "请求有误",
        "lead": "服务器无法处理这次请求：提交的内容不完整或格式不正确。",
        "hint": "请返回上一页，检查填写的内容后重新提交。",
    },
    403: {
        "code": "forbidden",
        "title": "无权访问",
        "lead": "您没有访问此页面或执行此操作的权限。",
        "hint": "如果您认为应当有权访问，请确认登录的是正确的账号，或联系质量发展委员会办公室。",
    },
    404: {
        "code": "not_found",
        "title": "页面不存在",
        "lead": "您要找的页面不存在，可能已被删除，或地址输入有误。",
        "hint": "请检查地址，或从首页重新进入。",
    },
    500: {
        "code": "server_error",
        "title": "系统出错",
        "lead": "服务器处理您的请求时出错，本次操作可能没有完成。",
        "hint": "请稍后重试。如果问题仍然存在，请将下方的参考编号告知质量发展委员会办公室。",
    },
    "csrf": {
        "code": "csrf_failed",
        "title": "页面已失效",
        "lead": (
            "为保护您的账号安全，本次提交未被接受：页面停留时间过长，或浏览器未保存本站的Cookie。"
        ),
        "hint": "请返回上一页，刷新页面后重新填写提交；如浏览器禁用了Cookie，请先启用。",
    },
}


# What is left when not even a template renders (the template directory is unreadable).
_LAST_RESORT = (
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>{title} · 质量奖评审管理系统</title></head><body>"
    "<h1>{title}</h1><p>{lead}</p><p>参考编号：{ref}</p>"
    '<p><a href="/">返回首页</a></p></body></html>'
)


def reference(request: HttpRequest | None = None) -> str:
    """The request's reference number: its request id (config/observability.py), the same
    number as the response's X-Request-ID and every log line of the request."""
    return request_id(request)


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _detail(exception: BaseException | None) -> str:
    """The refusal's own words when they are written for people (Chinese); Django's and the
    libraries' English internals ("No Objection matches the given query.") are never shown."""
    text = str(exception.args[0]).strip() if exception is not None and exception.args else ""
    return text if text and _has_chinese(text) and len(text) <= 300 else ""


def _back(request: HttpRequest) -> str:
    """The previous page of this site (the Referer), if it is one and not this very page."""
    referer = str(request.META.get("HTTP_REFERER") or "")
    if not referer:
        return ""
    parts = urlsplit(referer)
    if parts.netloc and parts.netloc != request.get_host():
        return ""
    if parts.scheme and parts.scheme not in ("http", "https"):
        return ""
    if parts.path == request.path and request.method == "GET":
        return ""  # this very page (a refused form's own page is where to go back to)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _user(request: HttpRequest) -> Any:
    try:
        user = getattr(request, "user", None)
        return user if user is not None and user.is_authenticated else None
    except Exception:  # the database is down: the page is shown without the user
        return None


def _log(request: HttpRequest, status: int | str, ref: str, user: Any, *, exc: bool) -> None:
    who = f"user={getattr(user, 'pk', '')}" if user is not None else "anonymous"
    message = "错误页 %s 参考编号 %s：%s %s（%s）"
    args = (status, ref, request.method, request.path[:500], who)
    if exc:
        log.error(message, *args, exc_info=sys.exc_info()[0] is not None)
    else:
        log.warning(message, *args)


def _links(user: Any) -> dict[str, str]:
    links = {"home": "/"}
    try:
        links["home"] = reverse("programs:home")
        if user is not None:
            links["workbench"] = reverse("accounts:dashboard")
    except Exception:  # a broken URL configuration: the plain links still work
        log.exception("错误页的链接无法生成")
    return links


def _json(status: int, page: dict[str, str], ref: str, detail: str) -> JsonResponse:
    body: dict[str, Any] = {
        "code": page["code"],
        "message": detail or page["lead"],
        "article": None,
        "fields": {},
        "reference": ref,
    }
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    response["X-Reference"] = ref
    return response


def render_error(
    request: HttpRequest,
    status: int,
    *,
    kind: int | str | None = None,
    exception: BaseException | None = None,
    in_layout: bool = True,
) -> HttpResponse:
    """The error page for `status` (`kind` picks the text when it differs: "csrf")."""
    page = PAGES[kind if kind is not None else status]
    ref = reference(request)
    user = _user(request)
    _log(request, kind or status, ref, user, exc=status == 500)
    detail = _detail(exception)
    if request.path.startswith(API_PREFIX):
        return _json(status, page, ref, detail)
    context = {
        "status": status,
        "page": page,
        "detail": detail,
        "reference": ref,
        "back": _back(request),
        "links": _links(user),
        "moment": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
    }
    html: str | None = None
    if in_layout:
        try:
            html = loader.render_to_string("errors/error.html", context, request)
        except Exception:
            log.exception("错误页 %s 参考编号 %s：按网站版式显示失败，改用简版", status, ref)
    if html is None:
        try:  # no request: no context processor, no database
            html = loader.render_to_string("errors/plain.html", context)
        except Exception:
            log.exception("错误页 %s 参考编号 %s：简版也无法显示", status, ref)
            html = _LAST_RESORT.format(title=page["title"], lead=page["lead"], ref=ref)
    response = HttpResponse(html, status=status)
    response["X-Reference"] = ref
    response["Cache-Control"] = "no-store"
    return response


def bad_request(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    return render_error(request, 400, exception=None)  # a 400's text is never for people


def permission_denied(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    return render_error(request, 403, exception=exception)


def page_not_found(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    return render_error(request, 404, exception=exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page: in the layout when it renders (the user's workbench link); otherwise the
    self-contained page. Nothing of the exception is shown, only the reference."""
    return render_error(request, 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """settings.CSRF_FAILURE_VIEW: the form's security token was missing or stale (a page left
    open past the session, cookies refused). Django's reason is logged, not shown."""
    log.info("CSRF 校验失败：%s %s（%s）", request.method, request.path[:500], reason)
    return render_error(request, 403, kind="csrf")
