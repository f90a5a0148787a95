"""Bad input: a 4xx naming the field to blame, and nothing written, not even an audit entry."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from inminban.registry.models import Household, Membership

from .conftest import call, error_fields


@pytest.fixture
def leader(client_for):
    return client_for("leader-a1")


@pytest.fixture
def own_household(unit_a1) -> Household:
    return Household.objects.filter(unit=unit_a1).order_by("number").first()


def rejected(response, status: int, field: str) -> list[str]:
    assert response.status_code == status, response.content
    fields = error_fields(response)
    assert field in fields, fields
    assert fields[field] and all(isinstance(message, str) and message for message in fields[field])
    return fields[field]


def _dwelling(**changes) -> dict:
    return {"unit": "HS-A1", "address": "시험거리 5", "kind": "detached", "floor_area_m2": 55} | changes


def _household(**changes) -> dict:
    return {"unit": "HS-A1", "number": "HS-A1-T99", "registered_on": "2024-05-01"} | changes


def _person(household: Household, **changes) -> dict:
    body = {
        "household": household.pk,
        "family_name": "리",
        "given_name": "순희",
        "birth_date": "2024-03-02",
        "sex": "F",
        "relation": "grandchild",
        "since": "2024-03-02",
    }
    return body | changes


# Dates ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2024-13-45", "2024-02-30", "24-01-01", "2024-01-01T00:00:00", "", "yesterday"])
def test_impossible_or_malformed_date_is_refused(value, leader, unchanged):
    rejected(call(leader, "POST", "/households", _household(registered_on=value)), 422, "registered_on")


def test_invalid_date_in_a_patch_is_refused(leader, own_household, unchanged):
    response = call(leader, "PATCH", f"/persons/{own_household.head_id}", {"birth_date": "2024-13-45"})
    rejected(response, 422, "birth_date")


@pytest.mark.parametrize("path", ["/households", "/persons", "/memberships", "/dwellings", "/moves"])
def test_invalid_date_filter_is_refused(path, leader, unchanged):
    rejected(call(leader, "GET", f"{path}?on=2024-13-45"), 422, "on")


def test_invalid_members_date_is_refused(leader, own_household, unchanged):
    rejected(call(leader, "GET", f"/households/{own_household.pk}/members?on=2024-13-45"), 422, "on")


def test_birth_date_in_the_future_is_refused(leader, own_household, unchanged):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = call(leader, "POST", "/persons", _person(own_household, birth_date=tomorrow, since=tomorrow))
    messages = rejected(response, 422, "birth_date")
    assert "future" in messages[0]


def test_membership_overlapping_another_is_refused(leader, own_household, unit_a1, unchanged):
    current = Membership.objects.filter(household=own_household, until__isnull=True).order_by("since").first()
    elsewhere = Household.objects.filter(unit=unit_a1).exclude(pk=own_household.pk).first()
    body = {
        "household": elsewhere.pk,
        "person": current.person_id,
        "relation": "lodger",
        "since": (current.since + timedelta(days=10)).isoformat(),
    }
    messages = rejected(call(leader, "POST", "/memberships", body), 422, "since")
    assert "overlap" in messages[0]


def test_membership_ending_before_it_begins_is_refused(leader, own_household, unchanged):
    membership = Membership.objects.filter(household=own_household, until__isnull=True).first()
    response = call(leader, "PATCH", f"/memberships/{membership.pk}", {"until": membership.since.isoformat()})
    rejected(response, 422, "until")


# References -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("/dwellings", _dwelling(unit="XX-NOWHERE"), "unit"),
        ("/households", _household(unit="XX-NOWHERE"), "unit"),
        ("/areas", {"parent": "XX-NOWHERE", "level": "unit", "code": "HS-A7", "name_en": "Seven"}, "parent"),
    ],
)
def test_unknown_area_code_in_body_is_refused(path, body, field, client_for, unchanged):
    rejected(call(client_for("officer-a"), "POST", path, body), 422, field)


def test_area_of_another_district_in_body_is_refused_like_an_unknown_one(client_for, unchanged):
    response = call(client_for("officer-a"), "POST", "/dwellings", _dwelling(unit="HS-B1"))
    assert rejected(response, 422, "unit") == ["No area 'HS-B1' that you can see."]


def test_unknown_area_level_is_refused(client_for, unchanged):
    body = {"parent": "HS-A", "level": "village", "code": "HS-A7", "name_en": "Seven"}
    rejected(call(client_for("officer-a"), "POST", "/areas", body), 422, "level")


@pytest.mark.parametrize("path", ["/households", "/persons", "/memberships", "/dwellings", "/moves"])
def test_unknown_area_code_in_filter_is_refused(path, leader, unchanged):
    rejected(call(leader, "GET", f"{path}?area=XX-NOWHERE"), 422, "area")


def test_unknown_area_in_areas_filter_is_refused(leader, unchanged):
    rejected(call(leader, "GET", "/areas?within=XX-NOWHERE"), 422, "within")


@pytest.mark.parametrize("field", ["household", "person"])
def test_unknown_ids_in_a_membership_are_refused(field, leader, own_household, unchanged):
    body = {"household": own_household.pk, "person": own_household.head_id, "relation": "lodger", "since": "2001-01-01"}
    body[field] = 10**9
    rejected(call(leader, "POST", "/memberships", body), 422, field)


def test_dwelling_of_another_unit_is_refused_for_a_move(leader, own_household, unit_b1, unchanged):
    from inminban.registry.models import Dwelling

    dwelling = Dwelling.objects.filter(unit=unit_b1).first()
    body = {"dwelling": dwelling.pk, "on": "2025-01-01"}
    rejected(call(leader, "POST", f"/households/{own_household.pk}/move", body), 422, "dwelling")


# Malformed and oversized bodies -----------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ['{"unit": "HS-A1", "address": ', "not json at all", "[1, 2", "\x00\x01"])
def test_malformed_json_is_a_400_in_our_format(raw, leader, unchanged):
    response = call(leader, "POST", "/dwellings", raw)
    rejected(response, 400, "body")
    assert response.json()["error"] == "bad_request"


def test_json_that_is_not_an_object_is_refused(leader, unchanged):
    assert call(leader, "POST", "/dwellings", "[1, 2]").status_code == 422


def test_oversized_body_is_a_413(leader, unchanged):
    body = _dwelling(address="가" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1))
    response = call(leader, "POST", "/dwellings", body)
    rejected(response, 413, "body")
    assert response.json()["error"] == "too_large"


def test_oversized_body_with_idempotency_key_is_a_413(leader, unchanged):
    body = _dwelling(address="x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1))
    rejected(call(leader, "POST", "/dwellings", body, **{"Idempotency-Key": "big-1"}), 413, "body")


# Types, unknown fields, empty strings -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"floor_area_m2": "55"}, "floor_area_m2"),  # a string for an int
        ({"floor_area_m2": 55.5}, "floor_area_m2"),
        ({"floor_area_m2": True}, "floor_area_m2"),
        ({"floor_area_m2": 4}, "floor_area_m2"),  # out of range
        ({"kind": "castle"}, "kind"),  # not one of the model's choices
        ({"address": 12}, "address"),
        ({"unit": ["HS-A1"]}, "unit"),
    ],
)
def test_wrong_types_are_refused(changes, field, leader, unchanged):
    rejected(call(leader, "POST", "/dwellings", _dwelling(**changes)), 422, field)


@pytest.mark.parametrize("value", [20240501, 1714521600.0, True, ["2024-05-01"], {"y": 2024}])
def test_non_string_date_is_refused(value, leader, unchanged):
    rejected(call(leader, "POST", "/households", _household(registered_on=value)), 422, "registered_on")


def test_string_id_is_refused(leader, own_household, unchanged):
    body = _person(own_household) | {"household": str(own_household.pk)}
    rejected(call(leader, "POST", "/persons", body), 422, "household")


def test_unknown_fields_are_refused(leader, unchanged):
    response = call(leader, "POST", "/dwellings", _dwelling(colour="blue", owner_opinion="x"))
    assert response.status_code == 422
    assert {"colour", "owner_opinion"} <= set(error_fields(response))


def test_unknown_fields_in_a_patch_are_refused(leader, own_household, unchanged):
    response = call(leader, "PATCH", f"/households/{own_household.pk}", {"head": own_household.head_id, "unit": "X"})
    rejected(response, 422, "unit")


def test_fields_a_patch_cannot_change_are_refused(leader, own_household, unchanged):
    response = call(leader, "PATCH", f"/dwellings/{own_household.dwelling_id}", {"unit": "HS-A2"})
    rejected(response, 422, "unit")


def test_empty_patch_is_refused(leader, own_household, unchanged):
    rejected(call(leader, "PATCH", f"/dwellings/{own_household.dwelling_id}", {}), 422, "body")


def test_null_for_a_field_that_cannot_be_empty_is_refused(leader, own_household, unchanged):
    rejected(call(leader, "PATCH", f"/persons/{own_household.head_id}", {"family_name": None}), 422, "family_name")


@pytest.mark.parametrize("value", ["", "   "])
def test_empty_required_string_is_refused(value, leader, unchanged):
    rejected(call(leader, "POST", "/dwellings", _dwelling(address=value)), 422, "address")


@pytest.mark.parametrize("field", ["family_name", "given_name"])
def test_empty_name_is_refused(field, leader, own_household, unchanged):
    rejected(call(leader, "POST", "/persons", _person(own_household, **{field: ""})), 422, field)


def test_control_characters_are_refused(leader, unchanged):
    rejected(call(leader, "POST", "/dwellings", _dwelling(address="시험\x00거리")), 422, "address")


def test_missing_required_field_is_refused(leader, unchanged):
    body = _household()
    del body["registered_on"]
    rejected(call(leader, "POST", "/households", body), 422, "registered_on")


@pytest.mark.parametrize("query, field", [("limit=501", "limit"), ("limit=0", "limit"), ("offset=-1", "offset")])
def test_page_bounds_are_enforced(query, field, leader):
    rejected(call(leader, "GET", f"/persons?{query}"), 422, field)


def test_income_amount_must_be_a_number(leader, own_household, unchanged):
    body = {"amount": "lots", "since": "2025-01-01"}
    rejected(call(leader, "POST", f"/persons/{own_household.head_id}/incomes", body), 422, "amount")
