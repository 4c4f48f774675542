"""The public pages of 公示 and 批准 (A20.1, A20.2, A25.1): no login, built for a phone.

The published notices and one year's 拟奖名单, the objection form and its receipt, the archive
of winners and the verification of a certificate (the QR code on every certificate points at
`verified`). Nothing personal is ever shown: names, employers and award levels only; no
身份证, no telephone, no 统一社会信用代码, no address.
Every name is the one the record was made with (the submitted version's for the notice, the
decision's for the winners and certificates: `intake.models.RecordedHolder`); a later rename
shows beside it as 现名称, never in its place. The views only read, or call
`services.file_objection`; whether an objection may be filed now is the workflow table's answer
(`decision.workflow.PROPOSAL`, action `object`).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import time
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from intake.models import AwardRecord, Kind
from lib.certificates import canonical
from lib.errors import ServiceError
from programs import site, windows
from programs.context import current_program_or_none
from programs.models import AwardProgram
from programs.selectors import today

from . import services
from .models import Entry, Objection, Proposal
from .public_forms import ObjectionForm, VerifyForm
from .workflow import PROPOSAL

# The order of the list as the Measures write it (A5.2): organizations' award, the nomination
# award, then individuals; each labelled with the program's award (`{award}`: 市长质量奖).
SECTIONS = (
    (Kind.ORGANIZATION, "award", "组织 · {award}"),
    (Kind.ORGANIZATION, "nomination", "组织 · {award}提名奖"),
    (Kind.INDIVIDUAL, "award", "个人 · {award}"),
)
LEVEL_ORDER = {"award": 0, "nomination": 1}


def _program() -> AwardProgram:
    """The program whose public site this is: the default one at today's addresses, any under
    its prefix (`programs.site`); every query below is limited to it, so another program's
    notice, receipt or certificate is not found here (404)."""
    program = current_program_or_none()
    if program is None:
        raise Http404
    return program


# --- notices (A20.1) ---------------------------------------------------------------------------


@dataclass
class NoticeStatus:
    label: str
    css: str


def _status(proposal: Proposal, on: dt.date) -> NoticeStatus:
    starts, ends = proposal.notice_starts_on, proposal.notice_ends_on
    if proposal.state == Proposal.State.IN_NOTICE and starts and ends:
        if on < starts:
            return NoticeStatus("即将公示", "text-bg-secondary")
        if on <= ends:
            return NoticeStatus("公示中", "text-bg-danger")
    return NoticeStatus("已结束", "text-bg-light")


def _published(program: AwardProgram) -> Any:
    return (
        Proposal.objects.filter(cycle__program=program, notice_published_at__isnull=False)
        .select_related("cycle__program", "cycle__policy")
        .order_by("-notice_published_at")
    )


def _notice_title(program: AwardProgram, year: int) -> str:
    return f"{site.city(program)}{year}年度{site.award_name(program)}拟奖名单公示"


def _published_notice(year: int) -> Proposal:
    """The cycle's notice if it was published; 404 otherwise (an unpublished list does not
    exist for the public)."""
    proposal = _published(_program()).filter(cycle__year=year).first()
    if proposal is None:
        raise Http404
    return proposal


def _live_entries(proposal: Proposal) -> list[Entry]:
    """The list as the public reads it now: entries withdrawn after an upheld objection are
    gone (A20.2)."""
    return list(
        proposal.entries.filter(withdrawn_at__isnull=True).select_related(
            "application__organization", "application__individual"
        )
    )


def _entry_name(entry: Entry) -> str:
    """The entry as the notice published it (the submitted name; A20.1)."""
    return entry.holder


def notices(request: HttpRequest) -> HttpResponse:
    """Every published notice, newest first, with its dates and whether it is still running."""
    program = _program()
    on = today()
    rows = [
        {
            "proposal": p,
            "title": _notice_title(program, p.cycle.year),
            "status": _status(p, on),
        }
        for p in _published(program)
    ]
    return render(request, "decision/public_notices.html", {"rows": rows, "program": program})


def notice(request: HttpRequest, year: int) -> HttpResponse:
    """One year's approved list as published (A20.1): names and levels, re-winners marked
    (A24.1), withdrawn entries gone; how to object and until when."""
    proposal = _published_notice(year)
    program = proposal.cycle.program
    entries = _live_entries(proposal)
    objecting = _objecting(request, proposal)
    sections = []
    award = site.award_name(program)
    for kind, level, label in SECTIONS:
        rows = [
            {
                "name": _entry_name(e),
                "renamed_to": e.renamed_to,
                "rewinner": e.rewinner,
                "level": e.get_level_display(),
            }
            for e in entries
            if e.application.kind == kind and e.level == level
        ]
        if rows:
            sections.append({"label": label.format(award=award), "rows": rows})
    return render(
        request,
        "decision/public_notice.html",
        {
            "proposal": proposal,
            "program": program,
            "title": _notice_title(program, year),
            "status": _status(proposal, today()),
            "may_object": objecting is None,
            "working_days": proposal.cycle.policy.notice_working_days,
            "sections": sections,
        },
    )


# --- objections (A20.2) ------------------------------------------------------------------------

# A form is good for one objection. Its token lives in the visitor's session (so a repeated
# POST of the same form, e.g. the browser's "resubmit", finds the receipt it already produced)
# and is claimed in the cache with `add`, which is atomic, so two requests of one double click
# in flight at once cannot both file: the second waits for the first's receipt. Production
# shares the cache between instances (DESIGN.md); the session alone still stops every repeat
# that is not simultaneous. The same objection sent on another form (a fresh page, another
# browser) is the service's to recognize: its fingerprint gives the first receipt
# (`services.file_objection`, decision 0016).
TOKENS = "decision.objection_forms"
KEEP_TOKENS = 20
CLAIM_SECONDS = 24 * 3600
PENDING = "pending"
WAIT_STEPS = 50  # 0.2 s each


def _claim_key(token: str) -> str:
    return f"decision:objection-form:{token}"


def _new_token(request: HttpRequest) -> str:
    token = secrets.token_urlsafe(16)
    tokens: dict[str, str] = dict(request.session.get(TOKENS, {}))
    tokens[token] = ""
    request.session[TOKENS] = dict(list(tokens.items())[-KEEP_TOKENS:])
    return token


def _filed(request: HttpRequest, token: str, *, wait: bool = False) -> str | None:
    """The receipt this form already produced, if it did; with `wait`, waiting a little for a
    request of the same double click that is still filing it."""
    receipt = request.session.get(TOKENS, {}).get(token) or cache.get(_claim_key(token))
    for _ in range(WAIT_STEPS if wait else 0):  # counted, not timed: tests freeze the clock
        if receipt != PENDING:
            break
        time.sleep(0.2)
        receipt = cache.get(_claim_key(token))
    return str(receipt) if receipt and receipt != PENDING else None


def _objecting(request: HttpRequest, proposal: Proposal) -> str | None:
    """None when an objection may be filed now, else why not: the table's reason (before or
    after the notice's dates), or, once the notice has ended, that it has."""
    option = PROPOSAL.allowed_actions(proposal, request.user).get("object")
    if option is not None:
        return None if option.allowed else option.reason
    ends = proposal.notice_ends_on
    return f"公示期已{f'于{windows.day(ends)}' if ends else ''}结束，不再受理异议。"


