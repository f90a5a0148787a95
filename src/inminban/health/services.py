"""Recording health checks. A health worker of the area records one check of one person on one day, in the household
where they sleep: a member of the household, a guest with a stay registered there for that night, or a guest seen
there with no stay registered, who is recorded as such and never refused (the integrity scan looks at those).

Health data is restricted: the audit entry of a check carries its id, its date, the kind of subject and the
household, never the temperature, the symptom screen, the note or a guest's name."""

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from inminban.areas.access import HEALTH, require
from inminban.audit.services import audit_record
from inminban.common.errors import DomainError
from inminban.common.validators import name_key, text_value
from inminban.registry.models import Household, Membership, Person, Stay

from .models import HealthCheck

TEMPERATURE_MIN = Decimal("34.0")
TEMPERATURE_MAX = Decimal("43.0")
NOTE_MAX = 300
GUEST_NAME_MAX = 128
# A check is recorded on the day or soon after (a paper round written up later), not weeks after.
BACKDATE_DAYS = 7

Subject = HealthCheck.Subject


def check_temperature(value) -> Decimal:
    """A body temperature in °C, to one decimal: a number from 34.0 to 43.0 (a text, 80 °C or a fever written in
    Fahrenheit is a mistake, not a reading)."""
    if value is None or value == "":
        raise DomainError("temperature_c", gettext_noop("The temperature is required."))
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise DomainError("temperature_c", gettext_noop("Write the temperature as a number, for example 36.6."))
    try:
        number = Decimal(value.strip().replace(",", ".") if isinstance(value, str) else str(value))
    except (InvalidOperation, ValueError):
        raise DomainError(
            "temperature_c", gettext_noop("Write the temperature as a number, for example 36.6.")
        ) from None
    if not number.is_finite():
        raise DomainError("temperature_c", gettext_noop("Write the temperature as a number, for example 36.6."))
    # The range before rounding too: quantizing 1e30 to tenths overflows the decimal context.
    half = Decimal("0.05")
    if TEMPERATURE_MIN - half <= number < TEMPERATURE_MAX + half:
        number = number.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if not TEMPERATURE_MIN <= number <= TEMPERATURE_MAX:
        raise DomainError(
            "temperature_c",
            gettext_noop("A body temperature is between %(low)s and %(high)s °C."),
            params={"low": str(TEMPERATURE_MIN), "high": str(TEMPERATURE_MAX)},
        )
    return number


def check_day(value) -> date:
    """The day of the check: today or up to BACKDATE_DAYS before, never ahead."""
    if not isinstance(value, date) or isinstance(value, datetime):
        raise DomainError("checked_on", gettext_noop("A date is required (YYYY-MM-DD)."))
    today = timezone.localdate()
    if value > today:
        raise DomainError("checked_on", gettext_noop("The date is in the future."))
    if value < today - timedelta(days=BACKDATE_DAYS):
        raise DomainError(
            "checked_on",
            gettext_noop("A check is recorded within %(days)s days of the day it was made."),
            params={"days": BACKDATE_DAYS},
        )
    return value


def stay_covers(stay: Stay, day: date) -> bool:
    """A night `d` is covered when arrives_on <= d <= COALESCE(departed_on, departs_on)."""
    return stay.arrives_on <= day <= (stay.departed_on or stay.departs_on)


def stays_covering_q(day: date) -> Q:
    """The same rule as a filter on Stay."""
    return Q(arrives_on__lte=day) & (
        Q(departed_on__isnull=False, departed_on__gte=day) | Q(departed_on__isnull=True, departs_on__gte=day)
    )


def _subject(*, household: Household, checked_on: date, person, stay, guest_name) -> tuple[str, str]:
    """Which of the three subjects this check is about, checked against the household and the night; the guest's
    name, stripped (empty unless an unregistered guest)."""
    named = guest_name not in (None, "") and not (isinstance(guest_name, str) and not guest_name.strip())
    if person is not None and stay is not None:
        raise DomainError(
            "stay", gettext_noop("Choose one: a member of the household, a registered guest or a guest's name.")
        )
    if (person is not None or stay is not None) and named:
        raise DomainError(
            "guest_name", gettext_noop("Choose one: a member of the household, a registered guest or a guest's name.")
        )
    if person is not None:
        if not isinstance(person, Person):
            raise DomainError("person", gettext_noop("Choose a member of the household."))
        member = Membership.objects.current_on(checked_on).filter(household=household, person=person).exists()
        if not member:
            raise DomainError("person", gettext_noop("This person was not a member of the household on that day."))
        return Subject.RESIDENT, ""
    if stay is not None:
        if not isinstance(stay, Stay) or stay.household_id != household.pk:
            raise DomainError("stay", gettext_noop("This guest's stay is registered with another household."))
        if not stay_covers(stay, checked_on):
            raise DomainError("stay", gettext_noop("This guest's registered stay does not cover that night."))
        return Subject.REGISTERED_GUEST, ""
    if not named:
        raise DomainError(
            "guest_name",
            gettext_noop(
                "Write the name of the guest who has no registered stay, or choose a member or a registered guest."
            ),
        )
    name = text_value("guest_name", guest_name, max_length=GUEST_NAME_MAX)
    registered = Stay.objects.filter(household=household, purged_at__isnull=True).filter(stays_covering_q(checked_on))
    if any(name_key(stay_name) == name_key(name) for stay_name in registered.values_list("guest_name", flat=True)):
        raise DomainError(
            "guest_name",
            gettext_noop("A guest of this name has a stay registered here for that night: choose them in the list."),
        )
    return Subject.UNREGISTERED_GUEST, name


