"""The Office's pages of 审定, 公示 and 批准: the year's board (the list's steps from the draft
to the announcement), the draft from the ranking, one objection, the bonus ledger and the
certificates.

Thin views (STYLE.md): they parse, call `decision.services` and render; reads come from
`decision.selectors`. The Office acts (`decision.manage`); supervisors and committee members read
(`decision.view`), and their POSTs are 403. An objector's identity and evidence are for the Office
and the supervisors only."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from urllib.parse import urlencode

from django import forms as django_forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.rules import is_supervisor
from intake import standing
from intake.models import AwardRecord, Kind
from intake.rules import is_own_application
from lib import excel
from lib.access import actor, perm_required, refused, refused_on_form
from lib.certificates import canonical
from lib.certificates import certificate_pdf as render_certificate
from lib.errors import ServiceError
from lib.http import file_response
from lib.workdays import UnknownCalendarYear
from programs.models import Cycle
from programs.selectors import (
    current_cycle,
    default_program,
    opened_cycles,
    today,
    work_calendar,
)

from . import forms, selectors, services
from .models import Approval, ApprovalAttachment, BonusEntry, Certificate, Objection, Proposal

logger = logging.getLogger(__name__)

MANAGE = "decision.manage"
VIEW = "decision.view"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REWINNER_NOTE = "不占名额，不发奖金（《办法》第二十四条）"
# The list's steps as the board shows them, and which one is under way in each state.
STEPS = ["拟定", "委员会审定", "市政府批准", "公示", "公示结束", "公告"]
CURRENT_STEP = {
    Proposal.State.DRAFT: 0,
    Proposal.State.COMMITTEE_APPROVED: 2,
    Proposal.State.GOVERNMENT_APPROVED: 3,
    Proposal.State.IN_NOTICE: 3,
    Proposal.State.NOTICE_CLOSED: 5,
    Proposal.State.ANNOUNCED: len(STEPS),
}


def _may_oversee(user: Any) -> bool:
    """The Office and the supervisors read objections with the objector's details (A27.1)."""
    return bool(user.has_perm(MANAGE) or is_supervisor(user))


def _cycle(cycle_id: int) -> Cycle:
    return get_object_or_404(Cycle.objects.select_related("policy", "program"), pk=cycle_id)


def _proposal(cycle: Cycle) -> Proposal:
    return get_object_or_404(Proposal.objects.select_related("cycle__policy"), cycle=cycle)


def _board_url(cycle: Cycle, anchor: str = "") -> str:
    url = reverse("decision:board") + "?" + urlencode({"cycle": cycle.pk})
    return f"{url}#{anchor}" if anchor else url


def _choose_cycle(request: HttpRequest) -> tuple[list[Cycle], Cycle | None]:
    """The opened cycles and the one asked for (?cycle=), else the current one."""
    cycles = list(opened_cycles().select_related("policy", "program"))
    wanted = request.GET.get("cycle", "")
    cycle = next((c for c in cycles if wanted.isdigit() and c.pk == int(wanted)), None)
    if cycle is None:
        program = default_program()
        current = current_cycle(program) if program else None
        cycle = next((c for c in cycles if current and c.pk == current.pk), None)
    return cycles, cycle


# --- the notice's dates (A20.1) ----------------------------------------------------------------


def _first_workday(day: dt.date) -> dt.date:
    """`day` if it is a working day, else the next one (the default start of a notice)."""
    calendar = work_calendar()
    while not calendar.is_workday(day):
        day += dt.timedelta(days=1)
    return day


def _notice_preview(cycle: Cycle, starts_on: dt.date | None) -> dict[str, Any]:
    """The notice's end for a start, as `services.notice_end` will set it, or why there is none."""
    if starts_on is None:
        return {"error": "请选择公示开始日期。"}
    try:
        if not work_calendar().is_workday(starts_on):
            return {"starts_on": starts_on, "error": f"{starts_on:%Y-%m-%d}不是工作日。"}
        ends_on = services.notice_end(starts_on, cycle.policy)
    except UnknownCalendarYear as exc:
        return {"starts_on": starts_on, "error": f"尚未录入{exc.year}年的节假日安排，无法计算。"}
    return {"starts_on": starts_on, "ends_on": ends_on, "days": cycle.policy.notice_working_days}


