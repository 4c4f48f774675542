"""The username rule, in one place: every form and service that makes a username checks it here
(both registrations, a contact added by an organization, the admin's add form, `create_user`
and so `manage.py create_account` and the API).

Stricter than Django's UnicodeUsernameValidator (letters of any script, digits, @.+-_, up to
150): a username is typed at every sign-in, read aloud on the phone and shown in the audit
trail, so it is short, ASCII and starts with a letter. Before this rule a username with a space
or "!" reached the model's validation uncaught and answered "Server Error (500)" (fixed in
create_user in issue 15 part 3; the forms now refuse it beside the field first).
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

USERNAME_MIN = 4
USERNAME_MAX = 30
USERNAME_RULE = (
    f"用户名为{USERNAME_MIN}至{USERNAME_MAX}个字符，只能使用英文字母、数字和 _ . - @ "
    "四种符号，并以英文字母开头（如 zhang_wei）。"
)
_USERNAME = re.compile(rf"[A-Za-z][A-Za-z0-9_.@-]{{{USERNAME_MIN - 1},{USERNAME_MAX - 1}}}")


def username_problem(value: str) -> str:
    """Why `value` is not an acceptable username ("" when it is), in Chinese."""
    if not isinstance(value, str) or not value:
        return f"请填写用户名。{USERNAME_RULE}"
    if _USERNAME.fullmatch(value):
        return ""
    if len(value) < USERNAME_MIN or len(value) > USERNAME_MAX:
        return f"用户名长度为{len(value)}个字符，不符合要求。{USERNAME_RULE}"
    bad = next((c for c in value if not re.fullmatch(r"[A-Za-z0-9_.@-]", c)), "")
    if bad:
        shown = "空格" if bad.isspace() else (f"“{bad}”" if bad.isprintable() else "不可见字符")
        return f"用户名不能包含{shown}。{USERNAME_RULE}"
    return f"用户名须以英文字母开头。{USERNAME_RULE}"


def validate_username(value: str) -> None:
    """Django validator: ValidationError with the Chinese rule (code "invalid_username")."""
    problem = username_problem(value)
    if problem:
        raise ValidationError(problem, code="invalid_username")
