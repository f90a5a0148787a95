"""The integrity API keeps to its own OpenAPI schema under generated input: no 5xx, every answer as documented.

Same approach as tests/governance/test_petitions_schema.py (in-process WSGI, inside the test's transaction, bearer
tokens). Generated flag ids are steered to real flags most of the time, office codes to real offices and unit codes
to real units, so that the requests reach the services (answering, deciding, setting rules), not only validation."""

import pytest
from hypothesis import settings

from inminban.api.tokens import token_create
from schema_run import CHECKS, SCHEMA_RUN_SETTINGS, api_schema, steer, steer_requests

from .building import households_of, scan, unregistered_check

schema = api_schema("integrity")

IDS: dict[str, list] = {}


steer_requests(schema, lambda values: steer(values, ids=IDS, words=IDS))


@pytest.fixture
def integrity_world(unit_a1, unit_b1):
    """Open flags in A1 and B1 (the scan's own), one answered by leader-a1."""
    from inminban.integrity import services
    from inminban.integrity.models import Flag

    unregistered_check(households_of(unit_a1)[2])
    unregistered_check(households_of(unit_a1)[3])
    unregistered_check(households_of(unit_b1)[2], worker="health-b")
    scan()
    flags = list(Flag.objects.order_by("pk"))
    from django.contrib.auth.models import User

    services.flag_explain(actor=User.objects.get(username="leader-a1"), flag=flags[1], explanation="사촌입니다")
    IDS["flag_id"] = [flag.pk for flag in flags]
    IDS["office"] = IDS["office_code"] = ["HS-A-OFFICE", "HS-B-OFFICE", "HS-OFFICE"]
    IDS["unit"] = ["HS-A1", "HS-B1", "HS-A2"]
    yield flags
    IDS.clear()


@pytest.fixture
def bearers(cast, integrity_world) -> list[dict[str, str]]:
    headers = []
    for username in ("officer-a", "leader-a1", "officer-city", "resident-a1"):
        _, token = token_create(actor=None, user=cast[username])
        headers.append({"Authorization": f"Bearer {token}"})
    return headers


@schema.parametrize()
@settings(SCHEMA_RUN_SETTINGS, max_examples=10)
def test_integrity_api_keeps_to_its_schema(case, bearers, integrity_world, connections_kept_open):
    for headers in bearers:
        case.call_and_validate(headers=headers, checks=CHECKS)
