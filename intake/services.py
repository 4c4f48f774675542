"""申报推荐 and 资格审查: one function per thing a person does with an application.

Each runs in one transaction, checks permission and state, writes its audit event and
schedules its notifications. `transition` is the only code that assigns `Application.state`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Individual, Organization, RecommendingUnit, Role, User
from audit.services import record
from lib import files
from lib.articles import cite
from lib.errors import PermissionDenied, ServiceError, StateConflict
from lib.rubrics import Rubric
from programs.models import Cycle
from programs.selectors import now, today

from . import eligibility, schema, standing, workflow
from .models import (
    Application,
    ApplicationVersion,
    Attachment,
    AwardRecord,
    Ban,
    EligibilityResult,
    Kind,
    QualificationDecision,
    Recommendation,
    State,
)
from .workflow import transition, transition_all  # noqa: F401  (review and decision move states)

MAX_ATTACHMENT_BYTES = getattr(settings, "MAX_ATTACHMENT_MB", 20) * 1024 * 1024


def _require(actor: User, perm: str, application: Application | None = None) -> None:
    if not actor.has_perm(perm, application):
        raise PermissionDenied()


def _link(application: Application) -> str:
    """The application's page (intake.urls names it `intake:detail`)."""
    return f"/applications/{application.public_id}/"


def _check(application: Application, action: str, actor: User | None) -> None:
    """The workflow table's check (permission, state, window): the same answer the pages got
    from `workflow.allowed_actions`."""
    workflow.require(application, action, actor)


# --- the applicant ---------------------------------------------------------------------------


def start_application(
    *,
    actor: User,
    cycle: Cycle,
    organization: Organization | None = None,
    individual: Individual | None = None,
    recommending_unit: RecommendingUnit | None = None,
) -> Application:
    """Open a draft for an organization or a person (one per applicant per cycle).

    Preconditions: the actor speaks for the applicant; the cycle's call is published and its
    window not closed; the recommending unit (A7.1) is the award's own: the applicant's
    registered unit when it belongs to the cycle's program, else `recommending_unit`, an active
    unit of that program the applicant chose (an organization registers once and applies to
    any award whose region it is in; decision 0030). Side effects: the draft and an
    `intake.application.start` audit event.
    """
    if (organization is None) == (individual is None):
        raise ServiceError("请选择以组织或个人名义申报。")
    kind = Kind.ORGANIZATION if organization else Kind.INDIVIDUAL
    registered = organization.recommending_unit if organization else individual.recommending_unit  # type: ignore[union-attr]
    unit = recommending_unit or registered
    if recommending_unit is not None and not recommending_unit.active:
        raise ServiceError(f"推荐单位“{recommending_unit.name}”已停用，请另选。", article="A7.1")
    probe = Application(cycle=cycle, kind=kind, organization=organization, individual=individual)
    if not actor.has_perm("intake.edit_application", probe):
        raise PermissionDenied("您不能以该申报主体的名义申报。")
    if cycle.status != Cycle.Status.PUBLISHED:
        raise ServiceError(
            f"{cycle}尚未发布申报通知，暂不接受申报。", code="not_open", article="A15.1"
        )
    if unit.program_id != cycle.program_id:
        # Article 7: the unit that reviews and recommends is the award's own (decision 0030).
        raise ServiceError(
            f"推荐单位“{unit.name}”不是{cycle.program.name}的推荐单位：申报该奖项，"
            f"请选择{cycle.program.name}的推荐单位（所在县、市、区或主管部门）。",
            code="unit_of_another_program",
            article="A7.1",
        )
    if reason := workflow.TABLE["edit"].window(probe, today()):
        raise ServiceError(f"不能开始申报：{reason}", code="outside_window", article="A15.2")
    existing = Application.objects.filter(
        cycle=cycle, organization=organization, individual=individual
    )
    if existing.exists():
        raise StateConflict(
            f"{probe.applicant_name}在{cycle.year}年度已有申报，每个年度只能申报一次。"
        )
    try:
        with transaction.atomic():
            application = Application.objects.create(
                cycle=cycle,
                kind=kind,
                organization=organization,
                individual=individual,
                recommending_unit=unit,
                created_by=actor,
            )
            record(
                actor=actor,
                role=_applicant_role(kind),
                action="intake.application.start",
                obj=application,
                after={"cycle": cycle.year, "kind": kind},
            )
    except IntegrityError as exc:  # the double click's second request
        raise StateConflict(f"{probe.applicant_name}在{cycle.year}年度已有申报。") from exc
    return application


