"""Password rules (等级保护 GB/T 22239-2019 8.1.4.1 a; issue 15 part 2), one home per rule:

- `MinimumLengthValidator`: 8+ characters (等保 wording: 长度);
- `CharacterClassValidator`: 3 of 4 character classes (等保 wording: 复杂度);
- `NoUsernameValidator`: never the account name;
- `StrengthValidator`: the zxcvbn estimate (score ≥ settings.PASSWORD_MIN_SCORE) with the
  person's own words (username, name, email, their organizations' names) and the program's
  (如皋, rugao, 质量奖, award, years…): `Rugao@2026`, `Award2024`, `Passw0rd!` are refused.
  It replaces Django's UserAttributeSimilarityValidator and CommonPasswordValidator (zxcvbn
  knows the common passwords and weighs the person's words);
- `HistoryValidator`: none of the last settings.PASSWORD_HISTORY passwords (the current one
  included), checked against the hashes of `PasswordHistory` (written by `User.save`).

The validators run where a person chooses a password (registration, adding a contact, the
change page and API, the reset); seed data and tests set passwords without them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.core.exceptions import ValidationError

# Seed data sets the README's documented demo password (Demo@2026), weak by design: while
# `seeding()` is active the strength and history rules stand aside (length, classes and the
# username rule still apply). Only code can set it; no request, form or setting reaches it.
_seeding: ContextVar[bool] = ContextVar("accounts_password_seeding", default=False)


@contextmanager
def seeding() -> Iterator[None]:
    """For demo seed functions only (programs.demo.seed, `manage.py seed_demo`)."""
    token = _seeding.set(True)
    try:
        yield
    finally:
        _seeding.reset(token)


class MinimumLengthValidator:
    """At least 8 characters (Django's own message has no Chinese translation in 5.2)."""

    def __init__(self, min_length: int = 8) -> None:
        self.min_length = min_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) < self.min_length:
            raise ValidationError(
                f"密码太短，至少需要{self.min_length}个字符。", code="password_too_short"
            )

    def get_help_text(self) -> str:
        return f"密码至少需要{self.min_length}个字符。"


class CharacterClassValidator:
    """At least three of: lower case, upper case, digits, other characters."""

    def validate(self, password: str, user: Any = None) -> None:
        classes = [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
        if sum(classes) < 3:
            raise ValidationError(
                "密码须包含大写字母、小写字母、数字、符号中的至少三类。", code="password_classes"
            )

    def get_help_text(self) -> str:
        return "密码须包含大写字母、小写字母、数字、符号中的至少三类。"


class NoUsernameValidator:
    """The password must not contain the account name (case-insensitive)."""

    def validate(self, password: str, user: Any = None) -> None:
        username = getattr(user, "username", "") or ""
        if username and username.lower() in password.lower():
            raise ValidationError("密码不得包含用户名。", code="password_contains_username")

    def get_help_text(self) -> str:
        return "密码不得包含用户名。"


# The program's own words: a password built on them is guessed first by anyone who knows the
# site (the years a cycle could run, 2021-2035, too).
PROGRAM_WORDS = (
    "如皋",
    "rugao",
    "市长",
    "质量奖",
    "award",
    "quality",
    "mayor",
    "市场监管",
    "rugaoaward",
    "qualityaward",
    *(str(year) for year in range(2021, 2036)),
)

# zxcvbn's warnings, in Chinese (its feedback is English).
WARNINGS = {
    "Straight rows of keys are easy to guess": "键盘上连成一行的按键很容易被猜到。",
    "Short keyboard patterns are easy to guess": "简短的键盘组合很容易被猜到。",
    'Repeats like "aaa" are easy to guess': "重复的字符（如 aaa）很容易被猜到。",
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc"': (
        "重复的片段（如 abcabc）并不比单个片段难猜多少。"
    ),
    "Sequences like abc or 6543 are easy to guess": "abc、6543 这样的顺序字符很容易被猜到。",
    "Recent years are easy to guess": "近年的年份很容易被猜到。",
    "Dates are often easy to guess": "日期很容易被猜到。",
    "This is a top-10 common password": "这是最常用的密码之一。",
    "This is a top-100 common password": "这是最常用的密码之一。",
    "This is a very common password": "这是很常用的密码。",
    "This is similar to a commonly used password": (
        "这与常用密码相似（把字母换成数字或符号也容易被猜到）。"
    ),
    "A word by itself is easy to guess": "单独一个单词很容易被猜到。",
    "Names and surnames by themselves are easy to guess": "单独的姓名很容易被猜到。",
    "Common names and surnames are easy to guess": "常见的姓名很容易被猜到。",
}
OWN_WORDS = (
    "含有您的用户名、姓名、邮箱、单位名称或本奖项相关的词（如 Rugao、Award、年份），很容易被猜到。"
)
HINT = (
    "请使用更长、更难猜的密码，例如由三四个互不相关的词语加数字和符号组成，"
    "不要使用用户名、姓名、单位名称、年份或常见单词。"
)
# zxcvbn's cost grows with the length; the first characters decide a weak password anyway.
ESTIMATE_CHARS = 100


