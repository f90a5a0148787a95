"""The feedback-report and notification endpoints keep to their own OpenAPI schema under generated input: no 5xx,
every answer (JSON or the report's PDF) as documented.

As tests/entitlements/test_clearances_api_schema.py: in-process WSGI inside the test's transaction, bearer tokens
of an officer, a leader, a resident and the auditor; generated ids are steered to real objects most of the time."""

# ruff: noqa: F811 - the fixtures imported from suspending are named as arguments

import pytest
from hypothesis import settings

from inminban.governance import reports
from inminban.governance.models import Notification
from inminban.governance.notifications import notify
from schema_run import CHECKS, SCHEMA_RUN_SETTINGS, api_schema

from .suspending import bearer, grain, keys, office_a, own_household  # noqa: F401

schema = api_schema("governance")

AREAS = ["HS-A", "HS-A1", "HS-B", "HS-A2"]
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
        elif name == "area" and isinstance(value, str) and len(value) % 3:
            steered[name] = AREAS[len(value) % len(AREAS)]
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
def governance_world(cast, grain):
    """A report on the levy, and notifications for each bearer."""
    report = reports.feedback_report_request(actor=cast["officer-a"], obligation=grain)
    for name in ("officer-a", "leader-a1", "resident-a1", "auditor"):
        notify(users=[cast[name].pk], kind="petition_digest", params={"count": 2})
        notify(
            users=[cast[name].pk],
            kind="obligation_suspended",
            params={"title_ko": "군량미 지원", "title_en": "Food for the army", "reason": "흉작"},
            link=f"/levies/{grain.pk}/",
        )
    IDS["report_id"] = [report.pk]
    IDS["levy"] = [grain.pk]
    IDS["campaign"] = [grain.pk]
    IDS["notification_id"] = list(Notification.objects.order_by("pk").values_list("pk", flat=True))
    yield
    IDS.clear()


@pytest.fixture
def bearers(cast) -> list[dict[str, str]]:
    return [
        {"Authorization": client.defaults["HTTP_AUTHORIZATION"]}
        for client in (bearer(name) for name in ("officer-a", "leader-a1", "resident-a1", "auditor"))
    ]


@schema.parametrize()
@settings(SCHEMA_RUN_SETTINGS, max_examples=12)
def test_governance_api_keeps_to_its_schema(case, bearers, governance_world, connections_kept_open):
    for headers in bearers:
        case.call_and_validate(headers=headers, checks=CHECKS)
