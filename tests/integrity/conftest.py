"""Flags to answer and decide: one about leader-a1 in unit HS-A1 (office HS-A-OFFICE), one about leader-b1 in HS-B1,
each raised by the scan from a guest seen at a health check with no stay registered."""

import json

import pytest
from django.test import Client

from inminban.audit.models import AuditEntry
from inminban.integrity.models import DetectionRule, Flag, Pattern

from .building import households_of, scan, unregistered_check

API = "/api/v1"


def call(client: Client, method: str, path: str, body=None):
    kwargs = {}
    if body is not None:
        kwargs["data"] = body if isinstance(body, str | bytes) else json.dumps(body)
        kwargs["content_type"] = "application/json"
    return getattr(client, method.lower())(API + path, **kwargs)


def state() -> dict:
    """What a refused request must leave as it was."""
    return {
        "flags": list(
            Flag.objects.order_by("pk").values_list(
                "pk", "status", "explanation", "explained_by", "decision_reason", "decided_by"
            )
        ),
        "rules": list(DetectionRule.objects.order_by("pk").values_list("pk", "enabled", "threshold", "min_count")),
        "audit": AuditEntry.objects.count(),
    }


@pytest.fixture
def flag_a(unit_a1) -> Flag:
    check = unregistered_check(households_of(unit_a1)[2])
    scan()
    return Flag.objects.get(pattern=Pattern.STAY_UNREGISTERED, key=f"healthcheck:{check.pk}")


@pytest.fixture
def flag_b(unit_b1) -> Flag:
    check = unregistered_check(households_of(unit_b1)[2], worker="health-b")
    scan()
    return Flag.objects.get(pattern=Pattern.STAY_UNREGISTERED, key=f"healthcheck:{check.pk}")