def _applicant_role(kind: str) -> str:
    return Role.APPLICANT if kind == Kind.ORGANIZATION else Role.INDIVIDUAL


def save_draft(*, actor: User, application: Application, data: dict[str, Any]) -> Application:
    """Save the form as typed (autosave), each field on its own. Drafts are the applicant's
    working copy: saving is not audited; what is submitted is frozen and audited
    (`submit_application`).

    What the schema accepts is saved in `data`; a field it refuses (从业人数 −5, a percentage
    not a multiple of 5, a date that is not a date) does not keep the others from saving: it is
    kept as typed in `draft_typed` with its reasons, by place, in `draft_errors` (read them on
    the returned application), and `submit_application` refuses until it is put right.
    Refused: an application that is not a draft or returned.
    """
    _check(application, "edit", actor)
    form, errors = schema.split_valid(data)
    cleaned = form.model_dump(mode="json", exclude_defaults=False)
    typed = _jsonable(data) if errors else {}
    updated = Application.objects.filter(
        pk=application.pk, state__in=[State.DRAFT, State.RETURNED]
    ).update(data=cleaned, draft_typed=typed, draft_errors=errors, updated_at=now())
    if not updated:
        raise StateConflict("该申报已提交，不能再修改。")
    application.data, application.draft_typed, application.draft_errors = cleaned, typed, errors
    return application


def invalid_fields_message(
    errors: dict[str, list[str]],
    kind: str,
    *,
    lookback_years: int | None = None,
    rubric: Rubric | None = None,
) -> str:
    """The refused fields of a draft, named in Chinese, for the refusal to submit (a declaration
    saying the program's look-back, `Policy.lookback_years`, a self-evaluation item its name in
    the application's rubric, when given)."""
    from .forms import label_for

    listed = [
        f"{label_for(place, kind, lookback_years=lookback_years, rubric=rubric)}"
        f"（{'；'.join(why)}）"
        for place, why in errors.items()
    ]
    return (
        f"申报表有{len(listed)}处填写错误，改正后才能提交："
        + "；".join(listed[:5])
        + ("……" if len(listed) > 5 else "")
    )


def add_attachment(
    *,
    actor: User,
    application: Application,
    section: str,
    name: str,
    data: bytes,
    same_file_ok: str = "",
) -> Attachment:
    """Attach evidence to a draft. The type is read from the content, not the name (an .exe
    renamed .pdf is refused); size limited; stored outside the web root under an opaque path.

    The same file (same SHA-256) already among the draft's attachments is refused with a
    question (code `same_file`, the hash in `fields["same_file"]`): uploading it again is
    meant only when `same_file_ok` repeats that hash (the person answered 仍要上传)."""
    _check(application, "edit", actor)
    try:
        kind = files.check_upload(name, data, max_bytes=MAX_ATTACHMENT_BYTES)
    except files.RejectedFile as exc:
        raise ServiceError(str(exc), code="rejected_file", fields={"file": [str(exc)]}) from exc
    digest = hashlib.sha256(data).hexdigest()
    same = application.attachments.filter(removed_at__isnull=True, sha256=digest).first()
    if same is not None and same_file_ok != digest:
        when = timezone.localtime(same.uploaded_at).strftime("%Y-%m-%d %H:%M")
        raise ServiceError(
            f"已上传过相同文件“{same.original_name}”（{when}上传），仍要上传吗？",
            code="same_file",
            fields={"same_file": [digest]},
            status=409,
        )
    with transaction.atomic():
        attachment = Attachment(
            application=application,
            section=section[:32],
            original_name=name[-200:],
            kind=kind.key,
            content_type=kind.content_type,
            size=len(data),
            sha256=digest,
            uploaded_by=actor,
        )
        attachment.file.save(attachment.public_id.hex, ContentFile(data), save=False)
        attachment.save()
        record(
            actor=actor,
            role=_applicant_role(application.kind),
            action="intake.attachment.add",
            obj=application,
            after={
                "attachment": attachment.public_id,
                "name": attachment.original_name,
                "sha256": attachment.sha256,
                "size": attachment.size,
                "section": section,
                # Uploaded again on purpose (the person answered 仍要上传 to the same file).
                **({"same_file_of": same.public_id} if same is not None else {}),
            },
        )
    return attachment


