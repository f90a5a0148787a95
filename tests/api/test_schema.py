"""The OpenAPI document and the docs page render, and the API keeps to its own schema under generated input.

The schemathesis run calls the WSGI application in-process, inside the test's transaction, with a bearer token;
it checks that no request gets a 5xx and that every answer matches the documented schema."""

from datetime import date

import pytest

from inminban.api.tokens import token_create
from inminban.registry import services
from inminban.registry.models import Household
from schema_run import CHECKS, RUNS, SCHEMA_RUN_SETTINGS, api_schema

from .conftest import API


def test_openapi_document_describes_every_resource(db, client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert "Idempotency-Key" in document["info"]["description"]
    paths = set(document["paths"])
    for path in [
        "/areas",
        "/areas/{code}",
        "/dwellings",
        "/dwellings/{dwelling_id}",
        "/households",
        "/households/{household_id}",
        "/households/{household_id}/members",
        "/households/{household_id}/move",
        "/persons",
        "/persons/{person_id}",
        "/persons/{person_id}/occupations",
        "/persons/{person_id}/incomes",
        "/persons/{person_id}/move",
        "/persons/{person_id}/leave",
        "/memberships",
        "/memberships/{membership_id}",
        "/moves",
        "/moves/{move_id}",
    ]:
        assert API + path in paths
    create = document["paths"][f"{API}/dwellings"]["post"]
    assert "201" in create["responses"] and "422" in create["responses"]
    assert create["summary"]
    schemas = document["components"]["schemas"]
    assert schemas["DwellingIn"]["additionalProperties"] is False
    assert schemas["DwellingIn"]["properties"]["kind"]["enum"] == ["row", "detached", "apartment"]
    assert schemas["HouseholdIn"]["properties"]["registered_on"]["format"] == "date"


def test_every_operation_is_in_exactly_one_schema_run(db, client):
    """A new router's tag must be added to a run in schema_run.RUNS, or its operations would go unchecked."""
    document = client.get(f"{API}/openapi.json").json()
    run_of_tag = {tag: run for run, tags in RUNS.items() for tag in tags}
    assert len(run_of_tag) == sum(len(tags) for tags in RUNS.values()), "a tag is in two runs"
    unchecked = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            runs = {run_of_tag.get(tag) for tag in operation.get("tags", [])}
            if len(runs) != 1 or None in runs:
                unchecked.append(f"{method.upper()} {path} {operation.get('tags')}")
    assert unchecked == []
    assert sum(len(operations) for operations in document["paths"].values()) > 100


def test_every_operation_documents_the_errors_it_can_answer(db, client):
    """What schemathesis cannot provoke in-process is documented all the same: a busy SQLite (503) on every
    operation, and on every write a malformed Idempotency-Key (400) or its first request still running (409)."""
    document = client.get(f"{API}/openapi.json").json()
    public = {("get", f"{API}/stamps/trust-list"): {"503"}, ("post", f"{API}/stamps/verify"): {"400", "409", "503"}}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            if (method, path) in public:
                assert public[method, path] <= statuses and "401" not in statuses, (method, path)
            elif method == "get":
                assert {"401", "503"} <= statuses, (method, path)
            else:
                assert {"400", "401", "403", "404", "409", "413", "422", "503"} <= statuses, (method, path)
            for status in statuses - {"200", "201", "202", "204"}:
                response = operation["responses"][status]
                assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorOut"}
                assert response["description"] and response["description"] != "OK", (method, path, status)
                if status in ("409", "503"):
                    assert response["headers"]["Retry-After"]["required"] is True
    assert set(document["components"]["schemas"]["ErrorOut"]["required"]) == {"error", "detail", "fields"}


def test_docs_page_renders(db, client):
    response = client.get(f"{API}/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content


@pytest.fixture
def some_moves(cast, unit_a1, unit_b1):
    """The demo records no moves; make two, so that the move endpoints have something to find."""
    admin = cast["admin"]
    for unit in (unit_a1, unit_b1):
        household = Household.objects.filter(unit=unit).order_by("number").first()
        dwelling = services.dwelling_create(actor=admin, unit=unit, address="시험거리 7")
        services.household_move(actor=admin, household=household, dwelling=dwelling, on=date(2025, 5, 1))


@pytest.fixture
def bearers(cast) -> list[dict[str, str]]:
    """The admin, who reaches everything, and a unit leader, whose requests mostly end in 404 and 422."""
    headers = []
    for username in ("admin", "leader-a1"):
        _, token = token_create(actor=None, user=cast[username])
        headers.append({"Authorization": f"Bearer {token}"})
    return headers


# The registry API's operations; other apps' routers have their own runs (schema_run.RUNS).
schema = api_schema("registry")

# Random ids, codes and dates almost never name a real object or pass the registry's date rules, so requests would
# stop at the lookups. Steer about two in three towards the demo city's, so that they reach the services.
AREA_CODES = ["HS", "HS-A", "HS-A1", "HS-A2", "HS-B", "HS-B1", "HS-B2"]
LEVELS = ["unit", "district", "city"]
ID_NAMES = {"household", "person", "dwelling", "head", "household_id", "person_id", "dwelling_id", "membership_id"}
CODE_NAMES = {"unit", "parent", "area", "within", "code"}
DATE_NAMES = {"on", "since", "until", "birth_date", "registered_on"}


def _steer(values):
    if not isinstance(values, dict):
        return values
    steered = dict(values)
    for name, value in values.items():
        if isinstance(value, bool):
            continue
        if name in ID_NAMES and isinstance(value, int) and value > 0 and value % 3:
            steered[name] = value % 80 + 1
        elif name in CODE_NAMES and isinstance(value, str) and len(value) % 3:
            steered[name] = AREA_CODES[len(value) % len(AREA_CODES)]
        elif name == "level" and isinstance(value, str) and len(value) % 3:
            steered[name] = LEVELS[len(value) % len(LEVELS)]
        elif name in DATE_NAMES and isinstance(value, str) and len(value) == 10 and value[:4].isdigit():
            year = int(value[:4])
            if year % 3:
                steered[name] = f"{1990 + year % 37:04d}{value[4:]}"
    return steered


@schema.hook
def map_path_parameters(context, path_parameters):
    return _steer(path_parameters)


@schema.hook
def map_query(context, query):
    return _steer(query)


@schema.hook
def map_body(context, body):
    return _steer(body)


@schema.parametrize()
@SCHEMA_RUN_SETTINGS
def test_api_keeps_to_its_schema(case, bearers, some_moves, connections_kept_open):
    for headers in bearers:
        case.call_and_validate(headers=headers, checks=CHECKS)


def test_schema_names_are_unique_across_the_api():
    """django-ninja names a component after its class and silently keeps one of two schemas with the same name, so
    one app's endpoints would be documented (and checked) with another app's shape."""
    from ninja import Schema

    seen: dict[str, str] = {}
    clashes = []
    stack = list(Schema.__subclasses__())
    while stack:
        schema = stack.pop()
        stack.extend(schema.__subclasses__())
        if not schema.__module__.startswith("inminban."):
            continue
        where = f"{schema.__module__}.{schema.__qualname__}"
        if schema.__name__ in seen and seen[schema.__name__] != where:
            clashes.append((seen[schema.__name__], where))
        seen.setdefault(schema.__name__, where)
    assert not clashes, clashes
