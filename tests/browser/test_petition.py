"""A resident opens a petition on a phone, a neighbour co-signs it, the district office answers it on its page, and
the neighbour reads the answer: in English, then the same pages in Korean. Every page fits a phone's width."""

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from inminban.areas import services as area_services
from inminban.areas.models import Area, Role
from inminban.governance.models import Petition
from inminban.registry.models import Household
from inminban.synth.demo import DEMO_PASSWORD, SMALL, build_demo

pytestmark = pytest.mark.browser

# Set INMINBAN_SCREENSHOTS to a folder to keep the pages as a person sees them (390 px, English and Korean).
SHOTS = os.environ.get("INMINBAN_SCREENSHOTS")


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state()


def _neighbour() -> User:
    """An account for the head of the third household of HS-A1."""
    household = Household.objects.filter(unit__code="HS-A1").order_by("number")[2]
    user = User.objects.create_user(username="neighbour-a1", password=DEMO_PASSWORD)
    admin = User.objects.get(username="admin")
    area_services.role_assign(
        actor=admin, user=user, role=Role.RESIDENT, person=household.head, since=household.registered_on
    )
    return user


def _wider_district() -> None:
    """Three more (empty) units in HS-A, so that one unit's signatures stay under the 40% that sends a petition up."""
    from inminban.areas.models import AreaLevel

    admin = User.objects.get(username="admin")
    district = Area.objects.get(code="HS-A")
    level = AreaLevel.objects.get(is_unit=True)
    for n in range(3, 6):
        area_services.area_create(
            actor=admin, parent=district, level=level, code=f"HS-A{n}", name_ko=f"성후동 {n}인민반", name_en=f"Unit {n}"
        )


def test_a_petition_from_a_phone_to_the_office_and_back(live_server, phone, chromium, fits_width):
    build_demo(size=SMALL)
    _wider_district()
    _neighbour()
    base = live_server.url

    # The resident opens a petition.
    _log_in(phone, base, "resident-a1")
    phone.goto(f"{base}/petitions/")
    phone.get_by_role("link", name="Start a petition").click()
    phone.get_by_label("Something else about our neighbourhood").check()
    phone.get_by_label("In a few words").fill("Fix the village well")
    phone.get_by_label("What do you ask for, and why?").fill("The well on our street has been broken for a month.")
    assert fits_width(phone)
    _shot(phone, "en-new")
    phone.get_by_role("button", name="Send the petition").click()
    phone.wait_for_load_state()
    assert "Your household started it" in phone.content()
    assert fits_width(phone)
    petition = Petition.objects.get(title="Fix the village well")
    assert petition.office.code == "HS-A-OFFICE" and petition.signature_count == 1

    # A neighbour co-signs from the list.
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    neighbour = context.new_page()
    _log_in(neighbour, base, "neighbour-a1")
    neighbour.goto(f"{base}/petitions/")
    assert fits_width(neighbour)
    _shot(neighbour, "en-list")
    neighbour.get_by_role("button", name="Sign").click()
    neighbour.wait_for_load_state()
    assert "Your household signed" in neighbour.content()
    petition.refresh_from_db()
    assert petition.signature_count == 2

    # The office answers on the petition's page.
    office = chromium.new_context(locale="en-GB").new_page()
    _log_in(office, base, "officer-a")
    office.goto(f"{base}/petitions/queue/")
    office.get_by_role("link", name="Fix the village well").click()
    office.get_by_label("Partly accepted").check()
    office.get_by_label("The answer and its reasons, as the signers will read it").fill(
        "The well will be repaired next month; a new pump is not in this year's budget."
    )
    office.get_by_role("button", name="Publish the answer").click()
    office.wait_for_load_state()
    petition.refresh_from_db()
    assert petition.status == "answered"

    # The neighbour reads the answer, in English and in Korean.
    neighbour.goto(f"{base}/petitions/{petition.pk}/")
    text = neighbour.content()
    assert "The office's answer" in text and "repaired next month" in text
    assert fits_width(neighbour)
    _shot(neighbour, "en-detail")
    neighbour.click("form.lang button[value=ko]")
    neighbour.wait_for_load_state()
    assert "기관의 답변" in neighbour.content()  # needs the Korean catalogue with /tmp/po/petitions.po merged
    assert fits_width(neighbour)
    _shot(neighbour, "ko-detail")
    neighbour.goto(f"{base}/petitions/")
    _shot(neighbour, "ko-list")
    neighbour.goto(f"{base}/petitions/new/")
    assert fits_width(neighbour)
    _shot(neighbour, "ko-new")
    context.close()
