"""Self-registration of organizations and individual applicants (A2.1, A14.1; issue 15 part 5).

Two ways in:

- `register_organization` / `register_individual` create the registration and its account at
  once, refusing a taken 统一社会信用代码, 身份证号码 or username in words. Only the system's
  own callers use them: the demo seed and tests.
- `request_organization` / `request_individual` are the way of the public pages and of the API
  (POST /api/v1/registrations/…, then /registrations/confirm: `confirm_by_username`), built so
  that the answer tells nobody what is registered (OWASP ASVS 5.0 V6.3.2/V6.4; GB/T
  22239-2019 8.1.4.1):

  1. What was typed is checked first, all of it, without looking at what exists: the code's
     check character (GB 32100), the 身份证 number's check digit and birth date (GB 11643), the
     username rule, the phone, the password rules, the model's own checks. These refusals are
     about the text and are shown beside their fields.
  2. Then, whatever exists, the person sees the same page ("我们已向您填写的邮箱发送验证码…")
     with a code field (`Submitted`). If nothing clashes, the registration and an inactive
     account are created (`is_active=False`: the account cannot sign in, by page or API, until
     the code sent to its email is entered: `confirm`), with the privacy consent recorded. If
     the username, the 统一社会信用代码 or the 身份证号码 is already registered, nothing is
     created: the address typed receives an email saying which of them is taken (and what to
     do), the Office (Role.OFFICE) receives "注册冲突" with the kind of clash and the masked
     identifier, and `accounts.registration.clash` is audited. A code typed after a clash never
     matches, with exactly the messages of a wrong code (`_refuse_like_a_wrong_code`).

  What remains observable is only the email, sent to the address typed: learning whether a
  number is registered costs a mailbox per try, is throttled per source address
  (`allowed`: REGISTER_LIMIT per REGISTER_WINDOW_SECONDS) and tells the Office every time.

Anyone can type another person's 身份证号码: the check digit and the birth date are checked,
but whether the number is the registrant's own cannot be (real-name verification needs a
government identity service, 公安部身份核验, that the system does not have). The real owner is
protected by the rest: an account needs a verified email before it can be used, the number is
unique (a second registration with it is a clash that goes to the Office, and the first one
stays visible to the Office with its email), the number is only ever shown masked, and the
individual applies under the Office's review (article 14; the recommending unit checks the
person). The same holds for an organization's code, which the recommending town checks.

The lookups by identity number and by code go through `accounts.selectors`
(`individual_by_id_number`, `organization_by_uscc`), the only places that know how those
columns are stored (the number is encrypted with a blind index).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import record
from lib import throttle
from lib.errors import ServiceError
from lib.fields import masked

from . import codes, selectors
from .jobs import queue_mail
from .models import Individual, OneTimeCode, Organization, RecommendingUnit, Role, User
from .services import create_user, grant_role, notify
from .validators import username_problem

logger = logging.getLogger(__name__)

# Per source address: a person who mistypes retries a few times; 25 in 10 s is a script.
REGISTER_SCOPE = "register"
REGISTER_LIMIT = 5
REGISTER_WINDOW_SECONDS = 600
THROTTLED = "注册过于频繁，请稍后再试。"
# Codes sent again for one registration (each one voids the one before).
RESEND_LIMIT = 3
OFFICE = "如皋市质量发展委员会办公室（设在市市场监督管理局）"
SUBJECT_CLASH = "【如皋市质量奖评审系统】注册未完成"


def sent_message() -> str:
    """The one answer to a registration that passed the form's checks, whatever exists."""
    return f"我们已向您填写的邮箱发送验证码，请在{codes.minutes()}分钟内输入以完成注册"


def allowed(address: str) -> bool:
    """Count one registration attempt from `address`; False once over the limit."""
    return throttle.hit(
        REGISTER_SCOPE,
        address or "unknown",
        limit=REGISTER_LIMIT,
        window_seconds=REGISTER_WINDOW_SECONDS,
    )


@dataclass(frozen=True)
class Consent:
    """What the person agreed to on the form (个人信息保护法 第十四、二十九条)."""

    version: str
    sensitive: bool = False  # the separate consent for the 身份证 number (individuals)


