"""Reading nominations, consent votes, their results and appointments, scoped to the actor.

Residents see the votes of the unit they live in; leaders their unit's; officers and auditors their subtree's.
Nothing here returns a household's choice: it is not stored. While a vote is open its counts are shown to no one,
only how many took part; the counts are published when it closes (see votes.py)."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone

from inminban.areas.access import VIEW, restrict, scope_for
from inminban.areas.models import Area, Office
from inminban.common.errors import NotPermitted, NotVisible
from inminban.registry.models import Household, Person

from .models import Appointment, Channel, Choice, ConsentVote, Electorate, Nomination, PaperTally, Participation
from .rules import Rules, rules_for
from .votes import ballot_refusal, counts_of, electorate_count, voter_assignment

__all__ = ["electorate_count"]


def _own_units_q(actor, unit_lookup: str) -> Q:
    """Rows of the units the actor lives in (residents, and leaders linked to a person of the unit)."""
    scope = scope_for(actor)
    if not scope.home_household_ids:
        return Q(pk__in=[])
    units = Household.objects.filter(pk__in=scope.home_household_ids).values("unit_id")
    return Q(**{f"{unit_lookup}__in": units})


def _visible(queryset: QuerySet, actor, unit_lookup: str) -> QuerySet:
    scope = scope_for(actor)
    if scope.user_id is None:
        return queryset.none()
    in_scope = restrict(queryset, actor, VIEW).values("pk")
    return queryset.filter(Q(pk__in=in_scope) | _own_units_q(actor, unit_lookup))


def votes_visible(*, actor) -> QuerySet[ConsentVote]:
    """Consent and recall votes the actor may read."""
    rows = ConsentVote.objects.select_related(
        "unit", "office", "nomination__nominee", "nomination__nominated_by", "leader_assignment__person"
    )
    return _visible(rows, actor, "unit_id")


def vote_detail(*, actor, pk) -> ConsentVote:
    try:
        return votes_visible(actor=actor).get(pk=pk)
    except (ConsentVote.DoesNotExist, ValueError, TypeError):
        raise NotVisible(f"vote {pk} not found") from None


def nominations_visible(*, actor) -> QuerySet[Nomination]:
    rows = Nomination.objects.select_related("unit", "office", "nominee", "nominated_by", "vote")
    return _visible(rows, actor, "unit_id")


def nomination_detail(*, actor, pk) -> Nomination:
    try:
        return nominations_visible(actor=actor).get(pk=pk)
    except (Nomination.DoesNotExist, ValueError, TypeError):
        raise NotVisible(f"nomination {pk} not found") from None


def appointments_visible(*, actor) -> QuerySet[Appointment]:
    rows = Appointment.objects.select_related("unit", "person", "nomination", "role_assignment__user")
    return _visible(rows, actor, "unit_id")


def votes_of_unit(*, actor, unit: Area) -> QuerySet[ConsentVote]:
    return votes_visible(actor=actor).filter(unit=unit)


def paper_tallies(*, actor, vote: ConsentVote) -> QuerySet[PaperTally]:
    """The tally sheets entered for a vote (their totals are the public record of a unit meeting)."""
    return (
        PaperTally.objects.filter(vote__in=votes_visible(actor=actor).filter(pk=vote.pk).values("pk"))
        .select_related("entered_by")
        .order_by("entered_at", "id")
    )


def participation_count(vote: ConsentVote) -> int:
    return Participation.objects.filter(vote=vote).count()


def is_open(vote: ConsentVote, now=None) -> bool:
    now = now or timezone.now()
    return vote.status == ConsentVote.Status.OPEN and vote.opens_at <= now < vote.closes_at


def household_has_voted(*, actor, vote: ConsentVote) -> bool | None:
    """Whether the actor's household (or, when adults vote, the actor) took part in the vote, online or at the unit
    meeting; None when the actor is not a voter of the unit. Says nothing of how."""
    voter = voter_assignment(actor, vote.unit)
    if voter is None:
        return None
    rows = Participation.objects.filter(vote=vote)
    if vote.electorate == Electorate.ADULT:
        return rows.filter(person_id=voter.person_id).exists()
    return rows.filter(household_id=voter.person.household_id, person__isnull=True).exists()


def may_vote(*, actor, vote: ConsentVote) -> bool:
    """Whether the actor could cast a ballot now (an open window, a voter of the unit, not yet voted, not the
    nominee, the sitting leader or the nominating officer)."""
    if not is_open(vote):
        return False
    try:
        if ballot_refusal(actor, vote) is not None:
            return False
    except (NotVisible, NotPermitted):  # not a voter of the unit
        return False
    return household_has_voted(actor=actor, vote=vote) is False


def percent(part: int, whole: int) -> Decimal:
    if not whole:
        return Decimal("0.0")
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Counts:
    yes: int
    no: int
    abstain: int

    @property
    def total(self) -> int:
        return self.yes + self.no + self.abstain


@dataclass(frozen=True)
class Result:
    """What a closed vote's result page and API show: counts per channel and in total, turnout, the thresholds."""

    closed_at: object
    ballots: int
    online: Counts
    paper: Counts
    total: Counts
    electorate_size: int
    turnout_percent: Decimal
    quorum_percent: Decimal
    approval_percent: Decimal
    yes_percent: Decimal
    quorum_met: bool
    approval_met: bool
    passed: bool


