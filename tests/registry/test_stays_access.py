"""Who may do what with stays and stay rules, endpoint by endpoint (the access matrix): side "a" is a stay of
resident-a1's household in unit HS-A1, side "b" one of the first household of HS-B1. A refused write changes
nothing."""

from datetime import timedelta

import pytest
from django.test import Client

from inminban.audit.models import AuditEntry
from inminban.registry.models import Stay

from .stays_world import body_for, call, client_of, register, today

ROLES = ["admin", "officer-a", "leader-a1", "auditor", "resident-a1", "health-a", None]


@pytest.fixture
def sides(cast, household_a1, household_b1):
    return {
        "a": register(cast["resident-a1"], household_a1),
        "b": register(cast["leader-b1"], household_b1),
    }


def _client(cast, who) -> Client:
    return Client() if who is None else client_of(cast[who])


def _later() -> str:
    return (today() + timedelta(days=5)).isoformat()


# (endpoint, method, path, body, {role: status on side a}, {role: status on side b} or None when it has no side)
ENDPOINTS = [
    (
        "list stays",
        "get",
        lambda s, h: "/stays",
        None,
        {"admin": 200, "officer-a": 200, "leader-a1": 200, "auditor": 200, "resident-a1": 200, "health-a": 200},
        None,
    ),
    (
        "register a stay",
        "post",
        lambda s, h: "/stays",
        lambda s, h: body_for(h),
        {"admin": 201, "officer-a": 201, "leader-a1": 201, "auditor": 403, "resident-a1": 201, "health-a": 403},
        {"admin": 201, "officer-a": 422, "leader-a1": 422, "auditor": 403, "resident-a1": 422, "health-a": 403},
    ),
    (
        "office summary",
        "get",
        lambda s, h: f"/stays/summary?area={h.unit.parent.code}",
        None,
        {"admin": 200, "officer-a": 200, "leader-a1": 422, "auditor": 200, "resident-a1": 422, "health-a": 422},
        {"admin": 200, "officer-a": 422, "leader-a1": 422, "auditor": 200, "resident-a1": 422, "health-a": 422},
    ),
    (
        "read a stay",
        "get",
        lambda s, h: f"/stays/{s.pk}",
        None,
        {"admin": 200, "officer-a": 200, "leader-a1": 200, "auditor": 200, "resident-a1": 200, "health-a": 404},
        {"admin": 200, "officer-a": 404, "leader-a1": 404, "auditor": 200, "resident-a1": 404, "health-a": 404},
    ),
    (
        "change a stay",
        "patch",
        lambda s, h: f"/stays/{s.pk}",
        lambda s, h: {"departs_on": _later()},
        {"admin": 200, "officer-a": 200, "leader-a1": 200, "auditor": 403, "resident-a1": 200, "health-a": 404},
        {"admin": 200, "officer-a": 404, "leader-a1": 404, "auditor": 403, "resident-a1": 404, "health-a": 404},
    ),
    (
        "confirm a stay",
        "post",
        lambda s, h: f"/stays/{s.pk}/confirm",
        None,
        {"admin": 200, "officer-a": 200, "leader-a1": 200, "auditor": 403, "resident-a1": 403, "health-a": 404},
        {"admin": 200, "officer-a": 404, "leader-a1": 404, "auditor": 403, "resident-a1": 404, "health-a": 404},
    ),
    (
        "read stay rules",
        "get",
        lambda s, h: f"/stay-rules/{h.unit.parent.code}-OFFICE",
        None,
        {"admin": 200, "officer-a": 200, "leader-a1": 404, "auditor": 200, "resident-a1": 404, "health-a": 404},
        {"admin": 200, "officer-a": 404, "leader-a1": 404, "auditor": 200, "resident-a1": 404, "health-a": 404},
    ),
    (
        "set stay rules",
        "put",
        lambda s, h: f"/stay-rules/{h.unit.parent.code}-OFFICE",
        lambda s, h: {"deadline_time": "21:00", "deadline_days": 1},
        {"admin": 200, "officer-a": 403, "leader-a1": 404, "auditor": 403, "resident-a1": 404, "health-a": 404},
        {"admin": 200, "officer-a": 404, "leader-a1": 404, "auditor": 403, "resident-a1": 404, "health-a": 404},
    ),
]

CASES = [
    pytest.param(endpoint, side, who, id=f"{endpoint[0]}-{side}-{who or 'anonymous'}")
    for endpoint in ENDPOINTS
    for side in ("a", "b")
    if side == "a" or endpoint[5] is not None
    for who in ROLES
]


@pytest.mark.parametrize(("endpoint", "side", "who"), CASES)
def test_access(cast, sides, household_a1, household_b1, endpoint, side, who):
    _name, method, path, body, on_a, on_b = endpoint
    stay, household = sides[side], household_a1 if side == "a" else household_b1
    expected = 401 if who is None else (on_a if side == "a" else on_b)[who]
    entries, stays = AuditEntry.objects.count(), Stay.objects.count()
    answer = call(_client(cast, who), method, path(stay, household), body(stay, household) if body else None)
    assert answer.status_code == expected, answer.content
    if expected >= 400:
        assert set(answer.json()) == {"error", "detail", "fields"}
        assert (AuditEntry.objects.count(), Stay.objects.count()) == (entries, stays)
    elif method != "get":
        assert AuditEntry.objects.count() > entries


def test_a_health_worker_and_another_district_see_no_stays_in_the_list(cast, sides):
    assert call(client_of(cast["health-a"]), "get", "/stays").json()["count"] == 0
    listed = call(client_of(cast["officer-b"]), "get", "/stays").json()
    assert [item["id"] for item in listed["items"]] == [sides["b"].pk]
    resident = call(client_of(cast["resident-a1"]), "get", "/stays").json()
    assert [item["id"] for item in resident["items"]] == [sides["a"].pk]