@dataclass(frozen=True)
class Submitted:
    """What the page keeps (in the session) after a registration passed the form's checks:
    the pending account, or None after a clash. Never shown to the person."""

    user_id: int | None
    email: str


# --- checks of what was typed (nothing looked up) -----------------------------------------------


def _fail(fields: dict[str, list[str]]) -> None:
    if fields:
        raise ServiceError(next(iter(fields.values()))[0], fields=fields)


def _merge(fields: dict[str, list[str]], more: dict[str, list[str]]) -> None:
    for name, errors in more.items():
        fields.setdefault(name, []).extend(e for e in errors if e not in fields.get(name, []))


def _user_problems(
    *, username: str, password: str, full_name: str, email: str, phone: str, words: list[str]
) -> dict[str, list[str]]:
    """The account's fields: username rule, phone, password rules, the model's checks (not
    whether the username is free)."""
    from lib import phone as phones

    fields: dict[str, list[str]] = {}
    problem = username_problem(username)
    if problem:
        fields["username"] = [problem]
    if phone:
        try:
            phone = phones.validate_phone(phone)
        except phones.InvalidPhone as exc:
            fields["phone"] = [f"{exc}。"]
    user = User(username=username, full_name=full_name, email=email, phone=phone)
    user._qa_password_words = words  # type: ignore[attr-defined]  # accounts.passwords
    try:
        validate_password(password, user)
    except ValidationError as exc:
        fields.setdefault("password", []).extend(exc.messages)
    try:
        user.full_clean(exclude=["password", *fields], validate_unique=False)
    except ValidationError as exc:
        _merge(fields, exc.message_dict)
    return fields


def _organization_problems(
    *,
    uscc_code: str,
    recommending_unit: RecommendingUnit,
    industry_code: str,
    established_on: dt.date | None,
) -> tuple[str, dict[str, list[str]]]:
    """The code in its written form and what is wrong with the organization's fields."""
    from lib import industries, uscc

    fields: dict[str, list[str]] = {}
    code = ""
    try:
        code = uscc.validate(uscc_code)
    except uscc.InvalidUSCC as exc:
        fields["uscc"] = [str(exc)]
    if industry_code and industry_code not in industries.divisions():
        fields["industry_code"] = ["请选择GB/T 4754-2017的行业大类。"]
    if not recommending_unit.active:
        fields["recommending_unit"] = ["该推荐单位已停用。"]
    if established_on and established_on > timezone.localdate():
        fields["established_on"] = ["成立日期不能晚于今天。"]
    return code, fields


def _individual_problems(
    *, id_number: str, position: str, quality_work_years: int
) -> tuple[str, dict[str, list[str]]]:
    from lib import idcard

    fields: dict[str, list[str]] = {}
    number = ""
    try:
        number = idcard.validate(id_number)
    except idcard.InvalidIDCard as exc:
        fields["id_number"] = [str(exc)]
    if position not in Individual.Position.values:
        fields["position"] = ["请选择身份。"]
    if not 0 <= quality_work_years <= 70:
        fields["quality_work_years"] = ["年限应在0至70之间。"]
    return number, fields


def _model_problems(obj: Any, exclude: list[str]) -> dict[str, list[str]]:
    try:
        obj.full_clean(exclude=exclude, validate_unique=False)
    except ValidationError as exc:
        return dict(exc.message_dict)
    return {}


def _new_organization(code: str, name: str, unit: RecommendingUnit, **rest: Any) -> Organization:
    return Organization(
        uscc=code,
        name=name.strip(),
        recommending_unit=unit,
        registered_address=rest["registered_address"].strip(),
        industry_code=rest["industry_code"],
        established_on=rest["established_on"],
        legal_representative=rest["legal_representative"].strip(),
        is_construction=rest["is_construction"],
        is_industrial=rest["is_industrial"],
        environmental_rating=rest["environmental_rating"],
        chief_quality_officer=rest["chief_quality_officer"].strip(),
    )