def remove_attachment(*, actor: User, attachment: Attachment) -> None:
    """Take a file out of the draft; the file itself stays (an earlier version may list it)."""
    application = attachment.application
    _check(application, "edit", actor)
    with transaction.atomic():
        Attachment.objects.filter(pk=attachment.pk).update(removed_at=now())
        record(
            actor=actor,
            role=_applicant_role(application.kind),
            action="intake.attachment.remove",
            obj=application,
            before={"attachment": attachment.public_id, "name": attachment.original_name},
        )


def open_attachment(*, actor: User, attachment: Attachment) -> bytes:
    """The file's bytes for whoever may see the application; every download is audited."""
    _require(actor, "intake.view_application", attachment.application)
    with transaction.atomic():
        record(
            actor=actor,
            role=_acting_role(actor, attachment.application),
            action="intake.attachment.download",
            obj=attachment.application,
            after={"attachment": attachment.public_id, "name": attachment.original_name},
        )
    with attachment.file.open("rb") as fh:
        return fh.read()


def _acting_role(actor: User, application: Application) -> str:
    from .rules import is_own_application, is_unit_reviewer

    if is_own_application(actor, application):
        return _applicant_role(application.kind)
    if is_unit_reviewer(actor, application):
        return Role.RECOMMENDER
    return Role.OFFICE if actor.has_perm("intake.decide_application") else Role.SUPERVISOR


def check_eligibility(
    application: Application, data: dict[str, Any] | None = None
) -> list[eligibility.Finding]:
    """The rules of A12-A14 against the form (the draft's unless `data` is given)."""
    cycle = application.cycle
    awards = AwardRecord.objects.filter(
        standing.awards_of(cycle.program),  # the award's own: A24.1 per program
        organization=application.organization,
        individual=application.individual,
        revoked_on__isnull=True,
    )
    bans = (
        Ban.objects.filter(organization=application.organization)
        if application.organization
        else []
    )
    ctx = eligibility.Context(
        form=schema.parse(application.data if data is None else data),
        policy=cycle.policy,
        division_code=cycle.program.division_code,
        reference=eligibility.reference_date(cycle),
        organization=application.organization,
        individual=application.individual,
        awards=[eligibility.HeldAward(a.year, a.level, a.announced_on) for a in awards],
        bans=[eligibility.ActiveBan(b.starts_on, b.ends_on, b.reason) for b in bans],
    )
    return eligibility.evaluate(ctx)


def submit_application(*, actor: User, application: Application) -> ApplicationVersion:
    """Submit the 申报表 to the recommending unit (A15.2, A15.3).

    Preconditions: the applicant; inside the cycle's window; a draft or a returned application;
    every required part filled. Side effects, in order: the state moves to submitted (a double
    click submits once), the form and its attachment list are frozen as a new version, the
    eligibility rules are evaluated for that version, the unit's reviewers are notified, and an
    `intake.application.submit` event is written. Failed rules do not block submitting: the
    applicant has seen them, and the Office decides.
    """
    _check(application, "submit", actor)
    # Freeze what is stored, not what this (possibly stale) object holds.
    application.data, application.draft_errors = Application.objects.values_list(
        "data", "draft_errors"
    ).get(pk=application.pk)
    if application.draft_errors:
        raise ServiceError(
            invalid_fields_message(
                application.draft_errors,
                application.kind,
                lookback_years=application.cycle.policy.lookback_years,
                rubric=schema.self_evaluation_rubric(application.cycle.policy, application.kind),
            ),
            code="invalid_fields",
            fields=application.draft_errors,
        )
    form = schema.parse(application.data)
    reference = eligibility.reference_date(application.cycle)
    missing = schema.missing_for_submission(
        form,
        kind=application.kind,
        reference=reference,
        lookback_years=application.cycle.policy.lookback_years,
        rubric=schema.self_evaluation_rubric(application.cycle.policy, application.kind),
    )
    if missing:
        raise ServiceError(
            f"申报表尚未填写完整（{len(missing)}项）："
            + "；".join(missing[:5])
            + ("……" if len(missing) > 5 else ""),
            code="incomplete",
            fields={"missing": missing},
        )
    with transaction.atomic():
        submitted_at = now()
        number = application.version + 1
        before = transition(application, "submit", version=number, submitted_at=submitted_at)
        attachments = [
            {
                "id": str(a.public_id),
                "name": a.original_name,
                "section": a.section,
                "sha256": a.sha256,
                "size": a.size,
            }
            for a in application.attachments.filter(removed_at__isnull=True)
        ]
        version = ApplicationVersion.objects.create(
            application=application,
            number=number,
            data=application.data,
            applicant=applicant_snapshot(application),
            attachments=attachments,
            submitted_at=submitted_at,
            submitted_by=actor,
        )
        findings = check_eligibility(application)
        EligibilityResult.objects.bulk_create(
            EligibilityResult(
                application=application,
                version=number,
                rule=f.rule,
                article=f.article,
                outcome=f.outcome,
                message=f.message,
                evidence=_jsonable(f.evidence),
            )
            for f in findings
        )
        record(
            actor=actor,
            role=_applicant_role(application.kind),
            action="intake.application.submit",
            obj=application,
            before={"state": before},
            after={
                "state": application.state,
                "version": number,
                "data_sha256": hashlib.sha256(
                    str(sorted(application.data.items())).encode()
                ).hexdigest(),
                "attachments": [a["id"] for a in attachments],
                "eligibility": {f.rule: f.outcome for f in findings},
            },
        )
    return version


