"""A stamp holds only when the key that signed it belongs to an office that governs the stamp's unit. The trust list
carries each key's area path and where every unit is, so the check runs offline as online; and an offline verifier
whose status lists are older than INMINBAN_STAMP_STATUS_MAX_AGE_DAYS answers "status list too old", not valid."""

import dataclasses
import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command

from inminban.stamps import codec, documents, keyfiles, services
from inminban.stamps.offline import verifier_from_directory
from inminban.stamps.trust import TrustedKey, build_status_list, build_trust_list, kid_of, raw_public_key
from inminban.stamps.verify import REASONS, verify_stamp

from .conftest import call, live_verifier
from .test_stamp_cli import verify_offline
from .test_stamp_verify import NOW, ROOT, claims

WRONG_UNIT = "Key not valid for this unit"


@pytest.fixture
def genuine(issue, household_a1):
    return issue(household_a1)


@pytest.fixture
def forged(issue, genuine, household_b1) -> str:
    """Unit HS-A1's genuine claims (a fresh serial, a status index district B has issued) signed with district B's
    real key: everything about it is valid except the office."""
    b_stamp = issue(household_b1, actor="leader-b1")
    key = b_stamp.signing_key
    private_key = keyfiles.load_existing_key(key.key_name, expected_kid=key.kid)
    forged_claims = dataclasses.replace(
        services.stamp_claims(genuine), serial=uuid.uuid4(), status_index=b_stamp.status_index
    )
    assert forged_claims.unit == "HS-A1" and key.office.code == "HS-B-OFFICE"
    return codec.encode_stamp(forged_claims, private_key, bytes.fromhex(key.kid))


@pytest.fixture
def exported(tmp_path, forged, capsys):
    directory = tmp_path / "trust"
    call_command("stamp", "export", str(directory))
    capsys.readouterr()
    return directory


# The acceptance case: offline and online -------------------------------------------------------------------------


def test_a_cross_office_stamp_is_refused_offline(exported, forged, genuine):
    verifier = verifier_from_directory(exported)
    result = verifier.verify(forged)
    assert (result.ok, result.reason) == (False, "key_not_valid_for_unit")
    assert result.message.startswith(WRONG_UNIT)
    assert "HS-B-OFFICE" in result.message and "/KP/RG/HS/HS-A/HS-A1/" in result.message
    assert verifier.verify(genuine.encoded).ok


def test_a_cross_office_stamp_is_refused_by_the_command_line_without_a_database(exported, forged, tmp_path):
    run = verify_offline(tmp_path, forged, "--trust", str(exported))
    assert run.returncode == 1, run.stderr
    assert run.stdout.startswith(f"INVALID (key_not_valid_for_unit): {WRONG_UNIT}")


def test_a_cross_office_stamp_is_refused_online(client_for, forged, genuine):
    response = call(client_for(None), "POST", "/stamps/verify", {"stamp": forged})
    assert response.status_code == 200
    body = response.json()
    assert (body["ok"], body["reason"]) == (False, "key_not_valid_for_unit")
    assert body["message"].startswith(WRONG_UNIT)
    assert (body["key"]["office"], body["key"]["area"]) == ("HS-B-OFFICE", "/KP/RG/HS/HS-B/")
    assert call(client_for(None), "POST", "/stamps/verify", {"stamp": genuine.encoded}).json()["ok"] is True


def test_the_trust_list_carries_each_keys_area_and_where_the_units_are(genuine, forged, unit_a1, unit_b1):
    trust = live_verifier().trust
    areas = {key.office: key.area for key in trust.keys.values()}
    assert areas == {"HS-A-OFFICE": "/KP/RG/HS/HS-A/", "HS-B-OFFICE": "/KP/RG/HS/HS-B/"}
    assert (trust.units["HS-A1"], trust.units["HS-B1"]) == (unit_a1.path, unit_b1.path)


def test_the_api_trust_list_names_each_keys_area(client_for, genuine):
    keys = call(client_for(None), "GET", "/stamps/trust-list").json()["keys"]
    assert [(key["office"], key["area"]) for key in keys] == [("HS-A-OFFICE", "/KP/RG/HS/HS-A/")]


def test_the_verify_page_carries_the_reason_in_korean(client_for):
    client = client_for(None)
    client.post("/i18n/setlang/", {"language": "ko", "next": "/verify/"})
    html = client.get("/verify/").content.decode()
    data = json.loads(re.search(r'id="inminban-trust-data" type="application/json">(.*?)</script>', html).group(1))
    assert data["messages"]["key_not_valid_for_unit"].startswith("이 인민반에는 유효하지 않은 열쇠입니다")
    assert data["messages"]["status_too_old"].startswith("상태목록이 너무 오래되였습니다")


