"""The shell: health check, security headers, no inline code, every asset local."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import User
from programs.models import Cycle
from programs.services import publish_call
from tests.conftest import client_for


@pytest.mark.django_db
def test_healthz_checks_the_database() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"


def test_pages_send_a_strict_content_security_policy(cycle: Cycle, office: User) -> None:
    publish_call(actor=office, cycle=cycle)
    csp = Client().get(reverse("programs:home"))["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    assert "unsafe-inline" not in csp


def test_pages_have_no_inline_script_or_style(cycle: Cycle, office: User) -> None:
    publish_call(actor=office, cycle=cycle)
    for url in [
        reverse("programs:home"),
        reverse("programs:cycle_detail", args=[cycle.pk]),
        reverse("programs:calendar"),
        reverse("programs:cycle_list"),
    ]:
        html = client_for(office).get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert "<style" not in html, url
        assert not re.search(r"\sstyle=", html), url


@pytest.mark.req("A3.1")
def test_the_public_pages_include_the_privacy_notice(program: object) -> None:
    """个人信息保护法 第十七条: the notice is public (no sign-in), linked from every page's footer,
    strict like every page (no inline code), and names its version."""
    from accounts.privacy import PRIVACY_NOTICE_VERSION

    anonymous = Client()
    for url in [
        reverse("privacy"),
        reverse("accounts:register_organization"),
        reverse("accounts:register_individual"),
        reverse("accounts:register_verify"),
    ]:
        response = anonymous.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert f'href="{reverse("privacy")}"' in html, url  # the footer
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert not re.search(r"\sstyle=", html), url
    assert f"版本 {PRIVACY_NOTICE_VERSION}" in anonymous.get(reverse("privacy")).content.decode()


def test_no_template_or_asset_loads_from_another_host() -> None:
    root = Path(settings.BASE_DIR)
    offenders = [
        str(p)
        for p in [*root.glob("templates/**/*.html"), *root.glob("static/app/*")]
        if re.search(r"(src|href)=[\"']https?://", p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


@pytest.mark.req("A4.1")
def test_no_fee_is_ever_charged() -> None:
    """A4.1: no payment step exists: no URL, model field or API path about fees or payment."""
    from django.apps import apps
    from django.urls import get_resolver

    # "fee" as a word of an identifier (entry_fee, fees), not inside "feedback" (A28.1); a
    # payment only when it is not the bonus the government pays winners (A21.1, A22.1).
    words = re.compile(r"(?<![a-z])fees?(?![a-z])|(?<!bonus-)payment|pay_|收费|缴费", re.IGNORECASE)
    routes = [str(p.pattern) for p in get_resolver().url_patterns]
    fields = [f.name for m in apps.get_models() for f in m._meta.get_fields()]
    assert [r for r in routes if words.search(r)] == []
    assert [f for f in fields if words.search(f)] == []
    schema = Client().get("/api/v1/openapi.json").json()
    assert [p for p in schema["paths"] if words.search(p)] == []
