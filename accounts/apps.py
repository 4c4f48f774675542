from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "账号与组织"

    def ready(self) -> None:
        # Django announces sign-ins only through these signals; the receivers just write the
        # audit event (no business logic lives in them).
        from django.contrib.auth import signals

        from . import (
            audited,  # noqa: F401  # registers the role grants and checkpoint mail
            services,
            throttling,
            two_factor,  # noqa: F401  # registers the deployment check of the demo's secrets
        )

        def logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
            services.record_login(user=user, channel="web")

        def logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
            services.record_logout(user=user)

        def login_failed(
            sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
        ) -> None:
            channel = "api" if request is not None and request.path.startswith("/api/") else "web"
            services.record_login_failure(
                username=str(credentials.get("username", "")), channel=channel
            )
            throttling.note_failure(request)  # per client address (credential stuffing)

        signals.user_logged_in.connect(logged_in, dispatch_uid="audit_login", weak=False)
        # The session remembers its sign-in time (absolute lifetime, accounts.middleware).
        from .middleware import note_sign_in

        signals.user_logged_in.connect(note_sign_in, dispatch_uid="session_sign_in", weak=False)
        signals.user_logged_out.connect(logged_out, dispatch_uid="audit_logout", weak=False)
        signals.user_login_failed.connect(
            login_failed, dispatch_uid="audit_login_failed", weak=False
        )
