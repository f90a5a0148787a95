"""Reads about distribution, scoped to the actor: counters, the vouchers of a cycle, redemptions and conflicts.

Counters are seen by those who work at them (their clerks) and by those with a view over the area they serve
(officers, auditors). Only a clerk of the counter, or an officer managing its area, acts at it: anyone else who can
see it is refused (403). Vouchers follow the household, like entitlements: a leader sees the unit's, a resident their
own. Counter clerks see no voucher list: only what a scan shows them, through `redemptions.voucher_check`."""

import uuid

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from inminban.areas.access import VIEW, restrict, scope_for
from inminban.audit.services import access_record
from inminban.common.errors import DomainError, NotPermitted, NotVisible

from .counters import clerk_counters
from .models import Counter, CounterClerk, Cycle, Entitlement, Redemption

VOUCHER_STATUSES = ("unredeemed", "partial", "redeemed", "revoked", "expired")


def _posts_of(actor) -> QuerySet[CounterClerk]:
    today = timezone.localdate()
    return CounterClerk.objects.filter(assignment__user=actor, assignment__since__lte=today).filter(
        Q(assignment__until__isnull=True) | Q(assignment__until__gt=today)
    )


def counters_visible(*, actor) -> QuerySet[Counter]:
    """The counters the actor works at, and those serving an area they can see."""
    if scope_for(actor).user_id is None:
        return Counter.objects.none()
    seen = restrict(Counter.objects.all(), actor, VIEW).values("pk")
    worked = _posts_of(actor).values("counter_id")
    return Counter.objects.filter(Q(pk__in=seen) | Q(pk__in=worked)).select_related("office", "area")


def counter_detail(*, actor, pk) -> Counter:
    try:
        return counters_visible(actor=actor).get(pk=pk)
    except (Counter.DoesNotExist, ValueError, TypeError):
        raise NotVisible(f"counter {pk} not found") from None


def counter_at_work(*, actor, pk) -> Counter:
    """A counter the actor works at (or manages): 404 if they cannot see it, 403 if they see it but do not act there
    (an auditor, a leader of the unit it serves)."""
    counter = counter_detail(actor=actor, pk=pk)
    if counter.pk not in {c.pk for c in clerk_counters(actor)}:
        raise NotPermitted(f"not working at counter {counter.pk}")
    return counter


def counter_clerks(counter: Counter) -> list[str]:
    """Usernames of the counter's current clerks."""
    today = timezone.localdate()
    posts = counter.clerk_posts.filter(assignment__since__lte=today).filter(
        Q(assignment__until__isnull=True) | Q(assignment__until__gt=today)
    )
    return sorted(posts.values_list("assignment__user__username", flat=True))


def counter_cycle(*, counter: Counter, pk: int, field: str = "cycle") -> Cycle:
    """A cycle named in a request to a counter: one of a program over (or within) the area the counter serves;
    otherwise a 422 naming `field`. Clerks cannot list cycles, so this is their only way to name one."""
    cycle = Cycle.objects.select_related("program__area").filter(pk=pk).first()
    if cycle is not None:
        path, area = cycle.program.area.path, counter.area.path
        if area.startswith(path) or path.startswith(area):
            return cycle
    raise DomainError(field, f"No cycle {pk} of a program this counter distributes.")


# Vouchers ---------------------------------------------------------------------------------------------------------


def voucher_status(entitlement: Entitlement) -> str:
    """unredeemed, partial, redeemed; or revoked (expired: revoked when its cycle closed) with something left."""
    if entitlement.redeemed >= entitlement.quantity:
        return "redeemed"
    if entitlement.voucher.revoked_at is not None:
        return "expired" if entitlement.cycle.status == Cycle.Status.CLOSED else "revoked"
    return "partial" if entitlement.redeemed > 0 else "unredeemed"


def _status_q(status: str, cycle: Cycle) -> Q:
    closed = cycle.status == Cycle.Status.CLOSED
    left = Q(redeemed__lt=F("quantity"))
    if status == "redeemed":
        return ~left
    if status in ("revoked", "expired"):
        return left & Q(voucher__revoked_at__isnull=False) if closed == (status == "expired") else Q(pk__in=[])
    live = left & Q(voucher__revoked_at__isnull=True)
    return live & (Q(redeemed__gt=0) if status == "partial" else Q(redeemed=0))


def vouchers_of(*, actor, cycle: Cycle, unit=None, status: str | None = None) -> QuerySet[Entitlement]:
    """The cycle's vouchers the actor may see (by household: a leader the unit's, a resident their own)."""
    rows = (
        restrict(Entitlement.objects.filter(cycle=cycle, voucher__isnull=False), actor, VIEW)
        .select_related("voucher", "household", "unit", "cycle__program")
        .order_by("unit__path", "household__number")
    )
    if unit is not None:
        rows = rows.filter(unit=unit)
    if status:
        rows = rows.filter(_status_q(status, cycle))
    return rows


def voucher_detail(*, actor, serial) -> Entitlement:
    """One voucher by its serial (as the entitlement it pays out), noting the read of the household's record."""
    try:
        serial = serial if isinstance(serial, uuid.UUID) else uuid.UUID(str(serial))
        entitlement = (
            restrict(Entitlement.objects.all(), actor, VIEW)
            .select_related("voucher__signing_key", "voucher__unit", "voucher__household", "household", "unit")
            .select_related("cycle__program")
            .get(voucher__serial=serial)
        )
    except (ValueError, Entitlement.DoesNotExist):
        raise NotVisible(f"voucher {serial} not found") from None
    access_record(actor=actor, household=entitlement.household)
    return entitlement


# Redemptions ------------------------------------------------------------------------------------------------------

REDEMPTION_RELATED = (
    "counter",
    "clerk",
    "voucher",
    "household",
    "unit",
    "cycle__program",
    "conflict_with__counter",
    "conflict_with__clerk",
    "resolved_by",
)


def redemptions_of_voucher(entitlement: Entitlement) -> list[Redemption]:
    return list(entitlement.redemptions.select_related(*REDEMPTION_RELATED))


def conflicts_of(*, actor, cycle: Cycle, resolved: bool | None = False) -> QuerySet[Redemption]:
    """The cycle's conflicts the actor may see: open ones (default), resolved ones, or both (`resolved=None`)."""
    statuses = {
        False: [Redemption.Status.CONFLICT],
        True: [Redemption.Status.RESOLVED],
        None: [Redemption.Status.CONFLICT, Redemption.Status.RESOLVED],
    }[resolved]
    rows = restrict(Redemption.objects.filter(cycle=cycle, status__in=statuses), actor, VIEW)
    return rows.select_related(*REDEMPTION_RELATED).order_by("handed_at", "id")


def redemption_detail(*, actor, uid) -> Redemption:
    try:
        uid = uid if isinstance(uid, uuid.UUID) else uuid.UUID(str(uid))
        return restrict(Redemption.objects.select_related(*REDEMPTION_RELATED), actor, VIEW).get(uid=uid)
    except (ValueError, Redemption.DoesNotExist):
        raise NotVisible(f"redemption {uid} not found") from None


def redemptions_loaded(uids) -> dict:
    """Redemptions the actor has just written (uid -> row, with what the API shows of them). Unscoped on purpose: a
    clerk sees what they recorded, though they may not read the household's records."""
    return {r.uid: r for r in Redemption.objects.filter(uid__in=list(uids)).select_related(*REDEMPTION_RELATED)}