def _consent_after(user: User, consent: Consent | None) -> dict[str, Any]:
    if consent is None:
        return {}
    after: dict[str, Any] = {
        "privacy_notice_version": consent.version,
        "privacy_consent_at": user.privacy_consent_at,
    }
    if consent.sensitive:
        after["sensitive_consent"] = True
    return after


def _hold(user: User, *, consent: Consent | None, pending: bool) -> None:
    """Record the consent on the new account and keep it inactive until its email is proved."""
    if consent is None and not pending:
        return
    changes: dict[str, Any] = {}
    if consent is not None:
        changes |= {
            "privacy_notice_version": consent.version,
            "privacy_consent_at": timezone.now(),
        }
    if pending:
        changes["is_active"] = False
    User.objects.filter(pk=user.pk).update(**changes)
    for name, value in changes.items():
        setattr(user, name, value)


# --- registration at once ---------------------------------------------------------------------


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
    consent: Consent | None = None,
    pending: bool = False,
) -> tuple[Organization, User]:
    """An organization signs itself up with its first contact (A2.1, self-service).

    Preconditions: a valid 统一社会信用代码 not yet registered (one account per code), a
    territorial recommending unit (its town), a GB/T 4754 division, a valid password. Side
    effects, in one transaction: the organization, the contact's account (inactive when
    `pending`, the consent recorded when given), the applicant role scoped to it, and audit
    events for each.
    """
    code, fields = _organization_problems(
        uscc_code=uscc_code,
        recommending_unit=recommending_unit,
        industry_code=industry_code,
        established_on=established_on,
    )
    if code and selectors.organization_by_uscc(code) is not None:
        fields["uscc"] = [
            f"统一社会信用代码{code}已注册，每个组织只能注册一个账号；"
            "如需增加联系人，请由已注册的联系人联系委员会办公室。"
        ]
    _fail(fields)
    try:
        with transaction.atomic():
            org = _new_organization(
                code,
                name,
                recommending_unit,
                registered_address=registered_address,
                industry_code=industry_code,
                established_on=established_on,
                legal_representative=legal_representative,
                is_construction=is_construction,
                is_industrial=is_industrial,
                environmental_rating=environmental_rating,
                chief_quality_officer=chief_quality_officer,
            )
            try:
                org.full_clean()
            except ValidationError as exc:
                raise ServiceError("；".join(exc.messages), fields=exc.message_dict) from exc
            org.save()
            user = create_user(
                actor=None,
                actor_role="anonymous",
                username=username,
                password=password,
                full_name=contact_name,
                email=email,
                phone=phone,
            )
            _hold(user, consent=consent, pending=pending)
            record(
                actor=None,
                role="anonymous",
                action="accounts.organization.register",
                obj=org,
                after={
                    "uscc": code,
                    "name": org.name,
                    "recommending_unit": recommending_unit.pk,
                    "username": user.username,
                    **({"pending": True} if pending else {}),
                    **_consent_after(user, consent),
                },
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
    consent: Consent | None = None,
    pending: bool = False,
) -> tuple[Individual, User]:
    """A person signs up to apply for the individual award (A5.3, A14.1).

    The 身份证 number is validated (GB 11643 check digit and birth date) and unique; it is shown
    masked to everyone but Office staff allowed to see it (`reveal_id_number`). The employer is
    linked when it is a registered organization of that name. The account is inactive when
    `pending`; the consent (with the separate one for the number) is recorded when given.
    """
    from lib import idcard

    number, fields = _individual_problems(
        id_number=id_number, position=position, quality_work_years=quality_work_years
    )
    if number and selectors.individual_by_id_number(number) is not None:
        fields["id_number"] = ["该身份证号码已注册。"]
    _fail(fields)
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
            _hold(user, consent=consent, pending=pending)
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
                after={
                    "name": person.name,
                    "id_number": idcard.mask(number),
                    "position": position,
                    **({"pending": True} if pending else {}),
                    **_consent_after(user, consent),
                },
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


# --- registration by the public pages: one answer whatever exists --------------------------------


