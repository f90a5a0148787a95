"""Reads: paging, and the access log that person and household reads leave behind."""

import pytest

from inminban.audit.models import AccessLogEntry
from inminban.registry.models import Household

from .conftest import call


@pytest.fixture
def officer(client_for):
    return client_for("officer-a")


def _page(client, path) -> dict:
    response = call(client, "GET", path)
    assert response.status_code == 200, response.content
    return response.json()


def test_pagination(officer):
    everything = _page(officer, "/persons?limit=500")
    first = _page(officer, "/persons?limit=3")
    second = _page(officer, "/persons?limit=3&offset=3")
    assert first["count"] == second["count"] == everything["count"] > 6
    assert [item["id"] for item in first["items"] + second["items"]] == [item["id"] for item in everything["items"][:6]]


def test_reading_a_person_or_household_is_in_the_access_log(officer, unit_a1):
    household = Household.objects.filter(unit=unit_a1).order_by("number").first()
    before = AccessLogEntry.objects.count()
    assert call(officer, "GET", f"/persons/{household.head_id}").status_code == 200
    assert call(officer, "GET", f"/households/{household.pk}").status_code == 200
    entries = AccessLogEntry.objects.order_by("-id")[:2]
    assert AccessLogEntry.objects.count() == before + 2
    assert {entry.channel for entry in entries} == {"api"}
    assert {entry.actor_name for entry in entries} == {"officer-a"}
    assert {entry.household_id for entry in entries} == {household.pk}


def test_lists_do_not_write_the_access_log(officer):
    before = AccessLogEntry.objects.count()
    assert _page(officer, "/persons?limit=500")["items"]
    assert AccessLogEntry.objects.count() == before
