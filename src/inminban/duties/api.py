"""/api/v1 endpoints for duties: directives and acknowledgements, campaigns with sessions and attendance, levies
with deliveries, shares with their explanation, waivers, confirmation (which issues a stamp), progress.

Thin: path objects come from selectors (404 when missing or out of scope); officer-only writes answer 403 to
anyone who cannot manage areas, leader writes to anyone who cannot change anything; acknowledgements and waiver
requests are also open to residents for their own household; references in a body are resolved in the actor's
scope (422 naming the field); the service does the rest."""

import re
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from ninja import Field, Query, Router, Schema, Status
from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from inminban.api.pagination import PageParams, page_of, paginate
from inminban.api.schemas import (
    READ_ERRORS,
    WRITE_ERRORS,
    AreaCode,
    EffectiveDate,
    Id,
    Input,
    PastDate,
    PatchInput,
    QueryBool,
    StrictBool,
    area_in_scope,
    object_in_scope,
    text,
)
from inminban.areas.access import CHANGE, MANAGE_AREAS, require_any, subtree_q
from inminban.common.errors import DomainError
from inminban.registry import selectors as registry_selectors
from inminban.stamps.api import StampOut  # a confirmation answers the stamp it issued, as GET /stamps/{serial} does

from . import selectors, services
from .models import (
    AllocationRule,
    Attendance,
    Delivery,
    Directive,
    DirectiveAcknowledgement,
    DutyExemption,
    ExemptionReason,
    Levy,
    Quota,
    Session,
    Share,
    Waiver,
)

router = Router()

Method = Literal[tuple(AllocationRule.Method.values)]
Reason = Literal[tuple(ExemptionReason.values)]
LevyKind = Literal[tuple(Levy.Kind.values)]


