"""API tokens: created from the CLI (`inminban token create USER`), stored hashed, checked per request."""

import hashlib
import secrets

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from inminban.audit.services import audit_record

from .models import ApiToken

TOKEN_PREFIX = "inb_"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def token_create(*, actor: User | None, user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new token for `user`; returns the record and the token text, which is not stored anywhere."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken.objects.create(user=user, name=name[:64], prefix=token[:8], key_hash=_hash(token))
    audit_record(actor=actor, action="token.create", target=record, after={"user": user.pk, "name": record.name})
    return record, token


def user_for_token(token: str) -> User | None:
    """The active user a token belongs to, or None."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    record = ApiToken.objects.select_related("user").filter(key_hash=_hash(token), revoked_at=None).first()
    if record is None or not record.user.is_active:
        return None
    ApiToken.objects.filter(pk=record.pk).update(last_used_at=timezone.now())
    return record.user


def bearer_token(request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None
