"""What people are told: one notification row per reader, written in one bulk insert per event, read per user.
The wording lives in `wording.NOTIFICATION_TEXTS`, keyed by `kind`, so each reader sees it in their own language.

Call these inside the service's transaction: a notification exists only if the change it tells of does."""

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.utils import timezone

from inminban.areas.models import Area, Role, RoleAssignment
from inminban.common.errors import NotVisible

from .models import Notification


def _active_assignments(on=None) -> QuerySet[RoleAssignment]:
    on = on or timezone.localdate()
    return RoleAssignment.objects.filter(since__lte=on).filter(Q(until__isnull=True) | Q(until__gt=on))


def users_of_households(household_ids: Iterable[int] | QuerySet) -> QuerySet:
    """The ids of the accounts that live in these households: residents, and leaders linked to a person there."""
    return (
        _active_assignments()
        .filter(role__in=[Role.RESIDENT, Role.LEADER], person__household__in=household_ids)
        .values("user_id")
    )


def users_of_unit(unit: Area) -> QuerySet:
    """The ids of the accounts of a unit: its residents and its leader."""
    return (
        _active_assignments()
        .filter(Q(role=Role.RESIDENT, person__household__unit=unit) | Q(role=Role.LEADER, area=unit))
        .values("user_id")
    )


def users_of_office(office) -> QuerySet:
    """The ids of an office's officers."""
    return _active_assignments().filter(role=Role.OFFICER, office=office).values("user_id")


def notify(
    *, users: QuerySet | Iterable[int], kind: str, params: dict | None = None, link: str = "", dedupe_key: str = ""
) -> int:
    """Tell each of `users` (a values("user_id") queryset or ids) about an event; returns how many were told.
    With a `dedupe_key`, a user who already has a notification with that key is not told twice."""
    from .wording import NOTIFICATION_TEXTS

    if kind not in NOTIFICATION_TEXTS:
        raise ValueError(f"unknown notification kind {kind!r}")
    if isinstance(users, QuerySet):
        user_ids = (
            set(users.values_list("user_id", flat=True))
            if users.model is not User
            else set(users.values_list("pk", flat=True))
        )
    else:
        user_ids = set(users)
    if dedupe_key:
        user_ids -= set(
            Notification.objects.filter(user_id__in=user_ids, dedupe_key=dedupe_key).values_list("user_id", flat=True)
        )
    now = timezone.now()
    rows = [
        Notification(user_id=user_id, kind=kind, params=params or {}, link=link, created_at=now, dedupe_key=dedupe_key)
        for user_id in sorted(user_ids)
    ]
    Notification.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def notifications_for(*, actor: User) -> QuerySet[Notification]:
    """The actor's own notifications, newest first."""
    if not getattr(actor, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(user=actor)


def unread_count(*, actor: User) -> int:
    return notifications_for(actor=actor).filter(read_at__isnull=True).count()


def notification_get(*, actor: User, notification_id: int) -> Notification:
    notification = notifications_for(actor=actor).filter(pk=notification_id).first()
    if notification is None:
        raise NotVisible()
    return notification


def notification_mark_read(*, actor: User, notification: Notification | None = None) -> int:
    """Mark one notification (or all of the actor's) as read. Reading is not audited: it changes nothing of record."""
    queryset = notifications_for(actor=actor).filter(read_at__isnull=True)
    if notification is not None:
        queryset = queryset.filter(pk=notification.pk)
    return queryset.update(read_at=timezone.now())
