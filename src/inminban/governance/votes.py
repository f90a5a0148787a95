"""Consent votes: a district office nominates a resident as their unit's leader and the unit's households (or adults)
consent or not; a recall petition opens a recall vote on the sitting leader. The rules of the office are copied onto
the vote when it opens, and the electorate is counted then.

The ballot is secret. A ballot writes two things that nothing links: a `Participation` row (who took part, to refuse
a second ballot; no time of its own) and an increment of the vote's `Tally` counters. The increment touches the three
counters of the channel at once (the chosen one +1, the others +0), so that no row version, page or time of a single
counter points at the transaction of one ballot. The audit entry of a ballot says that the household voted, never
how. While a vote is open, its counts are not shown to anyone (the selectors give them only once it is closed):
counts read between two ballots, next to the audit log's order of who voted, would tell a choice.

The result: every ballot, online and paper, counts as cast, abstentions included. Turnout is ballots / electorate
size; the quorum is met when turnout reaches `quorum_percent`; approval is met when yes is *more than*
`approval_percent` of the ballots cast (so abstaining weighs like no). Passed = both."""

from calendar import monthrange
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Sum, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from inminban.areas.access import (
    MANAGE_AREAS,
    VIEW,
    active_assignments,
    can,
    forget_scope,
    require,
    scope_for,
)
from inminban.areas.models import Area, Office, Role, RoleAssignment
from inminban.audit.services import audit_record
from inminban.common.errors import DomainError, NotPermitted, NotVisible
from inminban.common.validators import text_value
from inminban.registry.models import Household, Person

from .models import (
    Appointment,
    Channel,
    Choice,
    ConsentVote,
    Electorate,
    GovernanceRules,
    Nomination,
    PaperTally,
    Participation,
    Petition,
    Tally,
)
from .notifications import notify, users_of_unit
from .rules import RULE_FIELDS, active_on, office_of_area, rules_for, sitting_leader

MAX_WINDOW_DAYS = 60
MAX_START_AHEAD_DAYS = 60
STATEMENT_MAX = 2000
REASON_MAX = 2000
SHEET_MAX = 40

# Bounds of each rule an office may set (the model's validators say the same for the admin and migrations).
RULE_BOUNDS = {
    "adult_age": (14, 30),
    "window_days": (1, MAX_WINDOW_DAYS),
    "term_months": (1, 120),
    "renomination_wait_days": (0, 3650),
    "response_days": (1, 365),
}
PERCENT_RULES = ("quorum_percent", "approval_percent", "recall_signature_percent", "escalation_percent")


# Small helpers -----------------------------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it has no such day: 31 January + 1 = 28/29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def unit_name(unit: Area) -> str:
    """A unit's name for a notification's params (stored once, read in either language): Korean, else English."""
    return unit.name_ko or unit.name_en


def district_office(unit: Area) -> Office:
    office = office_of_area(unit)
    if office is None:
        raise DomainError("unit", gettext_noop("No office governs this unit."))
    return office


def electorate_count(*, unit: Area, electorate: str, adult_age: int, on: date | None = None) -> int:
    """Who may vote in the unit on a day: its households living there (registered by then, not dissolved), or, when
    adults vote, the residents of those households aged `adult_age` or more."""
    on = on or timezone.localdate()
    households = Household.objects.filter(unit=unit, registered_on__lte=on).filter(
        Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=on)
    )
    if electorate == Electorate.ADULT:
        return Person.objects.filter(
            household__in=households, status=Person.Status.RESIDENT, birth_date__lte=_years_before(on, adult_age)
        ).count()
    return households.count()


def _copy_rules(vote: ConsentVote, office: Office) -> None:
    rules = rules_for(office)
    vote.electorate = rules.electorate
    vote.adult_age = rules.adult_age
    vote.quorum_percent = rules.quorum_percent
    vote.approval_percent = rules.approval_percent
    vote.electorate_size = electorate_count(unit=vote.unit, electorate=rules.electorate, adult_age=rules.adult_age)


def _tallies_create(vote: ConsentVote) -> None:
    Tally.objects.bulk_create(
        [Tally(vote=vote, channel=channel, choice=choice) for channel in Channel.values for choice in Choice.values]
    )


def _vote_link(vote: ConsentVote) -> str:
    return reverse("governance-vote", args=[vote.pk])


def _vote_after(vote: ConsentVote) -> dict:
    return {
        "kind": vote.kind,
        "unit": vote.unit_id,
        "office": vote.office_id,
        "opens_at": vote.opens_at,
        "closes_at": vote.closes_at,
        "electorate": vote.electorate,
        "electorate_size": vote.electorate_size,
        "quorum_percent": vote.quorum_percent,
        "approval_percent": vote.approval_percent,
    }


