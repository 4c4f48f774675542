"""The applicant's form: edit, autosave, submit, withdraw, attachments."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from intake import eligibility, forms, schema, selectors, services
from intake.models import (
    Application,
    Attachment,
    EligibilityResult,
    Kind,
    Recommendation,
    State,
)
from lib import files, uploads
from lib.access import actor, refused
from lib.errors import ServiceError
from lib.http import file_response

from .common import EDITABLE, _reference_year, _text_action, _to_detail, _to_edit

# --- the applicant's form ------------------------------------------------------------------


def _editable(request: HttpRequest, public_id: Any) -> Application:
    """The application the user may edit (its cycle's stages and policy come with it: the form
    asks the program's look-back years on every save, the autosave's too)."""
    application = selectors.get_application_for_user(request.user, public_id)
    if not request.user.has_perm("intake.edit_application", application):
        raise PermissionDenied
    return application


def _preview(application: Application, *, rules: bool = True) -> dict[str, Any]:
    """The rules and the missing parts against the saved draft: seen before submitting.
    Without `rules` the rules are not checked (`findings` is None): the autosave leaves the
    page's findings as they are when nothing the rules read changed."""
    reference = eligibility.reference_date(application.cycle)
    lookback = application.cycle.policy.lookback_years
    rubric = schema.self_evaluation_rubric(application.cycle.policy, application.kind)
    findings = services.check_eligibility(application) if rules else None
    return {
        "findings": None
        if findings is None
        else [
            {
                "finding": f,
                "title": eligibility.RULES_BY_KEY[f.rule].titled(application.cycle.policy),
                "label": EligibilityResult.Outcome(f.outcome).label,
            }
            for f in findings
        ],
        "missing": schema.missing_for_submission(
            schema.parse(application.data),
            kind=application.kind,
            reference=reference,
            lookback_years=lookback,
            rubric=rubric,
        ),
        # Refused fields kept as typed: they block submitting as much as missing ones.
        "invalid": [
            f"{forms.label_for(place, application.kind, lookback_years=lookback, rubric=rubric)}："
            f"{'；'.join(reasons)}"
            for place, reasons in application.draft_errors.items()
        ],
    }


def _edit_page(
    request: HttpRequest,
    application: Application,
    *,
    data: dict[str, Any],
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
    notice: dict[str, str] | None = None,
) -> HttpResponse:
    reference_year = _reference_year(application)
    sheet = forms.build_sheet(
        application.kind,
        data,
        reference_year=reference_year,
        lookback_years=application.cycle.policy.lookback_years,
        rubric=schema.self_evaluation_rubric(application.cycle.policy, application.kind),
        errors=errors,
        blank_rows=3,
    )
    returned = application.recommendations.filter(outcome=Recommendation.Outcome.RETURNED).order_by(
        "-decided_at"
    )
    return render(
        request,
        "intake/edit.html",
        {
            "application": application,
            "sheet": sheet,
            **_attachments(application),
            "notice": notice,
            "returned": returned.first() if application.state == State.RETURNED else None,
            "preview": _preview(application),
            "is_org": application.kind == Kind.ORGANIZATION,
        },
        status=status,
    )


def _attachments(application: Application) -> dict[str, Any]:
    """The attachments section's context (the edit page's, and the section alone for htmx)."""
    attachments = list(application.attachments.filter(removed_at__isnull=True))
    return {
        "sections": [
            (key, label, [a for a in attachments if a.section == key])
            for key, label in forms.attachment_sections(application.kind).items()
        ],
        "max_mb": services.MAX_ATTACHMENT_BYTES // (1024 * 1024),
        "max_bytes": services.MAX_ATTACHMENT_BYTES,
        "accept": ",".join(e for k in files.KINDS for e in k.extensions),
    }


@login_required
def edit(request: HttpRequest, public_id: Any) -> HttpResponse:
    application = _editable(request, public_id)
    if application.state not in EDITABLE:
        messages.info(request, f"该申报{application.get_state_display()}，不能再修改。")
        return _to_detail(application)
    return _edit_page(
        request,
        application,
        data=application.draft_typed or application.data,
        errors=application.draft_errors,
        notice=request.session.pop(NOTICE, None),
    )


