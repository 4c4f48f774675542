"""The application's page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts import selectors as account_selectors
from intake import eligibility, forms, schema, selectors, workflow
from intake.models import (
    Application,
    ApplicationVersion,
    EligibilityResult,
    Kind,
    State,
)
from lib import idcard, industries

from .common import _application

# --- the application's page ------------------------------------------------------------------


def _applicant_facts(application: Application) -> list[tuple[str, str]]:
    """The registration facts the reviewers check against (the 身份证 number masked)."""
    org, person = application.organization, application.individual
    if org is not None:
        flags = "、".join(
            label
            for flag, label in ((org.is_construction, "建筑企业"), (org.is_industrial, "工业企业"))
            if flag
        )
        return [
            ("统一社会信用代码", org.uscc),
            ("所在镇（区、街道）", str(application.recommending_unit)),
            ("行业", industries.label(org.industry_code) if org.industry_code else "未填写"),
            ("成立日期", f"{org.established_on:%Y-%m-%d}" if org.established_on else "未填写"),
            ("法定代表人", org.legal_representative or "未填写"),
            ("企业类型", flags or "非建筑、非工业企业"),
            ("环保信用等级", org.get_environmental_rating_display()),
            ("首席质量官", org.chief_quality_officer or "未设立"),
        ]
    assert person is not None  # the database constraint: one of the two
    return [
        ("身份证号码", idcard.mask(person.id_number)),
        ("身份", person.get_position_display()),
        ("所在组织", person.employer_name),
        ("在本市从事质量工作", f"{person.quality_work_years}年"),
        ("推荐单位", str(application.recommending_unit)),
    ]


def _submitted_as(latest: ApplicationVersion | None) -> list[tuple[str, str]]:
    """The name and code the latest version was submitted with, where the registration now
    differs (the facts below are the registration's now)."""
    if latest is None:
        return []
    application, frozen = latest.application, latest.applicant
    live = application.organization or application.individual
    rows = []
    if frozen.get("name") and live is not None and frozen["name"] != live.name:
        rows.append(("申报时名称", f"{frozen['name']}（现名称：{live.name}）"))
    uscc = getattr(live, "uscc", "")
    if frozen.get("uscc") and uscc and frozen["uscc"] != uscc:
        rows.append(("申报时统一社会信用代码", f"{frozen['uscc']}（现为：{uscc}）"))
    return rows


@dataclass(frozen=True)
class ResultRow:
    """One rule's outcome as the page shows it."""

    result: EligibilityResult
    title: str


@login_required
def detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    application = _application(request, public_id)
    user = request.user
    versions = selectors.versions_of(application)
    latest = versions[-1] if versions else None
    shown = latest.data if latest else application.data
    reference = eligibility.reference_date(application.cycle)
    rubric = schema.self_evaluation_rubric(application.cycle.policy, application.kind)
    results = [
        ResultRow(
            r,
            rule.titled(application.cycle.policy)
            if (rule := eligibility.RULES_BY_KEY.get(r.rule))
            else r.rule,
        )
        for r in selectors.latest_eligibility(application)
    ]
    if latest is not None:
        attachments = [
            {
                "id": a["id"],
                "name": a["name"],
                "section": forms.ATTACHMENT_SECTIONS.get(a["section"], a["section"]),
                "size": a["size"],
            }
            for a in latest.attachments
        ]
        missing = schema.missing_for_submission(
            schema.parse(latest.data),
            kind=application.kind,
            reference=reference,
            lookback_years=application.cycle.policy.lookback_years,
            rubric=rubric,
        )
    else:
        attachments = [
            {
                "id": str(a.public_id),
                "name": a.original_name,
                "section": forms.ATTACHMENT_SECTIONS.get(a.section, a.section),
                "size": a.size,
            }
            for a in selectors.draft_attachments(application)
        ]
        missing = []
    changes: list[forms.Change] = []
    attachment_changes: dict[str, list[str]] = {}
    if len(versions) >= 2:
        before, after = versions[-2], versions[-1]
        changes = forms.diff(
            before.data,
            after.data,
            kind=application.kind,
            lookback_years=application.cycle.policy.lookback_years,
            rubric=rubric,
        )
        old = {a["id"]: a["name"] for a in before.attachments}
        new = {a["id"]: a["name"] for a in after.attachments}
        attachment_changes = {
            "added": [n for i, n in new.items() if i not in old],
            "removed": [n for i, n in old.items() if i not in new],
        }
    # The registration changed after the first submission (申报后登记信息变更): the Office
    # judges the version on what was submitted and sees what changed since.
    registration_changes = (
        account_selectors.registration_changes(
            organization=application.organization,
            individual=application.individual,
            since=versions[0].submitted_at,
        )
        if versions and user.has_perm("intake.decide_application")
        else []
    )
    decisions, current_decision = selectors.decisions_of(application)
    state = application.state
    # What this person may do now, and why not: asked of the workflow table, never re-derived.
    actions = workflow.allowed_actions(application, user)
    can_edit = user.has_perm("intake.edit_application", application)
    confirmable = [r for r in results if r.result.outcome == EligibilityResult.Outcome.CONFIRM]
    failed = [r for r in results if r.result.outcome == EligibilityResult.Outcome.FAIL]
    failed_articles = {r.result.article for r in failed}
    return render(
        request,
        "intake/detail.html",
        {
            "application": application,
            "facts": _submitted_as(latest) + _applicant_facts(application),
            "registration_changes": registration_changes,
            "latest": latest,
            "versions": versions,
            "sheet": forms.build_sheet(
                application.kind,
                shown,
                reference_year=reference.year,
                lookback_years=application.cycle.policy.lookback_years,
                rubric=rubric,
            ),
            "results": results,
            "attachments": attachments,
            "missing": missing,
            "changes": changes,
            "attachment_changes": attachment_changes,
            "recommendations": selectors.recommendations_of(application),
            "decisions": decisions,
            "current_decision": current_decision,
            "actions": actions,
            "refusals": workflow.refusals(actions),
            "decide": actions.get("accept"),
            "return_option": actions.get("return") or actions.get("office_return"),
            "correct": (
                actions.get("correct_to_accepted") or actions.get("correct_to_not_accepted")
            )
            if current_decision is not None
            else None,
            "progress": selectors.progress(application),
            "is_own": can_edit,
            "confirmable": confirmable,
            "failed": failed,
            "articles": [
                (code, label, code in failed_articles)
                for code, label in forms.article_choices(application.kind, application.cycle.policy)
            ],
            "is_org": application.kind == Kind.ORGANIZATION,
            # A28.1 and the feedback report: the review's pages for the applicant (their own
            # views check again; linked by URL name since review sits above intake).
            "can_rate_group": can_edit
            and application.kind == Kind.ORGANIZATION
            and state in {State.SITE_REVIEW, State.EVALUATED},
            # The feedback report is the applicant's for good once the evaluation is done.
            "can_download_feedback": can_edit and state in selectors.FEEDBACK_STATES,
        },
    )
