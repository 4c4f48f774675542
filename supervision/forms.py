"""Forms of the supervision pages: they only shape input; `supervision.services` validates and
decides (dates in the future, required texts, the case's state)."""

from __future__ import annotations

from collections.abc import Collection

from django import forms

from lib.forms import BootstrapForm

from .models import Case, Sanction


def _date(label: str, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def _text(label: str, *, required: bool = True, rows: int = 4) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, widget=forms.Textarea(attrs={"rows": rows})
    )


class ReportForm(BootstrapForm):
    """The winner's written report of a violation (A23.1)."""

    what_happened = _text("违规情况")
    confirmed_on = _date("确认日期")
    evidence = _text("证据材料", required=False, rows=3)


OFFICE_SOURCES = [(v, label) for v, label in Case.Source.choices if v != Case.Source.WINNER]


class CaseForm(BootstrapForm):
    """A case the Office opens itself (A23.2)."""

    award = forms.TypedChoiceField(label="获奖记录", coerce=int)
    source = forms.ChoiceField(label="案件来源", choices=[("", "请选择"), *OFFICE_SOURCES])
    what_happened = _text("违规情况")
    confirmed_on = _date("违规确认日期", required=False)
    evidence = _text("证据材料", required=False, rows=3)

    def __init__(self, *args: object, awards: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["award"].choices = [("", "请选择"), *awards]  # type: ignore[attr-defined]


class FindingsForm(BootstrapForm):
    findings = _text("核查情况")


class DecideForm(BootstrapForm):
    """The committee's decision; `withheld` are the outcomes `services.outcome_refusals` says
    the case cannot take (not offered, and refused if posted)."""

    outcome = forms.ChoiceField(
        label="委员会决定",
        choices=Case.Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "该处理决定不能记录，请重新选择。"},
    )
    decided_on = _date("决定日期")
    decision_ref = forms.CharField(label="委员会决定或政府文号", max_length=200)

    def __init__(self, *args: object, withheld: Collection[str] = (), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        outcome = self.fields["outcome"]
        outcome.choices = [c for c in Case.Outcome.choices if c[0] not in withheld]  # type: ignore[attr-defined]
        outcome.widget.attrs["class"] = "form-check-input"


class SanctionForm(BootstrapForm):
    """The committee's sanctions for fraud, as the Office records them (A29.1)."""

    application = forms.TypedChoiceField(label="申报", coerce=int)
    kinds = forms.MultipleChoiceField(
        label="处理方式",
        choices=Sanction.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    reason = _text("事由")
    decided_on = _date("决定日期")
    decision_ref = forms.CharField(label="委员会决定", max_length=200)

    def __init__(
        self, *args: object, applications: list[tuple[int, str]], **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["application"].choices = [("", "请选择"), *applications]  # type: ignore[attr-defined]
        # Checkboxes and radios keep Bootstrap's own check classes.
        self.fields["kinds"].widget.attrs["class"] = "form-check-input"
