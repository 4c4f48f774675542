"""The actions of 审定, 公示 and 批准 (A5.2, A6.1, A19.1-A22.1, A24.1, A25.1).

Each is a keyword-only verb that runs in one transaction and appends its audit event there
(STYLE.md). Who may act, in which state and when is the workflow tables' question
(`decision/workflow.py`): each service starts with `require` and moves the state only with
`move`. The list moves through `Proposal.State`:

    draft --record_approval(committee)--> committee_approved --record_approval(government)-->
    government_approved --publish_notice--> in_notice --close_notice--> notice_closed
    --announce--> announced

and the applications with it (`intake.services.transition`): evaluated -> proposed (committee)
-> in_notice -> awarded, the others not_awarded at the announcement. An objection moves open ->
upheld | dismissed (`decide_objection`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Role, User
from audit.services import record
from intake import standing
from intake.models import Application, AwardRecord, Kind, State
from intake.services import recorded_holders, transition, transition_all
from lib import files
from lib import phone as phones
from lib.crypto import blind_index
from lib.errors import PermissionDenied, ServiceError, StateConflict
from lib.workdays import UnknownCalendarYear
from programs.models import AwardProgram, Cycle, Policy
from programs.selectors import now, today, work_calendar
from programs.services import close_cycle

from .models import (
    Approval,
    ApprovalAttachment,
    BonusEntry,
    Certificate,
    Entry,
    Objection,
    ObjectionEvidence,
    Proposal,
)
from .workflow import DECIDE, OBJECTION, PROPOSAL, notice_window

TEXT_LIMIT = 4000
MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
MAX_EVIDENCE_FILES = 5
LEVELS = {"award": "市长质量奖", "nomination": "市长质量奖提名奖"}


def _require(actor: User, perm: str = "decision.manage") -> None:
    if not actor.has_perm(perm):
        raise PermissionDenied()


def _text(value: str, label: str, errors: dict[str, list[str]], key: str, *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        errors.setdefault(key, []).append(f"请填写{label}。")
    elif len(value) > TEXT_LIMIT:
        errors.setdefault(key, []).append(f"{label}不能超过{TEXT_LIMIT}字。")
    return value


def _raise(what: str, errors: dict[str, list[str]], article: str | None = None) -> None:
    if errors:
        raise ServiceError(
            f"{what}：" + next(iter(errors.values()))[0], fields=errors, article=article
        )


def _typed(
    uploads: Sequence[tuple[str, bytes]], errors: dict[str, list[str]], key: str
) -> list[files.FileKind]:
    """Each upload's kind read from its content (lib/files.py), or the reason it is refused."""
    if len(uploads) > MAX_EVIDENCE_FILES:
        errors.setdefault(key, []).append(f"附件最多{MAX_EVIDENCE_FILES}个文件。")
    kinds = []
    for filename, data in uploads:
        try:
            kinds.append(files.check_upload(filename, data, max_bytes=MAX_EVIDENCE_BYTES))
        except files.RejectedFile as exc:
            errors.setdefault(key, []).append(str(exc))
    return kinds


def _store(
    item: ApprovalAttachment | ObjectionEvidence, filename: str, data: bytes, kind: files.FileKind
) -> None:
    """Save an upload under a name of ours (never the uploaded name: the name is data)."""
    item.original_name = filename[:200]
    item.content_type = kind.content_type
    item.size = len(data)
    item.sha256 = hashlib.sha256(data).hexdigest()
    item.file.save(item.sha256[:16], ContentFile(data), save=False)
    item.save()


def _locked(proposal: Proposal) -> Proposal:
    return Proposal.objects.select_for_update().select_related("cycle__policy").get(pk=proposal.pk)


# --- the proposed list (A5.2, A19.1, A24.1) ----------------------------------------------------