def _quantity_input(value):
    """A number, or a number written as a string; the service then checks sign, size and decimals."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise PydanticCustomError("quantity_type", "A number is required.")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise PydanticCustomError("quantity_type", "A number is required.") from None
    if not number.is_finite():
        raise PydanticCustomError("quantity_type", "A finite number is required.")
    return number


Quantity = Annotated[Decimal, BeforeValidator(_quantity_input)]


def _clock_time(value):
    """A local time of day, "HH:MM" (or "HH:MM:SS"), without a time zone."""
    if isinstance(value, str) and re.fullmatch(r"\d{2}:\d{2}(:\d{2})?", value):
        try:
            return time.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError("time_format", "A time is written HH:MM.")


ClockTime = Annotated[
    time,
    BeforeValidator(_clock_time),
    WithJsonSchema({"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2})?$", "example": "08:00"}),
]


# Resolving references -----------------------------------------------------------------------------------------


def _rule(actor, code: str):
    rule = selectors.rules_visible(actor=actor).filter(code=code).first()
    if rule is None:
        raise DomainError("rule", f"No allocation rule {code!r}.")
    return rule


def _unit(actor, code: str, field: str = "unit"):
    unit = area_in_scope(actor, code, field=field)
    if not unit.level.is_unit:
        raise DomainError(field, f"{code} is not a unit.")
    return unit


# Output -------------------------------------------------------------------------------------------------------


class AttachmentOut(Schema):
    title: str
    url: str


class DirectiveOut(Schema):
    id: int
    office: str = Field(description="Code of the issuing office.")
    area: str = Field(description="Code of the area addressed: every household under it.")
    title_ko: str
    title_en: str
    text_ko: str
    text_en: str
    effective_on: date
    due_on: date | None
    requires_ack: bool
    issued_by: str
    issued_at: datetime
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_office(directive: Directive) -> str:
        return directive.office.code

    @staticmethod
    def resolve_area(directive: Directive) -> str:
        return directive.area.code

    @staticmethod
    def resolve_issued_by(directive: Directive) -> str:
        return directive.issued_by.username

    @staticmethod
    def resolve_attachments(directive: Directive) -> list:
        return list(directive.attachments.all())


class AckOut(Schema):
    id: int
    directive: int
    household: int
    household_number: str
    acknowledged_at: datetime
    channel: str = Field(description="leader (recorded at the door) or resident (by the household itself).")
    confirmed_at: datetime | None
    stamp_serial: str

    @staticmethod
    def resolve_directive(ack: DirectiveAcknowledgement) -> int:
        return ack.directive_id

    @staticmethod
    def resolve_household(ack: DirectiveAcknowledgement) -> int:
        return ack.household_id

    @staticmethod
    def resolve_household_number(ack: DirectiveAcknowledgement) -> str:
        return ack.household.number


class UnitAckOut(Schema):
    unit: str
    households: int
    acknowledged: int
    confirmed: int
    percent: int


class HouseholdRefOut(Schema):
    id: int
    number: str
    unit: str


class DirectiveProgressOut(Schema):
    directive: int
    total: int = Field(description="Households addressed, in the units you can see.")
    acknowledged: int
    confirmed: int
    percent: int
    is_overdue: bool
    units: list[UnitAckOut]
    overdue: list[HouseholdRefOut] = Field(description="After the due date: households not acknowledged (first 200).")
    overdue_count: int


class HouseholdAckOut(Schema):
    household: int
    number: str
    acknowledged_at: datetime | None
    channel: str | None
    confirmed_at: datetime | None
    stamp_serial: str


class ObligationOut(Schema):
    id: int
    office: str
    area: str
    title_ko: str
    title_en: str
    description_ko: str
    description_en: str
    measure: str = Field(description="person_hours, m3, kg or kpw.")
    step: Decimal = Field(description="Shares are whole multiples of this.")
    rule: str = Field(description="Code of the allocation rule.")
    place: str
    starts_on: date
    status: str = Field(description="upcoming, running, finished, or suspended / cancelled by its issuer.")
    standing: str = Field(description="active, suspended or cancelled (by the issuing office).")
    standing_reason: str

    @staticmethod
    def resolve_office(obligation) -> str:
        return obligation.office.code

    @staticmethod
    def resolve_area(obligation) -> str:
        return obligation.area.code

    @staticmethod
    def resolve_rule(obligation) -> str:
        return obligation.rule.code

    @staticmethod
    def resolve_status(obligation) -> str:
        return selectors.obligation_status(obligation)


class StandingIn(Input):
    standing: Literal["active", "suspended", "cancelled"]
    reason: str = Field(max_length=300, description="Why, in a sentence; shown to the units.")


class CampaignOut(ObligationOut):
    ends_on: date


class LevyOut(ObligationOut):
    kind: str = Field(description="food, materials, manure or cash.")
    due_on: date


class QuotaOut(Schema):
    id: int
    unit: str
    quantity: Decimal
    as_of: date = Field(description="Households, members and ages as they were that day.")
    set_at: datetime
    households: int
    allocated: Decimal | None = Field(description="Sum of the shares: equal to the quantity.")

    @staticmethod
    def resolve_unit(quota: Quota) -> str:
        return quota.unit.code

    @staticmethod
    def resolve_households(quota: Quota) -> int:
        return getattr(quota, "households", None) or quota.shares.count()

    @staticmethod
    def resolve_allocated(quota: Quota):
        value = getattr(quota, "allocated", None)
        return value if value is not None else sum((s.quantity for s in quota.shares.all()), Decimal("0"))


class ShareOut(Schema):
    id: int
    obligation: str = Field(description="campaign:<id> or levy:<id>.")
    unit: str
    household: int
    household_number: str
    quantity: Decimal = Field(description="Allocated share.")
    waived: Decimal = Field(description="Forgiven by approved waivers.")
    done: Decimal = Field(description="Hours attended (person-hour campaigns) or delivered.")
    due: Decimal
    remaining: Decimal
    fulfilled: bool
    confirmed_at: datetime | None
    stamp_serial: str
    cancelled_at: datetime | None = Field(
        description="When the issuer suspended or cancelled the obligation while this share was open; null otherwise."
    )
    cancelled_remaining: Decimal | None = Field(
        description="What was still owed then: forgiven, not passed on to other households."
    )

    @staticmethod
    def resolve_obligation(share: Share) -> str:
        return share.quota.obligation.ref

    @staticmethod
    def resolve_unit(share: Share) -> str:
        return share.quota.unit.code

    @staticmethod
    def resolve_household(share: Share) -> int:
        return share.household_id

    @staticmethod
    def resolve_household_number(share: Share) -> str:
        return share.household.number


class DeliveryOut(Schema):
    id: int
    share: int
    receipt_number: str
    quantity: Decimal
    measure: str
    delivered_on: date
    receiver: str
    recorded_at: datetime
    receipt_url: str

    @staticmethod
    def resolve_share(delivery: Delivery) -> int:
        return delivery.share_id

    @staticmethod
    def resolve_receipt_url(delivery: Delivery) -> str:
        return f"/deliveries/{delivery.pk}/receipt/"


class WaiverOut(Schema):
    id: int
    share: int
    household: int
    quantity: Decimal
    reason: str
    status: str
    requested_by: str
    requested_at: datetime
    decided_at: datetime | None
    decision_note: str

    @staticmethod
    def resolve_share(waiver: Waiver) -> int:
        return waiver.share_id

    @staticmethod
    def resolve_household(waiver: Waiver) -> int:
        return waiver.share.household_id

    @staticmethod
    def resolve_requested_by(waiver: Waiver) -> str:
        return waiver.requested_by.username


class ShareDetailOut(ShareOut):
    explanation: dict[str, Any] = Field(description="How the share was computed: rule, counts, weights, fractions.")
    deliveries: list[DeliveryOut]
    waivers: list[WaiverOut]

    @staticmethod
    def resolve_explanation(share: Share) -> dict:
        return selectors.share_explanation(share)

    @staticmethod
    def resolve_deliveries(share: Share) -> list:
        return list(share.deliveries.all())

    @staticmethod
    def resolve_waivers(share: Share) -> list:
        return list(share.waivers.all())


class UnitObligationOut(Schema):
    unit: str
    quota: Decimal
    households: int
    fulfilled: int
    confirmed: int
    due: Decimal = Field(description="Quota less approved waivers.")
    done: Decimal
    waived: Decimal
    percent: int


class ObligationProgressOut(Schema):
    obligation: str
    status: str
    total: Decimal
    done: Decimal
    percent: int
    households: int
    fulfilled: int
    confirmed: int
    units: list[UnitObligationOut]


class SessionOut(Schema):
    id: int
    campaign: int
    unit: str
    on: date
    starts_at: str = Field(description="HH:MM, local time.")
    ends_at: str = Field(description="HH:MM, local time.")
    place: str
    hours: Decimal

    @staticmethod
    def resolve_campaign(session: Session) -> int:
        return session.campaign_id

    @staticmethod
    def resolve_starts_at(session: Session) -> str:
        return session.starts_at.strftime("%H:%M")

    @staticmethod
    def resolve_ends_at(session: Session) -> str:
        return session.ends_at.strftime("%H:%M")

    @staticmethod
    def resolve_unit(session: Session) -> str:
        return session.unit.code


class AttendanceOut(Schema):
    id: int
    session: int
    person: int
    household: int
    hours: Decimal
    recorded_at: datetime

    @staticmethod
    def resolve_session(attendance: Attendance) -> int:
        return attendance.session_id

    @staticmethod
    def resolve_person(attendance: Attendance) -> int:
        return attendance.person_id

    @staticmethod
    def resolve_household(attendance: Attendance) -> int:
        return attendance.household_id


class SheetOut(Schema):
    added: list[int]
    removed: list[int]


class RuleOut(Schema):
    id: int
    code: str
    name_ko: str
    name_en: str
    office: str | None
    method: str
    min_age: int
    max_age: int
    exempt_reasons: list[str]
    exempt_occupations: list[str]

    @staticmethod
    def resolve_office(rule: AllocationRule) -> str | None:
        return rule.office.code if rule.office_id else None


class ExemptionOut(Schema):
    id: int
    person: int
    reason: str
    since: date
    until: date | None

    @staticmethod
    def resolve_person(exemption: DutyExemption) -> int:
        return exemption.person_id


class DayDirectiveOut(Schema):
    directive: int
    title: str
    due_on: date | None
    acknowledged: int
    missing: int
    overdue: bool


class DayLevyOut(Schema):
    levy: int
    title: str
    due_on: date
    households: int
    owed: Decimal
    overdue: bool


class DayOut(Schema):
    unit: str
    on: date
    households: int
    directives: list[DayDirectiveOut]
    sessions: list[SessionOut]
    levies_due: list[DayLevyOut]
    shares_to_confirm: list[ShareOut]
    acks_to_confirm: list[AckOut]
    waivers_pending: list[WaiverOut]


class HouseholdDirectiveOut(Schema):
    directive: int
    title: str
    effective_on: date
    due_on: date | None
    requires_ack: bool
    acknowledged_at: datetime | None
    stamp_serial: str


class StampRefOut(Schema):
    serial: str
    title: str
    kind: str


class HouseholdDutiesOut(Schema):
    household: int
    directives: list[HouseholdDirectiveOut]
    shares: list[ShareOut]
    sessions: list[SessionOut]
    stamps: list[StampRefOut]


# Input --------------------------------------------------------------------------------------------------------


class AttachmentIn(Input):
    title: text(200, min_length=0) = ""
    url: text(500) = Field(description="An http(s) address.")


class DirectiveIn(Input):
    office: text(64) | None = Field(None, description="Code of the issuing office; default the nearest of yours.")
    area: AreaCode = Field(description="Code of the area addressed.")
    title_ko: text(200, min_length=0) = ""
    title_en: text(200, min_length=0) = ""
    text_ko: text(20000, min_length=0) = ""
    text_en: text(20000, min_length=0) = ""
    effective_on: EffectiveDate
    due_on: EffectiveDate | None = Field(None, description="Required when acknowledgement is required.")
    requires_ack: StrictBool = True
    attachments: list[AttachmentIn] = []


class DirectiveFilters(PageParams):
    area: AreaCode = Field(None, description="Only directives addressed to this area's subtree.")
    active: QueryBool = Field(None, description="Only those in force today (effective, not past due).")


class AckIn(Input):
    household: Id = Field(description="Id of the household acknowledging.")


class UnitQuery(Schema):
    unit: AreaCode = Field(description="Code of the unit.")


class OptionalUnit(PageParams):
    unit: AreaCode = Field(None, description="Only this unit.")


class ObligationIn(Input):
    office: text(64) | None = Field(None, description="Code of the office; default the nearest of yours.")
    area: AreaCode
    title_ko: text(200, min_length=0) = ""
    title_en: text(200, min_length=0) = ""
    description_ko: text(20000, min_length=0) = ""
    description_en: text(20000, min_length=0) = ""
    measure: text(16)
    rule: text(48) = Field("equal", description="Code of the allocation rule.")
    place: text(200, min_length=0) = ""
    starts_on: EffectiveDate
    step: Quantity | None = Field(None, description="Shares are multiples of this; default by measure.")


class CampaignIn(ObligationIn):
    measure: text(16) = Field(description="person_hours, m3 or kg.")
    ends_on: EffectiveDate


class LevyIn(ObligationIn):
    kind: text(16) = Field(description="food, materials, manure or cash.")
    measure: text(16) = Field(description="kg or m3 for goods, kpw for cash.")
    due_on: EffectiveDate


class QuotaIn(Input):
    unit: AreaCode = Field(description="Code of a unit under the campaign's or levy's area.")
    quantity: Quantity = Field(description="Zero or more, a whole multiple of the step; a number or a string.")


class SessionIn(Input):
    unit: AreaCode
    on: EffectiveDate = Field(description="A day within the campaign.")
    starts_at: ClockTime
    ends_at: ClockTime
    place: text(200, min_length=0) = ""


class AttendanceIn(Input):
    person: Id
    hours: Quantity | None = Field(None, description="Default: the whole session.")


class SheetIn(Input):
    persons: list[Id] = Field(description="Exactly the persons present; others recorded earlier are removed.")


class DeliveryIn(Input):
    quantity: Quantity = Field(description="More than zero, at most what is still owed.")
    measure: text(16) = Field(description="Must be the measure of the campaign or levy.")
    delivered_on: PastDate
    receiver: text(128, min_length=0) = ""


class WaiverIn(Input):
    reason: text(300) = Field(description="The hardship, in a sentence. No medical detail.")
    quantity: Quantity | None = Field(None, description="Default: everything still to do.")


class WaiverDecisionIn(Input):
    approve: StrictBool
    note: text(300, min_length=0) = ""


class WaiverFilters(PageParams):
    status: Literal[tuple(Waiver.Status.values)] | None = None


class RuleIn(Input):
    code: text(48)
    method: Method
    name_ko: text(128, min_length=0) = ""
    name_en: text(128, min_length=0) = ""
    min_age: int = Field(17, ge=0, le=120)
    max_age: int = Field(60, ge=0, le=120)
    exempt_reasons: list[Reason] | None = Field(None, description="Default: every reason on the list.")
    exempt_occupations: list[text(128)] = []
    office: text(64) | None = Field(None, description="Code of an office of yours; null for the whole deployment.")


class ExemptionIn(Input):
    person: Id
    reason: Reason
    since: EffectiveDate
    until: EffectiveDate | None = None


class ExemptionEndIn(Input):
    until: EffectiveDate


class ExemptionPatch(PatchInput):
    since: EffectiveDate = None
    until: EffectiveDate = Field(None, description="Exclusive end.")


class DayQuery(Schema):
    unit: AreaCode = Field(None, description="Code of the unit; default your own.")


# Directives ---------------------------------------------------------------------------------------------------


@router.get("/directives", response={200: page_of(DirectiveOut, "DirectivePage"), **READ_ERRORS}, tags=["directives"])
def list_directives(request, filters: Query[DirectiveFilters]):
    """Directives sent to your areas, or from above to them."""
    directives = selectors.directives_visible(actor=request.user).prefetch_related("attachments")
    if filters.area:
        area = area_in_scope(request.user, filters.area, field="area")
        directives = directives.filter(subtree_q("area__path", area.path))
    if filters.active:
        directives = selectors.active_directives(directives)
    return paginate(directives, filters)


@router.post("/directives", response={201: DirectiveOut, **WRITE_ERRORS}, tags=["directives"])
def create_directive(request, payload: DirectiveIn):
    """Issue a directive to every household under an area (officers)."""
    require_any(request.user, MANAGE_AREAS)
    area = area_in_scope(request.user, payload.area, field="area")
    office = selectors.office_in_scope(actor=request.user, code=payload.office, area=area)
    fields = payload.model_dump(exclude={"office", "area", "attachments"})
    attachments = [item.model_dump() for item in payload.attachments]
    directive = services.directive_issue(
        actor=request.user, office=office, area=area, attachments=attachments, **fields
    )
    return Status(201, directive)


@router.get("/directives/{directive_id}", response={200: DirectiveOut, **READ_ERRORS}, tags=["directives"])
def get_directive(request, directive_id: int):
    """Get a directive."""
    return selectors.directive_detail(actor=request.user, pk=directive_id)


@router.get(
    "/directives/{directive_id}/progress", response={200: DirectiveProgressOut, **READ_ERRORS}, tags=["directives"]
)
def directive_progress(request, directive_id: int):
    """Acknowledgements per unit you can see, and the overdue households."""
    directive = selectors.directive_detail(actor=request.user, pk=directive_id)
    progress = selectors.directive_progress(actor=request.user, directive=directive)
    return {
        "directive": directive.pk,
        "total": progress["total"],
        "acknowledged": progress["acknowledged"],
        "confirmed": progress["confirmed"],
        "percent": progress["percent"],
        "is_overdue": progress["is_overdue"],
        "units": [
            {
                "unit": row.unit.code,
                "households": row.total,
                "acknowledged": row.done,
                "confirmed": row.confirmed,
                "percent": row.percent,
            }
            for row in progress["units"]
        ],
        "overdue": [{"id": h.pk, "number": h.number, "unit": h.unit.code} for h in progress["overdue"]],
        "overdue_count": progress["overdue_count"],
    }


@router.get(
    "/directives/{directive_id}/households",
    response={200: list[HouseholdAckOut], **READ_ERRORS},
    tags=["directives"],
)
def directive_households(request, directive_id: int, query: Query[UnitQuery]):
    """Each household of one unit and whether it has acknowledged: the leader's door-to-door list."""
    directive = selectors.directive_detail(actor=request.user, pk=directive_id)
    unit = _unit(request.user, query.unit)
    rows = selectors.directive_households(actor=request.user, directive=directive, unit=unit)
    return [
        {
            "household": row.household.pk,
            "number": row.household.number,
            "acknowledged_at": row.ack.acknowledged_at if row.ack else None,
            "channel": row.ack.channel if row.ack else None,
            "confirmed_at": row.ack.confirmed_at if row.ack else None,
            "stamp_serial": row.ack.stamp_serial if row.ack else "",
        }
        for row in rows
    ]


