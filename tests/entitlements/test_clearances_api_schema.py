"""The clearances and appeals API keeps to its own OpenAPI schema under generated input: no 5xx, every answer as
documented.

Same approach as tests/entitlements/test_api_schema.py (in-process WSGI, inside the test's transaction, bearer tokens)
for the clearances and appeals tags. Generated ids, unit codes and dates are steered to real objects most of the
time, so that the requests also reach the services, not only the validation."""

# ruff: noqa: F811 - the fixtures imported from clearance_world are named as arguments

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import settings

from inminban.api.tokens import token_create
from inminban.entitlements import appeals, clearances, services
from inminban.entitlements.models import Entitlement
from schema_run import CHECKS, SCHEMA_RUN_SETTINGS, api_schema

from .clearance_world import child_in, clerks, other_household, own_household, school  # noqa: F401 - fixtures

schema = api_schema("clearances")

UNITS = ["HS-A1", "HS-A2", "HS-B1", "HS-A"]
IDS: dict[str, list[int]] = {}
DAYS: list[str] = []


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
        elif name == "code" and isinstance(value, str) and len(value) % 3:
            steered[name] = UNITS[len(value) % len(UNITS)]
        elif name in ("on", "before") and isinstance(value, str) and len(value) % 3 and DAYS:
            steered[name] = DAYS[len(value) % len(DAYS)]
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
def clearances_world(school, clerks, own_household, other_household, street_ration, cast, checker):
    """A granted and a denied clearance, an approved cycle with denials, an open and a decided appeal."""
    today = timezone.localdate()
    granted_child, denied_child = child_in(own_household), child_in(other_household)
    on = today + timedelta(days=20)
    granted = clearances.clearance_request(actor=clerks["school-a"], program=school, person=granted_child, on=on)
    denied = clearances.clearance_request(actor=clerks["school-a"], program=school, person=denied_child, on=on)
    cycle = services.cycle_create(actor=cast["officer-a"], program=street_ration, period_start=today.replace(day=1))
    services.cycle_generate(actor=cast["officer-a"], cycle=cycle)
    services.cycle_approve(actor=checker, cycle=cycle)
    denials = list(Entitlement.objects.filter(cycle=cycle, eligible=False).order_by("pk")[:4])
    open_appeal = appeals.appeal_file(actor=cast["leader-a1"], entitlement=denials[0], reason="Please look again.")
    decided = appeals.appeal_file(actor=cast["leader-a1"], clearance=denied, reason="The stamp was lost.")
    appeals.appeal_decide(actor=cast["officer-a"], appeal=decided, upheld=False, decision="No record.")
    IDS["program"] = [school.pk, street_ration.pk]
    IDS["person"] = [granted_child.pk, denied_child.pk]
    IDS["clearance_id"] = [granted.pk, denied.pk]
    IDS["clearance"] = [denied.pk, granted.pk]
    IDS["entitlement"] = [row.pk for row in denials]
    IDS["appeal_id"] = [open_appeal.pk, decided.pk]
    IDS["household_id"] = [own_household.pk, other_household.pk]
    DAYS[:] = [on.isoformat(), (today + timedelta(days=40)).isoformat(), "2026-02-29"]
    yield
    IDS.clear()
    DAYS.clear()


@pytest.fixture
def bearers(cast, clerks) -> list[dict[str, str]]:
    headers = []
    for user in (cast["officer-a"], cast["leader-a1"], cast["resident-a1"], clerks["school-a"]):
        _, token = token_create(actor=None, user=user)
        headers.append({"Authorization": f"Bearer {token}"})
    return headers


@schema.parametrize()
@settings(SCHEMA_RUN_SETTINGS, max_examples=10)
def test_clearances_api_keeps_to_its_schema(case, bearers, clearances_world, connections_kept_open):
    for headers in bearers:
        case.call_and_validate(headers=headers, checks=CHECKS)