def vote_result(vote: ConsentVote) -> Result | None:
    """The published result of a closed vote; None while it is open or after it was withdrawn."""
    if vote.status != ConsentVote.Status.CLOSED:
        return None
    counts = counts_of(vote)
    online = Counts(*(counts[Channel.ONLINE][c] for c in (Choice.YES, Choice.NO, Choice.ABSTAIN)))
    paper = Counts(*(counts[Channel.PAPER][c] for c in (Choice.YES, Choice.NO, Choice.ABSTAIN)))
    return Result(
        closed_at=vote.closed_at,
        ballots=vote.ballots,
        online=online,
        paper=paper,
        total=Counts(vote.yes, vote.no, vote.abstain),
        electorate_size=vote.electorate_size,
        turnout_percent=percent(vote.ballots, vote.electorate_size),
        quorum_percent=vote.quorum_percent,
        approval_percent=vote.approval_percent,
        yes_percent=percent(vote.yes, vote.ballots),
        quorum_met=bool(vote.quorum_met),
        approval_met=bool(vote.approval_met),
        passed=bool(vote.passed),
    )


def offices_visible(*, actor) -> QuerySet[Office]:
    return restrict(Office.objects.select_related("area"), actor, VIEW)


def office_rules(*, actor, code: str) -> tuple[Office, Rules]:
    office = offices_visible(actor=actor).filter(code=code).first()
    if office is None:
        raise NotVisible(f"office {code} not found")
    return office, rules_for(office)


def unit_residents(*, actor, unit: Area) -> QuerySet[Person]:
    """The persons living in a unit the actor may see (the nominee picker)."""
    if not scope_for(actor).allows_area(VIEW, unit):
        return Person.objects.none()
    return (
        restrict(Person.objects.all(), actor, VIEW)
        .filter(household__unit=unit, status=Person.Status.RESIDENT, household__dissolved_on__isnull=True)
        .select_related("household")
        .order_by("family_name", "given_name", "id")
    )


def households_yet_to_vote(*, vote: ConsentVote) -> QuerySet[Household]:
    """The unit's households (of a vote the caller has already read through `vote_detail`) with no participation in
    it yet, by number: who a tally sheet may still count."""
    voted = Participation.objects.filter(vote=vote).values("household_id")
    return (
        Household.objects.filter(unit=vote.unit, dissolved_on__isnull=True)
        .exclude(pk__in=voted)
        .select_related("head")
        .order_by("number")
    )