def _require_office(actor: User, vote_or_unit) -> None:
    """An officer of the unit's office or of an office above it; an administrator."""
    unit = vote_or_unit.unit if isinstance(vote_or_unit, ConsentVote) else vote_or_unit
    require(actor, MANAGE_AREAS, unit)


# Rules ---------------------------------------------------------------------------------------------------------------


def _rule_value(name: str, value):
    if name == "electorate":
        if value not in Electorate.values:
            raise DomainError(name, gettext_noop("Choose one vote per household or one vote per adult."))
        return value
    if name in PERCENT_RULES:
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
            raise DomainError(name, gettext_noop("A percentage from 0 to 100."))
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise DomainError(name, gettext_noop("A percentage from 0 to 100.")) from None
        if not number.is_finite() or not (0 <= number <= 100):
            raise DomainError(name, gettext_noop("A percentage from 0 to 100."))
        if number != number.quantize(Decimal("0.01")):
            raise DomainError(name, gettext_noop("At most two decimals."))
        return number.quantize(Decimal("0.01"))
    if name in RULE_BOUNDS:
        low, high = RULE_BOUNDS[name]
        if isinstance(value, bool) or not isinstance(value, int) or not (low <= value <= high):
            raise DomainError(
                name, gettext_noop("A whole number from %(low)s to %(high)s."), params={"low": low, "high": high}
            )
        return value
    raise DomainError(name, gettext_noop("This field cannot be changed here."))


@transaction.atomic
def rules_set(*, actor: User, office: Office, **values) -> GovernanceRules:
    """Set an office's governance rules: officers of an office above it, or administrators — never the office's own
    officers, since the office that nominates must not set the bar its nominee has to clear (nor the share a recall
    needs). The office gets a row of its own, starting from the rules it worked by (inherited or default); the values
    given replace them. Votes already open keep the rules they opened with."""
    require(actor, MANAGE_AREAS, office.area)
    scope = scope_for(actor)
    if not scope.is_admin and office.area.path in scope.prefixes(MANAGE_AREAS):
        # A prefix equal to the office's own path: the actor's authority starts at this office, not above it.
        above = [prefix for prefix in scope.prefixes(MANAGE_AREAS) if prefix != office.area.path]
        if not any(office.area.path.startswith(prefix) for prefix in above):
            raise NotPermitted("an office's rules are set by an office above it")
    if not values:
        raise DomainError("rules", gettext_noop("Give at least one rule to change."))
    cleaned = {name: _rule_value(name, value) for name, value in values.items()}
    current = rules_for(office)
    before = {name: getattr(current, name) for name in RULE_FIELDS}
    row = GovernanceRules.objects.select_for_update(of=("self",)).filter(office=office).first()
    if row is None:
        row = GovernanceRules(office=office, **before)
    for name, value in cleaned.items():
        setattr(row, name, value)
    row.updated_by, row.updated_at = actor, timezone.now()
    row.full_clean(exclude=["office", "updated_by"])
    row.save()
    after = {name: getattr(row, name) for name in RULE_FIELDS}
    audit_record(
        actor=actor,
        action="governance_rules.set",
        target=row,
        area=office.area,
        before={name: value for name, value in before.items() if after[name] != value} | {"office": office.pk},
        after={name: value for name, value in after.items() if before[name] != value} | {"office": office.pk},
    )
    return row


# Opening votes ---------------------------------------------------------------------------------------------------


def _window(opens_at: datetime | None, closes_at: datetime | None, window_days: int, now: datetime):
    opens_at = opens_at or now
    if timezone.is_naive(opens_at):
        raise DomainError("opens_at", gettext_noop("Give the time with its time zone."))
    if closes_at is not None and timezone.is_naive(closes_at):
        raise DomainError("closes_at", gettext_noop("Give the time with its time zone."))
    start_of_today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    if opens_at < start_of_today:
        raise DomainError("opens_at", gettext_noop("The vote cannot open in the past."))
    if opens_at > now + timedelta(days=MAX_START_AHEAD_DAYS):
        raise DomainError(
            "opens_at",
            gettext_noop("The vote opens at most %(days)s days ahead."),
            params={"days": MAX_START_AHEAD_DAYS},
        )
    closes_at = closes_at or opens_at + timedelta(days=window_days)
    if closes_at <= opens_at:
        raise DomainError("closes_at", gettext_noop("The vote must close after it opens."))
    if closes_at <= now:
        raise DomainError("closes_at", gettext_noop("The vote must close in the future."))
    if closes_at - opens_at > timedelta(days=MAX_WINDOW_DAYS):
        raise DomainError(
            "closes_at", gettext_noop("A vote is open for at most %(days)s days."), params={"days": MAX_WINDOW_DAYS}
        )
    return opens_at, closes_at


