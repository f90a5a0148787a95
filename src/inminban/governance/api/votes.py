"""/api/v1/ endpoints: nominations, consent votes, ballots, paper tallies, appointments and an office's governance
rules. Thin: scoping in vote_selectors, rules in votes.

A vote's counts are published when it closes; while it is open only the number of households (or adults) that took
part is shown. No endpoint returns a household's choice: it is not stored."""

from datetime import date, datetime
from typing import Annotated, Literal

from django.utils import timezone
from django.utils.translation import gettext_noop
from ninja import Field, Query, Router, Schema, Status
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from inminban.api.pagination import PageParams, page_of, paginate
from inminban.api.schemas import READ_ERRORS, WRITE_ERRORS, AreaCode, Id, Input, area_in_scope, object_in_scope, text
from inminban.areas.access import MANAGE_AREAS, require_any
from inminban.common.errors import DomainError
from inminban.registry.models import Household, Person

from .. import vote_selectors as selectors
from .. import votes
from ..models import Appointment, ConsentVote, Nomination, PaperTally
from ..rules import RULE_FIELDS

router = Router(tags=["votes"])
NOMINATIONS = ["nominations"]
RULES = ["governance-rules"]


def _aware_datetime(value):
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError("datetime_format", "A time is written YYYY-MM-DDTHH:MM:SS+09:00.") from None
    else:
        raise PydanticCustomError("datetime_format", "A time is written YYYY-MM-DDTHH:MM:SS+09:00.")
    if timezone.is_naive(parsed):
        raise PydanticCustomError("datetime_zone", "Give the time with its time zone (+09:00 or Z).")
    if not (1900 <= parsed.year <= 9998):
        raise PydanticCustomError("datetime_range", "The year is out of range.")
    return parsed


AwareDateTime = Annotated[
    datetime,
    BeforeValidator(_aware_datetime),
    Field(description="YYYY-MM-DDTHH:MM:SS with a time zone (+09:00 or Z)."),
]


# Output -----------------------------------------------------------------------------------------------------------


class CountsOut(Schema):
    yes: int
    no: int
    abstain: int
    total: int


class ResultOut(Schema):
    closed_at: datetime
    ballots: int = Field(description="Every ballot cast, online and on paper, abstentions included.")
    online: CountsOut
    paper: CountsOut = Field(description="From the signed tally sheets of unit meetings.")
    total: CountsOut
    turnout_percent: float = Field(description="Ballots as a share of the electorate counted when the vote opened.")
    yes_percent: float = Field(description="Yes as a share of the ballots cast.")
    quorum_met: bool = Field(description="Turnout reached quorum_percent.")
    approval_met: bool = Field(description="Yes was more than approval_percent of the ballots cast.")
    passed: bool


class PaperTallyOut(Schema):
    id: int
    sheet_number: str
    yes: int
    no: int
    abstain: int
    counted: int = Field(description="How many households (or adults) the sheet counted.")
    entered_by: str
    entered_at: datetime


class VoteOut(Schema):
    id: int
    kind: str = Field(description="consent (on a nominee) or recall (of the sitting leader).")
    unit: str
    unit_name: str
    office: str
    nomination: int | None
    nominee: int | None = Field(description="The nominee's person id, for a consent vote.")
    nominee_name: str | None
    leader_name: str | None = Field(description="The leader a recall vote is about.")
    opens_at: datetime
    closes_at: datetime
    status: str = Field(description="open, closed or withdrawn.")
    accepting_ballots: bool = Field(description="The window is open now.")
    electorate: str = Field(description="household (one vote per household) or adult (one per adult resident).")
    adult_age: int
    electorate_size: int = Field(description="Households (or adults) entitled to vote, counted when it opened.")
    quorum_percent: float
    approval_percent: float
    participated: int = Field(description="How many have voted so far, online and on paper.")
    turnout_percent: float
    my_household_voted: bool | None = Field(
        description="Whether your household (or you, when adults vote) has voted; null when you are not a voter here."
    )
    may_vote: bool = Field(description="Whether you can cast a ballot now.")
    paper_tallies: list[PaperTallyOut]
    result: ResultOut | None = Field(description="Published when the vote closes; null before.")


class NominationOut(Schema):
    id: int
    unit: str
    unit_name: str
    office: str
    nominee: int
    nominee_name: str
    statement: str
    status: str = Field(description="voting, approved, rejected or withdrawn.")
    nominated_by: str
    nominated_at: datetime
    vote: int | None


class AppointmentOut(Schema):
    id: int
    unit: str
    unit_name: str
    person: int
    person_name: str
    nomination: int
    starts_on: date
    ends_on: date = Field(description="Exclusive end of the term.")
    recalled_on: date | None


