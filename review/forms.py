"""Input of the review pages: they only shape what was posted; `review.services` validates and
decides (steps of 5, completeness, who may act and when)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import forms

from lib.forms import BootstrapForm
from lib.params import parse_int

from .models import PERCENTS, RubricItem

PERCENT_CHOICES = [("", "未评分")] + [(str(p), f"{p}%") for p in PERCENTS]
RATINGS = [(str(n), f"{n}分") for n in range(5, 0, -1)]


def item_entries(post: Mapping[str, Any], items: Iterable[RubricItem]) -> dict[str, dict[str, Any]]:
    """Per item code the posted `percent-<code>`, `strengths-<code>` and
    `opportunities-<code>` (percent as posted: the service checks it)."""
    return {
        i.code: {
            "percent": (post.get(f"percent-{i.code}") or "").strip() or None,
            "strengths": post.get(f"strengths-{i.code}", ""),
            "opportunities": post.get(f"opportunities-{i.code}", ""),
        }
        for i in items
    }


def revision(post: Mapping[str, Any]) -> int | None:
    return parse_int(str(post.get("revision", "")), lo=0, hi=2**31 - 1)


class ReasonForm(BootstrapForm):
    reason = forms.CharField(
        label="退回理由", max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


def _text(label: str, required: bool = False) -> forms.CharField:
    return forms.CharField(label=label, required=required, widget=forms.Textarea(attrs={"rows": 3}))


class SiteRecordForm(BootstrapForm):
    """The leader's record of the site visit (A17.1)."""

    items_verified = _text("核实的条款", required=True)
    interviews = _text("访谈情况")
    evidence_seen = _text("查阅的证据")
    issues_found = _text("发现的问题")


class SupervisorReportForm(BootstrapForm):
    """The supervisor's report on the visit (A27.1)."""

    group_conduct = _text("专家组工作纪律情况", required=True)
    applicant_conduct = _text("申报单位配合及廉洁情况", required=True)


def _rating(label: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label, choices=RATINGS, coerce=int, widget=forms.RadioSelect
    )


class GroupFeedbackForm(forms.Form):
    """The organization rates the expert group (A28.1)."""

    work_quality = _rating("工作质量")
    integrity = _rating("廉洁自律")
    comments = forms.CharField(
        label="意见",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )


class ApplicantFeedbackForm(forms.Form):
    """The site group's leader rates the organization's discipline (A28.1)."""

    discipline = _rating("遵守纪律")
    comments = forms.CharField(
        label="意见",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )
