"""The stamps API keeps to its own OpenAPI schema under generated input: no 5xx, every answer as documented."""

import pytest

from inminban.api.tokens import token_create
from schema_run import CHECKS, SCHEMA_RUN_SETTINGS, api_schema

schema = api_schema("stamps")
SERIALS: list[str] = []
TEXTS: list[str] = []


@pytest.fixture
def some_stamps(issue, household_a1, household_b1):
    """Real stamps for the generated requests to find (about two in three are steered to them)."""
    stamps = [issue(household_a1), issue(household_b1, actor="leader-b1")]
    SERIALS[:] = [str(stamp.serial) for stamp in stamps]
    TEXTS[:] = [stamp.encoded for stamp in stamps]
    yield stamps
    SERIALS.clear()
    TEXTS.clear()


@pytest.fixture
def bearers(cast) -> list[dict[str, str]]:
    headers = []
    for username in ("admin", "leader-a1"):
        _, token = token_create(actor=None, user=cast[username])
        headers.append({"Authorization": f"Bearer {token}"})
    return headers


@schema.hook
def map_path_parameters(context, path_parameters):
    if SERIALS and isinstance(path_parameters, dict) and "serial" in path_parameters:
        value = path_parameters["serial"]
        if len(str(value)) % 3:
            return path_parameters | {"serial": SERIALS[len(str(value)) % len(SERIALS)]}
    return path_parameters


@schema.hook
def map_body(context, body):
    if TEXTS and isinstance(body, dict) and isinstance(body.get("stamp"), str) and len(body["stamp"]) % 3:
        return body | {"stamp": TEXTS[len(body["stamp"]) % len(TEXTS)]}
    return body


@schema.parametrize()
@SCHEMA_RUN_SETTINGS
def test_stamps_api_keeps_to_its_schema(case, bearers, some_stamps, connections_kept_open):
    for headers in bearers:
        case.call_and_validate(headers=headers, checks=CHECKS)