class BallotOut(Schema):
    vote: int
    voted: bool = Field(description="Always true: your household's ballot was counted. What was chosen is not kept.")


class RulesOut(Schema):
    office: str
    inherited_from: str | None = Field(description="The office whose rules these are; null for the defaults.")
    electorate: str
    adult_age: int
    quorum_percent: float
    approval_percent: float
    window_days: int
    term_months: int
    renomination_wait_days: int
    recall_signature_percent: float
    escalation_percent: float
    response_days: int


def _counts(counts) -> dict:
    return {"yes": counts.yes, "no": counts.no, "abstain": counts.abstain, "total": counts.total}


def _tally_out(tally: PaperTally) -> dict:
    return {
        "id": tally.pk,
        "sheet_number": tally.sheet_number,
        "yes": tally.yes,
        "no": tally.no,
        "abstain": tally.abstain,
        "counted": tally.yes + tally.no + tally.abstain,
        "entered_by": tally.entered_by.username,
        "entered_at": tally.entered_at,
    }


def _vote_out(actor, vote: ConsentVote) -> dict:
    result = selectors.vote_result(vote)
    participated = selectors.participation_count(vote)
    nomination = vote.nomination
    leader = vote.leader_assignment
    return {
        "id": vote.pk,
        "kind": vote.kind,
        "unit": vote.unit.code,
        "unit_name": vote.unit.name_ko or vote.unit.name_en,
        "office": vote.office.code,
        "nomination": vote.nomination_id,
        "nominee": nomination.nominee_id if nomination else None,
        "nominee_name": nomination.nominee.full_name if nomination else None,
        "leader_name": (leader.person.full_name if leader.person_id else leader.user.username) if leader else None,
        "opens_at": vote.opens_at,
        "closes_at": vote.closes_at,
        "status": vote.status,
        "accepting_ballots": selectors.is_open(vote),
        "electorate": vote.electorate,
        "adult_age": vote.adult_age,
        "electorate_size": vote.electorate_size,
        "quorum_percent": float(vote.quorum_percent),
        "approval_percent": float(vote.approval_percent),
        "participated": participated,
        "turnout_percent": float(selectors.percent(participated, vote.electorate_size)),
        "my_household_voted": selectors.household_has_voted(actor=actor, vote=vote),
        "may_vote": selectors.may_vote(actor=actor, vote=vote),
        "paper_tallies": [_tally_out(t) for t in selectors.paper_tallies(actor=actor, vote=vote)],
        "result": (
            {
                "closed_at": result.closed_at,
                "ballots": result.ballots,
                "online": _counts(result.online),
                "paper": _counts(result.paper),
                "total": _counts(result.total),
                "turnout_percent": float(result.turnout_percent),
                "yes_percent": float(result.yes_percent),
                "quorum_met": result.quorum_met,
                "approval_met": result.approval_met,
                "passed": result.passed,
            }
            if result
            else None
        ),
    }


def _nomination_out(nomination: Nomination) -> dict:
    vote = getattr(nomination, "vote", None)
    return {
        "id": nomination.pk,
        "unit": nomination.unit.code,
        "unit_name": nomination.unit.name_ko or nomination.unit.name_en,
        "office": nomination.office.code,
        "nominee": nomination.nominee_id,
        "nominee_name": nomination.nominee.full_name,
        "statement": nomination.statement,
        "status": nomination.status,
        "nominated_by": nomination.nominated_by.username,
        "nominated_at": nomination.nominated_at,
        "vote": vote.pk if vote else None,
    }


def _appointment_out(appointment: Appointment) -> dict:
    return {
        "id": appointment.pk,
        "unit": appointment.unit.code,
        "unit_name": appointment.unit.name_ko or appointment.unit.name_en,
        "person": appointment.person_id,
        "person_name": appointment.person.full_name,
        "nomination": appointment.nomination_id,
        "starts_on": appointment.starts_on,
        "ends_on": appointment.ends_on,
        "recalled_on": appointment.recalled_on,
    }


def _rules_out(office, rules) -> dict:
    values = {name: getattr(rules, name) for name in RULE_FIELDS}
    for name in ("quorum_percent", "approval_percent", "recall_signature_percent", "escalation_percent"):
        values[name] = float(values[name])
    return {"office": office.code, "inherited_from": rules.office.code if rules.office else None, **values}


# Input ------------------------------------------------------------------------------------------------------------

Percent = Annotated[float, Field(description="A percentage from 0 to 100, at most two decimals.")]


class NominationIn(Input):
    unit: AreaCode = Field(description="The unit's code.")
    nominee: Id = Field(description="The nominee's person id: a resident of the unit.")
    statement: text(2000, min_length=0) = Field(description="Why this person: shown to the unit's residents.")
    opens_at: AwareDateTime | None = Field(None, description="When voting opens (default now).")
    closes_at: AwareDateTime | None = Field(None, description="When voting closes (default the office's window).")