def is_rewinner(application: Application) -> bool:
    """A24.1 (`intake.standing.is_rewinner`): the organization already holds a (not revoked)
    市长质量奖 from an earlier year: it may win again, outside the quota and without a bonus."""
    return standing.is_rewinner(application.kind, standing.earlier_levels(application))


def quota_errors(policy: Policy, chosen: Sequence[tuple[Application, str, bool]]) -> list[str]:
    """What breaks the quotas of A5.2 (re-winners excluded, A24.1) or the policy's optional
    minimum score lines, one sentence each."""
    errors = []
    counts = {"organization_award": 0, "organization_nomination": 0, "individual_award": 0}
    for application, level, rewinner in chosen:
        if application.kind == Kind.INDIVIDUAL and level != "award":
            errors.append(f"{application.applicant_name}：个人只设市长质量奖，没有提名奖。")
            continue
        if not rewinner:
            counts[f"{application.kind}_{level}"] += 1
        line = policy.min_score_award if level == "award" else policy.min_score_nomination
        evaluation = getattr(application, "evaluation", None)
        if line is not None and evaluation is not None and evaluation.final_score < line:
            errors.append(
                f"{application.applicant_name}：综合得分{evaluation.final_score}分，"
                f"低于{LEVELS[level]}最低分{line}分。"
            )
    limits = {
        "organization_award": (policy.quota_organization_award, "组织市长质量奖"),
        "organization_nomination": (policy.quota_organization_nomination, "组织提名奖"),
        "individual_award": (policy.quota_individual_award, "个人市长质量奖"),
    }
    for key, (limit, label) in limits.items():
        if counts[key] > limit:
            errors.append(
                f"{label}拟奖{counts[key]}个，超过名额{limit}个"
                "（《办法》第五条；再次获奖者不占名额，第二十四条）。"
            )
    return errors


def save_proposal(
    *, actor: User, cycle: Cycle, entries: Sequence[tuple[Application, str]]
) -> Proposal:
    """The Office drafts (or redrafts) the list from the ranking: evaluated applications of the
    cycle at a level each. Refused with every reason when over a quota (A5.2) or below a score
    line; re-winners are marked and outside the quota (A24.1). Only while the list is a draft
    (fixed once the committee has decided) and until 审定 ends (`workflow.PROPOSAL`, `edit`).
    Side effect: `decision.proposal.save`."""
    existing = Proposal.objects.filter(cycle=cycle).first()
    PROPOSAL.require(existing or Proposal(cycle=cycle), "edit", actor)
    errors: list[str] = []
    chosen: list[tuple[Application, str, bool]] = []
    seen: set[int] = set()
    for application, level in entries:
        if application.cycle_id != cycle.pk or application.state != State.EVALUATED:
            errors.append(f"{application.applicant_name}：不是本年度已完成综合评价的申报。")
            continue
        if level not in LEVELS:
            errors.append(f"{application.applicant_name}：奖项无效。")
            continue
        if application.pk in seen:
            errors.append(f"{application.applicant_name}：重复列入。")
            continue
        seen.add(application.pk)
        chosen.append((application, level, is_rewinner(application)))
    errors += quota_errors(cycle.policy, chosen)
    if errors:
        raise ServiceError(
            "拟奖名单未保存：" + errors[0], fields={"entries": errors}, article="A5.2"
        )
    with transaction.atomic():
        proposal, _ = Proposal.objects.get_or_create(cycle=cycle)
        proposal = _locked(proposal)
        PROPOSAL.require(proposal, "edit", actor)  # the committee may have decided meanwhile
        proposal.entries.all().delete()
        # The name and code the notice shows are the submitted version's (frozen there), not
        # the registration's at the time of reading: a rename during 公示 changes no entry.
        held = recorded_holders(a for a, _, _ in chosen)
        Entry.objects.bulk_create(
            Entry(
                proposal=proposal,
                application=a,
                level=level,
                rewinner=rewinner,
                position=n,
                **held[a.pk],
            )
            for n, (a, level, rewinner) in enumerate(chosen)
        )
        record(
            actor=actor,
            role=Role.OFFICE,
            action="decision.proposal.save",
            obj=proposal,
            after={
                "entries": [
                    {
                        "application": a.pk,
                        "level": level,
                        "rewinner": r,
                        "name": held[a.pk]["recorded_name"],
                        "uscc": held[a.pk]["recorded_uscc"],
                    }
                    for a, level, r in chosen
                ]
            },
        )
    return proposal


