"""/api/v1 endpoints for overnight stays and the offices' registration deadlines. Thin: scoping in stay_selectors,
rules in stays.

A stay's guest details (name, where from, document number, note) are answered to those who may read them: the host
household's residents, the unit's leader, the officers and auditors over it, administrators. Once a stay is purged
(`inminban stays purge`) they are empty and `purged` is true. Writes take an Idempotency-Key like every write; the
stored answers of these paths are deleted with the guests' details (api/idempotency.py)."""

from datetime import date, datetime, time
from typing import Annotated, Literal

from ninja import Field, Query, Router, Schema, Status
from pydantic import Strict, StringConstraints

from inminban.api.pagination import PageParams, page_of, paginate
from inminban.api.schemas import (
    READ_ERRORS,
    WRITE_ERRORS,
    AreaCode,
    Id,
    Input,
    IsoDate,
    PatchInput,
    QueryBool,
    area_in_scope,
    object_in_scope,
    text,
)
from inminban.areas.access import CHANGE, scope_for
from inminban.audit.references import local_name
from inminban.common.errors import NotPermitted
from inminban.registry import selectors as registry_selectors

from . import stay_selectors as selectors
from . import stays
from .models import Stay
from .stay_rules import MAX_DEADLINE_DAYS

router = Router(tags=["stays"])
RULES = ["stay-rules"]

Purpose = Literal[tuple(Stay.Purpose.values)]
# A time of day, 00:00 to 23:59.
DeadlineTime = Annotated[
    str,
    Strict(),
    StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$"),
    Field(description="HH:MM, 00:00 to 23:59, in the deployment's time zone."),
]
DeadlineDays = Annotated[int, Strict(), Field(ge=0, le=MAX_DEADLINE_DAYS)]


# Output -----------------------------------------------------------------------------------------------------------


class StayHostOut(Schema):
    person: int
    name: str


class StayOut(Schema):
    id: int
    household: int
    household_number: str = Field(description="The host household's registration number.")
    unit: str = Field(description="Code of the unit where the stay is counted.")
    unit_name: str
    hosts: list[StayHostOut] = Field(description="The members who host the guest.")
    guest_name: str = Field(description="Empty once purged.")
    origin_area: str | None = Field(description="Code of the area the guest comes from, if given.")
    origin_area_name: str | None
    origin_address: str = Field(description="Where the guest comes from, in words; empty once purged.")
    document_number: str = Field(description="The guest's identity document number, if given; empty once purged.")
    purpose: str = Field(description="family, work, study, trade, medical or other.")
    purpose_note: str = Field(description="Empty once purged.")
    arrives_on: date
    departs_on: date = Field(description="Expected departure.")
    departed_on: date | None = Field(description="When the guest left; null until recorded.")
    deadline: datetime = Field(description="When the registration was due, under the office's rule then.")
    registered_at: datetime
    late: bool = Field(description="Registered after the deadline.")
    overstayed: bool = Field(description="No departure recorded and the expected departure has passed.")
    confirmed: bool = Field(description="The unit's leader (or an officer) confirmed the registration.")
    confirmed_at: datetime | None
    purged: bool = Field(description="The guest's details were erased after the retention period.")
    may_change: bool = Field(description="Whether the caller may extend it or record the departure.")
    may_confirm: bool = Field(description="Whether the caller may confirm it now.")


class StayUnitCountsOut(Schema):
    unit: str
    unit_name: str
    registered: int = Field(description="Stays arriving in the period.")
    late: int = Field(description="Of those, registered after the deadline.")
    overstayed: int = Field(description="Of those, past the expected departure with no departure recorded today.")
    unconfirmed: int = Field(description="Of those, not yet confirmed by the unit's leader.")


class StaySummaryOut(Schema):
    area: str
    area_name: str
    since: date
    until: date
    units: list[StayUnitCountsOut]
    registered: int
    late: int
    overstayed: int
    unconfirmed: int


class StayRulesOut(Schema):
    office: str
    inherited_from: str | None = Field(description="The office whose rule this is; null for the defaults.")
    deadline_time: str = Field(description="HH:MM: a guest is registered by this time …")
    deadline_days: int = Field(description="… on the day of arrival plus this many days.")


