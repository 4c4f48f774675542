"""What the 申报表 and the Office's record pages say is the program's own numbers (issue 18): a
program with another look-back asks other years and says 近N年; Rugao's text stays the 2021
Measures' word for word."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.urls import reverse
from docx import Document

from accounts.models import User
from intake import schema, services
from intake.documents import application_form_docx
from intake.models import Application
from lib.errors import ServiceError
from lib.rubrics import rubric_for
from programs.models import Policy
from tests.conftest import client_for
from tests.intake.conftest import complete_form

# Another program's Measures: every number the pages quote differs from Rugao's 2021.
OTHER = {
    "lookback_years": 4,
    "reapply_gap_years": 4,
    "fraud_ban_years": 5,
    "report_deadline_days": 20,
    "min_expert_practice_years": 8,
}


def _other_numbers(policy: Policy) -> None:
    Policy.objects.filter(pk=policy.pk).update(**OTHER, min_gbt19580_years=3)


def _page(user: User, name: str, application: Application) -> str:
    response = client_for(user).get(reverse(f"intake:{name}", args=[application.public_id]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.req("A12.4", "I18.1")
def test_the_form_asks_the_rugao_lookback_as_the_measures_say(
    draft: Application, applicant: User
) -> None:
    html = _page(applicant, "edit", draft)
    assert "二、近3年经营数据" in html
    assert "申报日前3个年度的数据" in html
    assert "如实填写申报日前3年内的记录" in html
    assert "建筑企业须填写近3年获得的鲁班奖或国家优质工程奖" in html
    assert "近3年取得优秀经营业绩或突出社会贡献，经营规模、上缴税收居市内同行业先进水平" in html
    assert "须已推行2年以上（《办法》第十二条第二项）" in html
    years = [f'name="figures.{i}.year" value="{y}"' for i, y in enumerate((2023, 2024, 2025))]
    assert all(y in html for y in years)
    assert 'value="2022"' not in html


@pytest.mark.req("A12.4", "I18.1")
def test_the_form_asks_the_policys_lookback_years(
    draft: Application, applicant: User, policy: Policy
) -> None:
    _other_numbers(policy)
    html = _page(applicant, "edit", draft)
    assert "二、近4年经营数据" in html
    assert "申报日前4个年度的数据" in html
    assert "如实填写申报日前4年内的记录" in html
    assert "建筑企业须填写近4年获得的鲁班奖" in html
    assert "近4年取得优秀经营业绩" in html
    assert "近4年质量、安全、资信、合同" in html
    assert "近4年参加各级质量奖项评定活动" in html
    assert "须已推行3年以上（《办法》第十二条第二项）" in html
    assert "近3年" not in html
    for i, year in enumerate((2022, 2023, 2024, 2025)):
        assert f'name="figures.{i}.year" value="{year}"' in html
    # The figures of 2023-2025 do not complete a four-year look-back: 2022 is missing.
    assert "近4年（2022—2025年）营业收入、利润、纳税" in html
    with pytest.raises(ServiceError) as refused:
        services.submit_application(actor=applicant, application=draft)
    assert "近4年（2022—2025年）营业收入、利润、纳税" in refused.value.fields["missing"]


@pytest.mark.req("A12.4", "I18.1")
def test_the_autosave_lists_the_policys_missing_years(
    draft: Application, applicant: User, policy: Policy, django_assert_max_num_queries: Any
) -> None:
    _other_numbers(policy)
    client = client_for(applicant)
    url = reverse("intake:save", args=[draft.public_id])
    post = {"contact_name": "王磊", "summary": "坚持质量第一。"}
    client.post(url, post, headers={"HX-Request": "true"})  # the session warms
    with django_assert_max_num_queries(6):  # the policy comes joined: no statement of its own
        html = client.post(url, post, headers={"HX-Request": "true"}).content.decode()
    assert "近4年（2022—2025年）营业收入、利润、纳税" in html


@pytest.mark.req("A12.4", "I18.1")
def test_the_submitted_sheet_says_the_policys_lookback(
    draft: Application, applicant: User, policy: Policy
) -> None:
    figures = [
        {"year": y, "revenue": "52000.00", "profit": "4100.00", "tax": "2300.00"}
        for y in (2022, 2023, 2024, 2025)
    ]
    _other_numbers(policy)
    services.save_draft(actor=applicant, application=draft, data=complete_form(figures=figures))
    services.submit_application(actor=applicant, application=draft)
    html = _page(applicant, "detail", draft)
    assert "近4年经营数据（万元）" in html
    assert "近4年取得优秀经营业绩" in html
    assert "2022年" in html


@pytest.mark.req("A12.4", "I18.1")
@pytest.mark.parametrize(
    ("lookback", "missing"), [(1, "近1年（2025—2025年）"), (5, "近5年（2021—2025年）")]
)
def test_the_missing_figures_follow_the_lookback(lookback: int, missing: str) -> None:
    form = schema.parse(complete_form())  # figures of 2023-2025
    lines = schema.missing_for_submission(
        form,
        kind="organization",
        reference=dt.date(2026, 3, 2),
        lookback_years=lookback,
        rubric=rubric_for("organization"),
    )
    assert any(line.startswith(missing) for line in lines) == (lookback == 5)
    assert schema.declarations_for("individual", lookback)["employer_safe"].startswith(
        f"所在组织近{lookback}年无重大"
    )


@pytest.mark.req("A24.1", "A29.1", "I18.1")
def test_the_standing_page_says_the_policys_gap_and_ban(
    personas: dict[str, User], policy: Policy
) -> None:
    url = reverse("intake:standing")
    html = client_for(personas["office"]).get(url).content.decode()
    assert "获得市长质量奖满3年方可重新申报（《办法》第二十四条）" in html
    assert "因弄虚作假被禁止的组织3年内不得参加评审（第二十九条）" in html
    _other_numbers(policy)
    html = client_for(personas["office"]).get(url).content.decode()
    assert "获得市长质量奖满4年方可重新申报" in html
    assert "因弄虚作假被禁止的组织5年内不得参加评审" in html


@pytest.mark.req("A12.4", "I18.1")
def test_the_word_form_says_the_policys_lookback(
    draft: Application, applicant: User, policy: Policy
) -> None:
    version = services.submit_application(actor=applicant, application=draft)
    rugao = _docx_text(application_form_docx(version))
    assert "二、近3年经营情况（万元）" in rugao
    assert "三、近3年质量、安全与信用记录" in rugao
    assert "近3年取得优秀经营业绩或突出社会贡献" in rugao
    _other_numbers(policy)
    version.application.cycle.policy.refresh_from_db()
    other = _docx_text(application_form_docx(version))
    assert "二、近4年经营情况（万元）" in other
    assert "三、近4年质量、安全与信用记录" in other
    assert "近4年取得优秀经营业绩" in other
    assert "近3年" not in other


def _docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


@pytest.mark.req("A15.3", "I18.1")
def test_a_refused_declaration_is_named_with_the_policys_lookback(
    draft: Application, applicant: User, policy: Policy
) -> None:
    _other_numbers(policy)
    data = complete_form()
    data["declarations"]["performance"] = {"holds": "也许", "note": ""}
    services.save_draft(actor=applicant, application=draft, data=data)
    assert "declarations.performance.holds" in draft.draft_errors
    with pytest.raises(ServiceError) as refused:
        services.submit_application(actor=applicant, application=draft)
    assert "声明：近4年取得优秀经营业绩" in refused.value.message
