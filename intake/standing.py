"""The applicant's standing, as the eligibility rules of A24.1 and A29.1 read it: the awards it
holds and the bans on it. The Office records them from the government's announcements and the
committee's decisions (the decision and supervision stages will record their own)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from accounts.models import Organization, Role, User
from audit.services import record
from lib.errors import PermissionDenied, ServiceError

from .eligibility import years_before
from .models import AwardRecord, Ban


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
    years: int = 3,
) -> Ban:
    """A committee's ban for fraud (A29.1): no application for `years` (the policy's 3)."""
    _require_office(actor)
    if not reason.strip() or not decision_ref.strip():
        raise ServiceError(
            "请填写事由和委员会决定。", fields={"reason": ["必填"], "decision_ref": ["必填"]}
        )
    ends_on = years_before(starts_on, -years) - dt.timedelta(days=1)
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
