"""/api/v1/ endpoints for distribution: counters and their clerks, vouchers, redemptions (online, and the batch an
offline counter uploads) and the conflicts the office resolves. Thin: scoping in counter_selectors, rules in
vouchers.

Quantities are integers in the program's base measure, grams of grain or won (`measure`: g or kpw), each with a text
for people ("12.6 kg", "3,000 ₩"). A refusal at the counter is a 422 whose `error` names the reason
(`voucher_used_up`, `voucher_revoked`, `voucher_cycle_closed`, `voucher_bad_signature`, …) and whose `detail` says
it, naming for a used-up voucher who handed it out, at which counter and when."""

import re
from datetime import date, datetime
from typing import Annotated, Literal

from django.contrib.auth.models import User
from ninja import Field, Query, Router, Schema, Status
from pydantic import BeforeValidator, Strict, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from inminban.api.pagination import PageParams, page_of, paginate
from inminban.api.schemas import READ_ERRORS, WRITE_ERRORS, AreaCode, EffectiveDate, Id, Input, area_in_scope, text
from inminban.areas.access import MANAGE_AREAS, can, require_any
from inminban.common.errors import DomainError, NotPermitted
from inminban.duties import selectors as duty_selectors
from inminban.stamps.services import stamp_encoded

from . import counter_selectors as selectors
from . import counters, redemptions
from . import selectors as cycle_selectors
from .explain import amount_text
from .models import Counter, Entitlement, Redemption

router = Router()

MAX_QUANTITY = 10**12 - 1


def _amount(program, amount: int) -> str:
    return amount_text(amount, program.kind)


# Output -----------------------------------------------------------------------------------------------------------


class CounterOut(Schema):
    id: int
    code: str
    name: str
    name_ko: str
    name_en: str
    office: str = Field(alias="office.code")
    area: str = Field(alias="area.code", description="The area whose households it serves.")
    address: str
    opening_hours: str
    active: bool
    clerks: list[str] = Field(description="Usernames of its current clerks.")

    @staticmethod
    def resolve_clerks(counter: Counter) -> list[str]:
        return selectors.counter_clerks(counter)


class ClerkOut(Schema):
    user: str
    counter: int
    since: date
    until: date | None


class RedemptionRefOut(Schema):
    id: str = Field(description="The redemption's id (a UUID, given by the counter that recorded it).")
    counter: str = Field(description="Code of the counter.")
    counter_name: str
    clerk: str = Field(description="Who handed it out.")
    handed_at: datetime
    quantity: int = Field(description="Grams of grain or won.")
    quantity_text: str


class RedemptionOut(RedemptionRefOut):
    voucher: str = Field(description="The voucher's serial.")
    cycle: int
    household_number: str
    unit: str
    measure: str = Field(description="g (grams of grain) or kpw (won).")
    recorded_at: datetime
    offline: bool
    status: str = Field(description="accepted, conflict (more than was left) or resolved.")
    excess: int = Field(description="How much more than was left it handed out.")
    excess_text: str
    conflict_with: RedemptionRefOut | None = Field(description="For a conflict: the redemption that stood.")
    resolution: str
    resolved_at: datetime | None
    resolved_by: str | None


def _ref(redemption: Redemption) -> dict:
    program = redemption.cycle.program
    return {
        "id": str(redemption.uid),
        "counter": redemption.counter.code,
        "counter_name": redemption.counter.name,
        "clerk": redemption.clerk_name or redemption.clerk.get_full_name() or redemption.clerk.username,
        "handed_at": redemption.handed_at,
        "quantity": redemption.quantity,
        "quantity_text": _amount(program, redemption.quantity),
    }


