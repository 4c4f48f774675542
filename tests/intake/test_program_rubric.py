"""The self-evaluation (自我评价) follows the rubric of the application's Measures (issue 18):
a program whose pack holds another rubric asks, checks, prints and previews that rubric's
items, never data/gbt19580.yaml's."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.urls import reverse
from docx import Document

from accounts.models import User
from intake import schema, services
from intake.documents import application_form_docx
from intake.models import Application
from lib import rubrics
from lib.errors import ServiceError
from programs.models import Cycle, Policy
from tests.conftest import client_for
from tests.intake.conftest import complete_form

# An industry variant of 1000 points in two items: no code or name of GB/T 19580's 23 items.
VARIANT: dict[str, Any] = {
    "key": "variant-2025",
    "name": "示例行业卓越绩效评价准则",
    "total_points": 1000,
    "categories": [
        {"code": "A", "name": "质量治理", "points": 400},
        {"code": "B", "name": "质量成效", "points": 600},
    ],
    "items": [
        {"code": "A1", "category": "A", "name": "质量治理体系", "points": 400, "type": "process"},
        {"code": "B1", "category": "B", "name": "质量提升成效", "points": 600, "type": "result"},
    ],
    "source": "inline",
}


def _variant(policy: Policy) -> None:
    assert rubrics.rubric_problems(VARIANT, total_points=policy.total_points) == []
    rubric = rubrics.rubric_for("organization")
    assert "质量治理体系" not in {i.name for i in rubric.items}
    Policy.objects.filter(pk=policy.pk).update(
        rubrics={"organization": VARIANT, "individual": policy.rubrics.get("individual")}
    )


def _page(user: User, name: str, application: Application) -> str:
    response = client_for(user).get(reverse(f"intake:{name}", args=[application.public_id]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.req("A9.1", "I18.1")
def test_the_form_asks_the_items_of_the_policys_rubric(
    draft: Application, applicant: User, policy: Policy
) -> None:
    gbt = rubrics.rubric_for("organization")
    assert 'name="self_evaluation.4.1.2.text"' in _page(applicant, "edit", draft)
    _variant(policy)
    html = _page(applicant, "edit", draft)
    assert 'name="self_evaluation.A1.text"' in html
    assert 'name="self_evaluation.B1.percent"' in html
    assert "质量治理体系" in html
    assert f'name="self_evaluation.{gbt.items[0].code}.text"' not in html
    # What is posted is read by the same items.
    client = client_for(applicant)
    post = {
        "contact_name": "王磊",
        "self_evaluation.A1.text": "建立质量治理委员会。",
        "self_evaluation.A1.percent": "70",
        f"self_evaluation.{gbt.items[0].code}.text": "不属本准则",
    }
    client.post(reverse("intake:save", args=[draft.public_id]), post)
    draft.refresh_from_db()
    assert draft.data["self_evaluation"] == {
        "A1": {"text": "建立质量治理委员会。", "percent": 70},
        "B1": {"text": "", "percent": None},
    }


@pytest.mark.req("A9.1", "I18.1")
def test_submitting_needs_the_items_of_the_policys_rubric(
    draft: Application, applicant: User, policy: Policy
) -> None:
    _variant(policy)  # the draft holds GB/T 19580's 23 items, none of the variant's
    with pytest.raises(ServiceError) as refused:
        services.submit_application(actor=applicant, application=draft)
    assert refused.value.fields["missing"][-2:] == [
        "自我评价 A1 质量治理体系",
        "自我评价 B1 质量提升成效",
    ]
    evaluated = {
        "A1": {"text": "建立质量治理委员会。", "percent": 70},
        "B1": {"text": "质量损失率逐年下降。", "percent": 65},
    }
    data = complete_form(self_evaluation=evaluated)
    services.save_draft(actor=applicant, application=draft, data=data)
    services.submit_application(actor=applicant, application=draft)
    draft.refresh_from_db()
    assert draft.state == "submitted"
    # The sheet and the printed form say the variant's items.
    html = _page(applicant, "detail", draft)
    assert "A1 质量治理体系" in html
    docx = Document(io.BytesIO(application_form_docx(draft.versions.get())))
    headings = [p.text for p in docx.paragraphs if p.style and p.style.name.startswith("Heading")]
    assert "五、自我评价报告（示例行业卓越绩效评价准则）" in headings
    assert "A1 质量治理体系（400分，自评得分率70%）" in headings
    assert not any("4.1.2" in h for h in headings)


@pytest.mark.req("A9.1")
def test_a_policy_without_a_rubric_keeps_gbt19580(policy: Policy) -> None:
    """A policy entered before packs holds none: the file's rubric, as the review copies."""
    Policy.objects.filter(pk=policy.pk).update(rubrics={})
    policy.refresh_from_db()
    rubric = schema.self_evaluation_rubric(policy, "organization")
    assert rubric == rubrics.rubric_for("organization")
    assert len(rubric.items) == 23


@pytest.mark.req("A9.1")
def test_the_offices_rubric_preview_shows_the_policys_rubric(
    cycle: Cycle, office: User, policy: Policy
) -> None:
    url = reverse("review:rubric", args=[cycle.pk, "organization"])
    assert "高层领导的作用" in client_for(office).get(url).content.decode()
    _variant(policy)
    html = client_for(office).get(url).content.decode()
    assert "尚未复制评价准则" in html
    assert "示例行业卓越绩效评价准则" in html
    assert 'value="质量治理体系"' in html
    assert "高层领导的作用" not in html
