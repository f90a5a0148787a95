"""A counter clerk on a phone (390 px) types a voucher, sees the household and what it is entitled to, hands out part
of it, then the rest; a third attempt is refused naming the clerk, the counter and the time. Then the office reads
the reconciliation. In English and Korean, nothing wider than the screen; screenshots go to INMINBAN_SHOTS if set."""

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from inminban.areas.models import Area, Office
from inminban.entitlements import counters
from inminban.entitlements.models import Cycle, Entitlement, Program
from inminban.stamps.services import stamp_encoded
from inminban.synth.demo import DEMO_PASSWORD, SMALL, build_demo
from inminban.synth.demo_duties import build_demo_duties
from inminban.synth.demo_entitlements import build_demo_entitlements

pytestmark = pytest.mark.browser


def _log_in(page, base: str, username: str, language: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state()
    if language == "ko":
        page.click("form.lang button[value=ko]")
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "ko"


def _shot(page, name: str) -> None:
    folder = os.environ.get("INMINBAN_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _check(page, text: str) -> None:
    page.fill("#id_check-voucher", text)
    page.click("#voucher-form button[value=check]")
    page.wait_for_load_state()


@pytest.mark.parametrize("language", ["en", "ko"])
def test_clerk_hands_out_part_then_the_rest_then_is_refused(
    live_server, phone, duty_rules, fits_width, language, tmp_path, monkeypatch
):
    monkeypatch.setenv("INMINBAN_KEYS_DIR", str(tmp_path / "keys"))
    cast = build_demo(size=SMALL)
    build_demo_duties(cast)
    build_demo_entitlements(cast)
    officer = User.objects.get(username="officer-a")
    counter = counters.counter_create(
        actor=officer,
        office=Office.objects.get(code="HS-A-OFFICE"),
        area=Area.objects.get(code="HS-A"),
        code="A-1",
        name_ko="송화 제1배급소",
        name_en="Songhwa distribution point 1",
        address="송화거리 12",
        opening_hours="Mon–Sat 08:00–13:00",
    )
    clerk = User.objects.create_user("clerk-pg", password=DEMO_PASSWORD, first_name="김순희")
    counters.counter_clerk_assign(actor=officer, user=clerk, counter=counter)
    cycle = Cycle.objects.get(program__kind=Program.Kind.GRAIN_RATION)
    entitlement = (
        Entitlement.objects.filter(cycle=cycle, eligible=True, voucher__isnull=False, quantity__gt=20_000)
        .select_related("voucher", "household")
        .order_by("household__number")
        .first()
    )
    text = stamp_encoded(entitlement.voucher)
    number = entitlement.household.number

    page = phone
    base = live_server.url
    _log_in(page, base, "clerk-pg", language)
    page.goto(f"{base}/counters/A-1/")
    assert fits_width(page)
    _shot(page, f"counter-{language}-1-empty")

    _check(page, text)
    answer = page.locator("#answer")
    assert number in answer.inner_text()
    assert "kg" in page.locator("#left").inner_text()
    assert fits_width(page)
    _shot(page, f"counter-{language}-2-answer")

    page.check("#id_handout-how_1")
    page.fill("#id_handout-amount", "10")
    page.click("#answer button[value=handout]")
    page.wait_for_load_state()
    done = page.locator("#handed-out").inner_text()
    assert "10 kg" in done and number in done
    _shot(page, f"counter-{language}-3-part")

    _check(page, text)
    assert "10 kg" in page.locator("#answer").inner_text(), "the earlier hand-out is listed"
    page.click("#answer button[value=handout]")  # all that is left is the default
    page.wait_for_load_state()
    assert page.locator("#handed-out").is_visible()
    entitlement.refresh_from_db()
    assert entitlement.redeemed == entitlement.quantity

    _check(page, text)
    refusal = page.locator("#refusal").inner_text()
    assert "김순희" in refusal and "송화 제1배급소" in refusal or "Songhwa distribution point 1" in refusal
    assert page.locator("#answer").count() == 0 and page.locator("button[value=handout]").count() == 0
    assert fits_width(page)
    _shot(page, f"counter-{language}-4-refused")

    page.context.clear_cookies()
    _log_in(page, base, "officer-a", language)
    page.goto(f"{base}/cycles/{cycle.pk}/reconciliation/")
    assert page.locator("#reconciliation-chart").is_visible()
    assert "1" in page.locator("#totals .total.ok .number").inner_text()
    assert fits_width(page)
    _shot(page, f"reconciliation-{language}")
