"""The one access check point. Every selector, API handler and view goes through `restrict` or `require`.

A role assignment gives a set of actions over an area subtree (its materialised path prefix). Residents get
"view" over their own household only. An object outside the actor's scope is indistinguishable from a missing
one (NotVisible, a 404); an object in view but not in reach of the action is NotPermitted (a 403).
"""

from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from inminban.common.errors import NotPermitted, NotVisible

from .models import Area, Role, RoleAssignment

VIEW = "view"
CHANGE = "change"
AUDIT = "audit"
MANAGE_AREAS = "manage_areas"
REDEEM = "redeem"  # hand out what a voucher entitles at a counter
SCHOOL_CLEARANCE = "school_clearance"  # ask for a child's school enrolment clearance
ENLISTMENT_CLEARANCE = "enlistment_clearance"  # ask for a young adult's enlistment clearance
HEALTH = "health"  # record health checks and read their values

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset({VIEW, CHANGE, AUDIT, MANAGE_AREAS}),
    Role.OFFICER: frozenset({VIEW, CHANGE, MANAGE_AREAS}),
    Role.LEADER: frozenset({VIEW, CHANGE}),
    Role.AUDITOR: frozenset({VIEW, AUDIT}),
    # Counter clerks, school clerks and recruitment officers see no registry records: only what their one task needs
    # (a voucher's household and what is left of it; a person's clearance and what it lacks), through selectors that
    # restrict by these actions.
    Role.CLERK: frozenset({REDEEM}),
    Role.SCHOOL_CLERK: frozenset({SCHOOL_CLEARANCE}),
    Role.RECRUITER: frozenset({ENLISTMENT_CLEARANCE}),
    # Health workers see no registry records beyond who lives where in their area (to pick whom they check) and the
    # checks themselves; nobody else but the person and auditors sees a check's values.
    Role.HEALTH_WORKER: frozenset({HEALTH}),
}


@dataclass(frozen=True)
class Scope:
    """What one actor may do, worked out once per request."""

    user_id: int | None
    is_admin: bool = False
    paths: dict[str, tuple[str, ...]] = field(default_factory=dict)  # action -> area path prefixes
    household_ids: tuple[int, ...] = ()  # residents: their own households
    home_household_ids: tuple[int, ...] = ()  # where the user lives: residents' and linked leaders' households
    person_ids: tuple[int, ...] = ()  # residents: the persons their accounts are linked to
    roles: frozenset[str] = frozenset()

    def prefixes(self, action: str) -> tuple[str, ...]:
        return self.paths.get(action, ())

    def allows_area(self, action: str, area: Area) -> bool:
        return self.is_admin or any(area.path.startswith(prefix) for prefix in self.prefixes(action))


def active_assignments(user, on: date | None = None) -> QuerySet[RoleAssignment]:
    on = on or timezone.localdate()
    return (
        RoleAssignment.objects.filter(user=user, since__lte=on)
        .filter(Q(until__isnull=True) | Q(until__gt=on))
        .select_related("area", "person")
    )


def scope_for(actor) -> Scope:
    """The actor's scope, cached on the user object for the length of the request."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return Scope(user_id=None)
    cached = getattr(actor, "_inminban_scope", None)
    if cached is not None:
        return cached
    paths: dict[str, set[str]] = {}
    household_ids: set[int] = set()
    home_household_ids: set[int] = set()
    person_ids: set[int] = set()
    roles: set[str] = set()
    is_admin = actor.is_superuser
    for assignment in active_assignments(actor):
        roles.add(assignment.role)
        if assignment.role == Role.ADMIN:
            is_admin = True
        if assignment.role == Role.RESIDENT:
            person_ids.add(assignment.person_id)
            if assignment.person.household_id:
                household_ids.add(assignment.person.household_id)
            continue
        if assignment.role == Role.LEADER and assignment.person_id and assignment.person.household_id:
            # A leader is also a resident of the unit: /my-household/ shows their own household. It stays out of
            # household_ids, which means "acts as a resident" (a leader records for their household as leader).
            home_household_ids.add(assignment.person.household_id)
        for action in ROLE_ACTIONS.get(assignment.role, ()):
            paths.setdefault(action, set()).add(assignment.area.path)
    scope = Scope(
        user_id=actor.pk,
        is_admin=is_admin,
        paths={action: tuple(sorted(prefixes)) for action, prefixes in paths.items()},
        household_ids=tuple(sorted(household_ids)),
        home_household_ids=tuple(sorted(household_ids | home_household_ids)),
        person_ids=tuple(sorted(person_ids)),
        roles=frozenset(roles | ({Role.ADMIN} if is_admin else set())),
    )
    actor._inminban_scope = scope
    return scope


def forget_scope(actor) -> None:
    """Drop the cached scope after the actor's role assignments changed."""
    if hasattr(actor, "_inminban_scope"):
        del actor._inminban_scope


