"""What the API tests share: JSON calls, the objects the access matrix addresses, row counts for "nothing changed"."""

import json
from dataclasses import dataclass
from datetime import date

import pytest
from django.test import Client

from inminban.api.tokens import token_create
from inminban.areas.models import Area, RoleAssignment
from inminban.audit.models import AuditEntry
from inminban.registry import services
from inminban.registry.models import (
    DeclaredIncome,
    Dwelling,
    Household,
    Membership,
    Move,
    Occupation,
    Person,
    Residence,
)

API = "/api/v1"


def call(client: Client, method: str, path: str, body=None, **headers):
    """One API request; `body` is sent as JSON unless it is already a string."""
    kwargs = {}
    if body is not None:
        kwargs["data"] = body if isinstance(body, str | bytes) else json.dumps(body)
        kwargs["content_type"] = "application/json"
    return getattr(client, method.lower())(API + path, headers=headers or None, **kwargs)


def error_fields(response) -> dict:
    payload = response.json()
    assert set(payload) == {"error", "detail", "fields"}, payload
    return payload["fields"]


def counts() -> dict[str, int]:
    models = [Area, Dwelling, Household, Residence, Person, Membership, Occupation, DeclaredIncome, Move, AuditEntry]
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture
def unchanged(db):
    """Asserts, after a bad-input test, that no registry row and no audit entry was written."""
    before = counts()
    yield
    assert counts() == before


@pytest.fixture
def token_for(db):
    """A bearer-token client for one of the cast (no session cookie)."""

    def make(username: str) -> Client:
        from django.contrib.auth.models import User

        _, token = token_create(actor=None, user=User.objects.get(username=username))
        return Client(headers={"Authorization": f"Bearer {token}"})

    return make


@dataclass
class Side:
    """The objects of one unit that the access matrix reads and writes."""

    unit: Area
    household: Household
    person: Person
    membership: Membership
    dwelling: Dwelling  # where the household lives now
    spare_dwelling: Dwelling  # empty, to move into
    other_household: Household  # another household of the same unit
    move: Move
    occupation_since: date
    occupation: Occupation  # a job of someone in the household
    income: DeclaredIncome  # an income declared by `person`

    @property
    def district(self) -> Area:
        return self.unit.parent


MOVED_ON = date(2024, 6, 1)


def _side(admin, unit: Area, household: Household) -> Side:
    first_new = services.dwelling_create(actor=admin, unit=unit, address="시험거리 1")
    spare = services.dwelling_create(actor=admin, unit=unit, address="시험거리 2")
    move = services.household_move(actor=admin, household=household, dwelling=first_new, on=MOVED_ON)
    person = household.head
    return Side(
        unit=unit,
        household=household,
        person=person,
        membership=Membership.objects.get(person=person, until__isnull=True),
        dwelling=first_new,
        spare_dwelling=spare,
        other_household=Household.objects.filter(unit=unit).exclude(pk=household.pk).order_by("number").first(),
        move=move,
        occupation_since=date(2026, 6, 1),
        occupation=Occupation.objects.filter(person__household=household).order_by("pk").first(),
        income=services.income_declare(
            actor=admin, person=person, amount="3000", currency="KPW", period="month", since=date(2024, 1, 1)
        ),
    )


@pytest.fixture
def world(cast, unit_a1, unit_b1) -> dict[str, Side]:
    """Side "a": unit HS-A1 around resident-a1's own household; side "b": the first household of HS-B1."""
    resident_person = RoleAssignment.objects.get(user=cast["resident-a1"], role="resident").person
    own = resident_person.household
    assert own.head_id == resident_person.pk
    other = Household.objects.filter(unit=unit_b1).order_by("number").first()
    return {"a": _side(cast["admin"], unit_a1, own), "b": _side(cast["admin"], unit_b1, other)}