class BallotIn(Input):
    choice: Literal["yes", "no", "abstain"]


class PaperTallyIn(Input):
    sheet_number: text(40, min_length=0) = Field(description="The number written on the signed tally sheet.")
    yes: int = Field(ge=0, le=100_000)
    no: int = Field(ge=0, le=100_000)
    abstain: int = Field(ge=0, le=100_000)
    households: list[Id] = Field(
        default_factory=list, max_length=1000, description="The households the meeting counted (household votes)."
    )
    persons: list[Id] = Field(
        default_factory=list, max_length=5000, description="The adults the meeting counted (votes by adult)."
    )


class WithdrawIn(Input):
    reason: text(2000, min_length=0) = Field(description="Why the office withdraws the vote: told to the unit.")


class RulesIn(Input):
    """The rules to change; those not sent keep their value."""

    electorate: Literal["household", "adult"] | None = None
    adult_age: int | None = Field(None, description="14 to 30.")
    quorum_percent: Percent | None = None
    approval_percent: Percent | None = None
    window_days: int | None = Field(None, description="1 to 60.")
    term_months: int | None = Field(None, description="1 to 120.")
    renomination_wait_days: int | None = Field(None, description="0 to 3650.")
    recall_signature_percent: Percent | None = None
    escalation_percent: Percent | None = None
    response_days: int | None = Field(None, description="1 to 365.")


class VoteFilter(PageParams):
    status: Literal["open", "closed", "withdrawn"] | None = None
    unit: AreaCode | None = Field(None, description="Only this unit's votes.")


class NominationFilter(PageParams):
    status: Literal["voting", "approved", "rejected", "withdrawn"] | None = None
    unit: AreaCode | None = Field(None, description="Only this unit's nominations.")


# Nominations ------------------------------------------------------------------------------------------------------


@router.post("/nominations", response={201: NominationOut, **WRITE_ERRORS}, tags=NOMINATIONS)
def create_nomination(request, payload: NominationIn):
    """Nominate a resident of a unit as its leader (officers of the unit's office or above): the unit's consent vote
    opens with the office's rules."""
    actor = request.user
    require_any(actor, MANAGE_AREAS)
    unit = area_in_scope(actor, payload.unit, field="unit")
    nominee = object_in_scope(actor, Person.objects.all(), payload.nominee, field="nominee")
    nomination = votes.nomination_create(
        actor=actor,
        unit=unit,
        nominee=nominee,
        statement=payload.statement,
        opens_at=payload.opens_at,
        closes_at=payload.closes_at,
    )
    return Status(201, _nomination_out(selectors.nomination_detail(actor=actor, pk=nomination.pk)))


@router.get("/nominations", response={200: page_of(NominationOut, "NominationPage"), **READ_ERRORS}, tags=NOMINATIONS)
def list_nominations(request, filters: Query[NominationFilter]):
    """Nominations you may see (residents: their unit's), newest first."""
    rows = selectors.nominations_visible(actor=request.user)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.unit:
        rows = rows.filter(unit__code=filters.unit)
    page = paginate(rows.order_by("-nominated_at", "-id"), filters)
    return {"items": [_nomination_out(n) for n in page["items"]], "count": page["count"]}


@router.get("/nominations/{nomination_id}", response={200: NominationOut, **READ_ERRORS}, tags=NOMINATIONS)
def get_nomination(request, nomination_id: int):
    """A nomination, its statement and where its vote stands."""
    return _nomination_out(selectors.nomination_detail(actor=request.user, pk=nomination_id))


AppointmentPage = page_of(AppointmentOut, "AppointmentPage")


@router.get("/appointments", response={200: AppointmentPage, **READ_ERRORS}, tags=NOMINATIONS)
def list_appointments(request, filters: Query[PageParams]):
    """Leaders appointed with their unit's consent, newest term first."""
    page = paginate(selectors.appointments_visible(actor=request.user).order_by("-starts_on", "-id"), filters)
    return {"items": [_appointment_out(a) for a in page["items"]], "count": page["count"]}


# Votes ------------------------------------------------------------------------------------------------------------


@router.get("/votes", response={200: page_of(VoteOut, "VotePage"), **READ_ERRORS})
def list_votes(request, filters: Query[VoteFilter]):
    """Consent and recall votes you may see (residents: their unit's), newest first."""
    rows = selectors.votes_visible(actor=request.user)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.unit:
        rows = rows.filter(unit__code=filters.unit)
    page = paginate(rows.order_by("-opens_at", "-id"), filters)
    return {"items": [_vote_out(request.user, v) for v in page["items"]], "count": page["count"]}