# --- approvals (A6.1, A19.1) -------------------------------------------------------------------


def record_approval(
    *,
    actor: User,
    proposal: Proposal,
    body: str,
    decided_on: dt.date,
    reference: str,
    attendees: str = "",
    resolution: str = "",
    attachments: Sequence[tuple[str, bytes]] = (),
) -> Approval:
    """The Office records the committee's 审定 of the list (meeting, attendees, resolution;
    `approve_committee`, inside 审定), then the city government's approval (文号, date;
    `approve_government`, before 公示 starts). The committee's moves the listed applications to
    拟奖. Side effect: `decision.approval.record`."""
    if body not in Approval.Body.values:
        raise ServiceError("审批未记录：审批机构无效。", fields={"body": ["审批机构无效。"]})
    action = "approve_committee" if body == Approval.Body.COMMITTEE else "approve_government"
    PROPOSAL.require(proposal, action, actor)
    errors: dict[str, list[str]] = {}
    label = "会议名称" if body == Approval.Body.COMMITTEE else "批准文号"
    reference = _text(reference, label, errors, "reference", required=True)[:200]
    attendees = _text(attendees, "出席人员", errors, "attendees", required=False)
    resolution = _text(resolution, "决议内容", errors, "resolution", required=False)
    if decided_on > today():
        errors.setdefault("decided_on", []).append("日期不能晚于今天。")
    kinds = _typed(attachments, errors, "attachments")
    _raise("审批未记录", errors, "A19.1")
    with transaction.atomic():
        # The conditional UPDATE first: a second clerk waits here and is told; what follows
        # reads the list as it is now (a refusal below rolls the move back).
        PROPOSAL.move(proposal, action, updated_at=timezone.now())
        if body == Approval.Body.COMMITTEE:
            entries = list(proposal.entries.select_related("application"))
            if not entries:
                raise StateConflict("拟奖名单为空，不能提交委员会审定。")
            transition_all([e.application for e in entries], "propose")
        else:
            committee = proposal.approvals.filter(body=Approval.Body.COMMITTEE).first()
            if committee is not None and decided_on < committee.decided_on:
                raise ServiceError(
                    "市政府批准日期不能早于委员会审定日期。", fields={"decided_on": ["过早"]}
                )
        approval = Approval.objects.create(
            proposal=proposal,
            body=body,
            decided_on=decided_on,
            reference=reference,
            attendees=attendees,
            resolution=resolution,
            recorded_by=actor,
            recorded_at=now(),
        )
        for (filename, data), kind in zip(attachments, kinds, strict=True):
            _store(ApprovalAttachment(approval=approval), filename, data, kind)
        record(
            actor=actor,
            role=Role.OFFICE,
            action="decision.approval.record",
            obj=proposal,
            after={
                "approval": approval.pk,
                "body": body,
                "decided_on": decided_on,
                "reference": reference,
                "attachments": [name for name, _ in attachments],
            },
        )
    return approval


# --- the public notice and objections (A20.1, A20.2) -------------------------------------------


def notice_end(starts_on: dt.date, policy: Policy) -> dt.date:
    """The last day of a notice starting on `starts_on`: the policy's number of working days,
    the start counted, by the working-day calendar (holidays and make-up days)."""
    return work_calendar().nth_workday(starts_on, policy.notice_working_days)


