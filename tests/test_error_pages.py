"""The error pages (issue 16 part 7): 400, 403, 404, 500 and the CSRF failure in Chinese, in
the site's layout, with a way back and a reference number that is logged; the 500 page even
when the layout cannot render; JSON for the API."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.template import engines
from django.test import Client
from django.urls import path, reverse

from accounts.models import Role
from config import urls as site_urls
from tests.conftest import client_for

# This module is also the URLconf of the tests marked `urls`: the site's, plus views that fail.
handler400 = site_urls.handler400
handler403 = site_urls.handler403
handler404 = site_urls.handler404
handler500 = site_urls.handler500


def _boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("simulated failure")


def _forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("只有质量发展委员会办公室可以查看此页面。")


def _forbidden_english(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("You do not have permission")


def _missing(request: HttpRequest) -> HttpResponse:
    raise Http404("No Objection matches the given query.")


def _suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("Invalid HTTP_HOST header")


urlpatterns = [
    path("test-errors/boom/", _boom),
    path("test-errors/forbidden/", _forbidden),
    path("test-errors/forbidden-english/", _forbidden_english),
    path("test-errors/missing/", _missing),
    path("test-errors/bad/", _suspicious),
    path("api/v1/test-errors/boom/", _boom),
    *site_urls.urlpatterns,
]

STOCK_ENGLISH = ("Not Found", "Forbidden", "Server Error", "Bad Request", "CSRF", "Page not found")
# The reference is the request id (issue 17, config/observability.py): the minute, then 40 bits.
REFERENCE = re.compile(
    r'class="qa-error-reference font-monospace">(\d{10}-[0-9A-Z]{4}-[0-9A-Z]{4})<'
)


def _reference(response: Any) -> str:
    html = response.content.decode()
    match = REFERENCE.search(html)
    assert match is not None, html[:2000]
    assert response["X-Reference"] == match.group(1)
    assert response["X-Request-ID"] == match.group(1)  # one number for both
    return match.group(1)


def _chinese_page(response: Any, status: int, title: str) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert f"<title>{title} · 质量奖评审管理系统</title>" in html
    assert f"错误代码 {status}" in html
    assert "返回首页" in html
    assert "参考编号" in html
    assert "市长质量奖评审管理系统" in html  # the site's header
    text = re.sub(r"<[^>]*>", " ", html)  # what is read, not the markup
    for english in STOCK_ENGLISH:
        assert english not in text
    return html


@pytest.mark.django_db
def test_the_404_page_is_chinese_with_a_way_back_and_a_logged_reference(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="config.errors"):
        response = Client().get("/no-such-page/", HTTP_REFERER="http://testserver/help/")
    html = _chinese_page(response, 404, "页面不存在")
    assert "您要找的页面不存在" in html
    assert '<a class="btn btn-primary" href="/help/">返回上一页</a>' in html
    assert "进入我的工作台" not in html  # not signed in
    assert 'href="/accounts/login/' in html  # the layout's 登录 button
    reference = _reference(response)
    (entry,) = [r for r in caplog.records if reference in r.getMessage()]
    assert "/no-such-page/" in entry.getMessage()
    assert entry.exc_info is None


@pytest.mark.django_db
def test_a_signed_in_user_is_offered_the_workbench(make_user: Any) -> None:
    client = client_for(make_user(Role.INDIVIDUAL))
    html = _chinese_page(client.get("/no-such-page/"), 404, "页面不存在")
    assert f'href="{reverse("accounts:dashboard")}">进入我的工作台</a>' in html
    assert "返回上一页" not in html  # no previous page to go back to


@pytest.mark.django_db
def test_a_previous_page_elsewhere_is_not_offered() -> None:
    response = Client().get("/no-such-page/", HTTP_REFERER="https://evil.example/phish")
    assert "返回上一页" not in _chinese_page(response, 404, "页面不存在")
    response = Client().get("/no-such-page/", HTTP_REFERER="javascript:alert(1)")
    assert "返回上一页" not in _chinese_page(response, 404, "页面不存在")


@pytest.mark.django_db
def test_each_request_gets_its_own_reference() -> None:
    first = _reference(Client().get("/no-such-page/"))
    second = _reference(Client().get("/no-such-page/"))
    assert first != second


@pytest.mark.django_db
def test_a_real_refusal_is_the_chinese_403(make_user: Any) -> None:
    client = client_for(make_user(Role.INDIVIDUAL))
    response = client.get(reverse("programs:cycle_list"))
    html = _chinese_page(response, 403, "无权访问")
    assert "您没有访问此页面或执行此操作的权限" in html
    _reference(response)
    # The refusal's audit event carries the reference the person reads: the Office finds it.
    from audit.models import AuditEvent

    event = AuditEvent.objects.filter(action="access.denied").latest("seq")
    assert event.after is not None
    assert event.after["error_reference"] == response["X-Reference"]


@pytest.mark.django_db
@pytest.mark.urls("tests.test_error_pages")
def test_a_refusal_shows_its_chinese_reason_never_an_english_one() -> None:
    html = _chinese_page(Client().get("/test-errors/forbidden/"), 403, "无权访问")
    assert "只有质量发展委员会办公室可以查看此页面。" in html
    html = _chinese_page(Client().get("/test-errors/forbidden-english/"), 403, "无权访问")
    assert "You do not have permission" not in html
    html = _chinese_page(Client().get("/test-errors/missing/"), 404, "页面不存在")
    assert "No Objection matches" not in html


@pytest.mark.django_db
@pytest.mark.urls("tests.test_error_pages")
def test_a_bad_request_is_the_chinese_400() -> None:
    html = _chinese_page(Client().get("/test-errors/bad/"), 400, "请求有误")
    assert "Invalid HTTP_HOST" not in html


@pytest.mark.django_db
@pytest.mark.urls("tests.test_error_pages")
def test_a_server_error_is_the_chinese_500_with_the_reference_logged_with_the_exception(
    caplog: pytest.LogCaptureFixture, make_user: Any
) -> None:
    client = client_for(make_user(Role.INDIVIDUAL))
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="config.errors"):
        response = client.get("/test-errors/boom/")
    html = _chinese_page(response, 500, "系统出错")
    assert "simulated failure" not in html
    assert "RuntimeError" not in html
    assert "进入我的工作台" in html  # the layout rendered, with the user
    reference = _reference(response)
    (entry,) = [r for r in caplog.records if reference in r.getMessage()]
    assert entry.levelno == logging.ERROR
    assert entry.exc_info is not None
    assert entry.exc_info[0] is RuntimeError
    assert "/test-errors/boom/" in entry.getMessage()


@pytest.mark.django_db
@pytest.mark.urls("tests.test_error_pages")
def test_the_500_page_renders_when_the_layout_cannot(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The database down: the context processors fail; the self-contained page still says
    what happened, with the reference."""

    def broken(request: HttpRequest) -> dict[str, Any]:
        raise RuntimeError("database unavailable")

    engine = engines["django"].engine  # type: ignore[attr-defined]
    monkeypatch.setattr(engine, "template_context_processors", (broken,))
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="config.errors"):
        response = client.get("/test-errors/boom/")
    html = _chinese_page(response, 500, "系统出错")
    assert "登录" not in html  # the plain page: no user, no navigation
    assert "database unavailable" not in html
    _reference(response)
    assert any("改用简版" in r.getMessage() for r in caplog.records)


