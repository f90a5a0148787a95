"""Who is locked out now (django-axes' records of failed logins, read the way its lockout check counts them)."""

from dataclasses import dataclass
from datetime import datetime

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone


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