def publish_notice(*, actor: User, proposal: Proposal, starts_on: dt.date) -> Proposal:
    """Publish the approved list on the public site for the policy's working days (A20.1),
    until 公示 ends (`publish_notice`); it may start on a later working day. The applications go
    to 公示中. Side effect: `decision.notice.publish`."""
    PROPOSAL.require(proposal, "publish_notice", actor)
    if starts_on < today():
        raise ServiceError(
            "公示开始日期不能早于今天。", fields={"starts_on": ["过早"]}, article="A20.1"
        )
    try:
        workday = work_calendar().is_workday(starts_on)
        ends_on = notice_end(starts_on, proposal.cycle.policy)
    except UnknownCalendarYear as exc:  # the Office enters the year's arrangement first
        raise ServiceError(str(exc), fields={"starts_on": ["无工作日历"]}, article="A20.1") from exc
    if not workday:
        raise ServiceError(
            f"{starts_on:%Y-%m-%d}不是工作日，公示应从工作日开始。",
            fields={"starts_on": ["非工作日"]},
            article="A20.1",
        )
    with transaction.atomic():
        PROPOSAL.move(
            proposal,
            "publish_notice",
            notice_starts_on=starts_on,
            notice_ends_on=ends_on,
            notice_published_at=now(),
            updated_at=timezone.now(),
        )
        live = [e.application for e in proposal.entries.filter(withdrawn_at__isnull=True)]
        transition_all(live, "notice")
        record(
            actor=actor,
            role=Role.OFFICE,
            action="decision.notice.publish",
            obj=proposal,
            after={"starts_on": starts_on, "ends_on": ends_on},
        )
    return proposal


def notice_is_open(proposal: Proposal, on: dt.date | None = None) -> bool:
    """Whether objections are received now: the table's `object` window, in its state."""
    return proposal.state in PROPOSAL["object"].sources and (
        notice_window(proposal, on or today()) is None
    )


def _receipt() -> str:
    """YY + 10 random Crockford base32 characters: not guessable, easy to read out."""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    return f"YY{today():%Y}" + "".join(secrets.choice(alphabet) for _ in range(10))


_SPACES = re.compile(r"\s+")
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def _plain(text: str) -> str:
    """Half-width, case folded, without white space (Chinese text has none between words):
    what a person retypes the same."""
    return _SPACES.sub("", (text or "").translate(_HALF_WIDTH)).casefold()


def objection_fingerprint(
    proposal: Proposal, entry: Entry | None, name: str, contact: str, content: str
) -> str:
    """The keyed HMAC (lib.crypto.blind_index) that recognizes the same objection sent again:
    the notice, the entry objected to, the name, the contact in its written form
    (lib.phone.validate_contact) and the content, each without white space, half-width and
    case folded. The identity and the files are not part of it: the same person's same
    objection is one objection."""
    try:
        written = phones.validate_contact(contact)
    except phones.InvalidPhone:
        written = contact  # a row filed before contacts were checked
    parts = [
        str(proposal.pk),
        str(entry.position) if entry is not None else "",
        _plain(name),
        _plain(written),
        _plain(content),
    ]
    return blind_index("\x1f".join(parts), kind="objection")


