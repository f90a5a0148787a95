"""The whole API, statefully: schemathesis chains operations on the links it infers from the document (a list's ids
into the detail and the operations on it, an object created into what follows), so that the requests reach real
objects of every app and not only 404s. Same checks as the per-app runs (tests/schema_run.py): status, content
type, headers and body of every answer as documented. In-process WSGI, inside the test's transaction."""

from datetime import time, timedelta
from typing import ClassVar

import pytest
from django.db import transaction
from django.utils import timezone

from inminban.api.tokens import token_create
from inminban.areas.models import Area, Office
from inminban.duties import services as duties
from inminban.duties.models import AllocationRule
from inminban.entitlements import services as entitlements
from inminban.registry.models import Household, Person
from schema_run import CHECKS, STATEFUL_SETTINGS, api_schema

schema = api_schema()
# Valid input only: the per-app runs send the invalid kind; here the calls should go through and lead on.
schema.config.generation.update(modes=["positive"])

# Generated codes and dates almost never name a real area or pass the date rules (1900 to a year ahead, some not in
# the future), so a chain would stop at its first write. Steer about two in three to the demo city's codes and to
# days of the last year; ids come from the links.
AREA_CODES = ["HS", "HS-A", "HS-A1", "HS-A2", "HS-B", "HS-B1"]
CODE_NAMES = {"area", "unit", "parent", "within"}
DATE_NAMES = {"on", "since", "until", "birth_date", "registered_on", "delivered_on", "effective_on", "due_on"}
DATE_NAMES |= {"starts_on", "ends_on", "period_start", "period_end", "reference_date"}
MEASURES = ["kg", "m3", "kpw", "person_hours"]


def _steer(values):
    if not isinstance(values, dict):
        return values
    steered = dict(values)
    for name, value in values.items():
        if not isinstance(value, str) or not len(value) % 3:
            continue
        if name in CODE_NAMES:
            steered[name] = AREA_CODES[len(value) % len(AREA_CODES)]
        elif name in DATE_NAMES:
            steered[name] = (timezone.localdate() - timedelta(days=len(value) * 37 % 365)).isoformat()
        elif name in ("quantity", "hours", "step"):
            steered[name] = str(len(value))
        elif name == "measure":
            steered[name] = MEASURES[len(value) % len(MEASURES)]
    return steered


@schema.hook
def map_query(context, query):
    return _steer(query)


@schema.hook
def map_body(context, body):
    return _steer(body)


class APIWorkflow(schema.as_state_machine()):
    """Scenarios as one user of the cast. Each starts from the same database: Hypothesis replays a scenario to
    shrink it, and a replay that finds other rows (left by the scenarios before) draws differently."""

    headers: ClassVar[dict[str, str]] = {}

    def setup(self):
        self.savepoint = transaction.savepoint()

    def teardown(self):
        transaction.savepoint_rollback(self.savepoint)

    def get_call_kwargs(self, case):
        return {"headers": self.headers}

    def validate_response(self, response, case, additional_checks=None, **kwargs):
        case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs or None)


@pytest.fixture(autouse=True)
def keys_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("INMINBAN_KEYS_DIR", str(tmp_path / "keys"))


@pytest.fixture
def world(cast, unit_a1):
    """Something of every app for the lists to lead to: a directive acknowledged and confirmed (a stamp), a campaign
    with a session attended, a levy with a delivery, a program with a computed cycle."""
    officer, leader = cast["officer-a"], cast["leader-a1"]
    office, district = Office.objects.get(code="HS-A-OFFICE"), unit_a1.parent
    rule = AllocationRule.objects.get(code="equal")
    today = timezone.localdate()
    household = Household.objects.filter(unit=unit_a1).order_by("number").first()
    directive = duties.directive_issue(
        actor=officer,
        office=office,
        area=district,
        title_en="Fire safety in winter",
        text_en="Check stoves.",
        effective_on=today,
        due_on=today + timedelta(days=7),
    )
    ack = duties.directive_acknowledge(actor=leader, directive=directive, household=household)
    duties.acknowledgement_confirm(actor=leader, acknowledgement=ack)
    dates = {"starts_on": today - timedelta(days=3)}
    campaign = duties.campaign_create(
        actor=officer, office=office, area=district, title_en="River cleanup", measure="person_hours", rule=rule,
        ends_on=today + timedelta(days=10), **dates,
    )  # fmt: skip
    duties.quota_set(actor=officer, obligation=campaign, unit=unit_a1, quantity="16")
    session = duties.session_create(
        actor=officer, campaign=campaign, unit=unit_a1, on=today, starts_at=time(8), ends_at=time(12)
    )
    duties.attendance_record(actor=leader, session=session, person=Person.objects.filter(household=household).first())
    levy = duties.levy_create(
        actor=officer, office=office, area=district, kind="food", title_en="Food", measure="kg", rule=rule,
        due_on=today + timedelta(days=20), **dates,
    )  # fmt: skip
    quota = duties.quota_set(actor=officer, obligation=levy, unit=unit_a1, quantity="40")
    share = quota.shares.order_by("household__number").first()
    duties.delivery_record(actor=leader, share=share, quantity="1", measure="kg", delivered_on=today)
    program = entitlements.program_create(
        actor=officer,
        office=office,
        area=Area.objects.get(code="HS-A"),
        kind="grain_ration",
        rule={"resident": {}},
        norms="nine_levels",
        name_en="Grain ration",
    )
    cycle = entitlements.cycle_create(actor=officer, program=program, period_start=today.replace(day=1))
    entitlements.cycle_generate(actor=officer, cycle=cycle)


# The admin, who reaches everything; an officer and a leader, whose scopes end at their district and unit.
@pytest.mark.parametrize("username", ["admin", "officer-a", "leader-a1"])
def test_the_api_keeps_to_its_schema_statefully(username, cast, world, connections_kept_open):
    _, token = token_create(actor=None, user=cast[username])
    APIWorkflow.headers = {"Authorization": f"Bearer {token}"}
    try:
        APIWorkflow.run(settings=STATEFUL_SETTINGS)
    finally:
        APIWorkflow.headers = {}
