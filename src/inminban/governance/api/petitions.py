"""/api/v1/ endpoints: petitions, their signatures and responses, and the city office's grouped view. Thin: scoping in
petition_selectors, rules in petitions.

No retaliation: who signed a petition (and which household opened it) is answered only to officers of the offices
the petition is or was addressed to, to auditors of an area covering it and to administrators. For everyone else
`signers` and `opened_by_household` are null and GET /petitions/{id}/signatures is a 404, as for anything outside
their scope; a unit leader sees the petitions of their unit with counts (in all, and per unit), a resident the total
and whether their own household signed."""

from datetime import datetime
from typing import Literal

from ninja import Field, Query, Router, Schema, Status

from inminban.api.pagination import PageParams, page_of, paginate
from inminban.api.schemas import READ_ERRORS, WRITE_ERRORS, Id, Input, errors
from inminban.api.schemas import text as bounded_text
from inminban.audit.references import local_name
from inminban.common.errors import DomainError

from .. import petition_selectors as selectors
from .. import petitions
from ..models import Petition

router = Router(tags=["petitions"])

Subject = Literal["obligation", "conduct", "general", "recall"]


# Output -----------------------------------------------------------------------------------------------------------


class ResponseOut(Schema):
    outcome: str = Field(description="accepted, partly or rejected.")
    text: str = Field(description="The office's answer and its reasons.")
    office: str = Field(description="Code of the office that answered.")
    office_name: str
    responded_at: datetime


class EscalationOut(Schema):
    from_office: str
    from_office_name: str
    to_office: str
    to_office_name: str
    reason: str = Field(description="threshold (enough units signed) or deadline (not answered in time).")
    at: datetime


class UnitCountOut(Schema):
    unit: str = Field(description="Area code of the unit.")
    unit_name: str
    signatures: int


class SignerOut(Schema):
    household: int
    household_number: str
    unit: str
    signed_by: str = Field(description="The account that signed for the household.")
    signed_at: datetime
    withdrawn_at: datetime | None = Field(
        description="When the household took its signature back; null while it holds."
    )


class PetitionOut(Schema):
    id: int
    subject: str = Field(description="obligation, conduct, general or recall.")
    title: str
    text: str
    campaign: int | None
    levy: int | None
    directive: int | None
    obligation_title: str | None = Field(description="The campaign, levy or directive by name; null when none.")
    official_name: str = Field(description="For a conduct petition: whom it is about; empty otherwise.")
    unit: str = Field(description="Area code of the unit where it was opened.")
    unit_name: str
    office: str = Field(description="Code of the office it is addressed to now.")
    office_name: str
    status: str = Field(description="open, answered or withdrawn.")
    opened_at: datetime
    addressed_at: datetime = Field(description="When it reached its current office.")
    due_at: datetime = Field(description="The office answers by then, or the petition goes to the office above.")
    overdue: bool
    signature_count: int = Field(description="Households whose signature holds.")
    signed_by_me: bool | None = Field(description="A resident: whether their household's signature holds; else null.")
    mine: bool = Field(description="Whether the caller's household opened it.")
    may_sign: bool = Field(description="Whether the caller's household may sign it now.")
    may_respond: bool = Field(description="Whether the caller may answer it now.")
    response: ResponseOut | None
    recall_vote: int | None = Field(description="A recall petition: the recall vote it opened.")
    escalations: list[EscalationOut] | None = Field(description="Where it went and why, oldest first; detail only.")
    units: list[UnitCountOut] | None = Field(
        description="Signatures per unit (counts only); detail only, and null for residents."
    )
    opened_by_household: str | None = Field(
        description="Registration number of the household that opened it: only for those who may see signers."
    )
    signers: list[SignerOut] | None = Field(
        description="Who signed: detail only, and only for officers of an office it is or was addressed to, "
        "auditors and administrators; null for everyone else (unit leaders and residents included)."
    )


class GroupOut(Schema):
    office: str
    office_name: str
    subject: str
    obligation: str | None = Field(description="campaign:ID, levy:ID or directive:ID; null when grouped by subject.")
    obligation_title: str | None
    signatures: int = Field(description="Signatures across the group's petitions.")
    districts: int = Field(description="How many districts the petitions came from.")
    petitions: list[PetitionOut]


# Input ------------------------------------------------------------------------------------------------------------


class PetitionIn(Input):
    subject: Subject = Field(description="obligation, conduct, general or recall (of the unit's leader).")
    title: bounded_text(petitions.TITLE_MAX)
    text: bounded_text(petitions.TEXT_MAX)
    campaign: Id | None = Field(None, description="Subject obligation: the campaign (or give levy or directive).")
    levy: Id | None = Field(None, description="Subject obligation: the levy.")
    directive: Id | None = Field(None, description="Subject obligation: the directive.")
    official_name: bounded_text(petitions.OFFICIAL_MAX, min_length=0) = Field(
        "", description="Subject conduct: the official it is about."
    )


