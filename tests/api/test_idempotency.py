"""Idempotency-Key: a retried write gets the first answer and records nothing new."""

from inminban.api.models import IdempotencyRecord
from inminban.audit.models import AuditEntry
from inminban.registry.models import Dwelling, Household

from .conftest import call, counts, error_fields

KEY = {"Idempotency-Key": "4b1f0c1e-retry-1"}


def _dwelling(address: str = "재시도거리 1") -> dict:
    return {"unit": "HS-A1", "address": address, "kind": "row"}


def test_retried_post_is_replayed_and_writes_nothing(token_for):
    client = token_for("leader-a1")
    first = call(client, "POST", "/dwellings", _dwelling(), **KEY)
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    after_first = counts()

    retry = call(client, "POST", "/dwellings", _dwelling(), **KEY)
    assert retry.status_code == 201
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert counts() == after_first
    assert Dwelling.objects.filter(address="재시도거리 1").count() == 1


def test_retried_move_is_replayed_once(token_for, unit_a1):
    client = token_for("leader-a1")
    household = Household.objects.filter(unit=unit_a1).order_by("number").first()
    target = call(client, "POST", "/dwellings", _dwelling("새집 1")).json()
    body = {"dwelling": target["id"], "on": "2025-04-01"}
    first = call(client, "POST", f"/households/{household.pk}/move", body, **KEY)
    assert first.status_code == 201
    audit_after_first = AuditEntry.objects.count()
    # Without the key the same request would fail ("already lives there"); with it the first answer comes back.
    retry = call(client, "POST", f"/households/{household.pk}/move", body, **KEY)
    assert (retry.status_code, retry.json()) == (201, first.json())
    assert AuditEntry.objects.count() == audit_after_first


def test_refusals_are_replayed_too(token_for):
    client = token_for("leader-a1")
    first = call(client, "POST", "/dwellings", _dwelling() | {"unit": "XX"}, **KEY)
    retry = call(client, "POST", "/dwellings", _dwelling() | {"unit": "XX"}, **KEY)
    assert first.status_code == retry.status_code == 422
    assert retry["Idempotent-Replayed"] == "true"


def test_same_key_with_a_different_body_is_a_422(token_for):
    client = token_for("leader-a1")
    assert call(client, "POST", "/dwellings", _dwelling(), **KEY).status_code == 201
    before = counts()
    response = call(client, "POST", "/dwellings", _dwelling("다른거리 2"), **KEY)
    assert response.status_code == 422
    assert "Idempotency-Key" in error_fields(response)
    assert counts() == before
    assert not Dwelling.objects.filter(address="다른거리 2").exists()


def test_same_key_on_another_path_is_a_422(token_for, unit_a1):
    client = token_for("leader-a1")
    assert call(client, "POST", "/dwellings", _dwelling(), **KEY).status_code == 201
    before = counts()
    response = call(
        client, "POST", "/households", {"unit": "HS-A1", "number": "K-1", "registered_on": "2024-01-01"}, **KEY
    )
    assert response.status_code == 422
    assert counts() == before


def test_keys_are_per_user(token_for):
    leader, officer = token_for("leader-a1"), token_for("officer-a")
    first = call(leader, "POST", "/dwellings", _dwelling(), **KEY)
    second = call(officer, "POST", "/dwellings", _dwelling(), **KEY)
    assert first.status_code == second.status_code == 201
    assert "Idempotent-Replayed" not in second
    assert first.json()["id"] != second.json()["id"]
    assert Dwelling.objects.filter(address="재시도거리 1").count() == 2
    assert IdempotencyRecord.objects.filter(key=KEY["Idempotency-Key"]).count() == 2


def test_session_clients_get_idempotency_too(client_for):
    client = client_for("officer-a")
    first = call(client, "POST", "/dwellings", _dwelling(), **KEY)
    retry = call(client, "POST", "/dwellings", _dwelling(), **KEY)
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry["Idempotent-Replayed"] == "true"
    assert Dwelling.objects.filter(address="재시도거리 1").count() == 1


def test_overlong_key_is_refused(token_for):
    client = token_for("leader-a1")
    before = counts()
    response = call(client, "POST", "/dwellings", _dwelling(), **{"Idempotency-Key": "k" * 129})
    assert response.status_code == 400
    assert "Idempotency-Key" in error_fields(response)
    assert counts() == before


def test_anonymous_retry_is_still_a_401(client_for):
    response = call(client_for(None), "POST", "/dwellings", _dwelling(), **KEY)
    assert response.status_code == 401
    assert not IdempotencyRecord.objects.exists()


def test_key_with_control_characters_is_refused_before_anything_is_written(token_for):
    client = token_for("leader-a1")
    before = counts()
    response = call(client, "POST", "/dwellings", _dwelling(), **{"Idempotency-Key": "retry\x01one"})
    assert response.status_code == 400
    assert "Idempotency-Key" in error_fields(response)
    assert counts() == before
    assert not IdempotencyRecord.objects.exists()