@router.get(
    "/directives/{directive_id}/acknowledgements",
    response={200: page_of(AckOut, "AcknowledgementPage"), **READ_ERRORS},
    tags=["directives"],
)
def list_acknowledgements(request, directive_id: int, page: Query[PageParams]):
    """Acknowledgements of a directive by households you can see."""
    directive = selectors.directive_detail(actor=request.user, pk=directive_id)
    return paginate(selectors.acknowledgements_visible(actor=request.user).filter(directive=directive), page)


@router.post("/directives/{directive_id}/acknowledgements", response={201: AckOut, **WRITE_ERRORS}, tags=["directives"])
def acknowledge(request, directive_id: int, payload: AckIn):
    """Record that a household received the directive: a resident for their own, a leader for their unit's."""
    directive = selectors.directive_detail(actor=request.user, pk=directive_id)
    household = object_in_scope(
        request.user, registry_selectors.households_visible(actor=request.user), payload.household, field="household"
    )
    return Status(201, services.directive_acknowledge(actor=request.user, directive=directive, household=household))


@router.post("/acknowledgements/{ack_id}/confirm", response={201: StampOut, **WRITE_ERRORS}, tags=["directives"])
def confirm_acknowledgement(request, ack_id: int):
    """The leader confirms an acknowledgement; a stamp is issued for the household."""
    ack = selectors.get_one(selectors.acknowledgements_visible(actor=request.user), ack_id)
    require_any(request.user, CHANGE)
    return Status(201, services.acknowledgement_confirm(actor=request.user, acknowledgement=ack))


