"""Accounts: administrators created with a strong password, login lockouts recorded and lifted; accounts created
by officers for their area, one-time password codes, password changes, and the sessions and tokens of one's own.

Lockouts themselves are django-axes' (settings: AXES_*): after INMINBAN_LOGIN_FAILURE_LIMIT wrong passwords for one
account, or from one address, logins to that account or from that address are refused for
INMINBAN_LOGIN_LOCKOUT_MINUTES, the right password included. These services write the audit entries around them."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from inminban.api.models import ApiToken
from inminban.api.tokens import token_revoke
from inminban.areas.access import MANAGE_AREAS, require_any, scope_for
from inminban.areas.models import Area, Office, RoleAssignment
from inminban.areas.services import role_assign, role_end
from inminban.audit.services import audit_record
from inminban.common.errors import DomainError, NotPermitted

from .models import LoginSession, PasswordCode
from .selectors import account_manageable

# A code given on paper or by phone: long enough not to be guessed within the login lockout's limit, short enough to
# type. No 0/O, 1/I/L: they are misread.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_GROUPS, CODE_GROUP_LENGTH = 3, 4
CODE_LIFETIME = timedelta(days=3)


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


# Accounts made by officers and administrators --------------------------------------------------------------------


def _code_hash(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def normalise_code(code: str) -> str:
    """A code as typed: spaces, dashes and case do not matter."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def _new_code() -> str:
    groups = ("".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUP_LENGTH)) for _ in range(CODE_GROUPS))
    return "-".join(groups)


def _issue_code(*, actor: User, user: User) -> str:
    """A new one-time code for `user` (any open one is void), their password made unusable and sessions ended."""
    now = timezone.now()
    PasswordCode.objects.filter(user=user, used_at=None, voided_at=None).update(voided_at=now)
    code = _new_code()
    PasswordCode.objects.create(
        user=user, code_hash=_code_hash(code), issued_by=actor, issued_at=now, expires_at=now + CODE_LIFETIME
    )
    user.set_unusable_password()
    user.save(update_fields=["password"])
    _end_sessions(user)
    return code


def _end_sessions(user: User, *, keep: str | None = None) -> int:
    keys = LoginSession.objects.filter(user=user).exclude(session_key=keep or "").values_list("session_key", flat=True)
    keys = list(keys)
    Session.objects.filter(session_key__in=keys).delete()
    LoginSession.objects.filter(session_key__in=keys).delete()
    return len(keys)


def _check_username(username: str) -> str:
    username = (username or "").strip()
    if not username:
        raise DomainError("username", "Give a user name.")
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError("username", "There is already an account with this user name.")
    return username


def _check_new_password(user: User, password: str, again: str) -> None:
    if not password:
        raise DomainError("new_password", "Give a new password.")
    if password != again:
        raise DomainError("new_password_again", "The two passwords differ.")
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise DomainError("new_password", " ".join(error.messages), code="weak_password") from error


@transaction.atomic
def account_create(
    *,
    actor: User,
    username: str,
    name: str = "",
    role: str,
    area: Area | None = None,
    office: Office | None = None,
    person=None,
    since: date | None = None,
) -> tuple[User, str]:
    """A new account with its first role, which places it in an area: an officer creates accounts only for roles
    within their office's area. Returns the account and its one-time code, with which its holder sets a password."""
    require_any(actor, MANAGE_AREAS)
    username = _check_username(username)
    name = (name or "").strip()
    if len(name) > 150:
        raise DomainError("name", "At most 150 characters.")
    user = User(username=username, first_name=name)
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise DomainError("username" if field == "username" else "name", " ".join(messages)) from error
    user.set_unusable_password()
    user.save()
    audit_record(
        actor=actor, action="account.create", target=user, after={"username": user.username, "name": user.first_name}
    )
    role_assign(actor=actor, user=user, role=role, area=area, office=office, person=person, since=since)
    code = _issue_code(actor=actor, user=user)
    return user, code


def _require_manage(actor: User, user: User) -> None:
    if not account_manageable(actor=actor, user=user):
        raise NotPermitted("the account holds roles outside your area")


