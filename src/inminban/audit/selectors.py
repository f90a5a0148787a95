"""Reads of the audit and access logs, always scoped to the actor.

The audit log is scoped by the entry's `area_path` (where the change happened): an auditor sees the entries under
the areas they audit, an administrator sees everything. A household's own entries (and who read its records) are
visible to whoever may view that household, residents included: that is the point of the residents' view.
"""

from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from inminban.areas.access import AUDIT, VIEW, require_household, scope_for, subtree_q
from inminban.areas.models import Area
from inminban.common.errors import NotVisible

from .models import AccessLogEntry, AuditEntry


def can_read_audit_log(actor) -> bool:
    """Whether the actor may open the audit log at all (auditors and administrators)."""
    scope = scope_for(actor)
    return scope.is_admin or bool(scope.prefixes(AUDIT))


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_entries_visible(
    *,
    actor,
    action: str = "",
    actor_name: str = "",
    target_type: str = "",
    target_id: str = "",
    since: date | None = None,
    until: date | None = None,
    area: Area | None = None,
) -> QuerySet[AuditEntry]:
    """Entries in the actor's AUDIT scope, newest first, narrowed by the optional filters.

    `until` is inclusive (the whole day). `area` narrows to that subtree; it must lie in the actor's audit scope,
    otherwise NotVisible, like any other object outside scope."""
    scope = scope_for(actor)
    if scope.user_id is None or not can_read_audit_log(actor):
        raise NotVisible("audit log not found")
    entries = AuditEntry.objects.order_by("-seq")
    if not scope.is_admin:
        q = Q(pk__in=[])
        for prefix in scope.prefixes(AUDIT):
            q |= subtree_q("area_path", prefix)
        entries = entries.filter(q)
    if area is not None:
        if not scope.allows_area(AUDIT, area):
            raise NotVisible(f"area {area.code} not found")
        entries = entries.filter(subtree_q("area_path", area.path))
    if action:
        entries = entries.filter(action__startswith=action)
    if actor_name:
        entries = entries.filter(actor_name__iexact=actor_name)
    if target_type:
        entries = entries.filter(target_type=target_type)
    if target_id:
        entries = entries.filter(target_id=target_id)
    if since is not None:
        entries = entries.filter(at__gte=_start_of(since))
    if until is not None:
        entries = entries.filter(at__lt=_start_of(until + timedelta(days=1)))
    return entries


def household_audit_entries(*, actor, household) -> QuerySet[AuditEntry]:
    """The changes concerning one household, newest first, for anyone who may view the household."""
    require_household(actor, VIEW, household)
    return AuditEntry.objects.filter(household_id=household.pk).order_by("-seq")


def person_audit_entries(*, actor, person) -> QuerySet[AuditEntry]:
    """The changes to one person and to their memberships, jobs and declared incomes, newest first."""
    if person.household is not None:
        require_household(actor, VIEW, person.household)
    elif not scope_for(actor).is_admin:  # a person with no household is in no one's area but the administrators'
        raise NotVisible(f"person {person.pk} not found")
    targets = Q(target_type="registry.person", target_id=str(person.pk))
    for target_type, related in (
        ("registry.membership", person.memberships),
        ("registry.occupation", person.occupations),
        ("registry.declaredincome", person.incomes),
    ):
        ids = [str(pk) for pk in related.values_list("pk", flat=True)]
        if ids:
            targets |= Q(target_type=target_type, target_id__in=ids)
    return AuditEntry.objects.filter(targets).order_by("-seq")


def access_log_for_household(*, actor, household) -> QuerySet[AccessLogEntry]:
    """Who read this household's records or one of its members' records, newest first."""
    require_household(actor, VIEW, household)
    return AccessLogEntry.objects.filter(household=household).select_related("person").order_by("-at", "-id")
