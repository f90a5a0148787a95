"""Offline verification from the documents alone: every way a stamp can fail has its own reason. No database."""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import base45
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from inminban.stamps import codec
from inminban.stamps.codec import Claims
from inminban.stamps.trust import (
    TrustedKey,
    build_status_list,
    build_trust_list,
    kid_of,
    raw_public_key,
)
from inminban.stamps.verify import REASONS, Verifier, verify_stamp

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
ROOT = Ed25519PrivateKey.generate()
OFFICE_KEY = Ed25519PrivateKey.generate()
KID = kid_of(OFFICE_KEY.public_key())


def trusted(key=OFFICE_KEY, *, valid_from=NOW - timedelta(days=365), valid_until=NOW + timedelta(days=365), **extra):
    return TrustedKey(
        kid=kid_of(key.public_key()).hex(),
        public_key=raw_public_key(key.public_key()),
        office="HS-A-OFFICE",
        office_name="Songhu-dong office",
        valid_from=valid_from,
        valid_until=valid_until,
        **({"area": "/KP/RG/HS/HS-A/"} | extra),
    )


UNITS = {"HS-A1": "/KP/RG/HS/HS-A/HS-A1/", "HS-B1": "/KP/RG/HS/HS-B/HS-B1/"}


def claims(**changes) -> Claims:
    values = {
        "serial": uuid.uuid4(),
        "issued_at": NOW - timedelta(days=2),
        "household": "HS-A1-001",
        "duty_kind": "levy",
        "duty_ref": "levy:3/share:7",
        "duty_title": "Manure quota",
        "quantity": Decimal("12.5"),
        "measure": "kg",
        "period_start": date(2026, 4, 1),
        "period_end": date(2026, 4, 30),
        "unit": "HS-A1",
        "status_index": 5,
    }
    return Claims(**(values | changes))


def documents(keys=None, *, revoked=(), size=10, root=ROOT, version=1):
    keys = keys if keys is not None else [trusted()]
    trust_list = build_trust_list(keys, issued_at=NOW, root_key=root, units=UNITS)
    status = {
        key.kid: build_status_list(
            kid=key.kid, version=version, size=size, revoked_indexes=revoked, issued_at=NOW, root_key=root
        )
        for key in keys
    }
    return trust_list, status


def check(text, *, keys=None, revoked=(), size=10, now=NOW, status=None, trust_list=None, root_public=None):
    default_trust, default_status = documents(keys, revoked=revoked, size=size)
    return verify_stamp(
        text,
        trust_list=trust_list if trust_list is not None else default_trust,
        status_lists=status if status is not None else default_status,
        root_public_key=root_public or ROOT.public_key(),
        now=now,
    )


def stamp(key=OFFICE_KEY, **changes) -> str:
    return codec.encode_stamp(claims(**changes), key, kid_of(key.public_key()))


def test_valid_stamp_verifies_from_the_documents_alone():
    result = check(stamp())
    assert result.ok and result.reason == "valid"
    assert result.claims.household == "HS-A1-001" and result.claims.quantity == Decimal("12.5")
    assert result.key.office == "HS-A-OFFICE"
    assert result.message == REASONS["valid"]


def test_every_character_of_the_text_matters():
    text = stamp()
    alphabet = codec.B45_ALPHABET
    start = len("INB1:")
    for position in range(start, len(text)):
        replacement = alphabet[(alphabet.index(text[position]) + 1) % len(alphabet)]
        result = check(text[:position] + replacement + text[position + 1 :])
        assert not result.ok, f"changing character {position} still verified"
        assert result.reason in {"malformed", "bad_signature", "unknown_key"}, (position, result.reason)


def _raw(text: str) -> bytes:
    return base45.b45decode(text[len("INB1:") :])


def _text(raw: bytes) -> str:
    return "INB1:" + base45.b45encode(raw).decode()


def test_every_byte_of_the_signed_message_matters():
    raw = _raw(stamp())
    for position in range(len(raw)):
        changed = bytearray(raw)
        changed[position] ^= 0x01
        result = check(_text(bytes(changed)))
        assert not result.ok, f"flipping a bit of byte {position} still verified"


