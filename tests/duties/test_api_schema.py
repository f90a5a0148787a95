"""The duties API keeps to its own OpenAPI schema under generated input: no 5xx, every answer as documented.

Same approach as tests/api/test_schema.py (in-process WSGI, inside the test's transaction, bearer tokens), for the
duties tags only."""

from datetime import timedelta

import pytest
from hypothesis import settings

from inminban.api.tokens import token_create
from inminban.duties import services
from inminban.registry.models import Person
from schema_run import CHECKS, SCHEMA_RUN_SETTINGS, api_schema

schema = api_schema("duties")

AREA_CODES = ["HS", "HS-A", "HS-A1", "HS-A2", "HS-B", "HS-B1"]
ID_NAMES = {
    "directive_id",
    "obligation_id",
    "campaign_id",
    "levy_id",
    "session_id",
    "share_id",
    "ack_id",
    "waiver_id",
    "delivery_id",
    "attendance_id",
    "exemption_id",
    "household_id",
    "household",
    "person",
}
CODE_NAMES = {"unit", "area"}
QUANTITY_NAMES = {"quantity", "hours", "step"}


def _steer(values):
    if not isinstance(values, dict):
        return values
    steered = dict(values)
    for name, value in values.items():
        if isinstance(value, bool):
            continue
        if name in ID_NAMES and isinstance(value, int) and value > 0 and value % 3:
            steered[name] = value % 12 + 1
        elif name in CODE_NAMES and isinstance(value, str) and len(value) % 3:
            steered[name] = AREA_CODES[len(value) % len(AREA_CODES)]
        elif name in QUANTITY_NAMES and isinstance(value, str) and len(value) % 2:
            steered[name] = str(len(value))
        elif name == "measure" and isinstance(value, str) and len(value) % 2:
            steered[name] = ["kg", "m3", "kpw", "person_hours"][len(value) % 4]
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


@pytest.fixture(autouse=True)
def keys_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("INMINBAN_KEYS_DIR", str(tmp_path / "keys"))


@pytest.fixture
def duties_world(make_directive, make_campaign, make_levy, make_session, cast, unit_a1, today):
    """Something for the generated requests to find: a directive, a campaign with a session, a levy, deliveries."""
    make_directive(unit_a1.parent)
    campaign = make_campaign(unit_a1.parent)
    services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity="16")
    session = make_session(campaign, unit_a1)
    services.attendance_record(
        actor=cast["leader-a1"], session=session, person=Person.objects.filter(household__unit=unit_a1).first()
    )
    levy = make_levy(unit_a1.parent)
    quota = services.quota_set(actor=cast["officer-a"], obligation=levy, unit=unit_a1, quantity="40")
    share = quota.shares.order_by("household__number").first()
    services.delivery_record(actor=cast["leader-a1"], share=share, quantity="1", measure="kg", delivered_on=today)
    services.waiver_request(actor=cast["leader-a1"], share=quota.shares.last(), reason="Flood", quantity="1")
    services.exemption_record(
        actor=cast["leader-a1"],
        person=Person.objects.filter(household__unit=unit_a1).last(),
        reason="disability",
        since=today - timedelta(days=1),
    )


@pytest.fixture
def bearers(cast) -> list[dict[str, str]]:
    headers = []
    for username in ("admin", "leader-a1", "resident-a1"):
        _, token = token_create(actor=None, user=cast[username])
        headers.append({"Authorization": f"Bearer {token}"})
    return headers


@schema.parametrize()
@settings(SCHEMA_RUN_SETTINGS, max_examples=10)
def test_duties_api_keeps_to_its_schema(case, bearers, duties_world, connections_kept_open):
    for headers in bearers:
        case.call_and_validate(headers=headers, checks=CHECKS)
