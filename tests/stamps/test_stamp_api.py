"""/api/v1/stamps: the access matrix, revocation, verification and the trust list."""

import base64

import base45
import pytest

from inminban.stamps.trust import read_trust_list

from .conftest import API, call


@pytest.fixture
def stamps(issue, household_a1, household_b1):
    return {"a1": issue(household_a1), "b1": issue(household_b1, actor="leader-b1")}


def serials(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {item["serial"] for item in response.json()["items"]}


@pytest.mark.parametrize(
    ("username", "sees"),
    [
        ("leader-a1", {"a1"}),
        ("leader-b1", {"b1"}),
        ("officer-a", {"a1"}),
        ("auditor", {"a1", "b1"}),
        ("admin", {"a1", "b1"}),
        ("resident-a1", {"a1"}),  # the first household of A1 is the resident's own
    ],
)
def test_list_is_scoped(stamps, client_for, username, sees):
    assert serials(call(client_for(username), "GET", "/stamps")) == {str(stamps[name].serial) for name in sees}


def test_resident_does_not_see_neighbours_stamps(issue, unit_a1, client_for):
    from inminban.registry.models import Household

    neighbour = Household.objects.filter(unit=unit_a1).order_by("number")[1]
    stamp = issue(neighbour)
    assert call(client_for("resident-a1"), "GET", f"/stamps/{stamp.serial}").status_code == 404
    assert call(client_for("leader-a1"), "GET", f"/stamps/{stamp.serial}").status_code == 200


def test_anonymous_may_not_list(stamps, client_for):
    assert call(client_for(None), "GET", "/stamps").status_code == 401


def test_detail(stamps, client_for):
    response = call(client_for("leader-a1"), "GET", f"/stamps/{stamps['a1'].serial}")
    assert response.status_code == 200
    body = response.json()
    assert body["encoded"] == stamps["a1"].encoded and body["quantity"] == "8" and body["office"] == "HS-A-OFFICE"
    assert body["page_url"] == f"/stamps/{stamps['a1'].serial}/"


@pytest.mark.parametrize("serial", ["b1", "not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_other_units_stamp_is_a_404(stamps, client_for, serial):
    serial = stamps[serial].serial if serial in stamps else serial
    assert call(client_for("leader-a1"), "GET", f"/stamps/{serial}").status_code == 404
    assert call(client_for("leader-a1"), "POST", f"/stamps/{serial}/revoke", {"reason": "x"}).status_code == 404


@pytest.mark.parametrize("username", ["leader-a1", "auditor", "resident-a1"])
def test_who_may_not_revoke_is_refused(stamps, client_for, username, unchanged):
    response = call(client_for(username), "POST", f"/stamps/{stamps['a1'].serial}/revoke", {"reason": "x"})
    # The stamp is the resident's own household's and they may read it, but revoking checks the unit, which a
    # resident cannot see: 404, as for anything out of scope. A leader and an auditor see the unit: 403.
    assert response.status_code == (404 if username == "resident-a1" else 403)
    stamps["a1"].refresh_from_db()
    assert not stamps["a1"].is_revoked


def test_officer_revokes(stamps, client_for):
    response = call(client_for("officer-a"), "POST", f"/stamps/{stamps['a1'].serial}/revoke", {"reason": "duplicate"})
    assert response.status_code == 200, response.content
    assert response.json()["revoked_reason"] == "duplicate" and response.json()["revoked_at"]
    verdict = call(client_for(None), "POST", "/stamps/verify", {"stamp": stamps["a1"].encoded}).json()
    assert (verdict["ok"], verdict["reason"]) == (False, "revoked")


@pytest.mark.parametrize("body", [{"reason": ""}, {"reason": "   "}, {}, {"reason": 5}])
def test_revoke_without_a_reason(stamps, client_for, body, unchanged):
    response = call(client_for("officer-a"), "POST", f"/stamps/{stamps['a1'].serial}/revoke", body)
    assert response.status_code == 422
    assert "reason" in response.json()["fields"]
    stamps["a1"].refresh_from_db()
    assert not stamps["a1"].is_revoked


def test_verify_is_public_and_says_why(stamps, client_for):
    client = client_for(None)
    good = call(client, "POST", "/stamps/verify", {"stamp": stamps["b1"].encoded}).json()
    assert good["ok"] is True and good["reason"] == "valid"
    assert good["claims"]["household"] == stamps["b1"].household.number and good["key"]["office"] == "HS-B-OFFICE"
    raw = bytearray(base45.b45decode(stamps["b1"].encoded[5:]))
    raw[-1] ^= 0x01
    bad = call(client, "POST", "/stamps/verify", {"stamp": "INB1:" + base45.b45encode(bytes(raw)).decode()}).json()
    assert (bad["ok"], bad["reason"]) == (False, "bad_signature") and "altered" in bad["message"]
    assert call(client, "POST", "/stamps/verify", {"stamp": "hello"}).json()["reason"] == "bad_prefix"


def test_verify_with_no_stamp_is_a_422(client_for):
    response = call(client_for(None), "POST", "/stamps/verify", {"stamp": ""})
    assert response.status_code == 422 and "stamp" in response.json()["fields"]


def test_verify_with_a_body_that_is_not_json_is_a_documented_400(client_for):
    client = client_for(None)
    response = client.post(f"{API}/stamps/verify", data=b"\x00", content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"error", "detail", "fields"} and "body" in response.json()["fields"]
    documented = call(client, "GET", "/openapi.json").json()["paths"][f"{API}/stamps/verify"]["post"]["responses"]
    assert {"200", "400", "413", "422", "503"} <= set(documented) and "401" not in documented


def test_trust_list_endpoint(stamps, client_for):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    body = call(client_for(None), "GET", "/stamps/trust-list").json()
    offices = {key["office"] for key in body["keys"]}
    assert offices == {"HS-A-OFFICE", "HS-B-OFFICE"}
    root = Ed25519PublicKey.from_public_bytes(bytes.fromhex(body["root_key"]))
    trust = read_trust_list(base64.b64decode(body["document"]), root)
    assert set(trust.keys) == {stamps["a1"].signing_key.kid, stamps["b1"].signing_key.kid}


def test_openapi_lists_the_stamp_endpoints(client_for):
    paths = call(client_for(None), "GET", "/openapi.json").json()["paths"]
    assert {"/api/v1/stamps", "/api/v1/stamps/verify", "/api/v1/stamps/{serial}/revoke"} <= set(paths)
