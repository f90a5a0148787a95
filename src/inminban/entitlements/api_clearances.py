"""/api/v1/ endpoints for clearances (school enrolment, enlistment) and appeals against denials. Thin: scoping in
the selectors of clearances.py and appeals.py, rules in their services."""

import base64
import binascii
from datetime import date, datetime
from typing import Literal

from django.core.files.base import ContentFile
from ninja import Field, Query, Router, Schema, Status

from inminban.api.pagination import PageParams, page_of, paginate
from inminban.api.schemas import (
    READ_ERRORS,
    WRITE_ERRORS,
    AreaCode,
    Id,
    Input,
    IsoDate,
    QueryBool,
    StrictBool,
    object_in_scope,
    text,
)
from inminban.areas.access import ENLISTMENT_CLEARANCE, MANAGE_AREAS, SCHOOL_CLEARANCE, require_any, scope_for
from inminban.areas.selectors import areas_visible
from inminban.common.errors import DomainError, NotPermitted, NotVisible
from inminban.registry import selectors as registry_selectors

from . import appeals, clearances, selectors
from .models import Appeal, Clearance, Entitlement

router = Router(tags=["clearances"])
APPEALS = ["appeals"]


# Output -----------------------------------------------------------------------------------------------------------


class ClearanceConditionOut(Schema):
    condition: str
    met: bool


class ClearanceOut(Schema):
    id: int
    program: int
    program_name: str
    kind: str = Field(description="school_clearance or enlistment_clearance.")
    person: int
    person_name: str
    household: int
    household_number: str
    unit: str
    on: date = Field(description="The day the rule was checked for.")
    granted: bool
    conditions: list[ClearanceConditionOut] = Field(description="Each condition of the rule, met or what is missing.")
    missing: list[str] = Field(description="What the household lacks, when denied.")
    stamp: str | None = Field(description="Serial of the signed clearance stamp, when granted.")
    stamp_text: str | None = Field(description="The signed clearance text (its QR code), verifiable offline.")
    requested_at: datetime
    appeal: int | None = Field(description="The upheld appeal that granted it after a denial.")


def _clearance_out(clearance: Clearance) -> dict:
    from inminban.stamps.services import stamp_encoded

    program = clearance.program
    return {
        "id": clearance.pk,
        "program": program.pk,
        "program_name": program.name,
        "kind": program.kind,
        "person": clearance.person_id,
        "person_name": clearance.person.full_name,
        "household": clearance.household_id,
        "household_number": clearance.household.number,
        "unit": clearance.unit.code,
        "on": clearance.on,
        "granted": clearance.granted,
        "conditions": [{"condition": row["text"], "met": row["met"]} for row in clearances.condition_rows(clearance)],
        "missing": clearances.missing_texts(clearance),
        "stamp": str(clearance.stamp.serial) if clearance.stamp_id else None,
        "stamp_text": stamp_encoded(clearance.stamp) if clearance.stamp_id else None,
        "requested_at": clearance.requested_at,
        "appeal": clearance.appeal_id,
    }


class RiskPersonOut(Schema):
    id: int
    name: str
    birth_date: date


class RiskOut(Schema):
    household: int
    household_number: str
    persons: list[RiskPersonOut] = Field(description="Members of the clearance's age on the day.")
    missing: list[str] = Field(description="What the household lacks for the clearance on the day.")


class AppealOut(Schema):
    id: int
    program: int = Field(alias="program_id")
    program_name: str
    household: int = Field(alias="household_id")
    household_number: str = Field(alias="household.number")
    unit: str = Field(alias="unit.code")
    entitlement: int | None = Field(alias="entitlement_id", description="The denied entitlement appealed against.")
    clearance: int | None = Field(alias="clearance_id", description="The refused clearance appealed against.")
    reason: str
    attachment_name: str = Field(description="Name of the document sent with it; empty when none.")
    filed_by: str
    filed_at: datetime
    due_on: date = Field(description="The office decides by this day.")
    overdue: bool
    status: str = Field(description="open, upheld or rejected.")
    decided_by: str | None
    decided_at: datetime | None
    decision: str
    quantity: int | None = Field(description="Upheld against a cycle's denial: what the household is now owed.")
    voucher: str | None = Field(description="Upheld against a cycle's denial: the voucher issued for it.")
    stamp: str | None = Field(description="Upheld against a clearance's denial: the clearance stamp issued.")

    @staticmethod
    def resolve_program_name(appeal: Appeal) -> str:
        return appeal.program.name

    @staticmethod
    def resolve_filed_by(appeal: Appeal) -> str:
        return appeal.filed_by.username

    @staticmethod
    def resolve_decided_by(appeal: Appeal) -> str | None:
        return appeal.decided_by.username if appeal.decided_by_id else None

    @staticmethod
    def resolve_overdue(appeal: Appeal) -> bool:
        return appeals.is_overdue(appeal)

    @staticmethod
    def resolve_quantity(appeal: Appeal) -> int | None:
        if appeal.status != Appeal.Status.UPHELD or not appeal.entitlement_id:
            return None
        return appeal.entitlement.quantity

    @staticmethod
    def resolve_voucher(appeal: Appeal) -> str | None:
        if appeal.status != Appeal.Status.UPHELD or not appeal.entitlement_id or not appeal.entitlement.voucher_id:
            return None
        return str(appeal.entitlement.voucher.serial)

    @staticmethod
    def resolve_stamp(appeal: Appeal) -> str | None:
        if appeal.status != Appeal.Status.UPHELD or not appeal.clearance_id or not appeal.clearance.stamp_id:
            return None
        return str(appeal.clearance.stamp.serial)


