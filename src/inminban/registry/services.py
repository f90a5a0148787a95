"""Every write to the registry: permission first, then validation, then the change, then the audit entry."""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

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
        raise DomainError(field, "At most %(count)s characters.", params={"count": max_length})
    return value


def _reason(reason: str | None) -> dict:
    """A correction made from the pages says why (the form requires it); the reason is kept in the audit entry's
    `after`. The API's corrections may leave it out (None)."""
    if reason is None:
        return {}
    return {"reason": _text("reason", reason)}


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
        raise DomainError("number", "Household number %(number)s is already registered.", params={"number": number})
    if dwelling is not None and dwelling.unit_id != unit.pk:
        raise DomainError("dwelling", "The dwelling is not in this unit.")
    household = Household(unit=unit, dwelling=dwelling, number=number, registered_on=registered_on)
    household.full_clean()
    household.save()
    Residence.objects.create(household=household, unit=unit, dwelling=dwelling, since=registered_on)
    _audit(actor, "household.register", household, household, after=snapshot(household, HOUSEHOLD_FIELDS))
    return household


# A member's relation to the head, once the head changes: NEW_HEAD_RELATIONS[how the new head was related to the
# old head][how the member was related to the old head]. Only what follows from the two relations alone is listed;
# anything else (an in-law, a grandchild when a son becomes head: his child or his nephew?) defaults to "other
# relative", and the head-change form lets the leader say otherwise for each member.
_R = Membership.Relation
NEW_HEAD_RELATIONS: dict[str, dict[str, str]] = {
    _R.SPOUSE: {
        _R.HEAD: _R.SPOUSE,
        _R.CHILD: _R.CHILD,
        _R.CHILD_IN_LAW: _R.CHILD_IN_LAW,
        _R.GRANDCHILD: _R.GRANDCHILD,
    },
    _R.CHILD: {_R.HEAD: _R.PARENT, _R.SPOUSE: _R.PARENT, _R.CHILD: _R.SIBLING, _R.PARENT: _R.GRANDPARENT},
    _R.CHILD_IN_LAW: {},
    _R.PARENT: {_R.HEAD: _R.CHILD, _R.SPOUSE: _R.CHILD_IN_LAW, _R.CHILD: _R.GRANDCHILD, _R.SIBLING: _R.CHILD},
    _R.SIBLING: {_R.HEAD: _R.SIBLING, _R.SIBLING: _R.SIBLING, _R.PARENT: _R.PARENT, _R.GRANDPARENT: _R.GRANDPARENT},
    _R.GRANDCHILD: {_R.HEAD: _R.GRANDPARENT, _R.SPOUSE: _R.GRANDPARENT},
    _R.GRANDPARENT: {_R.HEAD: _R.GRANDCHILD, _R.SPOUSE: _R.GRANDCHILD},
}


def relation_to_new_head(*, new_head_relation: str, member_relation: str) -> str:
    """How a member is related to the new head, from how both were related to the old one (the default rule)."""
    if member_relation == _R.LODGER and new_head_relation != _R.LODGER:
        return _R.LODGER
    return NEW_HEAD_RELATIONS.get(new_head_relation, {}).get(member_relation, _R.OTHER_RELATIVE)


def _set_relation(membership: Membership, relation: str, on: date) -> Membership:
    """The relation to the head is dated like the rest: the membership ends on `on` and a new one begins with the
    new relation, so the history still says who was whose child before. Begun that very day: corrected in place."""
    if membership.since == on:
        membership.relation = relation
        membership.save(update_fields=["relation"])
        return membership
    membership.until = on
    membership.save(update_fields=["until"])
    return Membership.objects.create(
        household=membership.household, person=membership.person, relation=relation, since=on
    )


@transaction.atomic
def household_register_with_head(
    *,
    actor: User,
    unit: Area,
    number: str,
    registered_on: date,
    dwelling: Dwelling | None = None,
    head: Person | None = None,
    new_head: dict | None = None,
) -> Household:
    """Register a household together with its head: a person already on the registry, who moves in on
    `registered_on` (leaving their household), or a new one (`new_head`: family_name, given_name, birth_date, sex,
    national_id), who arrives that day. Each step writes its own audit entry, all in this one transaction."""
    require(actor, CHANGE, unit)
    if (head is None) == (new_head is None):
        raise DomainError("head", gettext_noop("Choose a person already registered or enter a new one, not both."))
    household = household_register(
        actor=actor, unit=unit, number=number, registered_on=registered_on, dwelling=dwelling
    )
    if head is not None:
        person_move(actor=actor, person=head, household=household, relation=_R.HEAD, on=registered_on)
        household_set_head(actor=actor, household=household, person=head, on=registered_on)
    else:
        _person_register(actor=actor, household=household, relation=_R.HEAD, since=registered_on, **new_head)
        household.refresh_from_db()
    return household


