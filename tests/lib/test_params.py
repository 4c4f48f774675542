"""lib.params: the one reading of a number from a URL, a query string or a form, and the path
converters. Security plan #27 (filters: no error, no extra rows; ASVS 1.2.4); 等保 入侵防范 d."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import NoReverseMatch, resolve, reverse
from django.urls.exceptions import Resolver404

from lib.params import MAX_ID, has_nul, parse_int, query_int


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", 1),
        ("42", 42),
        (" 7 ", 7),
        ("000000000000000003", 3),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),  # 19 digits: past what the database may hold
        ("9" * 40, None),
        ("0", None),  # ids start at 1
        ("-1", None),
        ("+1", None),
        ("1e9", None),
        ("1.5", None),
        ("abc", None),
        ("", None),
        ("²", None),  # str.isdigit() says yes, int() raises
        ("１２", None),  # full-width digits
        ("٣", None),  # Arabic-Indic: int() reads it, a URL never means it
        ("1\x00", None),
        (None, None),
        (5, None),  # only text is parsed
    ],
)
def test_parse_int_takes_only_ascii_digits_within_bounds(
    value: object, expected: int | None
) -> None:
    assert parse_int(value) == expected


def test_parse_int_keeps_its_bounds() -> None:
    assert parse_int("0", lo=0) == 0
    assert parse_int("101", lo=0, hi=100) is None
    assert parse_int("100", lo=0, hi=100) == 100


def test_query_int_reads_a_filter_or_none() -> None:
    request = RequestFactory().get("/supervision/notes/", {"cycle": "9" * 40, "page": "3"})
    assert query_int(request, "cycle") is None
    assert query_int(request, "page") == 3
    assert query_int(request, "year") is None


def test_the_id_converter_bounds_a_path_id_to_18_digits() -> None:
    """Django's <int:pk> took 40 digits, which overflow PostgreSQL's bigint (a server error)."""
    assert resolve("/office/cycles/123456789012345678/").kwargs == {"pk": 123456789012345678}
    for bad in ["1234567890123456789", "9" * 40, "-1", "1e9", "abc"]:
        with pytest.raises(Resolver404):
            resolve(f"/office/cycles/{bad}/")
    assert reverse("programs:cycle_detail", args=[7]) == "/office/cycles/7/"


def test_the_year_converter_takes_four_digits() -> None:
    assert resolve("/notices/2026/").kwargs == {"year": 2026}
    for bad in ["20260", "99999999999999999999", "-1"]:
        with pytest.raises(Resolver404):
            resolve(f"/notices/{bad}/")
    with pytest.raises(NoReverseMatch):
        reverse("decision:public_notice", args=["abcd"])


def test_has_nul_looks_into_keys_lists_and_nesting() -> None:
    assert not has_nul({"a": ["b", {"c": 1, "d": None}], "e": True})
    assert has_nul({"a": ["b", {"c": "x\x00"}]})
    assert has_nul({"a\x00": 1})
    assert has_nul(["\x00"])
    assert not has_nul(0)
