"""The draft's autosave checks the eligibility rules again only when what they read changed
(issue 17 part 3): typing in the texts no rule reads costs fewer statements, and what the
applicant sees stays true."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import Individual, Organization, User
from intake import eligibility, schema
from intake.models import Application
from lib import uscc
from programs.models import Policy
from tests.conftest import client_for
from tests.intake.conftest import complete_form
from tests.intake.test_pages import as_post

HTMX = {"HX-Request": "true"}


def _save(client: Any, draft: Application, post: dict[str, str]) -> str:
    url = reverse("intake:save", args=[draft.public_id])
    response = client.post(url, post, headers=HTMX)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.req("A15.2")
def test_typing_a_text_no_rule_reads_does_not_check_the_rules_again(
    draft: Application, applicant: User, django_assert_max_num_queries: Any
) -> None:
    client = client_for(applicant)
    post = as_post(complete_form())
    _save(client, draft, post)  # the session and the caches warm
    changed_rule = post | {"gbt19580_since": "2025-01-01"}
    # Was 17 (issue 17's measure): the session write, the stages twice, the navigation.
    with django_assert_max_num_queries(10):
        html = _save(client, draft, changed_rule)
    assert '<div id="preview-findings" hx-swap-oob="true">' in html
    assert "自2025-01-01推行GB/T 19580，至申报日不满2年" in html
    assert '<div id="preview-missing" hx-swap-oob="true">' in html

    typed_text = changed_rule | {"summary": "坚持质量第一，持续改进。"}
    # The user, roles, device, the application with its stages, the UPDATE.
    with django_assert_max_num_queries(6) as unchecked:
        html = _save(client, draft, typed_text)
    assert "preview-findings" not in html  # the page keeps its findings: still true
    assert '<div id="preview-missing" hx-swap-oob="true">' in html
    assert html.startswith("已自动保存 10:00")
    draft.refresh_from_db()
    assert draft.data["summary"] == "坚持质量第一，持续改进。"
    # Neither the award records, the bans nor the policy are read for a text: the policy comes
    # joined to the application (the form asks its look-back years), never a statement of its own.
    tables = " ".join(q["sql"] for q in unchecked.captured_queries)
    assert "intake_awardrecord" not in tables
    assert "intake_ban" not in tables
    assert 'FROM "programs_policy"' not in tables
    assert 'JOIN "programs_policy"' in tables

    # What is missing follows every save: emptying the summary lists it at once.
    html = _save(client, draft, changed_rule | {"summary": ""})
    assert "preview-findings" not in html
    assert "可以提交" not in html


@pytest.mark.req("A15.2")
def test_the_edit_page_always_shows_the_rules_checked(draft: Application, applicant: User) -> None:
    page = client_for(applicant).get(reverse("intake:edit", args=[draft.public_id]))
    html = page.content.decode()
    assert '<div id="preview-findings">' in html
    assert "qa-eligibility" in html


class _Reads:
    """A form that notes which of its fields are read."""

    def __init__(self, form: schema.ApplicationForm) -> None:
        self._form = form
        self.read: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        self.read.add(name)
        return getattr(self._form, name)


@pytest.mark.parametrize("kind", ["organization", "individual"])
def test_the_rules_read_only_the_fields_the_autosave_watches(policy: Policy, kind: str) -> None:
    """`eligibility.FORM_FIELDS` is what decides whether the autosave checks again: a rule
    reading another field must add it there, or the preview would go stale."""
    form = _Reads(schema.parse(complete_form(kind)))
    person = Individual(name="李娜", quality_work_years=10, position="cqo")
    organization = Organization(
        uscc="91320682MA1XYK123" + uscc.check_character("91320682MA1XYK123"),
        name="示例公司",
        established_on=dt.date(2012, 5, 18),
    )
    ctx = eligibility.Context(
        form=form,  # type: ignore[arg-type]
        policy=policy,
        division_code="320682",
        reference=dt.date(2026, 3, 2),
        organization=organization if kind == "organization" else None,
        individual=person if kind == "individual" else None,
    )
    eligibility.evaluate(ctx)
    assert form.read
    assert form.read <= set(eligibility.FORM_FIELDS)
