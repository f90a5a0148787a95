"""Duty → stamp → ration in a phone-sized Chromium: officer-a creates a monthly ration gated on the street-cleaning
stamp with the rule builder, starts a cycle and computes it (the job runs from the test, as the live server has no
worker thread), a second officer approves it, the leader of A1 sees who is denied and what they are missing, and the
resident, whose household has the stamp, sees what it is owed and why."""

import importlib
from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from inminban.areas import services as area_services
from inminban.areas.models import Area, Office
from inminban.duties import services as duty_services
from inminban.duties.models import AllocationRule, Share
from inminban.entitlements.models import Cycle, Entitlement, Program
from inminban.jobs.runner import run_due
from inminban.registry.models import Membership
from inminban.synth.demo import DEMO_PASSWORD, SMALL, build_demo

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def keys_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("INMINBAN_KEYS_DIR", str(tmp_path / "keys"))


@pytest.fixture
def duty_rules(default_area_levels):
    """The flush before a live-server test also removes the default allocation rules; put them back."""
    from django.apps import apps

    importlib.import_module("inminban.duties.migrations.0002_default_rules").add_rules(apps, None)


def _street_cleaning(cast: dict) -> None:
    """Street cleaning in A1, done and stamped by resident-a1's household only."""
    today = timezone.localdate()
    a1 = Area.objects.get(code="HS-A1")
    campaign = duty_services.campaign_create(
        actor=cast["officer-a"],
        office=Office.objects.get(code="HS-A-OFFICE"),
        area=a1,
        title_ko="거리 청소",
        title_en="Street cleaning",
        measure="person_hours",
        rule=AllocationRule.objects.get(code="equal"),
        starts_on=today - timedelta(days=10),
        ends_on=today - timedelta(days=1),
    )
    duty_services.quota_set(
        actor=cast["officer-a"], obligation=campaign, unit=a1, quantity=Decimal(4 * a1.households.count())
    )
    session = duty_services.session_create(
        actor=cast["leader-a1"],
        campaign=campaign,
        unit=a1,
        on=today - timedelta(days=5),
        starts_at=time(7, 0),
        ends_at=time(11, 0),
    )
    household = cast["resident-a1"].role_assignments.get(role="resident").person.household
    share = Share.objects.get(quota__campaign=campaign, household=household)
    head = Membership.objects.filter(household=household, relation="head").first().person
    duty_services.attendance_record(actor=cast["leader-a1"], session=session, person=head)
    share.refresh_from_db()
    duty_services.share_confirm(actor=cast["leader-a1"], share=share)


def _second_officer(cast: dict) -> User:
    user = User.objects.filter(username="officer-a2").first()
    if user is None:
        user = User.objects.create_user("officer-a2", password=DEMO_PASSWORD)
        area_services.role_assign(
            actor=cast["admin"], user=user, role="officer", office=Office.objects.get(code="HS-A-OFFICE")
        )
    return user


def _log_in(chromium, base: str, username: str):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    return context, page


def test_ration_from_rule_to_resident(live_server, chromium, duty_rules, fits_width):
    cast = build_demo(size=SMALL)
    _street_cleaning(cast)
    checker = _second_officer(cast)
    base = live_server.url

    # The officer creates the program with the rule builder: lived in the area, and the street-cleaning stamp.
    officer_context, officer = _log_in(chromium, base, "officer-a")
    officer.get_by_role("link", name="Rations and benefits").click()
    officer.get_by_role("link", name="New program").click()
    officer.get_by_label("Name (Korean)").fill("월 식량 배급")
    officer.get_by_label("Name (English)").fill("Monthly grain ration")
    officer.get_by_label("Area (every household under it is considered)").select_option(label="Songhu-dong")
    officer.get_by_label("Kind").select_option(label="Grain ration")
    assert officer.get_by_label("Lived in the area on the reference date").is_checked()
    officer.get_by_label("Street cleaning · labour campaign · Songhu-dong unit 1").check()
    assert fits_width(officer)
    officer.get_by_role("button", name="Create the program").click()
    program = Program.objects.get(name_en="Monthly grain ration")
    officer.wait_for_url(f"{base}/programs/{program.pk}/")
    assert "holds a valid stamp for “Street cleaning” (labour campaign)" in officer.locator("#rule").inner_text()

    # … starts this month's cycle and computes it; the page follows the job until it is done.
    officer.get_by_text("Start a new cycle").click()
    officer.get_by_label("First day of the period").fill(timezone.localdate().replace(day=1).isoformat())
    officer.get_by_role("button", name="Start the cycle").click()
    cycle = Cycle.objects.get(program=program)
    officer.wait_for_url(f"{base}/cycles/{cycle.pk}/")
    officer.get_by_role("button", name="Compute").click()
    officer.wait_for_load_state()
    assert officer.locator("progress").count() == 1
    assert run_due(worker="test") >= 1
    officer.wait_for_selector("#totals", timeout=20_000)  # the page refreshes itself every 3 s while computing
    assert officer.locator("#cycle-status").inner_text() == "Computed, awaiting approval"
    assert officer.get_by_role("button", name="Approve").count() == 0
    assert "another officer of the office must approve it" in officer.locator("#approve-refusal").inner_text()
    assert officer.locator("svg.entitlement-chart").count() == 1
    assert "holds a valid stamp for “Street cleaning”" in officer.locator("#denials").inner_text()
    assert fits_width(officer)
    officer_context.close()

    # A second officer of the office approves it.
    checker_context, second = _log_in(chromium, base, checker.username)
    second.goto(f"{base}/cycles/{cycle.pk}/")
    second.get_by_role("button", name="Approve").click()
    second.wait_for_load_state()
    assert second.locator("#cycle-status").inner_text() == "Approved"
    cycle.refresh_from_db()
    assert cycle.status == Cycle.Status.APPROVED and cycle.approved_by == checker
    checker_context.close()

    # The leader sees, from the unit page, who is denied and what each household is missing.
    denied = Entitlement.objects.filter(cycle=cycle, unit__code="HS-A1", eligible=False).select_related("household")
    assert denied.exists()
    leader_context, leader = _log_in(chromium, base, "leader-a1")
    leader.wait_for_url(f"{base}/units/HS-A1/")
    leader.locator("#entitlements").get_by_role("link", name="Monthly grain ration").click()
    leader.wait_for_url(f"{base}/cycles/{cycle.pk}/units/HS-A1/")
    section = leader.locator("#denied").inner_text()
    for row in denied:
        assert f"Household {row.household.number}" in section
    assert "no stamp for “Street cleaning” (labour campaign)" in section
    assert fits_width(leader)
    leader_context.close()

    # The resident sees what the household is owed, and why.
    resident_context, resident = _log_in(chromium, base, "resident-a1")
    resident.goto(f"{base}/my-household/")
    block = resident.locator("#entitlements")
    assert "Monthly grain ration" in block.inner_text()
    assert block.locator(".verdict.ok").inner_text().startswith("Entitled: ")
    block.get_by_text("Why").click()
    assert "holds a valid stamp for “Street cleaning” (labour campaign)" in block.inner_text()
    assert "g a day" in block.inner_text()
    assert fits_width(resident)
    resident.get_by_role("button", name="한국어").click()
    resident.wait_for_load_state()
    assert "받음:" in resident.locator("#entitlements").inner_text()
    resident_context.close()