def _evidence(request: HttpRequest, form: ObjectionForm) -> list[tuple[str, bytes]] | None:
    """The uploaded files, read only when their number and sizes are within the limits (an
    oversized upload is never loaded into memory); None with the form's error otherwise."""
    uploads = request.FILES.getlist("evidence")
    if len(uploads) > services.MAX_EVIDENCE_FILES:
        form.add_error("evidence", f"证明材料最多{services.MAX_EVIDENCE_FILES}个文件。")
        return None
    limit = services.MAX_EVIDENCE_BYTES
    for upload in uploads:
        if upload.size is not None and upload.size > limit:
            form.add_error(
                "evidence",
                f"文件“{upload.name}”大小为{upload.size / 1048576:.1f} MB，"
                f"超过上限{limit // 1048576} MB。",
            )
    if form.errors.get("evidence"):
        return None
    return [(upload.name or "", upload.read()) for upload in uploads]


def _show_errors(form: ObjectionForm, exc: ServiceError) -> None:
    shown = False
    for name, errors in exc.fields.items():
        if name in form.fields:
            for error in errors:
                form.add_error(name, error)
                shown = True
    if not shown:
        form.add_error(None, exc.message)


@require_http_methods(["GET", "POST"])
def object_to(request: HttpRequest, year: int) -> HttpResponse:
    """The objection form (A20.2): a named objector, a contact, the content and up to five
    files; refused with the service's reason, filed once however often it is sent."""
    proposal = _published_notice(year)
    program = proposal.cycle.program
    entries = [(e, f"{_entry_name(e)}（{e.get_level_display()}）") for e in _live_entries(proposal)]
    context: dict[str, Any] = {
        "proposal": proposal,
        "program": program,
        "title": _notice_title(program, year),
        "evidence_help": (
            f"可不上传；最多{services.MAX_EVIDENCE_FILES}个文件，"
            f"每个不超过{services.MAX_EVIDENCE_BYTES // 1048576} MB，"
            "限PDF、PNG、JPEG图片、Word（.docx）和Excel（.xlsx）"
        ),
    }
    closed = _objecting(request, proposal)
    if request.method != "POST":
        if closed is not None:
            context["closed"] = closed
            return render(request, "decision/public_objection.html", context)
        form = ObjectionForm(entries=entries)
        context |= {"form": form, "token": _new_token(request)}
        return render(request, "decision/public_objection.html", context)

    if closed is not None:  # however old the form, the answer is this
        context["closed"] = closed
        return render(request, "decision/public_objection.html", context, status=409)
    form = ObjectionForm(request.POST, entries=entries)
    token = request.POST.get("token", "")
    if token and (receipt := _filed(request, token)):
        messages.info(request, f"该异议已经提交，不会重复受理。受理回执号：{receipt}")
        return redirect(site.public_url(request, "decision:receipt", receipt=receipt))
    if not token or token not in request.session.get(TOKENS, {}):
        # The session expired (30 minutes idle) or the form did not come from this site.
        form.is_valid()
        form.add_error(None, "页面停留时间过长或已失效，请核对填写内容、重新选择证明材料后再提交。")
        context |= {"form": form, "token": _new_token(request)}
        return render(request, "decision/public_objection.html", context, status=400)
    if not form.is_valid() or (evidence := _evidence(request, form)) is None:
        context |= {"form": form, "token": token}
        return render(request, "decision/public_objection.html", context, status=400)
    if not cache.add(_claim_key(token), PENDING, CLAIM_SECONDS):
        receipt = _filed(request, token, wait=True)  # the other request of a double click
        if receipt:
            return redirect(site.public_url(request, "decision:receipt", receipt=receipt))
        form.add_error(None, "该表单正在提交，请稍候刷新页面，勿重复提交。")
        context |= {"form": form, "token": token}
        return render(request, "decision/public_objection.html", context, status=409)
    try:
        objection = services.file_objection(
            proposal=proposal,
            name=form.cleaned_data["name"],
            identity=form.cleaned_data["identity"],
            contact=form.cleaned_data["contact"],
            content=form.cleaned_data["content"],
            entry=form.chosen_entry(),
            evidence=evidence,
            actor=request.user if request.user.is_authenticated else None,  # type: ignore[arg-type]
        )
    except ServiceError as exc:
        cache.delete(_claim_key(token))
        if exc.status == 409 or exc.code == "outside_window":  # the notice ended meanwhile
            context["closed"] = exc.message
            return render(request, "decision/public_objection.html", context, status=409)
        _show_errors(form, exc)
        context |= {"form": form, "token": token}
        return render(request, "decision/public_objection.html", context, status=400)
    except BaseException:
        cache.delete(_claim_key(token))  # a crash must not leave the form "being filed"
        raise
    cache.set(_claim_key(token), objection.receipt, CLAIM_SECONDS)
    tokens = dict(request.session.get(TOKENS, {}))
    tokens[token] = objection.receipt
    request.session[TOKENS] = tokens
    if objection.repeated:  # the same objection, sent before on another form
        messages.info(
            request,
            f"您已于{_moment(objection.filed_at)}提交过相同的异议，不会重复受理。"
            f"受理回执号：{objection.receipt}。如需补充证明材料，请与{program.office_name}联系。",
        )
    else:
        messages.success(request, f"异议已提交。受理回执号：{objection.receipt}，请妥善保存。")
    return redirect(site.public_url(request, "decision:receipt", receipt=objection.receipt))


