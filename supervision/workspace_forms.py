"""The supervision note form (A27.1): what a supervisor or the Office writes, and what it is
about (a cycle, an application or an expert, each optional)."""

from __future__ import annotations

from typing import Any

from django import forms

from lib.forms import BootstrapForm
from programs.models import Cycle
from programs.selectors import tenant_cycles

from .services import TEXT_LIMIT


class NoteForm(BootstrapForm):
    text = forms.CharField(
        label="记录内容",
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="记录一经保存不可修改或删除。",
    )
    cycle = forms.ModelChoiceField(
        label="年度", queryset=Cycle.objects.order_by("-year"), required=False, empty_label="不限"
    )
    application = forms.UUIDField(required=False, widget=forms.HiddenInput)
    expert = forms.UUIDField(required=False, widget=forms.HiddenInput)
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The current program's years only (decision 0030: another program's is not offered,
        # and posting its id is refused as an invalid choice).
        self.fields["cycle"].queryset = tenant_cycles().order_by("-year")  # type: ignore[attr-defined]
        self.fields["cycle"].label_from_instance = lambda c: f"{c.year}年度"  # type: ignore[attr-defined]
