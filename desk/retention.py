"""Personal data of applicants who won nothing, erased after the Policy's period (issue 15 part 7;
个人信息保护法 第十九条 and 第四十七条: kept no longer than the purpose needs, then deleted).

Who is purged (`candidates`), each a *subject*:

- an **individual applicant** (accounts.Individual with its account): every application of theirs
  is in a cycle closed (status 已结束) more than `Policy.personal_data_retention_years` ago
  (counted from the cycle's last stage's end), or they registered that long ago and never
  applied (the period of the Measures in force of their recommending unit's program, issue 18;
  a program holding no Measures erases nobody this way); and they hold no award record (an
  award keeps its holder identifiable: the report duty, revocation and the credit list, A23.1,
  A29.1; a case or sanction hangs on an award);
- an **organization's contact** (a user whose only roles are 申报组织联系人 for organizations that
  all qualify the same way: every application closed beyond the period, no award);
- an **objector** (decision.Objection): the objection is decided (not 核查中) and its cycle closed
  beyond the period.

What is erased (`purge`): names become "已删除"; the 身份证 number a unique placeholder
("已删除" and a serial, never a valid number); phones and emails emptied; the account
deactivated, renamed ``deleted-<id>`` and its password made unusable; the contact person of the
application forms (draft and submitted versions) and the registration frozen with each version.
Kept: the organizations (not personal data), the applications, scores, decisions and counts,
so the years' statistics and the audit trail still add up. The audit trail itself is append-only
and keeps what it recorded (phones masked there already); it is exported and kept by its own rule
(audit archives, 网络安全法 第二十一条).

Each subject is purged in its own transaction with an ``accounts.personal_data.purge`` event
naming the fields erased and the period (reason: 保存期限届满, 个人信息保护法第四十七条).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.db.models import Max

from accounts.models import Individual, Role, RoleAssignment, User
from audit.services import record
from decision.models import Objection
from intake.models import Application, ApplicationVersion, AwardRecord
from intake.standing import after_full_years
from programs.models import Cycle, CycleStage, Policy

ERASED = "已删除"
REASON = "保存期限届满（个人信息保护法第四十七条）"
ACTION = "accounts.personal_data.purge"
_PERSON_KEYS = ("name", "id_number")  # the registration frozen with an individual's version
_FORM_KEYS = ("contact_name", "contact_phone")  # the application form's contact person


@dataclass
class Subject:
    kind: str  # "individual" | "contact" | "objector"
    obj: models.Model
    label: str  # what the dry run prints (already masked)
    closed_on: dt.date | None  # the end of the cycle the period counts from
    years: int
    applications: list[Application] = field(default_factory=list)


def _closed_on(cycles: Iterable[Cycle]) -> dict[int, dt.date]:
    """Each closed cycle's end (its last stage's end date)."""
    ids = [c.pk for c in cycles if c.status == Cycle.Status.CLOSED]
    ends = (
        CycleStage.objects.filter(cycle_id__in=ids)
        .values("cycle_id")
        .annotate(end=Max("ends_on"))
        .values_list("cycle_id", "end")
    )
    return dict(ends)


def _expired(
    applications: list[Application], today: dt.date, ends: dict[int, dt.date]
) -> dt.date | None:
    """The latest closing of the applications' cycles when every one closed beyond its
    Policy's period, else None."""
    latest: dt.date | None = None
    for application in applications:
        end = ends.get(application.cycle_id)
        years = application.cycle.policy.personal_data_retention_years
        if end is None or after_full_years(end, years) > today:
            return None
        latest = end if latest is None or end > latest else latest
    return latest


def _years_by_program(today: dt.date) -> dict[int, int]:
    """Each program's period for whoever registered and never applied: that of its Measures in
    force `today` (the earliest version it holds, for a day before all of them), by program
    id. A person's program is their recommending unit's (decision 0030)."""
    years: dict[int, int] = {}
    for program_id, effective_on, period in Policy.objects.order_by(
        "program_id", "effective_on"
    ).values_list("program_id", "effective_on", "personal_data_retention_years"):
        if program_id not in years or effective_on <= today:
            years[program_id] = period
    return years


def _mask(name: str) -> str:
    return (name[:1] + "*" * max(len(name) - 1, 1)) if name else "（无姓名）"