def _moment(at: dt.datetime) -> str:
    local = timezone.localtime(at)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def receipt(request: HttpRequest, receipt: str) -> HttpResponse:
    """The objector's receipt: what was filed, what happens next and, once decided, the outcome
    and the Office's reply. The number cannot be guessed and is given to the objector only;
    the contact and the evidence are never shown."""
    objection = (
        Objection.objects.select_related(
            "proposal__cycle__program",
            "entry__application__organization",
            "entry__application__individual",
        )
        .filter(receipt=receipt.strip().upper(), proposal__cycle__program=_program())
        .first()
    )
    if objection is None:
        raise Http404
    proposal = objection.proposal
    program = proposal.cycle.program
    entry = objection.entry
    response = render(
        request,
        "decision/public_receipt.html",
        {
            "objection": objection,
            "program": program,
            "proposal": proposal,
            "title": _notice_title(program, proposal.cycle.year),
            "concerns": _entry_name(entry) if entry else "",
            "decided": objection.outcome != Objection.Outcome.OPEN,
            "evidence_count": objection.evidence.count(),
        },
    )
    # The address is the objector's key: keep it out of search engines and shared caches.
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


# --- winners and verification (A20.2, A25.1) ---------------------------------------------------


@dataclass
class Year:
    year: int
    rows: list[dict[str, Any]] = field(default_factory=list)