@transaction.atomic
def nomination_create(
    *,
    actor: User,
    unit: Area,
    nominee: Person,
    statement: str,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
) -> Nomination:
    """The unit's office (or one above it) nominates a resident of the unit as its leader, and the unit's consent
    vote opens: from `opens_at` (default now) to `closes_at` (default the rules' window)."""
    _require_office(actor, unit)
    if not unit.level.is_unit:
        raise DomainError("unit", gettext_noop("A leader is nominated for a unit."))
    office = district_office(unit)
    now = timezone.now()
    today = timezone.localdate()
    nominee = Person.objects.select_related("household").get(pk=nominee.pk)
    if (
        nominee.status != Person.Status.RESIDENT
        or nominee.household_id is None
        or nominee.household.unit_id != unit.pk
        or nominee.household.dissolved_on is not None
    ):
        raise DomainError("nominee", gettext_noop("The nominee must live in the unit."))
    statement = text_value("statement", statement, max_length=STATEMENT_MAX)
    rules = rules_for(office)
    # One vote at a time in a unit: the unit's row is the lock, so two nominations (or a nomination and a recall)
    # made at the same moment are taken one after the other and the second is refused below.
    Area.objects.select_for_update().filter(pk=unit.pk).first()
    if Nomination.objects.filter(unit=unit, status=Nomination.Status.VOTING).exists():
        raise DomainError("unit", gettext_noop("A nomination for this unit is already being voted on."))
    if ConsentVote.objects.filter(unit=unit, status=ConsentVote.Status.OPEN).exists():
        raise DomainError("unit", gettext_noop("A vote is already open in this unit."))
    rejected_since = now - timedelta(days=rules.renomination_wait_days)
    if Nomination.objects.filter(
        unit=unit, nominee=nominee, status=Nomination.Status.REJECTED, vote__closed_at__gt=rejected_since
    ).exists():
        raise DomainError(
            "nominee",
            gettext_noop("The unit rejected this person less than %(days)s days ago."),
            params={"days": rules.renomination_wait_days},
        )
    sitting = sitting_leader(unit, today)
    if sitting is not None and sitting.person_id == nominee.pk:
        raise DomainError("nominee", gettext_noop("This person already leads the unit."))
    opens_at, closes_at = _window(opens_at, closes_at, rules.window_days, now)
    nomination = Nomination.objects.create(
        unit=unit, office=office, nominee=nominee, statement=statement, nominated_by=actor, nominated_at=now
    )
    audit_record(
        actor=actor,
        action="nomination.create",
        target=nomination,
        area=unit,
        household_id=nominee.household_id,
        after={"unit": unit.pk, "office": office.pk, "person": nominee.pk, "statement": statement},
    )
    vote = ConsentVote(
        kind=ConsentVote.Kind.CONSENT,
        unit=unit,
        office=office,
        nomination=nomination,
        opens_at=opens_at,
        closes_at=closes_at,
    )
    _copy_rules(vote, office)
    vote.save()
    _tallies_create(vote)
    audit_record(actor=actor, action="vote.open", target=vote, area=unit, after=_vote_after(vote))
    notify(
        users=users_of_unit(unit),
        kind="vote_opened",
        params={
            "unit": unit_name(unit),
            "nominee": nominee.full_name,
            "closes": timezone.localtime(closes_at).date().isoformat(),
        },
        link=_vote_link(vote),
    )
    return nomination


