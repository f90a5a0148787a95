"""Who is locked out now (django-axes' records of failed logins, read the way its lockout check counts them); the
accounts an officer or administrator manages; one's own sessions and tokens."""

from dataclasses import dataclass
from datetime import datetime

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.db.models import Max, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from inminban.api.models import ApiToken
from inminban.areas.access import MANAGE_AREAS, active_assignments, scope_for, subtree_q
from inminban.areas.models import Area, Office, Role, RoleAssignment
from inminban.common.errors import NotVisible
from inminban.registry.models import Person

from .models import LoginSession, PasswordCode


@dataclass(frozen=True)
class Lockout:
    kind: str  # "account" or "address"
    name: str
    failures: int
    until: datetime


def lockouts_active() -> list[Lockout]:
    """Accounts and addresses with at least AXES_FAILURE_LIMIT failures within the lockout time, newest first."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    recent = AccessAttempt.objects.filter(attempt_time__gte=since)
    found = []
    for kind, field in (("account", "username"), ("address", "ip_address")):
        rows = (
            recent.exclude(**{f"{field}__isnull": True})
            .values(field)
            .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        )
        found += [Lockout(kind, row[field], row["failures"], row["last"] + settings.AXES_COOLOFF_TIME) for row in rows]
    return sorted(found, key=lambda lockout: lockout.until, reverse=True)


# Accounts an officer or administrator manages ---------------------------------------------------------------------


def _in_manage_scope(actor) -> Q | None:
    """Role assignments within the actor's reach to manage (None: all of them, for administrators)."""
    scope = scope_for(actor)
    if scope.is_admin:
        return None
    q = Q(pk__in=[])
    for prefix in scope.prefixes(MANAGE_AREAS):
        q |= subtree_q("area__path", prefix)
    return q


def accounts_visible(*, actor, search: str = "") -> QuerySet[User]:
    """Accounts that hold, or held, a role within the actor's area (every account, for administrators), with their
    role assignments (newest first) prefetched as `assignments`."""
    scope = scope_for(actor)
    if scope.user_id is None:
        return User.objects.none()
    users = User.objects.all()
    q = _in_manage_scope(actor)
    if q is not None:
        users = users.filter(pk__in=RoleAssignment.objects.filter(q).values("user_id"))
    search = (search or "").strip()
    if search:
        linked = RoleAssignment.objects.filter(
            Q(person__family_name__icontains=search)
            | Q(person__given_name__icontains=search)
            | Q(area__code__iexact=search)
        ).values("user_id")
        users = users.filter(Q(username__icontains=search) | Q(first_name__icontains=search) | Q(pk__in=linked))
    assignments = RoleAssignment.objects.select_related("area", "office", "person").order_by("-since", "-pk")
    return users.order_by("username").prefetch_related(Prefetch("role_assignments", assignments, "assignments"))


def account_detail(*, actor, pk) -> User:
    try:
        return accounts_visible(actor=actor).get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError):
        raise NotVisible(f"account {pk} not found") from None


def active_role_assignments(user) -> QuerySet[RoleAssignment]:
    return active_assignments(user).select_related("office").order_by("role", "since")


def account_manageable(*, actor, user) -> bool:
    """Whether the actor may change this account (reset its password, give it roles): administrators any account;
    an officer an account that is no administrator and whose every current role lies within their area."""
    scope = scope_for(actor)
    if scope.is_admin:
        return True
    if scope.user_id is None or not scope.prefixes(MANAGE_AREAS) or user.is_superuser:
        return False
    current = list(active_role_assignments(user))
    if any(assignment.role == Role.ADMIN for assignment in current):
        return False
    in_reach = RoleAssignment.objects.filter(_in_manage_scope(actor), user=user)
    if not current:
        return in_reach.exists()
    return in_reach.filter(pk__in=[assignment.pk for assignment in current]).count() == len(current)


def areas_for_roles(*, actor) -> QuerySet[Area]:
    """Areas in which the actor may give roles."""
    q = _in_manage_scope(actor)
    areas = Area.objects.select_related("level")
    if q is None:
        return areas
    scope = scope_for(actor)
    area_q = Q(pk__in=[])
    for prefix in scope.prefixes(MANAGE_AREAS):
        area_q |= subtree_q("path", prefix)
    return areas.filter(area_q)


def offices_for_roles(*, actor) -> QuerySet[Office]:
    return Office.objects.select_related("area").filter(area__in=areas_for_roles(actor=actor)).order_by("code")


def persons_for_roles(*, actor) -> QuerySet[Person]:
    """Registered persons (living in a household) in the areas where the actor may give roles."""
    return Person.objects.select_related("household__unit").filter(
        household__unit__in=areas_for_roles(actor=actor), status=Person.Status.RESIDENT
    )


# One's own sessions and tokens -----------------------------------------------------------------------------------


def sessions_active(*, actor) -> QuerySet[LoginSession]:
    live = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    return LoginSession.objects.filter(user=actor, session_key__in=live)


def tokens_of(*, actor) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=actor).order_by("-created_at", "-pk")


def password_code_open(*, user) -> PasswordCode | None:
    """The account's one-time code not yet used nor replaced, if any (its hash and dates, never the code)."""
    return PasswordCode.objects.filter(user=user, used_at=None, voided_at=None).first()
