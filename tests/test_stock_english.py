"""No stock English on the pages people see (issue 16 part 7): the main forms rendered with
invalid input show their labels, help and every error in Chinese, never Django's English
("This field is required.", "Email", "Password"...)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Organization, User
from intake import services as intake
from intake.models import Application
from programs.models import Cycle
from tests.conftest import client_for
from tests.intake.conftest import complete_form, in_window, open_cycle, org  # noqa: F401

# Django's and its contrib apps' stock words and sentences, as whole words.
STOCK = re.compile(
    r"\b(?:This field|required|Enter a|Ensure|Select a|valid|Invalid|Email|E-mail|Password|"
    r"Username|Name|Submit|Please|characters|Currently|Change|Clear|Unknown|Yes|No|"
    r"password|username|email|match|too short|too common|entirely numeric|Error|error|"
    r"Not Found|Forbidden|Server Error|Bad Request|CSRF)\b"
)
READ_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")


class Readable(HTMLParser):
    """What a person reads: the text outside <script> and <style>, and the attributes read
    aloud or shown (placeholders, titles, labels for screen readers, button values)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if value and (
                name in READ_ATTRIBUTES
                or (name == "value" and dict(attrs).get("type") in ("submit", "button"))
            ):
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _stock_english(response: Any) -> list[str]:
    reader = Readable()
    reader.feed(response.content.decode())
    found = []
    for part in reader.parts:
        found += [m.group(0) for m in STOCK.finditer(part)]
    return found


def _assert_chinese(response: Any, status: int = 400) -> None:
    assert response.status_code == status, response.content.decode()[:500]
    assert _stock_english(response) == []


@pytest.mark.django_db
def test_the_sign_in_form(program: Any) -> None:
    url = reverse("accounts:login")
    _assert_chinese(Client().get(url), 200)
    response = Client().post(url, {"username": "", "password": ""})
    assert response.status_code in (200, 400)
    assert _stock_english(response) == []
    response = Client().post(url, {"username": "nobody", "password": "wrong"})
    assert _stock_english(response) == []


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["register_organization", "register_individual"])
def test_the_registration_forms(program: Any, name: str) -> None:
    url = reverse(f"accounts:{name}")
    assert _stock_english(Client().get(url)) == []
    bad = {
        "username": "a b",
        "password1": "123",
        "password2": "456",
        "email": "abc",
        "phone": "abc",
        "uscc": "abc",
        "id_number": "abc",
        "established_on": "yesterday",
        "quality_work_years": "many",
        "recommending_unit": "999999",
        "industry_code": "ZZ",
        "position": "king",
    }
    response = Client().post(url, bad)
    assert response.status_code in (200, 400)
    assert "is-invalid" in response.content.decode()
    assert _stock_english(response) == []


@pytest.mark.django_db
def test_the_password_forms(make_user: Any) -> None:
    client = client_for(make_user())
    url = reverse("accounts:password_change")
    assert _stock_english(client.get(url)) == []
    bad = {"old_password": "wrong", "new_password1": "123", "new_password2": "456"}
    response = client.post(url, bad)
    assert "is-invalid" in response.content.decode()
    assert _stock_english(response) == []
    response = Client().post(reverse("accounts:password_reset"), {"username": "", "channel": "x"})
    assert _stock_english(response) == []
    response = Client().post(
        reverse("accounts:password_reset_confirm"),
        {"username": "", "code": "x", "new_password1": "123", "new_password2": "456"},
    )
    assert _stock_english(response) == []


@pytest.mark.django_db
def test_the_application_edit_form(open_cycle: Cycle, org: Organization, personas: Any) -> None:  # noqa: F811
    applicant: User = personas["applicant"]
    application: Application = intake.start_application(
        actor=applicant, cycle=open_cycle, organization=org
    )
    intake.save_draft(actor=applicant, application=application, data=complete_form())
    client = client_for(applicant)
    url = reverse("intake:edit", args=[application.public_id])
    assert _stock_english(client.get(url)) == []
    bad = {
        "contact_name": "",
        "contact_phone": "abc",
        "employees": "many",
        "gbt19580_since": "x",
        "figures.0.revenue": "lots",
        "figures.0.year": "last",
        "declarations.no_accident.holds": "maybe",
        "self_evaluation.P1.percent": "200",
    }
    response = client.post(url, bad)
    assert _stock_english(response) == []


@pytest.mark.django_db
def test_the_expert_form(office: User) -> None:
    client = client_for(office)
    url = reverse("experts:add")
    assert _stock_english(client.get(url)) == []
    bad = {
        "name": "",
        "id_number": "abc",
        "phone": "abc",
        "email": "abc",
        "category": "wizard",
        "industries": ["99"],
        "practice_years": "many",
        "training_on": "someday",
        "max_load": "-1",
        "status": "gone",
        "employer_since": "x",
    }
    response = client.post(url, bad)
    assert "is-invalid" in response.content.decode()
    assert _stock_english(response) == []
