"""统一社会信用代码 (Unified Social Credit Code, GB 32100-2015) validation.

Our own validator because python-stdnum's ``stdnum.cn.uscc`` requires the first eight
characters to be digits and so rejects legal codes whose registration authority (position 1)
or organization type (position 2) is a letter, e.g. N (农业) or Y (其他) authorities.
A12.1 (registered in Rugao) needs positions 3-8, the registration authority's division code.
"""

from __future__ import annotations

__all__ = [
    "CHARSET",
    "InvalidUSCC",
    "check_character",
    "compact",
    "division_code",
    "is_valid",
    "registered_within",
    "validate",
]

# The 31 symbols of GB 32100: digits and upper-case letters without I, O, S, V, Z.
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {char: index for index, char in enumerate(CHARSET)}
_MODULUS = len(CHARSET)  # 31, prime: every single substitution and adjacent swap changes the sum
_WEIGHTS = tuple(pow(3, i, _MODULUS) for i in range(17))  # W_i = 3^(i-1) mod 31, i = 1..17
_LENGTH = 18

# Full-width forms (U+FF01..U+FF5E) to ASCII and the ideographic space to a space: codes are
# often pasted from Word or WeChat with an input method still in full-width mode.
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_SEPARATORS = frozenset("-‐‑‒–—")


class InvalidUSCC(ValueError):
    """The text is not a valid 统一社会信用代码; the message says what is wrong, in Chinese."""


def compact(code: str) -> str:
    """Strip spaces and hyphens, convert full-width to half-width and upper-case."""
    text = code.translate(_HALF_WIDTH)
    return "".join(c for c in text if not c.isspace() and c not in _SEPARATORS).upper()


def _check_charset(text: str) -> None:
    for position, char in enumerate(text, start=1):
        if char not in _VALUE:
            raise InvalidUSCC(
                f"统一社会信用代码第{position}位“{char}”不是合法字符"
                "（只能是数字和除I、O、S、V、Z以外的大写英文字母）"
            )


def check_character(first17: str) -> str:
    """The check character (position 18) for the first 17 characters of a code."""
    if len(first17) != _LENGTH - 1:
        raise InvalidUSCC(f"计算校验位需要统一社会信用代码的前17位，实际为{len(first17)}位")
    _check_charset(first17)
    total = sum(_VALUE[char] * weight for char, weight in zip(first17, _WEIGHTS, strict=True))
    return CHARSET[(_MODULUS - total % _MODULUS) % _MODULUS]


def validate(code: str) -> str:
    """Return the compact code, or raise InvalidUSCC naming the first problem found."""
    number = compact(code)
    if not number:
        raise InvalidUSCC("统一社会信用代码不能为空")
    if len(number) != _LENGTH:
        raise InvalidUSCC(f"统一社会信用代码应为18位，实际为{len(number)}位")
    _check_charset(number)
    division = number[2:8]
    if not division.isascii() or not division.isdigit():
        raise InvalidUSCC(
            f"统一社会信用代码第3-8位是登记管理机关行政区划码，应为6位数字，实际为“{division}”"
        )
    # The organization code (positions 9-17) has its own GB 11714 check character, but some
    # legally issued codes do not satisfy it, so it is deliberately not checked.
    expected = check_character(number[:17])
    if number[17] != expected:
        raise InvalidUSCC(f"统一社会信用代码校验位错误：第18位应为{expected}")
    return number


def is_valid(code: str) -> bool:
    """Whether ``code`` is a valid 统一社会信用代码."""
    try:
        validate(code)
    except InvalidUSCC:
        return False
    return True


def division_code(code: str) -> str:
    """The registration authority's administrative division code (positions 3-8), e.g. 320682."""
    return validate(code)[2:8]


def area_prefix(area: str) -> str:
    """The significant digits of a GB/T 2260 division code: a province (320000) is its first two
    digits, a prefecture (320600) its first four, a county-level division (320682) all six."""
    if len(area) != 6 or not area.isdigit():
        raise ValueError(f"行政区划代码应为6位数字：{area}")
    if area.endswith("0000"):
        return area[:2]
    if area.endswith("00"):
        return area[:4]
    return area


def registered_within(code: str, area: str) -> bool:
    """Whether the registration authority of this 统一社会信用代码 lies within the division
    `area` (A12.1: 在本市行政区域内登记注册): equal to a county-level area, under a prefecture or a
    province. A program's region is its `division_code` (decision 0030, item 5)."""
    return division_code(code).startswith(area_prefix(area))