# Campaigns and levies -----------------------------------------------------------------------------------------


def _obligation_fields(request, payload: ObligationIn) -> dict:
    area = area_in_scope(request.user, payload.area, field="area")
    return payload.model_dump(exclude={"office", "area", "rule"}) | {
        "office": selectors.office_in_scope(actor=request.user, code=payload.office, area=area),
        "area": area,
        "rule": _rule(request.user, payload.rule),
    }


def _progress_out(progress: dict) -> dict:
    return {
        "obligation": progress["obligation"].ref,
        "status": progress["status"],
        "total": progress["total"],
        "done": progress["done"],
        "percent": progress["percent"],
        "households": progress["households"],
        "fulfilled": progress["fulfilled"],
        "confirmed": progress["confirmed"],
        "units": [
            {
                "unit": row.unit.code,
                "quota": row.extra["quota"].quantity,
                "households": row.extra["households"],
                "fulfilled": row.extra["fulfilled"],
                "confirmed": row.confirmed,
                "due": row.total,
                "done": row.done,
                "waived": row.extra["waived"],
                "percent": row.percent,
            }
            for row in progress["units"]
        ],
    }


@router.get("/campaigns", response={200: page_of(CampaignOut, "CampaignPage"), **READ_ERRORS}, tags=["campaigns"])
def list_campaigns(request, page: Query[PageParams]):
    """Labour campaigns over your areas, or from above to them."""
    return paginate(selectors.campaigns_visible(actor=request.user), page)