def file_objection(
    *,
    proposal: Proposal,
    name: str,
    identity: str,
    contact: str,
    content: str,
    entry: Entry | None = None,
    evidence: Sequence[tuple[str, bytes]] = (),
    actor: User | None = None,
) -> Objection:
    """Anyone may object during the notice (A20.2), under their real name with their identity
    or organization and a contact the Office can answer (a mobile, a landline with area code
    or an e-mail address: lib.phone.validate_contact); anonymous objections are refused with
    the reason, early or late ones with the notice's dates (`object`). Evidence files are typed
    from their content. Returns the objection with its receipt number.

    The same objection sent again (the same entry, name, contact and content, however often
    and by whatever way: Back and resubmit, a fresh form, the API, two requests at once) files
    nothing: the first objection is returned with `repeated` set (its fingerprint is unique per
    notice, so a race ends in one row). Side effect: `decision.objection.file` for a new one
    (the objector's contact is not copied into the audit); none for a repeat, which changes
    nothing."""
    PROPOSAL.require(proposal, "object", None)  # anyone may: the notice's dates decide
    errors: dict[str, list[str]] = {}
    name = _text(name, "真实姓名（不受理匿名异议）", errors, "name", required=True)[:50]
    identity = _text(identity, "身份或工作单位", errors, "identity", required=True)[:200]
    contact = _text(contact, "联系方式", errors, "contact", required=True)[:100]
    content = _text(content, "异议内容", errors, "content", required=True)
    if contact:
        try:
            contact = phones.validate_contact(contact)
        except phones.InvalidPhone as exc:
            errors.setdefault("contact", []).append(
                f"{exc}。本办公室须通过联系方式答复异议人（第二十条）。"
            )
    if name in {"匿名", "无名", "不愿透露"}:
        errors.setdefault("name", []).append("请填写真实姓名，本办公室不受理匿名异议。")
    if entry is not None and entry.proposal_id != proposal.pk:
        errors.setdefault("entry", []).append("所选对象不在公示名单中。")
    kinds = _typed(evidence, errors, "evidence")
    _raise("异议未提交", errors, "A20.2")
    fingerprint = objection_fingerprint(proposal, entry, name, contact, content)
    if (first := _same_objection(proposal, fingerprint)) is not None:
        return first
    try:
        with transaction.atomic():
            objection = Objection.objects.create(
                proposal=proposal,
                receipt=_receipt(),
                entry=entry,
                name=name,
                identity=identity,
                contact=contact,
                content=content,
                filed_at=now(),
                fingerprint=fingerprint,
            )
            for (filename, data), kind in zip(evidence, kinds, strict=True):
                _store(ObjectionEvidence(objection=objection), filename, data, kind)
            record(
                actor=actor if actor is not None and actor.is_authenticated else None,
                role="public",
                action="decision.objection.file",
                obj=objection,
                after={"receipt": objection.receipt, "entry": entry.pk if entry else None},
            )
    except IntegrityError:
        # Another request filed the same objection between our look and our insert: the
        # unique fingerprint refused this one, whose transaction (files too) was rolled back.
        if (first := _same_objection(proposal, fingerprint)) is not None:
            return first
        raise
    return objection


def _same_objection(proposal: Proposal, fingerprint: str) -> Objection | None:
    first = Objection.objects.filter(proposal=proposal, fingerprint=fingerprint).first()
    if first is not None:
        first.repeated = True
    return first


def decide_objection(
    *,
    actor: User,
    objection: Objection,
    outcome: str,
    findings: str,
    reply: str,
    withdraw: bool = False,
) -> Objection:
    """The Office records what it found, the outcome and its reply to the objector (A20.2): once,
    while the objection is open (`uphold`, `dismiss`). An upheld objection against a listed
    applicant may withdraw it from the list (its application becomes 未获奖). Side effects:
    `decision.objection.decide`, the withdrawal."""
    action = DECIDE.get(outcome)
    if action is None:
        raise ServiceError(
            "核查结论未保存：请选择核查结论。", fields={"outcome": ["请选择核查结论。"]}
        )
    OBJECTION.require(objection, action, actor)
    errors: dict[str, list[str]] = {}
    findings = _text(findings, "核查情况", errors, "findings", required=True)
    reply = _text(reply, "给异议人的答复", errors, "reply", required=True)
    if withdraw and (outcome != Objection.Outcome.UPHELD or objection.entry is None):
        errors.setdefault("withdraw", []).append("只有针对某一对象且成立的异议才能撤出该对象。")
    _raise("核查结论未保存", errors, "A20.2")
    with transaction.atomic():
        OBJECTION.move(
            objection, action, findings=findings, reply=reply, decided_by=actor, decided_at=now()
        )
        if withdraw and objection.entry is not None:
            entry = objection.entry
            entry.withdrawn_at = now()
            entry.withdrawn_reason = f"异议{objection.receipt}成立：{findings[:150]}"
            entry.save(update_fields=["withdrawn_at", "withdrawn_reason"])
            transition(entry.application, "not_award")
        record(
            actor=actor,
            role=Role.OFFICE,
            action="decision.objection.decide",
            obj=objection,
            after={
                "outcome": outcome,
                "withdrawn": bool(withdraw),
                "application": objection.entry.application_id if objection.entry else None,
            },
            reason=findings,
        )
        _queue_reply(objection)
    return objection


