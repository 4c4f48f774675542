"""One objection to the list in full (A20.2): its evidence, the Office's conclusion and its
reply, mailed when the objector left an address (a background job queued with the decision,
decision.services). The Office and the supervisors read it; the Office decides, when the
workflow table allows it (`decision.workflow.OBJECTION`)."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from decision import forms, selectors, services
from decision.models import Objection
from decision.workflow import OBJECTION, refusals
from lib.access import actor, perm_required, refused, refused_on_form
from lib.errors import ServiceError, StateConflict
from lib.http import file_response

from .common import MANAGE, VIEW, board_url, may_oversee

logger = logging.getLogger(__name__)


def _objection(request: HttpRequest, receipt: str) -> Objection:
    if not may_oversee(request.user):
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
    # Both outcomes share their window: the form when either may be recorded now, else why not.
    actions = OBJECTION.allowed_actions(found, request.user)
    decidable = any(option.allowed for option in actions.values())
    form: forms.DecisionForm | None = forms.DecisionForm() if decidable else None
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if not actions:  # the table offers nothing: decided already (a second tab, a double click)
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
            except StateConflict as exc:  # a second tab, a double click: decided already
                refused(request, exc)
                return redirect("decision:objection", receipt=found.receipt)
            except ServiceError as exc:
                refused_on_form(form, exc)
            else:
                text = f"已记录异议{decided.receipt}的核查结论：{decided.get_outcome_display()}。"
                # The reply mail is a background job queued with the decision (issue 17).
                sent = services.reply_state(decided)
                if sent == "sent":
                    text += f"答复已发送至{decided.contact}。"
                elif sent == "queued":
                    text += f"答复邮件已排队，稍后发送至{decided.contact}（发送情况见“后台任务”）。"
                elif sent == "failed":
                    text += f"答复邮件发送失败，请另行答复异议人（{decided.contact}）。"
                else:
                    text += f"异议人未留电子邮箱，请按其联系方式（{decided.contact}）答复。"
                messages.success(request, text)
                return redirect(board_url(decided.proposal.cycle_id, "objections"))
    return render(
        request,
        "decision/objection.html",
        {
            "objection": found,
            "form": form,
            "refusals": refusals(actions),
            "can_manage": can_manage,
            "contact_is_email": services.is_email(found.contact),
        },
        status=400 if form is not None and form.errors else 200,
    )


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
