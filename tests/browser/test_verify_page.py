"""A stamp from issue to check in the browser: its printable page shows the QR code, and the /verify/ page (plain
JavaScript, WebCrypto Ed25519) accepts it and rejects tampered, revoked, future-dated and foreign copies with the
same reason codes as the Python verifier. The standalone exported page works from a file:// URL."""

import dataclasses
import os
import uuid
from datetime import date, timedelta

import base45
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.utils import timezone

from inminban.registry.models import Household
from inminban.stamps import codec, documents, keyfiles, services
from inminban.stamps.trust import kid_of
from inminban.synth.demo import DEMO_PASSWORD, SMALL, build_demo

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def keys_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("INMINBAN_KEYS_DIR", str(tmp_path / "keys"))


def _issue(actor, household):
    return services.stamp_issue(
        actor=actor,
        household=household,
        duty_kind="labour",
        duty_ref="campaign:7/share:3",
        duty_title="강하천 정리 (river cleanup)",
        quantity=6,
        measure="hours",
        period_start=date(2026, 5, 1),
        period_end=date(2026, 5, 3),
    )


def _issue_with_spaces_in_a_row(actor, household):
    """A stamp whose text holds two spaces in a row (Base45 uses the space): a page that collapses white space
    would show a text that no longer verifies. About one stamp in eight has such a pair."""
    for _ in range(200):
        stamp = _issue(actor, household)
        if "  " in stamp.encoded:
            return stamp
    raise AssertionError("200 stamps without two spaces in a row")


def _tampered(text: str) -> str:
    raw = bytearray(base45.b45decode(text[len("INB1:") :]))
    raw[-80] ^= 0x04  # a byte of the signed claims
    return "INB1:" + base45.b45encode(bytes(raw)).decode()


def _signed_by_office(stamp, **changes) -> str:
    """A stamp genuinely signed by the office key, with claims the service would never issue."""
    key = stamp.signing_key
    private_key = keyfiles.load_existing_key(key.key_name, expected_kid=key.kid)
    claims = dataclasses.replace(services.stamp_claims(stamp), serial=uuid.uuid4(), **changes)
    return codec.encode_stamp(claims, private_key, bytes.fromhex(key.kid))


def _verify_in_page(page, text: str) -> tuple[str, str]:
    page.evaluate("document.getElementById('result').removeAttribute('data-reason')")
    page.get_by_label("Stamp text").fill(text)
    page.get_by_role("button", name="Verify").click()
    # A function, not an expression: Playwright polls an expression with eval(), which the CSP forbids.
    page.wait_for_function("() => document.getElementById('result').hasAttribute('data-reason')")
    return page.locator("#result").get_attribute("data-reason"), page.locator("#result-message").inner_text()


def test_stamp_page_and_browser_verification(live_server, phone, tmp_path):
    cast = build_demo(size=SMALL)
    household = Household.objects.filter(unit__code="HS-A1").order_by("number").first()
    stamp = _issue_with_spaces_in_a_row(cast["leader-a1"], household)
    revoked = _issue(cast["leader-a1"], household)
    services.stamp_revoke(actor=cast["officer-a"], stamp=revoked, reason="counted twice")
    now = timezone.now()
    cases = {
        "valid": stamp.encoded,
        "revoked": revoked.encoded,
        "tampered": _tampered(stamp.encoded),
        "future": _signed_by_office(stamp, issued_at=(now + timedelta(days=2)).replace(microsecond=0)),
        "expired": _signed_by_office(stamp, expires_at=(now - timedelta(days=1)).replace(microsecond=0)),
        "foreign": codec.encode_stamp(
            services.stamp_claims(stamp), stranger := Ed25519PrivateKey.generate(), kid_of(stranger.public_key())
        ),
        "prefix": "HC1:" + stamp.encoded[5:],
        "garbled": stamp.encoded[:40] + "abc" + stamp.encoded[43:],
    }
    expected = {name: documents.server_verifier().verify(text).reason for name, text in cases.items()}
    assert expected == {
        "valid": "valid",
        "revoked": "revoked",
        "tampered": "bad_signature",
        "future": "not_yet_valid",
        "expired": "expired",
        "foreign": "unknown_key",
        "prefix": "bad_prefix",
        "garbled": "malformed",
    }

    page = phone
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("User name").fill("leader-a1")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/units/HS-A1/")

    page.goto(f"{live_server.url}/stamps/{stamp.serial}/")
    qr = page.locator(".stamp-qr svg")
    box = qr.bounding_box()
    assert box is not None and box["width"] > 150 and abs(box["width"] - box["height"]) < 2
    assert page.locator(".stamp-qr svg path").count() >= 1
    assert page.locator("#stamp-text").inner_text() == stamp.encoded
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshots = os.environ.get("INMINBAN_SCREENSHOTS")
    if screenshots:
        page.screenshot(path=os.path.join(screenshots, "stamp-390.png"), full_page=True)

    page.goto(f"{live_server.url}/verify/")
    for name, stamp_text in cases.items():
        reason, message = _verify_in_page(page, stamp_text)
        assert reason == expected[name], (name, reason, message)
        assert message.strip()
    reason, message = _verify_in_page(page, stamp.encoded)
    assert reason == "valid" and page.locator("#result").get_attribute("class") == "ok"
    assert household.number in page.locator("#result-claims").inner_text()
    assert "Songhu-dong office" in page.locator("#result-claims").inner_text()
    reason, message = _verify_in_page(page, cases["tampered"])
    assert reason == "bad_signature" and "altered" in message
    assert page.locator("#result").get_attribute("class") == "bad"
    if screenshots:
        page.screenshot(path=os.path.join(screenshots, "verify-tampered-390.png"), full_page=True)
        _verify_in_page(page, stamp.encoded)
        page.screenshot(path=os.path.join(screenshots, "verify-valid-390.png"), full_page=True)

    # The standalone copy, opened from disk with no server at all.
    standalone = tmp_path / "verifier.html"
    call_command("stamp", "export-verifier", str(standalone))
    page.goto(standalone.as_uri())
    assert _verify_in_page(page, stamp.encoded)[0] == "valid"
    assert _verify_in_page(page, cases["revoked"])[0] == "revoked"