def is_email(contact: str) -> bool:
    """Whether an objector's contact is an e-mail address (else a phone: no mail is sent)."""
    try:
        validate_email(contact.strip())
    except ValidationError:
        return False
    return True


def reply_ref(objection: Objection) -> str:
    """What the reply's background job is about (jobs.Job.ref): the receipt, no personal data."""
    return f"decision.objection:{objection.receipt}"


def _queue_reply(objection: Objection) -> None:
    """Queue the e-mail of the Office's reply when the objector left an address (A20.2): a
    background job in the decision's transaction (accounts/jobs.py; issue 17), sent after the
    commit and retried; the view tells the Office whether it left (`reply_state`)."""
    from accounts.jobs import queue_mail

    address = objection.contact.strip()
    if not is_email(address):
        return
    year = objection.proposal.cycle.year
    subject = f"关于您对{year}年度市长质量奖拟奖名单所提异议的答复（回执号{objection.receipt}）"
    body = (
        f"{objection.name}：\n\n您于{objection.filed_at:%Y年%-m月%-d日}提出的异议"
        f"（回执号{objection.receipt}）已核查完毕。\n\n"
        f"核查结论：{objection.get_outcome_display()}\n\n答复：\n{objection.reply}\n\n"
        "质量发展委员会办公室"
    )
    queue_mail(
        subject,
        body,
        [address],
        label=f"邮件：异议{objection.receipt}的答复",
        ref=reply_ref(objection),
        requested_by=objection.decided_by,
    )


def reply_state(objection: Objection) -> str:
    """Where the reply mail is: "none" (no e-mail address: the Office replies another way),
    "sent", "failed" (after its retries: on the Office's job list) or "queued" (a worker
    sends it within seconds; retried while the mail server is down)."""
    from jobs.models import Job
    from jobs.services import latest

    job = latest(reply_ref(objection))
    if job is None:
        return "none"
    if job.state == Job.State.DONE:
        return "sent"
    if job.state in (Job.State.FAILED, Job.State.CANCELLED):
        return "failed"
    return "queued"


def close_notice(*, actor: User, proposal: Proposal) -> Proposal:
    """End the notice once its last day has passed and every objection is answered (A20.2,
    `close_notice`). Side effect: `decision.notice.close`."""
    PROPOSAL.require(proposal, "close_notice", actor)
    with transaction.atomic():
        PROPOSAL.move(proposal, "close_notice", notice_closed_at=now(), updated_at=timezone.now())
        record(actor=actor, role=Role.OFFICE, action="decision.notice.close", obj=proposal)
    return proposal


# --- the announcement, awards, certificates and bonuses (A20.2, A21.1, A22.1, A25.1) ----------


def bonus_due(policy: Policy, application: Application, level: str) -> int:
    """A21.1 and A24.1 as `intake.standing.bonus_due` reads them, from the holder's earlier
    awards: the policy's amount for a first award of the level, nothing for a re-winner or a
    repeated award."""
    return standing.bonus_due(
        policy,
        kind=application.kind,
        level=level,
        earlier_levels=standing.earlier_levels(application),
    )


