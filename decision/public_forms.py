"""Forms of the public pages (no login): they only shape input; `decision.services` validates
and decides (a blank name, a late objection and a refused file are the service's to refuse, in
its words)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from lib import files
from lib import phone as phones
from lib.forms import BootstrapForm

from .models import Entry

# What the file picker offers; the service still types every file from its content.
ACCEPT = ",".join(ext for kind in files.KINDS for ext in kind.extensions)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


def _text(label: str, max_length: int, **attrs: Any) -> forms.CharField:
    # Not `required`: the service says what is missing, in the Measures' terms; the template
    # marks the required ones from `aria-required`.
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=False,
        widget=forms.TextInput(attrs={"maxlength": max_length, "aria-required": "true", **attrs}),
    )


class ObjectionForm(BootstrapForm):
    """An objection to the published list (A20.2): who objects, how to reach them, against
    whom, what, and the evidence (the files are read by the view, checked by the service)."""

    name = _text("真实姓名", 50, autocomplete="name")
    identity = _text("身份或工作单位", 200, autocomplete="organization")
    contact = _text("联系方式（手机、带区号的固定电话或电子邮箱）", 100, autocomplete="tel")
    entry = forms.ChoiceField(label="异议针对的拟奖对象", required=False)
    content = forms.CharField(
        label="异议内容",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": 4000, "aria-required": "true"}),
    )
    evidence = forms.FileField(
        label="证明材料",
        required=False,
        widget=MultipleFileInput(attrs={"accept": ACCEPT}),
    )

    def __init__(self, *args: Any, entries: Sequence[tuple[Entry, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # An entry is named by its place on the list, not by a database id (DESIGN.md: public
        # identifiers are never sequential ids).
        self.entries = {str(entry.position): entry for entry, _ in entries}
        field = self.fields["entry"]
        field.choices = [("", "不指定（针对名单整体或其他事项）")] + [  # type: ignore[attr-defined]
            (str(entry.position), label) for entry, label in entries
        ]

    def clean_contact(self) -> str:
        """A mobile, a landline with area code or an e-mail address (lib/phone.py), in its
        written form; a blank one is the service's to refuse, in the Measures' terms."""
        value = self.cleaned_data.get("contact", "")
        if not value.strip():
            return value
        try:
            return phones.validate_contact(value)
        except phones.InvalidPhone as exc:
            raise forms.ValidationError(f"{exc}。") from exc

    def chosen_entry(self) -> Entry | None:
        return self.entries.get(self.cleaned_data.get("entry") or "")


class VerifyForm(forms.Form):
    number = forms.CharField(
        label="证书编号",
        max_length=60,
        required=False,
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-lg",
                "placeholder": "例如 RG2026-7KQ3-M9XD-2F8H-TW5C",
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
            }
        ),
    )