@router.post("/campaigns", response={201: CampaignOut, **WRITE_ERRORS}, tags=["campaigns"])
def create_campaign(request, payload: CampaignIn):
    """Call a labour campaign (officers). Quotas per unit follow."""
    require_any(request.user, MANAGE_AREAS)
    return Status(201, services.campaign_create(actor=request.user, **_obligation_fields(request, payload)))


@router.get("/campaigns/{campaign_id}", response={200: CampaignOut, **READ_ERRORS}, tags=["campaigns"])
def get_campaign(request, campaign_id: int):
    """Get a campaign."""
    return selectors.campaign_detail(actor=request.user, pk=campaign_id)


@router.get("/levies", response={200: page_of(LevyOut, "LevyPage"), **READ_ERRORS}, tags=["levies"])
def list_levies(request, page: Query[PageParams]):
    """Levies on your areas, or from above on them."""
    return paginate(selectors.levies_visible(actor=request.user), page)


@router.post("/levies", response={201: LevyOut, **WRITE_ERRORS}, tags=["levies"])
def create_levy(request, payload: LevyIn):
    """Lay a levy of goods or cash (officers). Quotas per unit follow."""
    require_any(request.user, MANAGE_AREAS)
    return Status(201, services.levy_create(actor=request.user, **_obligation_fields(request, payload)))


