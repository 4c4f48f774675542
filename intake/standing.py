"""The applicant's standing: the awards it holds and the bans on it, and everything the Measures
derive from them, from the policy's numbers only. The one home of:

- when a past winner may apply again (A24.1: an organization that won the 市长质量奖 waits the
  policy's 3 full years; a 提名奖 winner need not, unless the policy's `nomination_waits`);
- whether a winner is a re-winner (A24.1: it won the 市长质量奖 before; it takes no quota
  place and gets no bonus);
- the bonus due (A21.1: 200,000 / 100,000 yuan for a *first* 市长质量奖 or 提名奖, so a first
  市长质量奖 after a 提名奖 pays, a repeated 提名奖 does not; individuals the policy's 0);
- the last day of a ban (A29.1), of a published credit entry (A29.1) and of a winner's duty to
  report (A23.1).

Also the Office's two actions that enter standing by hand (awards won before this system and the
committee's bans); the decision and supervision stages write their own rows and call these
functions for every date and amount.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

from django.db import transaction
from django.db.models import Exists, Q, QuerySet

from accounts.models import Organization, Role, User
from audit.services import record
from lib import tenancy
from lib.errors import PermissionDenied, ServiceError, StateConflict
from programs.context import current_program_or_none
from programs.models import AwardProgram, Policy

from .models import AwardRecord, Ban, Kind

if TYPE_CHECKING:
    from .models import Application

AWARD, NOMINATION = AwardRecord.Level.AWARD.value, AwardRecord.Level.NOMINATION.value


class Held(Protocol):
    """An award as standing reads it: an `AwardRecord` or `eligibility.HeldAward`."""

    @property
    def year(self) -> int: ...

    @property
    def level(self) -> str: ...

    @property
    def announced_on(self) -> dt.date: ...


# --- dates (A23.1, A24.1, A29.1) ----------------------------------------------------------------


def after_full_years(day: dt.date, years: int) -> dt.date:
    """The first day on which `years` full years have passed since `day` (counted from `day`
    itself): the same date `years` later. From 29 February the period's last day is 28 February,
    the month's end (《民法典》第二百零二条: no corresponding day, the month's last day), so the
    first day after it is 1 March."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return dt.date(day.year + years, 3, 1)


def waits(level: str, policy: Policy) -> bool:
    """Whether an award of `level` makes the organization wait before applying again: the
    市长质量奖 always (A24.1); the 提名奖 only under the stricter local practice."""
    return level == AWARD or (level == NOMINATION and policy.nomination_waits)


def reapply_from(award: Held, policy: Policy) -> dt.date:
    """The first application date on which the holder of `award` may apply again (A24.1): the
    policy's 3 full years after the announcement, or the announcement itself for an award that
    makes nobody wait."""
    if not waits(award.level, policy):
        return award.announced_on
    return after_full_years(award.announced_on, policy.reapply_gap_years)


def reapply_blocker(awards: Iterable[Held], policy: Policy, on: dt.date) -> Held | None:
    """The award that still keeps the holder from applying on `on` (the one whose wait ends
    last), or None."""
    waiting = [a for a in awards if on < reapply_from(a, policy)]
    return max(waiting, key=lambda a: reapply_from(a, policy), default=None)


def reapply_year(award: Held, policy: Policy, application_day: tuple[int, int]) -> int:
    """The first cycle year whose application date (`application_day` = month, day of the
    cycle's 申报推荐 start) falls on or after `reapply_from` and after the award's own year."""
    since = reapply_from(award, policy)
    year = max(award.year + 1, since.year)
    while _day_in(year, application_day) < since:
        year += 1
    return year


def _day_in(year: int, month_day: tuple[int, int]) -> dt.date:
    # A cycle opened on 29 February reads as 1 March in a common year, as `after_full_years`.
    return after_full_years(dt.date(2000, *month_day), year - 2000)  # 2000: a leap year


def ban_ends(starts_on: dt.date, policy: Policy) -> dt.date:
    """The last day of a ban for fraud (A29.1: "3年内不得参加"), the start day counted."""
    return after_full_years(starts_on, policy.fraud_ban_years) - dt.timedelta(days=1)


