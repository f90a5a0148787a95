"""The stays API keeps to its own OpenAPI schema under generated input: no 5xx, every answer as documented.

Same approach as tests/governance/test_petitions_schema.py (in-process WSGI, inside the test's transaction, bearer
tokens). Generated ids, codes and dates are steered to real stays, households, members, units and offices most of the
time, so that the requests reach the services (registering, extending, confirming, setting the rule), not only the
validation."""

from datetime import timedelta

import pytest
from hypothesis import settings

from inminban.api.tokens import token_create
from inminban.registry import stays
from schema_run import CHECKS, SCHEMA_RUN_SETTINGS, api_schema, steer, steer_requests

from .stays_world import members_of, register, today

schema = api_schema("stays")

IDS: dict[str, list[int]] = {}
CODES: dict[str, list[str]] = {
    "unit": ["HS-A1", "HS-A2", "HS-B1"],
    "area": ["HS-A", "HS-A1", "HS", "HS-B"],
    "office_code": ["HS-A-OFFICE", "HS-B-OFFICE", "HS-OFFICE"],
    "origin_area": ["HS-B1", "HS", "RG"],
}
DAYS: list[str] = []
DAY_FIELDS = ("arrives_on", "departs_on", "departed_on", "day", "since", "until")


def _steer(values):
    steered = steer(values, ids=IDS, words=CODES | {name: DAYS for name in DAY_FIELDS})
    if isinstance(values, dict):
        hosts = values.get("hosts")
        if isinstance(hosts, list) and len(hosts) % 3 and IDS.get("hosts"):
            steered["hosts"] = IDS["hosts"][: len(hosts) % 3]
    return steered


steer_requests(schema, _steer)


@pytest.fixture
def stays_world(cast, household_a1, other_household_a1, household_b1):
    """A stay of tonight, a late and overstayed one, a confirmed one in B1, a purged one; a rule of the city."""
    tonight = register(cast["resident-a1"], household_a1, document_number="PS-1")
    overstayed = register(
        cast["leader-a1"],
        other_household_a1,
        arrives_on=today() - timedelta(days=6),
        departs_on=today() - timedelta(days=2),
    )
    confirmed = register(cast["leader-b1"], household_b1)
    stays.stay_confirm(actor=cast["leader-b1"], stay=confirmed)
    old = register(
        cast["resident-a1"],
        household_a1,
        arrives_on=today() - timedelta(days=60),
        departs_on=today() - timedelta(days=50),
    )
    stays.stays_purge()
    IDS["stay_id"] = [tonight.pk, overstayed.pk, confirmed.pk, old.pk]
    IDS["household"] = [household_a1.pk, other_household_a1.pk, household_b1.pk]
    IDS["hosts"] = members_of(household_a1)
    DAYS[:] = [(today() + timedelta(days=offset)).isoformat() for offset in (-3, 0, 1, 2, 5)]
    yield
    IDS.clear()
    DAYS.clear()


@pytest.fixture
def bearers(cast, stays_world) -> list[dict[str, str]]:
    headers = []
    for username in ("resident-a1", "leader-a1", "officer-city"):
        _, token = token_create(actor=None, user=cast[username])
        headers.append({"Authorization": f"Bearer {token}"})
    return headers


@schema.parametrize()
@settings(SCHEMA_RUN_SETTINGS, max_examples=12)
def test_stays_api_keeps_to_its_schema(case, bearers, stays_world, connections_kept_open):
    for headers in bearers:
        case.call_and_validate(headers=headers, checks=CHECKS)
