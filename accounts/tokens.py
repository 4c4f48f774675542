"""API tokens: listed and revoked by their owner and by the security administrator (issue 15,
part 4; GB/T 22239-2019 8.1.4.1; OWASP ASVS 5.0 V7.4 session termination).

Signing out of the web pages revokes all of the user's tokens (reason 退出登录); `DELETE
/api/v1/auth/token` ends the one presented. Revoking deletes the row (only its SHA-256 was
stored) and writes an `accounts.token.revoke` event naming the token, never its key.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from audit.services import record
from lib.errors import PermissionDenied, ServiceError

from .models import ApiToken, Role, User


def token_expiry(user: User) -> dt.datetime:
    """A token lasts `API_TOKEN_HOURS`; an administrator's no longer than their session may
    (`SESSION_ABSOLUTE_HOURS_ADMIN`)."""
    from .middleware import is_administrator

    hours = settings.API_TOKEN_HOURS
    if is_administrator(user):
        hours = min(hours, settings.SESSION_ABSOLUTE_HOURS_ADMIN)
    return timezone.now() + dt.timedelta(hours=hours)


def live_tokens() -> QuerySet[ApiToken]:
    """Tokens that still authenticate (an expired row is no credential: never listed)."""
    return ApiToken.objects.filter(expires_at__gt=timezone.now(), user__is_active=True)


def tokens_of(user: User) -> QuerySet[ApiToken]:
    """The user's live tokens, newest first."""
    return live_tokens().filter(user=user).order_by("-created_at", "-pk")


def may_revoke(actor: User, token: ApiToken) -> bool:
    return actor.has_perm("accounts.revoke_token", token)


def _event(actor: User | None, token: ApiToken, reason: str) -> None:
    own = actor is not None and actor.pk == token.user_id
    record(
        actor=actor,
        role="self" if own else (Role.SECADMIN if actor is not None else "system"),
        action="accounts.token.revoke",
        obj=token.user,
        before={
            "token": token.pk,
            "created_at": token.created_at,
            "expires_at": token.expires_at,
            "last_used_at": token.last_used_at,
        },
        reason=reason,
    )


def revoke_token(*, actor: User, token: ApiToken, reason: str = "") -> None:
    """Revoke one token: its owner, or the security administrator (with a reason).

    Side effects: the row is deleted and an `accounts.token.revoke` event written. Refusals:
    403 for anyone else (the API answers 404 before asking, so nobody learns of another's
    token); 409 when it was revoked meanwhile.
    """
    if not may_revoke(actor, token):
        raise PermissionDenied()
    own = actor.pk == token.user_id
    if not own and not reason.strip():
        raise ServiceError("注销他人的令牌须填写理由。", fields={"reason": ["请填写理由"]})
    with transaction.atomic():
        deleted, _ = ApiToken.objects.filter(pk=token.pk).delete()
        if not deleted:
            raise ServiceError("该令牌已被注销。", code="state_conflict", status=409)
        _event(actor, token, reason.strip())


def revoke_tokens(*, actor: User | None, user: User, reason: str, keep_hash: str = "") -> int:
    """Revoke every token of `user` (but the one whose hash is `keep_hash`: the token a password
    change by the API was made with): the security administrator, the owner, or the system.
    Returns how many were revoked; one event each."""
    if actor is not None and actor.pk != user.pk and not actor.has_perm("accounts.manage_tokens"):
        raise PermissionDenied()
    if actor is not None and actor.pk != user.pk and not reason.strip():
        raise ServiceError("注销他人的令牌须填写理由。", fields={"reason": ["请填写理由"]})
    with transaction.atomic():
        tokens = list(
            ApiToken.objects.select_for_update().filter(user=user).exclude(key_hash=keep_hash)
        )
        ApiToken.objects.filter(pk__in=[t.pk for t in tokens]).delete()
        for token in tokens:
            _event(actor, token, reason.strip())
    return len(tokens)
