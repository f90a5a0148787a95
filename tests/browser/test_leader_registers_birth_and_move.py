"""A unit leader on a phone (390 px), in English and in Korean: registers a dwelling from the unit page's "Register"
menu, a birth into a household of the unit, then moves the household into the new dwelling, and sees each on the
pages."""

import os

import pytest
from django.utils import timezone

from inminban.audit.models import AuditEntry
from inminban.registry.models import Dwelling, Household, Membership, Move
from inminban.synth.demo import DEMO_PASSWORD, SMALL, build_demo

pytestmark = pytest.mark.browser

BABY = {"en": "별", "ko": "샛별"}
ADDRESS = {"en": "송후동 새거리 5", "ko": "송후동 새거리 7"}


def _screenshot(page, name):
    folder = os.environ.get("INMINBAN_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, name), full_page=True)


@pytest.mark.parametrize("language", ["en", "ko"])
def test_leader_registers_a_birth_and_moves_the_household(live_server, phone, fits_width, language):
    build_demo(size=SMALL)
    household = Household.objects.filter(unit__code="HS-A1").order_by("number").first()
    parent = Membership.objects.get(household=household, relation="spouse", until=None).person
    today = timezone.localdate().isoformat()
    page = phone

    page.goto(f"{live_server.url}/")
    page.fill("#id_username", "leader-a1")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/units/HS-A1/")
    if language == "ko":
        page.click("form.lang button[value=ko]")
        page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == language

    # A dwelling, from the unit page's "Register" menu.
    menu = page.locator(".register-menu")
    assert menu.is_visible()
    menu.locator('a[href="/units/HS-A1/dwellings/new/"]').click()
    page.wait_for_url(f"{live_server.url}/units/HS-A1/dwellings/new/")
    assert fits_width(page)
    page.fill("#id_address", ADDRESS[language])
    page.select_option("#id_kind", "row")
    page.fill("#id_floor_area_m2", "62")
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/units/HS-A1/")
    assert ADDRESS[language] in page.get_by_role("status").inner_text()
    dwelling = Dwelling.objects.get(address=ADDRESS[language])

    # A birth into the household: first a mistake (no given name), shown in the error summary.
    page.locator(f'a[href="/households/{household.pk}/"]').first.click()
    page.wait_for_url(f"{live_server.url}/households/{household.pk}/")
    page.locator(f'a[href="/households/{household.pk}/birth/"]').click()
    page.wait_for_url(f"{live_server.url}/households/{household.pk}/birth/")
    page.fill("#id_family_name", "김")
    page.select_option("#id_sex", "F")
    page.fill("#id_birth_date", today)
    page.select_option("#id_parent", str(parent.pk))
    audit_before = AuditEntry.objects.count()
    page.locator("form.form button[type=submit]").click()
    page.wait_for_load_state()
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert summary.locator("a").first.get_attribute("href") == "#id_given_name"
    assert AuditEntry.objects.count() == audit_before
    _screenshot(page, f"birth-error-{language}.png")
    page.fill("#id_given_name", BABY[language])
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/households/{household.pk}/")
    assert f"김{BABY[language]}" in page.get_by_role("status").inner_text()
    assert page.locator("#members").get_by_role("link", name=f"김{BABY[language]}", exact=True).is_visible()
    baby = Membership.objects.get(person__given_name=BABY[language], until=None)
    assert (baby.household_id, baby.relation) == (household.pk, "child")
    assert fits_width(page)

    # The household moves into the new dwelling.
    move = page.locator("#move")
    move.locator("summary").click()
    move.locator("#id_move-dwelling").select_option(str(dwelling.pk))
    move.locator("#id_move-on").fill(today)
    move.locator("button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/households/{household.pk}/#move")  # the form's anchor survives the redirect
    assert page.get_by_role("status").inner_text().strip()
    assert ADDRESS[language] in page.locator(".facts").inner_text()
    assert ADDRESS[language] in page.locator("#moves .history li").first.inner_text()
    assert ADDRESS[language] in page.locator("#residences .history").inner_text()
    assert Move.objects.filter(household=household, to_dwelling=dwelling).exists()
    assert fits_width(page)
    _screenshot(page, f"household-after-move-{language}.png")

    # And on the unit page.
    page.goto(f"{live_server.url}/units/HS-A1/")
    assert ADDRESS[language] in page.locator(".households").inner_text()