def applicant_snapshot(application: Application) -> dict[str, Any]:
    """The registration facts the version is judged on, frozen with it (身份证 masked)."""
    from accounts.services import ORGANIZATION_PROFILE
    from lib import idcard

    if application.organization is not None:
        org = application.organization
        facts = {f: getattr(org, f) for f in ORGANIZATION_PROFILE}
        facts |= {"uscc": org.uscc, "recommending_unit": org.recommending_unit.name}
    else:
        person = application.individual
        assert person is not None  # an application is an organization's or a person's
        facts = {
            "name": person.name,
            "id_number": idcard.mask(person.id_number),
            "employer_name": person.employer_name,
            "position": person.position,
            "quality_work_years": person.quality_work_years,
            "recommending_unit": person.recommending_unit.name,
        }
    return _jsonable(facts)


def recorded_holders(applications: Iterable[Application]) -> dict[int, dict[str, str]]:
    """The name and code each application was submitted with (its latest version's frozen
    registration, `applicant_snapshot`), as the fields of `RecordedHolder`: what the notice, the
    award and the certificate keep. The registration as it is now where no version holds them
    (nothing submitted, or a version older than the snapshot). One query."""
    applications = list(applications)
    frozen = dict(
        ApplicationVersion.objects.filter(
            application__in=applications, number=F("application__version")
        ).values_list("application_id", "applicant")
    )
    held = {}
    for application in applications:
        facts = frozen.get(application.pk) or {}
        if not facts.get("name"):
            live = application.organization or application.individual
            facts = {
                "name": getattr(live, "name", ""),
                "uscc": getattr(live, "uscc", ""),
                "employer_name": getattr(live, "employer_name", ""),
            }
        held[application.pk] = {
            "recorded_name": str(facts.get("name", "")),
            "recorded_uscc": str(facts.get("uscc", "")) if application.organization_id else "",
            "recorded_employer": str(facts.get("employer_name", ""))
            if application.individual_id
            else "",
        }
    return held


def _jsonable(value: Any) -> Any:
    from audit.services import jsonable

    return jsonable(value)


def withdraw_application(*, actor: User, application: Application, reason: str) -> None:
    """The applicant withdraws (participation is voluntary, A3.1)."""
    _check(application, "withdraw", actor)
    with transaction.atomic():
        before = transition(application, "withdraw", notes={"reason": reason})
        record(
            actor=actor,
            role=_applicant_role(application.kind),
            action="intake.application.withdraw",
            obj=application,
            before={"state": before},
            after={"state": application.state},
            reason=reason,
        )


# --- the recommending unit -------------------------------------------------------------------


