"""Personal numbers masked wherever the audit trail shows text (the page and its Excel export).

The one rule: a mobile number keeps its first three and last four digits (138****1234), a
居民身份证号码 its first four and last four characters (3206**********1234). A number already
masked by `lib.idcard.mask` (320682********123X) is shown the same way. Anything else is left
as it is: a 统一社会信用代码 is public (a Rugao one carries the region 320682 where an identity
number carries the birth year, so it is never taken for one).
"""

from __future__ import annotations

import re

# A mainland mobile number, alone or with +86 / 86 before it, not inside a longer number.
_MOBILE = re.compile(
    r"(?<![\dA-Za-z])(?:\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?![\dA-Za-z])"
)
# An 18-character identity number: region, a birth date 1900-2099, sequence, check character;
# or one already masked in the middle.
_ID = re.compile(
    r"(?<![\dA-Za-z])(\d{4})"
    r"(?:\d{2}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])|\d{2}\*{8}|\*{10})"
    r"(\d{3}[\dXx])(?![\dA-Za-z])"
)


def mask_mobile(text: str) -> str:
    return _MOBILE.sub(lambda m: f"{m[1]}****{m[3]}", text)


def mask_id_numbers(text: str) -> str:
    return _ID.sub(lambda m: f"{m[1]}{'*' * 10}{m[2]}", text)


def mask(text: str) -> str:
    """`text` with every mobile number and identity number in it masked."""
    if not text:
        return text
    return mask_mobile(mask_id_numbers(text))