# Input ------------------------------------------------------------------------------------------------------------


class ClearanceIn(Input):
    program: Id = Field(description="The clearance program (school enrolment or enlistment).")
    person: Id | None = Field(None, description="The person's registry number; or give national_id.")
    national_id: text(32) | None = Field(None, description="The person's national id; or give person.")
    on: IsoDate = Field(description="The day of the enrolment or enlistment.")


class RiskFilter(Schema):
    program: int = Field(ge=1, le=2**63 - 1, description="The clearance program.")
    before: IsoDate = Field(description="The enrolment or enlistment day to look ahead to.")


class AppealIn(Input):
    entitlement: Id | None = Field(None, description="A denied entitlement of a cycle; or give clearance.")
    clearance: Id | None = Field(None, description="A refused clearance; or give entitlement.")
    reason: text(2000) = Field(description="Why the household asks the office to look again.")
    attachment: text(400_000) | None = Field(None, description="A PDF, JPEG or PNG document, base64, at most 2 MB.")
    attachment_name: text(150) | None = Field(None, description="The document's file name.")


class DecisionIn(Input):
    upheld: StrictBool = Field(description="true: grant what was denied; false: keep the denial.")
    decision: text(2000) = Field(description="The office's reason, shown to the household.")


class AppealFilter(PageParams):
    status: Literal["open", "upheld", "rejected"] | None = None
    queue: QueryBool = Field(False, description="Only the appeals your office decides, nearest deadline first.")


# Clearances -------------------------------------------------------------------------------------------------------


def _require_asker(actor) -> None:
    scope = scope_for(actor)
    if not (scope.is_admin or any(scope.prefixes(a) for a in (SCHOOL_CLEARANCE, ENLISTMENT_CLEARANCE, MANAGE_AREAS))):
        raise NotPermitted("not allowed to ask for clearances")


@router.post("/clearances", response={201: ClearanceOut, **WRITE_ERRORS})
def request_clearance(request, payload: ClearanceIn):
    """Ask for a person's clearance on a day (school clerks, recruitment offices, the program's officers): granted
    with a signed clearance stamp, or denied with what is missing. A person outside your area is a 404."""
    actor = request.user
    _require_asker(actor)
    if (payload.person is None) == (payload.national_id is None):
        raise DomainError("person", "Give the person's registry number or national id (one of the two).")
    try:
        person = clearances.clearance_person(actor=actor, person_id=payload.person, national_id=payload.national_id)
    except NotVisible:
        field = "person" if payload.person is not None else "national_id"
        message = "No such person in your area."
        return Status(404, {"error": "not_found", "detail": message, "fields": {field: [message]}})
    try:
        program = clearances.clearance_program(actor=actor, pk=payload.program)
    except NotVisible:
        raise DomainError("program", f"No clearance program {payload.program} that you can see.") from None
    clearance = clearances.clearance_request(actor=actor, program=program, person=person, on=payload.on)
    return Status(201, _clearance_out(clearance))


@router.get("/clearances/{clearance_id}", response={200: ClearanceOut, **READ_ERRORS})
def get_clearance(request, clearance_id: int):
    """A clearance: granted with its stamp, or denied with what is missing."""
    return _clearance_out(clearances.clearance_detail(actor=request.user, pk=clearance_id))


@router.get("/households/{household_id}/clearances", response={200: list[ClearanceOut], **READ_ERRORS})
def household_clearances(request, household_id: int):
    """The clearances asked for the household's members, newest first."""
    household = registry_selectors.household_detail(actor=request.user, household_id=household_id)
    return [_clearance_out(c) for c in clearances.household_clearances(actor=request.user, household=household)]


