"""/api/v1 endpoints of the registry: dwellings, households, persons, memberships, moves.

Thin on purpose: a path object is found through a selector (404 when missing or out of scope), a read-only account
gets a 403 for any write, references in the body are resolved in the actor's scope (422 naming the field), and
the service does the rest with `actor=request.user`. Reading a person or a household goes to the access log."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Query, Router, Schema, Status
from pydantic import Strict

from inminban.api.pagination import PageParams, page_of, paginate
from inminban.api.schemas import (
    READ_ERRORS,
    WRITE_ERRORS,
    AreaCode,
    EffectiveDate,
    Id,
    Input,
    IsoDate,
    PastDate,
    PatchInput,
    area_in_scope,
    object_in_scope,
    text,
)
from inminban.areas.access import CHANGE, get_visible, require_any

from . import selectors, services
from .models import DeclaredIncome, Dwelling, Household, Membership, Move, Occupation, Person

router = Router()

DwellingKind = Literal[tuple(Dwelling.Kind.values)]
Relation = Literal[tuple(Membership.Relation.values)]
Sex = Literal[tuple(Person.Sex.values)]
Period = Literal[tuple(DeclaredIncome.Period.values)]
LeaveStatus = Literal[Person.Status.MOVED_AWAY.value, Person.Status.DECEASED.value]
FloorArea = Annotated[int, Strict(), Field(ge=5, le=2000, description="Square metres, 5 to 2000.")]
Amount = Annotated[Decimal, Field(ge=0, lt=10**12, decimal_places=2)]


class RegistryFilters(PageParams):
    area: AreaCode = Field(None, description="Code of an area: keeps its whole subtree.")
    on: IsoDate = Field(None, description="YYYY-MM-DD: the registry as it was that day.")


class OnDate(PageParams):
    on: IsoDate = Field(None, description="YYYY-MM-DD; default today.")


# Output -----------------------------------------------------------------------------------------------------------


class DwellingOut(Schema):
    id: int
    unit: str = Field(description="Code of the unit the dwelling is in.")
    address: str
    building: str
    apartment: str
    kind: str
    floor_area_m2: int | None

    @staticmethod
    def resolve_unit(dwelling: Dwelling) -> str:
        return dwelling.unit.code


class HouseholdOut(Schema):
    id: int
    number: str = Field(description="Registration number.")
    unit: str = Field(description="Code of the unit it lives in now.")
    dwelling: int | None = Field(description="Id of the dwelling it lives in now.")
    head: int | None = Field(description="Id of the head of household.")
    registered_on: date
    dissolved_on: date | None

    @staticmethod
    def resolve_unit(household: Household) -> str:
        return household.unit.code

    @staticmethod
    def resolve_dwelling(household: Household) -> int | None:
        return household.dwelling_id

    @staticmethod
    def resolve_head(household: Household) -> int | None:
        return household.head_id


class MemberOut(Schema):
    membership: int = Field(description="Id of the membership.")
    person: int
    family_name: str
    given_name: str
    birth_date: date
    sex: str
    relation: str
    since: date
    until: date | None

    @staticmethod
    def resolve_membership(membership: Membership) -> int:
        return membership.pk

    @staticmethod
    def resolve_person(membership: Membership) -> int:
        return membership.person_id

    @staticmethod
    def resolve_family_name(membership: Membership) -> str:
        return membership.person.family_name

    @staticmethod
    def resolve_given_name(membership: Membership) -> str:
        return membership.person.given_name

    @staticmethod
    def resolve_birth_date(membership: Membership) -> date:
        return membership.person.birth_date

    @staticmethod
    def resolve_sex(membership: Membership) -> str:
        return membership.person.sex


class HouseholdDetailOut(HouseholdOut):
    members: list[MemberOut] = Field(description="Who belongs to the household today.")


class PersonOut(Schema):
    id: int
    family_name: str
    given_name: str
    birth_date: date
    sex: str
    national_id: str | None
    status: str = Field(description="resident, moved_away or deceased.")
    household: int | None = Field(description="Id of the current (or, after leaving, the last) household.")

    @staticmethod
    def resolve_household(person: Person) -> int | None:
        return person.household_id


class MembershipOut(Schema):
    id: int
    household: int
    person: int
    relation: str
    since: date
    until: date | None = Field(description="Exclusive end; null while the membership lasts.")

    @staticmethod
    def resolve_household(membership: Membership) -> int:
        return membership.household_id

    @staticmethod
    def resolve_person(membership: Membership) -> int:
        return membership.person_id


class MoveOut(Schema):
    id: int
    kind: str = Field(description="household (a whole household moved) or person (one person changed household).")
    on: date
    household: int = Field(description="The household that moved, or that the person joined.")
    person: int | None
    from_unit: str
    to_unit: str
    from_dwelling: int | None
    to_dwelling: int | None
    from_household: int | None
    note: str
    recorded_at: datetime

    @staticmethod
    def resolve_household(move: Move) -> int:
        return move.household_id

    @staticmethod
    def resolve_person(move: Move) -> int | None:
        return move.person_id

    @staticmethod
    def resolve_from_unit(move: Move) -> str:
        return move.from_unit.code

    @staticmethod
    def resolve_to_unit(move: Move) -> str:
        return move.to_unit.code

    @staticmethod
    def resolve_from_dwelling(move: Move) -> int | None:
        return move.from_dwelling_id

    @staticmethod
    def resolve_to_dwelling(move: Move) -> int | None:
        return move.to_dwelling_id

    @staticmethod
    def resolve_from_household(move: Move) -> int | None:
        return move.from_household_id


class OccupationOut(Schema):
    id: int
    person: int
    workplace: str
    job_title: str
    since: date
    until: date | None

    @staticmethod
    def resolve_person(occupation: Occupation) -> int:
        return occupation.person_id


class IncomeOut(Schema):
    id: int
    person: int
    amount: str = Field(description="Decimal amount as a string, two decimal places.")
    currency: str
    period: str
    since: date
    until: date | None

    @staticmethod
    def resolve_person(income: DeclaredIncome) -> int:
        return income.person_id

    @staticmethod
    def resolve_amount(income: DeclaredIncome) -> str:
        return str(income.amount)


# Input ------------------------------------------------------------------------------------------------------------


class DwellingIn(Input):
    unit: AreaCode = Field(description="Code of the unit.")
    address: text(255)
    building: text(64, min_length=0) = ""
    apartment: text(32, min_length=0) = ""
    kind: DwellingKind = Dwelling.Kind.APARTMENT.value
    floor_area_m2: FloorArea | None = None


class DwellingPatch(PatchInput):
    address: text(255) = None
    building: text(64, min_length=0) = None
    apartment: text(32, min_length=0) = None
    kind: DwellingKind = None
    floor_area_m2: FloorArea | None = Field(None, description="null to clear.")


class HouseholdIn(Input):
    unit: AreaCode = Field(description="Code of the unit.")
    number: text(32) = Field(description="Registration number, unique.")
    registered_on: PastDate
    dwelling: Id | None = Field(None, description="Id of a dwelling in the same unit.")


class HouseholdPatch(PatchInput):
    head: Id = Field(None, description="Id of a current member to name head of household.")


class HouseholdMoveIn(Input):
    dwelling: Id = Field(description="Id of the dwelling it moves to, possibly in another unit.")
    on: EffectiveDate
    note: text(255, min_length=0) = ""


class PersonIn(Input):
    household: Id = Field(description="Id of the household the person joins.")
    family_name: text(64)
    given_name: text(64)
    birth_date: PastDate
    sex: Sex
    relation: Relation = Field(description="Relation to the head of household.")
    since: EffectiveDate = Field(description="Member from this day (a birth or an arrival).")
    national_id: text(32) | None = None


class PersonPatch(PatchInput):
    family_name: text(64) = None
    given_name: text(64) = None
    birth_date: PastDate = None
    sex: Sex = None
    national_id: text(32) | None = Field(None, description="null to clear.")


class PersonMoveIn(Input):
    household: Id = Field(description="Id of the household the person joins.")
    relation: Relation
    on: EffectiveDate
    note: text(255, min_length=0) = ""


class PersonLeaveIn(Input):
    on: PastDate
    status: LeaveStatus


class OccupationIn(Input):
    workplace: text(255)
    job_title: text(128)
    since: EffectiveDate = Field(description="The previous job, if any, ends this day.")


class IncomeIn(Input):
    amount: Amount = Field(description="Zero or more, below 10^12, at most two decimals; a number or a string.")
    currency: text(3) = "KPW"
    period: Period = DeclaredIncome.Period.MONTH.value
    since: EffectiveDate = Field(description="The previous declaration, if any, ends this day.")


class MembershipIn(Input):
    household: Id
    person: Id
    relation: Relation
    since: EffectiveDate
    until: EffectiveDate | None = Field(None, description="Exclusive end; leave out for a current membership.")


class MembershipPatch(PatchInput):
    relation: Relation = None
    since: EffectiveDate = None
    until: EffectiveDate = Field(None, description="Exclusive end: sending it ends the membership that day.")


class OccupationPatch(PatchInput):
    workplace: text(255) = None
    job_title: text(128) = None
    since: EffectiveDate = Field(None, description="A corrected start; the job before it then ends that day.")


class IncomePatch(Input):
    since: EffectiveDate = Field(description="A corrected start; the declaration before it then ends that day.")


class MovePatch(Input):
    on: EffectiveDate = Field(
        description="The corrected date. What the move ended now ends that day and what it began begins then."
    )


# Dwellings --------------------------------------------------------------------------------------------------------


@router.get(
    "/dwellings",
    response={200: page_of(DwellingOut, "DwellingPage"), **READ_ERRORS},
    tags=["dwellings"],
    summary="List dwellings",
    description="Dwellings you can see. `on` keeps those a household lived in that day (dwellings carry no dates).",
)
def list_dwellings(request, filters: Query[RegistryFilters]):
    area = area_in_scope(request.user, filters.area, field="area") if filters.area else None
    return paginate(selectors.dwelling_list(actor=request.user, area=area, on=filters.on), filters)


@router.post(
    "/dwellings", response={201: DwellingOut, **WRITE_ERRORS}, tags=["dwellings"], summary="Register a dwelling"
)
def create_dwelling(request, payload: DwellingIn):
    require_any(request.user, CHANGE)
    unit = area_in_scope(request.user, payload.unit, field="unit")
    fields = payload.model_dump(exclude={"unit"})
    return Status(201, services.dwelling_create(actor=request.user, unit=unit, **fields))


@router.get("/dwellings/{dwelling_id}", response={200: DwellingOut, **READ_ERRORS}, tags=["dwellings"])
def get_dwelling(request, dwelling_id: int):
    """Get a dwelling."""
    return get_visible(request.user, selectors.dwellings_visible(actor=request.user), dwelling_id)


@router.patch(
    "/dwellings/{dwelling_id}",
    response={200: DwellingOut, **WRITE_ERRORS},
    tags=["dwellings"],
    summary="Correct a dwelling",
    description="Address, kind or floor area. The unit does not change: moving is a move.",
)
def update_dwelling(request, dwelling_id: int, payload: DwellingPatch):
    dwelling = get_visible(request.user, selectors.dwellings_visible(actor=request.user), dwelling_id)
    require_any(request.user, CHANGE)
    return services.dwelling_update(actor=request.user, dwelling=dwelling, **payload.changes())


# Households -------------------------------------------------------------------------------------------------------


@router.get(
    "/households",
    response={200: page_of(HouseholdOut, "HouseholdPage"), **READ_ERRORS},
    tags=["households"],
    summary="List households",
    description="With `on`, the households that lived in the area that day (also those that moved away since).",
)
def list_households(request, filters: Query[RegistryFilters]):
    area = area_in_scope(request.user, filters.area, field="area") if filters.area else None
    return paginate(selectors.household_list(actor=request.user, area=area, on=filters.on), filters)


@router.post(
    "/households",
    response={201: HouseholdOut, **WRITE_ERRORS},
    tags=["households"],
    summary="Register a household",
    description="A new household in a unit, optionally living in one of the unit's dwellings.",
)
def create_household(request, payload: HouseholdIn):
    require_any(request.user, CHANGE)
    unit = area_in_scope(request.user, payload.unit, field="unit")
    dwelling = None
    if payload.dwelling is not None:
        dwelling = object_in_scope(
            request.user, selectors.dwellings_visible(actor=request.user), payload.dwelling, field="dwelling"
        )
    household = services.household_register(
        actor=request.user, unit=unit, number=payload.number, registered_on=payload.registered_on, dwelling=dwelling
    )
    return Status(201, household)


@router.get(
    "/households/{household_id}",
    response={200: HouseholdDetailOut, **READ_ERRORS},
    tags=["households"],
    summary="Get a household with its current members",
    description="The read is noted in the household's access log.",
)
def get_household(request, household_id: int):
    household = selectors.household_detail(actor=request.user, household_id=household_id)
    household.members = list(selectors.household_members(actor=request.user, household=household))
    return household


@router.patch(
    "/households/{household_id}",
    response={200: HouseholdOut, **WRITE_ERRORS},
    tags=["households"],
    summary="Name the head of household",
    description="`head` must be a current member. Other facts change through moves and memberships.",
)
def update_household(request, household_id: int, payload: HouseholdPatch):
    household = get_visible(request.user, selectors.households_visible(actor=request.user), household_id)
    require_any(request.user, CHANGE)
    head = object_in_scope(request.user, selectors.persons_visible(actor=request.user), payload.head, field="head")
    return services.household_set_head(actor=request.user, household=household, person=head)


@router.get(
    "/households/{household_id}/members",
    response={200: page_of(MemberOut, "MemberPage"), **READ_ERRORS},
    tags=["households"],
    summary="Members of a household on a date",
    description="Who belonged to the household on `on` (default today). Noted in the access log.",
)
def household_members(request, household_id: int, filters: Query[OnDate]):
    household = selectors.household_detail(actor=request.user, household_id=household_id)
    members = selectors.household_members(actor=request.user, household=household, on=filters.on)
    return paginate(members, filters)


@router.post(
    "/households/{household_id}/move",
    response={201: MoveOut, **WRITE_ERRORS},
    tags=["households"],
    summary="Move a household",
    description="The whole household moves to another dwelling from `on`; where it lived before is kept.",
)
def move_household(request, household_id: int, payload: HouseholdMoveIn):
    household = get_visible(request.user, selectors.households_visible(actor=request.user), household_id)
    require_any(request.user, CHANGE)
    dwelling = object_in_scope(
        request.user, selectors.dwellings_visible(actor=request.user), payload.dwelling, field="dwelling"
    )
    move = services.household_move(
        actor=request.user, household=household, dwelling=dwelling, on=payload.on, note=payload.note
    )
    return Status(201, move)


# Persons ----------------------------------------------------------------------------------------------------------


@router.get(
    "/persons",
    response={200: page_of(PersonOut, "PersonPage"), **READ_ERRORS},
    tags=["persons"],
    summary="List persons",
    description="With `on`, the persons who were members of a household living in the area that day.",
)
def list_persons(request, filters: Query[RegistryFilters]):
    area = area_in_scope(request.user, filters.area, field="area") if filters.area else None
    return paginate(selectors.person_list(actor=request.user, area=area, on=filters.on), filters)


@router.post(
    "/persons",
    response={201: PersonOut, **WRITE_ERRORS},
    tags=["persons"],
    summary="Register a person",
    description="A birth or an arrival: the person becomes a member of `household` from `since`.",
)
def create_person(request, payload: PersonIn):
    require_any(request.user, CHANGE)
    household = object_in_scope(
        request.user, selectors.households_visible(actor=request.user), payload.household, field="household"
    )
    fields = payload.model_dump(exclude={"household"})
    return Status(201, services.person_register(actor=request.user, household=household, **fields))


@router.get(
    "/persons/{person_id}",
    response={200: PersonOut, **READ_ERRORS},
    tags=["persons"],
    summary="Get a person",
    description="The read is noted in the access log the person's household can see.",
)
def get_person(request, person_id: int):
    return selectors.person_detail(actor=request.user, person_id=person_id)


@router.patch(
    "/persons/{person_id}",
    response={200: PersonOut, **WRITE_ERRORS},
    tags=["persons"],
    summary="Correct a person's names, birth date, sex or national ID",
)
def update_person(request, person_id: int, payload: PersonPatch):
    person = get_visible(request.user, selectors.persons_visible(actor=request.user), person_id)
    require_any(request.user, CHANGE)
    return services.person_update(actor=request.user, person=person, **payload.changes())


@router.get(
    "/persons/{person_id}/occupations",
    response={200: page_of(OccupationOut, "OccupationPage"), **READ_ERRORS},
    tags=["persons"],
    summary="A person's jobs, newest first",
)
def list_occupations(request, person_id: int, page: Query[PageParams]):
    person = selectors.person_detail(actor=request.user, person_id=person_id)
    return paginate(selectors.occupations_of(actor=request.user, person=person), page)


@router.post(
    "/persons/{person_id}/occupations",
    response={201: OccupationOut, **WRITE_ERRORS},
    tags=["persons"],
    summary="Record a new job",
)
def create_occupation(request, person_id: int, payload: OccupationIn):
    person = get_visible(request.user, selectors.persons_visible(actor=request.user), person_id)
    require_any(request.user, CHANGE)
    return Status(201, services.occupation_set(actor=request.user, person=person, **payload.model_dump()))


@router.patch(
    "/occupations/{occupation_id}",
    response={200: OccupationOut, **WRITE_ERRORS},
    tags=["persons"],
    summary="Correct a job",
    description="Workplace, job title or start (e.g. a start dated years ahead by mistake).",
)
def update_occupation(request, occupation_id: int, payload: OccupationPatch):
    occupation = get_visible(request.user, selectors.occupations_visible(actor=request.user), occupation_id)
    require_any(request.user, CHANGE)
    return services.occupation_update(actor=request.user, occupation=occupation, **payload.changes())


@router.get(
    "/persons/{person_id}/incomes",
    response={200: page_of(IncomeOut, "IncomePage"), **READ_ERRORS},
    tags=["persons"],
    summary="A person's declared incomes, newest first",
)
def list_incomes(request, person_id: int, page: Query[PageParams]):
    person = selectors.person_detail(actor=request.user, person_id=person_id)
    return paginate(selectors.incomes_of(actor=request.user, person=person), page)


@router.post(
    "/persons/{person_id}/incomes",
    response={201: IncomeOut, **WRITE_ERRORS},
    tags=["persons"],
    summary="Record a declared income",
)
def create_income(request, person_id: int, payload: IncomeIn):
    person = get_visible(request.user, selectors.persons_visible(actor=request.user), person_id)
    require_any(request.user, CHANGE)
    return Status(201, services.income_declare(actor=request.user, person=person, **payload.model_dump()))


@router.patch(
    "/incomes/{income_id}",
    response={200: IncomeOut, **WRITE_ERRORS},
    tags=["persons"],
    summary="Correct from when a declared income holds",
)
def update_income(request, income_id: int, payload: IncomePatch):
    income = get_visible(request.user, selectors.incomes_visible(actor=request.user), income_id)
    require_any(request.user, CHANGE)
    return services.income_update(actor=request.user, income=income, since=payload.since)


@router.post(
    "/persons/{person_id}/move",
    response={201: MoveOut, **WRITE_ERRORS},
    tags=["persons"],
    summary="Move a person to another household",
    description="Ends the current membership on `on` and starts one in `household`.",
)
def move_person(request, person_id: int, payload: PersonMoveIn):
    person = get_visible(request.user, selectors.persons_visible(actor=request.user), person_id)
    require_any(request.user, CHANGE)
    household = object_in_scope(
        request.user, selectors.households_visible(actor=request.user), payload.household, field="household"
    )
    move = services.person_move(
        actor=request.user,
        person=person,
        household=household,
        relation=payload.relation,
        on=payload.on,
        note=payload.note,
    )
    return Status(201, move)


@router.post(
    "/persons/{person_id}/leave",
    response={200: PersonOut, **WRITE_ERRORS},
    tags=["persons"],
    summary="A person moved away or died",
    description="Ends the current membership on `on` and sets the status.",
)
def person_leave(request, person_id: int, payload: PersonLeaveIn):
    person = get_visible(request.user, selectors.persons_visible(actor=request.user), person_id)
    require_any(request.user, CHANGE)
    return services.person_leave(actor=request.user, person=person, on=payload.on, status=payload.status)


# Memberships ------------------------------------------------------------------------------------------------------


@router.get(
    "/memberships",
    response={200: page_of(MembershipOut, "MembershipPage"), **READ_ERRORS},
    tags=["memberships"],
    summary="List memberships",
    description="With `on`, the memberships current that day in households living in the area.",
)
def list_memberships(request, filters: Query[RegistryFilters]):
    area = area_in_scope(request.user, filters.area, field="area") if filters.area else None
    return paginate(selectors.membership_list(actor=request.user, area=area, on=filters.on), filters)


@router.post(
    "/memberships",
    response={201: MembershipOut, **WRITE_ERRORS},
    tags=["memberships"],
    summary="Record a membership",
    description="That a person belonged (or belongs) to a household over a period; periods may not overlap.",
)
def create_membership(request, payload: MembershipIn):
    require_any(request.user, CHANGE)
    household = object_in_scope(
        request.user, selectors.households_visible(actor=request.user), payload.household, field="household"
    )
    person = object_in_scope(
        request.user, selectors.persons_visible(actor=request.user), payload.person, field="person"
    )
    membership = services.membership_add(
        actor=request.user,
        household=household,
        person=person,
        relation=payload.relation,
        since=payload.since,
        until=payload.until,
    )
    return Status(201, membership)


@router.get("/memberships/{membership_id}", response={200: MembershipOut, **READ_ERRORS}, tags=["memberships"])
def get_membership(request, membership_id: int):
    """Get a membership."""
    return get_visible(request.user, selectors.memberships_visible(actor=request.user), membership_id)


@router.patch(
    "/memberships/{membership_id}",
    response={200: MembershipOut, **WRITE_ERRORS},
    tags=["memberships"],
    summary="Correct a membership",
    description="Relation or dates; sending `until` ends the membership that day.",
)
def update_membership(request, membership_id: int, payload: MembershipPatch):
    membership = get_visible(request.user, selectors.memberships_visible(actor=request.user), membership_id)
    require_any(request.user, CHANGE)
    return services.membership_update(actor=request.user, membership=membership, **payload.changes())


# Moves ------------------------------------------------------------------------------------------------------------


@router.get(
    "/moves",
    response={200: page_of(MoveOut, "MovePage"), **READ_ERRORS},
    tags=["moves"],
    summary="List moves, newest first",
    description="`area` keeps moves out of or into it; `on` keeps those made on or before that day. "
    "Moves are recorded with `POST /households/{id}/move` and `POST /persons/{id}/move`.",
)
def list_moves(request, filters: Query[RegistryFilters]):
    area = area_in_scope(request.user, filters.area, field="area") if filters.area else None
    return paginate(selectors.move_list(actor=request.user, area=area, on=filters.on), filters)


@router.get("/moves/{move_id}", response={200: MoveOut, **READ_ERRORS}, tags=["moves"])
def get_move(request, move_id: int):
    """Get a move."""
    return get_visible(request.user, selectors.moves_visible(actor=request.user), move_id)


@router.patch(
    "/moves/{move_id}",
    response={200: MoveOut, **WRITE_ERRORS},
    tags=["moves"],
    summary="Correct the date of a move",
    description="Needs the right to change both the unit left and the unit joined.",
)
def update_move(request, move_id: int, payload: MovePatch):
    move = get_visible(request.user, selectors.moves_visible(actor=request.user), move_id)
    require_any(request.user, CHANGE)
    return services.move_update(actor=request.user, move=move, on=payload.on)
