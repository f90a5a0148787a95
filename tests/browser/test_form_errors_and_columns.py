"""In real Chromium: a form sent with a mistake comes back with the focus on its error summary, whose link moves the
focus to the field (opening what hides it), and axe finds nothing serious on the page with its errors shown. On a
desktop (1280 px) the household page puts its members beside its history; on a phone (390 px) they stack."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from django.test import Client

from inminban.audit.models import AuditEntry
from inminban.registry.models import Household, Person
from inminban.synth.demo import SMALL, build_demo

pytestmark = pytest.mark.browser

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}


def _logged_in(chromium, base: str, username: str, *, language: str, width: int):
    client = Client()
    client.force_login(User.objects.get(username=username))
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    context = chromium.new_context(viewport={"width": width, "height": 900}, locale="en-GB")
    context.add_cookies(
        [{"name": name, "value": client.cookies[name].value, "url": base} for name in ("sessionid", "django_language")]
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    return context, page


def test_the_error_summary_takes_the_focus_and_leads_to_the_field(live_server, chromium, fits_width):
    build_demo(size=SMALL)
    household = Household.objects.filter(unit__code="HS-A1").order_by("number").first()
    person = Person.objects.filter(household=household).order_by("pk").first()
    before = (AuditEntry.objects.count(), person.birth_date)
    context, page = _logged_in(chromium, live_server.url, "leader-a1", language="ko", width=390)

    page.goto(f"{live_server.url}/persons/{person.pk}/")
    page.locator("#edit summary").click()
    page.locator("#id_person-birth_date").fill("2099-01-01")
    with page.expect_navigation():
        page.locator("#edit button[type=submit]").click()
    page.wait_for_load_state("load")
    summary = page.locator(".error-summary")
    page.wait_for_function("document.activeElement && document.activeElement.classList.contains('error-summary')")
    assert "문제가 있습니다" in summary.inner_text()
    assert page.title().startswith("오류: ")
    assert summary.get_by_role("alert").count() == 1
    # The field: marked invalid, described by its error and its hint, both on the page.
    field = page.locator("#id_person-birth_date")
    assert field.get_attribute("aria-invalid") == "true"
    for ref in field.get_attribute("aria-describedby").split():
        assert page.locator(f"#{ref}").count() == 1, ref
    assert "앞으로 올 날짜입니다" in page.locator("#id_person-birth_date_error").inner_text()
    serious = [
        v["id"]
        for v in Axe().run(page, options=AXE_OPTIONS).response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []
    assert fits_width(page)

    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.id") == "id_person-birth_date"
    assert (AuditEntry.objects.count(), Person.objects.get(pk=person.pk).birth_date) == before
    context.close()


def test_a_desktop_shows_a_household_in_two_columns_and_a_phone_in_one(live_server, chromium):
    build_demo(size=SMALL)
    household = Household.objects.filter(unit__code="HS-A1").order_by("number").first()
    boxes = {}
    for width in (1280, 390):
        context, page = _logged_in(chromium, live_server.url, "leader-a1", language="en", width=width)
        page.goto(f"{live_server.url}/households/{household.pk}/")
        boxes[width] = [page.locator(selector).bounding_box() for selector in ("#members", "#audit")]
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), width
        context.close()
    members, history = boxes[1280]
    assert history["x"] > members["x"] + members["width"] - 1  # side by side
    assert members["width"] > 400  # the page is wider than the phone layout's reading column
    members, history = boxes[390]
    assert history["x"] == members["x"] and history["y"] > members["y"]