def _require_consent_and_email(consent: Consent | None, email: str, *, sensitive: bool) -> Consent:
    """The privacy consent (and, for an 身份证 number, the separate one) and an email for the
    code: refused before anything else, whoever calls (the pages' forms check them too)."""
    from . import privacy

    fields: dict[str, list[str]] = {}
    if consent is None or not consent.version:
        fields["privacy_consent"] = [privacy.CONSENT_REQUIRED]
    elif sensitive and not consent.sensitive:
        fields["sensitive_consent"] = [privacy.SENSITIVE_CONSENT_REQUIRED]
    if not (email or "").strip():
        fields["email"] = ["请填写电子邮箱：注册验证码将发到此邮箱。"]
    _fail(fields)
    assert consent is not None  # _fail raised otherwise
    return consent


def request_organization(*, consent: Consent | None, **fields: Any) -> Submitted:
    """The organization page's registration (module docstring). ServiceError only for what
    was typed; a clash answers like a success."""
    consent = _require_consent_and_email(consent, fields.get("email", ""), sensitive=False)
    code, problems = _organization_problems(
        uscc_code=fields["uscc_code"],
        recommending_unit=fields["recommending_unit"],
        industry_code=fields.get("industry_code", ""),
        established_on=fields.get("established_on"),
    )
    rest = {
        k: fields.get(k, default)
        for k, default in (
            ("registered_address", ""),
            ("industry_code", ""),
            ("established_on", None),
            ("legal_representative", ""),
            ("is_construction", False),
            ("is_industrial", False),
            ("environmental_rating", Organization.EnvironmentalRating.NONE),
            ("chief_quality_officer", ""),
        )
    }
    org = _new_organization(code, fields["name"], fields["recommending_unit"], **rest)
    _merge(problems, _model_problems(org, exclude=["uscc", *problems]))
    _merge(
        problems,
        _user_problems(
            username=fields["username"],
            password=fields["password"],
            full_name=fields["contact_name"],
            email=fields["email"],
            phone=fields.get("phone", ""),
            words=[fields["name"]],
        ),
    )
    _fail(problems)
    return _register_unless_taken(
        kind="organization",
        key=("uscc", code, selectors.organization_by_uscc(code)),
        register=register_organization,
        consent=consent,
        fields=fields,
    )


def request_individual(*, consent: Consent | None, **fields: Any) -> Submitted:
    """The individual page's registration (module docstring)."""
    consent = _require_consent_and_email(consent, fields.get("email", ""), sensitive=True)
    number, problems = _individual_problems(
        id_number=fields["id_number"],
        position=fields["position"],
        quality_work_years=fields["quality_work_years"],
    )
    _merge(
        problems,
        _user_problems(
            username=fields["username"],
            password=fields["password"],
            full_name=fields["name"],
            email=fields["email"],
            phone=fields.get("phone", ""),
            words=[fields["name"], fields["employer_name"]],
        ),
    )
    _fail(problems)
    return _register_unless_taken(
        kind="individual",
        key=("id_number", number, selectors.individual_by_id_number(number)),
        register=register_individual,
        consent=consent,
        fields=fields,
    )


def _register_unless_taken(
    *,
    kind: str,
    key: tuple[str, str, Any],
    register: Callable[..., tuple[Any, User]],
    consent: Consent,
    fields: dict[str, Any],
) -> Submitted:
    """Register (pending its e-mail code) unless the identifying `key` (what, value, the holder
    or None) or the username is taken; either way the same answer (module docstring)."""
    what, value, holder = key
    clashes: list[tuple[str, str, Any]] = [key] if holder is not None else []
    clashes += _username_clash(fields["username"])
    if not clashes:
        try:
            _, user = register(consent=consent, pending=True, **fields)
        except ServiceError as exc:
            if exc.code != "duplicate":
                raise
            clashes = [(what, value, None)]  # a registration of the same moment won
        else:
            return _code_sent(user)
    return _clash(
        kind=kind,
        clashes=clashes,
        email=fields["email"],
        password=fields["password"],
        consent=consent,
    )


def _username_clash(username: str) -> list[tuple[str, str, Any]]:
    user = User.objects.filter(username=username).first()
    return [("username", username, user)] if user is not None else []


