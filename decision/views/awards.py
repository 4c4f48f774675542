"""The awards' papers and money: the certificate as PDF (A21.1, A25.1) and the bonus ledger,
with payments and recoveries (A21.1, A22.1) and its Excel."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts import two_factor
from decision import forms, selectors, services
from decision import jobs as certificate_jobs
from decision.models import BonusEntry
from intake import standing
from intake.rules import is_own_application
from jobs import exports as large_exports
from lib import excel, signing
from lib.access import actor, perm_required, refused_on_form
from lib.certificates import canonical
from lib.errors import ServiceError
from lib.http import file_response
from programs.selectors import today

from .common import MANAGE, REWINNER_NOTE, VIEW, XLSX


def certificate_pdf(request: HttpRequest, number: str) -> HttpResponse:
    """The certificate as an A4 PDF (A21.1, A25.1), signed by the issuing office (PAdES,
    lib/signing.py), for the Office, supervisors and committee and for the winner itself;
    anyone else learns nothing of it (404). A revoked certificate is no longer the winner's to
    download; the Office's copy carries 已撤销 across the page, with the date and the reason,
    under the signature. The office's 电子印章, once uploaded, is stamped over the issuer."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    printed = canonical(number)
    certificate = selectors.certificate(printed) if printed else None
    if certificate is None:
        raise Http404
    award = certificate.award
    own = award.application is not None and is_own_application(request.user, award.application)
    # The readers' right is asked in the award's program (decision 0030: another program's
    # certificate is 404, as if it did not exist); the winner's is its own, in any program.
    if not (request.user.has_perm(VIEW, award.application) or (own and award.revoked_on is None)):
        raise Http404
    try:
        # The PDF kept by the announcement's job when still current, else drawn now
        # (decision/jobs.py): one path for the download and the annual archive.
        data = certificate_jobs.document(certificate)
    except signing.SigningUnavailable as exc:  # production without a key: never unsigned
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    return file_response(data, certificate_jobs.filename(certificate), "application/pdf")


# --- the bonus ledger (A21.1, A22.1) -----------------------------------------------------------


def _ledger_rows(bound: dict[int, forms.BonusForm] | None = None) -> list[dict[str, Any]]:
    rows = []
    award: Any  # annotated with due, paid, recovered, rewinner and repeated (selectors.ledger)
    for award in selectors.ledger():
        form = (bound or {}).get(award.pk) or forms.BonusForm(
            auto_id=f"id_{award.pk}_%s", initial={"on": today()}
        )
        rows.append(
            {
                "award": award,
                "entries": list(award.bonus_entries.all()),
                "standing": _standing_note(award),
                "outstanding": max(award.due - award.paid, 0),
                "held": award.paid - award.recovered,
                "form": form,
            }
        )
    return rows


def _standing_note(award: Any) -> str:
    """首次获奖, 再次获奖 (A24.1) or a repeated award of its level (A21.1: no bonus)."""
    return standing.standing_note(award.level, rewinner=award.rewinner, first=not award.repeated)


def _yuan(amount: int) -> str:
    """20万元, 12.5万元, 8000元: an amount as the Measures write it."""
    if amount >= 10_000:
        return f"{amount / 10_000:g}万元"
    return f"{amount}元"


def _bonus_rule() -> str:
    """Article 21 in the numbers of the Measures in force (another program's may differ)."""
    policy = standing.policy_in_force(today())
    given = [
        f"首次获得市长质量奖的组织奖励{_yuan(policy.bonus_organization_award)}",
        f"首次获得提名奖的{_yuan(policy.bonus_organization_nomination)}",
    ]
    none = "再次获奖者（曾获市长质量奖）和再次获得提名奖的不发奖金"
    if policy.bonus_individual_award:
        given.append(f"获奖个人奖励{_yuan(policy.bonus_individual_award)}")
    else:
        none = "个人、" + none
    return "、".join(given) + "；" + none