@pytest.mark.django_db
def test_a_refused_form_is_the_chinese_csrf_page() -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("accounts:login"),
        {"username": "someone", "password": "x"},
        HTTP_REFERER="http://testserver/accounts/login/",
    )
    html = _chinese_page(response, 403, "页面已失效")
    assert "请返回上一页，刷新页面后重新填写提交" in html
    assert 'href="/accounts/login/">返回上一页</a>' in html
    _reference(response)


@pytest.mark.django_db
@pytest.mark.urls("tests.test_error_pages")
def test_the_api_answers_json_not_pages() -> None:
    response = Client().get("/api/v1/no-such-operation")
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "not_found"
    assert body["reference"] == response["X-Reference"]
    assert "<html" not in response.content.decode()
    response = Client(raise_request_exception=False).get("/api/v1/test-errors/boom/")
    assert response.status_code == 500
    assert response.json()["code"] == "server_error"
    assert "simulated failure" not in response.content.decode()
    # An operation's own 404 (get_object_or_404) in the API's format, in Chinese.
    response = Client().get("/api/v1/notices/2031")
    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "message": "请求的对象不存在。",
        "article": None,
        "fields": {},
    }
    # ninja's own refusals stay as they were.
    response = Client().get("/api/v1/applications")
    assert response.status_code in (401, 403)
    assert response["Content-Type"].startswith("application/json")


def test_the_site_uses_these_handlers(settings: Any) -> None:
    assert (site_urls.handler400, site_urls.handler403) == (
        "config.errors.bad_request",
        "config.errors.permission_denied",
    )
    assert (site_urls.handler404, site_urls.handler500) == (
        "config.errors.page_not_found",
        "config.errors.server_error",
    )
    assert settings.CSRF_FAILURE_VIEW == "config.errors.csrf_failure"
