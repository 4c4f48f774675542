"""How a page cites the Measures: `A12.5` (the requirement IDs of spec/REQUIREMENTS.md, used in
code, the API and the audit log) reads 第十二条第（五）项 to a clerk or an applicant.

An ID is article.item where the Measures enumerate conditions and the IDs follow them: articles
8, 12, 13 and 14 (（一）, （二）...; REQUIREMENTS.md lists article 14's five items, and article
8's four, together under A14.1 and A8.1, the rules cite each item). Elsewhere the number after
the dot counts requirements, so the citation names the article alone: article 6 enumerates the
committee's duties, but A6.1-A6.3 are the committee, its Office and the expert group, not items.
"""

from __future__ import annotations

import re

_DIGITS = "零一二三四五六七八九"
ENUMERATED = frozenset({8, 12, 13, 14})
_ID = re.compile(r"A(\d{1,2})\.(\d{1,2})")


def chinese_number(n: int) -> str:
    """1..99 as written in official documents: 十二, 二十, 二十九."""
    if n < 10:
        return _DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def cite(code: str) -> str:
    """`A12.5` -> 第十二条第（五）项; `A16.1` -> 第十六条; anything else unchanged."""
    match = _ID.fullmatch(code.strip())
    if match is None:
        return code
    article, item = int(match[1]), int(match[2])
    text = f"第{chinese_number(article)}条"
    if article in ENUMERATED:
        text += f"第（{chinese_number(item)}）项"
    return text


def article_of(citation: str) -> str:
    """第十二条第（五）项 -> 第十二条: the article a citation names."""
    return citation.split("条", 1)[0] + "条" if "条" in citation else citation


def cite_all(text: str) -> str:
    """Every ID inside a sentence cited: "不符合A12.5" -> "不符合第十二条第（五）项"."""
    return _ID.sub(lambda m: cite(m[0]), text)