@login_required
@require_POST
def save(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Save the draft, each field on its own (`services.save_draft`): a refused field is kept
    as typed, with its reason. For htmx (autosave) the answer is the small status line, the
    reasons by input for draft.js to place next to their fields, and the refreshed eligibility
    preview; otherwise back to the page, which shows the refused fields as typed."""
    application = _editable(request, public_id)
    data = forms.data_from_post(
        request.POST,
        kind=application.kind,
        rubric=schema.self_evaluation_rubric(application.cycle.policy, application.kind),
    )
    autosave = request.headers.get("HX-Request") == "true"
    read_before = eligibility.rule_inputs(application.data)
    try:
        services.save_draft(actor=actor(request), application=application, data=data)
    except ServiceError as exc:
        if exc.status == 403:
            raise PermissionDenied(exc.message) from exc
        if autosave:
            return render(request, "intake/_autosave.html", {"error": exc.message})
        refused(request, exc)
        return _to_detail(application)
    invalid = application.draft_errors
    if autosave:
        by_input, elsewhere = forms.input_errors(
            request.POST,
            invalid,
            kind=application.kind,
            lookback_years=application.cycle.policy.lookback_years,
            rubric=schema.self_evaluation_rubric(application.cycle.policy, application.kind),
        )
        # A fragment for htmx: without the request, so the navigation's context processor
        # (menus, unread count: three statements) does not run for a status line.
        return HttpResponse(
            render_to_string(
                "intake/_autosave.html",
                {
                    "saved_at": timezone.localtime(),
                    # The rules again only when what they read changed (most keystrokes are in
                    # the texts no rule reads): the findings on the page stay true otherwise.
                    "preview": _preview(
                        application,
                        rules=eligibility.rule_inputs(application.data) != read_before,
                    ),
                    "invalid": sum(len(v) for v in invalid.values()),
                    "by_input": json.dumps(by_input, ensure_ascii=False),
                    "elsewhere": elsewhere,
                },
            )
        )
    if invalid:
        messages.warning(
            request,
            f"草稿已保存；有{sum(len(v) for v in invalid.values())}处填写错误，"
            "已按填写保留并在各栏旁标出原因，改正后才能提交。",
        )
    else:
        messages.success(request, "申报表已保存。")
    return _to_edit(application)


@login_required
@require_POST
def submit(request: HttpRequest, public_id: Any) -> HttpResponse:
    application = _editable(request, public_id)
    try:
        version = services.submit_application(actor=actor(request), application=application)
    except ServiceError as exc:
        refused(request, exc)
        return _to_edit(application) if application.state in EDITABLE else _to_detail(application)
    messages.success(
        request,
        f"已提交申报（第{version.number}版），等待{application.recommending_unit}审核推荐。",
    )
    return _to_detail(application)


@login_required
@require_POST
def withdraw(request: HttpRequest, public_id: Any) -> HttpResponse:
    return _text_action(
        request,
        public_id,
        forms.ReasonForm,
        "reason",
        "撤回原因过长。",
        "申报已撤回。",
        lambda application, text: services.withdraw_application(
            actor=actor(request), application=application, reason=text
        ),
    )


# --- attachments ------------------------------------------------------------------------------

# A notice for one attachment box, kept in the session across the redirect of a plain post.
NOTICE = "intake.attachment_notice"

uploads.limit_uploads("intake:attachment_add", lambda: services.MAX_ATTACHMENT_BYTES)


def _notice(section: str, level: str, text: str, same_file: str = "") -> dict[str, str]:
    """What the box of `section` says: level is success, danger or warning (a question)."""
    return {"section": section, "level": level, "text": text, "same_file": same_file}


def _answer(
    request: HttpRequest, application: Application, notice: dict[str, str], status: int = 200
) -> HttpResponse:
    """The upload's answer beside its box: for htmx the attachments section alone (swapped in
    place, the page does not move); for a plain post, a refusal is the page with the notice in
    the box (the form's action carries the box's anchor), a success goes back to the page at
    the box."""
    if request.headers.get("HX-Request") == "true":
        context = {
            "application": application,
            **_attachments(application),
            "notice": notice,
            "htmx": True,
        }
        return render(request, "intake/_attachments.html", context, status=status)
    if status >= 400:
        return _edit_page(
            request,
            application,
            data=application.draft_typed or application.data,
            errors=application.draft_errors,
            status=status,
            notice=notice,
        )
    request.session[NOTICE] = notice
    return _to_edit(application, f"#att-{notice['section']}")


@csrf_exempt  # a refused body is never read, its CSRF token with it; CSRF is checked below
@login_required
@require_POST
def attachment_add(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Upload one file to one box. Too large (lib.uploads: by Content-Length, before the body
    is read, or while counting it) is answered 413 without CSRF check, since nothing changes;
    everything else goes through `_attachment_add`, CSRF checked."""
    application = _editable(request, public_id)
    too_large = uploads.refusal(request)
    if too_large is not None:
        section = request.GET.get("section", "")
        if section not in forms.attachment_sections(application.kind):
            section = "general"
        text = uploads.too_large_message(too_large)
        return _answer(request, application, _notice(section, "danger", text), status=413)
    return _attachment_add(request, application)


