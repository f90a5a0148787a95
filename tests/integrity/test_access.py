"""The same access cases for every integrity endpoint and every role: flags go to the office governing the unit (and
offices above), auditors and administrators, and to the leader they are about; for anyone else a flag is a 404 and
the list is empty. Writes are told apart as 403 (you see it, but it is not yours to do) and 404 (you do not see it).
Anonymous callers get a 401 everywhere."""

import pytest

from inminban.integrity.models import Flag

from .conftest import call, state

ROLES = ["anonymous", "admin", "officer-city", "officer-a", "officer-b", "auditor", "leader-a1", "leader-b1",
         "resident-a1", "health-a"]  # fmt: skip

# The flag about leader-a1 in unit HS-A1 (office HS-A-OFFICE), by role: who reads it, who answers, who decides.
READS = {"admin", "officer-city", "officer-a", "auditor", "leader-a1"}
EXPLAINS = {"leader-a1"}
DECIDES = {"admin", "officer-city", "officer-a"}
# The detection rules of HS-A-OFFICE: who reads them, who sets them.
READS_RULES = {"admin", "officer-city", "officer-a", "auditor"}
SETS_RULES = {"admin", "officer-city"}
# The flag history of unit HS-A1: the unit is a 422 to whoever cannot see it (like every area filter).
SEES_UNIT = {"admin", "officer-city", "officer-a", "auditor", "leader-a1"}


def _client(client_for, role):
    return client_for(None if role == "anonymous" else role)


def _expected(role, allowed, *, visible=READS):
    if role == "anonymous":
        return 401
    if role in allowed:
        return 200
    return 403 if role in visible else 404


@pytest.mark.parametrize("role", ROLES)
def test_reading_a_flag(client_for, flag_a, role):
    response = call(_client(client_for, role), "GET", f"/integrity-flags/{flag_a.pk}")
    assert response.status_code == _expected(role, READS)


@pytest.mark.parametrize("role", ROLES)
def test_listing_flags(client_for, flag_a, flag_b, role):
    response = call(_client(client_for, role), "GET", "/integrity-flags")
    if role == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 200
    ids = {item["id"] for item in response.json()["items"]}
    expected = {
        "admin": {flag_a.pk, flag_b.pk},
        "officer-city": {flag_a.pk, flag_b.pk},
        "auditor": {flag_a.pk, flag_b.pk},
        "officer-a": {flag_a.pk},
        "leader-a1": {flag_a.pk},
        "officer-b": {flag_b.pk},
        "leader-b1": {flag_b.pk},
    }.get(role, set())
    assert ids == expected


@pytest.mark.parametrize("role", ROLES)
def test_answering_a_flag(client_for, flag_a, role):
    before = state()
    response = call(
        _client(client_for, role), "POST", f"/integrity-flags/{flag_a.pk}/explanation", {"explanation": "설명"}
    )
    assert response.status_code == _expected(role, EXPLAINS)
    if response.status_code != 200:
        assert state() == before


@pytest.mark.parametrize("role", ROLES)
def test_deciding_a_flag(client_for, flag_a, role):
    before = state()
    response = call(
        _client(client_for, role),
        "POST",
        f"/integrity-flags/{flag_a.pk}/decision",
        {"status": "dismissed", "reason": "확인함"},
    )
    assert response.status_code == _expected(role, DECIDES)
    if response.status_code == 200:
        assert Flag.objects.get(pk=flag_a.pk).status == "dismissed"
    else:
        assert state() == before


@pytest.mark.parametrize("role", ROLES)
def test_a_units_flag_history(client_for, flag_a, role):
    response = call(_client(client_for, role), "GET", "/integrity-flags/history?unit=HS-A1")
    if role == "anonymous":
        assert response.status_code == 401
    elif role in SEES_UNIT:
        assert response.status_code == 200
        months = response.json()["months"]
        assert sum(month["total"] for month in months) == 1 and months[0]["open"] == 1
    else:
        assert response.status_code == 422 and "unit" in response.json()["fields"]


@pytest.mark.parametrize("role", ROLES)
def test_reading_an_offices_detection_rules(client_for, role):
    response = call(_client(client_for, role), "GET", "/detection-rules?office=HS-A-OFFICE")
    assert response.status_code == _expected(role, READS_RULES, visible=READS_RULES)
    if response.status_code == 200:
        assert len(response.json()["rules"]) == 8
        assert response.json()["may_change"] == (role in SETS_RULES)


@pytest.mark.parametrize("role", ROLES)
def test_setting_an_offices_detection_rule(client_for, role):
    before = state()
    response = call(_client(client_for, role), "PUT", "/detection-rules/HS-A-OFFICE/waiver_rate", {"threshold": 4})
    assert response.status_code == _expected(role, SETS_RULES, visible=READS_RULES)
    if response.status_code != 200:
        assert state() == before