@transaction.atomic
def recall_vote_open(*, petition: Petition) -> ConsentVote:
    """Open the recall vote a recall petition asked for (the system does, once the petition reached the rules'
    share of the unit's households): on the unit's sitting leader, by the rules of the unit's office, from now for
    the rules' window. Called again for the same petition, it returns the vote already opened."""
    petition = Petition.objects.select_related("unit__level").get(pk=petition.pk)
    existing = ConsentVote.objects.filter(recall_petition=petition).first()
    if existing is not None:
        return existing
    if petition.subject != Petition.Subject.RECALL:
        raise DomainError("petition", gettext_noop("Only a recall petition opens a recall vote."))
    unit = petition.unit
    office = district_office(unit)
    leader = sitting_leader(unit)
    if leader is None:
        raise DomainError("petition", gettext_noop("The unit has no leader to recall."))
    Area.objects.select_for_update().filter(pk=unit.pk).first()  # one vote at a time in a unit (nomination_create)
    if ConsentVote.objects.filter(unit=unit, status=ConsentVote.Status.OPEN).exists():
        raise DomainError("petition", gettext_noop("A vote is already open in this unit."))
    now = timezone.now()
    rules = rules_for(office)
    vote = ConsentVote(
        kind=ConsentVote.Kind.RECALL,
        unit=unit,
        office=office,
        recall_petition=petition,
        leader_assignment=leader,
        opens_at=now,
        closes_at=now + timedelta(days=rules.window_days),
    )
    _copy_rules(vote, office)
    vote.save()
    _tallies_create(vote)
    audit_record(
        actor=None,
        action="vote.recall_open",
        target=vote,
        area=unit,
        after=_vote_after(vote) | {"petition": petition.pk, "user": leader.user_id},
    )
    leader_name = leader.person.full_name if leader.person_id else (leader.user.get_full_name() or leader.user.username)
    notify(
        users=users_of_unit(unit),
        kind="recall_opened",
        params={
            "unit": unit_name(unit),
            "leader": leader_name,
            "closes": timezone.localtime(vote.closes_at).date().isoformat(),
        },
        link=_vote_link(vote),
    )
    return vote


# Ballots ---------------------------------------------------------------------------------------------------------


def _locked_open_vote(vote: ConsentVote, now: datetime, *, field: str = "vote") -> ConsentVote:
    """The vote, locked against a concurrent close, if its window is open now."""
    vote = ConsentVote.objects.select_for_update(of=("self",)).select_related("unit", "nomination").get(pk=vote.pk)
    if vote.status == ConsentVote.Status.WITHDRAWN:
        raise DomainError(field, gettext_noop("This vote was withdrawn."))
    if vote.status == ConsentVote.Status.CLOSED or now >= vote.closes_at:
        raise DomainError(field, gettext_noop("The vote has closed."))
    if now < vote.opens_at:
        raise DomainError(field, gettext_noop("The vote has not opened yet."))
    return vote


def leads_unit(actor: User, unit: Area, person_id: int | None = None) -> bool:
    """Whether the actor (or the person, through any account) holds the leader role in the unit today."""
    today = timezone.localdate()
    leaders = active_on(RoleAssignment.objects.filter(area=unit, role=Role.LEADER), today)
    if leaders.filter(user=actor).exists():
        return True
    return person_id is not None and leaders.filter(person_id=person_id).exists()


def voter_assignment(actor: User, unit: Area) -> RoleAssignment | None:
    """The actor's resident role assignment in the unit (their person, living in a household of the unit)."""
    if not getattr(actor, "is_authenticated", False):
        return None
    return (
        active_assignments(actor)
        .filter(role=Role.RESIDENT, person__household__unit=unit, person__status=Person.Status.RESIDENT)
        .select_related("person__household")
        .order_by("since", "id")
        .first()
    )


def ballot_refusal(actor: User, vote: ConsentVote) -> DomainError | None:
    """Why the actor may not vote online in this vote (a DomainError naming the reason), or None. A person outside
    the unit is NotVisible / NotPermitted, raised."""
    voter = voter_assignment(actor, vote.unit)
    person_id = voter.person_id if voter is not None else None
    if leads_unit(actor, vote.unit, person_id):
        return DomainError("vote", gettext_noop("The sitting leader of the unit cannot vote."))
    nomination = vote.nomination
    if nomination is not None and nomination.nominated_by_id == actor.pk:
        return DomainError("vote", gettext_noop("The officer who made the nomination cannot vote."))
    if voter is None:
        if can(actor, VIEW, vote.unit):
            raise NotPermitted("only the unit's residents vote online")
        raise NotVisible("vote not found")
    if nomination is not None and nomination.nominee_id == person_id:
        return DomainError("vote", gettext_noop("The nominee cannot vote on their own nomination."))
    if voter.person.household.registered_on > timezone.localtime(vote.opens_at).date():
        # The roll is the electorate counted at opening: a household registered since is not on it.
        return DomainError("vote", gettext_noop("Your household was registered after the vote opened."))
    if vote.electorate == Electorate.ADULT:
        if voter.person.birth_date > _years_before(timezone.localtime(vote.opens_at).date(), vote.adult_age):
            return DomainError(
                "vote", gettext_noop("Only residents aged %(age)s or more vote."), params={"age": vote.adult_age}
            )
    return None


def _participated(vote: ConsentVote, household_id: int, person_id: int | None) -> bool:
    rows = Participation.objects.filter(vote=vote)
    if vote.electorate == Electorate.ADULT:
        return rows.filter(person_id=person_id).exists()
    return rows.filter(household_id=household_id, person__isnull=True).exists()