def _redemption(redemption: Redemption) -> dict:
    program = redemption.cycle.program
    other = redemption.conflict_with
    return _ref(redemption) | {
        "voucher": str(redemption.voucher.serial),
        "cycle": redemption.cycle_id,
        "household_number": redemption.household.number,
        "unit": redemption.unit.code,
        "measure": program.measure,
        "recorded_at": redemption.recorded_at,
        "offline": redemption.offline,
        "status": redemption.status,
        "excess": redemption.excess,
        "excess_text": _amount(program, redemption.excess),
        "conflict_with": _ref(other) if other is not None else None,
        "resolution": redemption.resolution,
        "resolved_at": redemption.resolved_at,
        "resolved_by": redemption.resolved_by.username if redemption.resolved_by_id else None,
    }


class CheckOut(Schema):
    ok: bool = Field(description="Whether the voucher can be redeemed here now.")
    reason: str = Field(
        description="valid, or why not: used_up, revoked, cycle_closed, other_cycle, bad_signature, malformed, "
        "key_not_valid_for_unit, unknown_voucher, not_a_voucher, …"
    )
    message: str
    voucher: str | None = Field(description="The voucher's serial, when it could be read.")
    cycle: int | None
    program: str | None
    household_number: str | None
    unit: str | None
    members_counted: int | None
    measure: str | None = Field(description="g (grams of grain) or kpw (won).")
    quantity: int = Field(description="What the voucher entitles, in the measure.")
    quantity_text: str
    redeemed: int
    left: int
    left_text: str
    valid_until: datetime | None
    previous: list[RedemptionRefOut] = Field(description="The hand-outs that stand against it: who, where, when.")


def _check(check: redemptions.VoucherCheck) -> dict:
    entitlement = check.entitlement
    claims = check.claims or {}
    if entitlement is None:
        return {
            "ok": check.ok,
            "reason": check.reason,
            "message": check.message,
            "voucher": claims.get("serial"),
            "cycle": None,
            "program": None,
            "household_number": claims.get("household"),
            "unit": claims.get("unit"),
            "members_counted": None,
            "measure": None,
            "quantity": 0,
            "quantity_text": "",
            "redeemed": 0,
            "left": 0,
            "left_text": "",
            "valid_until": None,
            "previous": [],
        }
    program = entitlement.cycle.program
    return {
        "ok": check.ok,
        "reason": check.reason,
        "message": check.message,
        "voucher": str(check.voucher.serial),
        "cycle": entitlement.cycle_id,
        "program": program.name,
        "household_number": entitlement.household.number,
        "unit": check.voucher.unit.code,
        "members_counted": entitlement.members_counted,
        "measure": program.measure,
        "quantity": entitlement.quantity,
        "quantity_text": _amount(program, entitlement.quantity),
        "redeemed": entitlement.redeemed,
        "left": entitlement.left,
        "left_text": _amount(program, entitlement.left),
        "valid_until": check.voucher.expires_at,
        "previous": [_ref(redemption) for redemption in check.previous],
    }


class RefusedOut(Schema):
    id: str
    reason: str = Field(description="Why it was not counted: bad_signature, revoked, cycle_closed, not_served_here, …")
    message: str


class BatchOut(Schema):
    recorded: list[RedemptionOut] = Field(description="Written by this upload (standing or in conflict).")
    already_recorded: list[str] = Field(description="Ids an earlier upload recorded: nothing written again.")
    conflicts: list[RedemptionOut] = Field(
        description="Redemptions beyond what was left, with the one that stood (both counters and times)."
    )
    refused: list[RefusedOut] = Field(description="Redemptions of vouchers that do not verify: not counted.")


class VoucherOut(Schema):
    serial: str
    cycle: int
    household: int
    household_number: str
    unit: str
    members_counted: int
    measure: str = Field(description="g (grams of grain) or kpw (won).")
    quantity: int
    quantity_text: str
    redeemed: int
    left: int
    status: str = Field(description="unredeemed, partial, redeemed, revoked or expired (its cycle closed).")
    valid_until: datetime | None


