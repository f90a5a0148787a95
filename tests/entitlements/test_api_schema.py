"""The entitlements API keeps to its own OpenAPI schema under generated input: no 5xx, every answer as documented.

Same approach as tests/duties/test_api_schema.py (in-process WSGI, inside the test's transaction, bearer tokens), for
the entitlements tag only. About two in three generated ids, area codes, dates, rules and norms are steered to real
objects and well-formed values, so that the requests also reach the services, not only the validation."""

from datetime import date

import pytest
from hypothesis import settings

from inminban.api.tokens import token_create
from inminban.areas.models import Area, Office
from inminban.entitlements import services
from inminban.entitlements.models import Entitlement
from schema_run import CHECKS, SCHEMA_RUN_SETTINGS, api_schema

schema = api_schema("entitlements")

AREA_CODES = ["HS", "HS-A", "HS-A1", "HS-A2", "HS-B", "HS-B1"]
MONTHS = ["2026-01-01", "2026-02-01", "2026-05-01", "2026-05-16", "2026-05-15", "2026-02-29"]
RULES = [
    {"resident": {}},
    {"all": [{"resident": {"months": 3}}, {"not": {"leader": {}}}]},
    {"any": [{"member": {"min_age": 61}}, {"household_size": {"min": 5}}]},
    {"stamp_of_kind": {"kind": "labour", "months": 3}},
    {"any": []},
    {"stamp": "campaign:1"},
]
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
        elif name in ("area", "unit") and isinstance(value, str) and len(value) % 3:
            steered[name] = AREA_CODES[len(value) % len(AREA_CODES)]
        elif name in ("period_start", "period_end", "reference_date") and isinstance(value, str) and len(value) % 3:
            steered[name] = MONTHS[len(value) % len(MONTHS)]
        elif name == "rule" and isinstance(value, dict) and len(value) % 3 != 1:
            steered[name] = RULES[len(value) % len(RULES)]
        elif name == "norms" and isinstance(value, list | str) and len(value) % 2:
            steered[name] = ["nine_levels", "five_levels", "cash"][len(value) % 3]
        elif name == "kind" and isinstance(value, str) and len(value) % 2:
            steered[name] = ["grain_ration", "cash_benefit", "leader_benefit"][len(value) % 3]
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
def entitlements_world(make_program, cast, checker):
    """Programs of both districts, with cycles in every state of the workflow, for the generated requests to find."""
    officer = cast["officer-a"]
    grain = make_program()
    leader = make_program(kind="leader_benefit", rule={"leader": {}}, name_en="Leader benefit")
    cycles = [services.cycle_create(actor=officer, program=grain, period_start=date(2026, m, 1)) for m in (3, 4, 6)]
    for cycle in cycles[1:]:
        services.cycle_generate(actor=officer, cycle=cycle)
    services.cycle_approve(actor=checker, cycle=cycles[2])
    bonus = services.cycle_generate(
        actor=officer, cycle=services.cycle_create(actor=officer, program=leader, period_start=date(2026, 3, 1))
    )
    program_b = services.program_create(
        actor=cast["officer-b"],
        office=Office.objects.get(code="HS-B-OFFICE"),
        area=Area.objects.get(code="HS-B"),
        kind="cash_benefit",
        rule={"resident": {}},
        norms="cash",
        name_en="Cash benefit",
    )
    cycle_b = services.cycle_generate(
        actor=cast["officer-b"],
        cycle=services.cycle_create(actor=cast["officer-b"], program=program_b, period_start=date(2026, 3, 1)),
    )
    IDS["program_id"] = [grain.pk, leader.pk, program_b.pk]
    IDS["cycle_id"] = [cycle.pk for cycle in cycles] + [bonus.pk, cycle_b.pk]
    IDS["entitlement_id"] = list(Entitlement.objects.order_by("pk").values_list("pk", flat=True)[:12])
    IDS["household_id"] = sorted(set(Entitlement.objects.values_list("household_id", flat=True)))
    yield
    IDS.clear()


@pytest.fixture
def bearers(cast) -> list[dict[str, str]]:
    headers = []
    for username in ("officer-a", "leader-a1", "resident-a1"):
        _, token = token_create(actor=None, user=cast[username])
        headers.append({"Authorization": f"Bearer {token}"})
    return headers


@schema.parametrize()
@settings(SCHEMA_RUN_SETTINGS, max_examples=10)
def test_entitlements_api_keeps_to_its_schema(case, bearers, entitlements_world, connections_kept_open):
    for headers in bearers:
        case.call_and_validate(headers=headers, checks=CHECKS)
