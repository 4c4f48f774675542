"""Mainland China telephone numbers and contacts: validation and one written form.

- A mobile number (手机号码, YD/T 2740 numbering plan): 11 digits, ``1[3-9]`` then 9 digits.
  Typed with spaces or dashes (139 1234 5678, 139-1234-5678), with full-width digits, or with
  the country code (+86, 0086, 86): always kept as the 11 digits ``13912345678``.
- A landline (固定电话) with its area code: ``0`` and a 2- or 3-digit area code, then a 7- or
  8-digit local number that does not start with 0 or 1, then an optional extension (分机, 1-6
  digits): ``0513-87654321``, ``051387654321``, ``(0513)87654321``, ``0513-87654321-123``,
  ``0513 8765 4321 转 123``. Written ``0513-87654321`` (``-123`` for an extension). The 2-digit
  area codes are exactly 010 and 020-029 (北京, 广州, 上海, 天津, 重庆, 沈阳, 南京, 武汉, 成都,
  西安), all others are 3 digits, so a number typed without separators splits one way only.
- A contact (联系方式): a mobile, a landline with area code, or an e-mail address.

Each ``validate_*`` returns the written form or raises `InvalidPhone` (a ValueError) with a
Chinese message naming the problem. No app imports: the forms of every layer call this.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

__all__ = [
    "InvalidPhone",
    "is_mobile",
    "validate_contact",
    "validate_landline",
    "validate_mobile",
    "validate_phone",
]

EXAMPLE = "如0513-87654321（分机写在后面：0513-87654321-123）"
CONTACT_RULE = "联系方式应为手机号码、带区号的固定电话或电子邮箱"

# Full-width digits and signs (U+FF01..U+FF5E) to ASCII, the ideographic space to a space.
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# What people put between the groups of digits.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212.()]+")
_COUNTRY = re.compile(r"^(?:\+86|0086|86)(?=\d{10,})")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_EXTENSION = re.compile(r"^(?P<main>.*?\d)\s*(?:转|分机|ext\.?|x|#)\s*(?P<ext>\d{1,6})$", re.I)
_GROUPS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")
_THREE_DIGIT_AREA = re.compile(r"0(?:10|2\d)")


class InvalidPhone(ValueError):
    """Not a valid number (or contact); the message says what is wrong, in Chinese."""


def _half_width(value: str) -> str:
    return (value or "").translate(_HALF_WIDTH).strip()


def _digits(value: str) -> str:
    """The text without separators, the country code taken off; may still hold non-digits."""
    text = _SEPARATORS.sub("", _half_width(value))
    return _COUNTRY.sub("", text)


def validate_mobile(value: str) -> str:
    """The 11 digits of a mainland mobile number, or InvalidPhone."""
    text = _digits(value)
    if not text:
        raise InvalidPhone("请填写手机号码")
    if not text.isdigit() or not text.isascii():
        raise InvalidPhone("手机号码只能包含数字（可带+86、空格或短横线）")
    if len(text) != 11:
        raise InvalidPhone(f"手机号码应为11位，您填写了{len(text)}位")
    if not _MOBILE.fullmatch(text):
        raise InvalidPhone(f"手机号码应以13至19开头，“{text[:3]}”不是有效号段")
    return text


def is_mobile(value: str) -> bool:
    try:
        validate_mobile(value)
    except InvalidPhone:
        return False
    return True


def _split_landline(text: str) -> tuple[str, str] | None:
    """(area code, local number) of a landline given as digits only, or None."""
    if not text.startswith("0") or text.startswith("00"):
        return None
    area = text[:3] if _THREE_DIGIT_AREA.match(text) else text[:4]
    local = text[len(area) :]
    if 7 <= len(local) <= 8 and local[0] not in "01":
        return area, local
    return None


def _national(text: str) -> str:
    """A landline's characters without separators, +86 / 0086 turned back into the trunk 0."""
    digits = _SEPARATORS.sub("", _half_width(text))
    country = re.match(r"^(?:\+86|0086)", digits)
    if country:
        digits = digits[country.end() :]
        digits = digits if digits.startswith("0") else "0" + digits
    return digits


def validate_landline(value: str) -> str:
    """``0513-87654321`` (or ``0513-87654321-123``) for a landline with area code."""
    text = _half_width(value)
    if not text:
        raise InvalidPhone("请填写固定电话")
    main, extension = text, ""
    explicit = _EXTENSION.match(text)
    groups = [g for g in _GROUPS.split(text) if g]
    if explicit:
        main, extension = explicit["main"], explicit["ext"]
    elif (
        len(groups) >= 3
        and groups[-1].isdigit()
        and len(groups[-1]) <= 6
        and _split_landline(_national("".join(groups[:-1])))
    ):
        # "0513-87654321-123": a third group after a whole number is the extension (but
        # "0513 8765 4321" is one number in three groups).
        main, extension = "".join(groups[:-1]), groups[-1]
    digits = _national(main)
    if not digits.isdigit() or not digits.isascii():
        raise InvalidPhone(f"电话号码只能包含数字、空格和短横线，{EXAMPLE}")
    split = _split_landline(digits)
    if split is None:
        if not digits.startswith("0"):
            raise InvalidPhone(f"固定电话须带区号，{EXAMPLE}")
        raise InvalidPhone(f"区号后的电话号码应为7至8位，且不以0或1开头，{EXAMPLE}")
    area, local = split
    return f"{area}-{local}" + (f"-{extension}" if extension else "")


def validate_phone(value: str) -> str:
    """A mobile (11 digits) or a landline with area code (``0513-87654321``)."""
    text = _digits(value)
    if not text:
        raise InvalidPhone("请填写电话号码")
    if text.startswith("1"):
        return validate_mobile(value)
    if not text[0].isdigit() and not text.startswith("+"):
        raise InvalidPhone("请填写手机号码，或带区号的固定电话（如0513-87654321）")
    return validate_landline(value)


def validate_contact(value: str) -> str:
    """A mobile, a landline with area code, or an e-mail address (lower-cased domain)."""
    text = _half_width(value)
    if not text:
        raise InvalidPhone(f"请填写联系方式：{CONTACT_RULE}")
    if "@" in text:
        try:
            validate_email(text)
        except ValidationError as exc:
            raise InvalidPhone("电子邮箱地址格式不正确，如 name@example.com") from exc
        local, _, domain = text.rpartition("@")
        return f"{local}@{domain.lower()}"
    try:
        return validate_phone(text)
    except InvalidPhone as exc:
        raise InvalidPhone(f"{exc}。联系方式可以是手机号码、带区号的固定电话或电子邮箱") from exc