def candidates(today: dt.date) -> Iterator[Subject]:
    """Every subject whose personal data is due for erasure on `today`, none twice."""
    applications = list(
        Application.objects.select_related("cycle__policy").order_by("cycle__year", "pk")
    )
    ends = _closed_on({a.cycle for a in applications})
    by_individual: dict[int, list[Application]] = {}
    by_organization: dict[int, list[Application]] = {}
    for application in applications:
        if application.individual_id is not None:
            by_individual.setdefault(application.individual_id, []).append(application)
        if application.organization_id is not None:
            by_organization.setdefault(application.organization_id, []).append(application)
    awarded_people = set(
        AwardRecord.objects.filter(individual__isnull=False).values_list("individual_id", flat=True)
    )
    awarded_orgs = set(
        AwardRecord.objects.filter(organization__isnull=False).values_list(
            "organization_id", flat=True
        )
    )
    never_applied_years = _years_by_program(today)

    for person in (
        Individual.objects.select_related("user", "recommending_unit")
        .exclude(name=ERASED)
        .order_by("pk")
    ):
        if person.pk in awarded_people or _has_staff_role(person.user):
            continue
        own = by_individual.get(person.pk, [])
        if own:
            closed_on = _expired(own, today, ends)
            if closed_on is None:
                continue
            years = own[-1].cycle.policy.personal_data_retention_years
        else:  # registered, never applied: the period of their unit's program
            period = never_applied_years.get(person.recommending_unit.program_id)
            registered = person.created_at.date()
            if period is None or after_full_years(registered, period) > today:
                continue
            closed_on, years = None, period
        yield Subject(
            "individual", person, f"个人申报人 {_mask(person.name)}", closed_on, years, own
        )

    eligible_orgs: dict[int, dt.date] = {}
    for org_id, own in by_organization.items():
        if org_id in awarded_orgs:
            continue
        closed_on = _expired(own, today, ends)
        if closed_on is not None:
            eligible_orgs[org_id] = closed_on
    contacts: dict[int, set[int | None]] = {}
    for user_id, org_id in RoleAssignment.objects.filter(role=Role.APPLICANT).values_list(
        "user_id", "organization_id"
    ):
        contacts.setdefault(user_id, set()).add(org_id)
    for user in User.objects.filter(pk__in=contacts, is_active=True).order_by("pk"):
        orgs = contacts[user.pk]
        if _has_staff_role(user) or hasattr(user, "individual"):
            continue
        if not orgs or not all(org in eligible_orgs for org in orgs):
            continue
        closed_on = max(eligible_orgs[org] for org in orgs if org is not None)
        own = [a for org in orgs if org is not None for a in by_organization[org]]
        years = own[-1].cycle.policy.personal_data_retention_years
        shown = _mask(user.full_name or user.username)
        yield Subject("contact", user, f"申报组织联系人 {shown}", closed_on, years, own)

    objections = (
        Objection.objects.select_related("proposal__cycle__policy")
        .exclude(outcome=Objection.Outcome.OPEN)
        .order_by("pk")
    )
    objection_ends = _closed_on({o.proposal.cycle for o in objections})
    for objection in objections:
        if objection.name == ERASED:
            continue
        cycle = objection.proposal.cycle
        end = objection_ends.get(cycle.pk)
        years = cycle.policy.personal_data_retention_years
        if end is None or after_full_years(end, years) > today:
            continue
        label = f"异议人 {_mask(objection.name)}（回执 {objection.receipt}）"
        yield Subject("objector", objection, label, end, years)


def _has_staff_role(user: User) -> bool:
    return (
        RoleAssignment.objects.filter(user=user)
        .exclude(role__in=(Role.APPLICANT, Role.INDIVIDUAL))
        .exists()
    )


def _scrub(values: dict[str, Any], keys: Iterable[str]) -> bool:
    changed = False
    for key in keys:
        if values.get(key) not in (None, "", ERASED):
            values[key] = ERASED
            changed = True
    return changed


def _forms(applications: Iterable[Application], *, person: bool) -> list[str]:
    """Erase the contact person of the forms (and, for a person, the frozen registration)."""
    erased: set[str] = set()
    for application in applications:
        if isinstance(application.data, dict) and _scrub(application.data, _FORM_KEYS):
            # update(): the form of a closed application is not edited through the workflow.
            Application.objects.filter(pk=application.pk).update(data=application.data)
            erased.add("申报表联系人")
        for version in ApplicationVersion.objects.filter(application=application):
            data_changed = isinstance(version.data, dict) and _scrub(version.data, _FORM_KEYS)
            facts_changed = person and _scrub(version.applicant, _PERSON_KEYS)
            if data_changed or facts_changed:
                ApplicationVersion.objects.filter(pk=version.pk).update(
                    data=version.data, applicant=version.applicant
                )
                erased.add("申报版本中的联系人和登记信息")
    return sorted(erased)


def _account(user: User) -> list[str]:
    user.full_name = ERASED
    user.first_name = user.last_name = ""
    user.email = ""
    user.phone = ""
    user.username = f"deleted-{user.pk}"
    user.is_active = False
    user.set_unusable_password()
    user.save()
    return ["账户姓名", "用户名", "邮箱", "手机号码"]


def purge(subject: Subject, *, today: dt.date) -> list[str]:
    """Erase one subject's personal data and record it; returns the fields erased."""
    with transaction.atomic():
        target: models.Model
        if subject.kind == "individual":
            person = Individual.objects.select_for_update().get(pk=subject.obj.pk)
            person.name = ERASED
            person.id_number = f"{ERASED}{person.pk:012d}"
            person.save()
            erased = ["姓名", "身份证号码", *_account(person.user)]
            erased += _forms(subject.applications, person=True)
            target = person
        elif subject.kind == "contact":
            user = User.objects.select_for_update().get(pk=subject.obj.pk)
            erased = _account(user) + _forms(subject.applications, person=False)
            target = user
        else:
            objection = Objection.objects.select_for_update().get(pk=subject.obj.pk)
            objection.name = objection.identity = objection.contact = ERASED
            objection.save()
            erased = ["异议人姓名", "身份或单位", "联系方式"]
            target = objection
        # The erased row, so the event's object names nobody.
        record(
            actor=None,
            role="system",
            action=ACTION,
            obj=target,
            after={
                "retention_years": subject.years,
                "cycle_closed_on": subject.closed_on,
                "erased": erased,
            },
            reason=REASON,
        )
    return erased
