"""统一社会信用代码 validation (A12.1: the applicant is registered in Rugao, division 320682)."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import InvalidFormat

from lib.uscc import (
    CHARSET,
    InvalidUSCC,
    check_character,
    compact,
    division_code,
    is_valid,
    registered_within,
    validate,
)

symbol = st.sampled_from(CHARSET)
digit = st.sampled_from("0123456789")


@st.composite
def bodies(
    draw: st.DrawFn,
    *,
    authority: st.SearchStrategy[str] = symbol,
    kind: st.SearchStrategy[str] = symbol,
) -> str:
    """The first 17 characters of a structurally valid code."""
    first = draw(authority)
    second = draw(kind)
    division = "".join(draw(st.lists(digit, min_size=6, max_size=6)))
    organization = "".join(draw(st.lists(symbol, min_size=9, max_size=9)))
    return first + second + division + organization


@st.composite
def codes(
    draw: st.DrawFn,
    *,
    authority: st.SearchStrategy[str] = symbol,
    kind: st.SearchStrategy[str] = symbol,
) -> str:
    body = draw(bodies(authority=authority, kind=kind))
    return body + check_character(body)


# Fixed examples; check characters were computed once and are written out on purpose.
RUGAO_CODES = [
    "91320682MA1M000007",
    "913206821388435164",
    "12320682467371200J",
    "52320682MJ5561234Q",
    "92320682MA1T7GH0Y8",
]
LETTER_AUTHORITY_CODES = [
    "N2320682MA1P0Q3R4G",  # N: 农业 authority
    "Y1320682MB1234567Y",  # Y: other authorities
    "A1320682MC0012345Q",  # A: 中央军委改革和编制办公室
]


def test_charset_and_weights() -> None:
    assert len(CHARSET) == 31
    assert not set("IOSVZ") & set(CHARSET)
    # The example from python-stdnum's documentation.
    assert check_character("91110000600037341") == "L"


@pytest.mark.parametrize("code", RUGAO_CODES)
def test_fixed_rugao_examples(code: str) -> None:
    assert validate(code) == code
    assert division_code(code) == "320682"


@pytest.mark.parametrize("code", LETTER_AUTHORITY_CODES)
def test_letter_authority_accepted_where_stdnum_rejects(code: str) -> None:
    # Why we have our own validator: stdnum insists positions 1-8 are digits.
    assert stdnum_uscc.is_valid(code) is False
    with pytest.raises(InvalidFormat):
        stdnum_uscc.validate(code)
    assert validate(code) == code
    assert division_code(code) == "320682"


@given(body=bodies())
def test_any_body_with_its_check_character_validates(body: str) -> None:
    code = body + check_character(body)
    assert validate(code) == code
    assert division_code(code) == body[2:8]


@given(code=codes(), position=st.integers(0, 17), replacement=symbol)
def test_single_substitution_is_rejected(code: str, position: int, replacement: str) -> None:
    assume(code[position] != replacement)
    changed = code[:position] + replacement + code[position + 1 :]
    assert not is_valid(changed)


@given(code=codes(), position=st.integers(0, 16))
def test_adjacent_transposition_is_rejected(code: str, position: int) -> None:
    # Swapping values a != b at weights w and 3w changes the weighted sum by 2w(b - a)
    # (w and 1 for the check character at position 18, which enters the sum with weight 1);
    # 31 is prime and no factor is 0 mod 31, so the check always catches it.
    a, b = code[position], code[position + 1]
    assume(a != b)
    swapped = code[:position] + b + a + code[position + 2 :]
    assert not is_valid(swapped)


@given(
    code=codes(authority=st.sampled_from("159"), kind=digit),
    last=symbol,
)
def test_agrees_with_stdnum_on_all_digit_prefixes(code: str, last: str) -> None:
    # stdnum handles codes whose first 8 characters are digits; there we must agree,
    # both for the valid code and for the same code with an arbitrary check character.
    assert is_valid(code) is True
    assert stdnum_uscc.is_valid(code) is True
    other = code[:17] + last
    assert is_valid(other) is stdnum_uscc.is_valid(other)


def test_compact_normalizes_pasted_input() -> None:
    assert compact("９１３２０６８２ＭＡ１Ｍ０００００７") == "91320682MA1M000007"
    assert compact("91320682ma1m000007") == "91320682MA1M000007"
    assert compact(" 9132-0682\u3000MA1M 000007\n") == "91320682MA1M000007"
    assert validate("ｎ２３２０６８２ｍａ１ｐ０ｑ３ｒ４ｇ") == "N2320682MA1P0Q3R4G"
    assert is_valid("92320682-MA1T7GH0Y8")


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "统一社会信用代码不能为空"),
        ("9132068213884351", "统一社会信用代码应为18位，实际为16位"),
        ("9132068213884351640", "统一社会信用代码应为18位，实际为19位"),
        ("91320682MA1M0000O7", "统一社会信用代码第17位“O”不是合法字符"),
        ("91320682MA1M00000I", "统一社会信用代码第18位“I”不是合法字符"),
        ("91320682MA1M00000中", "第18位“中”不是合法字符"),
        ("9132A682MA1M000007", "第3-8位是登记管理机关行政区划码，应为6位数字，实际为“32A682”"),
        ("91320682MA1M000008", "统一社会信用代码校验位错误：第18位应为7"),
    ],
)
def test_error_messages_name_the_problem(code: str, message: str) -> None:
    with pytest.raises(InvalidUSCC) as info:
        validate(code)
    assert message in str(info.value)
    assert not is_valid(code)


def test_division_code_of_an_invalid_code_raises() -> None:
    with pytest.raises(InvalidUSCC, match="校验位错误"):
        division_code("91320682MA1M000008")


def test_check_character_needs_17_valid_characters() -> None:
    with pytest.raises(InvalidUSCC, match="前17位"):
        check_character("9132068213884351")
    with pytest.raises(InvalidUSCC, match="第9位“Z”"):
        check_character("91320682Z38843516")


@pytest.mark.req("A12.1")
@pytest.mark.parametrize(
    ("area", "inside", "outside"),
    [
        ("320682", "320682", "320681"),  # county-level: the division itself
        ("320600", "320684", "320281"),  # prefecture: its first four digits
        ("320000", "321302", "310115"),  # province: its first two
    ],
)
def test_registered_within_a_division_by_its_level(area: str, inside: str, outside: str) -> None:
    def code(division: str) -> str:
        body = f"91{division}MA1XYK123"
        return body + check_character(body)

    assert registered_within(code(inside), area)
    assert not registered_within(code(outside), area)


def test_a_division_that_is_not_six_digits_is_refused() -> None:
    body = "91320682MA1XYK123"
    with pytest.raises(ValueError, match="6位数字"):
        registered_within(body + check_character(body), "3206")
