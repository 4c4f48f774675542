"""居民身份证号码 validation and masking (GB 11643-1999)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from stdnum.cn import ric

from lib.idcard import InvalidIDCard, birth_date, compact, is_valid, mask, validate

TODAY = date(2026, 3, 1)

# Our own ISO 7064 MOD 11-2, written from the standard, so the tests check the module (and
# stdnum) instead of repeating them: W_i = 2^(18-i) mod 11, check = (12 - sum mod 11) mod 11.
WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))


def check_digit(first17: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


digit = st.sampled_from("0123456789")
regions = st.one_of(
    st.just("320682"),  # 如皋市
    st.text(alphabet="0123456789", min_size=6, max_size=6),
)
birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
sequences = st.integers(0, 999).map(lambda n: f"{n:03d}")


@st.composite
def numbers(draw: st.DrawFn, *, region: st.SearchStrategy[str] = regions) -> tuple[str, date]:
    """A valid number and its birth date."""
    born = draw(birth_dates)
    body = draw(region) + f"{born:%Y%m%d}" + draw(sequences)
    return body + check_digit(body), born


# Fixed examples; check digits computed once and written out on purpose.
RUGAO_NUMBERS = [
    ("320682197001011232", date(1970, 1, 1)),
    ("320682198512310028", date(1985, 12, 31)),
    ("32068219880808105X", date(1988, 8, 8)),
    ("320682200002290450", date(2000, 2, 29)),
    ("320682199106153172", date(1991, 6, 15)),
]


def test_weights_and_the_standards_example() -> None:
    assert WEIGHTS == (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    # The example number of GB 11643-1999 itself.
    assert validate("11010519491231002X", today=TODAY) == "11010519491231002X"


@pytest.mark.parametrize(("number", "born"), RUGAO_NUMBERS)
def test_fixed_rugao_examples(number: str, born: date) -> None:
    assert validate(number, today=TODAY) == number
    assert birth_date(number, today=TODAY) == born
    assert mask(number) == "320682" + "*" * 8 + number[-4:]


@pytest.mark.parametrize(
    "number", ["320682197001011232", "320682198512310028", "32068219880808105X"]
)
def test_rugao_born_before_1991_accepted_where_stdnum_rejects(number: str) -> None:
    # Why we do not call stdnum's validate: its table has 320682 only from 1991 (如皋县 was
    # 320622 until then) and it checks the region against the birth year, but the region is
    # where the number was issued.
    assert ric.is_valid(number) is False
    assert is_valid(number, today=TODAY)


def test_default_today_is_used() -> None:
    assert is_valid("320682197001011232")
    future = date.today() + timedelta(days=400)  # noqa: DTZ011 -- a year's margin
    body = f"320682{future:%Y%m%d}123"
    assert not is_valid(body + check_digit(body))


@given(case=numbers())
def test_any_well_built_number_validates(case: tuple[str, date]) -> None:
    number, born = case
    assert validate(number, today=TODAY) == number
    assert birth_date(number, today=TODAY) == born


@given(case=numbers(), position=st.integers(0, 17), replacement=st.sampled_from("0123456789X"))
def test_single_substitution_is_rejected(
    case: tuple[str, date], position: int, replacement: str
) -> None:
    # Every weight is non-zero mod 11 and 11 is prime, so one changed digit always changes the
    # weighted sum; an X anywhere but position 18 is an illegal character.
    number, _ = case
    assume(number[position] != replacement)
    changed = number[:position] + replacement + number[position + 1 :]
    assert not is_valid(changed, today=TODAY)


@given(case=numbers(), position=st.integers(0, 16))
def test_adjacent_transposition_is_rejected(case: tuple[str, date], position: int) -> None:
    number, _ = case
    a, b = number[position], number[position + 1]
    assume(a != b)
    swapped = number[:position] + b + a + number[position + 2 :]
    assert not is_valid(swapped, today=TODAY)


@given(case=numbers(), last=st.sampled_from("0123456789X"))
def test_agrees_with_stdnum_on_check_digit_and_birth_date(
    case: tuple[str, date], last: str
) -> None:
    number, born = case
    assert ric.calc_check_digit(number) == number[-1]
    assert ric.get_birth_date(number) == born
    other = number[:17] + last
    assert is_valid(other, today=TODAY) is (ric.calc_check_digit(other) == last)


@given(
    case=numbers(region=st.sampled_from(["110101", "110102", "110105", "310104", "310105"])),
    last=st.sampled_from("0123456789X"),
)
def test_agrees_with_stdnum_validate_where_its_region_table_holds(
    case: tuple[str, date], last: str
) -> None:
    # Districts that exist for every year in stdnum's table: there both answers must agree,
    # for the valid number and for it with any last character.
    number, _ = case
    assert ric.is_valid(number) is True
    other = number[:17] + last
    assert is_valid(other, today=TODAY) is ric.is_valid(other)


@given(case=numbers())
def test_mask_hides_the_birth_date(case: tuple[str, date]) -> None:
    number, _ = case
    masked = mask(number)
    assert len(masked) == 18
    assert masked[6:14] == "*" * 8
    assert masked[:6] == number[:6]
    assert masked[-4:] == number[-4:]


@given(text=st.text(min_size=18, max_size=18))
def test_mask_of_any_18_characters_is_18_long_and_never_raises(text: str) -> None:
    masked = mask(text)
    assert len(masked) == 18
    assert masked[6:14] == "*" * 8


@given(text=st.text(max_size=40))
def test_mask_never_raises(text: str) -> None:
    masked = mask(text)
    assert set(masked[6:14]) <= {"*"}


@pytest.mark.parametrize(
    "text", ["", "3206821970", "320682197001011233", "320682197002301234X", "abc"]
)
def test_mask_of_an_invalid_input_masks_everything(text: str) -> None:
    assert mask(text) == "*" * len(text)


def test_compact_normalizes_typed_and_pasted_input() -> None:
    assert compact("３２０６８２１９８８０８０８１０５ｘ") == "32068219880808105X"
    assert compact("32068219880808105x") == "32068219880808105X"
    assert compact(" 320682 19880808\u3000105X\n") == "32068219880808105X"
    assert validate("３２０６８２ １９８８０８０８ １０５ｘ", today=TODAY) == "32068219880808105X"
    assert mask(" 32068219880808105x ") == "320682********105X"


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("", "身份证号码不能为空"),
        ("   ", "身份证号码不能为空"),
        ("320682700101123", "这是旧的15位身份证号码"),
        ("32068219700101123", "身份证号码应为18位，实际为17位"),
        ("3206821970010112322", "身份证号码应为18位，实际为19位"),
        ("32068219700101123X1", "身份证号码应为18位，实际为19位"),
        ("320682-19700101123", "身份证号码第7位“-”不是合法字符"),
        ("32068219700X011232", "身份证号码第12位“X”不是合法字符"),
        ("32068219700101123Y", "身份证号码第18位“Y”不是合法字符"),
        ("32068219700101123٣", "身份证号码第18位“٣”不是合法字符"),
        ("32068219700229123X", "第7-14位是出生日期，“19700229”不是有效的日期"),
        ("320682197013011232", "“19701301”不是有效的日期"),
        ("320682189912311232", "出生日期1899年12月31日早于1900年"),
        ("320682202603021232", "出生日期2026年03月02日晚于今天"),
        ("320682197001011233", "身份证号码校验位错误"),
    ],
)
def test_error_messages_name_the_problem(number: str, message: str) -> None:
    with pytest.raises(InvalidIDCard) as info:
        validate(number, today=TODAY)
    assert message in str(info.value)
    assert not is_valid(number, today=TODAY)


def test_born_today_is_accepted() -> None:
    body = f"320682{TODAY:%Y%m%d}001"
    assert birth_date(body + check_digit(body), today=TODAY) == TODAY


def test_birth_date_of_an_invalid_number_raises() -> None:
    with pytest.raises(InvalidIDCard, match="校验位错误"):
        birth_date("320682197001011233", today=TODAY)


def test_check_digit_message_does_not_suggest_a_digit() -> None:
    # A typo in the middle (1970 -> 1971) also breaks the check digit; naming the "right" last
    # digit would lead the user to a valid but wrong number.
    with pytest.raises(InvalidIDCard) as info:
        validate("320682197101011232", today=TODAY)
    assert not any(char.isdigit() for char in str(info.value))
