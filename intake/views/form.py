"""The applicant's form: edit, autosave, submit, withdraw, attachments."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
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
from lib import files
from lib.access import actor, refused
from lib.errors import ServiceError
from lib.http import file_response

from .common import EDITABLE, _application, _reference_year, _text_action, _to_detail, _to_edit

# --- the applicant's form ------------------------------------------------------------------


def _editable(request: HttpRequest, public_id: Any) -> Application:
    application = _application(request, public_id)
    if not request.user.has_perm("intake.edit_application", application):
        raise PermissionDenied
    return application


def _preview(application: Application) -> dict[str, Any]:
    """The rules and the missing parts against the saved draft: seen before submitting."""
    reference = eligibility.reference_date(application.cycle)
    findings = services.check_eligibility(application)
    return {
        "findings": [
            {
                "finding": f,
                "title": eligibility.RULES_BY_KEY[f.rule].title,
                "label": EligibilityResult.Outcome(f.outcome).label,
            }
            for f in findings
        ],
        "missing": schema.missing_for_submission(
            schema.parse(application.data), kind=application.kind, reference=reference
        ),
    }


def _edit_page(
    request: HttpRequest,
    application: Application,
    *,
    data: dict[str, Any],
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    reference_year = _reference_year(application)
    sheet = forms.build_sheet(
        application.kind, data, reference_year=reference_year, errors=errors, blank_rows=3
    )
    sections = forms.attachment_sections(application.kind)
    attachments = list(application.attachments.filter(removed_at__isnull=True))
    returned = application.recommendations.filter(outcome=Recommendation.Outcome.RETURNED).order_by(
        "-decided_at"
    )
    return render(
        request,
        "intake/edit.html",
        {
            "application": application,
            "sheet": sheet,
            "sections": [
                (key, label, [a for a in attachments if a.section == key])
                for key, label in sections.items()
            ],
            "returned": returned.first() if application.state == State.RETURNED else None,
            "max_mb": services.MAX_ATTACHMENT_BYTES // (1024 * 1024),
            "accept": ",".join(e for k in files.KINDS for e in k.extensions),
            "preview": _preview(application),
            "is_org": application.kind == Kind.ORGANIZATION,
        },
        status=status,
    )


@login_required
def edit(request: HttpRequest, public_id: Any) -> HttpResponse:
    application = _editable(request, public_id)
    if application.state not in EDITABLE:
        messages.info(request, f"该申报{application.get_state_display()}，不能再修改。")
        return _to_detail(application)
    return _edit_page(request, application, data=application.data)


@login_required
@require_POST
def save(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Save the draft. For htmx (autosave) the answer is the small status line plus the
    refreshed eligibility preview; otherwise the page, with errors at their fields."""
    application = _editable(request, public_id)
    data = forms.data_from_post(request.POST, kind=application.kind)
    autosave = request.headers.get("HX-Request") == "true"
    try:
        services.save_draft(actor=actor(request), application=application, data=data)
    except ServiceError as exc:
        if exc.status == 403:
            raise PermissionDenied(exc.message) from exc
        if autosave:
            return render(
                request,
                "intake/_autosave.html",
                {"error": exc.message, "count": sum(len(v) for v in exc.fields.values())},
            )
        if exc.status == 409:
            refused(request, exc)
            return _to_detail(application)
        messages.error(request, exc.message)
        return _edit_page(request, application, data=data, errors=exc.fields, status=400)
    if autosave:
        return render(
            request,
            "intake/_autosave.html",
            {"saved_at": timezone.localtime(), "preview": _preview(application)},
        )
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


@login_required
@require_POST
def attachment_add(request: HttpRequest, public_id: Any) -> HttpResponse:
    application = _editable(request, public_id)
    form = forms.AttachmentForm(request.POST)
    upload = request.FILES.get("file")
    if not form.is_valid() or upload is None:
        messages.error(request, "请选择附件所属栏目和要上传的文件。")
        return _to_edit(application, "#attachments")
    limit = services.MAX_ATTACHMENT_BYTES
    # Checked before reading: an oversized upload is never loaded into memory.
    if upload.size is not None and upload.size > limit:
        messages.error(
            request,
            f"文件“{upload.name}”大小为{upload.size / 1048576:.1f} MB，"
            f"超过上限{limit // 1048576} MB。",
        )
        return _to_edit(application, "#attachments")
    try:
        attachment = services.add_attachment(
            actor=actor(request),
            application=application,
            section=form.cleaned_data["section"],
            name=upload.name or "",
            data=upload.read(),
        )
    except ServiceError as exc:
        refused(request, exc)
    else:
        messages.success(request, f"已上传“{attachment.original_name}”。")
    return _to_edit(application, "#attachments")


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
    else:
        messages.success(request, f"已删除“{attachment.original_name}”。")
    return _to_edit(application, "#attachments")


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