# The rule itself, from documents alone -----------------------------------------------------------------------------

DISTRICT_A = "/KP/RG/HS/HS-A/"
UNITS = {"HS-A1": "/KP/RG/HS/HS-A/HS-A1/", "HS-A10X": "/KP/RG/HS/HS-A10/HS-A10X/", "HS-B1": "/KP/RG/HS/HS-B/HS-B1/"}
KEY = Ed25519PrivateKey.generate()


def _check(area: str, unit: str, *, units=UNITS, status_issued_at=NOW, max_status_age=None, revoked=()):
    key = TrustedKey(
        kid=kid_of(KEY.public_key()).hex(),
        public_key=raw_public_key(KEY.public_key()),
        office="AN-OFFICE",
        office_name="An office",
        valid_from=NOW - timedelta(days=365),
        valid_until=NOW + timedelta(days=365),
        area=area,
    )
    trust_list = build_trust_list([key], issued_at=NOW, root_key=ROOT, units=units)
    status = build_status_list(
        kid=key.kid, version=1, size=10, revoked_indexes=revoked, issued_at=status_issued_at, root_key=ROOT
    )
    text = codec.encode_stamp(claims(unit=unit), KEY, kid_of(KEY.public_key()))
    return verify_stamp(
        text,
        trust_list=trust_list,
        status_lists={key.kid: status},
        root_public_key=ROOT.public_key(),
        now=NOW,
        max_status_age=max_status_age,
    )


@pytest.mark.parametrize(
    ("area", "unit", "reason"),
    [
        (DISTRICT_A, "HS-A1", "valid"),
        ("/KP/RG/HS/", "HS-A1", "valid"),  # the city's office governs every district under it
        ("/KP/RG/HS/HS-B/", "HS-A1", "key_not_valid_for_unit"),
        (DISTRICT_A, "HS-B1", "key_not_valid_for_unit"),
        ("/KP/RG/HS/HS-A1/", "HS-A10X", "key_not_valid_for_unit"),  # paths compare whole codes, not characters
        (DISTRICT_A, "HS-A9", "key_not_valid_for_unit"),  # a unit the trust list does not know
    ],
)
def test_a_key_is_valid_only_for_units_under_its_office(area, unit, reason):
    result = _check(area, unit)
    assert result.reason == reason
    if reason != "valid":
        assert result.message.startswith(REASONS["key_not_valid_for_unit"]) and not result.ok


def test_a_trust_list_whose_key_has_no_area_is_not_trusted():
    assert _check("", "HS-A1").reason == "trust_list_invalid"


# Status lists that are too old -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("age_days", "reason"), [(6, "valid"), (7, "valid"), (8, "status_too_old")])
def test_status_lists_older_than_the_maximum_age_do_not_make_a_stamp_valid(age_days, reason):
    result = _check(
        DISTRICT_A, "HS-A1", status_issued_at=NOW - timedelta(days=age_days), max_status_age=timedelta(days=7)
    )
    assert result.reason == reason
    if reason == "status_too_old":
        assert result.message.startswith("Status list too old")


def test_a_revocation_in_an_old_status_list_still_counts():
    result = _check(
        DISTRICT_A, "HS-A1", status_issued_at=NOW - timedelta(days=30), max_status_age=timedelta(days=7), revoked=[5]
    )
    assert result.reason == "revoked"


def test_the_command_line_refuses_old_status_lists(exported, genuine, tmp_path):
    later = (datetime.now(UTC) + timedelta(days=8)).isoformat()
    run = verify_offline(tmp_path, genuine.encoded, "--trust", str(exported), "--at", later)
    assert run.returncode == 1, run.stderr
    assert run.stdout.startswith("INVALID (status_too_old): Status list too old")


def test_the_maximum_age_is_configurable(exported, genuine, tmp_path, monkeypatch):
    monkeypatch.setenv("INMINBAN_STAMP_STATUS_MAX_AGE_DAYS", "30")
    answers = []
    for days in (8, 31):
        later = (datetime.now(UTC) + timedelta(days=days)).isoformat()
        answers.append(verify_offline(tmp_path, genuine.encoded, "--trust", str(exported), "--at", later).stdout)
    assert answers[0].startswith("VALID") and answers[1].startswith("INVALID (status_too_old)")


def test_the_standalone_verifier_knows_the_maximum_age(settings, db):
    settings.STAMP_STATUS_MAX_AGE_DAYS = 3
    assert documents.verifier_bundle()["max_status_age_seconds"] == 3 * 86400