def winners(request: HttpRequest) -> HttpResponse:
    """The public archive of the winners announced through the system, by year, newest first;
    revoked awards stay listed, marked 已撤销 with the date."""
    program = _program()
    awards = (
        AwardRecord.objects.filter(certificate__isnull=False, application__cycle__program=program)
        .select_related("organization", "individual")
        .order_by("-year")
    )
    years = []
    for year, group in groupby(awards, key=lambda a: a.year):
        ordered = sorted(
            group,
            key=lambda a: (a.organization_id is None, LEVEL_ORDER.get(a.level, 9), a.pk),
        )
        years.append(
            Year(
                year,
                [
                    {
                        "name": a.holder,
                        "renamed_to": a.renamed_to,
                        "kind": "个人" if a.organization_id is None else "组织",
                        "level": a.get_level_display(),
                        "document_number": a.document_number,
                        "announced_on": a.announced_on,
                        "revoked_on": a.revoked_on,
                    }
                    for a in ordered
                ],
            )
        )
    return render(
        request,
        "decision/public_winners.html",
        {"program": program, "years": years, "award_name": site.award_name(program)},
    )


_UNSAFE = re.compile(r"[\s/\\?#%]+")


def verify(request: HttpRequest) -> HttpResponse:
    """Type a certificate number; the answer is at `verified` (the address the QR code on the
    certificate opens)."""
    form = VerifyForm(request.GET if "number" in request.GET else None)
    if form.is_bound and form.is_valid():
        typed = form.cleaned_data["number"]
        number = canonical(typed) or _UNSAFE.sub("", typed)
        if number:
            return redirect(site.public_url(request, "decision:verified", number=number))
        form.add_error("number", "请输入证书编号。")
    program = _program()
    return render(
        request,
        "decision/public_verify.html",
        {"form": form, "program": program, "award_name": site.award_name(program)},
    )


def verified(request: HttpRequest, number: str) -> HttpResponse:
    """Whether a certificate is genuine and in force (A25.1): valid or revoked (date, reason),
    holder, level, year. An unknown or malformed number gets a helpful 404, as does another
    program's certificate (it is verified at that program's address, where its QR code points)."""
    program = _program()
    shown = services.verify(number, program=program)
    named = {"program": program, "award_name": site.award_name(program)}
    if shown is None:
        return render(
            request,
            "decision/public_verified.html",
            {
                "number": number[:60],
                "form": VerifyForm(initial={"number": number[:60]}),
                "office_name": program.office_name,
                **named,
            },
            status=404,
        )
    if shown["number"] != number:  # the printed form
        return redirect(site.public_url(request, "decision:verified", number=shown["number"]))
    return render(
        request, "decision/public_verified.html", {"number": number, "shown": shown, **named}
    )
