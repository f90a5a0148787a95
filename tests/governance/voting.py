"""What the consent-vote tests share: a unit of many households with resident accounts (made through the registry
and areas services), a sitting leader, the governance tables' row counts, and moving a vote's window into the past
(time simulated: nothing sleeps)."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import count

from django.contrib.auth.models import User
from django.db.models import F
from django.utils import timezone

from inminban.areas import services as area_services
from inminban.areas.models import Area, AreaLevel, Role, RoleAssignment
from inminban.audit.models import AuditEntry
from inminban.governance.models import (
    Appointment,
    ConsentVote,
    GovernanceRules,
    Nomination,
    Notification,
    PaperTally,
    Participation,
    Tally,
)
from inminban.registry import services as registry
from inminban.registry.models import Household, Person

SINCE = date(2020, 1, 1)
_numbers = count(1)


@dataclass
class VotingUnit:
    unit: Area
    households: list[Household]
    residents: list[User]  # accounts of the first households' heads, in household order
    leader: User  # the sitting leader: the head of the last household
    leader_assignment: RoleAssignment
    heads: list[Person] = field(default_factory=list)


def voting_unit(*, households: int = 25, accounts: int = 18, district_code: str = "HS-A") -> VotingUnit:
    """A new unit under the district with `households` one-person households (heads born 1970), resident accounts
    for the first `accounts` of them, and a sitting leader (the last household's head, an account of their own)."""
    admin = User.objects.get(username="admin")
    district = Area.objects.get(code=district_code)
    n = next(_numbers)
    unit = area_services.area_create(
        actor=admin,
        parent=district,
        level=AreaLevel.objects.get(is_unit=True),
        code=f"{district_code}V{n}",
        name_ko=f"투표 {n}반",
        name_en=f"Voting unit {n}",
    )
    made = []
    for index in range(households):
        number = next(_numbers)
        made.append(
            registry.household_register_with_head(
                actor=admin,
                unit=unit,
                number=f"V-{unit.code}-{index + 1:03d}",
                registered_on=SINCE,
                new_head={
                    "family_name": "주",
                    "given_name": f"민{number}",
                    "birth_date": date(1970, 1, 1),
                    "sex": "F" if index % 2 else "M",
                    "national_id": f"800202-2{number:06d}",
                },
            )
        )
    residents = []
    for household in made[:accounts]:
        user = User.objects.create_user(username=f"v-{household.number.lower()}")
        area_services.role_assign(actor=admin, user=user, role=Role.RESIDENT, person=household.head, since=SINCE)
        residents.append(user)
    leader = User.objects.create_user(username=f"v-leader-{unit.code.lower()}")
    assignment = area_services.role_assign(
        actor=admin, user=leader, role=Role.LEADER, area=unit, person=made[-1].head, since=SINCE
    )
    return VotingUnit(
        unit=unit,
        households=made,
        residents=residents,
        leader=leader,
        leader_assignment=assignment,
        heads=[h.head for h in made],
    )


def move_window_to_past(vote: ConsentVote, *, days: int = 1) -> None:
    """Simulate the passing of time: the vote's window ended `days` ago (its length kept)."""
    vote.refresh_from_db()
    shift = vote.closes_at - timezone.now() + timedelta(days=days)
    ConsentVote.objects.filter(pk=vote.pk).update(opens_at=F("opens_at") - shift, closes_at=F("closes_at") - shift)
    vote.refresh_from_db()


GOVERNANCE_MODELS = [
    GovernanceRules,
    Nomination,
    ConsentVote,
    PaperTally,
    Participation,
    Tally,
    Appointment,
    Notification,
    RoleAssignment,
    AuditEntry,
    User,
]


def snapshot() -> dict:
    """Counts of every governance table, role assignments, accounts and audit entries, and the tally counters."""
    counts = {model.__name__: model.objects.count() for model in GOVERNANCE_MODELS}
    counts["tally_sum"] = sum(Tally.objects.values_list("count", flat=True))
    counts["statuses"] = sorted(ConsentVote.objects.values_list("pk", "status"))
    return counts
