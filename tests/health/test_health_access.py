"""Who may do what with health checks, endpoint by endpoint and page by page, for the whole cast."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from .conftest import call, record

ROLES = ["admin", "officer-a", "leader-a1", "auditor", "resident-a1", "health-a", "health-b", None]


@pytest.fixture
def sides(cast, household_a1, household_b1):
    """A check of resident-a1 (side a, HS-A1) and one in HS-B1 (side b)."""
    return {
        "a": record(cast["health-a"], household_a1, temperature_c="37.9"),
        "b": record(cast["health-b"], household_b1, temperature_c="36.4"),
    }


def _client(client_for, who) -> Client:
    return client_for(who)


@pytest.mark.parametrize(
    ("who", "a", "b"),
    [("admin", 200, 200), ("officer-a", 200, 404), ("leader-a1", 200, 404), ("auditor", 200, 200),
     ("resident-a1", 200, 404), ("health-a", 200, 404), ("health-b", 404, 200), (None, 401, 401)],
)  # fmt: skip
def test_read_a_check(client_for, sides, who, a, b):
    client = _client(client_for, who)
    assert call(client, "get", f"/health-checks/{sides['a'].pk}").status_code == a
    assert call(client, "get", f"/health-checks/{sides['b'].pk}").status_code == b
    assert call(client, "get", "/health-checks/999999999").status_code == (401 if who is None else 404)


@pytest.mark.parametrize(
    ("who", "status", "ids"),
    [("admin", 200, "ab"), ("officer-a", 200, "a"), ("leader-a1", 200, "a"), ("auditor", 200, "ab"),
     ("resident-a1", 200, "a"), ("health-a", 200, "a"), ("health-b", 200, "b"), (None, 401, "")],
)  # fmt: skip
def test_list_checks(client_for, sides, who, status, ids):
    response = call(_client(client_for, who), "get", "/health-checks")
    assert response.status_code == status
    if status == 200:
        got = {item["id"] for item in response.json()["items"]}
        assert got == {sides[side].pk for side in ids}


def test_a_clerk_reads_no_checks(client_for, sides, unit_a1):
    from datetime import date

    from django.contrib.auth.models import User

    from inminban.areas.models import Role, RoleAssignment

    clerk = User.objects.create_user(username="clerk-health-test", password="x" * 12)
    RoleAssignment.objects.create(user=clerk, role=Role.CLERK, area=unit_a1.parent, since=date(2020, 1, 1))
    client = Client()
    client.force_login(clerk)
    assert call(client, "get", "/health-checks").status_code == 403
    assert call(client, "get", "/health-checks/summary?area=HS-A1").status_code == 403
    assert call(client, "get", f"/health-checks/{sides['a'].pk}").status_code == 404
    assert client.get(reverse("health:checks")).status_code == 404
    assert client.get(reverse("health:check-new")).status_code == 403


@pytest.mark.parametrize(
    ("who", "a1", "b1"),
    [("admin", 200, 200), ("officer-a", 200, 422), ("leader-a1", 200, 422), ("auditor", 200, 200),
     ("resident-a1", 403, 403), ("health-a", 200, 422), ("health-b", 422, 200), (None, 401, 401)],
)  # fmt: skip
def test_summary(client_for, sides, who, a1, b1):
    client = _client(client_for, who)
    assert call(client, "get", "/health-checks/summary?area=HS-A1").status_code == a1
    assert call(client, "get", "/health-checks/summary?area=HS-B1").status_code == b1


@pytest.mark.parametrize(
    ("who", "a1", "b1"),
    [("admin", 201, 201), ("officer-a", 403, 403), ("leader-a1", 403, 403), ("auditor", 403, 403),
     ("resident-a1", 403, 403), ("health-a", 201, 422), ("health-b", 422, 201), (None, 401, 401)],
)  # fmt: skip
def test_record_a_check(client_for, household_a1, household_b1, audit_count, who, a1, b1):
    client = _client(client_for, who)
    for household, status in ((household_a1, a1), (household_b1, b1)):
        before = audit_count()
        body = {
            "household": household.pk,
            "checked_on": timezone.localdate().isoformat(),
            "temperature_c": 36.7,
            "symptoms": False,
            "person": household.head_id,
        }
        response = call(client, "post", "/health-checks", body)
        assert response.status_code == status, (household.unit.code, response.content)
        assert audit_count() == before + (1 if status == 201 else 0)
        if status == 422:
            assert "household" in response.json()["fields"]


@pytest.mark.parametrize(
    ("who", "checks", "new"),
    [("admin", 200, 200), ("officer-a", 200, 403), ("leader-a1", 200, 403), ("auditor", 200, 403),
     ("resident-a1", 200, 403), ("health-a", 200, 200), ("health-b", 200, 200)],
)  # fmt: skip
def test_pages(client_for, sides, household_a1, who, checks, new):
    client = _client(client_for, who)
    assert client.get(reverse("health:checks")).status_code == checks
    assert client.get(reverse("health:check-new")).status_code == new
    form = client.get(reverse("health:check-new") + f"?unit=HS-A1&household={household_a1.pk}")
    expected = {"admin": 200, "health-a": 200, "health-b": 200}.get(who, new)
    assert form.status_code == expected
    if who == "health-b":  # not their unit: they are shown their own units to choose from
        assert household_a1.head.full_name not in form.content.decode()


def test_anonymous_is_sent_to_log_in(client_for):
    for url in (reverse("health:checks"), reverse("health:check-new")):
        response = client_for(None).get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_household_of_another_unit_of_the_workers_district_opens_only_under_its_own_unit(
    client_for, household_a1, unit_a2
):
    client = client_for("health-a")
    wrong = client.get(reverse("health:check-new") + f"?unit={unit_a2.code}&household={household_a1.pk}")
    assert wrong.status_code == 404


def test_the_list_filters(client_for, cast, sides, household_a1, other_household_a1):
    from datetime import timedelta

    record(cast["health-a"], other_household_a1)
    client = client_for("health-a")
    today = timezone.localdate()
    by_household = call(client, "get", f"/health-checks?household={household_a1.pk}").json()
    assert [item["id"] for item in by_household["items"]] == [sides["a"].pk]
    assert call(client, "get", "/health-checks?unit=HS-A1").json()["count"] == 2
    assert call(client, "get", "/health-checks?unit=HS-A2").json()["count"] == 0
    assert call(client, "get", f"/health-checks?since={today + timedelta(days=1)}").json()["count"] == 0
    assert call(client, "get", f"/health-checks?until={today}&since={today}").json()["count"] == 2
    assert call(client, "get", "/health-checks?unit=HS-B1").status_code == 422
    assert call(client, "get", "/health-checks?household=abc").status_code == 422
    backwards = call(client, "get", f"/health-checks/summary?area=HS-A&since={today}&until={today - timedelta(days=1)}")
    assert backwards.status_code == 422 and "until" in backwards.json()["fields"]
    summary = call(client, "get", "/health-checks/summary?area=HS-A").json()
    assert summary["checks"] == 2 and summary["area"] == "HS-A" and len(summary["units"]) >= 2
    assert summary["until"] == today.isoformat()
    assert call(client, "get", "/health-checks/9223372036854775808").status_code == 404
