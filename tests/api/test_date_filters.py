"""`on=` answers as the registry stood that day; `area=` keeps a whole subtree."""

from datetime import date

import pytest

from inminban.registry import services
from inminban.registry.models import Household, Membership

from .conftest import call

MOVED_ON = date(2025, 3, 1)
BEFORE, ON = "2025-02-28", MOVED_ON.isoformat()


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    page = response.json()
    assert page["count"] == len(page["items"])
    return {item["id"] for item in page["items"]}


@pytest.fixture
def moved(cast, unit_a1, unit_a2) -> Household:
    """The first household of HS-A1, moved to a new dwelling in HS-A2 on MOVED_ON."""
    household = Household.objects.filter(unit=unit_a1).order_by("number").first()
    dwelling = services.dwelling_create(actor=cast["officer-a"], unit=unit_a2, address="이사거리 1")
    services.household_move(actor=cast["officer-a"], household=household, dwelling=dwelling, on=MOVED_ON)
    return household


@pytest.fixture
def officer(client_for):
    return client_for("officer-a")


def test_households_of_a_unit_on_a_past_date(moved, officer):
    assert moved.pk in ids(call(officer, "GET", f"/households?area=HS-A1&on={BEFORE}"))
    assert moved.pk not in ids(call(officer, "GET", f"/households?area=HS-A1&on={ON}"))
    assert moved.pk not in ids(call(officer, "GET", "/households?area=HS-A1"))
    assert moved.pk not in ids(call(officer, "GET", f"/households?area=HS-A2&on={BEFORE}"))
    assert moved.pk in ids(call(officer, "GET", f"/households?area=HS-A2&on={ON}"))
    assert moved.pk in ids(call(officer, "GET", "/households?area=HS-A2"))


def test_area_filter_takes_the_whole_subtree(moved, officer):
    district = ids(call(officer, "GET", "/households?area=HS-A&limit=500"))
    units = ids(call(officer, "GET", "/households?area=HS-A1&limit=500")) | ids(
        call(officer, "GET", "/households?area=HS-A2&limit=500")
    )
    assert district == units
    assert moved.pk in district


def test_households_before_they_were_registered_are_not_listed(officer, unit_a1):
    household = Household.objects.filter(unit=unit_a1).order_by("-registered_on").first()
    day_before = date.fromordinal(household.registered_on.toordinal() - 1).isoformat()
    assert household.pk not in ids(call(officer, "GET", f"/households?area=HS-A1&on={day_before}"))
    assert household.pk in ids(call(officer, "GET", f"/households?area=HS-A1&on={household.registered_on}"))


def test_persons_of_a_unit_on_a_past_date(moved, officer):
    members = set(Membership.objects.filter(household=moved, until__isnull=True).values_list("person_id", flat=True))
    assert members
    assert members <= ids(call(officer, "GET", f"/persons?area=HS-A1&on={BEFORE}&limit=500"))
    assert not members & ids(call(officer, "GET", f"/persons?area=HS-A1&on={ON}&limit=500"))
    assert members <= ids(call(officer, "GET", f"/persons?area=HS-A2&on={ON}&limit=500"))


def test_moves_on_or_before_a_date(moved, officer):
    assert not ids(call(officer, "GET", f"/moves?area=HS-A1&on={BEFORE}"))
    assert len(ids(call(officer, "GET", f"/moves?area=HS-A1&on={ON}"))) == 1
    assert len(ids(call(officer, "GET", "/moves?area=HS-A2"))) == 1


def test_dwellings_on_a_date_are_those_lived_in(moved, officer):
    new_dwelling = moved.dwelling_id
    assert new_dwelling in ids(call(officer, "GET", "/dwellings?area=HS-A2&limit=500"))
    assert new_dwelling not in ids(call(officer, "GET", f"/dwellings?area=HS-A2&on={BEFORE}&limit=500"))
    assert new_dwelling in ids(call(officer, "GET", f"/dwellings?area=HS-A2&on={ON}&limit=500"))


def test_members_on_a_date(cast, unit_a1, officer):
    household, target = Household.objects.filter(unit=unit_a1).order_by("number")[:2]
    mover = Membership.objects.filter(household=household, until__isnull=True).exclude(relation="head").first()
    services.person_move(actor=cast["officer-a"], person=mover.person, household=target, relation="lodger", on=MOVED_ON)

    def members(of: Household, on: str) -> set[int]:
        response = call(officer, "GET", f"/households/{of.pk}/members?on={on}")
        assert response.status_code == 200
        return {item["person"] for item in response.json()["items"]}

    assert mover.person_id in members(household, BEFORE)
    assert mover.person_id not in members(household, ON)
    assert mover.person_id not in members(target, BEFORE)
    assert mover.person_id in members(target, ON)
    # Without a date: today's members, as in the household's detail.
    detail = call(officer, "GET", f"/households/{target.pk}").json()
    assert mover.person_id in {member["person"] for member in detail["members"]}


def test_memberships_on_a_date(cast, unit_a1, officer):
    household, target = Household.objects.filter(unit=unit_a1).order_by("number")[:2]
    mover = Membership.objects.filter(household=household, until__isnull=True).exclude(relation="head").first()
    services.person_move(actor=cast["officer-a"], person=mover.person, household=target, relation="lodger", on=MOVED_ON)
    before = ids(call(officer, "GET", f"/memberships?area=HS-A1&on={BEFORE}&limit=500"))
    after = ids(call(officer, "GET", f"/memberships?area=HS-A1&on={ON}&limit=500"))
    assert mover.pk in before and mover.pk not in after
    new = Membership.objects.get(person=mover.person, until__isnull=True)
    assert new.pk in after and new.pk not in before
