"""A duty from issue to stamp, in a phone-sized Chromium: officer-a issues a directive and a labour campaign with a
quota and a session; leader-a1 records an acknowledgement door to door and attendance on the sheet, confirms, and
the stamps come out; the stamp's page shows its QR code and /verify/ accepts it and rejects a tampered copy."""

from datetime import timedelta

import base45
import pytest
from django.utils import timezone

from inminban.duties.models import AllocationRule, Campaign, Directive, DirectiveAcknowledgement, Share
from inminban.synth.demo import DEMO_PASSWORD, SMALL, build_demo

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def keys_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("INMINBAN_KEYS_DIR", str(tmp_path / "keys"))


def _log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def _tampered(text: str) -> str:
    raw = bytearray(base45.b45decode(text[len("INB1:") :]))
    raw[-80] ^= 0x04  # a byte of the signed claims
    return "INB1:" + base45.b45encode(bytes(raw)).decode()


def _verify(page, text: str) -> str:
    page.evaluate("document.getElementById('result').removeAttribute('data-reason')")
    page.get_by_label("Stamp text").fill(text)
    page.get_by_role("button", name="Verify").click()
    # A function, not an expression: Playwright polls an expression with eval(), which the CSP forbids.
    page.wait_for_function("() => document.getElementById('result').hasAttribute('data-reason')")
    return page.locator("#result").get_attribute("data-reason")


def test_directive_and_campaign_to_verified_stamp(live_server, chromium, phone, duty_rules, fits_width):
    build_demo(size=SMALL)
    base = live_server.url
    today = timezone.localdate()

    # The officer issues a directive to unit A1 …
    officer = phone
    _log_in(officer, base, "officer-a")
    officer.goto(f"{base}/directives/new/")
    officer.get_by_label("Addressed to").select_option(label="Songhu-dong unit 1")
    officer.get_by_label("Title (Korean)").fill("겨울철 화재 예방")
    officer.get_by_label("Title (English)").fill("Fire safety in winter")
    officer.get_by_label("Text (English)").fill("Check stoves and chimneys.")
    officer.get_by_label("Effective from").fill(today.isoformat())
    officer.get_by_label("Acknowledgement due by").fill((today + timedelta(days=5)).isoformat())
    officer.get_by_role("button", name="Issue the directive").click()
    directive = Directive.objects.get(title_en="Fire safety in winter")
    officer.wait_for_url(f"{base}/directives/{directive.pk}/")

    # … and calls a labour campaign, sets A1's quota and schedules a session for today.
    officer.goto(f"{base}/campaigns/new/")
    officer.get_by_label("Area (all units under it may get a quota)").select_option(label="Songhu-dong unit 1")
    officer.get_by_label("Title (English)").fill("Street cleaning")
    officer.get_by_label("Measured in").select_option("person_hours")
    assert officer.get_by_label("Allocation rule").input_value() == str(AllocationRule.objects.get(code="equal").pk)
    officer.get_by_label("Starts on").fill(today.isoformat())
    officer.get_by_label("Ends on").fill((today + timedelta(days=5)).isoformat())
    officer.get_by_role("button", name="Create").click()
    campaign = Campaign.objects.get(title_en="Street cleaning")
    officer.wait_for_url(f"{base}/campaigns/{campaign.pk}/")
    officer.get_by_text("Set a unit's quota").click()
    officer.locator("select[name=quota-unit]").select_option(label="Songhu-dong unit 1")
    officer.locator("input[name=quota-quantity]").fill("16")
    officer.get_by_role("button", name="Allocate").click()
    officer.wait_for_load_state()
    assert "The quota of Songhu-dong unit 1 was allocated" in officer.content(), officer.locator(
        ".field-errors, .errors"
    ).all_inner_texts()
    assert sum(share.quantity for share in Share.objects.filter(quota__campaign=campaign)) == 16
    officer.get_by_text("Schedule a session").click()
    officer.locator("input[name=session-on]").fill(today.isoformat())
    officer.locator("input[name=session-starts_at]").fill("08:00")
    officer.locator("input[name=session-ends_at]").fill("12:00")
    officer.get_by_role("button", name="Schedule", exact=True).click()
    officer.wait_for_load_state()
    session = campaign.sessions.get()
    assert officer.locator("svg.progress-chart").count() == 1

    # The leader's day shows the directive and the session; the leader acknowledges at the first door.
    leader_context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    leader = leader_context.new_page()
    leader.set_default_timeout(15_000)
    _log_in(leader, base, "leader-a1")
    leader.goto(f"{base}/day/")
    assert "Fire safety in winter" in leader.content() and "Street cleaning" in leader.content()
    assert fits_width(leader)
    leader.get_by_role("link", name="Fire safety in winter").click()
    leader.wait_for_url(f"{base}/directives/{directive.pk}/?unit=HS-A1")
    assert "4 households have not acknowledged yet." in leader.content()
    leader.get_by_role("button", name="Acknowledge").first.click()
    # The card is replaced in place (duties/door.js), without a page load: wait for the new count.
    leader.locator("#door-summary", has_text="3 households have not acknowledged yet.").wait_for()
    ack = DirectiveAcknowledgement.objects.get(directive=directive)
    assert ack.channel == "leader"
    leader.get_by_role("button", name="Confirm and stamp").first.click()
    leader.wait_for_url(f"{base}/stamps/**")
    ack.refresh_from_db()
    assert ack.stamp_serial and leader.url.endswith(f"/stamps/{ack.stamp_serial}/")

    # Attendance on the sheet: one member of the first household works the whole session (4 h = its share).
    leader.goto(f"{base}/sessions/{session.pk}/")
    leader.locator("fieldset.attendance-household").first.locator("input[type=checkbox]").first.check()
    leader.get_by_role("button", name="Save attendance").click()
    leader.wait_for_load_state()
    assert "The attendance sheet was saved." in leader.content()
    share = Share.objects.get(quota__campaign=campaign, done__gt=0)
    assert share.fulfilled

    leader.goto(f"{base}/campaigns/{campaign.pk}/units/HS-A1/")
    leader.get_by_role("button", name="Confirm and stamp").click()
    leader.wait_for_url(f"{base}/stamps/**")
    share.refresh_from_db()
    assert share.stamp_serial and leader.url.endswith(f"/stamps/{share.stamp_serial}/")
    qr = leader.locator(".stamp-qr svg")
    box = qr.bounding_box()
    assert box is not None and box["width"] > 150
    stamp_text = leader.locator("#stamp-text").inner_text()
    assert stamp_text.startswith("INB1:")

    # The household page's duties list shows the stamp; /verify/ accepts it and rejects a tampered copy.
    leader.goto(f"{base}/verify/")
    assert _verify(leader, stamp_text) == "valid"
    assert _verify(leader, _tampered(stamp_text)) == "bad_signature"
    leader_context.close()
