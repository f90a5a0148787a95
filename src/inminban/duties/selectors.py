"""Reads about duties, always scoped to the actor.

Directives, campaigns and levies are addressed to an area subtree, so they are visible both downwards (an officer
sees what was sent to units under the office) and upwards (a leader and the unit's residents see what the district
or the city sent to them). Progress figures are aggregated in the database, one query per table, never per
household."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from inminban.areas.access import (
    CHANGE,
    MANAGE_AREAS,
    VIEW,
    get_visible,
    require_household,
    restrict,
    scope_for,
    subtree_q,
)
from inminban.areas.models import Area, Office
from inminban.common.errors import DomainError, NotVisible
from inminban.registry.models import Household, Membership

from .models import (
    AllocationRule,
    Attendance,
    Campaign,
    Delivery,
    Directive,
    DirectiveAcknowledgement,
    DutyExemption,
    Levy,
    Measure,
    Quota,
    Session,
    Share,
    Standing,
    Waiver,
)
from .rules import age_on

OVERDUE_LIST_LIMIT = 200
DAY_LOOKAHEAD = timedelta(days=7)


def ancestor_paths(path: str) -> list[str]:
    """'/KP/RG/HS/' -> ['/KP/', '/KP/RG/', '/KP/RG/HS/']"""
    parts = [part for part in path.split("/") if part]
    return ["/" + "/".join(parts[:length]) + "/" for length in range(1, len(parts) + 1)]


def _addressed_q(actor, area_field: str = "area") -> Q | None:
    """Rows addressed to an area the actor governs, or to an area above it. None means everything."""
    scope = scope_for(actor)
    if scope.user_id is None:
        return Q(pk__in=[])
    if scope.is_admin:
        return None
    q = Q(pk__in=[])
    paths = list(scope.prefixes(VIEW))
    for prefix in paths:
        q |= subtree_q(f"{area_field}__path", prefix)
    if scope.household_ids:
        paths += list(Household.objects.filter(pk__in=scope.household_ids).values_list("unit__path", flat=True))
    ancestors = sorted({ancestor for path in paths for ancestor in ancestor_paths(path)})
    if ancestors:
        q |= Q(**{f"{area_field}__path__in": ancestors})
    return q


def addressed_q(actor, area_field: str = "area") -> Q | None:
    """Public for the apps that address areas the same way (entitlement programs)."""
    return _addressed_q(actor, area_field)


def _addressed(queryset: QuerySet, actor) -> QuerySet:
    q = _addressed_q(actor)
    return queryset if q is None else queryset.filter(q)


def get_one(queryset: QuerySet, pk):
    """The object with this key in an already scoped queryset, or NotVisible (a 404)."""
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise NotVisible(f"{queryset.model.__name__} {pk} not found") from None


def _percent(part, whole) -> int:
    if not whole:
        return 100 if whole == 0 and part == 0 else 0
    return max(0, min(100, int(Decimal(part) * 100 / Decimal(whole))))


# Offices, rules, units ------------------------------------------------------------------------------------------


def offices_for(*, actor) -> QuerySet[Office]:
    """Offices the actor may act for (issue directives, campaigns and levies)."""
    return restrict(Office.objects.select_related("area"), actor, MANAGE_AREAS)


def office_in_scope(*, actor, code: str | None, area: Area, field: str = "office") -> Office:
    """The office a request names by code (one the actor acts for), or by default the nearest of theirs over
    `area`; DomainError naming `field` otherwise."""
    if code is None:
        office = default_office(actor=actor, area=area)
        if office is None:
            raise DomainError(field, f"No office of yours governs {area.code}.")
        return office
    office = offices_for(actor=actor).filter(code=code).first()
    if office is None:
        raise DomainError(field, f"No office {code!r} that you act for.")
    return office


def default_office(*, actor, area: Area) -> Office | None:
    """The office nearest above (or at) `area` that the actor may act for: whose directive or campaign this is."""
    return (
        offices_for(actor=actor)
        .filter(area__path__in=ancestor_paths(area.path))
        .order_by("-area__depth", "code")
        .first()
    )


def rules_visible(*, actor) -> QuerySet[AllocationRule]:
    """Allocation rules are not personal data: any account may read them; office rules only under that office."""
    scope = scope_for(actor)
    if scope.user_id is None:
        return AllocationRule.objects.none()
    rules = AllocationRule.objects.select_related("office__area")
    q = _addressed_q(actor, "office__area")
    return rules if q is None else rules.filter(Q(office__isnull=True) | q)


def units_led(*, actor) -> QuerySet[Area]:
    """Units where the actor records things (a leader's own unit; all units under an officer)."""
    return restrict(Area.objects.filter(level__is_unit=True).select_related("level"), actor, CHANGE)


def areas_addressable(*, actor) -> QuerySet[Area]:
    """Areas an officer may send a directive, a campaign or a levy to."""
    return restrict(Area.objects.select_related("level"), actor, MANAGE_AREAS)


def units_under(*, actor, area: Area, action: str = VIEW, only: QuerySet | None = None) -> QuerySet[Area]:
    """Units under `area` where the actor may do `action` (optionally only those among `only`)."""
    units = Area.objects.filter(level__is_unit=True, path__startswith=area.path)
    if only is not None:
        units = units.filter(pk__in=only)
    return restrict(units, actor, action).order_by("path")


def is_resident_only(actor) -> bool:
    """A resident with no other role: pages show them their own household's figures instead of the progress of
    units they cannot see."""
    scope = scope_for(actor)
    return bool(scope.household_ids) and not scope.is_admin and not scope.prefixes(VIEW)


def exemptions_visible(*, actor) -> QuerySet[DutyExemption]:
    """Restricted: only those who record things in the person's unit (leader, officers), not auditors or residents."""
    return restrict(DutyExemption.objects.select_related("person__household__unit"), actor, CHANGE)


# Directives ---------------------------------------------------------------------------------------------------


def directives_visible(*, actor) -> QuerySet[Directive]:
    return _addressed(Directive.objects.select_related("office", "area", "issued_by"), actor)


def directive_detail(*, actor, pk) -> Directive:
    return get_one(directives_visible(actor=actor).prefetch_related("attachments"), pk)


def _households_addressed(directive: Directive, units: QuerySet[Area]) -> QuerySet[Household]:
    return Household.objects.filter(
        unit__in=units, dissolved_on__isnull=True, unit__path__startswith=directive.area.path
    )


def directive_units(*, actor, directive: Directive) -> QuerySet[Area]:
    """The units a directive reaches that the actor may look into."""
    units = Area.objects.filter(level__is_unit=True, path__startswith=directive.area.path)
    return restrict(units, actor, VIEW).order_by("path")


@dataclass
class UnitProgress:
    unit: Area
    total: int
    done: int
    confirmed: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def percent(self) -> int:
        return _percent(self.done, self.total)


def directive_progress(*, actor, directive: Directive) -> dict:
    """Acknowledgements per unit, totals, and (after the due date) the households still missing."""
    units = directive_units(actor=actor, directive=directive)
    households = _households_addressed(directive, units)
    totals = dict(households.values_list("unit_id").annotate(n=Count("id")).order_by())
    acks = (
        DirectiveAcknowledgement.objects.filter(directive=directive, household__in=households)
        .values_list("household__unit_id")
        .annotate(n=Count("id"), confirmed=Count("confirmed_at"))
        .order_by()
    )
    done = {unit_id: (n, confirmed) for unit_id, n, confirmed in acks}
    rows = [
        UnitProgress(unit, totals.get(unit.pk, 0), *done.get(unit.pk, (0, 0))) for unit in units if totals.get(unit.pk)
    ]
    today = timezone.localdate()
    overdue = Household.objects.none()
    overdue_count = 0
    if directive.requires_ack and directive.due_on and directive.due_on < today:
        missing = (
            households.exclude(acknowledgements__directive=directive)
            .select_related("unit")
            .order_by("unit__path", "number")
        )
        overdue_count = missing.count()
        overdue = missing[:OVERDUE_LIST_LIMIT]
    total = sum(row.total for row in rows)
    acknowledged = sum(row.done for row in rows)
    return {
        "directive": directive,
        "units": rows,
        "total": total,
        "acknowledged": acknowledged,
        "confirmed": sum(row.confirmed for row in rows),
        "percent": _percent(acknowledged, total),
        "overdue": list(overdue),
        "overdue_count": overdue_count,
        "is_overdue": bool(directive.due_on and directive.due_on < today),
    }


@dataclass
class HouseholdAck:
    household: Household
    ack: DirectiveAcknowledgement | None
    undo_until: object = None  # until when the actor may take back their own mistaken tap (a datetime), if at all


def directive_households(*, actor, directive: Directive, unit: Area) -> list[HouseholdAck]:
    """Each household of a unit with its acknowledgement, if any (the leader's door-to-door list)."""
    get_visible(actor, Area.objects.all(), unit.pk)
    if not unit.path.startswith(directive.area.path):
        return []
    households = restrict(Household.objects.select_related("head"), actor, VIEW).filter(
        unit=unit, dissolved_on__isnull=True
    )
    acks = {
        ack.household_id: ack
        for ack in DirectiveAcknowledgement.objects.filter(directive=directive, household__in=households)
    }
    return [
        HouseholdAck(
            household, acks.get(household.pk), acknowledgement_undo_until(actor=actor, ack=acks.get(household.pk))
        )
        for household in households.order_by("number")
    ]


def active_directives(directives: QuerySet[Directive], on: date | None = None) -> QuerySet[Directive]:
    """Directives in force on a day: effective, and not past their due date."""
    on = on or timezone.localdate()
    return directives.filter(effective_on__lte=on).filter(Q(due_on__isnull=True) | Q(due_on__gte=on))


def own_households_addressed(*, actor, directive: Directive) -> list[HouseholdAck]:
    """A resident's own household(s) the directive reaches, with their acknowledgement."""
    scope = scope_for(actor)
    if not scope.household_ids:
        return []
    households = Household.objects.filter(
        pk__in=scope.household_ids, unit__path__startswith=directive.area.path, dissolved_on__isnull=True
    ).order_by("number")
    acks = {
        a.household_id: a
        for a in DirectiveAcknowledgement.objects.filter(directive=directive, household__in=households)
    }
    return [HouseholdAck(household, acks.get(household.pk)) for household in households]


def acknowledgement_undo_until(*, actor, ack: DirectiveAcknowledgement | None):
    """Until when the actor may still take back this acknowledgement (their own tap, no stamp yet), or None."""
    if ack is None or ack.recorded_by_id != actor.pk or ack.confirmed_at is not None:
        return None
    until = ack.acknowledged_at + timedelta(minutes=settings.ACK_UNDO_MINUTES)
    return until if timezone.now() <= until else None


@dataclass
class DutyStatus:
    """What a household of a unit still has to do, for the unit page at a glance."""

    owes: int = 0  # shares of active obligations not yet fulfilled
    stamps_waiting: int = 0  # duties done (a share fulfilled, a directive acknowledged) without their stamp yet
    unacknowledged: int = 0  # directives in force that ask for acknowledgement and have none from the household

    @property
    def clear(self) -> bool:
        return not (self.owes or self.stamps_waiting or self.unacknowledged)


def unit_duty_status(*, actor, unit: Area, household_ids=None, on: date | None = None) -> dict[int, DutyStatus]:
    """Each current household of a unit (by id) with its duty status: three grouped queries for the whole unit.
    `household_ids`, when the caller has already listed the unit, saves listing it again."""
    on = on or timezone.localdate()
    households = restrict(Household.objects.all(), actor, VIEW).filter(unit=unit, dissolved_on__isnull=True)
    if household_ids is None:
        household_ids = households.values_list("pk", flat=True)
    status = {pk: DutyStatus() for pk in household_ids}
    active = Q(quota__campaign__standing=Standing.ACTIVE, quota__campaign__starts_on__lte=on) | Q(
        quota__levy__standing=Standing.ACTIVE, quota__levy__starts_on__lte=on
    )
    due = F("quantity") - F("waived")
    shares = (
        Share.objects.filter(
            active, household__in=households, quota__unit=unit, confirmed_at__isnull=True, cancelled_at__isnull=True
        )
        .values_list("household_id")
        .annotate(
            owes=Count("id", filter=Q(done__lt=due)),
            fulfilled=Count("id", filter=Q(done__gte=due, quantity__gt=F("waived"))),
        )
        .order_by()
    )
    for household_id, owes, fulfilled in shares:
        if household_id in status:
            status[household_id].owes, status[household_id].stamps_waiting = owes, fulfilled
    in_force = active_directives(
        Directive.objects.filter(area__path__in=ancestor_paths(unit.path), requires_ack=True), on
    ).values("pk")
    wanted = in_force.count()
    acks = (
        DirectiveAcknowledgement.objects.filter(household__in=households)
        .values_list("household_id")
        .annotate(
            waiting=Count("id", filter=Q(confirmed_at__isnull=True)),
            acked=Count("id", filter=Q(directive__in=in_force)),
        )
        .order_by()
    )
    acked = {}
    for household_id, waiting, count in acks:
        if household_id in status:
            status[household_id].stamps_waiting += waiting
            acked[household_id] = count
    for household_id, row in status.items():
        row.unacknowledged = wanted - acked.get(household_id, 0)
    return status


def acknowledgements_visible(*, actor) -> QuerySet[DirectiveAcknowledgement]:
    return restrict(DirectiveAcknowledgement.objects.select_related("directive", "household__unit"), actor, VIEW)


# Campaigns and levies -----------------------------------------------------------------------------------------


def campaigns_visible(*, actor) -> QuerySet[Campaign]:
    return _addressed(Campaign.objects.select_related("office", "area", "rule"), actor)


def levies_visible(*, actor) -> QuerySet[Levy]:
    return _addressed(Levy.objects.select_related("office", "area", "rule"), actor)


def campaign_detail(*, actor, pk) -> Campaign:
    return get_one(campaigns_visible(actor=actor), pk)


def levy_detail(*, actor, pk) -> Levy:
    return get_one(levies_visible(actor=actor), pk)


def obligation_status(obligation: Campaign | Levy, today: date | None = None) -> str:
    today = today or timezone.localdate()
    if obligation.is_stopped:
        return obligation.standing
    if obligation.starts_on > today:
        return "upcoming"
    return "finished" if obligation.period_end < today else "running"


def quota_filter(obligation: Campaign | Levy) -> dict:
    return {"campaign": obligation} if isinstance(obligation, Campaign) else {"levy": obligation}


def quota_unit_ids(obligation: Campaign | Levy) -> QuerySet:
    """The ids of the units the obligation has a quota for (as a subquery)."""
    return Quota.objects.filter(**quota_filter(obligation)).values("unit_id")


def quotas_of(*, actor, obligation: Campaign | Levy) -> QuerySet[Quota]:
    """The obligation's quotas in units the actor may see, with their shares summed up."""
    due = F("shares__quantity") - F("shares__waived")
    return (
        restrict(Quota.objects.filter(**quota_filter(obligation)), actor, VIEW)
        .select_related("unit")
        .annotate(
            allocated=Sum("shares__quantity"),
            waived_total=Sum("shares__waived"),
            done_total=Sum("shares__done"),
            households=Count("shares"),
            fulfilled=Count("shares", filter=Q(shares__done__gte=due)),
            confirmed=Count("shares__confirmed_at"),
            cancelled=Count("shares__cancelled_at"),
            cancelled_total=Sum("shares__cancelled_remaining"),
        )
        .order_by("unit__path")
    )


def obligation_progress(*, actor, obligation: Campaign | Levy) -> dict:
    """Per unit: quota, allocated, waived, done, households fulfilled and confirmed; and the totals."""
    rows = []
    for quota in quotas_of(actor=actor, obligation=obligation):
        due = (quota.allocated or 0) - (quota.waived_total or 0)
        rows.append(
            UnitProgress(
                quota.unit,
                total=due,
                done=min(quota.done_total or 0, due),
                confirmed=quota.confirmed,
                extra={
                    "quota": quota,
                    "households": quota.households,
                    "fulfilled": quota.fulfilled,
                    "waived": quota.waived_total or Decimal("0"),
                    "cancelled": quota.cancelled,
                    "cancelled_total": quota.cancelled_total or Decimal("0"),
                },
            )
        )
    total = sum((row.total for row in rows), Decimal("0"))
    done = sum((row.done for row in rows), Decimal("0"))
    return {
        "obligation": obligation,
        "status": obligation_status(obligation),
        "units": rows,
        "total": total,
        "done": done,
        "percent": _percent(done, total),
        "households": sum(row.extra["households"] for row in rows),
        "fulfilled": sum(row.extra["fulfilled"] for row in rows),
        "confirmed": sum(row.confirmed for row in rows),
        "cancelled": sum(row.extra["cancelled"] for row in rows),
    }


def shares_visible(*, actor) -> QuerySet[Share]:
    return restrict(
        Share.objects.select_related("quota__unit", "quota__campaign", "quota__levy", "household"), actor, VIEW
    )


def shares_of(*, actor, obligation: Campaign | Levy, unit: Area | None = None) -> QuerySet[Share]:
    shares = shares_visible(actor=actor).filter(
        **{f"quota__{key}": value for key, value in quota_filter(obligation).items()}
    )
    if unit is not None:
        shares = shares.filter(quota__unit=unit)
    return shares.order_by("quota__unit__path", "household__number")


def own_shares(*, actor, obligation: Campaign | Levy) -> list[Share]:
    """The shares of the actor's own household(s), as a resident, in a campaign or a levy."""
    scope = scope_for(actor)
    if not scope.household_ids:
        return []
    return list(
        Share.objects.filter(
            household_id__in=scope.household_ids,
            **{f"quota__{key}": value for key, value in quota_filter(obligation).items()},
        )
        .select_related("quota__unit", "quota__campaign", "quota__levy", "household")
        .order_by("household__number")
    )


def share_detail(*, actor, pk) -> Share:
    return get_one(
        shares_visible(actor=actor).prefetch_related(
            Prefetch(
                "deliveries", queryset=Delivery.objects.select_related("recorded_by").order_by("delivered_on", "id")
            ),
            Prefetch("waivers", queryset=Waiver.objects.order_by("-requested_at")),
            Prefetch("attendances", queryset=Attendance.objects.select_related("session", "person")),
        ),
        pk,
    )


def share_explanation(share: Share) -> dict:
    """The stored explanation, in words and numbers a household can follow."""
    data = share.explanation or {}
    allotment = data.get("allotment", {})
    return {
        "rule": data.get("rule", {}),
        "as_of": data.get("as_of"),
        "quota": data.get("quota"),
        "step": data.get("step"),
        "steps": data.get("steps"),
        "members": data.get("members"),
        "liable": data.get("liable"),
        "exempt": data.get("exempt", {}),
        "income": data.get("income"),
        "weight": allotment.get("weight"),
        "total_weight": allotment.get("total_weight"),
        "exact": allotment.get("exact"),
        "floor": allotment.get("floor"),
        "remainder": allotment.get("remainder"),
        "extra": allotment.get("extra"),
        "rank": allotment.get("rank"),
        "share_steps": allotment.get("share"),
        "share": data.get("share"),
        "zero_reason": data.get("zero_reason"),
        "waived": str(share.waived),
        "has_waiver": share.waived > 0,
        "due": str(share.due),
    }


def waivers_visible(*, actor, status: str | None = None) -> QuerySet[Waiver]:
    waivers = restrict(
        Waiver.objects.select_related(
            "share__household", "share__quota__unit", "share__quota__campaign", "share__quota__levy", "requested_by"
        ),
        actor,
        VIEW,
    )
    return waivers.filter(status=status) if status else waivers


def waivers_to_decide(*, actor) -> QuerySet[Waiver]:
    return restrict(waivers_visible(actor=actor, status=Waiver.Status.PENDING), actor, MANAGE_AREAS)


# Sessions, attendance, deliveries -----------------------------------------------------------------------------


def sessions_visible(*, actor) -> QuerySet[Session]:
    """Sessions in the actor's units; a resident also sees those of their household's unit (when and where the unit
    works is not personal data; the attendance sheet still shows them only their own household)."""
    sessions = Session.objects.select_related("campaign", "unit")
    visible = restrict(sessions, actor, VIEW)
    scope = scope_for(actor)
    if scope.household_ids and not scope.is_admin:
        own_units = Household.objects.filter(pk__in=scope.household_ids).values("unit_id")
        visible = sessions.filter(Q(pk__in=visible.values("pk")) | Q(unit_id__in=own_units))
    return visible


def session_detail(*, actor, pk) -> Session:
    return get_one(sessions_visible(actor=actor), pk)


@dataclass
class SheetRow:
    household: Household
    person: object
    attendance: Attendance | None
    age: int | None = None
    of_working_age: bool = True  # within the campaign rule's ages; others are recorded only with a reason


def session_sheet(*, actor, session: Session) -> list[SheetRow]:
    """The attendance sheet: every member of the unit's households on the session's day, with attendance, age and
    whether the campaign's rule counts them of working age."""
    memberships = (
        restrict(Membership.objects.current_on(session.on), actor, VIEW)
        .filter(household__unit=session.unit)
        .select_related("person", "household")
        .order_by("household__number", "since", "person_id")
    )
    rule = session.campaign.rule
    present = {a.person_id: a for a in Attendance.objects.filter(session=session)}
    rows = []
    for membership in memberships:
        age = age_on(membership.person.birth_date, session.on)
        rows.append(
            SheetRow(
                membership.household,
                membership.person,
                present.get(membership.person_id),
                age,
                rule.min_age <= age <= rule.max_age,
            )
        )
    return rows


def attendances_visible(*, actor) -> QuerySet[Attendance]:
    return restrict(Attendance.objects.select_related("session__unit", "person", "household"), actor, VIEW)


def attendances_of(*, actor, session: Session) -> QuerySet[Attendance]:
    return restrict(Attendance.objects.select_related("person", "household"), actor, VIEW).filter(session=session)


def deliveries_visible(*, actor) -> QuerySet[Delivery]:
    return restrict(
        Delivery.objects.select_related(
            "share__household", "share__quota__unit", "share__quota__levy", "share__quota__campaign", "recorded_by"
        ),
        actor,
        VIEW,
    )


def delivery_detail(*, actor, pk) -> Delivery:
    return get_one(deliveries_visible(actor=actor), pk)


# Pages that gather everything ---------------------------------------------------------------------------------


def leader_day(*, actor, unit: Area, on: date | None = None) -> dict:
    """What a leader does today in one unit: directives to relay, sessions, levies due, stamps to confirm."""
    on = on or timezone.localdate()
    get_visible(actor, Area.objects.all(), unit.pk)
    households = restrict(Household.objects.all(), actor, VIEW).filter(unit=unit, dissolved_on__isnull=True)
    household_count = households.count()

    directives = []
    active = _addressed(Directive.objects.filter(area__path__in=ancestor_paths(unit.path)), actor).filter(
        effective_on__lte=on
    )
    active = active.filter(Q(due_on__isnull=True, effective_on__gte=on - DAY_LOOKAHEAD) | Q(due_on__isnull=False))
    ack_counts = dict(
        DirectiveAcknowledgement.objects.filter(directive__in=active, household__in=households)
        .values_list("directive_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for directive in active.order_by("due_on", "-effective_on"):
        acknowledged = ack_counts.get(directive.pk, 0)
        if directive.requires_ack and acknowledged >= household_count:
            continue
        if directive.requires_ack and directive.due_on and directive.due_on < on - timedelta(days=30):
            continue  # long overdue ones live on the directive page, not on today's list
        directives.append(
            {
                "directive": directive,
                "acknowledged": acknowledged,
                "missing": household_count - acknowledged if directive.requires_ack else 0,
                "overdue": bool(directive.due_on and directive.due_on < on),
            }
        )

    sessions = (
        sessions_visible(actor=actor)
        .filter(unit=unit, on__gte=on, on__lte=on + DAY_LOOKAHEAD)
        .annotate(present=Count("attendances"))
        .order_by("on", "starts_at")
    )
    open_shares = shares_visible(actor=actor).filter(
        quota__unit=unit, confirmed_at__isnull=True, cancelled_at__isnull=True
    )
    levies_due = (
        open_shares.filter(quota__levy__isnull=False, quota__levy__starts_on__lte=on)
        .filter(done__lt=F("quantity") - F("waived"))
        .values("quota__levy_id", "quota__levy__title_ko", "quota__levy__title_en", "quota__levy__due_on")
        .annotate(households=Count("id"), owed=Sum(F("quantity") - F("waived") - F("done")))
        .order_by("quota__levy__due_on")
    )
    to_confirm = list(open_shares.filter(done__gte=F("quantity") - F("waived")).order_by("household__number"))
    acks_to_confirm = list(
        acknowledgements_visible(actor=actor)
        .filter(household__in=households, confirmed_at__isnull=True)
        .order_by("household__number")
    )
    return {
        "unit": unit,
        "on": on,
        "households": household_count,
        "directives": directives,
        "sessions": list(sessions),
        "levies_due": [
            {
                "levy_id": row["quota__levy_id"],
                "title": row["quota__levy__title_ko"] or row["quota__levy__title_en"],
                "title_en": row["quota__levy__title_en"] or row["quota__levy__title_ko"],
                "due_on": row["quota__levy__due_on"],
                "households": row["households"],
                "owed": row["owed"],
                "overdue": row["quota__levy__due_on"] < on,
            }
            for row in levies_due
        ],
        "shares_to_confirm": to_confirm,
        "acks_to_confirm": acks_to_confirm,
        "stamps_waiting": len(to_confirm) + len(acks_to_confirm),
        "waivers_pending": list(
            waivers_visible(actor=actor, status=Waiver.Status.PENDING).filter(share__quota__unit=unit)
        ),
    }


NOTICES_SHOWN = timedelta(days=90)  # directives for information only, on the household's page
TASKS_DONE_SHOWN_DAYS = 30  # a task done longer ago than its deadline plus this is a record, not a task


@dataclass
class Task:
    """One thing a household is asked to do, for its task list: acknowledge a directive or fulfil a share.

    `status` is "todo", "done" or "none" (nothing asked: a share of nothing, fully waived, or a duty its issuer
    stopped); `state` says more for the hint beside it ("stamped", "waiting_stamp", "partly_done", …)."""

    kind: str  # "directive" or "share"
    status: str
    state: str
    due_on: date | None
    overdue: bool
    directive: Directive | None = None
    ack: DirectiveAcknowledgement | None = None
    share: Share | None = None

    @property
    def obligation(self):
        return self.share.quota.obligation if self.share else None


def _share_task(share: Share, today: date) -> Task:
    obligation = share.quota.obligation
    due_on = obligation.period_end
    if share.stamp_serial:
        status, state = "done", "stamped"
    elif share.cancelled:
        status, state = "none", "share_cancelled"
    elif obligation.is_stopped:
        status, state = "none", obligation.standing
    elif share.due <= 0:
        status, state = "none", "waived" if share.waived > 0 else "nothing_due"
    elif share.fulfilled:
        status, state = "done", "waiting_stamp"
    elif obligation.starts_on > today:
        status, state = "todo", "upcoming"
    else:
        status, state = "todo", "partly_done" if share.done > 0 else "not_started"
    return Task("share", status, state, due_on, status == "todo" and due_on < today, share=share)


def household_tasks(directive_rows: list[dict], shares: list[Share], today: date | None = None) -> list[Task]:
    """What a household is asked to do, things still to do first (the nearest deadline first), then what it did
    lately. Directives for information only are not tasks; a task done long ago is left to the records."""
    today = today or timezone.localdate()
    tasks = []
    for row in directive_rows:
        directive, ack = row["directive"], row["ack"]
        if not directive.requires_ack:
            continue
        status = "done" if ack else "todo"
        overdue = bool(not ack and directive.due_on and directive.due_on < today)
        tasks.append(
            Task("directive", status, "acknowledged" if ack else "to_read", directive.due_on, overdue, directive, ack)
        )
    tasks += [_share_task(share, today) for share in shares]
    recent = today - timedelta(days=TASKS_DONE_SHOWN_DAYS)
    tasks = [task for task in tasks if task.status == "todo" or task.due_on is None or task.due_on >= recent]
    todo = sorted((t for t in tasks if t.status == "todo"), key=lambda t: (t.due_on is None, t.due_on or today))
    rest = sorted((t for t in tasks if t.status != "todo"), key=lambda t: t.due_on or today, reverse=True)
    return todo + rest


def household_duties(*, actor, household: Household) -> dict:
    """A household's duties for its page: directives addressed to it, its shares with deliveries, its stamps."""
    require_household(actor, VIEW, household)
    today = timezone.localdate()
    directives = list(
        Directive.objects.filter(area__path__in=ancestor_paths(household.unit.path), effective_on__lte=today)
        .filter(
            Q(due_on__isnull=True)
            | Q(due_on__gte=today - timedelta(days=90))
            | Q(acknowledgements__household=household)
        )
        .distinct()
        .order_by("-effective_on", "-id")[:50]
    )
    acks = {ack.directive_id: ack for ack in DirectiveAcknowledgement.objects.filter(household=household)}
    shares = list(
        Share.objects.filter(household=household)
        .select_related("quota__unit", "quota__campaign", "quota__levy")
        .prefetch_related(Prefetch("deliveries", queryset=Delivery.objects.order_by("delivered_on", "id")))
        .prefetch_related(Prefetch("waivers", queryset=Waiver.objects.order_by("-requested_at")))
        .order_by("-quota__set_at")
    )
    campaign_ids = [share.quota.campaign_id for share in shares if share.quota.campaign_id]
    sessions = list(
        Session.objects.filter(campaign_id__in=campaign_ids, unit=household.unit, on__gte=today)
        .select_related("campaign")
        .order_by("on", "starts_at")[:20]
    )
    stamps = [
        {"serial": ack.stamp_serial, "title": ack.directive.title, "kind": "directive", "at": ack.confirmed_at}
        for ack in DirectiveAcknowledgement.objects.filter(household=household)
        .exclude(stamp_serial="")
        .select_related("directive")
    ] + [
        {
            "serial": share.stamp_serial,
            "title": share.quota.obligation.title,
            "kind": share.quota.obligation.duty_kind,
            "at": share.confirmed_at,
        }
        for share in shares
        if share.stamp_serial
    ]
    stamps.sort(key=lambda stamp: stamp["at"], reverse=True)
    directive_rows = [{"directive": d, "ack": acks.get(d.pk)} for d in directives]
    return {
        "household": household,
        "directives": directive_rows,
        "shares": shares,
        "sessions": sessions,
        "stamps": stamps,
        "tasks": household_tasks(directive_rows, shares, today),
        "notices": [
            row["directive"]
            for row in directive_rows
            if not row["directive"].requires_ack and row["directive"].effective_on >= today - NOTICES_SHOWN
        ],
        "can_record": scope_for(actor).allows_area(CHANGE, household.unit),
        "is_own": household.pk in scope_for(actor).household_ids,
        "today": today,
    }


def dashboard(*, actor) -> dict:
    """The officer's overview: what is in force under the actor's areas, with progress per unit."""
    today = timezone.localdate()
    directives = directives_visible(actor=actor).filter(
        Q(due_on__gte=today - timedelta(days=30)) | Q(due_on__isnull=True, effective_on__gte=today - timedelta(days=30))
    )[:20]
    campaigns = campaigns_visible(actor=actor).filter(ends_on__gte=today - timedelta(days=30))[:20]
    levies = levies_visible(actor=actor).filter(due_on__gte=today - timedelta(days=30))[:20]
    # A resident sees no unit's progress, only their own household's: its acknowledgement, its share.
    return {
        "directives": [
            directive_progress(actor=actor, directive=d) | {"own": own_households_addressed(actor=actor, directive=d)}
            for d in directives
        ],
        "campaigns": [
            obligation_progress(actor=actor, obligation=c) | {"own": own_shares(actor=actor, obligation=c)}
            for c in campaigns
        ],
        "levies": [
            obligation_progress(actor=actor, obligation=levy) | {"own": own_shares(actor=actor, obligation=levy)}
            for levy in levies
        ],
        "waivers_pending": waivers_to_decide(actor=actor).count(),
        "is_resident": is_resident_only(actor),
    }


MEASURES = dict(Measure.choices)