def stay_out(actor, stay: Stay) -> dict:
    guest = selectors.guest_details_visible(actor, stay)
    hosts = [{"person": person.pk, "name": person.full_name} for person in stay.hosts.all()]
    return {
        "id": stay.pk,
        "household": stay.household_id,
        "household_number": stay.household.number,
        "unit": stay.unit.code,
        "unit_name": local_name(stay.unit),
        "hosts": hosts,
        "guest_name": stay.guest_name if guest else "",
        "origin_area": stay.origin_area.code if stay.origin_area else None,
        "origin_area_name": local_name(stay.origin_area) if stay.origin_area else None,
        "origin_address": stay.origin_address if guest else "",
        "document_number": stay.document_number if guest else "",
        "purpose": stay.purpose,
        "purpose_note": stay.purpose_note if guest else "",
        "arrives_on": stay.arrives_on,
        "departs_on": stay.departs_on,
        "departed_on": stay.departed_on,
        "deadline": stay.deadline,
        "registered_at": stay.registered_at,
        "late": stay.late,
        "overstayed": stay.overstayed,
        "confirmed": stay.confirmed_at is not None,
        "confirmed_at": stay.confirmed_at,
        "purged": stay.purged_at is not None,
        "may_change": selectors.may_change_stay(actor, stay),
        "may_confirm": selectors.may_confirm_stay(actor, stay),
    }


def _rules_out(office, rule) -> dict:
    return {
        "office": office.code,
        "inherited_from": rule.office.code if rule.office else None,
        "deadline_time": rule.deadline_time.strftime("%H:%M"),
        "deadline_days": rule.deadline_days,
    }


# Input ------------------------------------------------------------------------------------------------------------


class StayIn(Input):
    household: Id = Field(description="Id of the host household: a resident's own, or one of the caller's units.")
    guest_name: text(stays.GUEST_NAME_MAX) = Field(description="The guest's name.")
    arrives_on: IsoDate = Field(
        description="YYYY-MM-DD: at most STAY_ADVANCE_DAYS (default 30) ahead, at most a year ago."
    )
    departs_on: IsoDate = Field(description="Expected departure: on or after the arrival, at most a year later.")
    purpose: Purpose
    hosts: list[Id] = Field([], max_length=stays.HOSTS_MAX, description="Ids of the members who host the guest.")
    origin_area: AreaCode | None = Field(None, description="Code of the area the guest comes from.")
    origin_address: text(stays.ORIGIN_ADDRESS_MAX, min_length=0) = Field(
        "", description="Where the guest comes from, in words; required when origin_area is not given."
    )
    document_number: text(stays.DOCUMENT_NUMBER_MAX, min_length=0) = Field(
        "", description="Identity document number, optional: letters, digits and dashes."
    )
    purpose_note: text(stays.PURPOSE_NOTE_MAX, min_length=0) = Field("", description="More about the purpose.")


class StayPatch(PatchInput):
    departs_on: IsoDate = Field(None, description="A new expected departure (extend or shorten the stay).")
    departed_on: IsoDate = Field(None, description="The day the guest left: today at the latest.")


class StayRulesIn(Input):
    deadline_time: DeadlineTime
    deadline_days: DeadlineDays = Field(description=f"0 (the day of arrival) to {MAX_DEADLINE_DAYS}.")


class StayFilter(PageParams):
    household: int | None = Field(None, ge=1, le=2**63 - 1, description="Only this household's stays.")
    unit: AreaCode = Field(None, description="Only this unit's stays (its code).")
    day: IsoDate = Field(None, description="YYYY-MM-DD: only the stays covering that night.")
    late: QueryBool = Field(None, description="true: only late registrations; false: only those on time.")
    overstayed: QueryBool = Field(None, description="true: only overstayed stays; false: only the others.")


class StaySummaryFilter(Schema):
    area: AreaCode = Field(description="Code of an area: its units are counted.")
    since: IsoDate = Field(
        None, description=f"First day of arrival counted (default {selectors.PERIOD_DAYS - 1} days ago)."
    )
    until: IsoDate = Field(None, description="Last day of arrival counted (default today); a year at most.")


# Endpoints --------------------------------------------------------------------------------------------------------


def _require_may_register(actor) -> None:
    """A resident (for their household), or anyone with CHANGE somewhere; a read-only account is told 403 before the
    body is looked at."""
    scope = scope_for(actor)
    if not (scope.is_admin or scope.household_ids or scope.prefixes(CHANGE)):
        raise NotPermitted("not allowed to register guests")


@router.get("/stays", response={200: page_of(StayOut, "StayPage"), **READ_ERRORS})
def list_stays(request, filters: Query[StayFilter]):
    """The stays you may read, newest arrival first: a resident's household's, a leader's unit's, an officer's or
    auditor's area's."""
    actor = request.user
    rows = selectors.stays_visible(actor=actor)
    if filters.household is not None:
        household = object_in_scope(
            actor, registry_selectors.households_visible(actor=actor), filters.household, field="household"
        )
        rows = rows.filter(household=household)
    if filters.unit is not None:
        rows = rows.filter(unit=area_in_scope(actor, filters.unit, field="unit"))
    if filters.day is not None:
        rows = rows.filter(selectors.covering_q(filters.day))
    if filters.late is not None:
        rows = rows.filter(late=filters.late)
    if filters.overstayed is not None:
        rows = rows.filter(overstayed=filters.overstayed)
    page = paginate(rows, filters)
    page["items"] = [stay_out(actor, stay) for stay in page["items"]]
    return page