@transaction.atomic
def household_set_head(
    *,
    actor: User,
    household: Household,
    person: Person,
    on: date | None = None,
    relations: dict[int, str] | None = None,
) -> Household:
    """Name the head of the household from `on` (today if not given); they must be a current member.

    The members' relations to the head change with it: the new head's becomes "head"; every other current member's
    is the one `relations` gives (person id → relation), or else the default rule (`relation_to_new_head`), so the
    old head is no longer listed as head nor the new one as a child. Naming the current head again changes only the
    relations given, and is recorded."""
    require(actor, CHANGE, household.unit)
    on = past_date("on", on if on is not None else timezone.localdate())
    relations = dict(relations or {})
    current = list(
        Membership.objects.filter(household=household, until__isnull=True).select_related("person").order_by("id")
    )
    by_person = {membership.person_id: membership for membership in current}
    if person.pk not in by_person:
        raise DomainError("head", "The head must be a current member of the household.")
    for person_id, relation in relations.items():
        if person_id not in by_person or person_id == person.pk:
            raise DomainError("relations", gettext_noop("Relations can only be given for the other members."))
        if relation not in Membership.Relation.values:
            raise DomainError("relations", f"Unknown relation {relation!r}.")
        if relation == _R.HEAD:
            raise DomainError("relations", gettext_noop("Only the new head can have the relation head."))
    new_head_relation = by_person[person.pk].relation
    wanted = {person.pk: _R.HEAD}
    for person_id, membership in by_person.items():
        if person_id in relations:
            wanted[person_id] = relations[person_id]
        elif person_id != person.pk and new_head_relation != _R.HEAD:
            # Relations are to the head: they change only when someone not yet listed as head becomes head.
            wanted[person_id] = relation_to_new_head(
                new_head_relation=new_head_relation, member_relation=membership.relation
            )
    changed = [m for m in current if wanted.get(m.person_id, m.relation) != m.relation]
    for membership in changed:
        if on < membership.since:
            raise DomainError("on", gettext_noop("The change of head cannot come before a member joined."))
    before = {
        "head": household.head_id,
        "relations": [{"person": m.person_id, "relation": m.relation} for m in changed],
    }
    for membership in changed:
        _set_relation(membership, wanted[membership.person_id], on)
    household.head = person
    household.save(update_fields=["head"])
    after = {
        "head": person.pk,
        "on": on,
        "relations": [{"person": m.person_id, "relation": wanted[m.person_id]} for m in changed],
    }
    _audit(actor, "household.set_head", household, household, before=before, after=after)
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
        raise DomainError("sex", "Choose female or male.")
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
    return _person_register(
        actor=actor,
        household=household,
        family_name=family_name,
        given_name=given_name,
        birth_date=birth_date,
        sex=sex,
        relation=relation,
        since=since,
        national_id=national_id,
    )


# A newborn's relation to the head, from how the parent is related to the head.
BIRTH_RELATIONS = {
    _R.HEAD: _R.CHILD,
    _R.SPOUSE: _R.CHILD,
    _R.CHILD: _R.GRANDCHILD,
    _R.CHILD_IN_LAW: _R.GRANDCHILD,
    _R.PARENT: _R.SIBLING,
    _R.LODGER: _R.LODGER,
}


def relation_of_newborn(parent_relation: str) -> str:
    return BIRTH_RELATIONS.get(parent_relation, _R.OTHER_RELATIVE)


