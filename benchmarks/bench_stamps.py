"""Benchmark: stamps signed and verified per second, against bare Ed25519 from the same library, and the QR size.

Pure codec and offline verifier, no database. Signing a stamp = CBOR claims, COSE_Sign1 (one Ed25519 signature),
the zlib trial, Base45 and the prefix. Verifying a stamp = the full offline check of `inminban stamp verify` once
the trust documents are loaded: prefix, Base45, COSE and claims decoding, one Ed25519 verification, key validity,
clock, the status list bit and expiry. The bare rates sign and verify the very Sig_structure bytes the stamps sign,
with `Ed25519PrivateKey.sign` / `Ed25519PublicKey.verify` of the same `cryptography` build, in the same run.

Rounds of the four measurements are interleaved and the best round of each counts, so a busy neighbour on the
machine slows both sides alike instead of skewing the ratio. Targets: verification at least 70% of the bare
rate; a typical stamp under 300 characters of Base45.

    python -m benchmarks stamps
    INMINBAN_BENCH_STAMPS=5000 python -m benchmarks stamps     # more stamps per round (default 2000)
"""

import os
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.table import Table

from benchmarks.common import console
from inminban.stamps import codec, cose
from inminban.stamps.trust import TrustedKey, build_status_list, build_trust_list, kid_of, raw_public_key
from inminban.stamps.verify import Verifier

STAMPS = int(os.environ.get("INMINBAN_BENCH_STAMPS", 2000))
ROUNDS = int(os.environ.get("INMINBAN_BENCH_ROUNDS", 7))
TARGET_VERIFY_RATIO = 0.70
TARGET_LENGTH = 300


def typical_claims(index: int = 0, now: datetime | None = None, **changes) -> codec.Claims:
    """A household's fulfilled share of a labour campaign, as the demo city issues them."""
    now = now or datetime.now(UTC).replace(microsecond=0)
    values = {
        "serial": uuid.uuid4(),
        "issued_at": now - timedelta(hours=1),
        "household": f"HS-A1-{index % 30 + 1:03d}",
        "duty_kind": "labour",
        "duty_ref": f"campaign:12/share:{index + 1}",
        "duty_title": "Street cleaning",
        "quantity": Decimal("8"),
        "measure": "hours",
        "period_start": date(2026, 3, 1),
        "period_end": date(2026, 3, 31),
        "unit": "HS-A1",
        "status_index": index,
    }
    return codec.Claims(**(values | changes))


def _best(seconds: list[float]) -> float:
    return min(seconds)


def run() -> None:
    root = Ed25519PrivateKey.generate()
    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    kid = kid_of(public)
    now = datetime.now(UTC).replace(microsecond=0)
    trusted = TrustedKey(
        kid=kid.hex(),
        public_key=raw_public_key(public),
        office="HS-A-OFFICE",
        office_name="Songhu-dong office",
        valid_from=now - timedelta(days=30),
        valid_until=now + timedelta(days=5 * 365),
        area="/KP/RG/HS/HS-A/",
    )
    trust_list = build_trust_list([trusted], issued_at=now, root_key=root, units={"HS-A1": "/KP/RG/HS/HS-A/HS-A1/"})
    revoked = range(1, STAMPS, 97)  # about 1% revoked, as a real status list would have
    status = {
        kid.hex(): build_status_list(
            kid=kid.hex(), version=len(revoked), size=STAMPS, revoked_indexes=revoked, issued_at=now, root_key=root
        )
    }
    verifier = Verifier(trust_list=trust_list, status_lists=status, root_public_key=root.public_key())

    claims = [typical_claims(index, now) for index in range(STAMPS)]
    texts = [codec.encode_stamp(item, key, kid) for item in claims]
    # The bare side signs and verifies exactly the bytes the stamps sign.
    to_be_signed = [cose.sig_structure(cose.protected_header(kid), codec.encode_claims(item)) for item in claims]
    signatures = [key.sign(message) for message in to_be_signed]
    pairs = list(zip(signatures, to_be_signed, strict=True))
    results = [verifier.verify(text, now=now) for text in texts]
    bad = [result for result in results if not result.ok and result.reason != "revoked"]
    if bad:
        raise AssertionError(f"{len(bad)} stamps failed to verify: {bad[0].message}")
    assert sum(result.reason == "revoked" for result in results) == len(revoked)

    timings: dict[str, list[float]] = {"stamp_sign": [], "bare_sign": [], "stamp_verify": [], "bare_verify": []}
    encode, sign, check, bare_verify = codec.encode_stamp, key.sign, verifier.verify, public.verify
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for message in to_be_signed:
            sign(message)
        timings["bare_sign"].append(time.perf_counter() - started)
        started = time.perf_counter()
        for item in claims:
            encode(item, key, kid)
        timings["stamp_sign"].append(time.perf_counter() - started)
        started = time.perf_counter()
        for signature, message in pairs:
            bare_verify(signature, message)
        timings["bare_verify"].append(time.perf_counter() - started)
        started = time.perf_counter()
        for text in texts:
            check(text, now=now)
        timings["stamp_verify"].append(time.perf_counter() - started)

    rate = {name: STAMPS / _best(seconds) for name, seconds in timings.items()}
    sign_ratio = rate["stamp_sign"] / rate["bare_sign"]
    verify_ratio = rate["stamp_verify"] / rate["bare_verify"]

    typical = codec.encode_stamp(typical_claims(0, now), key, kid)
    korean = codec.encode_stamp(typical_claims(0, now, duty_title="거리 청소", measure="시간", person=48213), key, kid)
    longest_title = codec.encode_stamp(
        typical_claims(0, now, duty_title="겨울철 화재 예방: 난로와 굴뚝 점검 및 소화기 확인", person=48213), key, kid
    )

    table = Table(title=f"Stamps: {STAMPS} per round, best of {ROUNDS} interleaved rounds")
    table.add_column("")
    table.add_column("stamps / s", justify="right")
    table.add_column("bare Ed25519 / s", justify="right")
    table.add_column("ratio", justify="right")
    table.add_column("target", justify="right")
    table.add_row("sign", f"{rate['stamp_sign']:,.0f}", f"{rate['bare_sign']:,.0f}", f"{sign_ratio:.0%}", "")
    verdict = "met" if verify_ratio >= TARGET_VERIFY_RATIO else "[red]MISSED[/red]"
    table.add_row(
        "verify",
        f"{rate['stamp_verify']:,.0f}",
        f"{rate['bare_verify']:,.0f}",
        f"{verify_ratio:.0%}",
        f"≥ {TARGET_VERIFY_RATIO:.0%} {verdict}",
    )
    console.print(table)

    sizes = Table(title="QR payload (Base45 text with its prefix)")
    sizes.add_column("stamp")
    sizes.add_column("characters", justify="right")
    sizes.add_column("QR version (level M)", justify="right")
    sizes.add_column("target", justify="right")
    import segno

    for label, text in (
        ("typical: household, labour campaign, English title", typical),
        ("person stamp, Korean title and measure", korean),
        (f"person stamp, longest title ({codec.TITLE_BYTES_IN_STAMP} bytes kept)", longest_title),
    ):
        target = f"< {TARGET_LENGTH} " + ("met" if len(text) < TARGET_LENGTH else "[red]MISSED[/red]")
        sizes.add_row(
            label,
            str(len(text)),
            str(segno.make(text, error="m", boost_error=False).version),
            target if text is typical else "",
        )
    console.print(sizes)
    console.print(f"typical stamp: {typical}", soft_wrap=True)


if __name__ == "__main__":
    run()
