"""居民身份证号码 (GB 11643-1999, citizen identity number) validation and masking.

The check digit (ISO 7064 MOD 11-2) and the birth date come from python-stdnum's
``stdnum.cn.ric``, but not its ``validate``: that also looks the first six digits up in a table
of divisions *as they were in the birth year*. Rugao became 如皋市 (320682) in 1991, so stdnum
rejects 320682 for everyone born before 1991, yet the region code is where the number was
issued, not where the person was born, and most working-age Rugao residents have exactly such a
number. stdnum also accepts birth dates in the future. So the structure, the date range and the
messages are ours; the region is only checked to be six digits.

The 15-digit numbers of the first-generation cards are refused: they have no check digit and
the cards stopped being valid in 2013.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from stdnum.cn import ric

__all__ = [
    "InvalidIDCard",
    "birth_date",
    "compact",
    "is_valid",
    "mask",
    "validate",
]

_LENGTH = 18
_OLD_LENGTH = 15
_DIGITS = frozenset("0123456789")
_EARLIEST_BIRTH = date(1900, 1, 1)
_CHINA = ZoneInfo("Asia/Shanghai")

# Full-width forms (U+FF01..U+FF5E) to ASCII and the ideographic space to a space: numbers are
# often typed with an input method still in full-width mode, or pasted from Word or WeChat.
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


class InvalidIDCard(ValueError):
    """The text is not a valid 居民身份证号码; the message says what is wrong, in Chinese."""


def compact(number: str) -> str:
    """Strip white space, convert full-width to half-width and upper-case the x."""
    text = number.translate(_HALF_WIDTH)
    return "".join(c for c in text if not c.isspace()).upper()


def _today() -> date:
    return datetime.now(_CHINA).date()


def _parse_birth_date(number: str) -> date:
    """The birth date of a number whose structure is already checked."""
    try:
        return ric.get_birth_date(number)
    except ValueError as exc:  # stdnum's InvalidComponent is a ValueError
        digits = number[6:14]
        raise InvalidIDCard(f"身份证号码第7-14位是出生日期，“{digits}”不是有效的日期") from exc


def validate(number: str, *, today: date | None = None) -> str:
    """Return the compact number, or raise InvalidIDCard naming the first problem found.

    ``today`` (China Standard Time by default) bounds the birth date.
    """
    text = compact(number)
    if not text:
        raise InvalidIDCard("身份证号码不能为空")
    if len(text) == _OLD_LENGTH and set(text) <= _DIGITS:
        raise InvalidIDCard("这是旧的15位身份证号码，已停止使用，请填写18位居民身份证号码")
    if len(text) != _LENGTH:
        raise InvalidIDCard(f"身份证号码应为18位，实际为{len(text)}位")
    for position, char in enumerate(text[:-1], start=1):
        if char not in _DIGITS:
            raise InvalidIDCard(f"身份证号码第{position}位“{char}”不是合法字符（前17位只能是数字）")
    if text[-1] not in _DIGITS and text[-1] != "X":
        raise InvalidIDCard(f"身份证号码第18位“{text[-1]}”不是合法字符（只能是数字或X）")
    born = _parse_birth_date(text)
    if born < _EARLIEST_BIRTH:
        raise InvalidIDCard(f"身份证号码中的出生日期{born:%Y年%m月%d日}早于1900年，请核对")
    if born > (today or _today()):
        raise InvalidIDCard(f"身份证号码中的出生日期{born:%Y年%m月%d日}晚于今天，请核对")
    # The expected digit is deliberately not named: after a typo in the middle of the number
    # it would invite "fixing" the last digit and so storing a valid but wrong number.
    if text[-1] != ric.calc_check_digit(text):
        raise InvalidIDCard("身份证号码校验位错误，请逐位核对号码")
    return text


def is_valid(number: str, *, today: date | None = None) -> bool:
    """Whether ``number`` is a valid 18-digit 居民身份证号码."""
    try:
        validate(number, today=today)
    except InvalidIDCard:
        return False
    return True


def birth_date(number: str, *, today: date | None = None) -> date:
    """The birth date (positions 7-14) of a valid number; raises InvalidIDCard otherwise."""
    return ric.get_birth_date(validate(number, today=today))


def mask(number: str) -> str:
    """The number for display: ``320682********123X``, region and last four kept.

    Anything that is not a valid number is masked completely, one ``*`` per character given,
    so an 18-character input always gives 18 characters. Never raises.
    """
    if not isinstance(number, str):
        return ""
    if not is_valid(number):
        return "*" * len(number)
    text = compact(number)
    return text[:6] + "*" * 8 + text[-4:]
