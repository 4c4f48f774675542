"""Self-registration of organizations and individual applicants (A2.1, A14.1).

Moved out of accounts/services.py: `register_organization` and `register_individual` create a
registration and its account.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import record
from lib.errors import ServiceError

from .models import Individual, Organization, RecommendingUnit, Role, User
from .services import create_user, grant_role


def register_organization(
    *,
    uscc_code: str,
    name: str,
    recommending_unit: RecommendingUnit,
    username: str,
    password: str,
    contact_name: str,
    email: str = "",
    phone: str = "",
    registered_address: str = "",
    industry_code: str = "",
    established_on: dt.date | None = None,
    legal_representative: str = "",
    is_construction: bool = False,
    is_industrial: bool = False,
    environmental_rating: str = Organization.EnvironmentalRating.NONE,
    chief_quality_officer: str = "",
) -> tuple[Organization, User]:
    """An organization signs itself up with its first contact (A2.1, self-service).

    Preconditions: a valid 统一社会信用代码 not yet registered (one account per code), a
    territorial recommending unit (its town), a GB/T 4754 division, a valid password. Side
    effects, in one transaction: the organization, the contact's account, the applicant role
    scoped to it, and audit events for each.
    """
    from lib import industries, uscc

    fields: dict[str, list[str]] = {}
    try:
        code = uscc.validate(uscc_code)
    except uscc.InvalidUSCC as exc:
        fields["uscc"] = [str(exc)]
    else:
        if Organization.objects.filter(uscc=code).exists():
            fields["uscc"] = [
                f"统一社会信用代码{code}已注册，每个组织只能注册一个账号；如需增加联系人，请由已注册的联系人联系委员会办公室。"
            ]
    if industry_code and industry_code not in industries.divisions():
        fields["industry_code"] = ["请选择GB/T 4754-2017的行业大类。"]
    if not recommending_unit.active:
        fields["recommending_unit"] = ["该推荐单位已停用。"]
    if established_on and established_on > timezone.localdate():
        fields["established_on"] = ["成立日期不能晚于今天。"]
    if fields:
        raise ServiceError(next(iter(fields.values()))[0], fields=fields)
    try:
        with transaction.atomic():
            org = Organization(
                uscc=code,
                name=name.strip(),
                recommending_unit=recommending_unit,
                registered_address=registered_address.strip(),
                industry_code=industry_code,
                established_on=established_on,
                legal_representative=legal_representative.strip(),
                is_construction=is_construction,
                is_industrial=is_industrial,
                environmental_rating=environmental_rating,
                chief_quality_officer=chief_quality_officer.strip(),
            )
            try:
                org.full_clean()
            except ValidationError as exc:
                raise ServiceError("；".join(exc.messages), fields=exc.message_dict) from exc
            org.save()
            record(
                actor=None,
                role="anonymous",
                action="accounts.organization.register",
                obj=org,
                after={"uscc": code, "name": org.name, "recommending_unit": recommending_unit.pk},
            )
            user = create_user(
                actor=None,
                actor_role="anonymous",
                username=username,
                password=password,
                full_name=contact_name,
                email=email,
                phone=phone,
            )
            grant_role(
                actor=None,
                actor_role="anonymous",
                user=user,
                role=Role.APPLICANT,
                organization=org,
                reason="组织注册",
            )
    except IntegrityError as exc:  # the same code registered by a second click or another person
        raise ServiceError(
            f"统一社会信用代码{code}已注册。", code="duplicate", fields={"uscc": ["已注册"]}
        ) from exc
    return org, user


def register_individual(
    *,
    name: str,
    id_number: str,
    recommending_unit: RecommendingUnit,
    position: str,
    quality_work_years: int,
    employer_name: str,
    username: str,
    password: str,
    email: str = "",
    phone: str = "",
) -> tuple[Individual, User]:
    """A person signs up to apply for the individual award (A5.3, A14.1).

    The 身份证 number is validated (GB 11643 check digit) and unique; it is shown masked to
    everyone but Office staff allowed to see it (`reveal_id_number`). The employer is linked
    when it is a registered organization of that name.
    """
    from lib import idcard

    fields: dict[str, list[str]] = {}
    try:
        number = idcard.validate(id_number)
    except idcard.InvalidIDCard as exc:
        fields["id_number"] = [str(exc)]
    else:
        if Individual.objects.filter(id_number=number).exists():
            fields["id_number"] = ["该身份证号码已注册。"]
    if position not in Individual.Position.values:
        fields["position"] = ["请选择身份。"]
    if not 0 <= quality_work_years <= 70:
        fields["quality_work_years"] = ["年限应在0至70之间。"]
    if fields:
        raise ServiceError(next(iter(fields.values()))[0], fields=fields)
    try:
        with transaction.atomic():
            user = create_user(
                actor=None,
                actor_role="anonymous",
                username=username,
                password=password,
                full_name=name,
                email=email,
                phone=phone,
            )
            person = Individual.objects.create(
                user=user,
                name=name.strip(),
                id_number=number,
                recommending_unit=recommending_unit,
                position=position,
                quality_work_years=quality_work_years,
                employer_name=employer_name.strip(),
                employer=Organization.objects.filter(name=employer_name.strip()).first(),
            )
            record(
                actor=user,
                role="self",
                action="accounts.individual.register",
                obj=person,
                after={"name": person.name, "id_number": idcard.mask(number), "position": position},
            )
            grant_role(
                actor=None,
                actor_role="anonymous",
                user=user,
                role=Role.INDIVIDUAL,
                reason="个人注册",
            )
    except IntegrityError as exc:
        raise ServiceError(
            "该身份证号码已注册。", code="duplicate", fields={"id_number": ["已注册"]}
        ) from exc
    return person, user
