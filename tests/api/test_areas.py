"""The area tree over the API: filters, one-name areas, and model validation answered as a 422."""

import json

from django.core.exceptions import ValidationError

from inminban.api.v1 import on_model_validation_error
from inminban.areas.models import Area

from .conftest import call, error_fields


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["code"] for item in response.json()["items"]]


def test_within_and_level_filters(client_for):
    admin = client_for("admin")
    assert codes(call(admin, "GET", "/areas?within=HS-A")) == ["HS-A", "HS-A1", "HS-A2"]
    assert codes(call(admin, "GET", "/areas?within=HS&level=unit")) == ["HS-A1", "HS-A2", "HS-B1", "HS-B2"]
    assert codes(call(client_for("officer-a"), "GET", "/areas?level=unit")) == ["HS-A1", "HS-A2"]


def test_unknown_level_filter_is_refused(client_for):
    response = call(client_for("admin"), "GET", "/areas?level=village")
    assert response.status_code == 422
    assert "level" in error_fields(response)


def test_an_area_may_have_only_one_name(client_for):
    officer = client_for("officer-a")
    body = {"parent": "HS-A", "level": "unit", "code": "HS-A3", "name_en": "Songhu-dong unit 3"}
    response = call(officer, "POST", "/areas", body)
    assert response.status_code == 201, response.content
    assert response.json() == {
        "code": "HS-A3",
        "name_ko": "",
        "name_en": "Songhu-dong unit 3",
        "level": "unit",
        "parent": "HS-A",
        "path": "/KP/RG/HS/HS-A/HS-A3/",
        "depth": 4,
        "is_unit": True,
    }
    response = call(officer, "PATCH", "/areas/HS-A3", {"name_ko": "성후동 3인민반", "name_en": ""})
    assert response.status_code == 200
    assert Area.objects.values_list("name_ko", "name_en").get(code="HS-A3") == ("성후동 3인민반", "")


def test_an_area_needs_at_least_one_name(client_for, unchanged):
    response = call(client_for("officer-a"), "PATCH", "/areas/HS-A1", {"name_ko": "", "name_en": "  "})
    assert response.status_code == 422
    assert "name_en" in error_fields(response)


def test_area_codes_are_unique(client_for, unchanged):
    body = {"parent": "HS-A", "level": "unit", "code": "HS-B1", "name_en": "Clash"}
    response = call(client_for("admin"), "POST", "/areas", body)
    assert response.status_code == 422
    assert "code" in error_fields(response)


def test_model_validation_error_is_a_422_naming_the_field(rf):
    error = ValidationError({"name_ko": ["This field cannot be blank."], "__all__": ["Inconsistent."]})
    response = on_model_validation_error(rf.post("/api/v1/areas"), error)
    assert response.status_code == 422
    assert json.loads(response.content)["fields"] == {
        "name_ko": ["This field cannot be blank."],
        "body": ["Inconsistent."],
    }