@csrf_protect
def _attachment_add(request: HttpRequest, application: Application) -> HttpResponse:
    form = forms.AttachmentForm(request.POST)
    upload = request.FILES.get("file")
    section = request.POST.get("section") or request.GET.get("section", "")
    if section not in forms.attachment_sections(application.kind):
        section = "general"
    if not form.is_valid() or upload is None:
        text = "请选择附件所属栏目和要上传的文件。"
        return _answer(request, application, _notice(section, "danger", text), status=400)
    limit = services.MAX_ATTACHMENT_BYTES
    # Checked before reading: an oversized upload is never loaded into memory.
    if upload.size is not None and upload.size > limit:
        refused_upload = uploads.UploadRefused(limit, upload.size)
        text = uploads.too_large_message(refused_upload, upload.name or "")
        return _answer(request, application, _notice(section, "danger", text), status=413)
    try:
        attachment = services.add_attachment(
            actor=actor(request),
            application=application,
            section=form.cleaned_data["section"],
            name=upload.name or "",
            data=upload.read(),
            same_file_ok=request.POST.get("same_file", ""),
        )
    except ServiceError as exc:
        if exc.status == 403:
            raise PermissionDenied(exc.message) from exc
        if exc.code == "same_file":
            same = exc.fields["same_file"][0]
            notice = _notice(section, "warning", exc.message, same_file=same)
            return _answer(request, application, notice, status=409)
        notice = _notice(section, "danger", exc.display)
        return _answer(request, application, notice, status=exc.status)
    text = f"已上传“{attachment.original_name}”。"
    return _answer(request, application, _notice(section, "success", text))


@login_required
@require_POST
def attachment_remove(request: HttpRequest, public_id: Any, attachment_id: Any) -> HttpResponse:
    application = _editable(request, public_id)
    attachment = application.attachments.filter(
        public_id=attachment_id, removed_at__isnull=True
    ).first()
    if attachment is None:
        raise Http404
    try:
        services.remove_attachment(actor=actor(request), attachment=attachment)
    except ServiceError as exc:
        refused(request, exc)
        return _to_edit(application, "#attachments")
    text = f"已删除“{attachment.original_name}”。"
    return _answer(request, application, _notice(attachment.section, "success", text))


@login_required
def attachment_download(request: HttpRequest, attachment_id: Any) -> HttpResponse:
    """The file, to whoever may see its application (404 otherwise); the service audits it."""
    attachment = (
        Attachment.objects.select_related("application")
        .filter(
            public_id=attachment_id,
            application__in=selectors.applications_for(request.user).values("pk"),
        )
        .first()
    )
    if attachment is None:
        raise Http404
    try:
        data = services.open_attachment(actor=actor(request), attachment=attachment)
    except ServiceError as exc:
        raise Http404 from exc
    return file_response(data, attachment.original_name, attachment.content_type)
