"""The compact encoding on its own: round trips, size, and strict decoding. No database."""

import uuid
import zlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import base45
import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from inminban.stamps import codec, cose
from inminban.stamps.codec import Claims, StampFormatError
from inminban.stamps.trust import kid_of

KEY = Ed25519PrivateKey.generate()
KID = kid_of(KEY.public_key())


def typical_claims(**changes) -> Claims:
    values = {
        "serial": uuid.UUID("0f8fad5b-d9cb-469f-a165-70867728950e"),
        "issued_at": datetime(2026, 4, 2, 9, 30, tzinfo=UTC),
        "household": "HS-A1-001",
        "duty_kind": "labour",
        "duty_ref": "campaign:12/share:40",
        "duty_title": "Street cleaning",
        "quantity": Decimal("8"),
        "measure": "hours",
        "period_start": date(2026, 3, 1),
        "period_end": date(2026, 3, 31),
        "unit": "HS-A1",
        "status_index": 17,
    }
    return Claims(**(values | changes))


def test_typical_stamp_fits_a_small_qr_code():
    text = codec.encode_stamp(typical_claims(), KEY, KID)
    assert text.startswith("INB1:")
    assert len(text) < 300


def test_korean_title_and_person_still_under_300_characters():
    text = codec.encode_stamp(typical_claims(duty_title="거리 청소", person=1234, measure="시간"), KEY, KID)
    assert len(text) < 300


def test_long_title_is_cut_in_the_stamp_only():
    claims = typical_claims(duty_title="가" * 100)
    _, decoded = codec.decode_stamp(codec.encode_stamp(claims, KEY, KID))
    assert decoded.duty_title == "가" * 12  # 36 bytes of UTF-8, cut between characters


def test_title_length_no_longer_grows_the_stamp_past_the_clip():
    title = "겨울철 화재 예방: 난로와 굴뚝 점검" * 3
    clipped = codec.clip_title(title)
    assert title.startswith(clipped) and len(clipped.encode()) <= codec.TITLE_BYTES_IN_STAMP < len(title.encode())
    long = codec.encode_stamp(typical_claims(duty_kind="directive", duty_title=title, measure=""), KEY, KID)
    short = codec.encode_stamp(typical_claims(duty_kind="directive", duty_title=clipped, measure=""), KEY, KID)
    assert len(long) == len(short)
    assert codec.decode_stamp(long)[1].duty_title == clipped


def test_compression_only_when_it_shrinks():
    # Random serial and signature do not compress: plain.
    assert codec.encode_stamp(typical_claims(), KEY, KID).startswith("INB1:")
    # A repetitive title does: flagged with the Z prefix, and it still decodes.
    claims = typical_claims(duty_ref="r" * 60)
    text = codec.encode_stamp(claims, KEY, KID)
    assert text.startswith("INB1Z:")
    _, decoded = codec.decode_stamp(text)
    assert decoded.duty_ref == "r" * 60


def test_stamp_is_a_cose_sign1_with_eddsa_and_the_kid():
    text = codec.encode_stamp(typical_claims(), KEY, KID)
    raw = base45.b45decode(text[len("INB1:") :])
    message = cbor2.loads(raw)
    assert message.tag == 18
    protected, unprotected, payload, signature = message.value
    assert cbor2.loads(protected) == {1: -8, 4: KID}
    structure = cbor2.dumps(["Signature1", protected, b"", payload])
    KEY.public_key().verify(signature, structure)  # raises if the signature does not cover the Sig_structure


def test_division_by_45_constant_holds_for_every_16_bit_value():
    assert all((value * codec._DIV45_MULTIPLIER) >> codec._DIV45_SHIFT == value // 45 for value in range(65536))


@given(st.binary(max_size=300))
def test_base45_encoder_matches_the_package(data):
    assert codec.b45encode(data) == base45.b45encode(data).decode()


def test_base45_extremes():
    for data in (b"", b"\x00", b"\xff", b"\xff" * 301, b"\x00" * 300, bytes(range(256))):
        assert codec.b45encode(data) == base45.b45encode(data).decode()
        assert codec.b45decode(codec.b45encode(data)) == data


@given(st.binary(max_size=300))
def test_base45_decoder_matches_the_package(data):
    text = base45.b45encode(data).decode()
    assert codec.b45decode(text) == base45.b45decode(text) == data


@given(st.text(alphabet=codec.B45_ALPHABET + "abc!", max_size=40))
def test_base45_decoder_rejects_what_the_package_rejects(text):
    try:
        expected = base45.b45decode(text)
    except ValueError:
        with pytest.raises(ValueError):
            codec.b45decode(text)
    else:
        assert codec.b45decode(text) == expected


claims_strategy = st.builds(
    Claims,
    serial=st.uuids(),
    issued_at=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)).map(
        lambda value: value.replace(microsecond=0, tzinfo=UTC)
    ),
    household=st.text(max_size=32),
    duty_kind=st.sampled_from(codec.DUTY_KINDS),
    duty_ref=st.text(max_size=64),
    duty_title=st.text(max_size=codec.TITLE_BYTES_IN_STAMP).filter(
        lambda t: len(t.encode()) <= codec.TITLE_BYTES_IN_STAMP
    ),
    quantity=st.decimals(min_value=0, max_value=10**9 - 1, places=3, allow_nan=False, allow_infinity=False),
    measure=st.text(max_size=32),
    period_start=st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1)),
    period_end=st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1)),
    unit=st.text(max_size=64),
    status_index=st.integers(min_value=0, max_value=2**32),
    person=st.none() | st.integers(min_value=1, max_value=2**40),
    expires_at=st.none()
    | st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)).map(
        lambda value: value.replace(microsecond=0, tzinfo=UTC)
    ),
)


