"""Fixtures the registry's date tests share: two households of unit A1 and a member who is not the head."""

import pytest

from inminban.registry.models import Household, Membership, Person


@pytest.fixture
def household(unit_a1) -> Household:
    return Household.objects.filter(unit=unit_a1).order_by("number").first()


@pytest.fixture
def other_household(unit_a1) -> Household:
    return Household.objects.filter(unit=unit_a1).order_by("number")[1]


@pytest.fixture
def member(household) -> Person:
    return Membership.objects.filter(household=household, until=None).exclude(relation="head").first().person
