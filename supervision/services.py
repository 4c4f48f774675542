"""The actions after the award and for integrity (A13.4, A23.1, A23.2, A29.1).

Each is a keyword-only verb that checks who may act and when, runs in one transaction and
appends its audit event there (STYLE.md). A case moves open -> reported (to the committee) ->
decided; a revocation marks the award and its certificate revoked (the public verification page
says so), records the bonus recovered in the ledger, moves the application to 奖项已撤销 and
publishes a revocation announcement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction

from accounts.models import Role, RoleAssignment, User
from audit.services import record
from decision.models import BonusEntry, Certificate
from decision.services import ledger_balance
from intake import standing
from intake.models import Application, AwardRecord, Kind
from intake.services import transition
from intake.standing import policy_for, record_ban
from lib.articles import chinese_number, cite
from lib.errors import PermissionDenied, ServiceError, StateConflict
from programs.models import Announcement, Policy
from programs.selectors import default_program, now, tenant_cycles, today

from .models import Case, Sanction
from .selectors import report_duty
from .workflow import TABLE

TEXT_LIMIT = 4000


def _require(actor: User, perm: str = "supervision.manage") -> None:
    if not actor.has_perm(perm):
        raise PermissionDenied()


def _text(value: str, label: str, errors: dict[str, list[str]], key: str, *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        errors.setdefault(key, []).append(f"请填写{label}。")
    elif len(value) > TEXT_LIMIT:
        errors.setdefault(key, []).append(f"{label}不能超过{TEXT_LIMIT}字。")
    return value


def _raise(what: str, errors: dict[str, list[str]], article: str) -> None:
    if errors:
        first = next(iter(errors.values()))[0]
        raise ServiceError(f"{what}：{first}", fields=errors, article=article)


def report_due(confirmed_on: dt.date, policy: Policy) -> dt.date:
    """A23.1: the last day of the written report: the policy's 30 days after the confirmation
    date (calendar days; a report on that day is on time, the next day late)."""
    return confirmed_on + dt.timedelta(days=policy.report_deadline_days)


def duty_ends(award: AwardRecord, policy: Policy | None = None) -> dt.date:
    """The last day of the winner's duty to report (A23.1: the policy's 3 years after the
    announcement; `standing.duty_ends`), under the policy the award was won under."""
    return standing.duty_ends(award.announced_on, policy or policy_for(award))


def holds(actor: User, award: AwardRecord) -> bool:
    """The actor speaks for the winner: a contact of the organization, or the individual."""
    if award.individual_id is not None:
        return award.individual is not None and award.individual.user_id == actor.pk
    return RoleAssignment.objects.filter(
        user=actor, role=Role.APPLICANT, organization=award.organization
    ).exists()


# --- violation cases (A23.1, A23.2) ------------------------------------------------------------


def report_violation(
    *,
    actor: User,
    award: AwardRecord,
    what_happened: str,
    confirmed_on: dt.date,
    evidence: str = "",
) -> Case:
    """The winner reports, in writing, a violation confirmed on `confirmed_on` (A23.1). The report
    is due within the policy's 30 days; a later one is accepted and flagged late. Side effect:
    `supervision.report.file`."""
    if not holds(actor, award):
        raise PermissionDenied()
    errors: dict[str, list[str]] = {}
    what_happened = _text(what_happened, "违规情况", errors, "what_happened", required=True)
    evidence = _text(evidence, "证据材料", errors, "evidence", required=False)
    if confirmed_on > today():
        errors.setdefault("confirmed_on", []).append("确认日期不能晚于今天。")
    if award.revoked_on is not None:
        errors.setdefault("award", []).append("该奖项已撤销。")
    _raise("报告未提交", errors, "A23.1")
    due = report_due(confirmed_on, policy_for(award))
    with transaction.atomic():
        case = Case.objects.create(
            award=award,
            source=Case.Source.WINNER,
            what_happened=what_happened,
            confirmed_on=confirmed_on,
            report_due_on=due,
            reported_on=today(),
            late=today() > due,
            evidence=evidence,
            opened_by=actor,
            opened_at=now(),
        )
        record(
            actor=actor,
            role=Role.INDIVIDUAL if award.individual_id else Role.APPLICANT,
            action="supervision.report.file",
            obj=case,
            after={"confirmed_on": confirmed_on, "due": due, "late": case.late},
        )
    return case


def open_case(
    *,
    actor: User,
    award: AwardRecord,
    source: str,
    what_happened: str,
    confirmed_on: dt.date | None = None,
    evidence: str = "",
) -> Case:
    """The Office opens a case itself (a spot check, a complaint, the news). When the
    violation's confirmation date is known the case carries the winner's deadline; whether the
    winner failed to report is read on any day from `selectors.report_duty` (A23.1), never
    stored. Side effect:
    `supervision.case.open`."""
    _require(actor)
    errors: dict[str, list[str]] = {}
    if source not in Case.Source.values or source == Case.Source.WINNER:
        errors.setdefault("source", []).append("请选择案件来源。")
    what_happened = _text(what_happened, "违规情况", errors, "what_happened", required=True)
    evidence = _text(evidence, "证据材料", errors, "evidence", required=False)
    if confirmed_on is not None and confirmed_on > today():
        errors.setdefault("confirmed_on", []).append("确认日期不能晚于今天。")
    _raise("案件未登记", errors, "A23.2")
    due = report_due(confirmed_on, policy_for(award)) if confirmed_on else None
    with transaction.atomic():
        case = Case.objects.create(
            award=award,
            source=source,
            what_happened=what_happened,
            confirmed_on=confirmed_on,
            report_due_on=due,
            evidence=evidence,
            opened_by=actor,
            opened_at=now(),
        )
        duty = report_duty(case)
        record(
            actor=actor,
            role=Role.OFFICE,
            action="supervision.case.open",
            obj=case,
            after={"source": source, "due": due, "report_duty": duty.state},
        )
    return case


def report_to_committee(*, actor: User, case: Case, findings: str) -> Case:
    """The Office's findings, reported to the committee (A23.2): the workflow table's `report`
    (the Office; an open case). Side effects: open -> reported with the findings (`TABLE.move`,
    conditional), `supervision.case.report`."""
    TABLE.require(case, "report", actor)
    errors: dict[str, list[str]] = {}
    findings = _text(findings, "核查情况", errors, "findings", required=True)
    _raise("未报委员会", errors, "A23.2")
    with transaction.atomic():
        TABLE.move(case, "report", findings=findings, reported_at=now())
        record(actor=actor, role=Role.OFFICE, action="supervision.case.report", obj=case)
    return case


def outcome_refusals(case: Case) -> dict[str, str]:
    """The committee's outcomes that cannot be recorded on `case`, each with why: revocation
    when the title is already revoked (by an earlier case or a sanction for fraud). The
    decision form offers only the others and says why; `decide_case` refuses the same (409)."""
    refused: dict[str, str] = {}
    revoked_on = case.award.revoked_on
    if revoked_on is not None:
        refused[Case.Outcome.REVOCATION] = (
            f"称号已于{revoked_on:%Y年%-m月%-d日}撤销，不能再次撤销（《办法》第二十三条）。"
        )
    return refused


def decide_case(
    *, actor: User, case: Case, outcome: str, decided_on: dt.date, decision_ref: str
) -> Case:
    """The committee's decision on a case, as the Office records it (A23.2): no action, a
    warning, or revocation of the title (the award and certificate revoked, the bonus recovered,
    a public announcement). The workflow table's `decide` (the Office; a case reported to the
    committee). Side effects: reported -> decided (`TABLE.move`, conditional: decided once),
    the revocation when decided so, `supervision.case.decide`."""
    TABLE.require(case, "decide", actor)
    errors: dict[str, list[str]] = {}
    decision_ref = _text(
        decision_ref, "委员会决定或政府文号", errors, "decision_ref", required=True
    )
    if outcome not in Case.Outcome.values:
        errors.setdefault("outcome", []).append("请选择处理决定。")
    if decided_on > today():
        errors.setdefault("decided_on", []).append("决定日期不能晚于今天。")
    _raise("决定未记录", errors, "A23.2")
    refusal = outcome_refusals(case).get(outcome)
    if refusal:
        raise StateConflict(f"不能{Case.Outcome(outcome).label}：{refusal}")
    with transaction.atomic():
        TABLE.move(
            case, "decide", outcome=outcome, decided_on=decided_on, decision_ref=decision_ref[:200]
        )
        if outcome == Case.Outcome.REVOCATION:
            revoke_award(
                actor=actor,
                award=case.award,
                on=decided_on,
                reason=f"{case.what_happened[:150]}（{decision_ref}）",
                article="A23.2",
            )
        record(
            actor=actor,
            role=Role.OFFICE,
            action="supervision.case.decide",
            obj=case,
            after={"outcome": outcome, "decided_on": decided_on, "decision_ref": decision_ref},
        )
    return case


def revoke_award(
    *, actor: User, award: AwardRecord, on: dt.date, reason: str, article: str
) -> AwardRecord:
    """Revoke a title (A23.2, A29.1), inside the caller's transaction: the award and its
    certificate are marked (the verification page shows the date and the reason), the bonus
    paid and not yet recovered is recorded as recovered, the application becomes 奖项已撤销,
    and the revocation is announced publicly. Side effect: `supervision.award.revoke`."""
    locked = AwardRecord.objects.select_for_update().get(pk=award.pk)
    if locked.revoked_on is not None:
        raise StateConflict("该奖项已撤销。")
    locked.revoked_on = on
    locked.save(update_fields=["revoked_on"])
    Certificate.objects.filter(award=locked).update(revoked_reason=reason)
    balance = ledger_balance(locked)
    owed = balance["paid"] - balance["recovered"]
    recovery = None
    if owed > 0:
        recovery = BonusEntry.objects.create(
            award=locked,
            kind=BonusEntry.Kind.RECOVERY,
            amount=owed,
            on=on,
            note=f"撤销称号，追回奖金（《办法》{cite(article)}）",
            recorded_by=actor,
            recorded_at=now(),
        )
    if locked.application is not None:
        transition(locked.application, "revoke")
    program = locked.application.cycle.program if locked.application else default_program()
    # The title as it was awarded (RecordedHolder), with the name now if it changed since.
    holder = locked.holder_name + (f"（现名称：{locked.renamed_to}）" if locked.renamed_to else "")
    if program is not None:
        Announcement.objects.create(
            program=program,
            cycle=locked.application.cycle if locked.application else None,
            kind=Announcement.Kind.RESULT,
            title=f"关于撤销{holder}{locked.year}年度{locked.get_level_display()}称号的公告",
            body=(
                f"经{program.committee_name}审议，{holder}{locked.year}年度{locked.get_level_display()}称号自"
                f"{on:%Y年%-m月%-d日}起撤销，收回奖牌、证书，追回奖金。事由：{reason}"
            ),
            published_at=now(),
            published_by=actor,
        )
    record(
        actor=actor,
        role=Role.OFFICE,
        action="supervision.award.revoke",
        obj=locked,
        after={
            "on": on,
            "recovered": max(owed, 0),
            "recovery_entry": recovery.pk if recovery else None,
            "article": article,
        },
        reason=reason,
    )
    return locked


# --- fraud (A29.1, A13.4) ----------------------------------------------------------------------


def sanction_fraud(
    *,
    actor: User,
    application: Application,
    kinds: Sequence[str],
    reason: str,
    decided_on: dt.date,
    decision_ref: str,
) -> list[Sanction]:
    """The committee's sanctions for fraud in an application (A29.1), as the Office records them,
    each citing its article: a warning; the application revoked (已撤销申报资格); the award revoked
    with plaque, certificate and bonus recovered; an entry in credit management, published; a ban
    for the policy's 3 years that the eligibility rules enforce (A13.4). Side effect:
    `supervision.sanction.record` per sanction."""
    _require(actor)
    errors: dict[str, list[str]] = {}
    reason = _text(reason, "事由", errors, "reason", required=True)
    decision_ref = _text(decision_ref, "委员会决定", errors, "decision_ref", required=True)
    chosen = list(dict.fromkeys(kinds))
    if not chosen or any(k not in Sanction.Kind.values for k in chosen):
        errors.setdefault("kinds", []).append("请选择处理方式。")
    if decided_on > today():
        errors.setdefault("decided_on", []).append("决定日期不能晚于今天。")
    award = getattr(application, "award", None)
    if Sanction.Kind.AWARD_REVOKED in chosen and award is None:
        errors.setdefault("kinds", []).append("该申报未获奖，无奖项可撤销。")
    if Sanction.Kind.BAN in chosen and application.kind != Kind.ORGANIZATION:
        errors.setdefault("kinds", []).append("禁止申报适用于申报组织。")
    _raise("处理未记录", errors, "A29.1")
    policy = application.cycle.policy
    made = []
    with transaction.atomic():
        for kind in chosen:
            ban = None
            public_until = None
            if kind == Sanction.Kind.APPLICATION_REVOKED:
                transition(application, "disqualify")
            elif kind == Sanction.Kind.AWARD_REVOKED and award is not None:
                revoke_award(
                    actor=actor,
                    award=award,
                    on=decided_on,
                    reason=f"弄虚作假：{reason[:150]}（{decision_ref}）",
                    article="A29.1",
                )
            elif kind == Sanction.Kind.BAN:
                assert application.organization is not None
                ban = record_ban(
                    actor=actor,
                    organization=application.organization,
                    starts_on=decided_on,
                    reason=reason,
                    decision_ref=decision_ref,
                    policy=policy,
                )
                public_until = ban.ends_on
            elif kind == Sanction.Kind.CREDIT:
                public_until = standing.credit_list_ends(decided_on, policy)
            sanction, created = Sanction.objects.get_or_create(
                application=application,
                kind=kind,
                defaults={
                    "article": "A29.1",  # every sanction for fraud rests on article 29
                    "reason": reason,
                    "decided_on": decided_on,
                    "decision_ref": decision_ref[:200],
                    "ban": ban,
                    "public_until": public_until,
                    "recorded_by": actor,
                    "recorded_at": now(),
                },
            )
            if not created:
                raise StateConflict(f"已记录过“{sanction.get_kind_display()}”。")
            record(
                actor=actor,
                role=Role.OFFICE,
                action="supervision.sanction.record",
                obj=application,
                after={"kind": kind, "article": sanction.article, "decided_on": decided_on},
                reason=reason,
            )
            made.append(sanction)
    return made


def credit_list(on: dt.date | None = None) -> list[Sanction]:
    """The public list of credit-management entries still published on `on` (A29.1)."""
    day = on or today()
    return list(
        # The current program's list (decision 0030: each program publishes its own).
        Sanction.objects.filter(
            kind=Sanction.Kind.CREDIT,
            public_until__gte=day,
            application__cycle__in=tenant_cycles(),
        )
        .select_related(
            "application__organization", "application__individual", "application__cycle"
        )
        .order_by("-decided_on")
    )


# --- reminders (A23.1) -------------------------------------------------------------------------


def winners_to_remind(on: dt.date | None = None) -> list[tuple[AwardRecord, list[User]]]:
    """Every award still inside its duty to report (A23.1, `duty_ends`), with the people who
    speak for the winner (the organization's contacts, or the individual)."""
    day = on or today()
    awards = AwardRecord.objects.filter(revoked_on__isnull=True).select_related(
        "organization", "individual__user", "application__cycle__policy"
    )
    result = []
    for award in awards:
        if not award.announced_on <= day <= duty_ends(award):
            continue
        if award.individual is not None:
            people = [award.individual.user]
        else:
            people = [
                g.user
                for g in RoleAssignment.objects.filter(
                    role=Role.APPLICANT, organization=award.organization
                ).select_related("user")
            ]
        result.append((award, [p for p in people if p is not None]))
    return result


def reminder_text(award: AwardRecord, policy: Policy) -> tuple[str, str]:
    subject = "市长质量奖获奖者报告义务提醒"
    years = chinese_number(policy.report_duty_years)
    body = (
        f"贵方获得{award.year}年度{award.get_level_display()}。依据《{policy.title}》"
        f"第二十三条，获奖后{years}年内（至{duty_ends(award, policy):%Y年%-m月%-d日}）"
        "如发生第十三条所列情形、"
        f"违法行为或其他重大违规，应当自确认之日起{policy.report_deadline_days}日内"
        "向委员会办公室书面报告；未报告的，委员会可以提请撤销称号。"
    )
    return subject, body


def send_reminders(on: dt.date | None = None) -> int:
    """Inbox and e-mail reminders of the duty to report (A23.1) to every winner inside its three
    years; returns how many people were reminded. Run from cron (`remind_winners`)."""
    from accounts.services import notify

    count = 0
    with transaction.atomic():
        for award, people in winners_to_remind(on):
            subject, body = reminder_text(award, policy_for(award))
            link = f"/applications/{award.application.public_id}/" if award.application else ""
            notify(users=people, subject=subject, body=body, url=link)
            count += len(people)
    return count


# The supervision notes (A27.1), appended with the discipline supervisors' workspace.
from typing import TYPE_CHECKING  # noqa: E402

from accounts.rules import is_supervisor  # noqa: E402

from .models import Note  # noqa: E402

if TYPE_CHECKING:
    from experts.models import Expert
    from programs.models import Cycle


def add_note(
    *,
    actor: User,
    text: str,
    cycle: Cycle | None = None,
    application: Application | None = None,
    expert: Expert | None = None,
) -> Note:
    """File a supervision note (A27.1): discipline supervisors and the Office; a note is never
    edited or deleted afterwards. An application or expert note may name the cycle it is about;
    an application note takes its application's cycle when none is given."""
    _require(actor, "supervision.view")
    errors: dict[str, list[str]] = {}
    text = _text(text, "记录内容", errors, "text", required=True)
    if application is not None and cycle is not None and application.cycle_id != cycle.pk:
        errors.setdefault("application", []).append("所选申报不属于所选年度。")
    _raise("无法保存监督记录", errors, "A27.1")
    if application is not None and cycle is None:
        cycle = application.cycle
    with transaction.atomic():
        note = Note.objects.create(
            author=actor,
            cycle=cycle,
            application=application,
            expert=expert,
            text=text,
            created_at=now(),
        )
        record(
            actor=actor,
            role=Role.SUPERVISOR if is_supervisor(actor) else Role.OFFICE,
            action="supervision.note.add",
            obj=note,
            after={"text": text},
        )
    return note
