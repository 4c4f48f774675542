"""First things first: an account whose password an administrator set changes it before anything
else (issue 15 part 3; GB/T 22239-2019 8.1.4.1 a; OWASP ASVS 5.0 V6.2).

`User.must_change_password` is set when an administrator creates the account (the admin's add
form, `accounts.services.create_user` with an actor) and cleared by
`accounts.services.change_own_password`. While it is set:

- `PasswordChangeGate` (middleware, after authentication) sends a signed-in visitor from any
  page to the change page (the page itself, sign-out and static files stay reachable), and
  answers a session call of the API with 403 `password_change_required`;
- `accounts.api.TokenAuth` answers a bearer call the same, except `POST /api/v1/auth/password`.

Accounts made by the system (the demo, the test personas, self-registration) are not forced.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

CODE = "password_change_required"
MESSAGE = "您的账号由管理员创建，须先修改初始密码，才能使用系统的其他功能。"
API_PASSWORD_PATH = "/api/v1/auth/password"  # noqa: S105  # a URL path, not a secret


def refusal_body() -> dict[str, object]:
    return {"code": CODE, "message": MESSAGE, "article": None, "fields": {}}


def must_change(user: object) -> bool:
    return bool(
        getattr(user, "is_authenticated", False) and getattr(user, "must_change_password", False)
    )


class PasswordChangeGate:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if must_change(request.user) and not self._open(request.path):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    refusal_body(), status=403, json_dumps_params={"ensure_ascii": False}
                )
            return redirect("accounts:password_change")
        return self.get_response(request)

    @staticmethod
    def _open(path: str) -> bool:
        return path in {
            reverse("accounts:password_change"),
            reverse("accounts:logout"),
            API_PASSWORD_PATH,
        } or path.startswith(settings.STATIC_URL or "/static/")