ALREADY_HOUSEHOLD = gettext_noop("Your household has already voted (online or at the unit meeting).")
ALREADY_PERSON = gettext_noop("You have already voted (online or at the unit meeting).")


@transaction.atomic
def ballot_cast(*, actor: User, vote: ConsentVote, choice: str) -> Participation:
    """A resident's ballot, online: for their household (or, when adults vote, for themselves). Records that the
    household took part and adds one to the choice's counter; nothing ties the two."""
    vote = ConsentVote.objects.select_related("unit", "nomination").get(pk=vote.pk)
    refusal = ballot_refusal(actor, vote)
    if refusal is not None:
        raise refusal
    if choice not in Choice.values:
        raise DomainError("choice", gettext_noop("Choose yes, no or abstain."))
    now = timezone.now()
    vote = _locked_open_vote(vote, now)
    voter = voter_assignment(actor, vote.unit)
    household_id = voter.person.household_id
    by_adult = vote.electorate == Electorate.ADULT
    person_id = voter.person_id if by_adult else None
    already = ALREADY_PERSON if by_adult else ALREADY_HOUSEHOLD
    if _participated(vote, household_id, person_id):
        raise DomainError("vote", already, code="duplicate")
    try:
        with transaction.atomic():
            participation = Participation.objects.create(
                vote=vote, household_id=household_id, person_id=person_id, channel=Channel.ONLINE
            )
    except IntegrityError:
        raise DomainError("vote", already, code="duplicate") from None
    # All three counters of the channel in one statement: the chosen one +1, the others +0.
    Tally.objects.filter(vote=vote, channel=Channel.ONLINE).update(
        count=F("count") + Case(When(choice=choice, then=Value(1)), default=Value(0))
    )
    audit_record(
        actor=actor,
        action="vote.participate",
        target=vote,
        area=vote.unit,
        household_id=household_id,
        after={"household": household_id, "unit": vote.unit_id, "channel": Channel.ONLINE}
        | ({"person": person_id} if by_adult else {}),
    )
    return participation