class ResponseIn(Input):
    outcome: Literal["accepted", "partly", "rejected"]
    text: bounded_text(petitions.RESPONSE_MAX) = Field(
        description="The answer and its reasons, as the signers will read it."
    )


class PetitionFilter(PageParams):
    status: Literal["open", "answered", "withdrawn"] | None = None
    subject: Subject | None = None
    scope: Literal["visible", "sign", "mine", "queue"] = Field(
        "visible",
        description="visible: all you may read; sign: open petitions your household may co-sign; mine: those your "
        "household opened or signed; queue: those addressed to your offices, nearest deadline first.",
    )


class SignatureFilter(PageParams):
    pass


# Building the answers ---------------------------------------------------------------------------------------------


def _obligation_title(petition: Petition) -> str | None:
    obligation = petition.campaign or petition.levy or petition.directive
    return obligation.title if obligation is not None else None


def _petition_out(actor, petition: Petition, *, detail: bool = False) -> dict:
    household = petitions.resident_household(actor)
    sees_signers = detail and selectors.may_see_signers(actor, petition)
    signed = getattr(petition, "signed_by_me", None)
    if household is not None and signed is None:
        signed = selectors.own_signature(actor=actor, petition=petition) is not None
    response = selectors.response_of(petition)
    out = {
        "id": petition.pk,
        "subject": petition.subject,
        "title": petition.title,
        "text": petition.text,
        "campaign": petition.campaign_id,
        "levy": petition.levy_id,
        "directive": petition.directive_id,
        "obligation_title": _obligation_title(petition),
        "official_name": petition.official_name,
        "unit": petition.unit.code,
        "unit_name": local_name(petition.unit),
        "office": petition.office.code,
        "office_name": local_name(petition.office),
        "status": petition.status,
        "opened_at": petition.opened_at,
        "addressed_at": petition.addressed_at,
        "due_at": petition.due_at,
        "overdue": selectors.is_overdue(petition),
        "signature_count": petition.signature_count,
        "signed_by_me": signed if household is not None else None,
        "mine": selectors.is_own(actor, petition),
        "may_sign": bool(
            household is not None
            and not signed
            and petition.status == Petition.Status.OPEN
            and petitions.may_sign_in(petition, household)
        ),
        "may_respond": petition.status == Petition.Status.OPEN and petitions.may_respond(actor, petition),
        "response": None,
        "recall_vote": getattr(getattr(petition, "recall_vote", None), "pk", None),
        "escalations": None,
        "units": None,
        "opened_by_household": petition.household.number if sees_signers else None,
        "signers": None,
    }
    if response is not None:
        out["response"] = {
            "outcome": response.outcome,
            "text": response.text,
            "office": response.office.code,
            "office_name": local_name(response.office),
            "responded_at": response.responded_at,
        }
    if detail:
        out["escalations"] = [
            {
                "from_office": e.from_office.code,
                "from_office_name": local_name(e.from_office),
                "to_office": e.to_office.code,
                "to_office_name": local_name(e.to_office),
                "reason": e.reason,
                "at": e.at,
            }
            for e in selectors.escalations_of(petition)
        ]
        if selectors.may_see_unit_counts(actor):
            out["units"] = [
                {"unit": unit.code, "unit_name": local_name(unit), "signatures": count}
                for unit, count in selectors.unit_counts(petition)
            ]
    if sees_signers:
        out["signers"] = [_signer_out(s) for s in selectors.petition_signatures(actor=actor, petition=petition)]
    return out


def _signer_out(signature) -> dict:
    return {
        "household": signature.household_id,
        "household_number": signature.household.number,
        "unit": signature.unit.code,
        "signed_by": signature.signed_by.username,
        "signed_at": signature.signed_at,
        "withdrawn_at": signature.withdrawn_at,
    }


def _detail(actor, petition_id: int) -> dict:
    petition = selectors.petition_detail(actor=actor, pk=petition_id)
    return _petition_out(actor, petition, detail=True)


def _obligation(actor, payload: PetitionIn) -> dict:
    from inminban.duties import selectors as duties

    found = {}
    for name, visible in (
        ("campaign", duties.campaigns_visible),
        ("levy", duties.levies_visible),
        ("directive", duties.directives_visible),
    ):
        pk = getattr(payload, name)
        if pk is not None:
            # The duties selectors address obligations upwards too (a resident sees their district's levies), which
            # `restrict` alone would not: looked up in the selector's own rows.
            found[name] = visible(actor=actor).filter(pk=pk).first()
            if found[name] is None:
                raise DomainError(name, f"No {name} {pk} that you can see.")
    return found


# Endpoints --------------------------------------------------------------------------------------------------------


