"""Overnight stays: a host household registers a guest who sleeps over (the resident, or the unit's leader or an
officer on its behalf); the leader confirms the registration; the office sets the deadline (stay_rules.py).

A guest is not a registry person. What identifies them (name, where from, document number, the note on the purpose)
is kept only until STAY_RETENTION_DAYS after the stay ended, then blanked by `stays_purge` (`inminban stays purge`,
and the daily job in jobs.py); the row stays, so the counts do. The audit entries of a stay carry only its id and
dates (and whether it was late or confirmed), never those details: the hash chain never has to be rewritten to
forget a guest, and `audit verify` stays green after a purge."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from inminban.areas.access import CHANGE, MANAGE_AREAS, require, scope_for
from inminban.areas.models import Area, Office
from inminban.audit.services import audit_record
from inminban.common.errors import DomainError, NotPermitted, NotVisible
from inminban.common.validators import EARLIEST_DATE, name_key, text_value

from .models import Household, Membership, Person, Stay, StayRules
from .stay_rules import MAX_DEADLINE_DAYS, RULE_FIELDS, deadline_under, stay_rules_for, stay_rules_of_office
from .stay_selectors import is_own_household

GUEST_NAME_MAX = 128
ORIGIN_ADDRESS_MAX = 255
DOCUMENT_NUMBER_MAX = 32
PURPOSE_NOTE_MAX = 200
# A registration for a stay that began longer ago than this is a mistake, not a late registration.
PAST_LIMIT_DAYS = 366
# A guest who stays longer than this lives here: they become a member of the household (a move), not a guest.
LONGEST_STAY_DAYS = 366
HOSTS_MAX = 30
# Letters, digits and dashes: what identity documents print; nothing that could hide another field's text.
DOCUMENT_NUMBER = re.compile(r"[A-Za-z0-9-]{1,32}")

# The fields `stays_purge` blanks: everything that identifies the guest.
GUEST_FIELDS = ("guest_name", "origin_address", "document_number", "purpose_note")

# cutoff -> rows scrubbed elsewhere: other apps' copies of guests' details (the health app's unregistered guests,
# the API's stored answers), registered from their AppConfig.ready() and run by `stays_purge` in its transaction.
STAY_PURGE_HOOKS: list[Callable[[date], int]] = []


def _now() -> datetime:
    """The time a registration or a change is made (one place, so that tests can move it)."""
    return timezone.now()


def _today() -> date:
    return timezone.localtime(_now()).date()


# Permission --------------------------------------------------------------------------------------------------------


def acts_for_household(actor, household: Household) -> bool:
    """Whether the actor registers for this household as one of its residents (not as leader or officer)."""
    return household.pk in scope_for(actor).household_ids


def _require_host_or_change(actor, household: Household, unit: Area) -> None:
    """A resident of the household, or a leader or officer with CHANGE on the unit; a household out of sight is a
    404, one in sight but read-only (an auditor) a 403."""
    if acts_for_household(actor, household):
        return
    require(actor, CHANGE, unit)


# Validation --------------------------------------------------------------------------------------------------------


def _a_date(field: str, value) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise DomainError(field, gettext_noop("A date is required (YYYY-MM-DD)."))
    if value < EARLIEST_DATE:
        raise DomainError(field, gettext_noop("The date is before 1900."))
    return value


def _arrival(arrives_on, today: date) -> date:
    arrives_on = _a_date("arrives_on", arrives_on)
    ahead = settings.STAY_ADVANCE_DAYS
    if arrives_on > today + timedelta(days=ahead):
        raise DomainError(
            "arrives_on",
            gettext_noop("A guest is registered at most %(days)s days before they arrive."),
            params={"days": ahead},
        )
    if arrives_on < today - timedelta(days=PAST_LIMIT_DAYS):
        raise DomainError("arrives_on", gettext_noop("The arrival is more than a year ago: check the date."))
    return arrives_on


def _departure(field: str, departs_on, arrives_on: date) -> date:
    departs_on = _a_date(field, departs_on)
    if departs_on < arrives_on:
        raise DomainError(field, gettext_noop("The departure cannot be before the arrival."))
    if departs_on > arrives_on + timedelta(days=LONGEST_STAY_DAYS):
        raise DomainError(
            field,
            gettext_noop("A guest stays at most a year; someone who stays longer joins the household as a member."),
        )
    return departs_on


def _purpose(purpose) -> str:
    if purpose not in Stay.Purpose.values:
        raise DomainError(
            "purpose", gettext_noop("Choose why the guest comes: family, work, study, trade, medical care or other.")
        )
    return purpose


def _document_number(value) -> str:
    number = text_value("document_number", value, max_length=DOCUMENT_NUMBER_MAX, required=False)
    if number and not DOCUMENT_NUMBER.fullmatch(number):
        raise DomainError(
            "document_number", gettext_noop("A document number has only letters, digits and dashes (at most 32).")
        )
    return number


def _hosts(household: Household, hosts, on: date) -> list[Person]:
    hosts = list(dict.fromkeys(hosts or ()))
    if len(hosts) > HOSTS_MAX:
        raise DomainError("hosts", gettext_noop("Too many hosts."))
    if not all(isinstance(person, Person) for person in hosts):
        raise DomainError("hosts", gettext_noop("The hosts are members of the household."))
    members = set(
        Membership.objects.current_on(on)
        .filter(household=household, person__in=[person.pk for person in hosts])
        .values_list("person_id", flat=True)
    )
    if any(person.pk not in members for person in hosts):
        raise DomainError("hosts", gettext_noop("The hosts are members of the household."))
    return hosts


def _origin(origin_area, origin_address) -> tuple[Area | None, str]:
    address = text_value("origin_address", origin_address, max_length=ORIGIN_ADDRESS_MAX, required=False)
    if origin_area is not None and not isinstance(origin_area, Area):
        raise DomainError("origin_area", gettext_noop("There is no such area."))
    if origin_area is None and not address:
        raise DomainError(
            "origin_address", gettext_noop("Say where the guest comes from: a town or city, or an address.")
        )
    return origin_area, address


# Registering -------------------------------------------------------------------------------------------------------


def stay_snapshot(stay: Stay) -> dict:
    """What the audit keeps of a stay: its dates and whether it was late or confirmed; never who the guest is."""
    return {
        "arrives_on": stay.arrives_on,
        "departs_on": stay.departs_on,
        "departed_on": stay.departed_on,
        "late": stay.late,
        "confirmed": stay.confirmed_at is not None,
    }


def _not_registered_yet(household: Household, guest_name: str, arrives_on: date, departs_on: date) -> None:
    """A guest is registered once for a night: the same name (spaces aside) in the same household over nights that
    overlap is a double submission (a longer stay is an update of the first)."""
    overlapping = Stay.objects.filter(
        household=household,
        purged_at__isnull=True,
        arrives_on__lte=departs_on,
    ).filter(Q(departed_on__isnull=True, departs_on__gte=arrives_on) | Q(departed_on__gte=arrives_on))
    key = name_key(guest_name)
    if any(name_key(name) == key for name in overlapping.values_list("guest_name", flat=True)):
        raise DomainError(
            "guest_name",
            gettext_noop("This guest is already registered with this household for some of these nights."),
            code="duplicate",
        )


@transaction.atomic
def stay_register(
    *,
    actor: User,
    household: Household,
    guest_name: str,
    arrives_on: date,
    departs_on: date,
    purpose: str,
    hosts=(),
    origin_area: Area | None = None,
    origin_address: str = "",
    document_number: str = "",
    purpose_note: str = "",
) -> Stay:
    """Register an overnight guest of `household`: by one of its residents, or by a leader or officer with CHANGE on
    its unit. The deadline comes from the rule of the office governing the unit and is stored with the stay;
    `late` says whether the registration came after it."""
    unit = household.unit
    _require_host_or_change(actor, household, unit)
    if household.dissolved_on is not None:
        raise DomainError("household", gettext_noop("The household is dissolved."))
    now = _now()
    today = timezone.localtime(now).date()
    guest_name = text_value("guest_name", guest_name, max_length=GUEST_NAME_MAX)
    arrives_on = _arrival(arrives_on, today)
    departs_on = _departure("departs_on", departs_on, arrives_on)
    purpose = _purpose(purpose)
    origin_area, origin_address = _origin(origin_area, origin_address)
    document_number = _document_number(document_number)
    purpose_note = text_value("purpose_note", purpose_note, max_length=PURPOSE_NOTE_MAX, required=False)
    hosts = _hosts(household, hosts, today)
    # Two submissions of the same guest at the same moment: the second waits here, then finds the first.
    list(Household.objects.select_for_update().filter(pk=household.pk).values_list("pk"))
    _not_registered_yet(household, guest_name, arrives_on, departs_on)
    deadline = deadline_under(stay_rules_for(unit), arrives_on)
    stay = Stay(
        household=household,
        unit=unit,
        guest_name=guest_name,
        origin_area=origin_area,
        origin_address=origin_address,
        document_number=document_number,
        purpose=purpose,
        purpose_note=purpose_note,
        arrives_on=arrives_on,
        departs_on=departs_on,
        deadline=deadline,
        registered_at=now,
        registered_by=actor,
        late=now > deadline,
    )
    stay.full_clean(exclude=["household", "unit", "origin_area", "registered_by"])
    stay.save()
    stay.hosts.set(hosts)
    audit_record(
        actor=actor,
        action="stay.register",
        target=stay,
        area=unit,
        household_id=household.pk,
        after={"arrives_on": arrives_on, "departs_on": departs_on, "late": stay.late},
    )
    return stay


def _locked(stay: Stay) -> Stay:
    return Stay.objects.select_for_update(of=("self",)).select_related("household", "unit").get(pk=stay.pk)


def _require_not_purged(stay: Stay) -> None:
    if stay.purged_at is not None:
        raise DomainError("stay", gettext_noop("This stay ended long ago and the guest's details were erased."))


@transaction.atomic
def stay_update(*, actor: User, stay: Stay, departs_on: date | None = None, departed_on: date | None = None) -> Stay:
    """Extend (or shorten) a stay's expected departure, or record the day the guest left; by the household's
    residents or a leader or officer with CHANGE on the stay's unit. A stay past its expected departure with no
    departure recorded counts as overstayed until one of these is done."""
    stay = _locked(stay)
    _require_host_or_change(actor, stay.household, stay.unit)
    if departs_on is None and departed_on is None:
        raise DomainError("departs_on", gettext_noop("Give the new expected departure, or the day the guest left."))
    _require_not_purged(stay)
    before = stay_snapshot(stay)
    if departs_on is not None:
        stay.departs_on = _departure("departs_on", departs_on, stay.arrives_on)
    if departed_on is not None:
        departed_on = _departure("departed_on", departed_on, stay.arrives_on)
        if departed_on > _today():
            raise DomainError("departed_on", gettext_noop("The date is in the future."))
        stay.departed_on = departed_on
    after = stay_snapshot(stay)
    if after == before:
        raise DomainError(
            "departed_on" if departed_on is not None else "departs_on", gettext_noop("Nothing would change.")
        )
    stay.save(update_fields=["departs_on", "departed_on"])
    changed = [name for name in after if after[name] != before[name]]
    audit_record(
        actor=actor,
        action="stay.update",
        target=stay,
        area=stay.unit,
        household_id=stay.household_id,
        before={"arrives_on": stay.arrives_on} | {name: before[name] for name in changed},
        after={"arrives_on": stay.arrives_on} | {name: after[name] for name in changed},
    )
    return stay


@transaction.atomic
def stay_confirm(*, actor: User, stay: Stay) -> Stay:
    """The unit's leader (or an officer) confirms a registration: they know of the guest. Once per stay."""
    stay = _locked(stay)
    if is_own_household(actor, stay.household_id):
        raise NotPermitted("a household does not confirm its own registration")
    require(actor, CHANGE, stay.unit)
    _require_not_purged(stay)
    if stay.confirmed_at is not None:
        raise DomainError("stay", gettext_noop("This stay is already confirmed."))
    stay.confirmed_at, stay.confirmed_by = _now(), actor
    stay.save(update_fields=["confirmed_at", "confirmed_by"])
    audit_record(
        actor=actor,
        action="stay.confirm",
        target=stay,
        area=stay.unit,
        household_id=stay.household_id,
        before={"arrives_on": stay.arrives_on, "departs_on": stay.departs_on, "confirmed": False},
        after={"arrives_on": stay.arrives_on, "departs_on": stay.departs_on, "confirmed": True},
    )
    return stay


