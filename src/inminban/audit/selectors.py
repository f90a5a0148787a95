"""Reads of the audit and access logs, always scoped to the actor.

The audit log is scoped by the entry's `area_path` (where the change happened): an auditor sees the entries under
the areas they audit, an administrator sees everything. A household's own entries (and who read its records) are
visible to whoever may view that household, residents included: that is the point of the residents' view.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from inminban.areas.access import AUDIT, VIEW, require_household, scope_for, subtree_q
from inminban.areas.models import Area
from inminban.common.errors import NotVisible

from .models import AccessLogEntry, AuditEntry
from .people import person_words, role_assignments_of


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


@dataclass
class Viewer:
    """One person (in one role) who read a household's records: how often this month and in all, when last, and
    their latest reads (what they opened, when, through which channel)."""

    who: str
    this_month: int
    total: int
    last_at: datetime
    reads: list[AccessLogEntry] = field(default_factory=list)


@dataclass
class AccessSummary:
    """Who read a household's records, grouped by viewer, the most frequent this month first."""

    viewers: list[Viewer]
    month_start: date
    this_month: int
    total: int


SUMMARY_READS_PER_VIEWER = 10


def access_summary_for_household(actor, household, *, now: datetime | None = None) -> AccessSummary:
    """The access log of one household (its members' records included) summarised by viewer, by name and role,
    never by user name. The actor's own reads are left out: a resident's visits would bury everyone else's."""
    require_household(actor, VIEW, household)
    now = timezone.localtime(now or timezone.now())
    month_start = now.date().replace(day=1)
    reads = AccessLogEntry.objects.filter(household=household).exclude(actor_id=actor.pk)
    in_month = Count("id", filter=Q(at__gte=_start_of(month_start)))
    groups = list(
        reads.values("actor_id")
        .annotate(total=Count("id"), this_month=in_month, last_at=Max("at"))
        .order_by("-this_month", "-last_at")
    )
    assignments = role_assignments_of(group["actor_id"] for group in groups)
    viewers = {
        group["actor_id"]: Viewer(
            who=person_words(group["actor_id"], group["last_at"], assignments),
            this_month=group["this_month"],
            total=group["total"],
            last_at=group["last_at"],
        )
        for group in groups
    }
    # The latest reads of each viewer: one query per viewer, and only a handful of viewers read one household.
    for actor_id, viewer in viewers.items():
        latest = reads.filter(actor_id=actor_id).select_related("person").order_by("-at", "-id")
        viewer.reads = list(latest[:SUMMARY_READS_PER_VIEWER])
    return AccessSummary(
        viewers=list(viewers.values()),
        month_start=month_start,
        this_month=sum(viewer.this_month for viewer in viewers.values()),
        total=sum(viewer.total for viewer in viewers.values()),
    )