class VoucherDetailOut(VoucherOut):
    program: str
    period_start: date
    period_end: date
    text: str = Field(description="The signed voucher text its QR code carries (INBV1:…).")
    revoked_at: datetime | None
    revoked_reason: str
    redemptions: list[RedemptionRefOut]
    page_url: str


def _voucher(entitlement: Entitlement) -> dict:
    program, voucher = entitlement.cycle.program, entitlement.voucher
    return {
        "serial": str(voucher.serial),
        "cycle": entitlement.cycle_id,
        "household": entitlement.household_id,
        "household_number": entitlement.household.number,
        "unit": entitlement.unit.code,
        "members_counted": entitlement.members_counted,
        "measure": program.measure,
        "quantity": entitlement.quantity,
        "quantity_text": _amount(program, entitlement.quantity),
        "redeemed": entitlement.redeemed,
        "left": entitlement.left,
        "status": selectors.voucher_status(entitlement),
        "valid_until": voucher.expires_at,
    }


# Input ------------------------------------------------------------------------------------------------------------

_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
RedemptionId = Annotated[
    str, Strict(), StringConstraints(pattern=_UUID.pattern), Field(description="A UUID the counter gave it.")
]
Quantity = Annotated[int, Strict(), Field(ge=1, le=MAX_QUANTITY, description="Grams of grain or won.")]
VoucherText = Annotated[
    text(4000), Field(description="The voucher text, as read from its QR code or typed (INBV1:… or INBV1Z:…).")
]


def _aware_datetime(value):
    if not isinstance(value, str):
        raise PydanticCustomError("datetime_type", "A date and time is written YYYY-MM-DDTHH:MM:SS+HH:MM.")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("datetime_format", "A date and time is written YYYY-MM-DDTHH:MM:SS+HH:MM.") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise PydanticCustomError("datetime_naive", "A date and time with its time zone is required.")
    return value


