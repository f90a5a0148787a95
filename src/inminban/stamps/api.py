"""/api/v1/stamps: list, read and revoke stamps in your scope; verify any stamp; fetch the trust list.

Issuing is not an endpoint of its own: a stamp is issued by the duty it confirms (a fulfilled share, an
acknowledged directive), which calls `services.stamp_issue`."""

import base64
from datetime import date, datetime
from typing import Literal

from ninja import Field, Query, Router, Schema

from inminban.api.pagination import PageParams, page_of, paginate
from inminban.api.schemas import READ_ERRORS, WRITE_ERRORS, Input, QueryBool, errors, text

from . import selectors, services
from .documents import root_public_key, server_verifier, trust_list_document
from .models import Stamp
from .trust import read_trust_list

router = Router(tags=["stamps"])


class StampOut(Schema):
    serial: str
    household: int
    household_number: str
    person: int | None
    duty_kind: str
    duty_ref: str
    duty_title: str
    quantity: str
    measure: str
    period_start: date
    period_end: date
    unit: str
    office: str
    issued_at: datetime
    expires_at: datetime | None
    kid: str
    status_index: int
    encoded: str = Field(description="The signed stamp text the QR code carries.")
    revoked_at: datetime | None
    revoked_reason: str
    page_url: str
    pdf_url: str

    @staticmethod
    def resolve_serial(stamp: Stamp) -> str:
        return str(stamp.serial)

    @staticmethod
    def resolve_household(stamp: Stamp) -> int:
        return stamp.household_id

    @staticmethod
    def resolve_household_number(stamp: Stamp) -> str:
        return stamp.household.number

    @staticmethod
    def resolve_person(stamp: Stamp) -> int | None:
        return stamp.person_id

    @staticmethod
    def resolve_quantity(stamp: Stamp) -> str:
        return stamp.quantity_text

    @staticmethod
    def resolve_unit(stamp: Stamp) -> str:
        return stamp.unit.code

    @staticmethod
    def resolve_office(stamp: Stamp) -> str:
        return stamp.office.code

    @staticmethod
    def resolve_kid(stamp: Stamp) -> str:
        return stamp.signing_key.kid

    @staticmethod
    def resolve_encoded(stamp: Stamp) -> str:
        return services.stamp_encoded(stamp)

    @staticmethod
    def resolve_page_url(stamp: Stamp) -> str:
        return f"/stamps/{stamp.serial}/"

    @staticmethod
    def resolve_pdf_url(stamp: Stamp) -> str:
        return f"/stamps/{stamp.serial}.pdf"


class StampFilters(PageParams):
    household: int | None = Field(None, ge=1, le=2**63 - 1, description="Only this household's stamps.")
    duty_kind: Literal["labour", "levy", "directive"] | None = None
    duty_ref: text(64) | None = None
    revoked: QueryBool | None = Field(None, description="true: only revoked stamps; false: only stamps in force.")


class RevokeIn(Input):
    reason: text(255) = Field(description="Why the stamp no longer holds; shown to whoever checks it.")


class VerifyIn(Input):
    stamp: text(4000) = Field(description="The stamp text, as read from the QR code (INB1:… or INB1Z:…).")


class VerifyOut(Schema):
    ok: bool
    reason: str = Field(description="valid, or why not: bad_prefix, malformed, unknown_key, bad_signature, …")
    message: str
    claims: dict | None
    key: dict | None
    status_version: int | None


class TrustListOut(Schema):
    root_key: str = Field(description="The root public key (raw Ed25519, hex) that verifiers pin.")
    root_kid: str
    document: str = Field(description="The signed trust list (COSE_Sign1), base64.")
    keys: list[dict]


@router.get(
    "/stamps",
    response={200: page_of(StampOut, "StampPage"), **READ_ERRORS},
    summary="List stamps",
    description="Stamps you can see, newest first.",
)
def list_stamps(request, filters: Query[StampFilters]):
    stamps = selectors.stamps_visible(
        actor=request.user,
        duty_kind=filters.duty_kind,
        duty_ref=filters.duty_ref,
        revoked=filters.revoked,
    )
    if filters.household is not None:
        stamps = stamps.filter(household_id=filters.household)
    return paginate(stamps, filters)


@router.get(
    "/stamps/trust-list",
    response={200: TrustListOut, **errors(503)},
    auth=None,
    summary="The trust list",
    description="Public: every office signing key with its validity and the area path of its office, and where "
    "every unit is, signed by the root key: a key is valid only for stamps of units under its office's area. "
    "The same document is at /stamps/trust-list (binary) for offline verifiers.",
)
def get_trust_list(request):
    root = services.root_key_ensure()
    document = trust_list_document()
    keys = [
        {
            "kid": key.kid,
            "public_key": key.public_key.hex(),
            "office": key.office,
            "office_name": key.office_name,
            "area": key.area,
            "valid_from": key.valid_from.isoformat(),
            "valid_until": key.valid_until.isoformat(),
            "kinds": list(key.kinds),
        }
        for key in read_trust_list(document, root_public_key()).keys.values()
    ]
    return TrustListOut(
        root_key=root.public_key, root_kid=root.kid, document=base64.b64encode(document).decode("ascii"), keys=keys
    )


@router.post(
    "/stamps/verify",
    # Public, so never 401 or 403; a write nonetheless, so the Idempotency-Key answers (400, 409, 422) apply.
    response={200: VerifyOut, **errors(400, 409, 413, 422, 503)},
    auth=None,
    summary="Verify a stamp",
    description="Public: the offline checks (signature, the key's validity and office, revocation, expiry) against "
    "the current trust list and status lists. A stamp signed by an office that does not govern its unit fails with "
    "`key_not_valid_for_unit`. A stamp that fails is still a 200, with `ok: false` and the reason.",
)
def verify_stamp(request, payload: VerifyIn):
    return server_verifier().verify(payload.stamp).as_dict()


@router.get("/stamps/{serial}", response={200: StampOut, **READ_ERRORS}, summary="Get a stamp")
def get_stamp(request, serial: str):
    return selectors.stamp_detail(actor=request.user, serial=serial)


@router.post(
    "/stamps/{serial}/revoke",
    response={200: StampOut, **WRITE_ERRORS},
    summary="Revoke a stamp",
    description="Officers and administrators. The stamp's bit is set in its key's status list, whose version grows.",
)
def revoke_stamp(request, serial: str, payload: RevokeIn):
    stamp = selectors.stamp_detail(actor=request.user, serial=serial)
    return services.stamp_revoke(actor=request.user, stamp=stamp, reason=payload.reason)
