"""Every write to the registry: permission first, then validation, then the change, then the audit entry."""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from inminban.areas.access import CHANGE, require
from inminban.areas.models import Area
from inminban.audit.services import audit_record
from inminban.common.errors import DomainError
from inminban.common.snapshots import snapshot

from .models import DeclaredIncome, Dwelling, Household, Membership, Move, Occupation, Person, Residence

DWELLING_FIELDS = ("unit", "address", "building", "apartment", "kind", "floor_area_m2")
HOUSEHOLD_FIELDS = ("unit", "dwelling", "head", "number", "registered_on", "dissolved_on")
PERSON_FIELDS = ("family_name", "given_name", "birth_date", "sex", "national_id", "status", "household")
MEMBERSHIP_FIELDS = ("household", "person", "relation", "since", "until")
OCCUPATION_FIELDS = ("person", "workplace", "job_title", "since", "until")
INCOME_FIELDS = ("person", "amount", "currency", "period", "since", "until")

EARLIEST_DATE = date(1900, 1, 1)


def _check_date(field: str, value: date, *, not_future: bool = False) -> None:
    if not isinstance(value, date):
        raise DomainError(field, "A date is required (YYYY-MM-DD).")
    if value < EARLIEST_DATE:
        raise DomainError(field, "The date is before 1900.")
    if not_future and value > timezone.localdate():
        raise DomainError(field, "The date is in the future.")


def _check_period(since: date, until: date | None) -> None:
    _check_date("since", since)
    if until is not None:
        _check_date("until", until)
        if until <= since:
            raise DomainError("until", "The end date must be after the start date.")


def _require_unit(field: str, area: Area) -> None:
    if not area.level.is_unit:
        raise DomainError(field, f"{area.code} is not a unit.")


def _text(field: str, value: str, *, required: bool = True, max_length: int = 255) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(field, "This field is required.")
    if len(value) > max_length:
        raise DomainError(field, f"At most {max_length} characters.")
    return value


def _audit(actor, action, obj, household: Household | None, before=None, after=None):
    unit = household.unit if household is not None else getattr(obj, "unit", None)
    audit_record(
        actor=actor,
        action=action,
        target=obj,
        area=unit,
        household_id=household.pk if household is not None else None,
        before=before,
        after=after,
    )


# Dwellings ------------------------------------------------------------------------------------------------------


@transaction.atomic
def dwelling_create(
    *,
    actor: User,
    unit: Area,
    address: str,
    building: str = "",
    apartment: str = "",
    kind: str = Dwelling.Kind.APARTMENT,
    floor_area_m2: int | None = None,
) -> Dwelling:
    """Register a home in a unit."""
    require(actor, CHANGE, unit)
    _require_unit("unit", unit)
    if kind not in Dwelling.Kind.values:
        raise DomainError("kind", f"Unknown kind of dwelling {kind!r}.")
    if floor_area_m2 is not None and not (5 <= floor_area_m2 <= 2000):
        raise DomainError("floor_area_m2", "Floor area must be between 5 and 2000 m².")
    dwelling = Dwelling(
        unit=unit,
        address=_text("address", address),
        building=_text("building", building, required=False, max_length=64),
        apartment=_text("apartment", apartment, required=False, max_length=32),
        kind=kind,
        floor_area_m2=floor_area_m2,
    )
    dwelling.full_clean()
    dwelling.save()
    _audit(actor, "dwelling.create", dwelling, None, after=snapshot(dwelling, DWELLING_FIELDS))
    return dwelling