@transaction.atomic
def paper_tally_enter(
    *,
    actor: User,
    vote: ConsentVote,
    sheet_number: str,
    yes: int,
    no: int,
    abstain: int,
    households: list[Household] | None = None,
    persons: list[Person] | None = None,
) -> PaperTally:
    """An officer enters the signed tally sheet of a unit meeting: its number, its totals, and the households (or,
    when adults vote, the persons) it counted, none of whom may have voted already. The paper counters are kept
    apart from the online ones. Not by the officer who made the nomination."""
    vote = ConsentVote.objects.select_related("unit", "nomination").get(pk=vote.pk)
    _require_office(actor, vote)
    if vote.nomination is not None and vote.nomination.nominated_by_id == actor.pk:
        raise DomainError("vote", gettext_noop("The officer who made the nomination cannot enter a tally sheet."))
    if leads_unit(actor, vote.unit):
        raise DomainError("vote", gettext_noop("The sitting leader of the unit cannot enter a tally sheet."))
    sheet_number = text_value("sheet_number", sheet_number, max_length=SHEET_MAX)
    totals = {}
    for name, value in (("yes", yes), ("no", no), ("abstain", abstain)):
        if isinstance(value, bool) or not isinstance(value, int) or not (0 <= value <= 100_000):
            raise DomainError(name, gettext_noop("A whole number, zero or more."))
        totals[name] = value
    by_adult = vote.electorate == Electorate.ADULT
    field = "persons" if by_adult else "households"
    given = list(persons or []) if by_adult else list(households or [])
    if by_adult and households:
        raise DomainError("households", gettext_noop("This vote counts adults: list the persons who voted."))
    if not by_adult and persons:
        raise DomainError("persons", gettext_noop("This vote counts households: list the households that voted."))
    if not given:
        raise DomainError(field, gettext_noop("List who voted at the meeting."))
    if sum(totals.values()) != len(given):
        raise DomainError(
            field,
            gettext_noop("The sheet counts %(total)s votes but %(listed)s are listed."),
            params={"total": sum(totals.values()), "listed": len(given)},
        )
    if len({row.pk for row in given}) != len(given):
        raise DomainError(field, gettext_noop("Someone is listed twice."))
    if by_adult:
        rows = {p.pk: p for p in Person.objects.select_related("household").filter(pk__in=[p.pk for p in given])}
        cutoff = _years_before(timezone.localtime(vote.opens_at).date(), vote.adult_age)
        for person in given:
            row = rows.get(person.pk)
            if row is None or row.household_id is None or row.household.unit_id != vote.unit_id:
                raise DomainError(field, gettext_noop("%(name)s does not live in the unit."), params={"name": str(row)})
            if row.birth_date > cutoff:
                raise DomainError(field, gettext_noop("%(name)s is not of voting age."), params={"name": str(row)})
        pairs = [(rows[p.pk].household_id, p.pk) for p in given]
    else:
        rows = {h.pk: h for h in Household.objects.filter(pk__in=[h.pk for h in given])}
        for household in given:
            row = rows.get(household.pk)
            if row is None or row.unit_id != vote.unit_id:
                raise DomainError(
                    field,
                    gettext_noop("Household %(number)s does not live in the unit."),
                    params={"number": getattr(row, "number", household.pk)},
                )
            if row.registered_on > timezone.localtime(vote.opens_at).date():
                raise DomainError(
                    field,
                    gettext_noop("Household %(number)s was registered after the vote opened."),
                    params={"number": row.number},
                )
        pairs = [(h.pk, None) for h in given]
    vote = _locked_open_vote(vote, timezone.now())
    if PaperTally.objects.filter(vote=vote, sheet_number=sheet_number).exists():
        raise DomainError("sheet_number", gettext_noop("This tally sheet was already entered."))
    voted = Participation.objects.filter(vote=vote)
    voted = (
        voted.filter(person_id__in=[p for _, p in pairs])
        if by_adult
        else voted.filter(household_id__in=[h for h, _ in pairs], person__isnull=True)
    )
    first = voted.select_related("household", "person").first()
    if first is not None:
        if by_adult:
            raise DomainError(field, gettext_noop("%(name)s has already voted."), params={"name": str(first.person)})
        raise DomainError(
            field, gettext_noop("Household %(number)s has already voted."), params={"number": first.household.number}
        )
    tally = PaperTally.objects.create(
        vote=vote, sheet_number=sheet_number, entered_by=actor, entered_at=timezone.now(), **totals
    )
    try:
        with transaction.atomic():
            Participation.objects.bulk_create(
                [
                    Participation(vote=vote, household_id=h, person_id=p, channel=Channel.PAPER, paper_tally=tally)
                    for h, p in pairs
                ]
            )
    except IntegrityError:
        raise DomainError(field, gettext_noop("Someone listed has voted in the meantime.")) from None
    Tally.objects.filter(vote=vote, channel=Channel.PAPER).update(
        count=F("count")
        + Case(
            When(choice=Choice.YES, then=Value(totals["yes"])),
            When(choice=Choice.NO, then=Value(totals["no"])),
            default=Value(totals["abstain"]),
        )
    )
    audit_record(
        actor=actor,
        action="vote.paper_tally",
        target=tally,
        area=vote.unit,
        after={"vote": vote.pk, "unit": vote.unit_id, "sheet_number": sheet_number, **totals, "counted": len(given)},
    )
    return tally


# Closing ---------------------------------------------------------------------------------------------------------


def counts_of(vote: ConsentVote) -> dict[str, dict[str, int]]:
    """{channel: {choice: count}} from the vote's counters."""
    counts = {channel: dict.fromkeys(Choice.values, 0) for channel in Channel.values}
    for row in Tally.objects.filter(vote=vote).values("channel", "choice").annotate(total=Sum("count")):
        counts[row["channel"]][row["choice"]] = row["total"]
    return counts


def result_of(vote: ConsentVote) -> dict:
    """The result the counters give now: ballots (abstentions included), yes, no, abstain, and whether the quorum
    (turnout at least quorum_percent of the electorate) and approval (yes more than approval_percent of the ballots)
    are met."""
    counts = counts_of(vote)
    totals = {choice: sum(counts[channel][choice] for channel in Channel.values) for choice in Choice.values}
    ballots = sum(totals.values())
    quorum_met = vote.electorate_size > 0 and ballots * 100 >= vote.quorum_percent * vote.electorate_size
    approval_met = ballots > 0 and totals[Choice.YES] * 100 > vote.approval_percent * ballots
    return {
        "ballots": ballots,
        "yes": totals[Choice.YES],
        "no": totals[Choice.NO],
        "abstain": totals[Choice.ABSTAIN],
        "quorum_met": bool(quorum_met),
        "approval_met": bool(approval_met),
        "passed": bool(quorum_met and approval_met),
    }


