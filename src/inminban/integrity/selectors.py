"""Reads of integrity flags, always restricted to the actor.

A flag goes to the office governing its unit and to auditors, never anywhere else: officers see the flags of the
units in their office's subtree (an office above sees those of the offices below), auditors those in their area,
administrators all. A leader sees only the flags about them (`Flag.leader`), which they may answer. Residents, health
workers and clerks see none: every flag is a 404 to them, as anything outside one's scope is.

Evidence is turned into plain-words links to the pages that already show those records; a link is drawn only where
the actor may open the page (the same scoping as the page's own look-up), and a health check is never linked to its
values: it reads "health check on DATE in household N"."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from inminban.areas.access import AUDIT, VIEW, active_assignments, restrict, scope_for, subtree_q
from inminban.areas.models import Area, Office, Role
from inminban.common.errors import NotVisible

from .models import DetectionRule, Flag
from .rules import Rule, rule_for

UNDECIDED = (Flag.Status.OPEN, Flag.Status.EXPLAINED)
STATUSES = [Flag.Status.OPEN, Flag.Status.EXPLAINED, Flag.Status.DISMISSED, Flag.Status.UPHELD]


def _office_paths(actor) -> set[str]:
    """The areas of the offices the actor is an officer of, today."""
    return {assignment.area.path for assignment in active_assignments(actor) if assignment.role == Role.OFFICER}


def reviews_flags(actor) -> bool:
    """Officers, auditors and administrators: those who see the flags of an area, not only their own."""
    scope = scope_for(actor)
    return scope.is_admin or Role.OFFICER in scope.roles or bool(scope.prefixes(AUDIT))


def flags_visible(*, actor) -> QuerySet[Flag]:
    scope = scope_for(actor)
    flags = Flag.objects.select_related("unit", "office", "leader")
    if scope.user_id is None:
        return flags.none()
    if scope.is_admin:
        return flags
    q = Q(leader_id=scope.user_id)
    for prefix in sorted(_office_paths(actor) | set(scope.prefixes(AUDIT))):
        q |= subtree_q("unit__path", prefix)
    return flags.filter(q)


def flag_queue(*, actor, status: str | None = None, pattern: str | None = None, unit: Area | None = None):
    """The flags the actor sees, those still to decide (open, then explained) first, the newest first within."""
    rows = flags_visible(actor=actor)
    if status:
        rows = rows.filter(status=status)
    if pattern:
        rows = rows.filter(pattern=pattern)
    if unit is not None:
        rows = rows.filter(unit=unit)
    order = Case(
        When(status=Flag.Status.OPEN, then=Value(0)),
        When(status=Flag.Status.EXPLAINED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return rows.annotate(queue_order=order).order_by("queue_order", "-occurred_on", "-raised_at", "-id")


def flag_detail(*, actor, pk) -> Flag:
    try:
        return flags_visible(actor=actor).get(pk=pk)
    except (Flag.DoesNotExist, ValueError, TypeError):
        raise NotVisible(f"flag {pk} not found") from None


def flag_units(*, actor) -> list[dict]:
    """Per unit the actor sees flags in: how many of each status, the units with flags still to decide first."""
    counts: dict[int, dict] = {}
    rows = flags_visible(actor=actor).values("unit", "status").annotate(n=Count("id")).order_by()
    for row in rows:
        counts.setdefault(row["unit"], dict.fromkeys(STATUSES, 0))[row["status"]] = row["n"]
    units = Area.objects.in_bulk(list(counts))
    items = []
    for unit_id, by_status in counts.items():
        undecided = by_status[Flag.Status.OPEN] + by_status[Flag.Status.EXPLAINED]
        items.append({"unit": units[unit_id], "counts": by_status, "undecided": undecided,
                      "total": sum(by_status.values())})  # fmt: skip
    return sorted(items, key=lambda item: (-item["undecided"], item["unit"].path))


def flag_history(*, actor, unit: Area) -> list[dict]:
    """A unit's flags per month (of the day the records are from), by status, oldest month first: only the flags
    the actor sees there (all of them for its office and auditors; a leader's own)."""
    rows = (
        flags_visible(actor=actor)
        .filter(unit=unit)
        .annotate(month=TruncMonth("occurred_on"))
        .values("month", "status")
        .annotate(n=Count("id"))
        .order_by("month")
    )
    months: dict[date, dict] = {}
    for row in rows:
        month = row["month"]
        if hasattr(month, "date"):
            month = month.date()
        months.setdefault(month, dict.fromkeys(STATUSES, 0))[row["status"]] = row["n"]
    return [
        {"month": month, **{str(status): count for status, count in counts.items()}, "total": sum(counts.values())}
        for month, counts in sorted(months.items())
    ]


def flag_units_visible(*, actor) -> QuerySet[Area]:
    """The units whose flags the actor may read by unit (officers, auditors, administrators: their area's units)."""
    from inminban.areas.selectors import units_visible

    if not reviews_flags(actor):
        return Area.objects.none()
    return units_visible(actor=actor)


# Detection rules ---------------------------------------------------------------------------------------------------


def offices_for_rules(*, actor) -> QuerySet[Office]:
    """The offices whose detection rules the actor may read (as office_for_rules), the highest first."""
    if not reviews_flags(actor):
        return Office.objects.none()
    return restrict(Office.objects.select_related("area"), actor, VIEW).order_by("area__path", "code")


def office_for_rules(*, actor, code: str) -> Office:
    """An office whose detection rules the actor may read: officers of it or above, auditors over it, administrators.
    Leaders and everyone else: NotVisible."""
    if not reviews_flags(actor):
        raise NotVisible(f"office {code} not found")
    office = restrict(Office.objects.select_related("area"), actor, VIEW).filter(code=code).first()
    if office is None:
        raise NotVisible(f"office {code} not found")
    return office


def office_rules(*, office: Office) -> list[Rule]:
    from .models import Pattern

    return [rule_for(office, pattern) for pattern in Pattern.values]


def own_rule_rows(*, office: Office) -> QuerySet[DetectionRule]:
    return DetectionRule.objects.filter(office=office)


# Evidence ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    type: str
    id: int
    label: str
    url: str | None


def _visible_ids(actor, model, ids) -> set[int]:
    return set(restrict(model.objects.filter(pk__in=ids), actor, VIEW).values_list("pk", flat=True))


def _day(value) -> str:
    """A day in words; a moment by its day in the deployment's time zone."""
    from django.utils import timezone
    from django.utils.formats import date_format

    if isinstance(value, datetime):
        value = timezone.localtime(value)
    return date_format(value, "DATE_FORMAT") if value else ""


def evidence_of(*, actor, flag: Flag) -> list[Evidence]:
    """The flag's evidence as (label, link) in the active language; attendance records are counted, not listed.
    A few queries per kind of record, whatever their number."""
    from inminban.duties.models import Attendance, Session, Share, Waiver
    from inminban.entitlements.models import Cycle
    from inminban.health.models import HealthCheck
    from inminban.registry.models import Household, Membership, Stay
    from inminban.stamps.models import Stamp

    ids: dict[str, list[int]] = defaultdict(list)
    for item in flag.evidence or []:
        if isinstance(item, dict) and isinstance(item.get("id"), int):
            ids[str(item.get("type"))].append(item["id"])
    items: list[Evidence] = []
    visible_households = set()

    def household_link(household_id):
        return reverse("registry:household", args=[household_id]) if household_id in visible_households else None

    household_ids = set()
    checks = HealthCheck.objects.filter(pk__in=ids["healthcheck"]).select_related("household")
    stays = Stay.objects.filter(pk__in=ids["stay"]).select_related("household")
    memberships = Membership.objects.filter(pk__in=ids["membership"]).select_related("household")
    household_ids |= {c.household_id for c in checks} | {m.household_id for m in memberships}
    visible_households = _visible_ids(actor, Household, household_ids)

    for check in checks:
        label = _("Health check on %(day)s in household %(number)s") % {
            "day": _day(check.checked_on),
            "number": check.household.number,
        }
        items.append(Evidence("healthcheck", check.pk, label, household_link(check.household_id)))
    visible_stays = _visible_ids(actor, Stay, [stay.pk for stay in stays])
    for stay in stays:
        label = _("Stay registered in household %(number)s, %(arrives)s to %(departs)s") % {
            "number": stay.household.number,
            "arrives": _day(stay.arrives_on),
            "departs": _day(stay.departed_on or stay.departs_on),
        }
        url = reverse("registry:stay", args=[stay.pk]) if stay.pk in visible_stays else None
        items.append(Evidence("stay", stay.pk, label, url))
    sessions = Session.objects.filter(pk__in=ids["session"]).select_related("campaign")
    visible_sessions = _visible_ids(actor, Session, [session.pk for session in sessions])
    for session in sessions:
        label = _("Session of %(campaign)s on %(day)s") % {"campaign": session.campaign.title, "day": _day(session.on)}
        url = reverse("duties:session", args=[session.pk]) if session.pk in visible_sessions else None
        items.append(Evidence("session", session.pk, label, url))
    if ids["attendance"]:
        attendances = list(Attendance.objects.filter(pk__in=ids["attendance"]).values("pk", "session_id"))
        count = len(attendances)
        session_id = attendances[0]["session_id"] if attendances else None
        label = ngettext("%(count)d attendance record", "%(count)d attendance records", count) % {"count": count}
        visible = session_id is not None and session_id in _visible_ids(actor, Session, [session_id])
        url = reverse("duties:session", args=[session_id]) if visible else None
        items.append(Evidence("attendance", ids["attendance"][0], label, url))
    shares = Share.objects.filter(pk__in=ids["share"]).select_related("household", "quota__campaign", "quota__levy")
    visible_shares = _visible_ids(actor, Share, [share.pk for share in shares])
    for share in shares:
        label = _("Share of household %(number)s in %(duty)s") % {
            "number": share.household.number,
            "duty": share.quota.obligation.title,
        }
        url = reverse("duties:share", args=[share.pk]) if share.pk in visible_shares else None
        items.append(Evidence("share", share.pk, label, url))
    stamps = Stamp.objects.filter(pk__in=ids["stamp"])
    visible_stamps = _visible_ids(actor, Stamp, [stamp.pk for stamp in stamps])
    for stamp in stamps:
        label = _("Stamp for %(duty)s, issued on %(day)s") % {"duty": stamp.duty_title, "day": _day(stamp.issued_at)}
        if stamp.revoked_at:
            label = _("%(stamp)s (revoked)") % {"stamp": label}
        url = reverse("stamps:page", args=[stamp.serial]) if stamp.pk in visible_stamps else None
        items.append(Evidence("stamp", stamp.pk, label, url))
    waivers = Waiver.objects.filter(pk__in=ids["waiver"]).select_related("share__household")
    visible_waivers = _visible_ids(actor, Waiver, [waiver.pk for waiver in waivers])
    for waiver in waivers:
        label = _("Waiver for household %(number)s, approved on %(day)s") % {
            "number": waiver.share.household.number,
            "day": _day(waiver.decided_at),
        }
        url = reverse("duties:share", args=[waiver.share_id]) if waiver.pk in visible_waivers else None
        items.append(Evidence("waiver", waiver.pk, label, url))
    for membership in memberships:
        label = _("A member added to household %(number)s from %(day)s") % {
            "number": membership.household.number,
            "day": _day(membership.since),
        }
        items.append(Evidence("membership", membership.pk, label, household_link(membership.household_id)))
    cycles = Cycle.objects.filter(pk__in=ids["cycle"]).select_related("program")
    visible_cycles = _visible_ids(actor, Cycle, [cycle.pk for cycle in cycles])
    for cycle in cycles:
        label = _("Cycle of %(program)s counted on %(day)s") % {
            "program": cycle.program.name,
            "day": _day(cycle.reference_date),
        }
        url = reverse("entitlements:cycle", args=[cycle.pk]) if cycle.pk in visible_cycles else None
        items.append(Evidence("cycle", cycle.pk, label, url))
    return items


def _household_of(flag: Flag):
    household_id = (flag.facts or {}).get("household") if isinstance(flag.facts, dict) else None
    return household_id if isinstance(household_id, int) and not isinstance(household_id, bool) else None


def household_numbers(flags) -> dict[int, str]:
    """The registration numbers of the households the flags' facts name, by flag id: one query for them all."""
    from inminban.registry.models import Household

    flags = list(flags)
    wanted = {_household_of(flag) for flag in flags} - {None}
    numbers = dict(Household.objects.filter(pk__in=wanted).values_list("pk", "number"))
    return {flag.pk: numbers.get(_household_of(flag), "") for flag in flags}


def flag_household_number(flag: Flag) -> str:
    """The registration number of the household a flag's facts name, if any."""
    return household_numbers([flag])[flag.pk]
