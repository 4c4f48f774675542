"""The pages of 申报推荐 and 资格审查: registration, the 申报表, the application's page, the
reviewers' actions, downloads and the inbox, each for the role that uses it."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import InMemoryUploadedFile, TemporaryUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Individual, Notification, Organization, RecommendingUnit, Role, User
from audit.models import AuditEvent
from intake import services
from intake.models import Application, Attachment, State
from lib import uscc
from programs.models import Cycle
from tests.conftest import client_for
from tests.intake.conftest import CST, complete_form

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64
RECORDS = ("spot_checks", "accidents", "violations", "awards")


def as_post(data: dict[str, Any]) -> dict[str, str]:
    """A form document as the edit page posts it (inputs named by their schema location)."""
    post: dict[str, str] = {}
    for key in ("contact_name", "contact_phone", "summary", "employees", "gbt19580_since"):
        if data.get(key) is not None:
            post[key] = str(data[key])
    for i, row in enumerate(data.get("figures", [])):
        for col, value in row.items():
            post[f"figures.{i}.{col}"] = str(value)
    for key in RECORDS:
        for i, row in enumerate(data.get(key, [])):
            for col, value in row.items():
                text = {True: "true", False: "false"}.get(value, value)
                post[f"{key}.{i}.{col}"] = str(text)
    for key, d in data.get("declarations", {}).items():
        if d.get("holds") is not None:
            post[f"declarations.{key}.holds"] = "true" if d["holds"] else "false"
        post[f"declarations.{key}.note"] = d.get("note", "")
    for code, entry in data.get("self_evaluation", {}).items():
        post[f"self_evaluation.{code}.text"] = entry.get("text", "")
        if entry.get("percent") is not None:
            post[f"self_evaluation.{code}.percent"] = str(entry["percent"])
    return post


def _messages(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def _org(name: str, unit: str = "如城街道", body: str = "91320682MA1PG") -> Organization:
    n = Organization.objects.count()
    code = f"{body}{n:04d}"[:17]
    return Organization.objects.create(
        uscc=code + uscc.check_character(code),
        name=name,
        recommending_unit=RecommendingUnit.objects.get(name=unit),
        chief_quality_officer="张华",
    )


@pytest.fixture
def submitted(draft: Application, applicant: User) -> Application:
    services.submit_application(actor=applicant, application=draft)
    return draft


@pytest.fixture
def recommended(submitted: Application, personas: dict[str, User]) -> Application:
    services.recommend_application(
        actor=personas["recommender"], application=submitted, opinion="同意推荐。"
    )
    return submitted


def _url(name: str, application: Application, *args: Any) -> str:
    return reverse(f"intake:{name}", args=[application.public_id, *args])


# --- registration -----------------------------------------------------------------------------


ORG_FORM = {
    "name": "如皋注册示例有限公司",
    "registered_address": "如皋市白蒲镇示例路8号",
    "industry_code": "34",
    "established_on": "2015-04-01",
    "legal_representative": "周建",
    "is_industrial": "on",
    "environmental_rating": "blue",
    "chief_quality_officer": "吴敏",
    "contact_name": "孙丽",
    "username": "reg_org",
    "password1": "Lantern#Grove7Quay",
    "password2": "Lantern#Grove7Quay",
    "phone": "13800000001",
    "email": "reg@example.com",
    "privacy_consent": "on",
}


def _enter_emailed_code(client: Client, email: str) -> Any:
    """Registration ends on the code sent to the email (accounts.registration): enter it."""
    from django.core import mail

    body = next(str(m.body) for m in reversed(mail.outbox) if email in m.to)
    code = re.search(r"验证码为(\d{6})", body)
    assert code is not None
    return client.post(reverse("accounts:register_verify"), {"code": code[1]}, follow=True)


def _code(body: str = "91320682MA1RG0001") -> str:
    return body[:17] + uscc.check_character(body[:17])


@pytest.mark.req("A2.1")
def test_organization_registers_and_is_signed_in(program: object) -> None:
    client = Client()
    unit = RecommendingUnit.objects.get(name="白蒲镇")
    page = client.get(reverse("accounts:register_organization"))
    assert page.status_code == 200
    assert "白蒲镇" in page.content.decode()
    response = client.post(
        reverse("accounts:register_organization"),
        ORG_FORM | {"uscc": _code(), "recommending_unit": unit.pk},
    )
    assert response["Location"] == reverse("accounts:register_verify")
    response = _enter_emailed_code(client, ORG_FORM["email"])
    assert response.redirect_chain[-1][0] == reverse("intake:list")
    assert "邮箱已验证，注册完成" in response.content.decode()
    assert response.context["user"].username == "reg_org"
    org = Organization.objects.get(uscc=_code())
    assert (org.recommending_unit, org.is_industrial, org.environmental_rating) == (
        unit,
        True,
        "blue",
    )
    assert AuditEvent.objects.filter(action="accounts.organization.register").count() == 1


@pytest.mark.req("A2.1")
def test_registration_errors_stand_next_to_their_fields(program: object) -> None:
    unit = RecommendingUnit.objects.get(name="白蒲镇")
    bad_code = _code()[:-1] + ("0" if _code()[-1] != "0" else "1")
    url = reverse("accounts:register_organization")
    response = Client().post(url, ORG_FORM | {"uscc": bad_code, "recommending_unit": unit.pk})
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'id="uscc-errors"><div>[^<]*校验', html)
    assert 'aria-describedby="uscc-errors"' in html
    assert f'value="{bad_code}"' in html  # kept for correction
    mismatch = Client().post(
        url, ORG_FORM | {"uscc": _code(), "recommending_unit": unit.pk, "password2": "Other#2026"}
    )
    assert re.search(r'id="password2-errors"><div>两次输入的密码不一致', mismatch.content.decode())
    weak = Client().post(
        url,
        ORG_FORM
        | {"uscc": _code(), "recommending_unit": unit.pk, "password1": "abc", "password2": "abc"},
    )
    assert re.search(r'id="password1-errors"><div>', weak.content.decode())
    assert not Organization.objects.filter(name=ORG_FORM["name"]).exists()


def test_a_registered_code_is_not_told_on_the_page(organization: Organization) -> None:
    """Enumeration resistance (tests/accounts/test_registration.py): the same next page as a
    free code, nothing created, the email typed is told instead."""
    unit = RecommendingUnit.objects.get(name="如城街道")
    response = Client().post(
        reverse("accounts:register_organization"),
        ORG_FORM | {"uscc": organization.uscc, "recommending_unit": unit.pk},
    )
    assert response["Location"] == reverse("accounts:register_verify")
    assert not User.objects.filter(username="reg_org").exists()


@pytest.mark.req("A2.1")
def test_individual_registers_and_sees_the_number_masked(open_cycle: Cycle) -> None:
    client = Client()
    unit = RecommendingUnit.objects.get(name="如城街道")
    response = client.post(
        reverse("accounts:register_individual"),
        {
            "name": "赵敏",
            "id_number": "11010519491231002X",
            "position": "cqo",
            "employer_name": "如皋示例机械有限公司",
            "quality_work_years": "8",
            "recommending_unit": unit.pk,
            "username": "zhaomin",
            "password1": "Lantern#Grove7Quay",
            "password2": "Lantern#Grove7Quay",
            "email": "zhaomin@example.com",
            "privacy_consent": "on",
            "sensitive_consent": "on",
        },
    )
    assert response["Location"] == reverse("accounts:register_verify")
    _enter_emailed_code(client, "zhaomin@example.com")
    person = Individual.objects.get(name="赵敏")
    list_page = client.get(reverse("intake:list")).content.decode()
    assert "以“赵敏”名义申报2026年度" in list_page
    response = client.post(reverse("intake:start"), {"as": "individual"})
    application = Application.objects.get(individual=person)
    assert response["Location"] == _url("edit", application)
    html = client.get(_url("detail", application)).content.decode()
    assert "110105********002X" in html
    assert person.id_number not in html
    edit = client.get(_url("edit", application)).content.decode()
    assert "个人主要事迹" in edit
    assert "P1 质量创新与改进" in edit
    assert "figures.0.revenue" not in edit


def test_signed_in_users_are_sent_on_from_registration(applicant: User) -> None:
    response = client_for(applicant).get(reverse("accounts:register_individual"))
    assert response["Location"] == reverse("intake:list")


def test_login_and_home_link_to_registration(program: object) -> None:
    for name in ("accounts:login", "programs:home"):
        html = Client().get(reverse(name)).content.decode()
        assert reverse("accounts:register_organization") in html
        assert reverse("accounts:register_individual") in html


# --- lists --------------------------------------------------------------------------------------


def test_applicant_starts_an_application_from_my_list(
    open_cycle: Cycle, org: Organization, applicant: User
) -> None:
    client = client_for(applicant)
    html = client.get(reverse("intake:list")).content.decode()
    assert '<h1 class="h4 mb-1">我的申报</h1>' in html
    assert f"以“{org.name}”名义申报2026年度" in html
    response = client.post(reverse("intake:start"), {"as": f"organization:{org.public_id}"})
    application = Application.objects.get(organization=org)
    assert response["Location"] == _url("edit", application)
    again = client.get(reverse("intake:list")).content.decode()
    assert "2026年度申报（草稿）" in again
    assert "名义申报2026年度" not in again


def test_start_outside_any_published_cycle_explains(program: object, applicant: User) -> None:
    response = client_for(applicant).post(reverse("intake:start"), follow=True)
    assert "申报通知尚未发布" in "".join(_messages(response))
    assert not Application.objects.exists()


def test_start_for_an_organization_not_mine_is_refused(open_cycle: Cycle, applicant: User) -> None:
    other = _org("如皋他人有限公司")
    response = client_for(applicant).post(
        reverse("intake:start"), {"as": f"organization:{other.public_id}"}, follow=True
    )
    assert "请选择以组织或个人名义申报" in "".join(_messages(response))
    assert not Application.objects.exists()


def test_town_sees_pending_first_and_office_its_queue(
    submitted: Application, personas: dict[str, User]
) -> None:
    town = client_for(personas["recommender"]).get(reverse("intake:list")).content.decode()
    assert "推荐审核" in town
    assert "已提交，待推荐 1件" in town
    assert 'class="qa-todo"' in town
    office = client_for(personas["office"]).get(reverse("intake:list")).content.decode()
    assert "资格审查" in office
    assert "已推荐，待资格审查 0件" in office
    assert submitted.applicant_name in office


def test_list_filters(submitted: Application, personas: dict[str, User]) -> None:
    client = client_for(personas["office"])
    shown = client.get(reverse("intake:list"), {"state": "submitted", "year": "2026"}).content
    assert submitted.applicant_name in shown.decode()
    hidden = client.get(reverse("intake:list"), {"state": "accepted"}).content.decode()
    assert submitted.applicant_name not in hidden
    assert "没有符合条件的申报" in hidden
    by_kind = client.get(reverse("intake:list"), {"kind": "individual"}).content.decode()
    assert submitted.applicant_name not in by_kind


def _many(cycle: Cycle, office: User, count: int) -> None:
    for _ in range(count):
        org = _org(f"如皋批量{Organization.objects.count()}有限公司")
        Application.objects.create(
            cycle=cycle,
            kind="organization",
            organization=org,
            recommending_unit=org.recommending_unit,
            state=State.RECOMMENDED,
            created_by=office,
        )


@pytest.mark.parametrize("persona", ["office", "recommender", "supervisor"])
def test_list_keeps_a_constant_number_of_queries(
    open_cycle: Cycle,
    personas: dict[str, User],
    persona: str,
    django_assert_max_num_queries: Any,
) -> None:
    office = personas["office"]
    client = client_for(personas[persona])
    _many(open_cycle, office, 1)
    client.get(reverse("intake:list"))  # the session and the first hits warm up
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("intake:list"))
    _many(open_cycle, office, 11)
    with django_assert_max_num_queries(len(one)):
        response = client.get(reverse("intake:list"), {"state": "recommended"})
    assert response.context["total"] == 12
    assert len(response.context["page"].rows) == 12


# --- the 申报表 --------------------------------------------------------------------------------


@pytest.mark.req("A15.2")
def test_edit_form_has_every_section(draft: Application, applicant: User) -> None:
    html = client_for(applicant).get(_url("edit", draft)).content.decode()
    for heading in (
        "一、基本情况",
        "二、近3年经营数据",
        "三、质量抽查、事故及违法记录",
        "四、获奖情况与卓越绩效",
        "五、声明",
        "六、自我评价",
        "附件",
        "资格条件预审",
    ):
        assert heading in html, heading
    for year in (2023, 2024, 2025):
        assert f'name="figures.{[2023, 2024, 2025].index(year)}.year" value="{year}"' in html
    assert html.count('name="self_evaluation.') == 46  # 23 items: text and percent
    assert "质量发展工作在行业中处于领先地位" in html
    assert 'hx-trigger="change delay:1s, input delay:3s"' in html
    assert 'name="spot_checks.2.date"' in html  # three empty rows to add records
    assert "申报表各项已填写完整，可以提交。" in html
    assert "第十二条第（一）项" in html  # cited as the Measures number it, not as A12.1


def test_save_turns_the_form_into_the_schema_and_ignores_blank_rows(
    open_cycle: Cycle, org: Organization, applicant: User
) -> None:
    application = services.start_application(actor=applicant, cycle=open_cycle, organization=org)
    data = complete_form(
        spot_checks=[
            {"date": "2024-06-01", "level": "provincial", "product": "阀门", "passed": True}
        ]
    )
    post = as_post(data) | {
        "spot_checks.1.date": "",
        "spot_checks.1.product": "  ",
        "accidents.0.date": "",
        "figures.3.year": "2022",  # a year row left empty
    }
    response = client_for(applicant).post(_url("save", application), post)
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.data["spot_checks"] == [
        {"date": "2024-06-01", "level": "provincial", "product": "阀门", "passed": True}
    ]
    assert application.data["accidents"] == []
    assert [f["year"] for f in application.data["figures"]] == [2023, 2024, 2025]
    assert application.data["self_evaluation"]["4.1.2"]["percent"] == 60
    assert application.data["declarations"]["leading"] == {"holds": True, "note": "见附件"}


def test_autosave_answers_with_the_status_and_the_preview(
    draft: Application, applicant: User
) -> None:
    post = as_post(complete_form(gbt19580_since="2025-01-01"))
    response = client_for(applicant).post(_url("save", draft), post, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith("已自动保存 10:00")
    assert '<div id="preview-findings" hx-swap-oob="true">' in html
    assert "<html" not in html
    # The preview reads what was just saved: GB/T 19580 practised for less than 2 years.
    assert "自2025-01-01推行GB/T 19580，至申报日不满2年" in html


@pytest.mark.req("A15.2")
def test_autosave_saves_the_rest_and_says_what_it_did_not_at_the_field(
    draft: Application, applicant: User
) -> None:
    """Issue 16: 从业人数 −5 does not keep a long 自我评价 from saving; the answer carries the
    reason by input name (draft.js puts it next to the field) and counts it in the status."""
    long_text = "坚持质量第一，" * 600  # 4,200 characters
    post = as_post(complete_form()) | {
        "employees": "-5",
        "self_evaluation.4.1.2.text": long_text,
    }
    response = client_for(applicant).post(_url("save", draft), post, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith("已自动保存 10:00")
    assert "1处填写有误：已按填写保留，原因见各栏旁，改正后才能提交" in html
    assert 'data-errors="{&quot;employees&quot;: [&quot;不能小于0&quot;]}"' in html
    # The preview does not call the form complete while a field is refused.
    assert "有1处填写错误，改正后才能提交：" in html
    assert "<li>从业人数：不能小于0</li>" in html
    assert "可以提交" not in html
    draft.refresh_from_db()
    assert draft.data["self_evaluation"]["4.1.2"]["text"] == long_text
    assert draft.data["employees"] is None
    assert draft.draft_typed["employees"] == "-5"

    # A reload shows both: the text, and −5 as typed with its reason beside it.
    page = client_for(applicant).get(_url("edit", draft)).content.decode()
    assert long_text in page
    assert 'id="f-employees" value="-5" aria-describedby="f-employees-err">' in page
    assert re.search(r'id="f-employees-err"><div>不能小于0</div>', page)
    assert '<a href="#f-employees">从业人数</a>：不能小于0' in page

    # Submitting is refused, naming the field.
    response = client_for(applicant).post(_url("submit", draft), follow=True)
    assert "申报表有1处填写错误，改正后才能提交：从业人数（不能小于0）" in response.content.decode()
    draft.refresh_from_db()
    assert draft.state == State.DRAFT


def test_autosave_places_a_record_error_on_the_row_it_was_typed_in(
    draft: Application, applicant: User
) -> None:
    """Blank rows are not saved, so the second row on the page is the first record: the
    reason goes back to the inputs of the row on the page."""
    post = as_post(complete_form()) | {"spot_checks.1.level": "city"}
    html = (
        client_for(applicant)
        .post(_url("save", draft), post, headers={"HX-Request": "true"})
        .content.decode()
    )
    assert "&quot;spot_checks.1.date&quot;: [&quot;必填&quot;]" in html
    assert "&quot;spot_checks.1.passed&quot;: [&quot;必填&quot;]" in html


def test_save_errors_stand_next_to_their_fields(draft: Application, applicant: User) -> None:
    post = as_post(complete_form()) | {
        "employees": "-5",
        "spot_checks.0.level": "city",  # a row without its date and result
        "self_evaluation.4.1.2.percent": "7",
        "figures.1.revenue": "1.234",
    }
    response = client_for(applicant).post(_url("save", draft), post, follow=True)
    assert response.redirect_chain[-1][0] == _url("edit", draft)
    html = response.content.decode()
    assert "草稿已保存；有5处填写错误，已按填写保留并在各栏旁标出原因，改正后才能提交。" in html
    assert re.search(r'id="f-employees-err"><div>不能小于0</div>', html)
    assert re.search(r'id="f-spot_checks-0-date-err"><div>必填</div>', html)
    assert re.search(r'id="f-spot_checks-0-passed-err"><div>必填</div>', html)
    assert re.search(r'id="f-self_evaluation-4-1-2-percent-err"><div>自评得分率须为5的倍数', html)
    assert re.search(r'id="f-figures-1-revenue-err"><div>最多保留2位小数', html)
    assert 'value="-5"' in html  # what was typed stays for correction
    assert "申报表有5处填写错误" in html
    draft.refresh_from_db()
    assert draft.data["employees"] is None
    assert draft.data["figures"][1]["revenue"] is None  # the other two of 2024 are kept
    assert draft.data["figures"][1]["profit"] is not None


def test_figure_errors_land_on_their_year(draft: Application, applicant: User) -> None:
    post = as_post(complete_form())
    for col in ("revenue", "profit", "tax"):
        post.pop(f"figures.0.{col}")
    post["figures.1.tax"] = "abc"
    client = client_for(applicant)
    html = client.post(_url("save", draft), post, follow=True).content.decode()
    # 2023 left empty, so 2024 is the first posted row; its error shows in the 2024 row.
    assert re.search(r'id="f-figures-1-tax-err"><div>请填写数字', html)
    autosave = client.post(_url("save", draft), post, headers={"HX-Request": "true"})
    assert "&quot;figures.1.tax&quot;: [&quot;请填写数字&quot;]" in autosave.content.decode()


@pytest.mark.req("A15.2")
def test_submit_from_the_form_and_see_the_report(draft: Application, applicant: User) -> None:
    client = client_for(applicant)
    response = client.post(_url("submit", draft), follow=True)
    assert response.redirect_chain[-1][0] == _url("detail", draft)
    html = response.content.decode()
    assert "已提交申报（第1版），等待如城街道（如皋工业园区）审核推荐" in html
    assert "资格条件核查" in html
    assert '<span class="badge state-attention">需办公室核实</span>' in html
    assert '<span class="badge state-success">符合</span>' in html
    assert "申报表各项已填写完整" in html
    # The form is frozen now: the edit page sends back to the application's page.
    assert client.get(_url("edit", draft))["Location"] == _url("detail", draft)


def test_incomplete_submission_lists_what_is_missing(
    open_cycle: Cycle, org: Organization, applicant: User
) -> None:
    application = services.start_application(actor=applicant, cycle=open_cycle, organization=org)
    response = client_for(applicant).post(_url("submit", application), follow=True)
    assert response.redirect_chain[-1][0] == _url("edit", application)
    assert "申报表尚未填写完整" in "".join(_messages(response))
    assert Application.objects.get(pk=application.pk).state == State.DRAFT


def test_script_tags_are_shown_escaped(draft: Application, applicant: User) -> None:
    script = "<script>alert(1)</script>"
    data = complete_form(
        contact_name=script,
        summary=script,
        spot_checks=[{"date": "2024-06-01", "level": "city", "product": script, "passed": True}],
    )
    data["declarations"]["leading"]["note"] = script
    data["self_evaluation"]["4.1.2"]["text"] = script
    client = client_for(applicant)
    assert client.post(_url("save", draft), as_post(data)).status_code == 302
    assert client.post(_url("submit", draft)).status_code == 302
    for url in (_url("detail", draft), reverse("intake:list")):
        html = client.get(url).content.decode()
        assert "<script>alert" not in html, url
    html = client.get(_url("detail", draft)).content.decode()
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4


def test_pages_have_no_inline_script_or_style(
    recommended: Application, personas: dict[str, User]
) -> None:
    pages = [
        (personas["office"], _url("detail", recommended)),
        (personas["office"], reverse("intake:list")),
        (None, reverse("accounts:register_organization")),
        (None, reverse("accounts:register_individual")),
        (personas["office"], reverse("accounts:inbox")),
    ]
    for user, url in pages:
        html = client_for(user).get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert "<style" not in html, url
        assert not re.search(r"\sstyle=", html), url


# --- who sees what ----------------------------------------------------------------------------


@pytest.mark.req("A7.1")
def test_an_applicant_cannot_see_another_organizations_application(
    draft: Application, applicant: User, make_user: Any
) -> None:
    attachment = services.add_attachment(
        actor=applicant, application=draft, section="general", name="a.pdf", data=PDF
    )
    services.submit_application(actor=applicant, application=draft)
    other = make_user(Role.APPLICANT, organization=_org("如皋另一有限公司"))
    client = client_for(other)
    assert client.get(_url("detail", draft)).status_code == 404
    assert client.get(_url("edit", draft)).status_code == 404
    assert client.post(_url("withdraw", draft)).status_code == 404
    assert draft.applicant_name not in client.get(reverse("intake:list")).content.decode()
    download = reverse("intake:attachment_download", args=[attachment.public_id])
    assert client.get(download).status_code == 404
    assert not AuditEvent.objects.filter(action="intake.attachment.download").exists()


@pytest.mark.req("A7.1")
def test_a_reviewer_of_another_town_gets_404(submitted: Application, make_user: Any) -> None:
    other_town = make_user(Role.RECOMMENDER, unit=RecommendingUnit.objects.get(name="白蒲镇"))
    client = client_for(other_town)
    assert client.get(_url("detail", submitted)).status_code == 404
    assert client.post(_url("recommend", submitted), {"opinion": "同意"}).status_code == 404
    assert Application.objects.get(pk=submitted.pk).state == State.SUBMITTED


def test_drafts_stay_with_the_applicant(draft: Application, personas: dict[str, User]) -> None:
    for persona in ("recommender", "office", "supervisor"):
        assert client_for(personas[persona]).get(_url("detail", draft)).status_code == 404


def test_a_reviewer_may_read_but_not_edit(
    submitted: Application, personas: dict[str, User]
) -> None:
    client = client_for(personas["recommender"])
    assert client.get(_url("detail", submitted)).status_code == 200
    assert client.get(_url("edit", submitted)).status_code == 403
    assert client.post(_url("withdraw", submitted)).status_code == 403


# --- the reviewers' actions ---------------------------------------------------------------------


@pytest.mark.req("A15.3")
def test_town_recommends_with_an_opinion(submitted: Application, personas: dict[str, User]) -> None:
    client = client_for(personas["recommender"])
    html = client.get(_url("detail", submitted)).content.decode()
    assert "签署推荐意见" in html
    assert 'name="outcome"' not in html  # deciding is the Office's
    response = client.post(_url("recommend", submitted), {"opinion": "经审核，同意推荐。"})
    assert response["Location"] == _url("detail", submitted)
    submitted.refresh_from_db()
    assert submitted.state == State.RECOMMENDED
    event = AuditEvent.objects.get(action="intake.application.recommend")
    assert event.reason == "经审核，同意推荐。"
    page = client_for(personas["applicant"]).get(_url("detail", submitted)).content.decode()
    assert "同意推荐" in page
    assert "经审核，同意推荐。" in page


def test_recommending_without_an_opinion_is_refused_with_the_message(
    submitted: Application, personas: dict[str, User]
) -> None:
    response = client_for(personas["recommender"]).post(
        _url("recommend", submitted), {"opinion": " "}, follow=True
    )
    assert "请填写推荐意见。" in _messages(response)
    assert Application.objects.get(pk=submitted.pk).state == State.SUBMITTED


@pytest.mark.req("A15.3")
def test_returned_and_resubmitted_shows_what_changed(
    submitted: Application, personas: dict[str, User], applicant: User
) -> None:
    town = client_for(personas["recommender"])
    town.post(_url("return", submitted), {"reason": "请补充近3年纳税证明。"})
    client = client_for(applicant)
    edit = client.get(_url("edit", submitted)).content.decode()
    assert "如城街道（如皋工业园区）退回修改：</strong>请补充近3年纳税证明。" in edit
    data = complete_form(summary="公司主营通用设备制造，已补充纳税证明。")
    data["figures"][2]["tax"] = "2400.00"
    client.post(_url("save", submitted), as_post(data))
    client.post(
        _url("attachment_add", submitted),
        {"section": "figures", "file": _upload("纳税证明.pdf", PDF)},
    )
    client.post(_url("submit", submitted))
    html = town.get(_url("detail", submitted)).content.decode()
    assert "第2版与上一版相比的修改" in html
    assert "2025年纳税额（万元）" in html
    assert "2300.00" in html
    assert "2400.00" in html
    assert "已补充纳税证明" in html
    assert "新增附件：纳税证明.pdf" in html
    assert "请补充近3年纳税证明。" in html  # the return stays in the history


@pytest.mark.req("A16.1")
def test_office_accepts_after_ticking_the_confirmations(
    recommended: Application, personas: dict[str, User], to_qualification: Callable[[], None]
) -> None:
    to_qualification()
    client = client_for(personas["office"])
    html = client.get(_url("detail", recommended)).content.decode()
    rules = re.findall(r'name="confirmed" value="([^"]+)"', html)
    assert "a12_2_leading" in rules
    response = client.post(
        _url("decide", recommended), {"outcome": "accept", "confirmed": rules[:-1]}, follow=True
    )
    assert "尚有1项需办公室核实的条件未确认。" in _messages(response)
    assert Application.objects.get(pk=recommended.pk).state == State.RECOMMENDED
    response = client.post(
        _url("decide", recommended), {"outcome": "accept", "confirmed": rules}, follow=True
    )
    assert "已受理。" in _messages(response)
    recommended.refresh_from_db()
    assert recommended.state == State.ACCEPTED
    event = AuditEvent.objects.get(action="intake.application.accept")
    assert (event.after or {})["confirmed"] == sorted(rules)
    mine = client_for(personas["applicant"]).get(_url("detail", recommended)).content.decode()
    assert '<span class="badge state-success">受理</span>' in mine


@pytest.mark.req("A16.1")
def test_refusal_cites_the_article_and_the_applicant_sees_it(
    recommended: Application, personas: dict[str, User], to_qualification: Callable[[], None]
) -> None:
    to_qualification()
    client = client_for(personas["office"])
    response = client.post(
        _url("decide", recommended), {"outcome": "not_accept", "articles": ["A16.1"]}, follow=True
    )
    assert "不予受理须说明理由（《办法》第十六条）。" in _messages(response)
    client.post(
        _url("decide", recommended),
        {"outcome": "not_accept", "articles": ["A16.1"], "reason": "缺少纳税证明。"},
    )
    recommended.refresh_from_db()
    assert recommended.state == State.NOT_ACCEPTED
    page = client_for(personas["applicant"]).get(_url("detail", recommended)).content.decode()
    assert "依据：《办法》第十六条" in page
    assert "缺少纳税证明。" in page
    inbox = client_for(personas["applicant"]).get(reverse("accounts:inbox")).content.decode()
    assert "不予受理：2026年度市长质量奖申报" in inbox


def test_an_unknown_article_is_refused(recommended: Application, personas: dict[str, User]) -> None:
    response = client_for(personas["office"]).post(
        _url("decide", recommended),
        {"outcome": "not_accept", "articles": ["A99.9"], "reason": "x"},
        follow=True,
    )
    assert "请选择受理或不予受理，并从列表中选择条款。" in _messages(response)


@pytest.mark.req("A16.1")
def test_a_hard_failure_hides_acceptance_and_prechecks_the_article(
    open_cycle: Cycle,
    org: Organization,
    applicant: User,
    personas: dict[str, User],
    to_qualification: Callable[[], None],
) -> None:
    application = services.start_application(actor=applicant, cycle=open_cycle, organization=org)
    services.save_draft(
        actor=applicant,
        application=application,
        data=complete_form(
            spot_checks=[
                {"date": "2024-06-01", "level": "city", "product": "阀门", "passed": False}
            ]
        ),
    )
    services.submit_application(actor=applicant, application=application)
    services.recommend_application(
        actor=personas["recommender"], application=application, opinion="同意"
    )
    to_qualification()
    html = client_for(personas["office"]).get(_url("detail", application)).content.decode()
    assert "资格条件核查有1项不符合，不能受理：第十三条第（二）项" in html
    assert 'name="outcome" value="accept"' not in html
    assert re.search(r'name="articles" value="A13.2" id="article-\d+" checked', html)


def test_office_corrects_a_decision(
    recommended: Application, personas: dict[str, User], to_qualification: Callable[[], None]
) -> None:
    to_qualification()
    office = personas["office"]
    rules = list(recommended.eligibility.filter(outcome="confirm").values_list("rule", flat=True))
    decision = services.decide_qualification(
        actor=office, application=recommended, accept=True, reason="", confirmed=rules
    )
    client = client_for(office)
    assert "更正为不予受理" in client.get(_url("detail", recommended)).content.decode()
    client.post(
        _url("correct", recommended, decision.pk),
        {"reason": "经核实纳税证明系伪造。", "articles": ["A13.4"]},
    )
    recommended.refresh_from_db()
    assert recommended.state == State.NOT_ACCEPTED
    assert (
        AuditEvent.objects.get(action="intake.decision.correct").reason == "经核实纳税证明系伪造。"
    )
    response = client.post(
        _url("correct", recommended, decision.pk), {"reason": "再改"}, follow=True
    )
    assert "该决定已被更正过，请更正最新的决定。" in _messages(response)
    assert client.post(_url("correct", recommended, 999_999), {"reason": "x"}).status_code == 404


def test_applicant_withdraws(draft: Application, applicant: User) -> None:
    response = client_for(applicant).post(
        _url("withdraw", draft), {"reason": "今年不参评"}, follow=True
    )
    assert "申报已撤回。" in _messages(response)
    draft.refresh_from_db()
    assert draft.state == State.WITHDRAWN
    assert AuditEvent.objects.get(action="intake.application.withdraw").reason == "今年不参评"


# --- attachments ------------------------------------------------------------------------------


def _upload(name: str, data: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def test_upload_list_and_remove(draft: Application, applicant: User) -> None:
    client = client_for(applicant)
    response = client.post(
        _url("attachment_add", draft), {"section": "self", "file": _upload("自评报告.pdf", PDF)}
    )
    assert response["Location"] == _url("edit", draft) + "#att-self"
    attachment = Attachment.objects.get()
    assert (attachment.section, attachment.kind) == ("self", "pdf")
    html = client.get(_url("edit", draft)).content.decode()
    assert "自评报告.pdf" in html
    client.post(_url("attachment_remove", draft, attachment.public_id))
    attachment.refresh_from_db()
    assert attachment.removed_at is not None
    html = client.get(_url("edit", draft)).content.decode()
    assert "已删除“自评报告.pdf”。" in html
    assert reverse("intake:attachment_download", args=[attachment.public_id]) not in html
    again = client.post(_url("attachment_remove", draft, attachment.public_id))
    assert again.status_code == 404


def test_an_exe_renamed_pdf_is_refused_with_the_message(
    draft: Application, applicant: User
) -> None:
    response = client_for(applicant).post(
        _url("attachment_add", draft),
        {"section": "general", "file": _upload("营业执照.pdf", EXE)},
        follow=True,
    )
    assert "文件“营业执照.pdf”不能上传：这是可执行程序，不是PDF" in response.content.decode()
    assert not Attachment.objects.exists()


def test_an_oversized_file_is_refused_before_it_is_read(
    draft: Application, applicant: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "MAX_ATTACHMENT_BYTES", 1024 * 1024)
    upload = io.BytesIO(PDF + b"0" * (1024 * 1024))
    upload.name = "big.pdf"

    def never(*args: Any, **kwargs: Any) -> bytes:
        raise AssertionError("an oversized upload must not be read")

    for cls in (InMemoryUploadedFile, TemporaryUploadedFile):
        monkeypatch.setattr(cls, "read", never, raising=False)
    response = client_for(applicant).post(
        _url("attachment_add", draft), {"section": "general", "file": upload}, follow=True
    )
    assert "超过上限1 MB" in response.content.decode()
    assert not Attachment.objects.exists()


def test_download_is_checked_and_audited(
    draft: Application, applicant: User, personas: dict[str, User]
) -> None:
    attachment = services.add_attachment(
        actor=applicant, application=draft, section="general", name="营业执照 副本.pdf", data=PDF
    )
    url = reverse("intake:attachment_download", args=[attachment.public_id])
    # A draft's files are the applicant's alone.
    assert client_for(personas["office"]).get(url).status_code == 404
    assert Client().get(url).status_code == 302
    services.submit_application(actor=applicant, application=draft)
    response = client_for(personas["office"]).get(url)
    assert response.status_code == 200
    assert response.content == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7%20%E5%89%AF%E6%9C%AC.pdf" in (
        disposition
    )
    event = AuditEvent.objects.get(action="intake.attachment.download")
    assert (event.actor_id, event.role) == (personas["office"].pk, Role.OFFICE)
    assert (event.after or {})["name"] == "营业执照 副本.pdf"
    assert client_for(personas["expert"]).get(url).status_code == 404
    assert AuditEvent.objects.filter(action="intake.attachment.download").count() == 1


# --- the inbox ------------------------------------------------------------------------------


def test_inbox_counts_lists_and_marks_read(
    submitted: Application, personas: dict[str, User]
) -> None:
    reviewer = personas["recommender"]
    client = client_for(reviewer)
    html = client.get(reverse("intake:list")).content.decode()
    assert re.search(r"消息 <span class=\"badge[^\"]*\">1<span", html)
    inbox = client.get(reverse("accounts:inbox")).content.decode()
    assert 'class="list-group-item qa-unread"' in inbox
    assert f'href="{_url("detail", submitted)}"' in inbox
    response = client.post(reverse("accounts:inbox_read"), follow=True)
    assert "已将1条消息标为已读。" in _messages(response)
    assert not Notification.objects.filter(user=reviewer, read_at__isnull=True).exists()
    assert "qa-unread" not in response.content.decode()


def test_inbox_shows_only_my_messages(submitted: Application, personas: dict[str, User]) -> None:
    html = client_for(personas["expert"]).get(reverse("accounts:inbox")).content.decode()
    assert "没有消息。" in html


def test_office_records_a_ban_in_the_page(personas: dict[str, Any], org: Any) -> None:
    from intake.models import Ban
    from tests.conftest import client_for

    client = client_for(personas["office"])
    response = client.post(
        "/applications/standing/ban/",
        {
            "ban-uscc": org.uscc.lower(),
            "ban-starts_on": "2025-01-10",
            "ban-decision_ref": "委员会2025年第1次会议",
            "ban-reason": "材料造假",
        },
    )
    assert response.status_code == 302
    assert Ban.objects.get().ends_on.isoformat() == "2028-01-09"
    page = client.get("/applications/standing/").content.decode()
    assert "材料造假" in page
    bad = client.post(
        "/applications/standing/award/",
        {
            "award-uscc": "913206820000000000",
            "award-year": 2022,
            "award-level": "award",
            "award-announced_on": "2023-01-16",
            "award-document_number": "x",
        },
    )
    assert bad.status_code == 400
    assert "没有以此统一社会信用代码注册的组织" in bad.content.decode()


def test_standing_page_query_count_is_constant(
    personas: dict[str, Any], org: Any, django_assert_max_num_queries: Any
) -> None:
    import datetime as dt

    from intake.standing import record_ban, record_prior_award
    from tests.conftest import client_for

    client = client_for(personas["office"])
    record_prior_award(
        actor=personas["office"],
        organization=org,
        year=2019,
        level="award",
        announced_on=dt.date(2020, 1, 10),
        document_number="皋政发〔2020〕1号",
    )
    with django_assert_max_num_queries(20) as few:
        client.get("/applications/standing/")
    for year in range(2020, 2026):
        record_prior_award(
            actor=personas["office"],
            organization=org,
            year=year,
            level="nomination",
            announced_on=dt.date(year + 1, 1, 10),
            document_number=f"文号{year}",
        )
        record_ban(
            actor=personas["office"],
            organization=org,
            starts_on=dt.date(year, 1, 1),
            reason="x",
            decision_ref="y",
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/applications/standing/")


@pytest.mark.req("A15.2", "A15.3")
def test_the_workbench_lists_what_waits_for_each_role(
    personas: dict[str, Any], open_cycle: Any, org: Any, time_machine: Any
) -> None:
    from intake import services as intake
    from tests.conftest import client_for
    from tests.intake.conftest import complete_form

    application = intake.start_application(
        actor=personas["applicant"], cycle=open_cycle, organization=org
    )
    assert (
        "待完善或退回修改的申报"
        in client_for(personas["applicant"]).get("/accounts/me/").content.decode()
    )
    intake.save_draft(actor=personas["applicant"], application=application, data=complete_form())
    intake.submit_application(actor=personas["applicant"], application=application)
    town = client_for(personas["recommender"]).get("/accounts/me/")
    assert [t[:2] for t in town.context["todos"]] == [("待审核推荐的申报", 1)]
    # The last day to recommend is the day before 资格审查 (2026-05-06); after it the
    # application stays on the list but is no longer the town's work.
    time_machine.move_to(dt.datetime(2026, 5, 5, 17, tzinfo=CST), tick=False)
    town = client_for(personas["recommender"]).get("/accounts/me/")
    assert [t[:2] for t in town.context["todos"]] == [("待审核推荐的申报", 1)]
    time_machine.move_to(dt.datetime(2026, 5, 6, 9, tzinfo=CST), tick=False)
    town = client_for(personas["recommender"]).get("/accounts/me/")
    assert [t[:2] for t in town.context["todos"]] == [("待审核推荐的申报", 0)]
    office = client_for(personas["office"]).get("/accounts/me/")
    # Not recommended in time: nobody's to-do, the Office's 逾期未处理 (with the decision to take).
    assert [t[:2] for t in office.context["todos"]] == [
        ("待资格审查的申报", 0),
        ("逾期未处理的申报", 1),
        ("待核查答复的异议", 0),
        ("待核查的违规案件", 0),
    ]