def _leader_account(*, nominee: Person, unit: Area) -> User:
    """The account the new leader works with: one already linked to the person (resident or leader), else a new
    one with no usable password (the office gives its holder a one-time code, as for any new account)."""
    linked = (
        RoleAssignment.objects.filter(person=nominee, role__in=[Role.RESIDENT, Role.LEADER])
        .select_related("user")
        .order_by("-since", "-id")
        .first()
    )
    if linked is not None:
        return linked.user
    base = f"leader-{unit.code.lower()}-{nominee.pk}"
    username, suffix = base, 1
    while User.objects.filter(username__iexact=username).exists():
        suffix += 1
        username = f"{base}-{suffix}"
    user = User(username=username, first_name=nominee.full_name[:150])
    user.set_unusable_password()
    user.save()
    audit_record(
        actor=None,
        action="account.create",
        target=user,
        after={"username": user.username, "name": user.first_name, "person": nominee.pk},
    )
    return user


def _role_end(assignment: RoleAssignment, until: date) -> None:
    before = {"until": assignment.until}
    assignment.until = until
    assignment.save(update_fields=["until"])
    forget_scope(assignment.user)
    audit_record(
        actor=None,
        action="role.end",
        target=assignment,
        area=assignment.area,
        before=before,
        after={
            "user": assignment.user_id,
            "role": assignment.role,
            "area": assignment.area_id,
            "person": assignment.person_id,
            "since": assignment.since,
            "until": until,
            "assignment": assignment.pk,
        },
    )


def _appoint(vote: ConsentVote, closed_on: date) -> Appointment:
    nomination = vote.nomination
    rules = rules_for(vote.office)
    starts_on = closed_on + timedelta(days=1)
    ends_on = add_months(starts_on, rules.term_months)
    nominee = nomination.nominee
    user = _leader_account(nominee=nominee, unit=vote.unit)
    previous = list(
        RoleAssignment.objects.select_for_update(of=("self",))
        .filter(area=vote.unit, role=Role.LEADER, since__lt=starts_on)
        .filter(Q(until__isnull=True) | Q(until__gt=starts_on))
        .select_related("user")
        .order_by("since", "id")
    )
    for assignment in previous:
        _role_end(assignment, starts_on)
    # A leader assigned to begin later than the new term (an earlier appointment not yet started) gives way too.
    later = RoleAssignment.objects.filter(area=vote.unit, role=Role.LEADER, since__gte=starts_on, until__isnull=True)
    for assignment in later.select_related("user"):
        _role_end(assignment, assignment.since)  # ends before it begins: never in force, no day of two leaders
    role = RoleAssignment.objects.create(
        user=user, role=Role.LEADER, area=vote.unit, person=nominee, since=starts_on, until=ends_on
    )
    forget_scope(user)
    audit_record(
        actor=None,
        action="role.assign",
        target=role,
        area=vote.unit,
        after={
            "user": user.pk,
            "role": Role.LEADER,
            "area": vote.unit_id,
            "person": nominee.pk,
            "since": starts_on,
            "until": ends_on,
            "assignment": role.pk,
        },
    )
    appointment = Appointment.objects.create(
        unit=vote.unit,
        person=nominee,
        nomination=nomination,
        starts_on=starts_on,
        ends_on=ends_on,
        role_assignment=role,
        ended_assignment=previous[-1] if previous else None,
    )
    audit_record(
        actor=None,
        action="appointment.create",
        target=appointment,
        area=vote.unit,
        household_id=nominee.household_id,
        after={
            "unit": vote.unit_id,
            "person": nominee.pk,
            "user": user.pk,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "nomination": nomination.pk,
        },
    )
    return appointment


def _recall(vote: ConsentVote, closed_on: date) -> None:
    assignment = (
        RoleAssignment.objects.select_for_update(of=("self",)).select_related("user").get(pk=vote.leader_assignment_id)
    )
    ends = closed_on + timedelta(days=1)
    if assignment.until is None or assignment.until > ends:
        _role_end(assignment, ends)
    appointment = Appointment.objects.select_for_update(of=("self",)).filter(role_assignment=assignment).first()
    if appointment is not None and appointment.recalled_on is None:
        appointment.recalled_on = ends
        appointment.save(update_fields=["recalled_on"])
        audit_record(
            actor=None,
            action="appointment.recall",
            target=appointment,
            area=vote.unit,
            before={"recalled_on": None},
            after={"recalled_on": ends, "person": appointment.person_id, "unit": vote.unit_id},
        )