@router.get("/levies/{levy_id}", response={200: LevyOut, **READ_ERRORS}, tags=["levies"])
def get_levy(request, levy_id: int):
    """Get a levy."""
    return selectors.levy_detail(actor=request.user, pk=levy_id)


def _obligation_routes(kind: str, prefix: str, detail, tag: str) -> None:
    """The same quota, share and progress endpoints for campaigns and for levies."""

    @router.get(
        f"/{prefix}/{{obligation_id}}/quotas",
        response={200: list[QuotaOut], **READ_ERRORS},
        tags=[tag],
        summary=f"Quotas of a {kind} per unit",
        operation_id=f"list_{kind}_quotas",
    )
    def list_quotas(request, obligation_id: int):
        obligation = detail(actor=request.user, pk=obligation_id)
        return list(selectors.quotas_of(actor=request.user, obligation=obligation))

    @router.post(
        f"/{prefix}/{{obligation_id}}/quotas",
        response={201: QuotaOut, **WRITE_ERRORS},
        tags=[tag],
        summary=f"Set a unit's quota of a {kind} and allocate it to households",
        description="Exact largest-remainder allocation under the rule; can be re-set until households start.",
        operation_id=f"set_{kind}_quota",
    )
    def set_quota(request, obligation_id: int, payload: QuotaIn):
        obligation = detail(actor=request.user, pk=obligation_id)
        require_any(request.user, MANAGE_AREAS)
        unit = _unit(request.user, payload.unit)
        return Status(
            201, services.quota_set(actor=request.user, obligation=obligation, unit=unit, quantity=payload.quantity)
        )

    @router.get(
        f"/{prefix}/{{obligation_id}}/shares",
        response={200: page_of(ShareOut, f"{kind.title()}SharePage"), **READ_ERRORS},
        tags=[tag],
        summary=f"Households' shares of a {kind}",
        operation_id=f"list_{kind}_shares",
    )
    def list_shares(request, obligation_id: int, filters: Query[OptionalUnit]):
        obligation = detail(actor=request.user, pk=obligation_id)
        unit = _unit(request.user, filters.unit) if filters.unit else None
        return paginate(selectors.shares_of(actor=request.user, obligation=obligation, unit=unit), filters)

    # POST /{prefix}/{id}/standing (suspend, cancel, resume) lives in governance/api/reports.py: the decision also
    # answers petitions and tells the households, which duties cannot know about.

    @router.get(
        f"/{prefix}/{{obligation_id}}/progress",
        response={200: ObligationProgressOut, **READ_ERRORS},
        tags=[tag],
        summary=f"Progress of a {kind} per unit",
        operation_id=f"{kind}_progress",
    )
    def progress(request, obligation_id: int):
        obligation = detail(actor=request.user, pk=obligation_id)
        return _progress_out(selectors.obligation_progress(actor=request.user, obligation=obligation))


_obligation_routes("campaign", "campaigns", selectors.campaign_detail, "campaigns")
_obligation_routes("levy", "levies", selectors.levy_detail, "levies")


# Sessions and attendance --------------------------------------------------------------------------------------


@router.get(
    "/campaigns/{campaign_id}/sessions",
    response={200: page_of(SessionOut, "SessionPage"), **READ_ERRORS},
    tags=["campaigns"],
)
def list_sessions(request, campaign_id: int, filters: Query[OptionalUnit]):
    """Sessions of a campaign in units you can see."""
    campaign = selectors.campaign_detail(actor=request.user, pk=campaign_id)
    sessions = selectors.sessions_visible(actor=request.user).filter(campaign=campaign)
    if filters.unit:
        sessions = sessions.filter(unit=_unit(request.user, filters.unit))
    return paginate(sessions, filters)


@router.post("/campaigns/{campaign_id}/sessions", response={201: SessionOut, **WRITE_ERRORS}, tags=["campaigns"])
def create_session(request, campaign_id: int, payload: SessionIn):
    """Schedule a session for a unit, on a day within the campaign."""
    campaign = selectors.campaign_detail(actor=request.user, pk=campaign_id)
    require_any(request.user, CHANGE)
    unit = _unit(request.user, payload.unit)
    fields = payload.model_dump(exclude={"unit"})
    return Status(201, services.session_create(actor=request.user, campaign=campaign, unit=unit, **fields))


@router.get("/sessions/{session_id}", response={200: SessionOut, **READ_ERRORS}, tags=["campaigns"])
def get_session(request, session_id: int):
    """Get a session."""
    return selectors.session_detail(actor=request.user, pk=session_id)


@router.get(
    "/sessions/{session_id}/attendance",
    response={200: page_of(AttendanceOut, "AttendancePage"), **READ_ERRORS},
    tags=["campaigns"],
)
def list_attendance(request, session_id: int, page: Query[PageParams]):
    """Who attended a session."""
    session = selectors.session_detail(actor=request.user, pk=session_id)
    return paginate(selectors.attendances_of(actor=request.user, session=session), page)