def announce(
    *, actor: User, proposal: Proposal, announced_on: dt.date, document_number: str
) -> list[AwardRecord]:
    """The government announces the winners (A20.2) once the notice has closed: each listed,
    not withdrawn applicant becomes a winner (AwardRecord, read by A24.1 from now on) with a
    certificate whose number nobody can guess and its bonus due; every other evaluated
    application of the cycle becomes 未获奖, and the cycle 已结束 (`programs.services.close_cycle`).
    Only inside 批准 (`announce`). Side effects: `decision.announce`, `programs.cycle.close`, one
    `decision.certificate` job per certificate, sent on commit (decision/jobs.py)."""
    from lib.certificates import new_number

    from .jobs import queue as queue_certificates

    PROPOSAL.require(proposal, "announce", actor)
    errors: dict[str, list[str]] = {}
    document_number = _text(document_number, "公告文号", errors, "document_number", required=True)
    if announced_on > today():
        errors.setdefault("announced_on", []).append("公告日期不能晚于今天。")
    elif proposal.notice_ends_on is not None and announced_on <= proposal.notice_ends_on:
        errors.setdefault("announced_on", []).append("公告日期应在公示期结束之后。")
    _raise("公告未记录", errors, "A20.2")
    with transaction.atomic():
        # The conditional UPDATE first: a second clerk waits here and is told, and no award is
        # made twice (the rest rolls back with a refusal).
        PROPOSAL.move(
            proposal,
            "announce",
            announced_on=announced_on,
            announcement_number=document_number[:100],
            updated_at=timezone.now(),
        )
        cycle, policy = proposal.cycle, proposal.cycle.policy
        entries = list(
            proposal.entries.filter(withdrawn_at__isnull=True).select_related(
                "application__organization", "application__individual"
            )
        )
        awards = []
        certificates: list[Certificate] = []
        made: list[dict[str, object]] = []  # what the event carries of each award
        live = recorded_holders(e.application for e in entries if not e.recorded_name)
        for entry in entries:
            a = entry.application
            # The award and its certificate carry the name and code the list was decided on
            # (the entry's, frozen at the submission); a later rename never changes them.
            held = live.get(a.pk) or {
                "recorded_name": entry.recorded_name,
                "recorded_uscc": entry.recorded_uscc,
                "recorded_employer": entry.recorded_employer,
            }
            award = AwardRecord.objects.create(
                application=a,
                organization=a.organization,
                individual=a.individual,
                year=cycle.year,
                level=entry.level,
                announced_on=announced_on,
                document_number=document_number[:100],
                created_by=actor,
                **held,
            )
            certificate = Certificate.objects.create(
                award=award, number=new_number(cycle.year), issued_on=announced_on, **held
            )
            certificates.append(certificate)
            amount = 0 if entry.rewinner else bonus_due(policy, a, entry.level)
            due = None
            if amount:
                due = BonusEntry.objects.create(
                    award=award,
                    kind=BonusEntry.Kind.DUE,
                    amount=amount,
                    on=announced_on,
                    note="首次获奖，按《办法》第二十一条",
                    recorded_by=actor,
                    recorded_at=now(),
                )
            awards.append(award)
            made.append(
                {
                    "award": award.pk,
                    "application": a.pk,
                    "level": entry.level,
                    "year": cycle.year,
                    "certificate": certificate.number,
                    "bonus_entry": due.pk if due else None,
                    "bonus_due": amount,
                }
            )
        # Each certificate drawn and signed by a worker once this commits, its PDF kept for the
        # downloads and the archive (decision/jobs.py; issue 17).
        queue_certificates(certificates)
        transition_all([e.application for e in entries], "award")
        others = list(
            Application.objects.filter(
                cycle=cycle, state__in=[State.EVALUATED, State.PROPOSED, State.IN_NOTICE]
            )
        )
        transition_all(others, "not_award")
        close_cycle(actor=actor, cycle=cycle)
        record(
            actor=actor,
            role=Role.OFFICE,
            action="decision.announce",
            obj=proposal,
            after={
                "announced_on": announced_on,
                "document_number": document_number,
                "winners": [a.pk for a in awards],
                "awards": made,
            },
        )
    return awards