# Rules -------------------------------------------------------------------------------------------------------------


def _require_office_above(actor, office: Office) -> None:
    """Officers of an office above `office`, or administrators, as for the governance rules: an office does not set
    the bar its own households are measured by."""
    require(actor, MANAGE_AREAS, office.area)
    scope = scope_for(actor)
    if not scope.is_admin and office.area.path in scope.prefixes(MANAGE_AREAS):
        above = [prefix for prefix in scope.prefixes(MANAGE_AREAS) if prefix != office.area.path]
        if not any(office.area.path.startswith(prefix) for prefix in above):
            raise NotPermitted("an office's stay rules are set by an office above it")


def may_set_stay_rules(actor, office: Office) -> bool:
    """Whether `actor` may set `office`'s stay rules (the pages offer the form only then)."""
    try:
        _require_office_above(actor, office)
    except (NotPermitted, NotVisible):
        return False
    return True


@transaction.atomic
def stay_rules_set(*, actor: User, office: Office, deadline_time: time, deadline_days: int) -> StayRules | None:
    """Set when the households under `office` must register a guest: by `deadline_time` on the day of arrival plus
    `deadline_days`. Stays already registered keep the deadline they were registered under. The office's own row,
    or None when nothing changed and it has none."""
    _require_office_above(actor, office)
    if not isinstance(deadline_time, time):
        raise DomainError("deadline_time", gettext_noop("A time of day, such as 22:00."))
    if deadline_time.tzinfo is not None:
        raise DomainError("deadline_time", gettext_noop("A time of day, such as 22:00, without a time zone."))
    deadline_time = deadline_time.replace(second=0, microsecond=0)
    if (
        isinstance(deadline_days, bool)
        or not isinstance(deadline_days, int)
        or not (0 <= deadline_days <= MAX_DEADLINE_DAYS)
    ):
        raise DomainError(
            "deadline_days",
            gettext_noop("A whole number of days from 0 to %(high)s."),
            params={"high": MAX_DEADLINE_DAYS},
        )
    if deadline_days == 0 and deadline_time == time(0, 0):
        raise DomainError(
            "deadline_time",
            gettext_noop(
                "00:00 on the day of arrival is the moment the day begins: every guest would be late. Choose a later "
                "time, or the day after."
            ),
        )
    current = stay_rules_of_office(office)
    before = {name: getattr(current, name) for name in RULE_FIELDS}
    if before == {"deadline_time": deadline_time, "deadline_days": deadline_days}:
        # Nothing changes: no audit entry, and no row of its own that would cut the office off from an office above.
        return StayRules.objects.filter(office=office).first()
    row = StayRules.objects.select_for_update(of=("self",)).filter(office=office).first()
    if row is None:
        row = StayRules(office=office)
    row.deadline_time, row.deadline_days = deadline_time, deadline_days
    row.changed_by, row.changed_at = actor, _now()
    row.full_clean(exclude=["office", "changed_by"])
    row.save()
    after = {name: getattr(row, name) for name in RULE_FIELDS}
    audit_record(
        actor=actor,
        action="stay_rules.set",
        target=row,
        area=office.area,
        before={name: value for name, value in before.items() if after[name] != value} | {"office": office.pk},
        after={name: value for name, value in after.items() if before[name] != value} | {"office": office.pk},
    )
    return row