def credit_list_ends(decided_on: dt.date, policy: Policy) -> dt.date:
    """The last day a credit-management entry stays on the public list (A29.1)."""
    return after_full_years(decided_on, policy.credit_list_years) - dt.timedelta(days=1)


def duty_ends(announced_on: dt.date, policy: Policy) -> dt.date:
    """The last day of a winner's duty to report violations (A23.1: "获奖后3年内"), counted from
    the announcement."""
    return after_full_years(announced_on, policy.report_duty_years) - dt.timedelta(days=1)


# --- what an award is worth (A5.2, A21.1, A24.1) ------------------------------------------------


def is_rewinner(kind: str, earlier_levels: Iterable[str]) -> bool:
    """A24.1: an organization that already won the 市长质量奖 (not revoked) wins again: it takes
    no quota place and gets no bonus. A 提名奖 before does not make a re-winner, and A24.1
    speaks of organizations only: an individual counts in its quota every time (A5.2)."""
    return kind == Kind.ORGANIZATION and AWARD in set(earlier_levels)


def first_of_level(level: str, earlier_levels: Iterable[str]) -> bool:
    """A21.1 rewards the *first* 市长质量奖 and the *first* 提名奖."""
    return level not in set(earlier_levels)


def bonus_due(policy: Policy, *, kind: str, level: str, earlier_levels: Iterable[str]) -> int:
    """The bonus due for an award of `level` given the holder's earlier (not revoked) awards:
    the policy's amount for a first award of the level (A21.1), nothing for a re-winner
    (A24.1) or a repeated award."""
    earlier = set(earlier_levels)
    if is_rewinner(kind, earlier) or not first_of_level(level, earlier):
        return 0
    if kind == Kind.INDIVIDUAL:
        return policy.bonus_individual_award
    if level == AWARD:
        return policy.bonus_organization_award
    return policy.bonus_organization_nomination


def standing_note(level: str, *, rewinner: bool, first: bool) -> str:
    """One phrase for a winner's row (the ledger): 再次获奖 (A24.1), a repeated award of the same
    level (A21.1: no bonus) or 首次获奖."""
    if rewinner:
        return "再次获奖"
    if not first:
        return f"再次获得{AwardRecord.Level(level).label}"
    return "首次获奖"


def program_awards_q(prefix: str = "") -> Q:
    """The current program's awards (decision 0030): those won in its cycles and, for the
    default program, those entered by hand from before the system (no application, so no
    program of their own). `prefix` reaches the award from another model (`"award__"`). No
    statement of its own (`lib.tenancy.current_q`)."""
    won = tenancy.current_q(f"{prefix}application__cycle__program")
    known = tenancy.known_id()
    by_hand = Q(**{f"{prefix}application__isnull": True})
    if known is None:  # the default program's request
        return won | by_hand
    return won | (by_hand & Q(Exists(AwardProgram.objects.filter(pk=known, is_default=True))))


def awards_of(program: AwardProgram) -> Q:
    """The awards of `program`: won in its cycles and, for the default program, those entered
    by hand (no application). Article 24's wait and re-winner are each award's own: a 如皋 award
    says nothing about 示例市's (decision 0030)."""
    won = Q(application__cycle__program=program)
    return won | Q(application__isnull=True) if program.is_default else won


def earlier_awards(
    *, organization: Any, individual: Any, year: Any, program: AwardProgram | None = None
) -> QuerySet[AwardRecord]:
    """The holder's not revoked awards of `program` (else the current program) from years
    before `year`: what every answer above reads. The holder and year are values or
    `OuterRef`s (for the SQL twins below)."""
    same = Q(organization__isnull=False, organization=organization)
    same |= Q(individual__isnull=False, individual=individual)
    mine = awards_of(program) if program is not None else program_awards_q()
    return AwardRecord.objects.filter(same, mine, revoked_on__isnull=True, year__lt=year)


def earlier_levels(application: Application) -> list[str]:
    """The levels of the holder's earlier awards, for `is_rewinner` and `bonus_due`."""
    return list(
        earlier_awards(
            organization=application.organization_id,
            individual=application.individual_id,
            year=application.cycle.year,
            program=application.cycle.program,
        ).values_list("level", flat=True)
    )