def record_bonus(
    *,
    actor: User,
    award: AwardRecord,
    kind: str,
    amount: int,
    on: dt.date,
    voucher: str = "",
    note: str = "",
) -> BonusEntry:
    """A payment (with its voucher) or a recovery in the bonus ledger (A22.1). A payment cannot
    exceed what is still due; a recovery cannot exceed what was paid. Side effect:
    `decision.bonus.record`."""
    _require(actor)
    errors: dict[str, list[str]] = {}
    if kind not in (BonusEntry.Kind.PAYMENT, BonusEntry.Kind.RECOVERY):
        errors.setdefault("kind", []).append("类型应为拨付或追回。")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        errors.setdefault("amount", []).append("金额应为正整数（元）。")
    voucher = _text(voucher, "凭证号", errors, "voucher", required=kind == BonusEntry.Kind.PAYMENT)
    note = _text(note, "说明", errors, "note", required=False)[:200]
    if on > today():
        errors.setdefault("on", []).append("日期不能晚于今天。")
    _raise("台账未记录", errors, "A22.1")
    with transaction.atomic():
        AwardRecord.objects.select_for_update().get(pk=award.pk)
        balance = ledger_balance(award)
        if kind == BonusEntry.Kind.PAYMENT and amount > balance["outstanding"]:
            raise ServiceError(
                f"拨付金额{amount:,}元超过应发未发的{balance['outstanding']:,}元。",
                fields={"amount": ["超额"]},
                article="A22.1",
            )
        recoverable = balance["paid"] - balance["recovered"]
        if kind == BonusEntry.Kind.RECOVERY and amount > recoverable:
            raise ServiceError(
                f"追回金额{amount:,}元超过已拨付未追回的{recoverable:,}元。",
                fields={"amount": ["超额"]},
            )
        entry = BonusEntry.objects.create(
            award=award,
            kind=kind,
            amount=amount,
            on=on,
            voucher=voucher[:100],
            note=note,
            recorded_by=actor,
            recorded_at=now(),
        )
        record(
            actor=actor,
            role=Role.OFFICE,
            action="decision.bonus.record",
            obj=award,
            after={"entry": entry.pk, "kind": kind, "amount": amount, "on": on, "voucher": voucher},
        )
    return entry


def ledger_balance(award: AwardRecord) -> dict[str, int]:
    """Due, paid and recovered for one award, and what is still to pay."""
    sums = dict.fromkeys(BonusEntry.Kind.values, 0)
    for kind, amount in award.bonus_entries.values_list("kind", "amount"):
        sums[kind] += amount
    return {
        "due": sums["due"],
        "paid": sums["payment"],
        "recovered": sums["recovery"],
        "outstanding": max(sums["due"] - sums["payment"], 0),
    }


def verify(number: str, *, program: AwardProgram | None = None) -> dict[str, Any] | None:
    """What the public verification page shows for a certificate number (A25.1), or None when
    no certificate has it (in `program`, when given: a program's site verifies its own
    certificates): holder, level, year, valid or revoked (with date and reason)."""
    from lib.certificates import canonical

    printed = canonical(number)  # forgives case, spaces, full-width input and look-alikes
    if printed is None:
        return None
    certificates = Certificate.objects.select_related("award__organization", "award__individual")
    if program is not None:
        certificates = certificates.filter(award__application__cycle__program=program)
    certificate = certificates.filter(number=printed).first()
    if certificate is None:
        return None
    award = certificate.award
    return {
        "number": certificate.number,
        # As printed on the certificate (its issue fixed them), and the name now if renamed.
        "holder": certificate.holder,
        "renamed_to": certificate.renamed_to,
        "level": award.get_level_display(),
        "year": award.year,
        "issued_on": certificate.issued_on,
        "valid": award.revoked_on is None,
        "revoked_on": award.revoked_on,
        "revoked_reason": certificate.revoked_reason,
    }