@transaction.atomic
def vote_close(*, vote: ConsentVote, now: datetime | None = None, actor: User | None = None) -> ConsentVote:
    """Close a vote whose window has ended: compute and publish its result, and act on it (consent passed: the
    appointment and the leader role from the day after closing, the previous leader's role ended that day; recall
    passed: the leader's role ends the day after closing). `actor` is an officer closing it by hand; None is the
    scheduled job. A vote already closed is returned as it is: running this twice, or from two processes at once,
    closes it once."""
    if actor is not None:
        _require_office(actor, ConsentVote.objects.select_related("unit").get(pk=vote.pk))
    now = now or timezone.now()
    vote = (
        ConsentVote.objects.select_for_update(of=("self",))
        .select_related("unit", "office", "nomination__nominee", "recall_petition")
        .get(pk=vote.pk)
    )
    if vote.status != ConsentVote.Status.OPEN:
        return vote
    if now < vote.closes_at:
        raise DomainError("closes_at", gettext_noop("The vote is still open until its closing time."))
    result = result_of(vote)
    for name, value in result.items():
        setattr(vote, name, value)
    vote.status, vote.closed_at = ConsentVote.Status.CLOSED, now
    vote.save(update_fields=["status", "closed_at", *result])
    audit_record(
        actor=actor,
        action="vote.close",
        target=vote,
        area=vote.unit,
        before={"status": ConsentVote.Status.OPEN},
        after={"status": vote.status, "unit": vote.unit_id, "electorate_size": vote.electorate_size, **result},
    )
    closed_on = timezone.localtime(now).date()
    if vote.kind == ConsentVote.Kind.CONSENT:
        nomination = Nomination.objects.select_for_update(of=("self",)).get(pk=vote.nomination_id)
        nomination.status = Nomination.Status.APPROVED if vote.passed else Nomination.Status.REJECTED
        nomination.save(update_fields=["status"])
        recorded = {
            "target": nomination,
            "area": vote.unit,
            "before": {"status": Nomination.Status.VOTING},
            "after": {"status": nomination.status, "person": nomination.nominee_id, "unit": vote.unit_id},
        }
        if vote.passed:
            audit_record(actor=None, action="nomination.approve", **recorded)
            vote.nomination = nomination
            _appoint(vote, closed_on)
        else:
            audit_record(actor=None, action="nomination.reject", **recorded)
    elif vote.passed:
        _recall(vote, closed_on)
    turnout = round(100 * vote.ballots / vote.electorate_size) if vote.electorate_size else 0
    notify(
        users=users_of_unit(vote.unit),
        kind="vote_result",
        params={"unit": unit_name(vote.unit), "outcome": "passed" if vote.passed else "failed", "turnout": turnout},
        link=_vote_link(vote),
    )
    return vote


def votes_close_due(now: datetime | None = None) -> int:
    """Close every open vote whose window has ended (the `governance.votes_close` job). Each vote in its own
    transaction; returns how many this call closed (another process closing the same vote at once counts there)."""
    now = now or timezone.now()
    closed = 0
    due = ConsentVote.objects.filter(status=ConsentVote.Status.OPEN, closes_at__lte=now).order_by("closes_at", "id")
    for pk in list(due.values_list("pk", flat=True)):
        vote = vote_close(vote=ConsentVote(pk=pk), now=now)
        if vote.closed_at == now:
            closed += 1
    return closed


@transaction.atomic
def vote_withdraw(*, actor: User, vote: ConsentVote, reason: str) -> ConsentVote:
    """The office withdraws an open vote (before it closes), with a reason the unit is told; a consent vote's
    nomination is withdrawn with it. Nothing is counted."""
    _require_office(actor, ConsentVote.objects.select_related("unit").get(pk=vote.pk))
    reason = text_value("reason", reason, max_length=REASON_MAX)
    vote = ConsentVote.objects.select_for_update(of=("self",)).select_related("unit").get(pk=vote.pk)
    if vote.status != ConsentVote.Status.OPEN:
        raise DomainError("vote", gettext_noop("Only an open vote can be withdrawn."))
    vote.status, vote.closed_at = ConsentVote.Status.WITHDRAWN, timezone.now()
    vote.save(update_fields=["status", "closed_at"])
    audit_record(
        actor=actor,
        action="vote.withdraw",
        target=vote,
        area=vote.unit,
        before={"status": ConsentVote.Status.OPEN},
        after={"status": vote.status, "unit": vote.unit_id, "reason": reason},
    )
    if vote.nomination_id:
        nomination = Nomination.objects.select_for_update(of=("self",)).get(pk=vote.nomination_id)
        nomination.status = Nomination.Status.WITHDRAWN
        nomination.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="nomination.withdraw",
            target=nomination,
            area=vote.unit,
            before={"status": Nomination.Status.VOTING},
            after={
                "status": nomination.status,
                "person": nomination.nominee_id,
                "unit": vote.unit_id,
                "reason": reason,
            },
        )
    notify(
        users=users_of_unit(vote.unit),
        kind="vote_withdrawn",
        params={"unit": unit_name(vote.unit), "reason": reason},
        link=_vote_link(vote),
    )
    return vote
