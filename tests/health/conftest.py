"""What the health tests share: guests staying with households of HS-A1 (made as rows: the stays services have
their own tests), checks recorded through the service, JSON calls."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from inminban.audit.models import AuditEntry
from inminban.health import services
from inminban.health.models import HealthCheck
from inminban.registry.models import Stay

API = "/api/v1"


def call(client: Client, method: str, path: str, body=None):
    kwargs = {}
    if body is not None:
        kwargs = {"data": json.dumps(body), "content_type": "application/json"}
    return getattr(client, method.lower())(API + path, **kwargs)


def error_fields(response) -> dict:
    payload = response.json()
    assert set(payload) == {"error", "detail", "fields"}, payload
    return payload["fields"]


def make_stay(household, *, guest_name="방문객 김순희", arrives_on=None, departs_on=None, departed_on=None) -> Stay:
    today = timezone.localdate()
    arrives_on = arrives_on or today - timedelta(days=1)
    registered_by = User.objects.get(username="admin")
    return Stay.objects.create(
        household=household,
        unit=household.unit,
        guest_name=guest_name,
        purpose=Stay.Purpose.FAMILY,
        arrives_on=arrives_on,
        departs_on=departs_on or today + timedelta(days=2),
        departed_on=departed_on,
        deadline=timezone.now(),
        registered_at=timezone.now(),
        registered_by=registered_by,
    )


def record(actor, household, **changes) -> HealthCheck:
    values = {
        "checked_on": timezone.localdate(),
        "temperature_c": Decimal("36.6"),
        "symptoms": False,
        "note": "",
        "person": household.head,
    }
    values.update(changes)
    return services.healthcheck_record(actor=actor, household=household, **values)


def snapshot() -> tuple[int, int]:
    return HealthCheck.objects.count(), AuditEntry.objects.count()


@pytest.fixture
def guest_a1(household_a1) -> Stay:
    """A guest staying with resident-a1's household from yesterday to the day after tomorrow."""
    return make_stay(household_a1)


@pytest.fixture
def guest_other_a1(other_household_a1) -> Stay:
    return make_stay(other_household_a1, guest_name="다른 집 손님")


@pytest.fixture
def fever_check(cast, household_a1):
    """resident-a1's own check (the head of household_a1): a fever, symptoms and a note."""
    return record(
        cast["health-a"],
        household_a1,
        temperature_c=Decimal("38.4"),
        symptoms=True,
        note="기침이 심함",
    )
