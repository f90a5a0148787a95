"""Vouchers and redemptions through the public API, with bearer tokens: an approved cycle issues verifiable vouchers,
clerks redeem them fully or in part at their counter, a used-up voucher is refused naming the first hand-out, and
everyone else is kept out. Refusals name their reason; bad input names its field and writes nothing."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from inminban.entitlements import services
from inminban.entitlements.models import Cycle, Entitlement, Redemption
from inminban.stamps.documents import export_documents
from inminban.stamps.offline import verifier_from_directory
from inminban.stamps.services import stamp_revoke

from .conftest import call, fields_of
from .counter_fixtures import *  # noqa: F403 (fixtures)
from .counter_fixtures import rows, tampered


def redeem(client, counter, text, **extra):
    return call(client, "POST", f"/counters/{counter.pk}/redemptions", {"voucher": text, **extra})


def check(client, counter, text, **extra):
    return call(client, "POST", f"/counters/{counter.pk}/check", {"voucher": text, **extra})


def test_approval_issues_one_voucher_per_entitled_household_verifiable_offline(distribution, clients, tmp_path):
    cycle = distribution.cycle
    entitled = Entitlement.objects.filter(cycle=cycle, eligible=True)
    assert cycle.entitled == entitled.count() > 0
    assert not entitled.filter(voucher__isnull=True).exists()
    assert Entitlement.objects.filter(cycle=cycle, eligible=False, voucher__isnull=False).count() == 0
    assert len(set(entitled.values_list("voucher_id", flat=True))) == entitled.count()

    listed = call(clients["officer-a"], "GET", f"/cycles/{cycle.pk}/vouchers?limit=500").json()
    assert listed["count"] == entitled.count()
    first = distribution.vouchers[0]
    item = next(row for row in listed["items"] if row["serial"] == str(first.voucher.serial))
    assert item["quantity"] == first.quantity and item["left"] == first.quantity and item["status"] == "unredeemed"
    assert item["household_number"] == first.household.number and item["measure"] == "g"

    export_documents(tmp_path / "trust")
    result = verifier_from_directory(tmp_path / "trust").verify(distribution.text(0))
    assert result.ok, result.message
    assert result.claims.duty_kind == "voucher" and result.claims.duty_ref == f"cycle:{cycle.pk}"
    assert result.claims.household == first.household.number
    assert result.claims.quantity * 1000 == first.quantity  # kilograms on the voucher, grams in the entitlement
    assert distribution.text(0).startswith("INBV1")


def test_resident_sees_own_voucher_with_its_text_and_not_another(distribution, clients, cast):
    own = Entitlement.objects.get(
        cycle=distribution.cycle, household=cast["resident-a1"].role_assignments.get(role="resident").person.household
    )
    resident = clients["resident-a1"]
    response = call(resident, "GET", f"/vouchers/{own.voucher.serial}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["text"].startswith("INBV1") and body["left"] == own.quantity and body["redemptions"] == []
    other = next(e for e in distribution.vouchers if e.household_id != own.household_id)
    assert call(resident, "GET", f"/vouchers/{other.voucher.serial}").status_code == 404
    assert call(clients["ctr-clerk-a"], "GET", f"/vouchers/{own.voucher.serial}").status_code == 404
    listed = call(resident, "GET", f"/cycles/{distribution.cycle.pk}/vouchers").json()
    assert [item["serial"] for item in listed["items"]] == [str(own.voucher.serial)]


def test_clerk_redeems_one_fully_and_one_partially(distribution, clients):
    clerk = clients["ctr-clerk-a"]
    counter = distribution.counter_a
    full, partial = distribution.vouchers[0], distribution.vouchers[1]

    seen = check(clerk, counter, distribution.text(0))
    assert seen.status_code == 200, seen.content
    seen = seen.json()
    assert seen["ok"] is True and seen["reason"] == "valid"
    assert seen["household_number"] == full.household.number
    assert seen["members_counted"] == full.members_counted and seen["left"] == full.quantity

    response = redeem(clerk, counter, distribution.text(0))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["quantity"] == full.quantity and body["status"] == "accepted" and body["counter"] == "CTR-A"
    assert body["quantity_text"].endswith("kg") and uuid.UUID(body["id"])

    response = redeem(clerk, counter, distribution.text(1), quantity=1000)
    assert response.status_code == 201, response.content
    assert response.json()["quantity"] == 1000 and response.json()["quantity_text"] == "1 kg"

    full.refresh_from_db()
    partial.refresh_from_db()
    assert (full.redeemed, full.left) == (full.quantity, 0)
    assert (partial.redeemed, partial.left) == (1000, partial.quantity - 1000)
    again = check(clerk, counter, distribution.text(1)).json()
    assert again["ok"] is True and again["left"] == partial.quantity - 1000
    assert [(p["counter"], p["quantity"]) for p in again["previous"]] == [("CTR-A", 1000)]
    statuses = {
        item["serial"]: item["status"]
        for item in call(clients["leader-a1"], "GET", f"/cycles/{distribution.cycle.pk}/vouchers?limit=500").json()[
            "items"
        ]
    }
    assert statuses[str(full.voucher.serial)] == "redeemed" and statuses[str(partial.voucher.serial)] == "partial"


def test_second_full_redemption_is_refused_naming_the_first(distribution, clients):
    first = redeem(clients["ctr-clerk-a"], distribution.counter_a, distribution.text(0))
    assert first.status_code == 201
    handed = timezone.localtime(Redemption.objects.get(uid=first.json()["id"]).handed_at).strftime("%Y-%m-%d %H:%M")
    before = rows()
    again = redeem(clients["ctr-clerk-a1"], distribution.counter_a1, distribution.text(0))
    assert again.status_code == 422, again.content
    body = again.json()
    assert body["error"] == "voucher_used_up" and "voucher" in body["fields"]
    assert "Clerk CTR-CLERK-A" in body["detail"] and "Counter A" in body["detail"] and handed in body["detail"]
    assert rows() == before
    seen = check(clients["ctr-clerk-a1"], distribution.counter_a1, distribution.text(0)).json()
    assert seen["ok"] is False and seen["reason"] == "used_up" and seen["left"] == 0
    assert [p["clerk"] for p in seen["previous"]] == ["Clerk CTR-CLERK-A"]


def test_more_than_is_left_is_refused_naming_the_quantity(distribution, clients):
    clerk = clients["ctr-clerk-a"]
    assert redeem(clerk, distribution.counter_a, distribution.text(1), quantity=1000).status_code == 201
    left = distribution.vouchers[1].quantity - 1000
    before = rows()
    response = redeem(clerk, distribution.counter_a, distribution.text(1), quantity=left + 1)
    assert fields_of(response)["quantity"] and response.json()["error"] == "voucher_not_enough_left"
    assert rows() == before


def test_clerk_of_another_counters_area_gets_404(distribution, clients):
    before = rows()
    clerk_b = clients["ctr-clerk-b"]
    assert redeem(clerk_b, distribution.counter_a, distribution.text(0)).status_code == 404
    assert check(clerk_b, distribution.counter_a, distribution.text(0)).status_code == 404
    assert call(clerk_b, "GET", f"/counters/{distribution.counter_a.pk}").status_code == 404
    # At their own counter, a voucher of a household they do not serve is not there either.
    assert redeem(clerk_b, distribution.counter_b, distribution.text(0)).status_code == 404
    assert redeem(clients["ctr-clerk-a2"], distribution.counter_a2, distribution.text(0)).status_code == 404
    assert check(clients["ctr-clerk-a2"], distribution.counter_a2, distribution.text(0)).status_code == 404
    assert rows() == before


@pytest.mark.parametrize("role, status", [("leader-a1", 404), ("resident-a1", 404), ("auditor", 403)])
def test_others_cannot_redeem(role, status, distribution, clients):
    before = rows()
    response = redeem(clients[role], distribution.counter_a, distribution.text(0))
    assert response.status_code == status, response.content
    assert check(clients[role], distribution.counter_a, distribution.text(0)).status_code == status
    assert rows() == before


def test_officer_managing_the_area_may_redeem(distribution, clients):
    assert redeem(clients["officer-a"], distribution.counter_a, distribution.text(2)).status_code == 201
    assert redeem(clients["officer-b"], distribution.counter_a, distribution.text(3)).status_code == 404


# Refusals ---------------------------------------------------------------------------------------------------------


def _refused_online(clients, distribution, text, reason, **extra):
    before = rows()
    clerk = clients["ctr-clerk-a"]
    seen = check(clerk, distribution.counter_a, text, **extra)
    assert seen.status_code == 200, seen.content
    assert (seen.json()["ok"], seen.json()["reason"]) == (False, reason), seen.json()
    response = redeem(clerk, distribution.counter_a, text, **extra)
    assert response.status_code == 422, response.content
    assert response.json()["error"] == f"voucher_{reason}" and "voucher" in response.json()["fields"]
    assert rows() == before


# Offsets into the COSE message: 12 is in the key id of the protected header, 40 and 70 in the claims, -40 and -3 in
# the signature.
@pytest.mark.parametrize(
    "offset, reason",
    [(12, "unknown_key"), (40, "bad_signature"), (70, "bad_signature"), (-40, "bad_signature"), (-3, "bad_signature")],
)
def test_voucher_with_a_byte_changed_is_refused(offset, reason, distribution, clients):
    _refused_online(clients, distribution, tampered(distribution.text(0), offset), reason)


def test_every_character_changed_is_refused(distribution, clients):
    from inminban.entitlements.redemptions import voucher_check

    text = distribution.text(0)
    clerk = distribution.clerks["a"]
    reasons = set()
    for index in range(len(text)):
        changed = text[:index] + ("1" if text[index] != "1" else "2") + text[index + 1 :]
        result = voucher_check(actor=clerk, counter=distribution.counter_a, text=changed)
        assert not result.ok, index
        reasons.add(result.reason)
    assert reasons <= {"bad_signature", "malformed", "bad_prefix", "unknown_key"}, reasons


def test_voucher_of_another_cycle_is_refused(distribution, clients, cast, checker):
    officer = cast["officer-a"]
    program = distribution.cycle.program
    later = services.cycle_create(
        actor=officer, program=program, period_start=distribution.cycle.period_end + timedelta(days=1)
    )
    later = services.cycle_generate(actor=officer, cycle=later)
    later = services.cycle_approve(actor=checker, cycle=Cycle.objects.get(pk=later.pk))
    _refused_online(clients, distribution, distribution.text(0), "other_cycle", cycle=later.pk)
    # A cycle the counter does not distribute is no cycle to name.
    other = call(
        clients["ctr-clerk-a"],
        "POST",
        f"/counters/{distribution.counter_a.pk}/check",
        {"voucher": distribution.text(0), "cycle": 2**40},
    )
    assert "cycle" in fields_of(other)


def test_voucher_of_a_closed_cycle_is_refused(distribution, clients, cast):
    text = distribution.text(0)
    services.cycle_close(actor=cast["officer-a"], cycle=Cycle.objects.get(pk=distribution.cycle.pk))
    _refused_online(clients, distribution, text, "cycle_closed")


def test_revoked_voucher_is_refused(distribution, clients, cast):
    text = distribution.text(0)
    stamp_revoke(actor=cast["officer-a"], stamp=distribution.vouchers[0].voucher, reason="Reported lost")
    _refused_online(clients, distribution, text, "revoked")


def test_voucher_signed_by_a_key_not_valid_for_the_unit_is_refused(distribution, clients, forged):
    _refused_online(clients, distribution, forged(distribution.vouchers[0].voucher), "key_not_valid_for_unit")


def test_stamp_is_not_a_voucher_and_unknown_voucher_is_refused(distribution, clients, cast, forged, office_a):
    from django.db import transaction

    from inminban.stamps import codec, keyfiles
    from inminban.stamps.services import office_signing_key, stamp_claims

    with transaction.atomic():
        key = office_signing_key(actor=cast["officer-a"], office=office_a)
    private = keyfiles.load_existing_key(key.key_name, expected_kid=key.kid)
    claims = stamp_claims(distribution.vouchers[0].voucher)
    claims.serial = uuid.uuid4()
    _refused_online(
        clients, distribution, codec.encode_stamp(claims, private, bytes.fromhex(key.kid)), "unknown_voucher"
    )
    claims.duty_kind = "labour"
    _refused_online(clients, distribution, codec.encode_stamp(claims, private, bytes.fromhex(key.kid)), "not_a_voucher")
    _refused_online(clients, distribution, "INBV1:NOT-A-VOUCHER", "malformed")


# Bad input --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, field",
    [
        ({"voucher": "x", "quantity": 0}, "quantity"),
        ({"voucher": "x", "quantity": -1000}, "quantity"),
        ({"voucher": "x", "quantity": "1000"}, "quantity"),
        ({"voucher": "x", "quantity": 1.5}, "quantity"),
        ({"voucher": "x", "clerk": "me"}, "clerk"),
        ({"quantity": 1000}, "voucher"),
        ({"voucher": ""}, "voucher"),
        ({"voucher": 12}, "voucher"),
        ({"voucher": "x", "cycle": "1"}, "cycle"),
    ],
)
def test_bad_redemption_names_the_field_and_writes_nothing(body, field, distribution, clients):
    body = {**body, "voucher": distribution.text(0)} if body.get("voucher") == "x" else body
    before = rows()
    response = call(clients["ctr-clerk-a"], "POST", f"/counters/{distribution.counter_a.pk}/redemptions", body)
    assert field in fields_of(response), response.json()
    assert rows() == before


def _item(distribution, index=0, **changes):
    item = {
        "id": str(uuid.uuid4()),
        "voucher": distribution.text(index),
        "quantity": 1000,
        "handed_at": timezone.localtime().isoformat(),
        "clerk": "Kim",
    }
    return {**item, **changes}


@pytest.mark.parametrize(
    "change, field",
    [
        ({"quantity": -5}, "redemptions.0.quantity"),
        ({"quantity": 0}, "redemptions.0.quantity"),
        ({"quantity": "5"}, "redemptions.0.quantity"),
        ({"id": "not-a-uuid"}, "redemptions.0.id"),
        ({"id": None}, "redemptions.0.id"),
        ({"handed_at": "2026-01-01T10:00:00"}, "redemptions.0.handed_at"),
        ({"handed_at": "2026-13-01T10:00:00+09:00"}, "redemptions.0.handed_at"),
        ({"handed_at": 1767225600}, "redemptions.0.handed_at"),
        ({"counter": "CTR-A"}, "redemptions.0.counter"),
        ({"voucher": ""}, "redemptions.0.voucher"),
    ],
)
def test_bad_batch_item_names_the_field_and_writes_nothing(change, field, distribution, clients):
    body = {"redemptions": [_item(distribution, 1), _item(distribution, 0, **change)]}
    body["redemptions"].reverse()
    before = rows()
    response = call(clients["ctr-clerk-a"], "POST", f"/counters/{distribution.counter_a.pk}/redemptions/batch", body)
    assert field in fields_of(response), response.json()
    assert rows() == before


@pytest.mark.parametrize(
    "body, field",
    [
        ({"redemptions": []}, "redemptions"),
        ({"redemptions": "all"}, "redemptions"),
        ({}, "redemptions"),
        ({"redemptions": [], "counter": 1}, "counter"),
        ("[1, 2", "body"),
    ],
)
def test_malformed_batch_names_the_field_and_writes_nothing(body, field, distribution, clients):
    before = rows()
    response = call(clients["ctr-clerk-a"], "POST", f"/counters/{distribution.counter_a.pk}/redemptions/batch", body)
    status = 400 if field == "body" else 422
    assert field in fields_of(response, status), response.json()
    assert rows() == before


def test_batch_with_a_future_time_or_a_repeated_id_writes_nothing(distribution, clients):
    clerk = clients["ctr-clerk-a"]
    url = f"/counters/{distribution.counter_a.pk}/redemptions/batch"
    before = rows()
    future = (timezone.localtime() + timedelta(hours=2)).isoformat()
    response = call(
        clerk, "POST", url, {"redemptions": [_item(distribution), _item(distribution, 1, handed_at=future)]}
    )
    assert "redemptions.1.handed_at" in fields_of(response)
    item = _item(distribution)
    assert "redemptions" in fields_of(call(clerk, "POST", url, {"redemptions": [item, item]}))
    assert rows() == before


# Batches, conflicts and their resolution -----------------------------------------------------------------------


def test_batch_upload_is_idempotent_and_lists_the_conflict_once_with_both_counters(distribution, clients, cast):
    voucher = distribution.vouchers[0]
    earlier = timezone.localtime(voucher.voucher.issued_at) + timedelta(seconds=1)  # not before the voucher existed
    at_a1 = _item(distribution, 0, quantity=voucher.quantity, handed_at=earlier.isoformat(), clerk="Ri")
    at_a = _item(distribution, 0, quantity=voucher.quantity, handed_at=(earlier + timedelta(seconds=1)).isoformat())
    partial = _item(distribution, 1, quantity=500)

    # Counter A uploads first, though its hand-out came later: it stands only until A1's earlier one arrives.
    first = call(
        clients["ctr-clerk-a"],
        "POST",
        f"/counters/{distribution.counter_a.pk}/redemptions/batch",
        {"redemptions": [at_a, partial]},
    )
    assert first.status_code == 200, first.content
    assert len(first.json()["recorded"]) == 2 and first.json()["conflicts"] == []

    url_a1 = f"/counters/{distribution.counter_a1.pk}/redemptions/batch"
    second = call(clients["ctr-clerk-a1"], "POST", url_a1, {"redemptions": [at_a1]})
    assert second.status_code == 200, second.content
    answer = second.json()
    assert [r["id"] for r in answer["recorded"]] == [at_a1["id"]]
    assert [c["id"] for c in answer["conflicts"]] == [at_a["id"]]
    conflict = answer["conflicts"][0]
    assert conflict["counter"] == "CTR-A" and conflict["conflict_with"]["counter"] == "CTR-A1"
    assert conflict["conflict_with"]["id"] == at_a1["id"] and conflict["excess"] == voucher.quantity
    voucher.refresh_from_db()
    assert voucher.redeemed == voucher.quantity  # counted once

    before = rows()
    for client, url, items in (
        (clients["ctr-clerk-a1"], url_a1, [at_a1]),
        (clients["ctr-clerk-a"], f"/counters/{distribution.counter_a.pk}/redemptions/batch", [at_a, partial]),
    ):
        retried = call(client, "POST", url, {"redemptions": items})
        assert retried.status_code == 200
        assert sorted(retried.json()["already_recorded"]) == sorted(item["id"] for item in items)
        assert retried.json()["recorded"] == retried.json()["conflicts"] == []
    assert rows() == before

    conflicts = call(clients["officer-a"], "GET", f"/cycles/{distribution.cycle.pk}/conflicts").json()
    assert conflicts["count"] == 1 and conflicts["items"][0]["id"] == at_a["id"]
    assert call(clients["ctr-clerk-a"], "GET", f"/cycles/{distribution.cycle.pk}/conflicts").status_code == 404

    resolve = f"/redemptions/{at_a['id']}/resolve"
    assert call(clients["leader-a1"], "POST", resolve, {"note": "Returned"}).status_code == 403
    before = rows()
    assert "note" in fields_of(call(clients["officer-a"], "POST", resolve, {"note": ""}))
    assert rows() == before
    done = call(clients["officer-a"], "POST", resolve, {"note": "The household returned the second sack."})
    assert done.status_code == 200 and done.json()["status"] == "resolved"
    before = rows()
    assert "redemption" in fields_of(call(clients["officer-a"], "POST", resolve, {"note": "Again"}))
    assert rows() == before
    assert call(clients["officer-a"], "GET", f"/cycles/{distribution.cycle.pk}/conflicts").json()["count"] == 0


def test_batch_refuses_vouchers_that_do_not_verify_and_counts_the_rest(distribution, clients, forged):
    good = _item(distribution, 2, quantity=700)
    bad = _item(distribution, 3, voucher=tampered(distribution.text(3)))
    wrong_key = _item(distribution, 3, voucher=forged(distribution.vouchers[3].voucher))
    response = call(
        clients["ctr-clerk-a"],
        "POST",
        f"/counters/{distribution.counter_a.pk}/redemptions/batch",
        {"redemptions": [good, bad, wrong_key]},
    )
    assert response.status_code == 200, response.content
    answer = response.json()
    assert [r["id"] for r in answer["recorded"]] == [good["id"]]
    assert {(r["id"], r["reason"]) for r in answer["refused"]} == {
        (bad["id"], "bad_signature"),
        (wrong_key["id"], "key_not_valid_for_unit"),
    }
    assert not Redemption.objects.filter(uid__in=[bad["id"], wrong_key["id"]]).exists()


# Counters ---------------------------------------------------------------------------------------------------------


def test_officer_opens_a_counter_and_assigns_a_clerk(distribution, clients, bearer):
    from django.contrib.auth.models import User

    officer = clients["officer-a"]
    response = call(
        officer,
        "POST",
        "/counters",
        {"area": "HS-A1", "code": "NEW-1", "name_ko": "새 배급소", "opening_hours": "08:00–12:00"},
    )
    assert response.status_code == 201, response.content
    counter = response.json()
    assert counter["area"] == "HS-A1" and counter["office"] == "HS-A-OFFICE" and counter["clerks"] == []
    User.objects.create_user("ctr-new-clerk")
    assigned = call(officer, "POST", f"/counters/{counter['id']}/clerks", {"user": "ctr-new-clerk"})
    assert assigned.status_code == 201, assigned.content
    newcomer = bearer("ctr-new-clerk")
    mine = call(newcomer, "GET", "/counters").json()
    assert [item["code"] for item in mine["items"]] == ["NEW-1"]
    assert redeem(newcomer, distribution.counter_a1, distribution.text(0)).status_code == 404
    assert redeem(newcomer, type("C", (), {"pk": counter["id"]}), distribution.text(0)).status_code == 201

    before = rows()
    assert "user" in fields_of(call(officer, "POST", f"/counters/{counter['id']}/clerks", {"user": "ctr-new-clerk"}))
    assert "user" in fields_of(call(officer, "POST", f"/counters/{counter['id']}/clerks", {"user": "nobody-here"}))
    assert "code" in fields_of(call(officer, "POST", "/counters", {"area": "HS-A1", "code": "NEW-1", "name_en": "x"}))
    assert "code" in fields_of(call(officer, "POST", "/counters", {"area": "HS-A1", "code": "새", "name_en": "x"}))
    assert "area" in fields_of(call(officer, "POST", "/counters", {"area": "HS-B", "code": "NEW-2", "name_en": "x"}))
    assert "name_en" in fields_of(call(officer, "POST", "/counters", {"area": "HS-A1", "code": "NEW-3"}))
    assert "extra" in fields_of(call(officer, "POST", "/counters", {"area": "HS-A1", "code": "N4", "extra": 1}))
    assert (
        call(clients["leader-a1"], "POST", "/counters", {"area": "HS-A1", "code": "NEW-5", "name_en": "x"}).status_code
        == 403
    )
    assert (
        call(
            clients["ctr-clerk-a"], "POST", f"/counters/{distribution.counter_a.pk}/clerks", {"user": "ctr-new-clerk"}
        ).status_code
        == 403
    )
    assert (
        call(
            clients["officer-b"], "POST", f"/counters/{distribution.counter_a.pk}/clerks", {"user": "ctr-new-clerk"}
        ).status_code
        == 404
    )
    assert rows() == before
