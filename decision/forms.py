"""Forms of the Office's decision pages: they only shape input (dates, choices); the services in
`decision/services.py` validate against the Measures and decide."""

from __future__ import annotations

from django import forms

from lib.forms import BootstrapForm

from .models import Approval, BonusEntry, Objection


def _date(label: str) -> forms.DateField:
    return forms.DateField(
        label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


def _text(label: str, rows: int = 3, *, required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, widget=forms.Textarea(attrs={"rows": rows})
    )


class ApprovalForm(BootstrapForm):
    """The committee's 审定 (meeting, attendees, resolution) or the government's approval (文号)."""

    body = forms.ChoiceField(choices=Approval.Body.choices, widget=forms.HiddenInput)
    decided_on = _date("日期")
    reference = forms.CharField(label="会议名称", max_length=200)
    attendees = _text("出席人员", 2)
    resolution = _text("决议内容", 3)

    def __init__(
        self, *args: object, body: str = Approval.Body.COMMITTEE, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # Form's own signature
        self.fields["body"].initial = body
        if body == Approval.Body.GOVERNMENT:
            self.fields["decided_on"].label = "批准日期"
            self.fields["reference"].label = "批准文号"
            self.fields["reference"].widget.attrs["placeholder"] = "如：皋政复〔2026〕88号"
            del self.fields["attendees"]
            self.fields["resolution"].label = "批复内容"
        else:
            self.fields["decided_on"].label = "会议日期"
            self.fields["reference"].widget.attrs["placeholder"] = (
                "如：质量发展委员会2026年第3次全体会议"
            )


class NoticeForm(BootstrapForm):
    starts_on = _date("公示开始日期")


class DecisionForm(BootstrapForm):
    """The Office's conclusion on an objection and its reply to the objector (A20.2)."""

    outcome = forms.ChoiceField(
        label="核查结论",
        choices=[("", "请选择"), *[c for c in Objection.Outcome.choices if c[0] != "open"]],
    )
    findings = _text("核查情况", 4, required=True)
    reply = _text("给异议人的答复", 4, required=True)
    withdraw = forms.BooleanField(label="异议成立，将该对象撤出拟奖名单", required=False)


class AnnounceForm(BootstrapForm):
    announced_on = _date("公告日期")
    document_number = forms.CharField(label="公告文号", max_length=100)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # Form's own signature
        self.fields["document_number"].widget.attrs["placeholder"] = "如：皋政发〔2026〕120号"


class BonusForm(BootstrapForm):
    """A payment with its voucher, or a recovery, in the bonus ledger (A22.1)."""

    kind = forms.ChoiceField(
        label="类型",
        choices=[c for c in BonusEntry.Kind.choices if c[0] != BonusEntry.Kind.DUE],
    )
    amount = forms.IntegerField(label="金额（元）", min_value=1)
    on = _date("日期")
    voucher = forms.CharField(label="凭证号（拨付必填）", max_length=100, required=False)
    note = forms.CharField(label="说明", max_length=200, required=False)