def _parse_date(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        return None


# --- the board ---------------------------------------------------------------------------------


def _steps(proposal: Proposal | None) -> list[dict[str, Any]]:
    current = CURRENT_STEP[Proposal.State(proposal.state)] if proposal else 0
    return [
        {
            "n": n + 1,
            "label": label,
            "state": "done" if n < current else "current" if n == current else "upcoming",
        }
        for n, label in enumerate(STEPS)
    ]


def _render_board(
    request: HttpRequest,
    cycles: list[Cycle],
    cycle: Cycle | None,
    bound: dict[str, django_forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The board; `bound` holds a refused form to show again with what was typed."""
    can_manage = request.user.has_perm(MANAGE)
    context: dict[str, Any] = {"cycles": cycles, "cycle": cycle, "can_manage": can_manage}
    if cycle is None:
        return render(request, "decision/board.html", context, status=status)
    data = selectors.board(cycle)
    proposal = data.proposal
    state = proposal.state if proposal else None
    bound = bound or {}
    context |= {
        "data": data,
        "proposal": proposal,
        "state": state,
        "State": Proposal.State,
        "steps": _steps(proposal),
        "may_oversee": _may_oversee(request.user),
        "live": [e for e in data.entries if not e.withdrawn_at],
        "open_objections": sum(1 for o in data.objections if o.outcome == Objection.Outcome.OPEN),
        "rewinner_note": REWINNER_NOTE,
        "today": today(),
    }
    if not can_manage or proposal is None:
        return render(request, "decision/board.html", context, status=status)
    if state == Proposal.State.DRAFT and data.entries:
        context["approval_form"] = bound.get("approval") or forms.ApprovalForm(
            body=Approval.Body.COMMITTEE, initial={"decided_on": today()}
        )
    elif state == Proposal.State.COMMITTEE_APPROVED:
        context["approval_form"] = bound.get("approval") or forms.ApprovalForm(
            body=Approval.Body.GOVERNMENT, initial={"decided_on": today()}
        )
    elif state == Proposal.State.GOVERNMENT_APPROVED:
        form = bound.get("notice")
        start: dt.date | None
        wanted = _parse_date(request.GET.get("starts_on", ""))
        if form is None:
            try:
                start = wanted or _first_workday(today())
            except UnknownCalendarYear:
                start = today()
            form = forms.NoticeForm(initial={"starts_on": start})
        else:
            start = form.cleaned_data.get("starts_on") if hasattr(form, "cleaned_data") else None
        context["notice_form"] = form
        context["preview"] = _notice_preview(cycle, start)
    elif state == Proposal.State.NOTICE_CLOSED:
        context["announce_form"] = bound.get("announce") or forms.AnnounceForm(
            initial={"announced_on": today()}
        )
    return render(request, "decision/board.html", context, status=status)


@perm_required(VIEW)
def board(request: HttpRequest) -> HttpResponse:
    """A year's list at a glance: its steps from the draft to the announcement, what each step
    recorded (approvals, the notice, objections, the announcement and the winners) and the
    Office's next action (A5.2, A6.1, A19.1, A20.1, A20.2, A21.1)."""
    cycles, cycle = _choose_cycle(request)
    return _render_board(request, cycles, cycle)


def _board_again(
    request: HttpRequest, cycle: Cycle, key: str, form: django_forms.Form
) -> HttpResponse:
    cycles, _ = _choose_cycle(request)
    return _render_board(request, cycles, cycle, {key: form}, status=400)


# --- the draft (A5.2, A19.1, A24.1) ------------------------------------------------------------


def _quotas(cycle: Cycle, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each quota of article 5 with how many chosen rows take a place in it (re-winners none)."""
    policy = cycle.policy
    quotas = [
        ("organization_award", "组织市长质量奖", policy.quota_organization_award),
        ("organization_nomination", "组织市长质量奖提名奖", policy.quota_organization_nomination),
        ("individual_award", "个人市长质量奖", policy.quota_individual_award),
    ]
    counts = {key: 0 for key, _, _ in quotas}
    for row in rows:
        key = f"{row['evaluation'].application.kind}_{row['level']}"
        if row["level"] and not row["evaluation"].rewinner and key in counts:
            counts[key] += 1
    return [
        {"key": key, "label": label, "limit": limit, "count": counts[key]}
        for key, label, limit in quotas
    ]


@perm_required(VIEW)
def proposal(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """The Office drafts the list from the ranking: a level per evaluated application, the
    quotas counted as it chooses, re-winners outside them (A24.1). Saving is refused with every
    reason when over a quota or under a score line (A5.2), the choices kept."""
    editable = request.user.has_perm(MANAGE)
    if request.method == "POST" and not editable:
        raise PermissionDenied
    cycle = _cycle(cycle_id)
    existing = Proposal.objects.filter(cycle=cycle).first()
    if existing is not None and existing.state != Proposal.State.DRAFT:
        messages.info(request, "拟奖名单已经委员会审定，不能再修改。")
        return redirect(_board_url(cycle, "proposal"))
    evaluations = selectors.ranked(cycle)
    chosen = {e.application_id: e.level for e in existing.entries.all()} if existing else {}
    errors: list[str] = []
    if request.method == "POST":
        chosen = {
            e.application_id: request.POST.get(f"level_{e.application_id}", "").strip()
            for e in evaluations
        }
        entries = [(e.application, chosen[e.application_id]) for e in evaluations]
        try:
            saved = services.save_proposal(
                actor=actor(request), cycle=cycle, entries=[(a, lv) for a, lv in entries if lv]
            )
        except ServiceError as exc:
            if exc.status == 403:
                raise PermissionDenied(exc.message) from exc
            errors = exc.fields.get("entries") or [exc.message]
        else:
            messages.success(
                request,
                f"拟奖名单已保存：{saved.entries.count()}个对象。请提交质量发展委员会审定。",
            )
            return redirect(_board_url(cycle, "proposal"))
    policy = cycle.policy
    rows: list[dict[str, Any]] = []
    for e in evaluations:
        level = chosen.get(e.application_id, "")
        rows.append(
            {
                "evaluation": e,
                "level": level,
                "levels": (
                    [("award", "市长质量奖")]
                    if e.application.kind == Kind.INDIVIDUAL
                    else list(services.LEVELS.items())
                ),
                "below_award": policy.min_score_award is not None
                and e.final_score < policy.min_score_award,
                "below_nomination": policy.min_score_nomination is not None
                and e.final_score < policy.min_score_nomination,
            }
        )
    kinds = [
        {
            "kind": kind,
            "label": label,
            "rows": [r for r in rows if r["evaluation"].application.kind == kind],
        }
        for kind, label in Kind.choices
    ]
    return render(
        request,
        "decision/proposal.html",
        {
            "cycle": cycle,
            "policy": policy,
            "kinds": kinds,
            "quotas": _quotas(cycle, rows),
            "errors": errors,
            "editable": editable,
            "rewinner_note": REWINNER_NOTE,
        },
        status=400 if errors else 200,
    )


# --- approvals (A6.1, A19.1) -------------------------------------------------------------------


@perm_required(MANAGE)
@require_POST
def approval(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """Record the committee's 审定, then the city government's approval with its 文号."""
    cycle = _cycle(cycle_id)
    proposal = _proposal(cycle)
    body = request.POST.get("body", "")
    form = forms.ApprovalForm(request.POST, body=body)
    uploads = request.FILES.getlist("attachments")
    too_big = [u.name for u in uploads if (u.size or 0) > services.MAX_EVIDENCE_BYTES]
    if too_big:  # checked before reading: an oversized upload is never loaded into memory
        form.add_error(None, f"附件“{'、'.join(str(n) for n in too_big)}”超过20 MB。")
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.record_approval(
                actor=actor(request),
                proposal=proposal,
                body=data["body"],
                decided_on=data["decided_on"],
                reference=data["reference"],
                attendees=data.get("attendees", ""),
                resolution=data.get("resolution", ""),
                attachments=[(u.name or "", u.read()) for u in uploads],
            )
        except ServiceError as exc:
            refused_on_form(form, exc)
        else:
            label = Approval.Body(data["body"]).label
            messages.success(request, f"已记录{label}：{data['reference']}。")
            return redirect(_board_url(cycle, "approvals"))
    return _board_again(request, cycle, "approval", form)


# --- the notice (A20.1, A20.2) -----------------------------------------------------------------


@perm_required(MANAGE)
def notice(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """GET: the end of a notice starting on ?starts_on= (the board's preview, as htmx fragment or
    back on the board without JavaScript). POST: publish the notice (A20.1)."""
    cycle = _cycle(cycle_id)
    if request.method == "GET":
        if request.headers.get("HX-Request"):
            preview = _notice_preview(cycle, _parse_date(request.GET.get("starts_on", "")))
            return render(request, "decision/_notice_end.html", {"preview": preview})
        query = urlencode({"cycle": cycle.pk, "starts_on": request.GET.get("starts_on", "")})
        return redirect(reverse("decision:board") + f"?{query}#notice")
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    proposal = _proposal(cycle)
    form = forms.NoticeForm(request.POST)
    if form.is_valid():
        try:
            published = services.publish_notice(
                actor=actor(request), proposal=proposal, starts_on=form.cleaned_data["starts_on"]
            )
        except ServiceError as exc:
            refused_on_form(form, exc)
        else:
            messages.success(
                request,
                f"已发布公示：{published.notice_starts_on:%Y年%-m月%-d日}至"
                f"{published.notice_ends_on:%Y年%-m月%-d日}。",
            )
            return redirect(_board_url(cycle, "notice"))
    return _board_again(request, cycle, "notice", form)


@perm_required(MANAGE)
@require_POST
def close(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """End the notice: refused before its last day has passed or while an objection is open."""
    cycle = _cycle(cycle_id)
    try:
        services.close_notice(actor=actor(request), proposal=_proposal(cycle))
    except ServiceError as exc:
        refused(request, exc)
    else:
        messages.success(request, "公示已结束，可记录市政府公告。")
    return redirect(_board_url(cycle, "notice"))


# --- objections (A20.2) ------------------------------------------------------------------------


def _is_email(contact: str) -> bool:
    try:
        validate_email(contact.strip())
    except ValidationError:
        return False
    return True


def _reply_mail(objection: Objection) -> str:
    """E-mail the Office's reply when the objector left an address: "sent", "failed" (logged;
    the decision stands) or "none" (no address: the Office replies another way)."""
    address = objection.contact.strip()
    if not _is_email(address):
        return "none"
    year = objection.proposal.cycle.year
    subject = f"关于您对{year}年度市长质量奖拟奖名单所提异议的答复（回执号{objection.receipt}）"
    body = (
        f"{objection.name}：\n\n您于{objection.filed_at:%Y年%-m月%-d日}提出的异议"
        f"（回执号{objection.receipt}）已核查完毕。\n\n"
        f"核查结论：{objection.get_outcome_display()}\n\n答复：\n{objection.reply}\n\n"
        "质量发展委员会办公室"
    )
    try:
        send_mail(subject, body, None, [address])
    except Exception:  # a mail server that is down must not undo the recorded decision
        logger.exception("reply to objection %s failed", objection.receipt)
        return "failed"
    return "sent"


def _objection(request: HttpRequest, receipt: str) -> Objection:
    if not _may_oversee(request.user):
        raise PermissionDenied
    found = selectors.objection(receipt)
    if found is None:
        raise Http404
    return found


@perm_required(VIEW)
def objection(request: HttpRequest, receipt: str) -> HttpResponse:
    """One objection in full, its evidence, and the Office's conclusion and reply (A20.2). The
    Office and the supervisors read it; the Office decides."""
    found = _objection(request, receipt)
    can_manage = request.user.has_perm(MANAGE)
    form: forms.DecisionForm | None = None
    if found.outcome == Objection.Outcome.OPEN and can_manage:
        form = forms.DecisionForm()
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if found.outcome != Objection.Outcome.OPEN:  # a second tab, a double click
            messages.error(request, "该异议已有核查结论（可能已被他人处理），未作改动。")
            return redirect("decision:objection", receipt=found.receipt)
        form = forms.DecisionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                decided = services.decide_objection(
                    actor=actor(request),
                    objection=found,
                    outcome=data["outcome"],
                    findings=data["findings"],
                    reply=data["reply"],
                    withdraw=data["withdraw"],
                )
            except ServiceError as exc:
                refused_on_form(form, exc)
            else:
                text = f"已记录异议{decided.receipt}的核查结论：{decided.get_outcome_display()}。"
                sent = _reply_mail(decided)
                if sent == "sent":
                    text += f"答复已发送至{decided.contact}。"
                elif sent == "failed":
                    text += f"答复邮件发送失败，请另行答复异议人（{decided.contact}）。"
                else:
                    text += f"异议人未留电子邮箱，请按其联系方式（{decided.contact}）答复。"
                messages.success(request, text)
                return redirect(_board_url(decided.proposal.cycle, "objections"))
    return render(
        request,
        "decision/objection.html",
        {
            "objection": found,
            "form": form,
            "can_manage": can_manage,
            "contact_is_email": _is_email(found.contact),
        },
        status=400 if form is not None and form.errors else 200,
    )


@perm_required(VIEW)
def approval_attachment(request: HttpRequest, attachment_id: int) -> HttpResponse:
    """A document of the committee's or the government's decision, for those who read the
    decision stage."""
    item = get_object_or_404(ApprovalAttachment, pk=attachment_id)
    with item.file.open("rb") as handle:
        data = handle.read()
    return file_response(data, item.original_name, item.content_type)


@perm_required(VIEW)
def evidence(request: HttpRequest, receipt: str, evidence_id: int) -> HttpResponse:
    """An objection's evidence file, for the Office and the supervisors."""
    found = _objection(request, receipt)
    item = next((e for e in found.evidence.all() if e.pk == evidence_id), None)
    if item is None:
        raise Http404
    with item.file.open("rb") as handle:
        data = handle.read()
    return file_response(data, item.original_name, item.content_type)


# --- the announcement and certificates (A20.2, A21.1, A25.1) -----------------------------------


@perm_required(MANAGE)
@require_POST
def announce(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """Record the government's announcement: the winners get their awards, certificates and
    bonuses due (A20.2, A21.1)."""
    cycle = _cycle(cycle_id)
    proposal = _proposal(cycle)
    form = forms.AnnounceForm(request.POST)
    if form.is_valid():
        try:
            awards = services.announce(
                actor=actor(request),
                proposal=proposal,
                announced_on=form.cleaned_data["announced_on"],
                document_number=form.cleaned_data["document_number"],
            )
        except ServiceError as exc:
            refused_on_form(form, exc)
        else:
            messages.success(request, f"已记录公告：{len(awards)}个获奖者，证书已生成。")
            return redirect(_board_url(cycle, "announcement"))
    return _board_again(request, cycle, "announce", form)


def certificate_pdf(request: HttpRequest, number: str) -> HttpResponse:
    """The certificate as an A4 PDF (A21.1, A25.1), for the Office, supervisors and committee
    and for the winner itself; anyone else learns nothing of it (404)."""
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    printed = canonical(number)
    certificate = (
        Certificate.objects.select_related(
            "award__organization", "award__individual", "award__application__cycle__program"
        )
        .filter(number=printed)
        .first()
        if printed
        else None
    )
    if certificate is None:
        raise Http404
    award = certificate.award
    own = award.application is not None and is_own_application(request.user, award.application)
    if not (request.user.has_perm(VIEW) or (own and award.revoked_on is None)):
        raise Http404
    program = award.application.cycle.program if award.application else default_program()
    data = render_certificate(
        holder=str(award.organization or award.individual),
        level=award.get_level_display(),
        year=award.year,
        number=certificate.number,
        # The public address, whatever host the clerk used: the QR code is printed for good.
        verify_url=settings.SITE_URL + reverse("decision:verified", args=[certificate.number]),
        issued_on=certificate.issued_on,
        issuer=program.government if program else "",
    )
    return file_response(data, f"荣誉证书{certificate.number}.pdf", "application/pdf")


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
    award = get_object_or_404(
        AwardRecord.objects.select_related("organization", "individual"), pk=award_id
    )
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
                f"已记录{award.organization or award.individual}"
                f"{entry.get_kind_display()}{entry.amount:,}元。",
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


@perm_required(VIEW)
def ledger_xlsx(request: HttpRequest) -> HttpResponse:
    """The ledger as Excel: one row per entry, then the totals per kind and what is still to pay."""
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
                str(award.organization or award.individual),
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
    summary: list[list[object]] = [[]]
    for kind, label in BonusEntry.Kind.choices:
        summary.append(["合计", "", "", "", label, totals[kind], None, "", "", "", None])
    outstanding = sum(max(a.due - a.paid, 0) for a in awards)
    summary.append(["合计", "", "", "", "应发未发", outstanding, None, "", "", "", None])
    data = excel.workbook_bytes(
        title="市长质量奖奖金台账",
        headers=LEDGER_HEADERS,
        rows=rows + summary,
        sheet_name="奖金台账",
    )
    return file_response(data, f"市长质量奖奖金台账（{today():%Y-%m-%d}）.xlsx", XLSX)