def recommend_application(*, actor: User, application: Application, opinion: str) -> Recommendation:
    """The unit signs its recommendation opinion (推荐意见, A15.3) and the application goes to
    the Office. Preconditions: a reviewer of the application's unit (A7.1); submitted; before the
    recommendation deadline; an opinion written. Side effects: the recommendation, the state,
    notifications to the applicant and the Office, `intake.application.recommend`."""
    _check(application, "recommend", actor)
    if not opinion.strip():
        raise ServiceError("请填写推荐意见。", fields={"opinion": ["请填写推荐意见"]})
    with transaction.atomic():
        before = transition(application, "recommend", notes={"reason": opinion.strip()})
        rec = Recommendation.objects.create(
            application=application,
            version=application.version,
            unit=application.recommending_unit,
            reviewer=actor,
            outcome=Recommendation.Outcome.RECOMMENDED,
            opinion=opinion.strip(),
            decided_at=now(),
        )
        record(
            actor=actor,
            role=Role.RECOMMENDER,
            action="intake.application.recommend",
            obj=application,
            before={"state": before},
            after={"state": application.state, "version": application.version},
            reason=opinion.strip(),
        )
    return rec


def return_application(*, actor: User, application: Application, reason: str) -> None:
    """Send the application back to the applicant to amend, with reasons: by the unit before it
    recommends, or by the Office before it decides. The applicant edits and submits again; every
    submitted version is kept."""
    action = "office_return" if application.state == State.RECOMMENDED else "return"
    _check(application, action, actor)
    role = Role.OFFICE if action == "office_return" else Role.RECOMMENDER
    if not reason.strip():
        raise ServiceError("请填写退回理由。", fields={"reason": ["请填写退回理由"]})
    with transaction.atomic():
        before = transition(application, action, notes={"reason": reason.strip()})
        if role == Role.OFFICE:
            QualificationDecision.objects.create(
                application=application,
                version=application.version,
                outcome=QualificationDecision.Outcome.RETURNED,
                reason=reason.strip(),
                decided_by=actor,
                decided_at=now(),
            )
        else:
            Recommendation.objects.create(
                application=application,
                version=application.version,
                unit=application.recommending_unit,
                reviewer=actor,
                outcome=Recommendation.Outcome.RETURNED,
                opinion=reason.strip(),
                decided_at=now(),
            )
        record(
            actor=actor,
            role=role,
            action="intake.application.return",
            obj=application,
            before={"state": before},
            after={"state": application.state},
            reason=reason.strip(),
        )


# --- the Office ------------------------------------------------------------------------------


def decide_qualification(
    *,
    actor: User,
    application: Application,
    accept: bool,
    reason: str,
    articles: list[str] | None = None,
    confirmed: list[str] | None = None,
) -> QualificationDecision:
    """受理 or 不予受理 with the reason stated (A16.1).

    Accepting needs: no failed rule in the submitted version's eligibility report (a hard
    failure blocks acceptance, never silently) and every rule that needs the Office's
    confirmation ticked in `confirmed`. Not accepting needs a reason and at least one article
    (from the rules, or "A16.1" for completeness). Side effects: the decision, the state, the
    applicant notified with the reasons, `intake.application.accept` / `.not_accept`.
    """
    _check(application, "accept" if accept else "not_accept", actor)
    articles = _check_articles(articles)
    if accept:
        _check_acceptable(application, confirmed)
    else:
        if not reason.strip():
            raise ServiceError(
                "不予受理须说明理由（《办法》第十六条）。", fields={"reason": ["请填写理由"]}
            )
        if not articles:
            raise ServiceError("请选择不予受理所依据的条款。", fields={"articles": ["请选择条款"]})
    with transaction.atomic():
        before = transition(
            application,
            "accept" if accept else "not_accept",
            notes={"reason": reason.strip(), "articles": _cited(articles)},
        )
        decision = QualificationDecision.objects.create(
            application=application,
            version=application.version,
            outcome=QualificationDecision.Outcome.ACCEPTED
            if accept
            else QualificationDecision.Outcome.NOT_ACCEPTED,
            articles=articles,
            reason=reason.strip(),
            decided_by=actor,
            decided_at=now(),
        )
        record(
            actor=actor,
            role=Role.OFFICE,
            action="intake.application.accept" if accept else "intake.application.not_accept",
            obj=application,
            before={"state": before},
            after={
                "state": application.state,
                "articles": articles,
                "confirmed": sorted(confirmed or []),
            },
            reason=reason.strip(),
        )
    return decision


# The articles a refusal may cite: those of the eligibility rules, and A16.1 (材料规范).
ARTICLES = frozenset({r.article for r in eligibility.RULES} | {"A16.1"})