@transaction.atomic
def dwelling_update(*, actor: User, dwelling: Dwelling, **changes) -> Dwelling:
    """Correct a dwelling's address, kind or floor area. Its unit does not change: a move is a move."""
    require(actor, CHANGE, dwelling.unit)
    allowed = {"address", "building", "apartment", "kind", "floor_area_m2"}
    unknown = set(changes) - allowed
    if unknown:
        raise DomainError(sorted(unknown)[0], "This field cannot be changed here.")
    before = snapshot(dwelling, DWELLING_FIELDS)
    if "address" in changes:
        dwelling.address = _text("address", changes["address"])
    if "building" in changes:
        dwelling.building = _text("building", changes["building"], required=False, max_length=64)
    if "apartment" in changes:
        dwelling.apartment = _text("apartment", changes["apartment"], required=False, max_length=32)
    if "kind" in changes:
        if changes["kind"] not in Dwelling.Kind.values:
            raise DomainError("kind", f"Unknown kind of dwelling {changes['kind']!r}.")
        dwelling.kind = changes["kind"]
    if "floor_area_m2" in changes:
        area = changes["floor_area_m2"]
        if area is not None and not (5 <= area <= 2000):
            raise DomainError("floor_area_m2", "Floor area must be between 5 and 2000 m².")
        dwelling.floor_area_m2 = area
    dwelling.full_clean()
    dwelling.save()
    _audit(actor, "dwelling.update", dwelling, None, before=before, after=snapshot(dwelling, DWELLING_FIELDS))
    return dwelling


# Households -----------------------------------------------------------------------------------------------------


@transaction.atomic
def household_register(
    *, actor: User, unit: Area, number: str, registered_on: date, dwelling: Dwelling | None = None
) -> Household:
    """Register a new household in a unit, living in `dwelling` from `registered_on`."""
    require(actor, CHANGE, unit)
    _require_unit("unit", unit)
    _check_date("registered_on", registered_on, not_future=True)
    number = _text("number", number, max_length=32)
    if Household.objects.filter(number=number).exists():
        raise DomainError("number", f"Household number {number!r} is already registered.")
    if dwelling is not None and dwelling.unit_id != unit.pk:
        raise DomainError("dwelling", "The dwelling is not in this unit.")
    household = Household(unit=unit, dwelling=dwelling, number=number, registered_on=registered_on)
    household.full_clean()
    household.save()
    Residence.objects.create(household=household, unit=unit, dwelling=dwelling, since=registered_on)
    _audit(actor, "household.register", household, household, after=snapshot(household, HOUSEHOLD_FIELDS))
    return household


@transaction.atomic
def household_set_head(*, actor: User, household: Household, person: Person) -> Household:
    """Name the head of the household; they must be a current member."""
    require(actor, CHANGE, household.unit)
    if not Membership.objects.filter(household=household, person=person, until__isnull=True).exists():
        raise DomainError("head", "The head must be a current member of the household.")
    before = snapshot(household, ("head",))
    household.head = person
    household.save(update_fields=["head"])
    _audit(actor, "household.set_head", household, household, before=before, after=snapshot(household, ("head",)))
    return household


@transaction.atomic
def household_move(*, actor: User, household: Household, dwelling: Dwelling, on: date, note: str = "") -> Move:
    """Move a whole household to another dwelling (possibly in another unit), keeping where it lived before."""
    require(actor, CHANGE, household.unit)
    require(actor, CHANGE, dwelling.unit)
    _check_date("on", on)
    current = Residence.objects.filter(household=household, until__isnull=True).first()
    if current and on <= current.since:
        raise DomainError("on", "A move must come after the current residence began.")
    if household.dwelling_id == dwelling.pk:
        raise DomainError("dwelling", "The household already lives there.")
    before = snapshot(household, ("unit", "dwelling"))
    move = Move(
        kind=Move.Kind.HOUSEHOLD,
        on=on,
        household=household,
        from_unit=household.unit,
        to_unit=dwelling.unit,
        from_dwelling=household.dwelling,
        to_dwelling=dwelling,
        note=_text("note", note, required=False),
    )
    Residence.objects.filter(household=household, until__isnull=True).update(until=on)
    Residence.objects.create(household=household, unit=dwelling.unit, dwelling=dwelling, since=on)
    household.unit, household.dwelling = dwelling.unit, dwelling
    household.save(update_fields=["unit", "dwelling"])
    move.save()
    _audit(
        actor,
        "household.move",
        household,
        household,
        before=before,
        after=snapshot(household, ("unit", "dwelling")) | {"on": on},
    )
    return move