def _code_sent(user: User) -> Submitted:
    """Send the email code of a new pending account (a mail server that is down is logged:
    the page is the same, and the person can ask for the code again)."""
    try:
        codes.issue_code(
            user=user,
            purpose=OneTimeCode.Purpose.VERIFY_EMAIL,
            channel=OneTimeCode.Channel.EMAIL,
        )
    except ServiceError:
        logger.warning("registration code for user %s not sent", user.pk)
    return Submitted(user_id=user.pk, email=user.email)


CLASH_KINDS = {
    "uscc": "统一社会信用代码",
    "id_number": "身份证号码",
    "username": "用户名",
}


def _masked(kind: str, value: str) -> str:
    from lib import masking

    return masking.mask(value) if kind == "id_number" else value


def _clash_email(kind: str, clashes: list[tuple[str, str, Any]]) -> str:
    """What the address typed is told: which of what it typed is taken, and what to do."""
    lines = [
        "您好：",
        "",
        "有人（可能是您本人）使用本邮箱在如皋市市长质量奖评审系统提交了注册，注册未能完成：",
    ]
    for what, value, _ in clashes:
        shown = _masked(what, value)
        if what == "uscc":
            lines.append(
                f"· 统一社会信用代码{shown}已经注册过。每个组织只能注册一个账号：如果贵单位已有"
                "账号，请由已注册的联系人登录后在“组织信息”中增加联系人，或使用“忘记密码”找回。"
            )
        elif what == "id_number":
            lines.append(
                f"· 身份证号码{shown}已经注册过。如果您曾经注册，请直接登录或使用“忘记密码”；"
                "如果您从未注册，可能有人使用了您的身份证号码，委员会办公室已收到通知，请与办公室联系。"
            )
        else:
            lines.append(f"· 用户名“{shown}”已被使用，请另选一个用户名重新注册。")
    lines += [
        "",
        "本次注册没有创建任何账号，注册页面上的验证码无需再填写。",
        f"如需帮助，请联系{OFFICE}。如果这不是您本人的操作，请忽略本邮件。",
        "",
        settings.SITE_URL,
    ]
    return "\n".join(lines)


def _clash(
    *,
    kind: str,
    clashes: list[tuple[str, str, Any]],
    email: str,
    password: str,
    consent: Consent,
) -> Submitted:
    """Nothing created: the person's email, the Office's message, the audit event."""
    make_password(password)  # the work a real registration does (hashing): the same time
    labels = "、".join(CLASH_KINDS[what] for what, _, _ in clashes)
    identifiers = "；".join(f"{CLASH_KINDS[w]}{_masked(w, v)}" for w, v, _ in clashes)
    existing = next((obj for _, _, obj in clashes if obj is not None), None)
    holder = existing if isinstance(existing, User) else getattr(existing, "user", None)
    pending = isinstance(holder, User) and not holder.is_active and not holder.email_verified_at
    what = "组织注册" if kind == "organization" else "个人注册"
    body = (
        f"有人提交{what}时，所填{labels}与已注册的账号冲突：{identifiers}。"
        f"系统未创建任何账号，已向注册时填写的邮箱{email}发送说明。"
        + ("已注册的账号尚未完成邮箱验证（可能是一次未完成的注册）。" if pending else "")
        + "如有人冒用他人的统一社会信用代码或身份证号码，请核实处理。"
    )
    with transaction.atomic():
        record(
            actor=None,
            role="anonymous",
            action="accounts.registration.clash",
            obj=existing if isinstance(existing, Organization | Individual | User) else None,
            after={
                "kind": kind,
                "clash": [w for w, _, _ in clashes],
                "identifier": identifiers,
                "email": masked(email, kind="email"),  # emails are encrypted at rest
                "privacy_notice_version": consent.version,
            },
        )
        notify(users=selectors.users_with_role(Role.OFFICE), subject="注册冲突", body=body)
        # A background job (accounts/jobs.py): sent after the commit, retried if need be.
        queue_mail(SUBJECT_CLASH, _clash_email(kind, clashes), [email], label="邮件：注册冲突说明")
    return Submitted(user_id=None, email=email)