def rewinner_exists(*, organization: Any, year: Any, program: AwardProgram | None = None) -> Exists:
    """`is_rewinner` as SQL, to mark many rows in one query: an earlier 市长质量奖 of the
    organization (an individual's row has no organization, so never)."""
    earlier = earlier_awards(organization=organization, individual=None, year=year, program=program)
    return Exists(earlier.filter(level=AWARD))


def repeated_exists(*, organization: Any, individual: Any, level: Any, year: Any) -> Exists:
    """`not first_of_level` as SQL: an earlier award of the same level."""
    earlier = earlier_awards(organization=organization, individual=individual, year=year)
    return Exists(earlier.filter(level=level))


# --- the policy that applies ---------------------------------------------------------------------


def policy_in_force(on: dt.date) -> Policy:
    """The default program's Measures in force on `on` (the earliest we hold, for a day before
    all of them)."""
    program = current_program_or_none()
    policies = program.policies.all() if program is not None else Policy.objects.none()
    policy = (
        policies.filter(effective_on__lte=on).order_by("-effective_on").first()
        or policies.order_by("effective_on").first()
    )
    if policy is None:
        raise StateConflict("没有适用的管理办法。")
    return policy


def policy_for(award: AwardRecord) -> Policy:
    """The policy an award was won under: its cycle's, or for an award from before this system
    the one in force on its announcement."""
    if award.application is not None:
        return award.application.cycle.policy
    return policy_in_force(award.announced_on)


# --- the Office's entries ------------------------------------------------------------------------


def _require_office(actor: User) -> None:
    if not actor.has_perm("intake.decide_application"):
        raise PermissionDenied()


def record_prior_award(
    *,
    actor: User,
    organization: Organization,
    year: int,
    level: str,
    announced_on: dt.date,
    document_number: str,
) -> AwardRecord:
    """An award won before this system, from the government's announcement (公告文号)."""
    _require_office(actor)
    if level not in AwardRecord.Level.values:
        raise ServiceError("请选择奖项。", fields={"level": ["无效"]})
    if not document_number.strip():
        raise ServiceError("请填写公告文号。", fields={"document_number": ["必填"]})
    if announced_on.year < year:
        raise ServiceError("公告日期不能早于获奖年度。", fields={"announced_on": ["早于获奖年度"]})
    with transaction.atomic():
        award = AwardRecord.objects.create(
            organization=organization,
            # The name it is entered under stays with the record (RecordedHolder).
            recorded_name=organization.name,
            recorded_uscc=organization.uscc,
            year=year,
            level=level,
            announced_on=announced_on,
            document_number=document_number.strip(),
            created_by=actor,
        )
        record(
            actor=actor,
            role=Role.OFFICE,
            action="intake.award_record.add",
            obj=organization,
            after={
                "award": award.pk,
                "year": year,
                "level": level,
                "announced_on": announced_on,
                "document_number": document_number,
            },
        )
    return award


def record_ban(
    *,
    actor: User,
    organization: Organization,
    starts_on: dt.date,
    reason: str,
    decision_ref: str,
    policy: Policy | None = None,
) -> Ban:
    """A committee's ban for fraud (A29.1): no application for the policy's 3 years
    (`ban_ends`), under `policy` or the one in force on `starts_on`. Side effect:
    `intake.ban.add`."""
    _require_office(actor)
    if not reason.strip() or not decision_ref.strip():
        raise ServiceError(
            "请填写事由和委员会决定。", fields={"reason": ["必填"], "decision_ref": ["必填"]}
        )
    ends_on = ban_ends(starts_on, policy or policy_in_force(starts_on))
    with transaction.atomic():
        ban = Ban.objects.create(
            organization=organization,
            starts_on=starts_on,
            ends_on=ends_on,
            reason=reason.strip(),
            decision_ref=decision_ref.strip(),
            created_by=actor,
        )
        record(
            actor=actor,
            role=Role.OFFICE,
            action="intake.ban.add",
            obj=organization,
            after={
                "article": "A29.1",
                "starts_on": starts_on,
                "ends_on": ends_on,
                "decision_ref": decision_ref,
            },
            reason=reason.strip(),
        )
    return ban
