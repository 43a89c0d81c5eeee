"""API tokens: issued, checked and revoked here.

A token is 256 random bits shown once; the database keeps only its SHA-256, so a copy of
the table (a backup, a read-only leak) holds no usable key. A plain hash is enough for a
random key of that length (nothing to guess); a slow password hash would only cost every
request. Whether the owner proved their second factor is decided by the caller (the
token request or the session) through casefiles.authpolicy.
"""

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from casefiles.domain.actors import TOKEN_SCOPES
from casefiles.errors import InvalidCommand, NotFound, PermissionDenied
from casefiles.models import ApiToken

# last_used_at is written at most this often per token: idle expiry is that coarse, and
# a busy script does not turn every read into a write.
TOUCH_EVERY = timedelta(seconds=60)


def now() -> datetime:
    """The clock of token lifetimes (tests replace it)."""
    return timezone.now()


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def idle_limit() -> timedelta:
    return timedelta(seconds=settings.API_TOKEN_IDLE_SECONDS)


def idle_expires_at(token: ApiToken) -> datetime:
    return min(token.expires_at, token.last_used_at + idle_limit())


def token_issue(
    *, user: User, scope: str = ApiToken.WRITE, name: str = "", issued_with: str
) -> tuple[ApiToken, str]:
    """A new token for `user`: the row and the key (returned this once, never stored)."""
    if scope not in TOKEN_SCOPES:
        raise InvalidCommand(f"scope must be one of {', '.join(TOKEN_SCOPES)}")
    if not user.is_active:
        raise PermissionDenied(f"user {user.get_username()} is deactivated")
    key = secrets.token_urlsafe(32)
    issued = now()
    token = ApiToken.objects.create(
        id=uuid.uuid4(),
        user=user,
        key_hash=key_hash(key),
        prefix=key[:8],
        name=(name or "").strip()[:100],
        scope=scope,
        issued_with=issued_with,
        created_at=issued,
        last_used_at=issued,
        expires_at=issued + timedelta(seconds=settings.API_TOKEN_MAX_AGE_SECONDS),
    )
    return token, key


def token_check(key: str) -> ApiToken:
    """The live token for `key`, its use recorded; PermissionDenied saying why not."""
    token = ApiToken.objects.select_related("user").filter(key_hash=key_hash(key)).first()
    if token is None:
        raise PermissionDenied("invalid token")
    at = now()
    if token.revoked_at is not None:
        raise PermissionDenied("this token was revoked")
    if at >= token.expires_at:
        raise PermissionDenied("this token expired (it reached its maximum age); request a new one")
    if at >= token.last_used_at + idle_limit():
        raise PermissionDenied("this token expired (unused for too long); request a new one")
    if not token.user.is_active:
        raise PermissionDenied(f"user {token.user.get_username()} is deactivated")
    if at - token.last_used_at >= TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=at)
        token.last_used_at = at
    return token


def live_tokens(user: User) -> list[ApiToken]:
    """The user's tokens that still work (newest first)."""
    at = now()
    return [
        token
        for token in ApiToken.objects.filter(
            user=user,
            revoked_at__isnull=True,
            expires_at__gt=at,
            last_used_at__gt=at - idle_limit(),
        )
    ]


def token_revoke(*, token_id: uuid.UUID | str, by: User) -> ApiToken:
    """Revoke a token: its owner may, and an administrator (a superuser) may revoke any.
    Someone else's token is NotFound, so its existence is not disclosed."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id).first()
        if token is None or not (token.user_id == by.pk or by.is_superuser):
            raise NotFound(f"no token {token_id}")
        if token.revoked_at is None:
            token.revoked_at = now()
            token.revoked_by = by.get_username()
            token.save(update_fields=["revoked_at", "revoked_by"])
        return token