# Purging -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _PurgeRun:
    """What the purge's audit entry points at: the run, by its cutoff date (there is no row of its own)."""

    pk: str

    def __str__(self) -> str:
        return f"stays purge before {self.pk}"


def purge_cutoff(today: date) -> date:
    """Stays that ended before this day have their guest's details erased."""
    return today - timedelta(days=settings.STAY_RETENTION_DAYS)


@transaction.atomic
def stays_purge(*, actor: User | None = None, today: date | None = None) -> int:
    """Blank the guest's details (name, address, document number, note) of every stay that ended more than
    STAY_RETENTION_DAYS ago, COALESCE(departed_on, departs_on) + STAY_RETENTION_DAYS < today, in one UPDATE; the
    rows stay (with their dates, unit, origin area and purpose), so do the counts. Then the other apps' copies
    (STAY_PURGE_HOOKS), and one audit entry with the counts and the cutoff. Returns how many stays were purged.
    Run by the command line or the scheduled job (no actor), or by an administrator."""
    if actor is not None and not scope_for(actor).is_admin:
        if scope_for(actor).user_id is None:
            raise NotVisible("stays not found")
        raise NotPermitted("only administrators purge guests' details")
    today = today or _today()
    cutoff = purge_cutoff(today)
    ended = Q(departed_on__lt=cutoff) | Q(departed_on__isnull=True, departs_on__lt=cutoff)
    purged = (
        Stay.objects.filter(ended, purged_at__isnull=True)
        .order_by()
        .update(**{name: "" for name in GUEST_FIELDS}, purged_at=_now())
    )
    elsewhere = sum(hook(cutoff) for hook in list(STAY_PURGE_HOOKS))
    if purged or elsewhere:
        audit_record(
            actor=actor,
            action="stays.purge",
            target=_PurgeRun(cutoff.isoformat()),
            target_type="registry.stays_purge",
            after={"cutoff": cutoff, "stays": purged, "other_records": elsewhere},
        )
    return purged


def stay_purge_hook_register(hook: Callable[[date], int]) -> None:
    """Add another app's purge of its copies of guests' details (idempotent: ready() may run twice in tests)."""
    if hook not in STAY_PURGE_HOOKS:
        STAY_PURGE_HOOKS.append(hook)
