"""Booleans: JSON true or false in a body, the words true or false in a query string, nothing else, on every
operation. Found from the OpenAPI document, so a boolean added later is checked too."""

import pytest

from inminban.registry.models import Household

from .conftest import API, call

BAD_IN_BODY = [1, 0, "true", "false", "yes", "on", "1"]
BAD_IN_QUERY = ["1", "0", "yes", "no", "on", "off", "True", "FALSE", "t", ""]


def _is_boolean(schema: dict) -> bool:
    return schema.get("type") == "boolean" or any(_is_boolean(option) for option in schema.get("anyOf", []))


def _path(template: str) -> str:
    """The path with each parameter filled in: the value is looked at only after the input has been validated."""
    path = template.removeprefix(API)
    for name, value in (("{code}", "HS"), ("{serial}", "00000000-0000-0000-0000-000000000000")):
        path = path.replace(name, value)
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        path = path[:start] + "1" + path[end + 1 :]
    return path


def _booleans(document: dict):
    """(method, path, "query" or "body", name) for every boolean an operation takes."""
    components = document["components"]["schemas"]
    for template, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and _is_boolean(parameter["schema"]):
                    yield method, _path(template), "query", parameter["name"]
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            if "$ref" in body:
                properties = components[body["$ref"].rsplit("/", 1)[-1]].get("properties", {})
                for name, schema in properties.items():
                    if _is_boolean(schema):
                        yield method, _path(template), "body", name


@pytest.fixture
def admin(token_for):
    return token_for("admin")


@pytest.fixture
def booleans(db, client):
    return sorted(set(_booleans(client.get(f"{API}/openapi.json").json())))


def test_the_document_has_the_booleans_we_know_of(booleans):
    names = {(where, name) for _, _, where, name in booleans}
    assert {
        ("body", "requires_ack"),
        ("body", "approve"),
        ("query", "active"),
        ("query", "revoked"),
        ("query", "eligible"),
    } <= names


def test_nothing_but_true_or_false_is_a_boolean(booleans, admin, unchanged):
    for method, path, where, name in booleans:
        for value in BAD_IN_QUERY if where == "query" else BAD_IN_BODY:
            if where == "query":
                response = call(admin, method, f"{path}?{name}={value}")
            else:
                response = call(admin, method, path, {name: value})
            assert response.status_code == 422, (method, path, name, value, response.content)
            assert name in response.json()["fields"], (method, path, name, value, response.json())


def test_true_and_false_are_booleans(admin, unit_a1):
    for query in ("revoked=true", "revoked=false"):
        assert call(admin, "GET", f"/stamps?{query}").status_code == 200
    for query in ("active=true", "active=false"):
        assert call(admin, "GET", f"/directives?{query}").status_code == 200
    household = Household.objects.filter(unit=unit_a1).first()
    assert call(admin, "GET", f"/stamps?household={household.pk}&revoked=false").status_code == 200
