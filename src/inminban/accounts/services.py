"""Accounts: administrators created with a strong password, login lockouts recorded and lifted.

Lockouts themselves are django-axes' (settings: AXES_*): after INMINBAN_LOGIN_FAILURE_LIMIT wrong passwords for one
account, or from one address, logins to that account or from that address are refused for
INMINBAN_LOGIN_LOCKOUT_MINUTES, the right password included. These services write the audit entries around them."""

from dataclasses import dataclass

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from inminban.areas.access import scope_for
from inminban.audit.services import audit_record
from inminban.common.errors import DomainError, NotPermitted


@dataclass(frozen=True)
class LockoutSubject:
    """What a lockout entry in the audit log is about: an account name or an address (neither is a row of ours)."""

    pk: str

    def __str__(self) -> str:
        return self.pk


def _require_admin(actor) -> None:
    """`actor` None is the command line (the machine's operator); anyone else must be an administrator."""
    if actor is not None and not scope_for(actor).is_admin:
        raise NotPermitted("only administrators manage accounts")


@transaction.atomic
def admin_create(*, actor: User | None, username: str, password: str, email: str = "") -> User:
    """A new administrator, whose password must pass every password validator (AUTH_PASSWORD_VALIDATORS)."""
    _require_admin(actor)
    username = username.strip()
    if not username:
        raise DomainError("username", "Give a user name.")
    if User.objects.filter(username=username).exists():
        raise DomainError("username", f"There is already a user named {username!r}.")
    user = User(username=username, email=email.strip(), is_staff=True, is_superuser=True)
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise DomainError(field, " ".join(messages)) from error
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise DomainError("password", " ".join(error.messages), code="weak_password") from error
    user.set_password(password)
    user.save()
    audit_record(
        actor=actor,
        action="account.create_admin",
        target=user,
        after={"username": user.username, "email": user.email, "is_superuser": True},
    )
    return user


@transaction.atomic
def login_lockout_record(*, username: str | None, address: str | None, failures: int) -> None:
    """Audit a new lockout: the account and the address that reached the failure limit, and until when."""
    until = timezone.now() + settings.AXES_COOLOFF_TIME
    subject = f"user:{username}" if username else f"address:{address}"
    audit_record(
        actor=None,
        action="login.lockout",
        target=LockoutSubject(subject),
        target_type="login.lockout",
        after={"username": username, "address": address, "failures": failures, "until": until},
    )


@transaction.atomic
def login_unlock(*, actor: User | None, username: str = "", address: str = "") -> int:
    """Lift the lockout of an account (every address it was tried from) or of an address (every account tried
    from it): their failed logins are forgotten. Returns how many records of failures were removed."""
    _require_admin(actor)
    username, address = username.strip(), address.strip()
    if not username and not address:
        raise DomainError("username", "Name the account or the address to unlock.")
    matching = Q()
    if username:
        matching |= Q(username=username)
    if address:
        matching |= Q(ip_address=address)
    attempts = AccessAttempt.objects.filter(matching)
    failures = sum(attempts.values_list("failures_since_start", flat=True))
    subject = f"user:{username}" if username else f"address:{address}"
    if not failures:
        raise DomainError("username" if username else "address", f"No failed logins are recorded for {subject}.")
    removed, _ = attempts.delete()
    audit_record(
        actor=actor,
        action="login.unlock",
        target=LockoutSubject(subject),
        target_type="login.lockout",
        before={"username": username or None, "address": address or None, "failures": failures},
        after={"username": username or None, "address": address or None, "failures": 0},
    )
    return removed