def _check_articles(articles: list[str] | None) -> list[str]:
    cited = sorted(set(articles or []))
    unknown = [a for a in cited if a not in ARTICLES]
    if unknown:
        raise ServiceError(
            f"条款{'、'.join(unknown)}不是资格审查可依据的条款。", fields={"articles": unknown}
        )
    return cited


def _check_acceptable(application: Application, confirmed: list[str] | None) -> None:
    """A16.1: no failed rule in the submitted version's report (a hard failure blocks
    acceptance, never silently), and every rule needing the Office's confirmation confirmed."""
    results = list(application.eligibility.filter(version=application.version))
    failed = [r for r in results if r.outcome == EligibilityResult.Outcome.FAIL]
    if failed:
        raise ServiceError(
            "资格条件核查有不符合项，不能受理："
            + "；".join(f"{r.article} {r.message}" for r in failed),
            code="ineligible",
            article=failed[0].article,
        )
    to_confirm = {r.rule for r in results if r.outcome == EligibilityResult.Outcome.CONFIRM}
    unconfirmed = sorted(to_confirm - set(confirmed or []))
    if unconfirmed:
        raise ServiceError(
            f"尚有{len(unconfirmed)}项需办公室核实的条件未确认。",
            code="unconfirmed",
            fields={"confirmed": unconfirmed},
        )


def correct_decision(
    *,
    actor: User,
    decision: QualificationDecision,
    reason: str,
    articles: list[str] | None = None,
    confirmed: list[str] | None = None,
) -> QualificationDecision:
    """Reverse a qualification decision: only explicitly, with a reason, audited; the earlier
    decision stays on record, linked from the correction. Turning a refusal into an acceptance
    meets the same guard as accepting (`_check_acceptable`); turning an acceptance into a
    refusal cites its articles."""
    application = decision.application
    if hasattr(decision, "corrected_by"):
        raise StateConflict("该决定已被更正过，请更正最新的决定。")
    if decision.outcome == QualificationDecision.Outcome.RETURNED:
        raise StateConflict("退回补正不是受理决定，无需更正。")
    if not reason.strip():
        raise ServiceError("更正决定须填写理由。", fields={"reason": ["请填写理由"]})
    accept = decision.outcome == QualificationDecision.Outcome.NOT_ACCEPTED
    _check(application, "correct_to_accepted" if accept else "correct_to_not_accepted", actor)
    articles = _check_articles(articles)
    if accept:
        _check_acceptable(application, confirmed)
    elif not articles:
        raise ServiceError("请选择不予受理所依据的条款。", fields={"articles": ["请选择条款"]})
    with transaction.atomic():
        before = transition(
            application,
            "correct_to_accepted" if accept else "correct_to_not_accepted",
            notes={"reason": reason.strip(), "articles": _cited(articles)},
        )
        corrected = QualificationDecision.objects.create(
            application=application,
            version=application.version,
            outcome=QualificationDecision.Outcome.ACCEPTED
            if accept
            else QualificationDecision.Outcome.NOT_ACCEPTED,
            articles=sorted(set(articles or [])),
            reason=reason.strip(),
            decided_by=actor,
            decided_at=now(),
            corrects=decision,
        )
        record(
            actor=actor,
            role=Role.OFFICE,
            action="intake.decision.correct",
            obj=application,
            before={"state": before, "decision": decision.pk},
            after={"state": application.state, "decision": corrected.pk},
            reason=reason.strip(),
        )
    return corrected


def _cited(articles: list[str] | None) -> str:
    """The articles as a page cites them (第十二条第（五）项), for the applicant's message."""
    return "、".join(cite(a) for a in articles or []) or "《办法》第十六条"


def lapse_application(*, actor: User, application: Application, reason: str = "") -> None:
    """Close an application whose step was not done in time as 逾期未受理 (A15.2, A15.3, A16.1).

    Preconditions: the Office; the application waits (submitted, returned or recommended) and
    its step's deadline (`workflow.due_date`) has passed. Side effects: the state, the
    applicant and the unit told, `intake.application.lapse`.
    """
    _check(application, "lapse", actor)
    due = workflow.due_date(application)
    with transaction.atomic():
        before = transition(application, "lapse", notes={"reason": reason.strip()})
        record(
            actor=actor,
            role=Role.OFFICE,
            action="intake.application.lapse",
            obj=application,
            before={"state": before, "due": due},
            after={"state": application.state},
            reason=reason.strip(),
        )