@router.post("/sessions/{session_id}/attendance", response={201: AttendanceOut, **WRITE_ERRORS}, tags=["campaigns"])
def record_attendance(request, session_id: int, payload: AttendanceIn):
    """Record one person's attendance; the hours count towards their household's share."""
    session = selectors.session_detail(actor=request.user, pk=session_id)
    require_any(request.user, CHANGE)
    person = object_in_scope(
        request.user, registry_selectors.persons_visible(actor=request.user), payload.person, field="person"
    )
    return Status(
        201, services.attendance_record(actor=request.user, session=session, person=person, hours=payload.hours)
    )


@router.put("/sessions/{session_id}/attendance", response={200: SheetOut, **WRITE_ERRORS}, tags=["campaigns"])
def set_attendance_sheet(request, session_id: int, payload: SheetIn):
    """The attendance sheet: exactly these persons were present for the whole session."""
    session = selectors.session_detail(actor=request.user, pk=session_id)
    require_any(request.user, CHANGE)
    return services.session_attendance_set(actor=request.user, session=session, person_ids=payload.persons)


@router.delete("/attendance/{attendance_id}", response={204: None, **WRITE_ERRORS}, tags=["campaigns"])
def remove_attendance(request, attendance_id: int):
    """Take back an attendance recorded by mistake (not once the share is confirmed)."""
    attendance = selectors.get_one(selectors.attendances_visible(actor=request.user), attendance_id)
    require_any(request.user, CHANGE)
    services.attendance_remove(actor=request.user, attendance=attendance)
    return Status(204, None)


# Shares, deliveries, waivers, confirmation ---------------------------------------------------------------------


@router.get("/shares/{share_id}", response={200: ShareDetailOut, **READ_ERRORS}, tags=["shares"])
def get_share(request, share_id: int):
    """A household's share with how it was computed, its deliveries and waivers."""
    return selectors.share_detail(actor=request.user, pk=share_id)


@router.get(
    "/shares/{share_id}/deliveries",
    response={200: page_of(DeliveryOut, "DeliveryPage"), **READ_ERRORS},
    tags=["levies"],
)
def list_deliveries(request, share_id: int, page: Query[PageParams]):
    """Deliveries towards a share."""
    share = selectors.share_detail(actor=request.user, pk=share_id)
    return paginate(selectors.deliveries_visible(actor=request.user).filter(share=share), page)


@router.post("/shares/{share_id}/deliveries", response={201: DeliveryOut, **WRITE_ERRORS}, tags=["levies"])
def record_delivery(request, share_id: int, payload: DeliveryIn):
    """Record goods or cash handed over towards a share; partial deliveries accumulate."""
    share = selectors.share_detail(actor=request.user, pk=share_id)
    require_any(request.user, CHANGE)
    return Status(201, services.delivery_record(actor=request.user, share=share, **payload.model_dump()))


@router.get("/deliveries/{delivery_id}", response={200: DeliveryOut, **READ_ERRORS}, tags=["levies"])
def get_delivery(request, delivery_id: int):
    """Get a delivery; its printable receipt is at `receipt_url`."""
    return selectors.delivery_detail(actor=request.user, pk=delivery_id)


@router.post("/shares/{share_id}/waivers", response={201: WaiverOut, **WRITE_ERRORS}, tags=["shares"])
def request_waiver(request, share_id: int, payload: WaiverIn):
    """Ask for (part of) a share to be forgiven for hardship: the household itself or its leader."""
    share = selectors.share_detail(actor=request.user, pk=share_id)
    return Status(201, services.waiver_request(actor=request.user, share=share, **payload.model_dump()))


@router.get("/waivers", response={200: page_of(WaiverOut, "WaiverPage"), **READ_ERRORS}, tags=["shares"])
def list_waivers(request, filters: Query[WaiverFilters]):
    """Waiver requests you can see."""
    return paginate(selectors.waivers_visible(actor=request.user, status=filters.status), filters)


@router.post("/waivers/{waiver_id}/decide", response={200: WaiverOut, **WRITE_ERRORS}, tags=["shares"])
def decide_waiver(request, waiver_id: int, payload: WaiverDecisionIn):
    """Approve or reject a waiver (officers). Approved amounts are forgiven, not passed to the neighbours."""
    waiver = selectors.get_one(selectors.waivers_visible(actor=request.user), waiver_id)
    require_any(request.user, MANAGE_AREAS)
    return services.waiver_decide(actor=request.user, waiver=waiver, approve=payload.approve, note=payload.note)


@router.post("/shares/{share_id}/confirm", response={201: StampOut, **WRITE_ERRORS}, tags=["shares"])
def confirm_share(request, share_id: int):
    """The leader confirms a fulfilled share; a stamp is issued for the household."""
    share = selectors.share_detail(actor=request.user, pk=share_id)
    require_any(request.user, CHANGE)
    return Status(201, services.share_confirm(actor=request.user, share=share))