@settings(max_examples=150, deadline=None)
@given(claims_strategy)
def test_codec_round_trip(claims):
    message, decoded = codec.decode_stamp(codec.encode_stamp(claims, KEY, KID))
    assert message.kid == KID and message.verify(KEY.public_key())
    assert decoded.quantity == claims.quantity
    assert decoded.as_dict() | {"quantity": None} == claims.as_dict() | {"quantity": None}


@pytest.mark.parametrize(
    "text",
    ["", "INB1", "HC1:6BFOXN*TS0BI$ZD4N9", "inb1:RRQT", "INB2:RRQT 9P60", "https://example.org/INB1:AB"],
)
def test_wrong_prefix_is_named(text):
    with pytest.raises(StampFormatError) as caught:
        codec.decode_stamp(text)
    assert caught.value.reason == "bad_prefix"


@pytest.mark.parametrize(
    "body",
    [
        "A",  # impossible Base45 length
        "abc",  # lower case is not Base45
        "GGW",  # a group above 0xFFFF
        "",  # nothing after the prefix
        base45.b45encode(b"\x01\x02").decode(),  # not a COSE_Sign1
        base45.b45encode(cbor2.dumps(cbor2.CBORTag(98, []))).decode(),  # a COSE_Sign (multi-signer), not Sign1
        base45.b45encode(cbor2.dumps([b"", {}, b"", b"x" * 64])).decode(),  # no protected header
    ],
)
def test_malformed_encodings_are_named(body):
    with pytest.raises(StampFormatError) as caught:
        codec.decode_stamp("INB1:" + body)
    assert caught.value.reason == "malformed"


def test_trailing_bytes_after_the_message_are_malformed():
    text = codec.encode_stamp(typical_claims(), KEY, KID)
    raw = base45.b45decode(text[5:]) + b"\x00"
    with pytest.raises(StampFormatError) as caught:
        codec.decode_stamp("INB1:" + base45.b45encode(raw).decode())
    assert caught.value.reason == "malformed"


def test_damaged_compressed_stamp_is_malformed():
    with pytest.raises(StampFormatError) as caught:
        codec.decode_stamp("INB1Z:" + base45.b45encode(b"\x78\x9c\x00garbage").decode())
    assert caught.value.reason == "malformed"


def test_zip_bomb_is_refused():
    bomb = zlib.compress(b"\x00" * 1_000_000, 9)
    with pytest.raises(StampFormatError) as caught:
        codec.decode_stamp("INB1Z:" + base45.b45encode(bomb).decode())
    assert caught.value.reason == "malformed"


@pytest.mark.parametrize(
    "change",
    [
        {codec.K_VERSION: 2},
        {codec.K_SERIAL: b"short"},
        {codec.K_ISSUED_AT: "yesterday"},
        {codec.K_DUTY_KIND: 9},
        {codec.K_QUANTITY: "8"},
        {codec.K_QUANTITY: True},
        {codec.K_STATUS_INDEX: -1},
        {codec.K_PERIOD_START: 10**12},
    ],
)
def test_signed_but_unreadable_claims_are_malformed(change):
    values = codec.claims_to_map(typical_claims()) | change
    message = cose.sign1(cbor2.dumps(values), KEY, KID)
    with pytest.raises(StampFormatError) as caught:
        codec.decode_stamp("INB1:" + base45.b45encode(message).decode())
    assert caught.value.reason == "malformed"


def test_missing_claim_is_named():
    values = codec.claims_to_map(typical_claims())
    del values[codec.K_HOUSEHOLD]
    with pytest.raises(StampFormatError, match="'household' is missing"):
        codec.decode_claims(cbor2.dumps(values))


@settings(max_examples=50, deadline=None)
@given(claims_strategy)
def test_claims_encoding_is_deterministic_cbor(claims):
    assert codec.encode_claims(claims) == cbor2.dumps(codec.claims_to_map(claims), canonical=True)


def test_decimal_quantity_is_a_decimal_fraction():
    values = codec.claims_to_map(typical_claims(quantity=Decimal("2.500")))
    assert values[codec.K_QUANTITY] == Decimal("2.5")
    assert cbor2.dumps(values[codec.K_QUANTITY])[0] == 0xC4  # tag 4
    assert codec.decode_claims(codec.encode_claims(typical_claims(quantity=Decimal("2.5")))).quantity == Decimal("2.5")


def test_epoch_dates():
    claims = typical_claims(period_start=date(1970, 1, 2), period_end=date(1970, 1, 2) + timedelta(days=365))
    assert codec.claims_to_map(claims)[codec.K_PERIOD_START] == 1
    assert codec.decode_claims(codec.encode_claims(claims)).period_end == date(1971, 1, 2)
