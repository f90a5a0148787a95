"""API tokens: created and revoked from the CLI (`inminban token create USER`, `token revoke ID`), stored hashed,
checked per request. A token expires INMINBAN_TOKEN_LIFETIME_DAYS after it was created."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from inminban.audit.services import audit_record
from inminban.common.database import write_unless_busy
from inminban.common.errors import DomainError

from .models import ApiToken

TOKEN_PREFIX = "inb_"
# A token's last use is written at most this often: a read must not need the write lock on every request.
LAST_USED_EVERY = timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def token_create(*, actor: User | None, user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new token for `user`; returns the record and the token text, which is not stored anywhere."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken.objects.create(user=user, name=name[:64], prefix=token[:8], key_hash=_hash(token))
    audit_record(actor=actor, action="token.create", target=record, after={"user": user.pk, "name": record.name})
    return record, token


def token_lifetime() -> timedelta:
    return timedelta(days=settings.TOKEN_LIFETIME_DAYS)


def token_expires_at(record: ApiToken):
    return record.created_at + token_lifetime()


@transaction.atomic
def token_revoke(*, actor: User | None, token: ApiToken) -> ApiToken:
    """Revoke a token: from now on it answers 401. A token already revoked stays as it was."""
    if token.revoked_at is not None:
        when = timezone.localtime(token.revoked_at)
        raise DomainError("token", f"Token {token.pk} was already revoked on {when:%Y-%m-%d %H:%M}.")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="token.revoke",
        target=token,
        before={"revoked_at": None},
        after={"revoked_at": token.revoked_at, "user": token.user_id, "name": token.name},
    )
    return token


def user_for_token(token: str) -> User | None:
    """The active user a token belongs to, or None (unknown, revoked or expired)."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    now = timezone.now()
    record = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash(token), revoked_at=None, created_at__gt=now - token_lifetime())
        .first()
    )
    if record is None or not record.user.is_active:
        return None
    if record.last_used_at is None or record.last_used_at <= now - LAST_USED_EVERY:
        # Bookkeeping, not worth a wait: while a bulk write holds SQLite's lock it is skipped, and done next time.
        write_unless_busy(lambda: ApiToken.objects.filter(pk=record.pk).update(last_used_at=now))
    return record.user


def bearer_token(request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None