# Persons and memberships ----------------------------------------------------------------------------------------


def _check_person_fields(*, family_name, given_name, birth_date, sex, national_id, exclude_pk=None) -> str | None:
    _text("family_name", family_name, max_length=64)
    _text("given_name", given_name, max_length=64)
    _check_date("birth_date", birth_date, not_future=True)
    if sex not in Person.Sex.values:
        raise DomainError("sex", "Sex must be F or M.")
    national_id = (national_id or "").strip() or None
    if national_id is not None:
        if len(national_id) > 32:
            raise DomainError("national_id", "At most 32 characters.")
        clash = Person.objects.filter(national_id=national_id).exclude(pk=exclude_pk)
        if clash.exists():
            raise DomainError("national_id", "Another person already has this national ID.")
    return national_id


def _check_no_overlap(person: Person, since: date, until: date | None, exclude_pk=None) -> None:
    overlapping = (
        Membership.objects.filter(person=person)
        .exclude(pk=exclude_pk)
        .filter(**({"since__lt": until} if until else {}))
        .exclude(until__lte=since)
    )
    if overlapping.exists():
        raise DomainError("since", "This overlaps another membership of the same person.")


@transaction.atomic
def person_register(
    *,
    actor: User,
    household: Household,
    family_name: str,
    given_name: str,
    birth_date: date,
    sex: str,
    relation: str,
    since: date,
    national_id: str | None = None,
) -> Person:
    """Add a person to the registry as a member of `household` from `since` (a birth or an arrival)."""
    require(actor, CHANGE, household.unit)
    national_id = _check_person_fields(
        family_name=family_name, given_name=given_name, birth_date=birth_date, sex=sex, national_id=national_id
    )
    _check_date("since", since)
    if since < birth_date:
        raise DomainError("since", "Membership cannot begin before the person was born.")
    if relation not in Membership.Relation.values:
        raise DomainError("relation", f"Unknown relation {relation!r}.")
    person = Person(
        family_name=family_name.strip(),
        given_name=given_name.strip(),
        birth_date=birth_date,
        sex=sex,
        national_id=national_id,
        household=household,
    )
    person.full_clean()
    person.save()
    membership = Membership.objects.create(household=household, person=person, relation=relation, since=since)
    if relation == Membership.Relation.HEAD and household.head_id is None:
        household.head = person
        household.save(update_fields=["head"])
    _audit(
        actor,
        "person.register",
        person,
        household,
        after=snapshot(person, PERSON_FIELDS) | {"membership": snapshot(membership, MEMBERSHIP_FIELDS)},
    )
    return person


@transaction.atomic
def person_update(*, actor: User, person: Person, **changes) -> Person:
    """Correct a person's names, birth date, sex or national ID."""
    require(actor, CHANGE, person.household.unit)
    allowed = {"family_name", "given_name", "birth_date", "sex", "national_id"}
    unknown = set(changes) - allowed
    if unknown:
        raise DomainError(sorted(unknown)[0], "This field cannot be changed here.")
    values = {name: getattr(person, name) for name in allowed} | changes
    national_id = _check_person_fields(**values, exclude_pk=person.pk)
    first_since = person.memberships.order_by("since").values_list("since", flat=True).first()
    if first_since and values["birth_date"] > first_since:
        raise DomainError("birth_date", "The person was a household member before this birth date.")
    before = snapshot(person, PERSON_FIELDS)
    person.family_name = values["family_name"].strip()
    person.given_name = values["given_name"].strip()
    person.birth_date, person.sex, person.national_id = values["birth_date"], values["sex"], national_id
    person.full_clean()
    person.save()
    after = snapshot(person, PERSON_FIELDS)
    _audit(actor, "person.update", person, person.household, before=before, after=after)
    return person


