"""Every write to the registry: permission first, then validation, then the change, then the audit entry."""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import User
from django.db import transaction

from inminban.areas.access import CHANGE, require
from inminban.areas.models import Area
from inminban.audit.services import audit_record
from inminban.common.errors import DomainError
from inminban.common.snapshots import snapshot
from inminban.common.validators import END_NOT_AFTER_START, effective_date, effective_period, past_date

from .models import DeclaredIncome, Dwelling, Household, Membership, Move, Occupation, Person, Residence

DWELLING_FIELDS = ("unit", "address", "building", "apartment", "kind", "floor_area_m2")
HOUSEHOLD_FIELDS = ("unit", "dwelling", "head", "number", "registered_on", "dissolved_on")
PERSON_FIELDS = ("family_name", "given_name", "birth_date", "sex", "national_id", "status", "household")
MEMBERSHIP_FIELDS = ("household", "person", "relation", "since", "until")
OCCUPATION_FIELDS = ("person", "workplace", "job_title", "since", "until")
INCOME_FIELDS = ("person", "amount", "currency", "period", "since", "until")


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
    past_date("registered_on", registered_on)
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
    effective_date("on", on)
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
    past_date("birth_date", birth_date)
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
    effective_date("since", since)
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
    effective_period(since, until)
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
    """Correct a membership's relation or dates (a wrongly dated one included); `end=True` with `until` closes it."""
    require(actor, CHANGE, membership.household.unit)
    before = snapshot(membership, MEMBERSHIP_FIELDS)
    new_since = effective_date("since", since) if since is not None else membership.since
    new_until = effective_date("until", until, required=False) if (until is not None or end) else membership.until
    if relation is not None and relation not in Membership.Relation.values:
        raise DomainError("relation", f"Unknown relation {relation!r}.")
    if new_until is not None and new_until <= new_since:
        raise DomainError("until", END_NOT_AFTER_START)
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
    effective_date("on", on)
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
    past_date("on", on)
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
    effective_date("since", since)
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


def _correct_start(record, previous, since: date) -> None:
    """Correct when a job or an income declaration began. `occupation_set` and `income_declare` closed the one
    before on that same day, so its end moves with it: the history stays without gaps or overlaps."""
    if record.until is not None and since >= record.until:
        raise DomainError("since", "The start must come before the end.")
    if previous is not None:
        if since <= previous.since:
            raise DomainError("since", "This must begin after the one before it began.")
        previous.until = since
        previous.save(update_fields=["until"])
    record.since = since


@transaction.atomic
def occupation_update(
    *,
    actor: User,
    occupation: Occupation,
    workplace: str | None = None,
    job_title: str | None = None,
    since: date | None = None,
) -> Occupation:
    """Correct the workplace, job title or start of a recorded job (the job before it then ends that day)."""
    person = occupation.person
    require(actor, CHANGE, person.household.unit)
    before = snapshot(occupation, OCCUPATION_FIELDS)
    if workplace is not None:
        occupation.workplace = _text("workplace", workplace)
    if job_title is not None:
        occupation.job_title = _text("job_title", job_title, max_length=128)
    if since is not None:
        since = effective_date("since", since)
        if since < person.birth_date:
            raise DomainError("since", "A job cannot begin before the person was born.")
        previous = Occupation.objects.filter(person=person, until=occupation.since).exclude(pk=occupation.pk).first()
        _correct_start(occupation, previous, since)
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
    effective_date("since", since)
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


@transaction.atomic
def income_update(*, actor: User, income: DeclaredIncome, since: date) -> DeclaredIncome:
    """Correct from when a declared income holds (the declaration before it then ends that day)."""
    person = income.person
    require(actor, CHANGE, person.household.unit)
    before = snapshot(income, INCOME_FIELDS)
    since = effective_date("since", since)
    previous = DeclaredIncome.objects.filter(person=person, until=income.since).exclude(pk=income.pk).first()
    _correct_start(income, previous, since)
    income.full_clean()
    income.save()
    _audit(actor, "income.update", income, person.household, before=before, after=snapshot(income, INCOME_FIELDS))
    return income


# Corrections of moves -------------------------------------------------------------------------------------------


@transaction.atomic
def move_update(*, actor: User, move: Move, on: date) -> Move:
    """Correct the date of a recorded move, e.g. one dated years ahead by mistake. What the move ended (the previous
    residence, or the person's previous membership) now ends on the new date, and what it began begins then; the
    new date must stay after the one began and before the other ends."""
    require(actor, CHANGE, move.from_unit)
    require(actor, CHANGE, move.to_unit)
    on = effective_date("on", on)
    if on == move.on:
        raise DomainError("on", "The move is already dated on this day.")
    if move.kind == Move.Kind.HOUSEHOLD:
        ended = Residence.objects.filter(household=move.household, until=move.on).first()
        begun = Residence.objects.filter(household=move.household, since=move.on).first()
    else:
        periods = Membership.objects.filter(person=move.person)
        ended = periods.filter(household=move.from_household, until=move.on).first()
        begun = periods.filter(household=move.household, since=move.on).first()
        if on < move.person.birth_date:
            raise DomainError("on", "Membership cannot begin before the person was born.")
    if ended is not None and on <= ended.since:
        raise DomainError("on", "The move must come after the residence or membership it ended began.")
    if begun is not None and begun.until is not None and on >= begun.until:
        raise DomainError("on", "The move must come before the residence or membership it began ends.")
    before = {"on": move.on}
    for period, field in ((ended, "until"), (begun, "since")):
        if period is not None:
            setattr(period, field, on)
            period.save(update_fields=[field])
    move.on = on
    move.save(update_fields=["on"])
    for household in {move.household, move.from_household} - {None}:
        _audit(actor, "move.update", move, household, before=before, after={"on": on})
    return move
