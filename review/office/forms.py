"""Forms of the Office's review pages: they only shape input; `review.services` decides."""

from __future__ import annotations

from django import forms

from lib.forms import BootstrapForm


class ScheduleForm(BootstrapForm):
    """The dates and place of an organization's on-site review (A17.1)."""

    starts_on = forms.DateField(
        label="开始日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    ends_on = forms.DateField(
        label="结束日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    place = forms.CharField(label="地点", max_length=200)