@transaction.atomic
def person_birth(
    *,
    actor: User,
    household: Household,
    family_name: str,
    given_name: str,
    birth_date: date,
    sex: str,
    parent: Person | None = None,
    relation: str | None = None,
) -> Person:
    """Register a child born into `household`: a member from the day of birth. The relation to the head is the one
    given, or else follows from the parent's (a child of the head or spouse, a grandchild of a son's family …)."""
    require(actor, CHANGE, household.unit)
    parent_membership = None
    if parent is not None:
        parent_membership = Membership.objects.filter(household=household, person=parent, until__isnull=True).first()
        if parent_membership is None:
            raise DomainError("parent", gettext_noop("The parent must be a current member of the household."))
    if relation == _R.HEAD:
        raise DomainError("relation", gettext_noop("A newborn cannot be the head of household."))
    if not relation:
        if parent_membership is None:
            raise DomainError("relation", gettext_noop("Choose the parent or the relation to the head."))
        relation = relation_of_newborn(parent_membership.relation)
    past_date("birth_date", birth_date)
    if parent is not None and birth_date <= parent.birth_date:
        raise DomainError("birth_date", gettext_noop("The child cannot be born before the parent."))
    if birth_date < household.registered_on:
        raise DomainError(
            "birth_date",
            gettext_noop("The household was registered after this day: record the person as an arrival instead."),
        )
    return _person_register(
        actor=actor,
        household=household,
        family_name=family_name,
        given_name=given_name,
        birth_date=birth_date,
        sex=sex,
        relation=relation,
        since=birth_date,
        extra_after={"birth": True, "parent": parent.pk if parent is not None else None},
    )


def _person_register(
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
    extra_after: dict | None = None,
) -> Person:
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
        after=snapshot(person, PERSON_FIELDS)
        | {"membership": snapshot(membership, MEMBERSHIP_FIELDS)}
        | (extra_after or {}),
    )
    return person


@transaction.atomic
def person_update(*, actor: User, person: Person, reason: str | None = None, **changes) -> Person:
    """Correct a person's names, birth date, sex or national ID, saying why (`reason`, kept in the audit entry)."""
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
    why = _reason(reason)
    before = snapshot(person, PERSON_FIELDS)
    person.family_name = values["family_name"].strip()
    person.given_name = values["given_name"].strip()
    person.birth_date, person.sex, person.national_id = values["birth_date"], values["sex"], national_id
    person.full_clean()
    person.save()
    after = snapshot(person, PERSON_FIELDS) | why
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
    reason: str | None = None,
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
    why = _reason(reason)
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
        after=snapshot(membership, MEMBERSHIP_FIELDS) | why,
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
        raise DomainError("status", "Choose whether the person moved away or died.")
    if person.status != Person.Status.RESIDENT:
        raise DomainError("person", gettext_noop("This person has already left the registry."))
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


def person_death(*, actor: User, person: Person, on: date) -> Person:
    """Record a death on `on`: the membership ends that day; a head leaves the household without one until the
    leader names the next (`household_set_head`)."""
    return person_leave(actor=actor, person=person, on=on, status=Person.Status.DECEASED)


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
    reason: str | None = None,
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
    why = _reason(reason)  # after the fields' own checks, so that their errors come first
    occupation.full_clean()
    occupation.save()
    _audit(
        actor,
        "occupation.update",
        occupation,
        person.household,
        before=before,
        after=snapshot(occupation, OCCUPATION_FIELDS) | why,
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
        raise DomainError(
            "amount", "The amount must be zero or more, and less than a million million (1,000,000,000,000)."
        )
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
def income_update(*, actor: User, income: DeclaredIncome, since: date, reason: str | None = None) -> DeclaredIncome:
    """Correct from when a declared income holds (the declaration before it then ends that day)."""
    person = income.person
    require(actor, CHANGE, person.household.unit)
    before = snapshot(income, INCOME_FIELDS)
    since = effective_date("since", since)
    previous = DeclaredIncome.objects.filter(person=person, until=income.since).exclude(pk=income.pk).first()
    _correct_start(income, previous, since)
    why = _reason(reason)
    income.full_clean()
    income.save()
    _audit(actor, "income.update", income, person.household, before=before, after=snapshot(income, INCOME_FIELDS) | why)
    return income


# Corrections of moves -------------------------------------------------------------------------------------------


@transaction.atomic
def move_update(*, actor: User, move: Move, on: date, reason: str | None = None) -> Move:
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
    why = _reason(reason)
    before = {"on": move.on}
    for period, field in ((ended, "until"), (begun, "since")):
        if period is not None:
            setattr(period, field, on)
            period.save(update_fields=[field])
    move.on = on
    move.save(update_fields=["on"])
    for household in {move.household, move.from_household} - {None}:
        _audit(actor, "move.update", move, household, before=before, after={"on": on} | why)
    return move
