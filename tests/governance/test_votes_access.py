"""The access matrix of every vote, nomination, appointment and rules endpoint: anonymous 401; a resident of another
unit 404; the unit's leader reads its votes but may not nominate or enter tallies (403); the auditor reads, every
write 403; officer-b (another district) 404 on district A's votes; officer-a and the admin may. A refused request
writes nothing."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from api.conftest import call, error_fields
from inminban.areas import services as area_services
from inminban.areas.models import Role
from inminban.governance import votes
from inminban.governance.models import ConsentVote

from .voting import move_window_to_past, snapshot


@dataclass
class World:
    vote: ConsentVote  # open, in HS-A1
    ended: ConsentVote  # its window over, not yet closed, in HS-A2
    free_household: int  # a household of HS-A1 that has not voted
    nominee: int  # a resident of HS-A1 who could be nominated


@pytest.fixture
def world(cast, unit_a1, unit_a2, household_a1, other_household_a1, django_user_model) -> World:
    from inminban.registry.models import Household, Person

    officer = cast["officer-a2"]
    third = Household.objects.filter(unit=unit_a1).order_by("number")[
        2
    ]  # the first is resident-a1's, the second the leader's
    vote = votes.nomination_create(actor=officer, unit=unit_a1, nominee=third.head, statement="A1의 후보").vote
    a2 = Household.objects.filter(unit=unit_a2).order_by("number")
    ended = votes.nomination_create(actor=officer, unit=unit_a2, nominee=a2[2].head, statement="A2의 후보").vote
    move_window_to_past(ended)
    # a resident of HS-A2, who must not see HS-A1's vote
    outsider = django_user_model.objects.create_user("resident-a2")
    area_services.role_assign(actor=cast["admin"], user=outsider, role=Role.RESIDENT, person=a2[0].head)
    free = Household.objects.filter(unit=unit_a1).exclude(pk__in=[household_a1.pk]).order_by("-number").first()
    nominee = (
        Person.objects.filter(household__unit=unit_a1, status="resident")
        .exclude(pk=other_household_a1.head_id)
        .exclude(household=household_a1)
        .order_by("pk")
        .first()
    )
    return World(vote=vote, ended=ended, free_household=free.pk, nominee=nominee.pk)


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: object
    body: object = None
    ok: int = 200
    writes: bool = False
    # role -> expected status where the role's general rule does not hold
    expect: tuple = ()

    def __str__(self) -> str:
        return self.name


READ = {"admin": 200, "officer-a": 200, "officer-b": 404, "leader-a1": 200, "auditor": 200, "resident-a1": 200,
        "resident-a2": 404}  # fmt: skip
OFFICE_WRITE = {"admin": 200, "officer-a": 200, "officer-b": 404, "leader-a1": 403, "auditor": 403,
                "resident-a1": 403, "resident-a2": 404}  # fmt: skip

ENDPOINTS = [
    Endpoint("vote detail", "GET", lambda w: f"/votes/{w.vote.pk}", expect=tuple(READ.items())),
    Endpoint(
        "vote list",
        "GET",
        lambda w: "/votes",
        expect=tuple({role: 200 for role in READ}.items()),
    ),
    Endpoint("nomination detail", "GET", lambda w: f"/nominations/{w.vote.nomination_id}", expect=tuple(READ.items())),
    Endpoint("nomination list", "GET", lambda w: "/nominations", expect=tuple({role: 200 for role in READ}.items())),
    Endpoint("appointment list", "GET", lambda w: "/appointments", expect=tuple({role: 200 for role in READ}.items())),
    Endpoint(
        "rules read",
        "GET",
        lambda w: "/offices/HS-A-OFFICE/governance-rules",
        expect=tuple((READ | {"leader-a1": 404, "resident-a1": 404}).items()),
    ),
    Endpoint(
        "rules write",
        "PUT",
        lambda w: "/offices/HS-A-OFFICE/governance-rules",
        lambda w: {"window_days": 9},
        writes=True,
        # the office is out of view of its leader and residents; its own officer may not set its rules (the city's
        # officers and administrators do)
        expect=tuple((OFFICE_WRITE | {"officer-a": 403, "leader-a1": 404, "resident-a1": 404}).items()),
    ),
    Endpoint(
        "nominate",
        "POST",
        lambda w: "/nominations",
        lambda w: {"unit": "HS-A2", "nominee": w.nominee, "statement": "다른 반의 후보"},
        writes=True,
        # officer-b names a unit outside its district: a 422 naming the unit; HS-A2 already has an open vote for
        # the others, so the body names HS-A1's person for HS-A2 and the admin and officer-a get 422 naming nominee.
        expect=(
            ("admin", 422),
            ("officer-a", 422),
            ("officer-b", 422),
            ("leader-a1", 403),
            ("auditor", 403),
            ("resident-a1", 403),
            ("resident-a2", 403),
        ),  # fmt: skip
    ),
    Endpoint(
        "ballot",
        "POST",
        lambda w: f"/votes/{w.vote.pk}/ballots",
        lambda w: {"choice": "yes"},
        ok=201,
        writes=True,
        expect=(
            ("admin", 403),
            ("officer-a", 403),
            ("officer-b", 404),
            ("leader-a1", 422),
            ("auditor", 403),
            ("resident-a1", 201),
            ("resident-a2", 404),
        ),  # fmt: skip
    ),
    Endpoint(
        "paper tally",
        "POST",
        lambda w: f"/votes/{w.vote.pk}/paper-tallies",
        lambda w: {"sheet_number": "M-1", "yes": 1, "no": 0, "abstain": 0, "households": [w.free_household]},
        writes=True,
        expect=tuple((OFFICE_WRITE | {"admin": 201, "officer-a": 201}).items()),
    ),
    Endpoint(
        "close",
        "POST",
        lambda w: f"/votes/{w.ended.pk}/close",
        writes=True,
        expect=tuple((OFFICE_WRITE | {"leader-a1": 404, "resident-a1": 404, "resident-a2": 403}).items()),  # in HS-A2
    ),
    Endpoint(
        "withdraw",
        "POST",
        lambda w: f"/votes/{w.vote.pk}/withdraw",
        lambda w: {"reason": "잘못 지명함"},
        writes=True,
        expect=tuple(OFFICE_WRITE.items()),
    ),
]

CASES = [pytest.param(endpoint, role, id=f"{endpoint}-{role}") for endpoint in ENDPOINTS for role, _ in endpoint.expect]


@pytest.mark.parametrize("endpoint, role", CASES)
def test_vote_endpoint_access(endpoint: Endpoint, role: str, world, client_for):
    client = client_for(role)
    want = dict(endpoint.expect)[role]
    before = snapshot()
    body = endpoint.body(world) if endpoint.body else None
    response = call(client, endpoint.method, endpoint.path(world), body)
    assert response.status_code == want, response.content
    if want >= 400:
        error_fields(response)
        assert snapshot() == before, "a refused request wrote something"
    elif endpoint.writes:
        assert snapshot()["AuditEntry"] > before["AuditEntry"]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_anonymous_gets_401(endpoint: Endpoint, world, client_for):
    before = snapshot()
    body = endpoint.body(world) if endpoint.body else None
    response = call(client_for(None), endpoint.method, endpoint.path(world), body)
    assert response.status_code == 401 and response.json()["error"] == "unauthenticated"
    assert snapshot() == before


def test_lists_hold_only_what_the_role_may_see(world, client_for):
    expected = {"admin": True, "officer-a": True, "officer-b": False, "leader-a1": True, "auditor": True,
                "resident-a1": True, "resident-a2": False}  # fmt: skip
    for role, sees in expected.items():
        ids = {item["id"] for item in call(client_for(role), "GET", "/votes?limit=500").json()["items"]}
        assert (world.vote.pk in ids) is sees, role
        nominations = {item["id"] for item in call(client_for(role), "GET", "/nominations?limit=500").json()["items"]}
        assert (world.vote.nomination_id in nominations) is sees, role
    # A resident of HS-A1 sees their unit's vote, not HS-A2's.
    ids = {item["id"] for item in call(client_for("resident-a1"), "GET", "/votes").json()["items"]}
    assert world.ended.pk not in ids


def test_closing_before_the_window_ends_is_refused(world, client_for):
    before = snapshot()
    response = call(client_for("officer-a"), "POST", f"/votes/{world.vote.pk}/close")
    assert response.status_code == 422 and "closes_at" in error_fields(response)
    assert snapshot() == before
    assert world.vote.closes_at > timezone.now() + timedelta(days=1)