_ALREADY = {
    Subject.RESIDENT: ("person", gettext_noop("This person's check of that day is already recorded.")),
    Subject.REGISTERED_GUEST: ("stay", gettext_noop("This guest's check of that day is already recorded.")),
    Subject.UNREGISTERED_GUEST: (
        "guest_name",
        gettext_noop("A check of a guest of this name in this household that day is already recorded."),
    ),
}


def _not_checked_yet(*, household: Household, checked_on: date, subject: str, person, stay, name: str) -> None:
    """One check of one subject on one day: a second is a double submission, not a second reading."""
    checks = HealthCheck.objects.filter(checked_on=checked_on)
    if subject == Subject.RESIDENT:
        already = checks.filter(person=person).exists()
    elif subject == Subject.REGISTERED_GUEST:
        already = checks.filter(stay=stay).exists()
    else:
        names = checks.filter(household=household, subject=subject).values_list("guest_name", flat=True)
        already = any(name_key(guest) == name_key(name) for guest in names)
    if already:
        raise DomainError(*_ALREADY[subject], code="duplicate")


@transaction.atomic
def healthcheck_record(
    *,
    actor,
    household: Household,
    checked_on: date,
    temperature_c,
    symptoms: bool,
    note: str = "",
    person: Person | None = None,
    stay: Stay | None = None,
    guest_name: str = "",
) -> HealthCheck:
    """A health worker of the household's area records a check of exactly one subject: `person` (a member of the
    household that day), `stay` (a guest registered with the household for that night) or `guest_name` (a guest
    seen there with no stay registered: recorded with subject "unregistered_guest", not refused)."""
    # Permission first: a health worker has no "view", so one of another area is told 404 (the household is not
    # theirs to know of); a leader or an auditor who sees the unit, 403.
    require(actor, HEALTH, household.unit)
    checked_on = check_day(checked_on)
    if household.registered_on > checked_on or (household.dissolved_on and household.dissolved_on <= checked_on):
        raise DomainError("household", gettext_noop("The household was not registered on that day."))
    temperature = check_temperature(temperature_c)
    if not isinstance(symptoms, bool):
        raise DomainError("symptoms", gettext_noop("Answer the symptom screen with yes or no."))
    note = text_value("note", note, max_length=NOTE_MAX, required=False)
    subject, name = _subject(
        household=household, checked_on=checked_on, person=person, stay=stay, guest_name=guest_name
    )
    _not_checked_yet(household=household, checked_on=checked_on, subject=subject, person=person, stay=stay, name=name)
    check = HealthCheck(
        unit=household.unit,
        household=household,
        subject=subject,
        person=person if subject == Subject.RESIDENT else None,
        stay=stay if subject == Subject.REGISTERED_GUEST else None,
        guest_name=name,
        checked_on=checked_on,
        temperature_c=temperature,
        symptoms=symptoms,
        note=note,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    check.full_clean()
    try:
        with transaction.atomic():
            check.save()
    except IntegrityError:  # the same check, recorded by another request at the same moment
        raise DomainError(*_ALREADY[subject], code="duplicate") from None
    audit_record(
        actor=actor,
        action="healthcheck.record",
        target=check,
        area=household.unit,
        household_id=household.pk,
        after={"on": checked_on, "subject": subject, "household": household.pk},
    )
    return check


def guest_names_purge(cutoff: date) -> int:
    """The stays purge's hook (registry.stays.STAY_PURGE_HOOKS): blank the names of unregistered guests checked
    before `cutoff`, and the notes of every guest's check (a note may name the guest), in one UPDATE. The checks
    stay, so the counts do."""
    guests = HealthCheck.objects.filter(checked_on__lt=cutoff).exclude(subject=Subject.RESIDENT)
    return guests.exclude(guest_name="", note="").update(guest_name="", note="")
