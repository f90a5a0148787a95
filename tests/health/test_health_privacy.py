"""Health data is restricted: a leader and an officer get only "check done" and counts, in HTML and JSON (the
values are not there at all); the health workers of the area, the auditor and the person checked see them; a health
worker of another area, or a resident of another household, gets a 404."""

import pytest
from django.urls import reverse

from inminban.health.models import HealthCheck
from inminban.health.selectors import COUNT_FLOOR, health_checks_of_household_for_resident, health_counts

from .conftest import call, make_stay, record

SECRETS = ("38.4", "기침이 심함")
GUEST = "숨은 손님 박철"


@pytest.fixture
def checks(cast, fever_check, household_a1, other_household_a1):
    """resident-a1's fever check, an unregistered guest in the next household, a registered guest's check."""
    guest = record(
        cast["health-a"], other_household_a1, person=None, guest_name=GUEST, temperature_c="38.4", note="기침이 심함"
    )
    stay = make_stay(household_a1, guest_name="등록 손님 리영")
    registered = record(cast["health-a"], household_a1, person=None, stay=stay, temperature_c="36.5")
    return {"own": fever_check, "guest": guest, "registered": registered}


def _everything(client, checks) -> str:
    """What the client gets from every health page and endpoint."""
    texts = [client.get(reverse("health:checks")).content.decode()]
    texts.append(client.get(reverse("health:checks") + "?day=" + checks["own"].checked_on.isoformat()).content.decode())
    texts.append(call(client, "get", "/health-checks").content.decode())
    texts.append(call(client, "get", "/health-checks/summary?area=HS-A1").content.decode())
    texts.append(call(client, "get", "/health-checks/summary?area=HS-A").content.decode())
    for check in checks.values():
        texts.append(call(client, "get", f"/health-checks/{check.pk}").content.decode())
    return "\n".join(texts)


@pytest.mark.parametrize("who", ["leader-a1", "officer-a"])
def test_leaders_and_officers_get_only_that_checks_were_done(client_for, checks, who):
    client = client_for(who)
    page = client.get(reverse("health:checks"))
    assert page.status_code == 200
    listed = call(client, "get", "/health-checks")
    assert listed.status_code == 200 and listed.json()["count"] == 3
    for item in listed.json()["items"]:
        assert item["shown"] == "done"
        assert not {"temperature_c", "fever", "symptoms", "note", "guest_name", "stay"} & set(item), item
    detail = call(client, "get", f"/health-checks/{checks['own'].pk}")
    assert detail.status_code == 200 and detail.json()["shown"] == "done"
    assert "temperature_c" not in detail.json()
    text = _everything(client, checks)
    for secret in (*SECRETS, GUEST, "등록 손님 리영"):
        assert secret not in text, (who, secret)
    # That a check was done, and of whom, they do see.
    assert checks["own"].person.full_name in page.content.decode()


@pytest.mark.parametrize("who", ["health-a", "auditor", "admin"])
def test_the_health_workers_of_the_area_and_the_auditors_see_the_values(client_for, checks, who):
    client = client_for(who)
    detail = call(client, "get", f"/health-checks/{checks['own'].pk}").json()
    assert detail["shown"] == "values" and detail["temperature_c"] == 38.4 and detail["symptoms"] is True
    assert detail["note"] == "기침이 심함" and detail["fever"] is True
    guest = call(client, "get", f"/health-checks/{checks['guest'].pk}").json()
    assert guest["guest_name"] == GUEST and guest["subject"] == "unregistered_guest"
    text = _everything(client, checks)
    for secret in (*SECRETS, GUEST):
        assert secret in text, (who, secret)
    page = client.get(reverse("health:checks")).content.decode()
    assert "38.4" in page and GUEST in page


def test_the_person_sees_their_own_check_and_nothing_else(client_for, cast, checks, household_a1):
    client = client_for("resident-a1")
    own = call(client, "get", f"/health-checks/{checks['own'].pk}")
    assert own.status_code == 200 and own.json()["shown"] == "values" and own.json()["temperature_c"] == 38.4
    # A guest of their own household is not theirs; nor is a neighbour's check.
    assert call(client, "get", f"/health-checks/{checks['registered'].pk}").status_code == 404
    assert call(client, "get", f"/health-checks/{checks['guest'].pk}").status_code == 404
    listed = call(client, "get", "/health-checks").json()
    assert [item["id"] for item in listed["items"]] == [checks["own"].pk]
    assert GUEST not in call(client, "get", "/health-checks").content.decode()
    page = client.get(reverse("health:checks")).content.decode()
    assert "38.4" in page and "등록 손님 리영" not in page
    mine = health_checks_of_household_for_resident(actor=cast["resident-a1"], household=household_a1)
    assert list(mine) == [checks["own"]]
    assert not health_checks_of_household_for_resident(actor=cast["leader-a1"], household=household_a1).exists()
    assert not health_checks_of_household_for_resident(actor=cast["health-a"], household=household_a1).exists()


def test_a_health_worker_of_another_area_gets_404(client_for, checks):
    client = client_for("health-b")
    for check in checks.values():
        assert call(client, "get", f"/health-checks/{check.pk}").status_code == 404
    assert call(client, "get", "/health-checks").json()["count"] == 0
    assert call(client, "get", "/health-checks/summary?area=HS-A1").status_code == 422
    assert client.get(reverse("health:check-new") + "?unit=HS-A1").status_code == 200  # their own units instead
    assert "HS-A1" not in client.get(reverse("health:check-new")).content.decode()


def test_a_resident_of_another_household_gets_404(checks, other_household_a1):
    from django.test import Client

    from governance.petitioning import resident_of

    neighbour = Client()
    neighbour.force_login(resident_of(other_household_a1))
    for check in checks.values():
        assert call(neighbour, "get", f"/health-checks/{check.pk}").status_code == 404
    listed = call(neighbour, "get", "/health-checks").json()
    assert listed["count"] == 0
    # Their household's unregistered guest is not theirs either.
    assert GUEST not in neighbour.get(reverse("health:checks")).content.decode()


def test_counts_hide_fevers_behind_too_few_checks_from_those_without_values(cast, checks, unit_a1):
    day = checks["own"].checked_on
    leader = health_counts(actor=cast["leader-a1"], area=unit_a1, since=day, until=day)
    assert leader["checks"] == 3 < COUNT_FLOOR and leader["fever"] is None and leader["withheld"]
    assert leader["unregistered_guests"] == 1
    worker = health_counts(actor=cast["health-a"], area=unit_a1, since=day, until=day)
    assert worker["fever"] == 2 and worker["symptoms"] == 1 and not worker["withheld"]
    for _ in range(COUNT_FLOOR):
        record(cast["health-a"], checks["own"].household, temperature_c="36.5")
    leader = health_counts(actor=cast["leader-a1"], area=unit_a1, since=day, until=day)
    assert leader["checks"] == 3 + COUNT_FLOOR and leader["fever"] == 2 and not leader["withheld"]
    assert HealthCheck.objects.filter(unit=unit_a1).count() == 3 + COUNT_FLOOR