@router.post("/stays", response={201: StayOut, **WRITE_ERRORS})
def register_stay(request, payload: StayIn):
    """Register an overnight guest: a resident for their own household, a leader or officer for a household of
    their units. Registered after the office's deadline (default 22:00 on the day of arrival), it is marked late."""
    actor = request.user
    _require_may_register(actor)
    household = object_in_scope(
        actor, selectors.households_for_stays(actor=actor), payload.household, field="household"
    )
    origin_area = selectors.origin_area_by_code(payload.origin_area) if payload.origin_area is not None else None
    stay = stays.stay_register(
        actor=actor,
        household=household,
        guest_name=payload.guest_name,
        arrives_on=payload.arrives_on,
        departs_on=payload.departs_on,
        purpose=payload.purpose,
        hosts=selectors.hosts_by_id(household=household, ids=payload.hosts),
        origin_area=origin_area,
        origin_address=payload.origin_address,
        document_number=payload.document_number,
        purpose_note=payload.purpose_note,
    )
    return Status(201, stay_out(actor, selectors.stay_visible(actor=actor, pk=stay.pk)))


@router.get("/stays/summary", response={200: StaySummaryOut, **READ_ERRORS})
def stays_summary(request, filters: Query[StaySummaryFilter]):
    """For an office: per unit under `area`, the stays that arrived from `since` to `until`, how many were late,
    are overstayed today, are not confirmed. Counts only."""
    actor = request.user
    area = area_in_scope(actor, filters.area, field="area")
    since, until = selectors.counting_period(filters.since, filters.until)
    units = selectors.stay_counts_by_unit(actor=actor, area=area, since=since, until=until)
    rows = [
        {
            "unit": row.unit.code,
            "unit_name": local_name(row.unit),
            "registered": row.registered,
            "late": row.late,
            "overstayed": row.overstayed,
            "unconfirmed": row.unconfirmed,
        }
        for row in units
    ]
    totals = {name: sum(row[name] for row in rows) for name in ("registered", "late", "overstayed", "unconfirmed")}
    return {"area": area.code, "area_name": local_name(area), "since": since, "until": until, "units": rows, **totals}


@router.get("/stays/{stay_id}", response={200: StayOut, **READ_ERRORS})
def get_stay(request, stay_id: int):
    """A stay. An official's read is noted in the household's access log."""
    return stay_out(request.user, selectors.stay_detail(actor=request.user, pk=stay_id))


@router.patch("/stays/{stay_id}", response={200: StayOut, **WRITE_ERRORS})
def update_stay(request, stay_id: int, payload: StayPatch):
    """Extend or shorten the expected departure, or record the day the guest left (the household's residents, the
    unit's leader, officers)."""
    actor = request.user
    stay = selectors.stay_visible(actor=actor, pk=stay_id)
    stays.stay_update(actor=actor, stay=stay, departs_on=payload.departs_on, departed_on=payload.departed_on)
    return stay_out(actor, selectors.stay_visible(actor=actor, pk=stay_id))


@router.post("/stays/{stay_id}/confirm", response={200: StayOut, **WRITE_ERRORS})
def confirm_stay(request, stay_id: int):
    """The unit's leader (or an officer) confirms a registration. A second confirmation is a 422 naming `stay`."""
    actor = request.user
    stay = selectors.stay_visible(actor=actor, pk=stay_id)
    stays.stay_confirm(actor=actor, stay=stay)
    return stay_out(actor, selectors.stay_visible(actor=actor, pk=stay_id))


@router.get("/stay-rules/{office_code}", response={200: StayRulesOut, **READ_ERRORS}, tags=RULES)
def get_stay_rules(request, office_code: AreaCode):
    """When households under an office must register a guest: its own rule, the nearest office above's, or the
    default (22:00 on the day of arrival)."""
    office, rule = selectors.office_stay_rules(actor=request.user, code=office_code)
    return _rules_out(office, rule)


@router.put("/stay-rules/{office_code}", response={200: StayRulesOut, **WRITE_ERRORS}, tags=RULES)
def put_stay_rules(request, office_code: AreaCode, payload: StayRulesIn):
    """Set an office's registration deadline (officers of an office above it, administrators). Stays already
    registered keep the deadline they were registered under."""
    actor = request.user
    office, _ = selectors.office_stay_rules(actor=actor, code=office_code)
    hours, minutes = (int(part) for part in payload.deadline_time.split(":"))
    stays.stay_rules_set(
        actor=actor, office=office, deadline_time=time(hours, minutes), deadline_days=payload.deadline_days
    )
    office, rule = selectors.office_stay_rules(actor=actor, code=office_code)
    return _rules_out(office, rule)