@transaction.atomic
def membership_add(
    *, actor: User, household: Household, person: Person, relation: str, since: date, until: date | None = None
) -> Membership:
    """Record that a person belonged (or belongs) to a household over a period."""
    require(actor, CHANGE, household.unit)
    if person.household_id and person.household_id != household.pk:
        require(actor, CHANGE, person.household.unit)
    _check_period(since, until)
    if since < person.birth_date:
        raise DomainError("since", "Membership cannot begin before the person was born.")
    if relation not in Membership.Relation.values:
        raise DomainError("relation", f"Unknown relation {relation!r}.")
    _check_no_overlap(person, since, until)
    membership = Membership(household=household, person=person, relation=relation, since=since, until=until)
    membership.full_clean(validate_constraints=False)
    membership.save()
    if until is None:
        person.household = household
        person.status = Person.Status.RESIDENT
        person.save(update_fields=["household", "status"])
    _audit(actor, "membership.add", membership, household, after=snapshot(membership, MEMBERSHIP_FIELDS))
    return membership


@transaction.atomic
def membership_update(
    *,
    actor: User,
    membership: Membership,
    relation: str | None = None,
    since: date | None = None,
    until: date | None = None,
    end: bool = False,
) -> Membership:
    """Correct a membership's relation or dates; `end=True` with `until` closes it."""
    require(actor, CHANGE, membership.household.unit)
    before = snapshot(membership, MEMBERSHIP_FIELDS)
    new_since = since if since is not None else membership.since
    new_until = until if (until is not None or end) else membership.until
    if relation is not None and relation not in Membership.Relation.values:
        raise DomainError("relation", f"Unknown relation {relation!r}.")
    _check_period(new_since, new_until)
    if new_since < membership.person.birth_date:
        raise DomainError("since", "Membership cannot begin before the person was born.")
    _check_no_overlap(membership.person, new_since, new_until, exclude_pk=membership.pk)
    membership.relation = relation or membership.relation
    membership.since, membership.until = new_since, new_until
    membership.full_clean(validate_constraints=False)
    membership.save()
    _audit(
        actor,
        "membership.update",
        membership,
        membership.household,
        before=before,
        after=snapshot(membership, MEMBERSHIP_FIELDS),
    )
    return membership


@transaction.atomic
def person_move(*, actor: User, person: Person, household: Household, relation: str, on: date, note: str = "") -> Move:
    """Move one person into another household from `on`, ending their current membership that day."""
    current = Membership.objects.filter(person=person, until__isnull=True).select_related("household__unit").first()
    if current is not None:
        require(actor, CHANGE, current.household.unit)
    require(actor, CHANGE, household.unit)
    _check_date("on", on)
    if relation not in Membership.Relation.values:
        raise DomainError("relation", f"Unknown relation {relation!r}.")
    if current is not None:
        if current.household_id == household.pk:
            raise DomainError("household", "The person already belongs to this household.")
        if on <= current.since:
            raise DomainError("on", "A move must come after the current membership began.")
    if person.status == Person.Status.DECEASED:
        raise DomainError("person", "A deceased person cannot move.")
    from_household = current.household if current else person.household
    move = Move(
        kind=Move.Kind.PERSON,
        on=on,
        household=household,
        person=person,
        from_unit=from_household.unit if from_household else household.unit,
        to_unit=household.unit,
        from_dwelling=from_household.dwelling if from_household else None,
        to_dwelling=household.dwelling,
        from_household=from_household,
        note=_text("note", note, required=False),
    )
    if current is not None:
        current.until = on
        current.save(update_fields=["until"])
        if from_household.head_id == person.pk:
            from_household.head = None
            from_household.save(update_fields=["head"])
    Membership.objects.create(household=household, person=person, relation=relation, since=on)
    person.household, person.status = household, Person.Status.RESIDENT
    person.save(update_fields=["household", "status"])
    move.save()
    for hh in {from_household, household} - {None}:
        _audit(
            actor,
            "person.move",
            person,
            hh,
            before={"household": from_household.pk if from_household else None},
            after={"household": household.pk, "relation": relation, "on": on},
        )
    return move


