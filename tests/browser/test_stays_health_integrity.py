"""The seed's story end to end, in a phone-sized Chromium: a resident registers her guest; the leader sees the guest on
the night's list and confirms; the district's health worker, at another household of the unit, records a check of a
guest nobody registered; the integrity scan runs; the district office finds the flag in its queue with its evidence,
and dismisses it with a reason. Every page fits 390 px, and axe finds nothing serious on the new pages."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone

from inminban.audit.models import AuditEntry
from inminban.health.models import HealthCheck
from inminban.integrity.models import Flag, Pattern
from inminban.integrity.scan import integrity_scan
from inminban.registry.models import Household, Stay
from inminban.registry.stay_rules import stay_deadline
from inminban.synth.demo import DEMO_PASSWORD, SMALL, build_demo

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
GUEST = "Pak Sun Hui"
UNREGISTERED = "O Kwang Hyok"
# Set INMINBAN_SCREENSHOTS to a folder to keep the pages as a person sees them.
SHOTS = os.environ.get("INMINBAN_SCREENSHOTS")


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _phone_of(chromium, base: str, username: str):
    context = chromium.new_context(viewport=PHONE, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    return context, page


def _serious(page) -> list[str]:
    return [
        f"{violation['id']} ({violation['impact']})"
        for violation in Axe().run(page, options=AXE_OPTIONS).response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def test_a_guest_registered_seen_and_an_unregistered_one_flagged(live_server, chromium, fits_width):
    build_demo(size=SMALL)
    base = live_server.url
    today = timezone.localdate()
    households = list(Household.objects.filter(unit__code="HS-A1").order_by("number"))
    own, other = households[0], households[2]

    # The resident registers her guest on her phone, arriving today and leaving in two days.
    context, resident = _phone_of(chromium, base, "resident-a1")
    resident.goto(f"{base}/stays/new/")
    resident.get_by_label("Guest's name").fill(GUEST)
    resident.get_by_label("Arrives on").fill(today.isoformat())
    resident.get_by_label("Leaves on").fill((today + timedelta(days=2)).isoformat())
    resident.get_by_label("Where they come from").fill("Kimjongsuk county, Ryanggang")
    resident.get_by_label("To visit family").check()
    resident.get_by_label(own.head.full_name, exact=True).check()
    assert fits_width(resident)
    assert _serious(resident) == []
    _shot(resident, "resident-stay-new")
    resident.get_by_role("button", name="Register the guest").click()
    resident.wait_for_load_state()
    stay = Stay.objects.get(guest_name=GUEST)
    assert resident.url == f"{base}/stays/{stay.pk}/"
    assert stay.household == own and list(stay.hosts.all()) == [own.head]
    # On time unless the test runs after the evening's deadline, and the page says which.
    on_time = timezone.now() <= stay_deadline(own.unit, today)
    assert stay.late is not on_time
    assert ("registered, on time" if on_time else "it is late") in resident.content()
    assert fits_width(resident)
    context.close()

    # The leader sees tonight's guest in the unit and confirms the registration.
    context, leader = _phone_of(chromium, base, "leader-a1")
    leader.goto(f"{base}/stays/")
    card = leader.locator("li.card", has_text=GUEST)
    assert card.count() == 1 and own.head.full_name in card.inner_text()
    assert fits_width(leader)
    assert _serious(leader) == []
    _shot(leader, "leader-stays")
    card.get_by_role("button", name="Confirm").click()
    leader.wait_for_load_state()
    assert "The registration is confirmed." in leader.content()
    stay.refresh_from_db()
    assert stay.confirmed_at is not None and stay.confirmed_by.username == "leader-a1"
    context.close()

    # The health worker, at the third household of the unit, finds a guest with a fever whom nobody registered.
    context, worker = _phone_of(chromium, base, "health-a")
    worker.goto(f"{base}/health/new/")
    worker.get_by_role("link", name="Songhu-dong unit 1").click()
    worker.locator("#households").get_by_role("link").filter(has_text=other.head.full_name).filter(
        has_text=str(other.dwelling)
    ).click()
    worker.get_by_label("A guest who is not registered here").check()
    worker.get_by_label("Name of the guest who is not registered").fill(UNREGISTERED)
    worker.get_by_label("Temperature (°C)").fill("38.4")
    worker.locator("fieldset", has_text="Any symptom on the screening list?").get_by_label("Yes").check()
    assert fits_width(worker)
    assert _serious(worker) == []
    _shot(worker, "health-new")
    worker.get_by_role("button", name="Save the check").click()
    worker.wait_for_load_state()
    assert "guest with no registered stay" in worker.content()
    check = HealthCheck.objects.get(household=other)
    assert check.subject == HealthCheck.Subject.UNREGISTERED_GUEST and check.guest_name == UNREGISTERED
    context.close()

    # The scheduled scan (run here directly) raises one flag for the unit, not for the guest.
    assert integrity_scan()[Pattern.STAY_UNREGISTERED] == 1
    flag = Flag.objects.get(pattern=Pattern.STAY_UNREGISTERED)
    assert flag.unit.code == "HS-A1" and flag.office.code == "HS-A-OFFICE"

    # The district office finds it in its queue, reads the evidence, and dismisses it with a reason.
    context, office = _phone_of(chromium, base, "officer-a")
    office.goto(f"{base}/integrity/")
    card = office.locator("#flags li.card", has_text="no stay was registered there")
    assert card.count() == 1
    assert fits_width(office)
    assert _serious(office) == []
    _shot(office, "office-flags")
    card.get_by_role("link", name="Unregistered guest").click()
    office.wait_for_url(f"{base}/integrity/flags/{flag.pk}/")
    assert office.get_by_role("heading", name="Guest seen at a health check with no registered stay").count() == 1
    evidence = office.locator("#evidence a", has_text="Health check on")
    assert evidence.count() == 1 and evidence.get_attribute("href") == f"/households/{other.pk}/"
    text = office.content()
    assert UNREGISTERED not in text and "38.4" not in text  # no guest's name, no health value on the office's page
    assert fits_width(office)
    assert _serious(office) == []
    _shot(office, "office-flag")
    audit_before = AuditEntry.objects.count()
    office.get_by_label("Dismiss: the records are explained, nothing was wrong").check()
    office.get_by_label("The reason").fill("She came late in the evening; the household registered her the next day.")
    office.get_by_role("button", name="Record the decision").click()
    office.wait_for_load_state()
    assert "The decision was recorded" in office.content()
    flag.refresh_from_db()
    assert flag.status == Flag.Status.DISMISSED and "late in the evening" in flag.decision_reason
    assert flag.decided_by.username == "officer-a"
    assert AuditEntry.objects.count() == audit_before + 1
    assert "late in the evening" in office.locator("#decision").inner_text()
    assert fits_width(office)
    context.close()
