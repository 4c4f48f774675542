"""Self-registration (issue 15 part 5): the username rule stated in Chinese (no 500), mainland
phone formats, the privacy notice and consent, one answer whatever is registered (clashes go to
the Office), the email code that makes the account usable, throttling per source address."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from stdnum.cn import ric

from accounts import codes, privacy, registration
from accounts.admin import UserAddForm
from accounts.forms import ContactForm
from accounts.models import Individual, Notification, Organization, RecommendingUnit, User
from accounts.validators import USERNAME_RULE
from audit.models import AuditEvent
from lib import uscc
from tests.conftest import client_for

pytestmark = pytest.mark.req("A3.1")

PASSWORD = "Lantern#Grove7Quay"
ORG_URL = "/accounts/register/organization/"
PERSON_URL = "/accounts/register/individual/"
VERIFY_URL = "/accounts/register/verify/"


def _uscc(n: int) -> str:
    body = f"91320682MA1RG{n:04d}"[:17]
    return body + uscc.check_character(body)


def _id_number(sequence: int = 123) -> str:
    body = f"32068219850715{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum's takes the whole number


def org_form(n: int = 1, **changes: str) -> dict[str, Any]:
    unit = RecommendingUnit.objects.get(name="白蒲镇")
    return {
        "uscc": _uscc(n),
        "name": f"如皋注册示例{n}号有限公司",
        "registered_address": "如皋市白蒲镇示例路8号",
        "recommending_unit": str(unit.pk),
        "industry_code": "34",
        "established_on": "2015-04-01",
        "legal_representative": "周建",
        "is_industrial": "on",
        "environmental_rating": "blue",
        "chief_quality_officer": "吴敏",
        "contact_name": "孙丽",
        "username": f"reg_org{n}",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "phone": "139 0513 0001",
        "email": f"reg{n}@example.com",
        "privacy_consent": "on",
    } | changes


def person_form(**changes: str) -> dict[str, Any]:
    unit = RecommendingUnit.objects.get(name="如城街道")
    return {
        "name": "赵敏",
        "id_number": _id_number(),
        "position": "cqo",
        "employer_name": "如皋示例机械有限公司",
        "quality_work_years": "8",
        "recommending_unit": str(unit.pk),
        "username": "zhaomin",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "email": "zhaomin@example.com",
        "phone": "0513-87654321",
        "privacy_consent": "on",
        "sensitive_consent": "on",
    } | changes


def _code_sent_to(address: str) -> str:
    for message in reversed(mail.outbox):
        if address in message.to and message.subject == codes.SUBJECT:
            found = re.search(r"验证码为(\d{6})", str(message.body))
            assert found is not None
            return found.group(1)
    raise AssertionError(f"no code sent to {address}")


def _signs_in(username: str) -> bool:
    client = Client()
    client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})
    return "_auth_user_id" in client.session


def _field_errors(html: str, name: str) -> str:
    found = re.search(rf'id="{name}-errors">(.*?)</div></div>', html, re.S)
    return found.group(1) if found else ""


# --- 1. the username rule, stated and kept to ---------------------------------------------------


def test_the_username_rule_is_stated_beside_the_field(program: object) -> None:
    for url in (ORG_URL, PERSON_URL):
        html = Client().get(url).content.decode()
        assert USERNAME_RULE in html
        assert 'maxlength="30"' in html


@pytest.mark.parametrize(("username", "word"), [("bad name", "空格"), ("bad!name", "“!”")])
def test_a_username_with_a_space_or_a_bang_is_refused_beside_it_with_everything_kept(
    program: object, username: str, word: str
) -> None:
    """The issue: "Server Error (500)" and everything typed lost. Model validation in
    create_user was not caught (fixed in part 3); now the form says the rule first."""
    form = org_form(username=username)
    response = Client().post(ORG_URL, form)
    assert response.status_code == 400  # the form again, as every refused form here
    html = response.content.decode()
    assert word in _field_errors(html, "username")
    assert USERNAME_RULE in _field_errors(html, "username")
    for name in ("uscc", "name", "registered_address", "contact_name", "email", "username"):
        assert f'value="{form[name]}"' in html, name
    assert "139 0513 0001" in html
    assert 'name="is_industrial" class="form-check-input" id="id_is_industrial" checked' in html
    assert not Organization.objects.filter(uscc=form["uscc"]).exists()
    person = person_form(username=username)
    html = Client().post(PERSON_URL, person).content.decode()
    assert word in _field_errors(html, "username")
    assert f'value="{person["id_number"]}"' in html
    assert f'value="{person["employer_name"]}"' in html


@pytest.mark.parametrize(
    ("username", "word"),
    [("abc", "长度为3"), ("a" * 31, "长度为31"), ("9lives", "英文字母开头"), ("张三丰ab", "“张”")],
)
def test_the_rule_refuses_short_long_and_non_ascii_names(
    program: object, username: str, word: str
) -> None:
    html = Client().post(ORG_URL, org_form(username=username)).content.decode()
    assert word in _field_errors(html, "username")


def test_every_other_way_of_making_a_username_keeps_the_rule(
    organization: Organization, personas: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A contact added by an organization's contact (ContactForm, the page).
    contact = personas["applicant"]
    client = client_for(contact)
    response = client.post(
        reverse("accounts:add_contact"),
        {
            "full_name": "钱多",
            "username": "qian duo",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "phone": "139",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "用户名不能包含空格" in html
    assert "手机号码应为11位" in html
    assert 'value="钱多"' in html
    form = ContactForm(data={"full_name": "钱多", "username": "qian duo", "password1": "x"})
    assert not form.is_valid()
    assert USERNAME_RULE in form.errors["username"][0]
    # The system administrator's add form.
    admin_form = UserAddForm(data={"username": "qian!", "full_name": "钱多", "phone": "139"})
    assert not admin_form.is_valid()
    assert "“!”" in admin_form.errors["username"][0]
    assert "11位" in admin_form.errors["phone"][0]
    # The command (create_user, as the API).
    monkeypatch.setenv("ACCOUNT_PASSWORD", PASSWORD)
    with pytest.raises(CommandError, match="用户名不能包含空格"):
        call_command("create_account", "sec admin", "--role", "secadmin", stdout=None)


def _api(path: str, body: dict[str, Any], address: str = "127.0.0.1") -> Any:
    return Client(REMOTE_ADDR=address).post(
        f"/api/v1/registrations/{path}", body, content_type="application/json"
    )


def api_org(n: int, **changes: Any) -> dict[str, Any]:
    return {
        "uscc": _uscc(n),
        "name": f"接口注册示例{n}号有限公司",
        "recommending_unit": "白蒲镇",
        "username": f"api_org{n}",
        "password": PASSWORD,
        "contact_name": "李明",
        "email": f"api{n}@example.com",
        "privacy_consent": True,
    } | changes


def test_the_api_registration_refuses_a_bad_username_in_chinese(program: object) -> None:
    response = _api("organization", api_org(40, username="api user!"))
    assert response.status_code == 400
    body = response.json()
    assert "用户名不能包含空格" in body["message"]
    assert "username" in body["fields"]


def test_the_api_registration_needs_the_consent(program: object) -> None:
    response = _api("organization", api_org(41, privacy_consent=False))
    assert response.status_code == 400
    assert response.json()["fields"]["privacy_consent"] == [privacy.CONSENT_REQUIRED]
    person = {
        "name": "陈平",
        "id_number": _id_number(789),
        "recommending_unit": "如城街道",
        "position": "cqo",
        "quality_work_years": 15,
        "employer_name": "如皋示例机械有限公司",
        "username": "chen_ping",
        "password": PASSWORD,
        "email": "chenping@example.com",
        "privacy_consent": True,
    }
    response = _api("individual", person)
    assert response.json()["fields"]["sensitive_consent"] == [privacy.SENSITIVE_CONSENT_REQUIRED]
    assert not User.objects.filter(username__in=["api_org41", "chen_ping"]).exists()


def test_the_api_answers_a_clash_like_a_registration_and_confirms_by_code(
    program: object,
) -> None:
    first = _api("organization", api_org(42), "198.51.100.20")
    clash = _api("organization", api_org(43, uscc=_uscc(42)), "198.51.100.21")
    assert first.status_code == clash.status_code == 200
    assert first.json() == clash.json() == {"message": registration.sent_message()}
    assert not User.objects.filter(username="api_org43").exists()
    code = _code_sent_to("api42@example.com")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(2):  # a name that waits for no code answers like a wrong code
        a = _api("confirm", {"username": "api_org42", "code": wrong})
        b = _api("confirm", {"username": "api_org43", "code": wrong})
        assert a.status_code == b.status_code == 400
        assert a.json()["message"] == b.json()["message"]
    assert not _signs_in("api_org42")
    done = _api("confirm", {"username": "api_org42", "code": code})
    assert done.status_code == 201
    assert done.json() == {"username": "api_org42"}
    assert _signs_in("api_org42")


def test_the_api_registration_is_throttled_too(program: object) -> None:
    answers = [_api("organization", api_org(n), "203.0.113.30").status_code for n in range(50, 57)]
    assert answers == [200] * registration.REGISTER_LIMIT + [429, 429]
    refused = _api("organization", api_org(60), "203.0.113.30").json()
    assert refused["message"] == registration.THROTTLED


# --- 2. phones ----------------------------------------------------------------------------------


def test_the_phone_139_is_refused_and_a_good_one_is_kept_in_its_written_form(
    program: object,
) -> None:
    html = Client().post(ORG_URL, org_form(phone="139")).content.decode()
    assert "手机号码应为11位，您填写了3位" in _field_errors(html, "phone")
    html = Client().post(PERSON_URL, person_form(phone="0513-1234567")).content.decode()
    assert "不以0或1开头" in _field_errors(html, "phone")
    assert Client().post(ORG_URL, org_form(phone="+86 139-0513-0001")).status_code == 302
    assert User.objects.get(username="reg_org1").phone == "13905130001"


def test_objection_contact_and_expert_phone_use_the_same_formats() -> None:
    from decision.public_forms import ObjectionForm
    from experts.forms import ExpertForm

    def objection(contact: str) -> ObjectionForm:
        form = ObjectionForm(data={"name": "张三", "contact": contact}, entries=[])
        form.is_valid()
        return form

    assert objection("0513 8765 4321").cleaned_data["contact"] == "0513-87654321"
    assert objection("zhang@example.com").cleaned_data["contact"] == "zhang@example.com"
    assert "11位" in objection("139").errors["contact"][0]
    assert "电子邮箱" in objection("随便写写").errors["contact"][0]
    expert = ExpertForm(data={"phone": "139"})
    expert.is_valid()
    assert "11位" in expert.errors["phone"][0]
    expert = ExpertForm(data={"phone": "+86 13905131234"})
    expert.is_valid()
    assert "phone" not in expert.errors


# --- 5. the privacy notice and the consent ------------------------------------------------------


def test_the_privacy_notice_is_public_versioned_and_linked(program: object) -> None:
    response = Client().get("/privacy/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "个人信息保护声明" in html
    assert f"版本 {privacy.PRIVACY_NOTICE_VERSION}" in html
    for words in (
        "第十三条",
        "第二十九条",
        "第四十五条",
        "第四十七条",
        "SM4",
        "保存期限",
        "委员会办公室",
    ):
        assert words in html, words
    home = Client().get(reverse("programs:home")).content.decode()
    assert 'href="/privacy/"' in home  # the footer
    for url in (ORG_URL, PERSON_URL):
        page = Client().get(url).content.decode()
        assert privacy.CONSENT_LABEL in page
        assert 'href="/privacy/"' in page.split("个人信息保护</legend>")[1]  # beside the box
    assert privacy.SENSITIVE_CONSENT_LABEL in Client().get(PERSON_URL).content.decode()


def test_registration_without_consent_is_refused_with_the_reason(program: object) -> None:
    form = org_form()
    del form["privacy_consent"]
    html = Client().post(ORG_URL, form).content.decode()
    assert privacy.CONSENT_REQUIRED in _field_errors(html, "privacy_consent")
    person = person_form()
    del person["sensitive_consent"]
    html = Client().post(PERSON_URL, person).content.decode()
    assert "第二十九条" in _field_errors(html, "sensitive_consent")
    assert not User.objects.filter(username__in=["reg_org1", "zhaomin"]).exists()
    assert not mail.outbox


def test_the_consent_is_recorded_on_the_account_and_in_the_audit_event(program: object) -> None:
    Client().post(PERSON_URL, person_form())
    user = User.objects.get(username="zhaomin")
    assert user.privacy_notice_version == privacy.PRIVACY_NOTICE_VERSION
    assert user.privacy_consent_at is not None
    after = AuditEvent.objects.get(action="accounts.individual.register").after or {}
    assert after["privacy_notice_version"] == privacy.PRIVACY_NOTICE_VERSION
    assert after["sensitive_consent"] is True
    assert after["privacy_consent_at"]
    Client().post(ORG_URL, org_form())
    after = AuditEvent.objects.get(action="accounts.organization.register").after or {}
    assert after["privacy_notice_version"] == privacy.PRIVACY_NOTICE_VERSION


# --- 3. one answer whatever exists; the code ----------------------------------------------------


def test_an_organization_registers_proves_its_email_and_is_signed_in(program: object) -> None:
    client = Client()
    form = org_form()
    response = client.post(ORG_URL, form)
    assert response["Location"] == VERIFY_URL
    page = client.get(VERIFY_URL).content.decode()
    assert "我们已向您填写的邮箱发送验证码，请在15分钟内输入以完成注册" in page
    assert "r***@example.com" in page
    user = User.objects.get(username="reg_org1")
    assert not user.is_active  # unusable before the code
    assert not _signs_in("reg_org1")
    code = _code_sent_to(form["email"])
    wrong = client.post(VERIFY_URL, {"code": "000000" if code != "000000" else "111111"})
    assert wrong.status_code == 400
    assert "验证码不正确。还可尝试4次。" in wrong.content.decode()
    response = client.post(VERIFY_URL, {"code": code}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("intake:list")
    assert response.context["user"].username == "reg_org1"
    assert "注册完成" in response.content.decode()
    user.refresh_from_db()
    assert user.is_active
    assert user.email_verified_at is not None
    assert Organization.objects.get(uscc=form["uscc"]).recommending_unit.name == "白蒲镇"
    assert AuditEvent.objects.filter(action="accounts.registration.confirm", actor=user).exists()
    assert _signs_in("reg_org1")


def test_a_new_code_can_be_asked_for_and_voids_the_old_one(program: object) -> None:
    client = Client()
    form = org_form()
    client.post(ORG_URL, form)
    first = _code_sent_to(form["email"])
    response = client.post(VERIFY_URL, {"resend": "1"}, follow=True)
    assert "已重新发送验证码" in response.content.decode()
    second = _code_sent_to(form["email"])
    if first != second:
        assert client.post(VERIFY_URL, {"code": first}).status_code == 400
    assert client.post(VERIFY_URL, {"code": second})["Location"] == reverse("intake:list")


def _normalised(html: str, *typed: str) -> str:
    """The page without what differs on every request or was typed by the person."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = re.sub(r'"X-CSRFToken": "[^"]+"', "", html)
    for value in typed:
        html = html.replace(value, "")
    return html


def _register_and_verify_page(url: str, form: dict[str, Any], address: str) -> tuple[Any, Any]:
    client = Client(REMOTE_ADDR=address)
    posted = client.post(url, form)
    return posted, client.get(VERIFY_URL)


@pytest.mark.parametrize("clash", ["uscc", "username"])
def test_a_taken_code_or_username_answers_exactly_like_a_free_one(
    program: object, personas: dict[str, User], clash: str, django_capture_on_commit_callbacks: Any
) -> None:
    Client().post(ORG_URL, org_form(1))  # registered (pending) first
    mail.outbox.clear()
    free, free_page = _register_and_verify_page(ORG_URL, org_form(2), "198.51.100.1")
    taken_form = org_form(3, email="other@example.net")
    taken_form[clash] = org_form(1)[clash]
    with django_capture_on_commit_callbacks(execute=True):  # the email leaves on commit
        taken, taken_page = _register_and_verify_page(ORG_URL, taken_form, "198.51.100.2")
    assert (free.status_code, free["Location"]) == (taken.status_code, taken["Location"])
    assert free_page.status_code == taken_page.status_code == 200
    assert _normalised(free_page.content.decode(), "r***@example.com") == _normalised(
        taken_page.content.decode(), "o***@example.net"
    )
    # Nothing was created for the clash.
    assert not User.objects.filter(username="reg_org3").exists()
    assert not Organization.objects.filter(uscc=_uscc(3)).exists()
    # The address typed is told, in Chinese, what is taken and what to do.
    told = [m for m in mail.outbox if m.to == ["other@example.net"]]
    assert len(told) == 1
    if clash == "uscc":
        assert f"统一社会信用代码{_uscc(1)}已经注册过" in told[0].body
    else:
        assert "用户名“reg_org1”已被使用，请另选一个用户名" in told[0].body
    assert "如皋市质量发展委员会办公室" in told[0].body
    # The Office is told.
    office = personas["office"]
    note = Notification.objects.get(user=office, subject="注册冲突")
    assert ("统一社会信用代码" if clash == "uscc" else "用户名") in note.body
    assert "other@example.net" in note.body
    after = AuditEvent.objects.get(action="accounts.registration.clash").after or {}
    assert after["clash"] == [clash]


def test_a_taken_id_number_answers_like_a_free_one_and_the_office_sees_it_masked(
    program: object, personas: dict[str, User], django_capture_on_commit_callbacks: Any
) -> None:
    Client().post(PERSON_URL, person_form())
    mail.outbox.clear()
    free, free_page = _register_and_verify_page(
        PERSON_URL,
        person_form(id_number=_id_number(456), username="qianli", email="qianli@example.com"),
        "198.51.100.3",
    )
    with django_capture_on_commit_callbacks(execute=True):
        taken, taken_page = _register_and_verify_page(
            PERSON_URL,
            person_form(username="sunwei", email="sunwei@example.com"),
            "198.51.100.4",
        )
    assert (free.status_code, free["Location"]) == (taken.status_code, taken["Location"])
    assert _normalised(free_page.content.decode(), "q***@example.com") == _normalised(
        taken_page.content.decode(), "s***@example.com"
    )
    assert not User.objects.filter(username="sunwei").exists()
    assert Individual.objects.count() == 2
    number = _id_number()
    masked = number[:4] + "*" * 10 + number[-4:]
    told = next(m for m in mail.outbox if m.to == ["sunwei@example.com"])
    assert "身份证号码" in told.body
    assert "已经注册过" in told.body
    assert number not in told.body
    note = Notification.objects.get(user=personas["office"], subject="注册冲突")
    assert masked in note.body
    assert number not in note.body
    after = AuditEvent.objects.get(action="accounts.registration.clash").after or {}
    assert after["clash"] == ["id_number"]
    assert number not in str(after)


def test_after_a_clash_no_code_matches_and_the_refusals_are_those_of_a_wrong_code(
    program: object,
) -> None:
    Client().post(ORG_URL, org_form(1))
    real = Client(REMOTE_ADDR="198.51.100.5")
    real.post(ORG_URL, org_form(2))
    code = _code_sent_to("reg2@example.com")
    clash = Client(REMOTE_ADDR="198.51.100.6")
    clash.post(ORG_URL, org_form(3, uscc=_uscc(1)))
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(codes.MAX_ATTEMPTS + 1):
        a = real.post(VERIFY_URL, {"code": wrong})
        b = clash.post(VERIFY_URL, {"code": wrong})
        assert a.status_code == b.status_code == 400
        assert _field_errors(a.content.decode(), "code") == _field_errors(
            b.content.decode(), "code"
        )
    # Whatever code is typed on the clash's page, nothing is activated.
    assert clash.post(VERIFY_URL, {"code": code}).status_code == 400
    assert not User.objects.filter(username="reg_org3").exists()


# --- 4. throttling ------------------------------------------------------------------------------


def test_registrations_from_one_address_are_throttled_with_the_form_kept(program: object) -> None:
    """The issue: 25 registrations in 10 s from one address were all served."""
    answers = [
        Client(REMOTE_ADDR="203.0.113.9").post(ORG_URL, org_form(n)).status_code
        for n in range(1, 26)
    ]
    assert answers[: registration.REGISTER_LIMIT] == [302] * registration.REGISTER_LIMIT
    assert set(answers[registration.REGISTER_LIMIT :]) == {429}
    assert User.objects.filter(username__startswith="reg_org").count() == 5
    refused = Client(REMOTE_ADDR="203.0.113.9").post(ORG_URL, org_form(30))
    html = refused.content.decode()
    assert refused.status_code == 429
    assert "注册过于频繁，请稍后再试" in html
    assert f'value="{_uscc(30)}"' in html  # kept
    # Another address is not held back.
    assert Client(REMOTE_ADDR="203.0.113.10").post(ORG_URL, org_form(31)).status_code == 302


def test_a_form_with_errors_does_not_use_up_the_limit(program: object) -> None:
    client = Client(REMOTE_ADDR="203.0.113.11")
    for _ in range(registration.REGISTER_LIMIT + 2):
        assert client.post(ORG_URL, org_form(1, phone="139")).status_code == 400
    assert client.post(ORG_URL, org_form(1)).status_code == 302


def test_the_verify_page_without_a_registration_says_where_to_start(program: object) -> None:
    html = Client().get(VERIFY_URL).content.decode()
    assert "没有等待验证的注册" in html
    assert reverse("accounts:register_organization") in html