@transaction.atomic
def account_password_reset(*, actor: User, user: User) -> str:
    """A one-time code for someone who cannot log in: their password stops working, their sessions end, and with
    the code (shown once, to the issuer) they set a new one. An officer may do this only for accounts whose every
    current role lies within their area."""
    _require_manage(actor, user)
    if user.pk == actor.pk:
        raise DomainError("user", "Change your own password on the Your account page.")
    code = _issue_code(actor=actor, user=user)
    # A reset is often asked for because the password leaked: the account's API tokens stop working with it.
    tokens_revoked = ApiToken.objects.filter(user=user, revoked_at=None).update(revoked_at=timezone.now())
    audit_record(
        actor=actor,
        action="account.password_reset",
        target=user,
        after={
            "username": user.username,
            "code_expires_at": timezone.now() + CODE_LIFETIME,
            "tokens_revoked": tokens_revoked,
        },
    )
    return code


@transaction.atomic
def password_set_with_code(*, username: str, code: str, new_password: str, new_password_again: str) -> User:
    """The holder of a one-time code sets their password. The code works once and only before it expires; a wrong
    code or user name gets the same answer (the view counts it as a failed login, so guessing is locked out)."""
    invalid = DomainError("code", "This code is not valid for this user name. Ask for a new code.")
    user = User.objects.filter(username=(username or "").strip(), is_active=True).first()
    open_code = None
    if user is not None:
        open_code = (
            PasswordCode.objects.select_for_update()
            .filter(user=user, used_at=None, voided_at=None, expires_at__gt=timezone.now())
            .first()
        )
    if open_code is None or not hmac.compare_digest(open_code.code_hash, _code_hash(code)):
        raise invalid
    _check_new_password(user, new_password, new_password_again)
    open_code.used_at = timezone.now()
    open_code.save(update_fields=["used_at"])
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit_record(actor=user, action="account.password_set", target=user, after={"username": user.username})
    return user


@transaction.atomic
def password_change(
    *, actor: User, current_password: str, new_password: str, new_password_again: str, keep_session: str | None
) -> User:
    """Change one's own password. Every other session of the account ends; `keep_session` (this one) stays."""
    if not actor.check_password(current_password or ""):
        raise DomainError("current_password", "The current password is not right.")
    _check_new_password(actor, new_password, new_password_again)
    if new_password == current_password:
        raise DomainError("new_password", "The new password must differ from the current one.")
    actor.set_password(new_password)
    actor.save(update_fields=["password"])
    ended = _end_sessions(actor, keep=keep_session)
    audit_record(
        actor=actor,
        action="account.password_change",
        target=actor,
        after={"username": actor.username, "sessions_ended": ended},
    )
    return actor


@transaction.atomic
def account_role_assign(*, actor: User, user: User, **role) -> RoleAssignment:
    """Give an account a role (areas.services.role_assign), when the account is one the actor may manage."""
    _require_manage(actor, user)
    return role_assign(actor=actor, user=user, **role)


@transaction.atomic
def account_role_end(*, actor: User, user: User, assignment: RoleAssignment, until: date | None = None):
    """End one of an account's roles (areas.services.role_end), when the account is one the actor may manage."""
    _require_manage(actor, user)
    if assignment.user_id != user.pk:
        raise DomainError("assignment", "This role is not this account's.")
    return role_end(actor=actor, assignment=assignment, until=until)


# One's own sessions and tokens -----------------------------------------------------------------------------------


@transaction.atomic
def session_record(*, user: User, session_key: str, address: str | None, user_agent: str) -> LoginSession:
    """Note a new login (not audited: logins are django-axes' business). The user's rows for sessions that have
    ended meanwhile go."""
    now = timezone.now()
    live = Session.objects.filter(expire_date__gt=now).values("session_key")
    LoginSession.objects.filter(user=user).exclude(session_key__in=live).delete()
    LoginSession.objects.filter(session_key=session_key).delete()
    return LoginSession.objects.create(
        user=user, session_key=session_key, created_at=now, address=address or None, user_agent=user_agent[:255]
    )


def session_forget(*, session_key: str | None) -> None:
    """A logout: its row goes with the session."""
    if session_key:
        LoginSession.objects.filter(session_key=session_key).delete()


@transaction.atomic
def session_end(*, actor: User, session: LoginSession) -> None:
    """End one of one's own sessions (a phone left logged in): it is logged out at its next request."""
    if session.user_id != actor.pk:
        raise NotPermitted("not your session")
    Session.objects.filter(session_key=session.session_key).delete()
    LoginSession.objects.filter(pk=session.pk).delete()
    audit_record(
        actor=actor,
        action="session.end",
        target=session,
        before={"created_at": session.created_at, "address": session.address},
    )


@transaction.atomic
def account_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """Revoke one of one's own API tokens (api.tokens.token_revoke, audited there)."""
    if token.user_id != actor.pk and not scope_for(actor).is_admin:
        raise NotPermitted("not your token")
    return token_revoke(actor=actor, token=token)