@transaction.atomic
def person_leave(*, actor: User, person: Person, on: date, status: str) -> Person:
    """A person moved away from the registry's area or died: end the membership and set the status."""
    require(actor, CHANGE, person.household.unit)
    _check_date("on", on, not_future=True)
    if status not in (Person.Status.MOVED_AWAY, Person.Status.DECEASED):
        raise DomainError("status", "Status must be moved_away or deceased.")
    current = Membership.objects.filter(person=person, until__isnull=True).first()
    if current is not None and on <= current.since:
        raise DomainError("on", "This must come after the current membership began.")
    before = snapshot(person, PERSON_FIELDS)
    if current is not None:
        current.until = on
        current.save(update_fields=["until"])
    person.status = status
    person.save(update_fields=["status"])
    household = person.household
    if household.head_id == person.pk:
        household.head = None
        household.save(update_fields=["head"])
    _audit(
        actor, f"person.{status}", person, household, before=before, after=snapshot(person, PERSON_FIELDS) | {"on": on}
    )
    return person


# Occupations and income -----------------------------------------------------------------------------------------


@transaction.atomic
def occupation_set(*, actor: User, person: Person, workplace: str, job_title: str, since: date) -> Occupation:
    """Record a person's new job from `since`; the previous open job ends that day."""
    require(actor, CHANGE, person.household.unit)
    workplace = _text("workplace", workplace)
    job_title = _text("job_title", job_title, max_length=128)
    _check_date("since", since)
    if since < person.birth_date:
        raise DomainError("since", "A job cannot begin before the person was born.")
    current = Occupation.objects.filter(person=person, until__isnull=True).first()
    if current is not None and since <= current.since:
        raise DomainError("since", "The new job must begin after the current one began.")
    before = snapshot(current, OCCUPATION_FIELDS) if current else None
    if current is not None:
        current.until = since
        current.save(update_fields=["until"])
    occupation = Occupation.objects.create(person=person, workplace=workplace, job_title=job_title, since=since)
    _audit(
        actor,
        "occupation.set",
        occupation,
        person.household,
        before=before,
        after=snapshot(occupation, OCCUPATION_FIELDS),
    )
    return occupation


@transaction.atomic
def occupation_update(
    *, actor: User, occupation: Occupation, workplace: str | None = None, job_title: str | None = None
) -> Occupation:
    """Correct the workplace or job title of a recorded job."""
    person = occupation.person
    require(actor, CHANGE, person.household.unit)
    before = snapshot(occupation, OCCUPATION_FIELDS)
    if workplace is not None:
        occupation.workplace = _text("workplace", workplace)
    if job_title is not None:
        occupation.job_title = _text("job_title", job_title, max_length=128)
    occupation.full_clean()
    occupation.save()
    _audit(
        actor,
        "occupation.update",
        occupation,
        person.household,
        before=before,
        after=snapshot(occupation, OCCUPATION_FIELDS),
    )
    return occupation


@transaction.atomic
def income_declare(*, actor: User, person: Person, amount, currency: str, period: str, since: date) -> DeclaredIncome:
    """Record a declared income from `since`; the previous open declaration ends that day."""
    require(actor, CHANGE, person.household.unit)
    try:
        amount = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        raise DomainError("amount", "The amount must be a number.") from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise DomainError("amount", "The amount must be zero or more and below 10^12.")
    currency = (currency or "").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise DomainError("currency", "A three-letter currency code, such as KPW.")
    if period not in DeclaredIncome.Period.values:
        raise DomainError("period", "Period must be month or year.")
    _check_date("since", since)
    current = DeclaredIncome.objects.filter(person=person, until__isnull=True).first()
    if current is not None and since <= current.since:
        raise DomainError("since", "The new declaration must begin after the current one began.")
    if current is not None:
        current.until = since
        current.save(update_fields=["until"])
    income = DeclaredIncome.objects.create(
        person=person, amount=amount.quantize(Decimal("0.01")), currency=currency, period=period, since=since
    )
    _audit(actor, "income.declare", income, person.household, after=snapshot(income, INCOME_FIELDS))
    return income