@router.get("/votes/{vote_id}", response={200: VoteOut, **READ_ERRORS})
def get_vote(request, vote_id: int):
    """A vote: its window and rules, how many took part so far, and once closed its published result (online and
    paper counts apart and in total, turnout, whether quorum and approval were met)."""
    return _vote_out(request.user, selectors.vote_detail(actor=request.user, pk=vote_id))


@router.post("/votes/{vote_id}/ballots", response={201: BallotOut, **WRITE_ERRORS})
def cast_ballot(request, vote_id: int, payload: BallotIn):
    """Cast your household's ballot (or your own, when adults vote): yes, no or abstain. Once per household, online
    or at the unit meeting; not by the nominee, the sitting leader or the nominating officer. The answer does not
    repeat the choice, and nothing keeps it apart from the counters."""
    vote = selectors.vote_detail(actor=request.user, pk=vote_id)
    votes.ballot_cast(actor=request.user, vote=vote, choice=payload.choice)
    return Status(201, {"vote": vote.pk, "voted": True})


@router.post("/votes/{vote_id}/paper-tallies", response={201: PaperTallyOut, **WRITE_ERRORS})
def enter_paper_tally(request, vote_id: int, payload: PaperTallyIn):
    """Enter a unit meeting's signed tally sheet (officers of the office; not the nominating officer): its number,
    totals, and the households (or adults) it counted."""
    actor = request.user
    vote = selectors.vote_detail(actor=actor, pk=vote_id)
    require_any(actor, MANAGE_AREAS)
    households = _listed(Household, payload.households, "households")
    persons = _listed(Person, payload.persons, "persons")
    tally = votes.paper_tally_enter(
        actor=actor,
        vote=vote,
        sheet_number=payload.sheet_number,
        yes=payload.yes,
        no=payload.no,
        abstain=payload.abstain,
        households=households,
        persons=persons,
    )
    return Status(201, _tally_out(PaperTally.objects.select_related("entered_by").get(pk=tally.pk)))


def _listed(model, ids: list[int], field: str) -> list:
    rows = {row.pk: row for row in model.objects.filter(pk__in=ids)}
    missing = [pk for pk in ids if pk not in rows]
    if missing:
        raise DomainError(field, f"No {model._meta.verbose_name} {missing[0]}.")
    return [rows[pk] for pk in ids]


@router.post("/votes/{vote_id}/close", response={200: VoteOut, **WRITE_ERRORS})
def close_vote(request, vote_id: int):
    """Close a vote whose window has ended and publish its result (officers; the scheduled job does it too). Before
    the closing time it is refused."""
    actor = request.user
    vote = selectors.vote_detail(actor=actor, pk=vote_id)
    require_any(actor, MANAGE_AREAS)
    if vote.status != ConsentVote.Status.OPEN:
        raise DomainError("vote", gettext_noop("The vote is already closed or withdrawn."))
    votes.vote_close(actor=actor, vote=vote)
    return _vote_out(actor, selectors.vote_detail(actor=actor, pk=vote_id))


@router.post("/votes/{vote_id}/withdraw", response={200: VoteOut, **WRITE_ERRORS})
def withdraw_vote(request, vote_id: int, payload: WithdrawIn):
    """Withdraw an open vote (officers), with the reason the unit is told."""
    actor = request.user
    vote = selectors.vote_detail(actor=actor, pk=vote_id)
    require_any(actor, MANAGE_AREAS)
    votes.vote_withdraw(actor=actor, vote=vote, reason=payload.reason)
    return _vote_out(actor, selectors.vote_detail(actor=actor, pk=vote_id))


# Rules ------------------------------------------------------------------------------------------------------------


@router.get("/offices/{code}/governance-rules", response={200: RulesOut, **READ_ERRORS}, tags=RULES)
def get_rules(request, code: AreaCode):
    """The rules an office's votes and petitions follow: its own, or the nearest office above's, or the defaults."""
    office, rules = selectors.office_rules(actor=request.user, code=code)
    return _rules_out(office, rules)


@router.put("/offices/{code}/governance-rules", response={200: RulesOut, **WRITE_ERRORS}, tags=RULES)
def put_rules(request, code: AreaCode, payload: RulesIn):
    """Set an office's rules (officers of the office or above): the fields sent replace the current values. Votes
    already open keep the rules they opened with."""
    actor = request.user
    office, _ = selectors.office_rules(actor=actor, code=code)
    require_any(actor, MANAGE_AREAS)
    votes.rules_set(actor=actor, office=office, **payload.model_dump(exclude_unset=True))
    office, rules = selectors.office_rules(actor=actor, code=code)
    return _rules_out(office, rules)
