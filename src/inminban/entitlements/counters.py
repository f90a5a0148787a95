"""Distribution counters and their clerks: who works at which counter, and who may act for it."""

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from inminban.areas.access import MANAGE_AREAS, require, restrict, scope_for
from inminban.areas.models import Area, Office, Role
from inminban.areas.services import role_assign
from inminban.audit.services import audit_record
from inminban.common.errors import DomainError, NotVisible

from .models import Counter, CounterClerk
from .services import text_value

COUNTER_FIELDS = ("office", "area", "code", "name_ko", "name_en", "address", "opening_hours", "active")


@transaction.atomic
def counter_create(
    *,
    actor: User,
    office: Office,
    area: Area,
    code: str,
    name_ko: str = "",
    name_en: str = "",
    address: str = "",
    opening_hours: str = "",
) -> Counter:
    """An office opens a distribution point serving `area` (within the office's own area)."""
    require(actor, MANAGE_AREAS, office.area)
    require(actor, MANAGE_AREAS, area)
    if not area.path.startswith(office.area.path):
        raise DomainError("area", "The area a counter serves lies within its office's area.")
    code = text_value("code", code, max_length=32, required=True)
    if not code.replace("-", "").replace("_", "").isalnum() or not code.isascii():
        raise DomainError("code", "Letters, digits, '-' and '_' only.")
    if Counter.objects.filter(code=code).exists():
        raise DomainError("code", "Another counter has this code.")
    name_ko = text_value("name_ko", name_ko, max_length=128)
    name_en = text_value("name_en", name_en, max_length=128)
    if not name_ko and not name_en:
        raise DomainError("name_en", "A name in Korean or English is required.")
    counter = Counter(
        office=office,
        area=area,
        code=code,
        name_ko=name_ko,
        name_en=name_en,
        address=text_value("address", address, max_length=200),
        opening_hours=text_value("opening_hours", opening_hours, max_length=200),
        created_by=actor,
        created_at=timezone.now(),
    )
    counter.full_clean()
    counter.save()
    after = {name: getattr(counter, counter._meta.get_field(name).attname) for name in COUNTER_FIELDS}
    audit_record(actor=actor, action="counter.create", target=counter, area=area, after=after)
    return counter


@transaction.atomic
def counter_clerk_assign(*, actor: User, user: User, counter: Counter, since=None) -> CounterClerk:
    """Make `user` a clerk of `counter`: a counter-clerk role over the area the counter serves, tied to it."""
    require(actor, MANAGE_AREAS, counter.area)
    today = timezone.localdate()
    current = CounterClerk.objects.filter(counter=counter, assignment__user=user).filter(
        Q(assignment__until__isnull=True) | Q(assignment__until__gt=today)
    )
    if current.exists():
        raise DomainError("user", "This user is already a clerk of this counter.")
    assignment = role_assign(actor=actor, user=user, role=Role.CLERK, area=counter.area, since=since)
    post = CounterClerk.objects.create(assignment=assignment, counter=counter)
    audit_record(
        actor=actor,
        action="counter.clerk_assign",
        target=counter,
        area=counter.area,
        after={"user": user.pk, "counter": counter.pk, "assignment": assignment.pk},
    )
    return post


def clerk_counters(actor) -> list[Counter]:
    """The counters the actor works at today (clerks), or may act for (officers and administrators: every counter in
    their area)."""
    scope = scope_for(actor)
    if scope.user_id is None:
        return []
    if scope.is_admin or scope.prefixes(MANAGE_AREAS):
        return list(restrict(Counter.objects.filter(active=True), actor, MANAGE_AREAS).select_related("area"))
    today = timezone.localdate()
    posts = CounterClerk.objects.filter(
        assignment__user=actor, assignment__since__lte=today, counter__active=True
    ).filter(Q(assignment__until__isnull=True) | Q(assignment__until__gt=today))
    return [post.counter for post in posts.select_related("counter__area")]


def require_counter(actor, counter: Counter) -> None:
    """The actor works at this counter (or manages its area); otherwise it is not there for them (404)."""
    if counter.pk not in {c.pk for c in clerk_counters(actor)}:
        raise NotVisible(f"counter {counter.pk} not found")
