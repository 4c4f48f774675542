"""Mainland telephone numbers and contacts (lib/phone.py; issue 15: phone `139` was accepted)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.phone import (
    InvalidPhone,
    is_mobile,
    validate_contact,
    validate_landline,
    validate_mobile,
    validate_phone,
)

pytestmark = pytest.mark.req("A3.1")

# (typed, written form) for numbers every validator of its kind accepts.
MOBILES = [
    ("13912345678", "13912345678"),
    ("139 1234 5678", "13912345678"),
    ("139-1234-5678", "13912345678"),
    ("+86 139-1234-5678", "13912345678"),
    ("+8613912345678", "13912345678"),
    ("0086 13912345678", "13912345678"),
    ("8613912345678", "13912345678"),
    ("１３９１２３４５６７８", "13912345678"),  # full-width, from an input method
    (" 19912345678 ", "19912345678"),
]
LANDLINES = [
    ("0513-87654321", "0513-87654321"),
    ("051387654321", "0513-87654321"),
    ("0513 8765 4321", "0513-87654321"),
    ("(0513)87654321", "0513-87654321"),
    ("（0513）87654321", "0513-87654321"),
    ("0513-87654321-123", "0513-87654321-123"),
    ("0513 87654321 转 123", "0513-87654321-123"),
    ("0513-8765432", "0513-8765432"),  # a 7-digit local number
    ("010-62345678", "010-62345678"),  # 北京: a 2-digit area code
    ("02187654321", "021-87654321"),  # 上海, typed without a separator
    ("+86 513 87654321", "0513-87654321"),
]
# (typed, a word the Chinese message must contain)
REFUSED_PHONES = [
    ("139", "11位"),
    ("1391234567", "11位"),
    ("139123456789", "11位"),
    ("12912345678", "13至19开头"),
    ("87654321", "区号"),
    ("0513-1234567", "不以0或1开头"),
    ("0513-876543", "7至8位"),
    ("0513-876543210", "7至8位"),
    ("hello", "手机号码"),
    ("", "请填写"),
]


@pytest.mark.parametrize(("typed", "written"), MOBILES)
def test_mobiles_are_kept_as_eleven_digits(typed: str, written: str) -> None:
    assert validate_mobile(typed) == written
    assert validate_phone(typed) == written
    assert validate_contact(typed) == written
    assert is_mobile(typed)


@pytest.mark.parametrize(("typed", "written"), LANDLINES)
def test_landlines_need_their_area_code_and_are_written_with_dashes(
    typed: str, written: str
) -> None:
    assert validate_landline(typed) == written
    assert validate_phone(typed) == written
    assert validate_contact(typed) == written
    assert not is_mobile(typed)


@pytest.mark.parametrize(("typed", "word"), REFUSED_PHONES)
def test_bad_numbers_are_refused_in_chinese(typed: str, word: str) -> None:
    with pytest.raises(InvalidPhone, match=word):
        validate_phone(typed)
    with pytest.raises(InvalidPhone):
        validate_contact(typed)


def test_the_phone_139_of_the_issue_is_refused_everywhere() -> None:
    for validate in (validate_mobile, validate_phone, validate_contact):
        with pytest.raises(InvalidPhone, match="手机号码应为11位，您填写了3位"):
            validate("139")


def test_a_landline_is_not_a_mobile() -> None:
    with pytest.raises(InvalidPhone):
        validate_mobile("0513-87654321")


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("zhang@example.com", "zhang@example.com"),
        ("Zhang.Wei@Example.COM", "Zhang.Wei@example.com"),
    ],
)
def test_a_contact_may_be_an_email(typed: str, written: str) -> None:
    assert validate_contact(typed) == written


@pytest.mark.parametrize("typed", ["zhang@", "@example.com", "zhang@@example.com", "电话见附件"])
def test_a_contact_that_is_neither_is_refused(typed: str) -> None:
    with pytest.raises(InvalidPhone, match=r"手机|电子邮箱|电话"):
        validate_contact(typed)


@given(
    prefix=st.integers(3, 9), rest=st.integers(0, 10**9 - 1), sep=st.sampled_from(["", " ", "-"])
)
def test_every_mobile_in_the_plan_round_trips(prefix: int, rest: int, sep: str) -> None:
    number = f"1{prefix}{rest:09d}"
    typed = sep.join([number[:3], number[3:7], number[7:]])
    assert validate_mobile(typed) == number
    assert validate_mobile("+86" + typed) == number
    assert validate_phone(validate_phone(typed)) == number  # the written form is stable


@given(
    area=st.one_of(
        st.sampled_from(["010", *(f"02{d}" for d in range(10))]),
        st.from_regex(r"0[3-9][0-9][0-9]", fullmatch=True),
    ),
    local=st.from_regex(r"[2-9][0-9]{6,7}", fullmatch=True),
    extension=st.one_of(st.just(""), st.from_regex(r"[0-9]{1,6}", fullmatch=True)),
)
def test_every_landline_round_trips(area: str, local: str, extension: str) -> None:
    written = f"{area}-{local}" + (f"-{extension}" if extension else "")
    assert validate_landline(written) == written
    assert validate_landline(written.replace("-", " ", 1)) == written
    if not extension:
        assert validate_phone(area + local) == written


@given(st.text(max_size=30))
def test_any_text_gives_a_written_form_or_a_chinese_refusal(text: str) -> None:
    message = ""
    try:
        written = validate_contact(text)
    except InvalidPhone as exc:
        message = str(exc)
    if message:
        assert any("\u4e00" <= c <= "\u9fff" for c in message)
    else:
        assert validate_contact(written) == written
