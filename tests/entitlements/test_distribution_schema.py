"""The distribution API (counters, vouchers, redemptions) keeps to its own OpenAPI schema under generated input: no
5xx, every answer as documented.

Same approach as test_api_schema.py, for the "distribution" run. About two in three generated ids, serials, voucher
texts and area codes are steered to real ones, so that the requests reach the services, not only the validation;
the bearers are an officer, a clerk, a leader and a resident."""

import uuid

import pytest
from hypothesis import settings

from inminban.api.tokens import token_create
from inminban.entitlements.models import Redemption
from inminban.entitlements.redemptions import redemptions_upload
from schema_run import CHECKS, SCHEMA_RUN_SETTINGS, api_schema

from .counter_fixtures import *  # noqa: F403 (fixtures)

schema = api_schema("distribution")

AREA_CODES = ["HS", "HS-A", "HS-A1", "HS-A2", "HS-B", "HS-B1"]
VALUES: dict[str, list] = {}


def _steer_value(name: str, value):
    if isinstance(value, bool):
        return value
    if name in ("counter_id", "cycle_id", "cycle") and isinstance(value, int) and value > 0 and value % 3:
        options = VALUES.get(name if name != "cycle" else "cycle_id")
        return options[value % len(options)] if options else value
    if name in ("serial", "redemption_id") and isinstance(value, str) and len(value) % 3:
        options = VALUES.get(name)
        return options[len(value) % len(options)] if options else value
    if name == "voucher" and isinstance(value, str) and len(value) % 3:
        options = VALUES.get("voucher")
        return options[len(value) % len(options)] if options else value
    if name in ("area", "unit") and isinstance(value, str) and len(value) % 3:
        return AREA_CODES[len(value) % len(AREA_CODES)]
    return value


def _steer(values):
    if not isinstance(values, dict):
        return values
    steered = {name: _steer_value(name, value) for name, value in values.items()}
    items = steered.get("redemptions")
    if isinstance(items, list):
        steered["redemptions"] = [
            {name: _steer_value(name, value) for name, value in item.items()} if isinstance(item, dict) else item
            for item in items
        ]
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


@pytest.fixture
def distribution_world(distribution, cast):
    """The distribution fixture, with one conflict recorded, for the generated requests to find."""
    from django.utils import timezone

    texts = [distribution.text(index) for index in range(4)]
    handed = timezone.localtime(distribution.vouchers[0].voucher.issued_at)
    for counter, clerk in ((distribution.counter_a, "a"), (distribution.counter_a1, "a1")):
        redemptions_upload(
            actor=distribution.clerks[clerk],
            counter=counter,
            items=[
                {
                    "id": str(uuid.uuid4()),
                    "voucher": texts[0],
                    "quantity": distribution.vouchers[0].quantity,
                    "handed_at": handed.isoformat(),
                    "clerk": clerk,
                }
            ],
        )
    VALUES["counter_id"] = [distribution.counter_a.pk, distribution.counter_a1.pk, distribution.counter_b.pk]
    VALUES["cycle_id"] = [distribution.cycle.pk]
    VALUES["serial"] = [str(e.voucher.serial) for e in distribution.vouchers[:4]]
    VALUES["voucher"] = texts
    VALUES["redemption_id"] = [str(uid) for uid in Redemption.objects.values_list("uid", flat=True)[:4]]
    yield
    VALUES.clear()


@pytest.fixture
def bearers(distribution_world, cast, distribution) -> list[dict[str, str]]:
    headers = []
    for user in (cast["officer-a"], distribution.clerks["a"], cast["leader-a1"], cast["resident-a1"]):
        _, token = token_create(actor=None, user=user)
        headers.append({"Authorization": f"Bearer {token}"})
    return headers


@schema.parametrize()
@settings(SCHEMA_RUN_SETTINGS, max_examples=10)
def test_distribution_api_keeps_to_its_schema(case, bearers, connections_kept_open):
    for headers in bearers:
        case.call_and_validate(headers=headers, checks=CHECKS)