@router.get("/units/{code}/clearance-risks", response={200: list[RiskOut], **READ_ERRORS})
def clearance_risks(request, code: AreaCode, filters: Query[RiskFilter]):
    """The unit leader's look-ahead: households with a member of the clearance's age on `before` whose clearance
    would be denied that day, and what they miss."""
    unit = areas_visible(actor=request.user).filter(code=code, level__is_unit=True).first()
    if unit is None:
        raise NotVisible(f"unit {code} not found")
    try:
        program = selectors.program_detail(actor=request.user, pk=filters.program)
    except NotVisible:
        raise DomainError("program", f"No program {filters.program} that you can see.") from None
    risks = clearances.clearance_risks(actor=request.user, program=program, unit=unit, before=filters.before)
    return [
        {
            "household": risk.household.pk,
            "household_number": risk.household.number,
            "persons": [{"id": p.pk, "name": p.full_name, "birth_date": p.birth_date} for p in risk.persons],
            "missing": risk.missing,
        }
        for risk in risks
    ]


# Appeals ----------------------------------------------------------------------------------------------------------


def _document(payload: AppealIn) -> ContentFile | None:
    if payload.attachment is None:
        if payload.attachment_name is not None:
            raise DomainError("attachment", "A file name was given without the file.")
        return None
    try:
        content = base64.b64decode(payload.attachment, validate=True)
    except (binascii.Error, ValueError):
        raise DomainError("attachment", "The document is not valid base64.") from None
    return ContentFile(content, name=payload.attachment_name or "document")


@router.post("/appeals", response={201: AppealOut, **WRITE_ERRORS}, tags=APPEALS)
def file_appeal(request, payload: AppealIn):
    """Appeal a denial (the household's resident, or its unit leader on its behalf): a cycle's denied entitlement
    or a refused clearance, with a reason and optionally a document."""
    actor = request.user
    if (payload.entitlement is None) == (payload.clearance is None):
        raise DomainError("entitlement", "Name the denial to appeal: an entitlement or a clearance (one of the two).")
    entitlement = clearance = None
    if payload.entitlement is not None:
        entitlement = object_in_scope(actor, Entitlement.objects.all(), payload.entitlement, field="entitlement")
    else:
        clearance = object_in_scope(actor, Clearance.objects.all(), payload.clearance, field="clearance")
    appeal = appeals.appeal_file(
        actor=actor, entitlement=entitlement, clearance=clearance, reason=payload.reason, attachment=_document(payload)
    )
    return Status(201, appeals.appeal_detail(actor=actor, pk=appeal.pk))


@router.get("/appeals", response={200: page_of(AppealOut, "AppealPage"), **READ_ERRORS}, tags=APPEALS)
def list_appeals(request, filters: Query[AppealFilter]):
    """Appeals you may see (a resident: their household's; a leader: the unit's); with queue=true, those your office
    decides, nearest deadline first."""
    if filters.queue:
        rows = appeals.appeal_queue(actor=request.user, status=filters.status)
    else:
        rows = appeals.appeals_visible(actor=request.user)
        if filters.status:
            rows = rows.filter(status=filters.status)
        rows = rows.order_by("status", "due_on", "id")
    return paginate(rows, filters)


@router.get("/appeals/{appeal_id}", response={200: AppealOut, **READ_ERRORS}, tags=APPEALS)
def get_appeal(request, appeal_id: int):
    """An appeal, its deadline, and the office's decision once made."""
    return appeals.appeal_detail(actor=request.user, pk=appeal_id)


@router.get("/households/{household_id}/appeals", response={200: list[AppealOut], **READ_ERRORS}, tags=APPEALS)
def household_appeals(request, household_id: int):
    """The household's appeals and their decisions, newest first."""
    household = registry_selectors.household_detail(actor=request.user, household_id=household_id)
    return list(appeals.household_appeals(actor=request.user, household=household)[:100])


@router.post("/appeals/{appeal_id}/decide", response={200: AppealOut, **WRITE_ERRORS}, tags=APPEALS)
def decide_appeal(request, appeal_id: int, payload: DecisionIn):
    """Decide an open appeal (officers of the program's office): upheld grants what was denied with the decision as
    its reason; rejected keeps the denial and says why."""
    appeal = appeals.appeal_detail(actor=request.user, pk=appeal_id)
    require_any(request.user, MANAGE_AREAS)
    appeals.appeal_decide(actor=request.user, appeal=appeal, upheld=payload.upheld, decision=payload.decision)
    return appeals.appeal_detail(actor=request.user, pk=appeal_id)