# Rules, exemptions, the day, a household ----------------------------------------------------------------------


@router.get("/allocation-rules", response={200: page_of(RuleOut, "RulePage"), **READ_ERRORS}, tags=["duties"])
def list_rules(request, page: Query[PageParams]):
    """Allocation rules: how quotas are divided and who is exempt."""
    return paginate(selectors.rules_visible(actor=request.user), page)


@router.post("/allocation-rules", response={201: RuleOut, **WRITE_ERRORS}, tags=["duties"])
def create_rule(request, payload: RuleIn):
    """Add an allocation rule for an office of yours, or (administrators) for the whole deployment."""
    require_any(request.user, MANAGE_AREAS)
    office = None
    if payload.office is not None:
        office = selectors.offices_for(actor=request.user).filter(code=payload.office).first()
        if office is None:
            raise DomainError("office", f"No office {payload.office!r} that you act for.")
    fields = payload.model_dump(exclude={"office"})
    return Status(201, services.rule_create(actor=request.user, office=office, **fields))


@router.get("/duty-exemptions", response={200: page_of(ExemptionOut, "ExemptionPage"), **READ_ERRORS}, tags=["duties"])
def list_exemptions(request, page: Query[PageParams]):
    """Exemptions of persons in units where you record duties. Restricted: not shown to auditors or residents."""
    return paginate(selectors.exemptions_visible(actor=request.user), page)


@router.post("/duty-exemptions", response={201: ExemptionOut, **WRITE_ERRORS}, tags=["duties"])
def record_exemption(request, payload: ExemptionIn):
    """Excuse a person from labour and levies for a reason on the fixed list."""
    require_any(request.user, CHANGE)
    person = object_in_scope(
        request.user, registry_selectors.persons_visible(actor=request.user), payload.person, field="person"
    )
    fields = payload.model_dump(exclude={"person"})
    return Status(201, services.exemption_record(actor=request.user, person=person, **fields))


@router.post("/duty-exemptions/{exemption_id}/end", response={200: ExemptionOut, **WRITE_ERRORS}, tags=["duties"])
def end_exemption(request, exemption_id: int, payload: ExemptionEndIn):
    """End an exemption on a day."""
    exemption = selectors.get_one(selectors.exemptions_visible(actor=request.user), exemption_id)
    return services.exemption_end(actor=request.user, exemption=exemption, until=payload.until)


@router.patch("/duty-exemptions/{exemption_id}", response={200: ExemptionOut, **WRITE_ERRORS}, tags=["duties"])
def update_exemption(request, exemption_id: int, payload: ExemptionPatch):
    """Correct the dates of an exemption (e.g. a start dated years ahead by mistake)."""
    exemption = selectors.get_one(selectors.exemptions_visible(actor=request.user), exemption_id)
    return services.exemption_update(actor=request.user, exemption=exemption, **payload.changes())


@router.get("/day", response={200: DayOut, **READ_ERRORS}, tags=["duties"])
def leader_day(request, query: Query[DayQuery]):
    """A leader's day in one unit: directives to relay, sessions, levies due, stamps to confirm."""
    if query.unit:
        unit = _unit(request.user, query.unit)
    else:
        unit = selectors.units_led(actor=request.user).order_by("path").first()
        if unit is None:
            raise DomainError("unit", "You lead no unit; name one.")
    day = selectors.leader_day(actor=request.user, unit=unit)
    return {
        "unit": unit.code,
        "on": day["on"],
        "households": day["households"],
        "directives": [
            {
                "directive": row["directive"].pk,
                "title": row["directive"].title,
                "due_on": row["directive"].due_on,
                "acknowledged": row["acknowledged"],
                "missing": row["missing"],
                "overdue": row["overdue"],
            }
            for row in day["directives"]
        ],
        "sessions": day["sessions"],
        "levies_due": [row | {"levy": row["levy_id"]} for row in day["levies_due"]],
        "shares_to_confirm": day["shares_to_confirm"],
        "acks_to_confirm": day["acks_to_confirm"],
        "waivers_pending": day["waivers_pending"],
    }


@router.get("/households/{household_id}/duties", response={200: HouseholdDutiesOut, **READ_ERRORS}, tags=["duties"])
def household_duties(request, household_id: int):
    """A household's directives, shares and stamps (the household itself, its leader, officers)."""
    household = registry_selectors.household_detail(actor=request.user, household_id=household_id)
    duties = selectors.household_duties(actor=request.user, household=household)
    return {
        "household": household.pk,
        "directives": [
            {
                "directive": row["directive"].pk,
                "title": row["directive"].title,
                "effective_on": row["directive"].effective_on,
                "due_on": row["directive"].due_on,
                "requires_ack": row["directive"].requires_ack,
                "acknowledged_at": row["ack"].acknowledged_at if row["ack"] else None,
                "stamp_serial": row["ack"].stamp_serial if row["ack"] else "",
            }
            for row in duties["directives"]
        ],
        "shares": duties["shares"],
        "sessions": duties["sessions"],
        "stamps": duties["stamps"],
    }