def _render_ledger(
    request: HttpRequest, bound: dict[int, forms.BonusForm] | None = None, status: int = 200
) -> HttpResponse:
    rows = _ledger_rows(bound)
    totals = {
        key: sum(getattr(r["award"], key) for r in rows) for key in ("due", "paid", "recovered")
    }
    totals["outstanding"] = sum(r["outstanding"] for r in rows)
    return render(
        request,
        "decision/ledger.html",
        {
            "rows": rows,
            "totals": totals,
            "can_manage": request.user.has_perm(MANAGE),
            "rewinner_note": REWINNER_NOTE,
            "bonus_rule": _bonus_rule(),
        },
        status=status,
    )


@perm_required(VIEW)
def ledger(request: HttpRequest) -> HttpResponse:
    """Each award's bonus: due by the policy, paid with vouchers, recovered, still to pay
    (A21.1, A22.1), with a form per award for the Office."""
    return _render_ledger(request)


@perm_required(MANAGE)
@require_POST
def bonus(request: HttpRequest, award_id: int) -> HttpResponse:
    """Record a payment (with its voucher) or a recovery in the ledger (A22.1)."""
    award = selectors.award(award_id)
    if award is None:
        raise Http404
    form = forms.BonusForm(request.POST, auto_id=f"id_{award.pk}_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            entry = services.record_bonus(
                actor=actor(request),
                award=award,
                kind=data["kind"],
                amount=data["amount"],
                on=data["on"],
                voucher=data["voucher"],
                note=data["note"],
            )
        except ServiceError as exc:
            refused_on_form(form, exc)
        else:
            messages.success(
                request,
                f"已记录{award.holder_name}{entry.get_kind_display()}{entry.amount:,}元。",
            )
            return redirect(reverse("decision:ledger") + f"#award-{award.pk}")
    return _render_ledger(request, {award.pk: form}, status=400)


LEDGER_HEADERS = [
    "获奖年度",
    "获奖者",
    "奖项",
    "首次或再次获奖",
    "类型",
    "金额（元）",
    "日期",
    "凭证号",
    "说明",
    "记录人",
    "记录时间",
]


def ledger_build() -> tuple[str, bytes]:
    """The ledger as Excel (file name, content): one row per entry, then the totals per kind and
    what is still to pay; what the view sends at once and what a background job makes
    (desk/exports.py, export "ledger")."""
    awards: list[Any] = list(selectors.ledger().prefetch_related(None))
    marks = {a.pk: _standing_note(a) for a in awards}
    rows: list[list[object]] = []
    totals = dict.fromkeys(BonusEntry.Kind.values, 0)
    for e in selectors.ledger_entries():
        award = e.award
        totals[e.kind] += e.amount
        rows.append(
            [
                award.year,
                award.holder_name,
                award.get_level_display(),
                marks.get(award.pk, ""),
                e.get_kind_display(),
                e.amount,
                e.on,
                e.voucher,
                e.note,
                str(e.recorded_by),
                e.recorded_at,
            ]
        )
    # Each total's label (合计, its kind) and amount in one row; the block kept on one page.
    summary: list[list[object]] = []
    for kind, label in BonusEntry.Kind.choices:
        summary.append(["合计", "", "", "", label, totals[kind], None, "", "", "", None])
    outstanding = sum(max(a.due - a.paid, 0) for a in awards)
    summary.append(["合计", "", "", "", "应发未发", outstanding, None, "", "", "", None])
    data = excel.workbook_bytes(
        title=f"市长质量奖奖金台账（{today():%Y-%m-%d}）",
        headers=LEDGER_HEADERS,
        rows=rows,
        totals=summary,
        sheet_name="奖金台账",
        formats={"金额（元）": excel.YUAN},
    )
    return f"市长质量奖奖金台账（{today():%Y-%m-%d}）.xlsx", data


@perm_required(VIEW)
@two_factor.fresh_otp_required  # winners' names and bonuses: personal data
def ledger_xlsx(request: HttpRequest) -> HttpResponse:
    """The ledger as Excel. Above `jobs.exports.LEDGER_ROWS` entries it is made in the
    background for the requester (desk/exports.py)."""
    if large_exports.too_large(selectors.ledger_entries(), large_exports.LEDGER_ROWS):
        return large_exports.hand_over(request, "ledger")
    name, data = ledger_build()
    return file_response(data, name, XLSX)
