"""The petitions API keeps to its own OpenAPI schema under generated input: no 5xx, every answer as documented.

Same approach as tests/entitlements/test_clearances_api_schema.py (in-process WSGI, inside the test's transaction,
bearer tokens). Generated petition ids are steered to real petitions most of the time, so that the requests reach
the services (signing, withdrawing, answering), not only the validation."""

import pytest
from hypothesis import settings

from inminban.api.tokens import token_create
from inminban.governance import petitions
from schema_run import CHECKS, SCHEMA_RUN_SETTINGS, api_schema

from .petitioning import households_of, levy_in, open_petition, resident_of

schema = api_schema("petitions")

IDS: dict[str, list[int]] = {}


def _steer(values):
    if not isinstance(values, dict):
        return values
    steered = dict(values)
    for name, value in values.items():
        if isinstance(value, bool):
            continue
        ids = IDS.get(name)
        if ids and isinstance(value, int) and value > 0 and value % 3:
            steered[name] = ids[value % len(ids)]
    return steered


@schema.hook
def map_path_parameters(context, path_parameters):
    return _steer(path_parameters)


@schema.hook
def map_body(context, body):
    return _steer(body)


@pytest.fixture
def petitions_world(cast, unit_a1, wide_a):
    """An open petition co-signed by a neighbour, one about a levy, one answered, one escalated to the city."""
    neighbour = resident_of(households_of(unit_a1)[2])
    levy = levy_in("HS-A")
    open_one = open_petition(cast["resident-a1"])
    petitions.petition_sign(actor=neighbour, petition=open_one)
    about_levy = open_petition(cast["resident-a1"], subject="obligation", levy=levy, title="군량미 줄여 주십시오")
    answered = open_petition(neighbour, title="다리 보수")
    petitions.petition_respond(actor=cast["officer-a"], petition=answered, outcome="partly", text="일부 받아들임")
    went_up = open_petition(neighbour, title="전기 공급")
    petitions.petitions_escalate_due(now=went_up.due_at)
    IDS["petition_id"] = [open_one.pk, about_levy.pk, answered.pk, went_up.pk]
    IDS["levy"] = [levy.pk]
    yield {"neighbour": neighbour}
    IDS.clear()


@pytest.fixture
def bearers(cast, petitions_world) -> list[dict[str, str]]:
    headers = []
    for user in (cast["officer-a"], cast["leader-a1"], petitions_world["neighbour"], cast["officer-city"]):
        _, token = token_create(actor=None, user=user)
        headers.append({"Authorization": f"Bearer {token}"})
    return headers


@schema.parametrize()
@settings(SCHEMA_RUN_SETTINGS, max_examples=10)
def test_petitions_api_keeps_to_its_schema(case, bearers, petitions_world, connections_kept_open):
    for headers in bearers:
        case.call_and_validate(headers=headers, checks=CHECKS)
