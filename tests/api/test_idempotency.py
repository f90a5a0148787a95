"""Idempotency-Key: a retried write gets the first answer and records nothing new."""

from datetime import timedelta

from django.utils import timezone

from inminban.api.idempotency import ABANDONED_AFTER, idempotency_keys_purge
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


def _claim_held_by_another_request(user, body: dict, *, age=None) -> IdempotencyRecord:
    """The row a first request inserts before its handler runs (it is still running: no answer yet)."""
    import hashlib
    import json

    path = "/api/v1/dwellings"
    digest = hashlib.sha256(b"POST" + path.encode() + b"\n" + json.dumps(body).encode()).hexdigest()
    record = IdempotencyRecord.objects.create(
        user=user, key=KEY["Idempotency-Key"], method="POST", path=path, request_hash=digest, status=0, body=b""
    )
    if age is not None:
        IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - age)
    return record


def test_a_retry_while_the_first_request_runs_answers_409_with_retry_after(token_for, cast, settings):
    settings.IDEMPOTENCY_WAIT_SECONDS = 0
    client = token_for("leader-a1")
    _claim_held_by_another_request(cast["leader-a1"], _dwelling())
    before = counts()
    response = call(client, "POST", "/dwellings", _dwelling(), **KEY)
    assert response.status_code == 409
    assert response["Retry-After"] == "1"
    assert "Idempotency-Key" in error_fields(response)
    assert counts() == before


def test_a_claim_abandoned_by_a_dead_request_is_taken_over(token_for, cast):
    client = token_for("leader-a1")
    _claim_held_by_another_request(cast["leader-a1"], _dwelling(), age=ABANDONED_AFTER + timedelta(seconds=1))
    response = call(client, "POST", "/dwellings", _dwelling(), **KEY)
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert IdempotencyRecord.objects.get(key=KEY["Idempotency-Key"]).completed_at is not None


def test_an_expired_key_may_be_used_again(token_for, settings):
    settings.IDEMPOTENCY_HOURS = 2
    client = token_for("leader-a1")
    assert call(client, "POST", "/dwellings", _dwelling(), **KEY).status_code == 201
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=2, seconds=1))
    again = call(client, "POST", "/dwellings", _dwelling("만료거리 1"), **KEY)
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    assert Dwelling.objects.filter(address="만료거리 1").count() == 1


def test_a_failing_request_lets_its_key_go(token_for, monkeypatch):
    from inminban.registry import api as registry_api

    client = token_for("leader-a1")

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(registry_api.services, "dwelling_create", broken)
    client.raise_request_exception = False
    assert call(client, "POST", "/dwellings", _dwelling(), **KEY).status_code == 500
    assert not IdempotencyRecord.objects.exists()
    monkeypatch.undo()
    assert call(client, "POST", "/dwellings", _dwelling(), **KEY).status_code == 201


def test_the_purge_deletes_expired_keys_and_abandoned_claims_only(token_for, cast, settings):
    settings.IDEMPOTENCY_HOURS = 24
    client = token_for("leader-a1")
    call(client, "POST", "/dwellings", _dwelling(), **{"Idempotency-Key": "kept"})
    call(client, "POST", "/dwellings", _dwelling("오래된거리 1"), **{"Idempotency-Key": "expired"})
    IdempotencyRecord.objects.filter(key="expired").update(created_at=timezone.now() - timedelta(hours=25))
    _claim_held_by_another_request(cast["leader-a1"], _dwelling("죽은거리 1"), age=ABANDONED_AFTER * 2)
    _claim_held_by_another_request(cast["officer-a"], _dwelling("느린거리 1"))  # still running: kept

    assert idempotency_keys_purge() == 2
    assert sorted(IdempotencyRecord.objects.values_list("key", flat=True)) == sorted(["kept", KEY["Idempotency-Key"]])


def test_the_purge_is_scheduled_hourly_through_the_job_mechanism(monkeypatch):
    from inminban.jobs.registry import declared_schedules, handler_for

    monkeypatch.undo()  # the apps' schedules, which tests/conftest.py hides from every other test
    assert {item.kind: item.interval_seconds for item in declared_schedules()}["api.idempotency_purge"] == 3600
    assert handler_for("api.idempotency_purge") is not None
