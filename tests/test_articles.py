"""Pages cite the Measures as the Measures number themselves (第十二条第（五）项), not by the
requirement IDs the code uses (A12.5)."""

from __future__ import annotations

import pytest

from lib.articles import chinese_number, cite, cite_all
from lib.errors import ServiceError


@pytest.mark.parametrize(
    ("n", "text"), [(1, "一"), (10, "十"), (12, "十二"), (20, "二十"), (29, "二十九"), (30, "三十")]
)
def test_chinese_numbers_as_official_documents_write_them(n: int, text: str) -> None:
    assert chinese_number(n) == text


@pytest.mark.req("A16.1")
def test_items_are_cited_only_where_the_article_enumerates_them() -> None:
    assert cite("A12.5") == "第十二条第（五）项"
    assert cite("A13.2") == "第十三条第（二）项"
    assert cite("A14.1") == "第十四条第（一）项"
    assert cite("A16.1") == "第十六条"  # one paragraph, no items
    assert cite("A29.1") == "第二十九条"
    assert cite("第五条") == "第五条"  # not an ID: unchanged


@pytest.mark.req("A16.1")
def test_a_refusal_names_the_article_as_the_measures_do() -> None:
    error = ServiceError("工业企业环保信用等级为黄色。", article="A12.5")
    assert error.display == "工业企业环保信用等级为黄色。（《办法》第十二条第（五）项）"
    assert cite_all("不符合A12.5和A13.2") == "不符合第十二条第（五）项和第十三条第（二）项"
    already = ServiceError("不符合《办法》第十二条第（五）项。", article="A12.5")
    assert already.display == "不符合《办法》第十二条第（五）项。"
