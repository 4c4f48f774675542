from __future__ import annotations

from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "用户名或密码错误。连续失败5次，该账号将被锁定30分钟。",
        "inactive": "该账号已停用，请联系系统管理员。",
    }