@router.get("/petitions", response={200: page_of(PetitionOut, "PetitionPage"), **READ_ERRORS})
def list_petitions(request, filters: Query[PetitionFilter]):
    """Petitions you may read, newest first (scope=queue: nearest deadline first). Never who signed: see the
    detail and /signatures, for those allowed."""
    actor = request.user
    if filters.scope == "sign":
        rows = selectors.petitions_to_sign(actor=actor)
    elif filters.scope == "mine":
        rows = selectors.own_petitions(actor=actor)
    elif filters.scope == "queue":
        rows = selectors.petition_queue(actor=actor, status=None)
    else:
        rows = selectors.with_own_signature(selectors.petitions_visible(actor=actor), actor)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.subject:
        rows = rows.filter(subject=filters.subject)
    page = paginate(rows, filters)
    page["items"] = [_petition_out(actor, petition) for petition in page["items"]]
    return page


@router.post("/petitions", response={201: PetitionOut, **WRITE_ERRORS})
def open_petition(request, payload: PetitionIn):
    """Open a petition (a resident, for their household), addressed to the office of the district; the household
    signs it at once. Subject obligation names one campaign, levy or directive of your area; conduct names the
    official; recall asks for a vote on the unit's leader."""
    actor = request.user
    petition = petitions.petition_open(
        actor=actor,
        subject=payload.subject,
        title=payload.title,
        text=payload.text,
        official_name=payload.official_name,
        **_obligation(actor, payload),
    )
    return Status(201, _detail(actor, petition.pk))


@router.get("/petitions/{petition_id}", response={200: PetitionOut, **READ_ERRORS})
def get_petition(request, petition_id: int):
    """A petition: where it is, its deadline, its counts, the response, where it went. `signers` and
    `opened_by_household` are filled only for officers of an office it is or was addressed to, auditors and
    administrators."""
    return _detail(request.user, petition_id)


@router.post("/petitions/{petition_id}/signatures", response={201: PetitionOut, **WRITE_ERRORS})
def sign_petition(request, petition_id: int):
    """Co-sign for your household (residents of the addressed area; a recall petition: of its unit). A second
    signature of the same household, or one on a closed petition, is a 422 naming `petition`."""
    actor = request.user
    petition = selectors.petition_detail(actor=actor, pk=petition_id)
    petitions.petition_sign(actor=actor, petition=petition)
    return Status(201, _detail(actor, petition_id))


@router.delete("/petitions/{petition_id}/signatures", response={200: PetitionOut, **WRITE_ERRORS})
def withdraw_signature(request, petition_id: int):
    """Take your household's signature back, while the petition is open."""
    actor = request.user
    petition = selectors.petition_detail(actor=actor, pk=petition_id)
    petitions.signature_withdraw(actor=actor, petition=petition)
    return _detail(actor, petition_id)


@router.get("/petitions/{petition_id}/signatures", response={200: page_of(SignerOut, "SignerPage"), **READ_ERRORS})
def list_signatures(request, petition_id: int, filters: Query[SignatureFilter]):
    """Who signed, oldest first, withdrawn signatures marked: officers of an office the petition is or was addressed
    to, auditors and administrators. Anyone else (a unit leader, a resident) gets a 404, as for anything outside
    their scope."""
    actor = request.user
    petition = selectors.petition_detail(actor=actor, pk=petition_id)
    rows = selectors.petition_signatures(actor=actor, petition=petition).select_related("signed_by")
    page = paginate(rows, filters)
    page["items"] = [_signer_out(signature) for signature in page["items"]]
    return page


@router.post("/petitions/{petition_id}/response", response={201: PetitionOut, **WRITE_ERRORS})
def respond(request, petition_id: int, payload: ResponseIn):
    """Answer an open petition (officers of the office it is or was addressed to, or of an office above): the
    answer is published to every household that signed."""
    actor = request.user
    petition = selectors.petition_detail(actor=actor, pk=petition_id)
    petitions.petition_respond(actor=actor, petition=petition, outcome=payload.outcome, text=payload.text)
    return Status(201, _detail(actor, petition_id))


@router.get("/petition-groups", response={200: list[GroupOut], **READ_ERRORS, **errors(403)})
def petition_groups(request, status: Literal["open", "answered", "withdrawn"] | None = "open"):
    """For a city office: the petitions that came up to it from its districts, grouped by the campaign, levy or
    directive they are about (or else by subject), with their signatures across districts, most first. Officers,
    auditors and administrators; anyone else a 403."""
    actor = request.user
    groups = selectors.petition_groups(actor=actor, status=status)
    return [
        {
            "office": group.office.code,
            "office_name": local_name(group.office),
            "subject": group.subject,
            "obligation": group.key if group.obligation is not None else None,
            "obligation_title": group.obligation.title if group.obligation is not None else None,
            "signatures": group.signatures,
            "districts": group.districts,
            "petitions": [_petition_out(actor, petition) for petition in group.petitions],
        }
        for group in groups
    ]