# --- the code -----------------------------------------------------------------------------------


def _pending_user(user_id: int | None) -> User | None:
    if user_id is None:
        return None
    return User.objects.filter(pk=user_id, is_active=False, email_verified_at__isnull=True).first()


def confirm(*, state: dict[str, Any], code: str) -> User:
    """Enter the code of a registration (`state`: the page's session record, updated in
    place). Activates the account, records the verified email and `accounts.registration.
    confirm`; refuses (ServiceError, the messages of `accounts.codes.check_code`) a wrong,
    expired or voided code, and every code after a clash."""
    user = _pending_user(state.get("user"))
    if user is None:
        _refuse_like_a_wrong_code(state, code)
    codes.check_code(user=user, purpose=OneTimeCode.Purpose.VERIFY_EMAIL, code=code)
    return _activate(user)


def confirm_by_username(*, username: str, code: str) -> User:
    """The API's `confirm`: no session, so the registration is named by its username. A name
    that is not a pending registration (free, or an account already in use) never matches,
    with the messages of a wrong code, its attempts counted per name like a real code's."""
    user = User.objects.filter(
        username=username, is_active=False, email_verified_at__isnull=True
    ).first()
    if user is None:
        tries = throttle.count(
            "register-confirm", username or "-", window_seconds=codes.minutes() * 60
        )
        state = {"attempts": min(max(tries - 1, 0), codes.MAX_ATTEMPTS), "issued": None}
        _refuse_like_a_wrong_code(state, code)
    codes.check_code(user=user, purpose=OneTimeCode.Purpose.VERIFY_EMAIL, code=code)
    return _activate(user)


def _activate(user: User) -> User:
    """The code matched: the account works from now on, its email proved."""
    now = timezone.now()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user.is_active = True
        user.email_verified_at = now
        user.save(update_fields=["is_active", "email_verified_at"])
        record(
            actor=user,
            role="self",
            action="accounts.registration.confirm",
            obj=user,
            after={"is_active": True, "email_verified_at": now},
        )
    return user


def _refuse_like_a_wrong_code(state: dict[str, Any], code: str) -> NoReturn:
    """After a clash no code exists: answer as `check_code` answers a wrong one, counting the
    attempts and the expiry the same way, so the page cannot tell the two apart."""
    issued = dt.datetime.fromisoformat(state.get("issued") or timezone.now().isoformat())
    attempts = int(state.get("attempts", 0))
    if attempts >= codes.MAX_ATTEMPTS:
        raise ServiceError(
            f"验证码错误已达{codes.MAX_ATTEMPTS}次，已失效，请重新获取。", code="code_void"
        )
    if issued + dt.timedelta(minutes=codes.minutes()) <= timezone.now():
        raise ServiceError(
            f"验证码已过期（有效期{codes.minutes()}分钟），请重新获取。", code="code_expired"
        )
    state["attempts"] = attempts + 1
    left = codes.MAX_ATTEMPTS - state["attempts"]
    wrong = "验证码不正确。"
    raise ServiceError(
        wrong + (f"还可尝试{left}次。" if left else "已失效，请重新获取。"),
        code="code_invalid" if left else "code_void",
        fields={"code": [wrong]},
    )


def new_state(submitted: Submitted) -> dict[str, Any]:
    """The session record of a registration waiting for its code."""
    return {
        "user": submitted.user_id,
        "email": submitted.email,
        "issued": timezone.now().isoformat(),
        "attempts": 0,
        "resends": 0,
    }


def resend(*, state: dict[str, Any]) -> None:
    """Send a new code (the older one dies); after a clash nothing is sent, the same way."""
    if int(state.get("resends", 0)) >= RESEND_LIMIT:
        raise ServiceError(f"验证码已重新发送{RESEND_LIMIT}次，请稍后重新注册。", code="resends")
    state["resends"] = int(state.get("resends", 0)) + 1
    state["issued"] = timezone.now().isoformat()
    state["attempts"] = 0
    user = _pending_user(state.get("user"))
    if user is not None:
        _code_sent(user)