def test_changed_claims_byte_is_a_bad_signature():
    from inminban.stamps import cose

    raw = _raw(stamp())
    message = cose.decode_sign1(raw)
    payload_at = raw.index(message.payload)
    for offset in (0, 5, len(message.payload) // 2, len(message.payload) - 1):
        changed = bytearray(raw)
        changed[payload_at + offset] ^= 0x20
        result = check(_text(bytes(changed)))
        assert (result.ok, result.reason) == (False, "bad_signature"), offset


def test_changed_signature_byte_is_a_bad_signature():
    raw = _raw(stamp())
    for position in (len(raw) - 64, len(raw) - 30, len(raw) - 1):
        changed = bytearray(raw)
        changed[position] ^= 0x80
        assert check(_text(bytes(changed))).reason == "bad_signature"


def test_household_swapped_into_a_real_signature_is_a_bad_signature():
    from inminban.stamps import cose

    original = cose.decode_sign1(_raw(stamp()))
    forged_payload = codec.encode_claims(claims(household="HS-A1-002"))
    import cbor2

    forged = cbor2.dumps(cbor2.CBORTag(18, [original.protected, {}, forged_payload, original.signature]))
    assert check(_text(forged)).reason == "bad_signature"


def test_unknown_key():
    stranger = Ed25519PrivateKey.generate()
    result = check(stamp(key=stranger))
    assert (result.ok, result.reason) == (False, "unknown_key")
    assert kid_of(stranger.public_key()).hex() in result.message


def test_key_id_of_a_trusted_key_on_a_forgery_is_a_bad_signature():
    from inminban.stamps import cose

    forger = Ed25519PrivateKey.generate()
    message = cose.sign1(codec.encode_claims(claims()), forger, KID)  # claims to be the office's key
    assert check(_text(message)).reason == "bad_signature"


def test_expired_key():
    keys = [trusted(valid_until=NOW - timedelta(days=1))]
    result = check(stamp(), keys=keys)
    assert (result.ok, result.reason) == (False, "key_expired")
    assert "was valid until 2026-04-30" in result.message


def test_key_not_yet_valid():
    keys = [trusted(valid_from=NOW + timedelta(days=1))]
    assert check(stamp(), keys=keys).reason == "key_not_yet_valid"


def test_future_dated_stamp():
    result = check(stamp(issued_at=NOW + timedelta(hours=1)))
    assert (result.ok, result.reason) == (False, "not_yet_valid")


def test_small_clock_skew_is_tolerated():
    assert check(stamp(issued_at=NOW + timedelta(minutes=2))).ok


def test_revoked_stamp():
    result = check(stamp(status_index=5), revoked=[5])
    assert (result.ok, result.reason) == (False, "revoked")
    assert result.status_version == 1
    assert check(stamp(status_index=4), revoked=[5]).ok  # its neighbour is untouched


def test_expired_stamp():
    result = check(stamp(expires_at=NOW - timedelta(seconds=1)))
    assert (result.ok, result.reason) == (False, "expired")
    assert check(stamp(expires_at=NOW + timedelta(days=1))).ok


def test_missing_status_list_is_status_unknown():
    result = check(stamp(), status={})
    assert (result.ok, result.reason) == (False, "status_unknown")


def test_status_list_older_than_the_stamp_is_status_unknown():
    result = check(stamp(status_index=10), size=10)
    assert result.reason == "status_unknown" and "older than the stamp" in result.message


def test_status_list_of_another_key_or_root_is_not_trusted():
    _, other_status = documents([trusted(Ed25519PrivateKey.generate())])
    swapped = {KID.hex(): next(iter(other_status.values()))}
    assert check(stamp(), status=swapped).reason == "status_unknown"
    _, forged = documents(root=Ed25519PrivateKey.generate(), revoked=[])
    assert check(stamp(), status=forged).reason == "status_unknown"


def test_trust_list_not_signed_by_the_pinned_root():
    forged_trust, status = documents(root=Ed25519PrivateKey.generate())
    result = check(stamp(), trust_list=forged_trust, status=status)
    assert (result.ok, result.reason) == (False, "trust_list_invalid")


def test_altered_trust_list():
    trust_list, _ = documents()
    changed = bytearray(trust_list)
    changed[len(changed) // 2] ^= 0x01
    assert check(stamp(), trust_list=bytes(changed)).reason == "trust_list_invalid"


def test_kind_the_key_may_not_sign():
    keys = [trusted(kinds=("labour",))]
    assert check(stamp(duty_kind="levy"), keys=keys).reason == "kind_not_allowed"


@pytest.mark.parametrize(("text", "reason"), [("HC1:NCFOXN%TS3DH", "bad_prefix"), ("INB1:%%%", "malformed")])
def test_prefix_and_encoding_failures(text, reason):
    result = check(text)
    assert (result.ok, result.reason) == (False, reason)
    assert result.message.startswith(REASONS[reason])


def test_verifier_reads_the_documents_once_for_many_stamps():
    trust_list, status = documents()
    verifier = Verifier(trust_list=trust_list, status_lists=status, root_public_key=ROOT.public_key())
    texts = [stamp(status_index=index) for index in range(5)]
    assert all(verifier.verify(text, now=NOW).ok for text in texts)
    assert verifier.trust is not None and len(verifier._status_cache) == 1


def test_root_key_as_pem_or_hex():
    from inminban.stamps.trust import public_key_pem

    trust_list, status = documents()
    for root in (public_key_pem(ROOT.public_key()), raw_public_key(ROOT.public_key()).hex().encode()):
        assert verify_stamp(stamp(), trust_list=trust_list, status_lists=status, root_public_key=root, now=NOW).ok
