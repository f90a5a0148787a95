"""An officer nominates a unit leader on the page, a resident votes on a phone (390 px), the officer closes the vote
once its window is over, and the resident reads the result: turnout and approval in words. Every page fits a
phone's width; the resident is never shown how their household voted once the ballot is sent."""

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from inminban.areas import services as area_services
from inminban.areas.models import Role
from inminban.governance.models import ConsentVote, Participation
from inminban.registry.models import Household
from inminban.synth.demo import DEMO_PASSWORD, SMALL, build_demo

pytestmark = pytest.mark.browser

# Set INMINBAN_SCREENSHOTS to a folder to keep the pages as a person sees them (390 px, English and Korean).
SHOTS = os.environ.get("INMINBAN_SCREENSHOTS")


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"vote-{name}.png"), full_page=True)


def _log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state()


def _korean(page) -> None:
    page.locator("button.lang-button[value=ko]").click()
    page.wait_for_load_state()


def test_an_officer_nominates_a_resident_votes_on_a_phone_and_reads_the_result(live_server, chromium, fits_width):
    build_demo(size=SMALL)
    base = live_server.url
    households = list(Household.objects.filter(unit__code="HS-A1").order_by("number"))
    nominee = households[2].head
    neighbour = User.objects.create_user(username="neighbour-a1", password=DEMO_PASSWORD)
    area_services.role_assign(
        actor=User.objects.get(username="admin"), user=neighbour, role=Role.RESIDENT, person=households[3].head
    )

    # The officer nominates, on a desktop-sized screen.
    desk = chromium.new_context(viewport={"width": 1200, "height": 900}, locale="en-GB").new_page()
    _log_in(desk, base, "officer-a")
    desk.goto(f"{base}/votes/")
    desk.get_by_role("link", name="Nominate a unit leader").click()
    desk.get_by_label("Unit").select_option("HS-A1")
    desk.get_by_role("button", name="Next").click()
    desk.get_by_label("Nominee").select_option(str(nominee.pk))
    desk.get_by_label("Why this person").fill("A careful neighbour who keeps the street clean.")
    desk.get_by_role("button", name="Nominate and open the vote").click()
    desk.wait_for_load_state()
    assert "Voting is open" in desk.content()
    vote = ConsentVote.objects.get(unit__code="HS-A1", status="open")
    assert vote.nomination.nominee == nominee

    # The resident votes on a phone: choose, confirm, done.
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    phone = context.new_page()
    phone.set_default_timeout(15_000)
    _log_in(phone, base, "resident-a1")
    phone.get_by_role("link", name="Votes").first.click()
    phone.get_by_role("link", name="Vote now").click()
    assert fits_width(phone)
    _shot(phone, "en-ballot")
    phone.get_by_label("Yes, I agree").check()
    phone.get_by_role("button", name="Continue").click()
    assert "Yes, I agree" in phone.content()
    phone.get_by_role("button", name="Send my vote").click()
    phone.wait_for_load_state()
    content = phone.content()
    assert "Your household has voted" in content
    assert "Yes, I agree" not in content and "agree" not in content.lower().split("your household has voted")[1]
    assert Participation.objects.filter(vote=vote).count() == 1
    assert fits_width(phone)

    # Another household votes, in Korean; the window passes (time simulated) and the officer closes the vote.
    other = chromium.new_context(viewport={"width": 390, "height": 844}, locale="ko-KR").new_page()
    _log_in(other, base, "neighbour-a1")
    _korean(other)
    other.goto(f"{base}/votes/{vote.pk}/ballot/")
    assert fits_width(other)
    _shot(other, "ko-ballot")
    other.locator("input[value=yes]").check()
    other.locator("button.big").click()
    other.wait_for_load_state()
    _shot(other, "ko-confirm")
    other.locator("button.big").click()
    other.wait_for_load_state()
    _shot(other, "ko-voted")
    assert Participation.objects.filter(vote=vote).count() == 2
    from governance.voting import move_window_to_past

    move_window_to_past(vote)
    desk.goto(f"{base}/votes/{vote.pk}/")
    desk.get_by_role("button", name="Close the vote and publish the result").click()
    desk.wait_for_load_state()
    assert "The unit approved the nominee" in desk.content()

    # The resident reads the result.
    phone.goto(f"{base}/votes/{vote.pk}/")
    content = phone.content()
    assert "Turnout" in content and "50.0% (2 of 4)" in content
    assert "Enough households voted" in content and "100.0% said yes" in content
    assert fits_width(phone)
    _shot(phone, "en-result")
    _korean(phone)
    _shot(phone, "ko-result")
    context.close()