AwareDateTime = Annotated[
    str,
    BeforeValidator(_aware_datetime),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


class CounterIn(Input):
    office: text(64) | None = Field(None, description="Code of the office; default the nearest of yours.")
    area: AreaCode = Field(description="The area whose households it serves.")
    code: text(32) = Field(description="A short code: letters, digits, '-' and '_'.")
    name_ko: text(128, min_length=0) = ""
    name_en: text(128, min_length=0) = ""
    address: text(200, min_length=0) = ""
    opening_hours: text(200, min_length=0) = ""


class ClerkIn(Input):
    user: text(150) = Field(description="Username of the account that works at the counter.")
    since: EffectiveDate | None = None


class CheckIn(Input):
    voucher: VoucherText
    cycle: Id | None = Field(None, description="Refuse a voucher of any other cycle than this one.")


class RedemptionIn(Input):
    voucher: VoucherText
    quantity: Quantity | None = Field(None, description="Grams or won to hand out; default all that is left.")
    cycle: Id | None = Field(None, description="Refuse a voucher of any other cycle than this one.")


class UploadItemIn(Input):
    id: RedemptionId
    voucher: VoucherText
    quantity: Quantity
    handed_at: AwareDateTime = Field(description="When it was handed out, by the counter's clock, with time zone.")
    clerk: text(150, min_length=0) = Field("", description="Who handed it out, as the counter recorded it.")


class BatchIn(Input):
    redemptions: list[UploadItemIn] = Field(min_length=1, max_length=redemptions.MAX_UPLOAD)


class VoucherFilter(PageParams):
    unit: AreaCode | None = None
    status: Literal["unredeemed", "partial", "redeemed", "revoked", "expired"] | None = None


class ConflictFilter(PageParams):
    status: Literal["open", "resolved", "all"] = Field("open", description="Open conflicts, resolved ones, or both.")


class ResolveIn(Input):
    note: text(300) = Field(description="What the office decided (the household gave back the goods, …).")


def _cycle_of(counter: Counter, pk: int | None):
    return selectors.counter_cycle(counter=counter, pk=pk) if pk is not None else None


# Counters ---------------------------------------------------------------------------------------------------------


@router.get("/counters", response={200: page_of(CounterOut, "CounterPage"), **READ_ERRORS}, tags=["counters"])
def list_counters(request, page: Query[PageParams]):
    """The counters you work at, or that serve an area you can see."""
    return paginate(selectors.counters_visible(actor=request.user), page)


@router.post("/counters", response={201: CounterOut, **WRITE_ERRORS}, tags=["counters"])
def create_counter(request, payload: CounterIn):
    """Open a distribution point serving an area (officers)."""
    require_any(request.user, MANAGE_AREAS)
    area = area_in_scope(request.user, payload.area, field="area")
    office = duty_selectors.office_in_scope(actor=request.user, code=payload.office, area=area)
    counter = counters.counter_create(
        actor=request.user, office=office, area=area, **payload.model_dump(exclude={"office", "area"})
    )
    return Status(201, counter)


@router.get("/counters/{counter_id}", response={200: CounterOut, **READ_ERRORS}, tags=["counters"])
def get_counter(request, counter_id: int):
    """A counter: the area it serves, its hours and its clerks."""
    return selectors.counter_detail(actor=request.user, pk=counter_id)


@router.post("/counters/{counter_id}/clerks", response={201: ClerkOut, **WRITE_ERRORS}, tags=["counters"])
def assign_clerk(request, counter_id: int, payload: ClerkIn):
    """Make an account a clerk of the counter (officers managing its area): it then redeems vouchers there, and sees
    nothing of the registry."""
    counter = selectors.counter_detail(actor=request.user, pk=counter_id)
    if not can(request.user, MANAGE_AREAS, counter.area):
        raise NotPermitted(f"not managing counter {counter.pk}")
    user = User.objects.filter(username=payload.user, is_active=True).first()
    if user is None:
        raise DomainError("user", f"No active account named {payload.user!r}.")
    post = counters.counter_clerk_assign(actor=request.user, user=user, counter=counter, since=payload.since)
    assignment = post.assignment
    return Status(
        201, {"user": user.username, "counter": counter.pk, "since": assignment.since, "until": assignment.until}
    )


# At the counter ---------------------------------------------------------------------------------------------------


@router.post("/counters/{counter_id}/check", response={200: CheckOut, **WRITE_ERRORS}, tags=["vouchers"])
def check_voucher(request, counter_id: int, payload: CheckIn):
    """What a scan shows the clerk: whether the voucher can be redeemed here, the household's number, the members
    counted, what it entitles and what is left, and who handed out what against it, where and when. Writes nothing;
    a voucher of a household the counter does not serve is a 404."""
    counter = selectors.counter_at_work(actor=request.user, pk=counter_id)
    cycle = _cycle_of(counter, payload.cycle)
    return _check(redemptions.voucher_check(actor=request.user, counter=counter, text=payload.voucher, cycle=cycle))


@router.post("/counters/{counter_id}/redemptions", response={201: RedemptionOut, **WRITE_ERRORS}, tags=["redemptions"])
def redeem(request, counter_id: int, payload: RedemptionIn):
    """Hand out what a voucher entitles: all that is left, or `quantity` of it. Refused (422, `error` naming the
    reason) if the voucher does not verify, is of another or a closed cycle, or has too little left; a used-up
    voucher's refusal names who handed it out, where and when."""
    counter = selectors.counter_at_work(actor=request.user, pk=counter_id)
    cycle = _cycle_of(counter, payload.cycle)
    redemption = redemptions.redemption_record(
        actor=request.user, counter=counter, text=payload.voucher, quantity=payload.quantity, cycle=cycle
    )
    return Status(201, _redemption(selectors.redemptions_loaded([redemption.uid])[redemption.uid]))


@router.post("/counters/{counter_id}/redemptions/batch", response={200: BatchOut, **WRITE_ERRORS}, tags=["redemptions"])
def upload_redemptions(request, counter_id: int, payload: BatchIn):
    """The redemptions an offline counter recorded, each with its own id: a retried upload writes nothing new
    (`already_recorded`). Of a voucher's redemptions the first handed out stand; later ones beyond what was left are
    `conflicts`, listed with the redemption that stood. Vouchers that do not verify are `refused`, not counted."""
    counter = selectors.counter_at_work(actor=request.user, pk=counter_id)
    result = redemptions.redemptions_upload(
        actor=request.user, counter=counter, items=[item.model_dump() for item in payload.redemptions]
    )
    loaded = selectors.redemptions_loaded([r.uid for r in result.recorded] + [r.uid for r in result.conflicts])
    return {
        "recorded": [_redemption(loaded[r.uid]) for r in result.recorded],
        "already_recorded": result.already,
        "conflicts": [_redemption(loaded[r.uid]) for r in result.conflicts],
        "refused": result.refused,
    }


# Vouchers and conflicts, for the office -------------------------------------------------------------------------


@router.get(
    "/cycles/{cycle_id}/vouchers", response={200: page_of(VoucherOut, "VoucherPage"), **READ_ERRORS}, tags=["vouchers"]
)
def list_vouchers(request, cycle_id: int, filters: Query[VoucherFilter]):
    """The cycle's vouchers you may see (a leader: the unit's; a resident: their own), with what was handed out."""
    cycle = cycle_selectors.cycle_detail(actor=request.user, pk=cycle_id)
    unit = area_in_scope(request.user, filters.unit, field="unit") if filters.unit else None
    rows = selectors.vouchers_of(actor=request.user, cycle=cycle, unit=unit, status=filters.status)
    page = paginate(rows, filters)
    return {"items": [_voucher(row) for row in page["items"]], "count": page["count"]}


@router.get("/vouchers/{serial}", response={200: VoucherDetailOut, **READ_ERRORS}, tags=["vouchers"])
def get_voucher(request, serial: str):
    """One voucher with its signed text (for printing or showing at the counter) and its redemptions."""
    entitlement = selectors.voucher_detail(actor=request.user, serial=serial)
    voucher, cycle = entitlement.voucher, entitlement.cycle
    return _voucher(entitlement) | {
        "program": cycle.program.name,
        "period_start": cycle.period_start,
        "period_end": cycle.period_end,
        "text": stamp_encoded(voucher),
        "revoked_at": voucher.revoked_at,
        "revoked_reason": voucher.revoked_reason,
        "redemptions": [_ref(r) for r in selectors.redemptions_of_voucher(entitlement)],
        "page_url": f"/stamps/{voucher.serial}/",
    }


@router.get(
    "/cycles/{cycle_id}/conflicts",
    response={200: page_of(RedemptionOut, "ConflictPage"), **READ_ERRORS},
    tags=["redemptions"],
)
def list_conflicts(request, cycle_id: int, filters: Query[ConflictFilter]):
    """Redemptions beyond what was left on a voucher (recorded offline at two counters), with the one that stood."""
    cycle = cycle_selectors.cycle_detail(actor=request.user, pk=cycle_id)
    resolved = {"open": False, "resolved": True, "all": None}[filters.status]
    page = paginate(selectors.conflicts_of(actor=request.user, cycle=cycle, resolved=resolved), filters)
    return {"items": [_redemption(row) for row in page["items"]], "count": page["count"]}


@router.post(
    "/redemptions/{redemption_id}/resolve", response={200: RedemptionOut, **WRITE_ERRORS}, tags=["redemptions"]
)
def resolve_conflict(request, redemption_id: str, payload: ResolveIn):
    """The office settles a conflict (officers): what it decided. It never counts towards what was handed out."""
    redemption = selectors.redemption_detail(actor=request.user, uid=redemption_id)
    redemptions.redemption_conflict_resolve(actor=request.user, redemption=redemption, note=payload.note)
    return _redemption(selectors.redemption_detail(actor=request.user, uid=redemption.uid))
