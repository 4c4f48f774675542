from __future__ import annotations

import base64
import binascii
from typing import Any

from django import forms

from .models import AwardProgram, Cycle, Policy, Stage


class CycleCreateForm(forms.Form):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    policy = forms.ModelChoiceField(
        label="适用办法",
        queryset=Policy.objects.all(),
        required=False,
        help_text="留空则取该年1月1日施行的办法。",
    )
    work_plan = forms.CharField(
        label="工作安排", widget=forms.Textarea(attrs={"rows": 4}), required=False
    )

    def __init__(self, *args: Any, program: AwardProgram, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["policy"].queryset = program.policies.all()  # type: ignore[attr-defined]


class CycleDatesForm(forms.Form):
    """Two date fields per stage of article 11; the service validates the order and lengths."""

    reason = forms.CharField(
        label="修改理由",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="申报通知发布后修改日期须填写理由。",
    )

    def __init__(self, *args: Any, cycle: Cycle, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = {s.stage: s for s in cycle.stages.all()}
        for stage in Stage.ordered():
            row = current.get(stage.value)
            for part, label in (("starts_on", "开始"), ("ends_on", "结束")):
                self.fields[f"{stage.value}__{part}"] = forms.DateField(
                    label=f"{stage.label}{label}",
                    widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                    initial=getattr(row, part) if row else None,
                )
        # the reason field last
        self.fields["reason"] = self.fields.pop("reason")

    def stage_rows(self) -> list[tuple[Stage, forms.BoundField, forms.BoundField]]:
        return [
            (stage, self[f"{stage.value}__starts_on"], self[f"{stage.value}__ends_on"])
            for stage in Stage.ordered()
        ]

    def dates(self) -> dict[Stage, tuple[Any, Any]]:
        return {
            stage: (
                self.cleaned_data[f"{stage.value}__starts_on"],
                self.cleaned_data[f"{stage.value}__ends_on"],
            )
            for stage in Stage.ordered()
        }


class ArrangementForm(forms.Form):
    year = forms.IntegerField(label="年份", min_value=2000, max_value=2100)
    notice_ref = forms.CharField(
        label="依据",
        max_length=200,
        help_text="国务院办公厅关于该年部分节假日安排的通知，如“国办发明电〔2026〕X号”。",
    )
    days = forms.CharField(
        label="放假与调休上班日期",
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 10, "placeholder": "2027-01-01,放假,元旦\n2027-02-06,上班,春节调休"}
        ),
        help_text="每行一天：日期,类型（放假/上班）,名称。也可改为上传文件。",
    )
    file = forms.FileField(
        label="或上传文件（Excel .xlsx 或 CSV）",
        required=False,
        help_text="首行为表头：日期、类型、名称。",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("days", "").strip() and not data.get("file"):
            raise forms.ValidationError("请逐行填写日期，或上传安排文件。")
        return data


class SealForm(forms.Form):
    """The office's 电子印章: a PNG with a transparent background (checked by the service)."""

    image = forms.FileField(
        label="印章图片（PNG，透明背景）",
        help_text="请上传本单位公章经扫描、去除背景后的PNG图片：圆形或椭圆形，每边400至4000像素，"
        "背景透明。证书将把印章盖在落款和日期上。",
    )


class SealRemoveForm(forms.Form):
    reason = forms.CharField(
        label="撤下原因",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="撤下后，新下载的证书不再加盖电子印章。",
    )


class PackUploadForm(forms.Form):
    """A revised program pack, previewed before anything is written (the service checks it)."""

    file = forms.FileField(
        label="方案包文件（YAML）",
        help_text="可先下载当前方案包，按新的办法修改后上传；上传只作预览，确认后才载入。",
    )
    skip_units = forms.BooleanField(
        label="不载入推荐单位",
        required=False,
        help_text="与命令的 --skip-units 相同：只载入奖项和办法，推荐单位不变。",
    )


class PackConfirmForm(forms.Form):
    """The previewed pack carried back (its bytes in base64: the SHA-256 stays the file's) with
    the digest of the previewed changes and the clerk's reason."""

    content = forms.CharField(widget=forms.HiddenInput)
    name = forms.CharField(widget=forms.HiddenInput, max_length=200)
    skip_units = forms.BooleanField(widget=forms.HiddenInput, required=False)
    previewed = forms.CharField(widget=forms.HiddenInput, max_length=64)
    reason = forms.CharField(
        label="载入理由",
        max_length=500,
        error_messages={"required": "请填写载入理由。"},
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="如：依据新印发的《办法》（文号）修订。记入审计日志。",
    )

    def clean_content(self) -> bytes:
        try:
            return base64.b64decode(self.cleaned_data["content"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise forms.ValidationError("方案包内容无效，请重新上传。") from exc