def subtree_q(path_field: str, prefix: str) -> Q:
    """Rows whose area path lies under `prefix` (which ends with '/').

    On SQLite a LIKE never uses an index (unless case-insensitive), so the subtree becomes the equivalent byte range
    [prefix, prefix with its final '/' replaced by '0'), which is an index search. PostgreSQL keeps LIKE, served by
    the varchar_pattern_ops index; a range there would depend on the collation."""
    if connection.vendor == "sqlite":
        return Q(**{f"{path_field}__gte": prefix, f"{path_field}__lt": prefix[:-1] + chr(ord(prefix[-1]) + 1)})
    return Q(**{f"{path_field}__startswith": prefix})


def _scope_q(model: type[Model], scope: Scope, action: str) -> Q | None:
    """A filter for what `scope` may do with rows of `model`; None means everything."""
    if scope.is_admin:
        return None
    # e.g. "unit", "household__unit", "" for Area itself, or a tuple when either of two areas grants access
    area_lookups = model.scope_area_lookup
    if isinstance(area_lookups, str):
        area_lookups = (area_lookups,)
    q = Q(pk__in=[])
    for area_lookup in area_lookups:
        path_field = f"{area_lookup}__path" if area_lookup else "path"
        for prefix in scope.prefixes(action):
            q |= subtree_q(path_field, prefix)
    household_lookup = getattr(model, "scope_household_lookup", None)
    if action == VIEW and scope.household_ids and household_lookup is not None:
        # A subquery, not a join: a join through a reverse relation (dwelling -> households) would repeat rows.
        own = model.objects.filter(**{f"{household_lookup}__in": scope.household_ids}).values("pk")
        q |= Q(pk__in=own)
    return q


def restrict(queryset: QuerySet, actor, action: str = VIEW) -> QuerySet:
    """The rows of `queryset` that `actor` may see (or act on, for other actions)."""
    scope = scope_for(actor)
    if scope.user_id is None:
        return queryset.none()
    q = _scope_q(queryset.model, scope, action)
    return queryset if q is None else queryset.filter(q)


def get_visible(actor, queryset_or_model, pk) -> Model:
    """The object with this key if the actor may see it; otherwise NotVisible (answered as 404)."""
    queryset = queryset_or_model if isinstance(queryset_or_model, QuerySet) else queryset_or_model.objects.all()
    try:
        return restrict(queryset, actor, VIEW).get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise NotVisible(f"{queryset.model.__name__} {pk} not found") from None


def can(actor, action: str, area: Area) -> bool:
    return scope_for(actor).allows_area(action, area)


def require(actor, action: str, area: Area) -> None:
    """Raise unless the actor may do `action` in `area`: NotVisible if they cannot even see it."""
    scope = scope_for(actor)
    if scope.allows_area(action, area):
        return
    if scope.allows_area(VIEW, area):
        raise NotPermitted(f"not allowed to {action} in {area.code}")
    raise NotVisible(f"area {area.code} not found")


def require_any(actor, action: str) -> None:
    """Raise NotPermitted unless the actor may do `action` somewhere: a read-only account (auditor, resident)
    is told 403 for any write before the request's content is looked at."""
    scope = scope_for(actor)
    if not (scope.is_admin or scope.prefixes(action)):
        raise NotPermitted(f"not allowed to {action} anywhere")


def require_household(actor, action: str, household) -> None:
    """Like `require`, but a resident may view their own household."""
    scope = scope_for(actor)
    if action == VIEW and household.pk in scope.household_ids:
        return
    require(actor, action, household.unit)
