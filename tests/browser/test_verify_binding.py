"""The in-browser verifier (/verify/ and its standalone copy) applies the same two checks as the Python one: a stamp
signed by an office that does not govern its unit is "key not valid for this unit", and status lists older than the
maximum age make no stamp valid."""

import base64
import dataclasses
import uuid
from datetime import date, timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from inminban.registry.models import Household
from inminban.stamps import codec, documents, keyfiles, services
from inminban.stamps.models import SigningKey
from inminban.stamps.trust import build_status_list
from inminban.stamps.views import verifier_context
from inminban.synth.demo import SMALL, build_demo

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
        duty_title="River cleanup",
        quantity=6,
        measure="hours",
        period_start=date(2026, 5, 1),
        period_end=date(2026, 5, 3),
    )


def _verify_in_page(page, text: str) -> tuple[str, str]:
    page.evaluate("document.getElementById('result').removeAttribute('data-reason')")
    page.get_by_label("Stamp text").fill(text)
    page.get_by_role("button", name="Verify").click()
    page.locator("#result[data-reason]").wait_for()  # a locator, not an evaluated string: the page's CSP forbids eval
    return page.locator("#result").get_attribute("data-reason"), page.locator("#result-message").inner_text()


def test_the_browser_refuses_a_cross_office_stamp_and_old_status_lists(live_server, phone, tmp_path):
    cast = build_demo(size=SMALL)
    genuine = _issue(cast["leader-a1"], Household.objects.filter(unit__code="HS-A1").order_by("number").first())
    b_stamp = _issue(cast["leader-b1"], Household.objects.filter(unit__code="HS-B1").order_by("number").first())
    key = b_stamp.signing_key
    forged_claims = dataclasses.replace(
        services.stamp_claims(genuine), serial=uuid.uuid4(), status_index=b_stamp.status_index
    )
    forged = codec.encode_stamp(
        forged_claims, keyfiles.load_existing_key(key.key_name, expected_kid=key.kid), bytes.fromhex(key.kid)
    )

    page = phone
    page.goto(f"{live_server.url}/verify/")
    reason, message = _verify_in_page(page, forged)
    assert (reason, message.split(":")[0]) == ("key_not_valid_for_unit", "Key not valid for this unit")
    assert _verify_in_page(page, genuine.encoded)[0] == "valid"

    # A standalone copy whose status lists were exported 8 days ago (the limit is 7).
    bundle = verifier_context()["bundle"]
    exported_at = timezone.now() - timedelta(days=8)
    root = keyfiles.load_root_key()
    for signing_key in SigningKey.objects.filter(purpose=SigningKey.Purpose.STAMP):
        document = build_status_list(
            kid=signing_key.kid,
            version=signing_key.status_version,
            size=signing_key.next_status_index,
            revoked_indexes=[],
            issued_at=exported_at,
            root_key=root,
        )
        bundle["status_lists"][signing_key.kid] = base64.b64encode(document).decode("ascii")
    standalone = tmp_path / "verifier.html"
    standalone.write_text(render_to_string("stamps/verify.html", {"bundle": bundle, "standalone": True}))
    page.goto(standalone.as_uri())
    reason, message = _verify_in_page(page, genuine.encoded)
    assert (reason, message.split(":")[0]) == ("status_too_old", "Status list too old")
    assert _verify_in_page(page, forged)[0] == "key_not_valid_for_unit"
    assert documents.server_verifier().verify(genuine.encoded).ok  # the server builds its lists when asked
