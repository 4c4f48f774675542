"""Forms of the expert pages: they only shape input; `experts.services` validates and decides."""

from __future__ import annotations

from typing import Any

from django import forms

from lib import files, industries
from lib import phone as phones
from lib.forms import BootstrapForm

from .models import Conflict, Expert, ExpertSanction


def _date() -> forms.DateField:
    return forms.DateField(
        label="",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class ExpertForm(BootstrapForm):
    """An expert's profile with the evidence of article 8 and the current employer."""

    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(label="身份证号码", max_length=18)
    phone = forms.CharField(label="手机号码", max_length=40, required=False)
    title = forms.CharField(label="职称", max_length=100, required=False)
    category = forms.ChoiceField(label="类别", choices=Expert.Category.choices)
    industries = forms.MultipleChoiceField(
        label="熟悉行业（GB/T 4754大类）", required=False, widget=forms.SelectMultiple
    )
    practice_years = forms.IntegerField(label="实践年限", min_value=0, max_value=70)
    training_certificate = forms.CharField(
        label="卓越绩效评价准则培训证书", max_length=100, required=False
    )
    training_on = _date()
    evidence_policy = forms.CharField(
        label="第八条第一项：熟悉方针政策和法律法规的依据",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    evidence_practice = forms.CharField(
        label="第八条第二项：实践经验及分析沟通能力的依据",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    evidence_training = forms.CharField(
        label="第八条第三项：接受卓越绩效评价准则学习教育的依据",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    evidence_discipline = forms.CharField(
        label="第八条第四项：履职守纪、公正严明的依据",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    max_load = forms.IntegerField(label="每年度最多评审件数", min_value=1, max_value=50, initial=5)
    status = forms.ChoiceField(label="状态", choices=Expert.Status.choices, initial="active")
    employer_name = forms.CharField(label="现工作单位", max_length=200, required=False)
    employer_since = _date()

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["industries"].choices = industries.choices()  # type: ignore[attr-defined]
        self.fields["industries"].widget.attrs["size"] = 8
        self.fields["training_on"].label = "培训日期"
        self.fields["employer_since"].label = "入职日期"
        if editing:
            # The 身份证 number identifies the expert: it is not changed on this page.
            del self.fields["id_number"]

    def clean_phone(self) -> str:
        """A mobile or a landline with area code, in its written form (lib/phone.py)."""
        value = self.cleaned_data.get("phone", "")
        if not value:
            return ""
        try:
            return phones.validate_phone(value)
        except phones.InvalidPhone as exc:
            raise forms.ValidationError(f"{exc}。") from exc


class ImportForm(BootstrapForm):
    file = forms.FileField(label="专家名单（.xlsx）")

    def clean_file(self) -> Any:
        """The upload checks of every file (lib/files.py: bombs, macros, the virus scanner)."""
        upload = self.cleaned_data["file"]
        message = check_import_file(upload.name or "", upload.read())
        upload.seek(0)
        if message:
            raise forms.ValidationError(message)
        return upload


MAX_IMPORT_BYTES = 10 * 1024 * 1024  # a pool of a few hundred experts is well under 1 MB


def check_import_file(name: str, data: bytes) -> str:
    """Why the uploaded expert list is refused (lib/files.py), or "" when it may be read."""
    try:
        kind = files.check_upload(name, data, max_bytes=MAX_IMPORT_BYTES)
    except files.RejectedFile as exc:
        return str(exc)
    return "" if kind is files.XLSX else "请上传 Excel（.xlsx）表格。"


class CodeForm(BootstrapForm):
    text = forms.CharField(label="工作守则", widget=forms.Textarea(attrs={"rows": 6}))


class DeclareForm(BootstrapForm):
    reason = forms.ChoiceField(label="利害关系", choices=Conflict.Reason.choices)
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SanctionForm(forms.Form):
    """The committee's sanction on a reviewer (A26.2), as the Office records it."""

    kind = forms.ChoiceField(label="处分", choices=ExpertSanction.Kind.choices)
    decided_on = forms.DateField(
        label="决定日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    decision_ref = forms.CharField(label="委员会决定（会议或文号）", max_length=200)
    reason = forms.CharField(
        label="事由", max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    evidence = forms.CharField(
        label="证据", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class RecusalForm(BootstrapForm):
    """The applicant names a person who should not review it (A26.1)."""

    name = forms.CharField(label="要求回避的人员姓名", max_length=50)
    employer = forms.CharField(
        label="其工作单位",
        max_length=200,
        required=False,
        help_text="填写后只与该单位的同名人员匹配。",
    )
    reason = forms.ChoiceField(label="回避原因")
    note = forms.CharField(label="理由", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from .services import RECUSAL_REASONS

        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = RECUSAL_REASONS  # type: ignore[attr-defined]
