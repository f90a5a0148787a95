"""Governance for the demo city: the story the seeds tell, in unit A2 and district A.

District A's office first nominated a well-connected resident as leader of unit A2; at the unit meeting the
households turned him down (the paper tally, entered by the office's second officer). The office then nominated
another resident, `nominee-a2`, whom the unit approved (one ballot online, the rest on paper): she leads the unit from
tomorrow, when the sitting leader's role ends. Residents of three of the district's six units signed a petition
against the rice levy, which is past the district's threshold and so went up to the city committee.

Built through the services (every record is audited); idempotent."""

from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from inminban.areas import services as area_services
from inminban.areas.models import Area, Role, RoleAssignment
from inminban.duties.models import Levy
from inminban.governance import petitions, votes
from inminban.governance.models import ConsentVote, Nomination, Petition
from inminban.governance.rules import sitting_leader
from inminban.registry.models import Household, Membership, Person

from .demo import REGISTRY_START, _user

DEMO_PETITION_TITLE = "Lower the rice levy for this winter"
DEMO_UNIT = "HS-A2"
CAST_GOVERNANCE = ["nominee-a2", "resident-a2", "resident-a3"]


def _head(unit: Area, number: int) -> Person:
    """The head of the unit's household with this position (1 is the first) by household number."""
    heads = Membership.objects.filter(household__unit=unit, relation="head", until__isnull=True)
    return heads.order_by("household__number")[number - 1].person


def _resident_account(admin: User, username: str, person: Person) -> User:
    user = _user(username)
    if not RoleAssignment.objects.filter(user=user, role=Role.RESIDENT).exists():
        area_services.role_assign(actor=admin, user=user, role=Role.RESIDENT, person=person, since=REGISTRY_START)
    return user


def _decided_by_meeting(
    *,
    officer: User,
    clerk: User,
    unit: Area,
    nominee: Person,
    statement: str,
    yes: int,
    no: int,
    abstain: int,
    online: list[User] = (),
) -> ConsentVote:
    """A nomination whose vote ran its (short) window at build time: the ballots of `online`, all yes, then the
    meeting's paper tally over the next households in number order (not the nominee's nor the sitting leader's, who
    stay out of their own vote), then the close."""
    nomination = votes.nomination_create(
        actor=officer,
        unit=unit,
        nominee=nominee,
        statement=statement,
        closes_at=timezone.now() + timedelta(minutes=1),
    )
    vote = nomination.vote
    leader = sitting_leader(unit)
    voted = {nominee.household_id, leader.person.household_id if leader and leader.person_id else None}
    for user in online:
        participation = votes.ballot_cast(actor=user, vote=vote, choice="yes")
        voted.add(participation.household_id)
    households = [
        household
        for household in Household.objects.filter(unit=unit, dissolved_on__isnull=True).order_by("number")
        if household.pk not in voted
    ][: yes + no + abstain]
    votes.paper_tally_enter(
        actor=clerk,
        vote=vote,
        sheet_number=str(nomination.pk),
        yes=yes,
        no=no,
        abstain=abstain,
        households=households,
    )
    return votes.vote_close(vote=vote, now=vote.closes_at)


def build_demo_governance(cast: dict) -> bool:
    """Add the demo nominations and petition unless they are there; True when something was built."""
    if Petition.objects.filter(title=DEMO_PETITION_TITLE).exists():
        return False
    with transaction.atomic():
        admin, officer, second_officer = cast["admin"], cast["officer-a"], cast["officer-a2"]
        unit = Area.objects.get(code=DEMO_UNIT)
        district = unit.parent
        if not Nomination.objects.filter(unit=unit).exists():
            rejected = _head(unit, 3)
            _decided_by_meeting(
                officer=officer,
                clerk=second_officer,
                unit=unit,
                nominee=rejected,
                statement="15 years at the district's supply office; knows everyone who matters.",
                yes=5,
                no=12,
                abstain=1,
            )
            approved = _head(unit, 4)
            nominee_account = _resident_account(admin, "nominee-a2", approved)
            _named(nominee_account, approved.full_name)
            _decided_by_meeting(
                officer=officer,
                clerk=second_officer,
                unit=unit,
                nominee=approved,
                statement="Has kept the unit's water pump running for ten years; asks for nothing in return.",
                yes=13,
                no=3,
                abstain=1,
                online=[_resident_account(admin, "resident-a2", _head(unit, 1))],
            )
        levy = Levy.objects.get(title_en="Rice for the army", area=district)
        opener = cast["resident-a1"]
        petition = petitions.petition_open(
            actor=opener,
            subject=Petition.Subject.OBLIGATION,
            title=DEMO_PETITION_TITLE,
            text="After the poor harvest many households cannot give 5 kg each. We ask the office to halve the levy "
            "for households with small children or old people, and to let the rest deliver in two parts.",
            levy=levy,
        )
        units = list(Area.objects.filter(parent=district).order_by("code"))
        signers = [User.objects.get(username="resident-a2")]
        if len(units) > 2:
            signers.append(_resident_account(admin, "resident-a3", _head(units[2], 1)))
        for signer in signers:
            petitions.petition_sign(actor=signer, petition=petition)
    return True


def _named(user: User, name: str) -> None:
    user.first_name = name[:150]
    user.save(update_fields=["first_name"])