def user_words(user: Any) -> list[str]:
    """The person's own words: username, name, email (and its local part), the names of the
    organizations they are a contact of (or that a registration is about to create:
    `user._qa_password_words`, set by the caller)."""
    words: list[str] = []
    for name in ("username", "full_name", "email"):
        value = str(getattr(user, name, "") or "")
        if value:
            words.append(value)
    email = str(getattr(user, "email", "") or "")
    if "@" in email:
        words.append(email.split("@", 1)[0])
    words += [str(w) for w in getattr(user, "_qa_password_words", ()) if w]
    if getattr(user, "pk", None):
        from .models import Individual, Organization, Role

        words += Organization.objects.filter(
            roleassignment__user=user, roleassignment__role=Role.APPLICANT
        ).values_list("name", flat=True)
        words += [
            w
            for pair in Individual.objects.filter(user=user).values_list("name", "employer_name")
            for w in pair
            if w
        ]
    return words


_WORD_PARTS = re.compile(r"[^0-9a-z\u4e00-\u9fff]+")
_YEARS = re.compile(r"(?:19|20)\d\d")
# What must remain of a password once the person's and the program's words and any year are
# taken out: "Jianghai#Machinery1" (the organization's name) or "Rugao-Quality#2027" score
# well with zxcvbn (long) but are the first guesses of anyone who knows the applicant.
MIN_REMAINDER = 6


def _tokens(words: list[str]) -> list[str]:
    """Each word, its parts (split at spaces, dots, dashes…) and the parts joined, lower case,
    three characters or more, longest first."""
    found: set[str] = set()
    for word in words:
        lowered = word.lower()
        parts = [p for p in _WORD_PARTS.split(lowered) if p]
        found.update([lowered, "".join(parts), *parts])
    return sorted((t for t in found if len(t) >= 3), key=len, reverse=True)


def remainder(password: str, words: list[str]) -> str:
    """`password` without the given words and without years (case-insensitive)."""
    rest = password.lower()
    for token in _tokens(words):
        rest = rest.replace(token, "")
    return _YEARS.sub("", rest)


class StrengthValidator:
    """zxcvbn's estimate of the guesses needed: score ≥ `min_score` (0 to 4; default
    settings.PASSWORD_MIN_SCORE, 3); and at least MIN_REMAINDER characters that are not the
    person's or the program's words or a year."""

    def __init__(self, min_score: int | None = None) -> None:
        self._min_score = min_score

    @property
    def min_score(self) -> int:
        if self._min_score is not None:
            return self._min_score
        from django.conf import settings

        return int(getattr(settings, "PASSWORD_MIN_SCORE", 3))

    def validate(self, password: str, user: Any = None) -> None:
        from zxcvbn import zxcvbn

        if _seeding.get():
            return
        inputs = [*PROGRAM_WORDS, *(user_words(user) if user is not None else [])]
        own_words = len(remainder(password, inputs)) < MIN_REMAINDER
        result = zxcvbn(password[:ESTIMATE_CHARS], user_inputs=_tokens(inputs))
        if result["score"] >= self.min_score and not own_words:
            return
        reasons = []
        if own_words or any(
            m.get("dictionary_name") == "user_inputs" for m in result.get("sequence", [])
        ):
            reasons.append(OWN_WORDS)
        warning = WARNINGS.get(str(result["feedback"].get("warning") or "").rstrip("."))
        if warning and warning not in reasons:
            reasons.append(warning)
        raise ValidationError(
            "密码太容易被猜到。" + "".join(reasons) + HINT, code="password_too_weak"
        )

    def get_help_text(self) -> str:
        return "密码不能容易被猜到：不要使用用户名、姓名、单位名称、年份或常见单词。"


class HistoryValidator:
    """None of the last `count` passwords (default settings.PASSWORD_HISTORY, 5), the current
    one included."""

    def __init__(self, count: int | None = None) -> None:
        self._count = count

    @property
    def count(self) -> int:
        if self._count is not None:
            return self._count
        from django.conf import settings

        return int(getattr(settings, "PASSWORD_HISTORY", 5))

    def validate(self, password: str, user: Any = None) -> None:
        from django.contrib.auth.hashers import check_password

        if user is None or not getattr(user, "pk", None) or _seeding.get():
            return
        from .models import PasswordHistory

        hashes = [user.password] if user.password else []
        hashes += PasswordHistory.objects.filter(user=user).values_list("password", flat=True)[
            : self.count
        ]
        # The current hash is also the newest history row: each checked once.
        for encoded in dict.fromkeys(hashes[: self.count + 1]):
            if check_password(password, encoded):
                raise ValidationError(
                    f"不能使用最近{self.count}次用过的密码（含当前密码），请换一个新密码。",
                    code="password_reused",
                )

    def get_help_text(self) -> str:
        return f"不能使用最近{self.count}次用过的密码。"
