"""The health-checks API keeps to its own OpenAPI schema under generated input: no 5xx, every answer as documented
(both shapes of a check: with values, and "done" without them).

Same approach as tests/governance/test_petitions_schema.py (in-process WSGI, inside the test's transaction, bearer
tokens). Generated ids, days and area codes are steered to real ones most of the time, so that the requests reach
the service (recording a check of a member, a registered guest or an unregistered one), not only the validation."""

import pytest
from django.utils import timezone
from hypothesis import settings

from inminban.api.tokens import token_create
from schema_run import CHECKS, SCHEMA_RUN_SETTINGS, api_schema, steer, steer_requests

from .conftest import make_stay, record

schema = api_schema("health")

AREA_CODES = ["HS", "HS-A", "HS-A1", "HS-A2", "HS-B1"]
IDS: dict[str, list[int]] = {}
DAY_NAMES = {"checked_on", "since", "until"}


def _steer(values):
    today = [timezone.localdate().isoformat()]
    steered = steer(
        values, ids=IDS, words={"area": AREA_CODES, "unit": AREA_CODES} | {name: today for name in DAY_NAMES}
    )
    if not isinstance(steered, dict):
        return steered
    subjects = [name for name in ("person", "stay", "guest_name") if steered.get(name) not in (None, "")]
    if len(subjects) > 1 and len(str(steered.get("note", ""))) % 4:
        # Mostly one subject, as a client would send (a member, a registered guest or an unregistered one).
        keep = subjects[len(str(steered.get("note", ""))) % len(subjects)]
        for name in subjects:
            if name != keep:
                steered.pop(name)
    return steered


steer_requests(schema, _steer)


@pytest.fixture
def health_world(cast, household_a1, other_household_a1, person_a1):
    """Checks of each kind in HS-A1, a guest registered there for tonight."""
    stay = make_stay(household_a1)
    own = record(cast["health-a"], household_a1, temperature_c="38.2", symptoms=True, note="기침")
    member = record(cast["health-a"], household_a1, person=person_a1)
    guest = record(cast["health-a"], other_household_a1, person=None, guest_name="낯선 손님")
    registered = record(cast["health-a"], household_a1, person=None, stay=stay)
    IDS["check_id"] = [own.pk, member.pk, guest.pk, registered.pk]
    IDS["household"] = [household_a1.pk, other_household_a1.pk]
    IDS["person"] = [household_a1.head_id, person_a1.pk]
    IDS["stay"] = [stay.pk]
    yield
    IDS.clear()


@pytest.fixture
def bearers(cast, health_world) -> list[dict[str, str]]:
    headers = []
    for username in ("health-a", "leader-a1", "resident-a1", "auditor"):
        _, token = token_create(actor=None, user=cast[username])
        headers.append({"Authorization": f"Bearer {token}"})
    return headers


@schema.parametrize()
@settings(SCHEMA_RUN_SETTINGS, max_examples=12)
def test_health_api_keeps_to_its_schema(case, bearers, health_world, connections_kept_open):
    for headers in bearers:
        case.call_and_validate(headers=headers, checks=CHECKS)
