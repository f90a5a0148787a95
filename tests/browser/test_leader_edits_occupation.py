"""A unit leader on a phone: log in, open the unit, open a person, record a new job, see it and its audit entry,
then switch to Korean."""

import os
import re

import pytest
from django.utils import timezone

from inminban.registry.models import Occupation, Person
from inminban.synth.demo import DEMO_PASSWORD, SMALL, build_demo

pytestmark = pytest.mark.browser


def test_leader_records_a_new_job_on_a_phone(live_server, phone, fits_width):
    build_demo(size=SMALL)
    worker = Person.objects.filter(household__unit__code="HS-A1", occupations__until__isnull=True).order_by("pk")[0]
    page = phone

    page.goto(f"{live_server.url}/")
    assert page.url.startswith(f"{live_server.url}/login/")
    page.get_by_label("User name").fill("leader-a1")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.wait_for_url(f"{live_server.url}/units/HS-A1/")
    assert page.get_by_role("heading", level=1).inner_text() == "Songhu-dong unit 1"
    assert fits_width(page)
    screenshots = os.environ.get("INMINBAN_SCREENSHOTS")
    if screenshots:
        page.screenshot(path=os.path.join(screenshots, "unit-390.png"), full_page=True)
        page.set_viewport_size({"width": 360, "height": 740})
        assert fits_width(page)
        page.screenshot(path=os.path.join(screenshots, "unit-360.png"))
        page.set_viewport_size({"width": 390, "height": 844})

    # Members are folded under each household: open the worker's.
    card = page.locator("li.household", has=page.get_by_role("link", name=f"Household {worker.household.number}"))
    card.locator("details.unit-members summary").click()
    page.get_by_role("link", name=worker.full_name, exact=True).click()
    page.wait_for_url(f"{live_server.url}/persons/{worker.pk}/")
    assert page.get_by_role("heading", level=1).inner_text() == worker.full_name

    jobs = page.locator("#jobs")
    jobs.get_by_text("Record a new job").click()
    new_job = jobs.locator("form", has=page.get_by_role("button", name="Record the job"))
    new_job.get_by_label("Workplace").fill("혜산광산")
    new_job.get_by_label("Job title").fill("채굴공")
    new_job.get_by_label("Since").fill(timezone.localdate().isoformat())
    jobs.get_by_role("button", name="Record the job").click()

    page.wait_for_load_state()
    assert page.get_by_role("status").inner_text().strip() == "The new job was recorded."
    assert "채굴공, 혜산광산" in page.locator("#jobs .history li").first.inner_text()
    entry = page.locator("#audit .entry").first
    # A sentence, by the leader's name and role: no action code, no user name.
    assert f"New job of {worker.full_name} recorded: 채굴공." in entry.locator(".sentence").inner_text()
    assert "occupation.set" not in entry.inner_text() and "leader-a1" not in entry.inner_text()
    assert "unit leader" in entry.locator(".actor").inner_text()
    assert "채굴공" in entry.locator(".changes").inner_text()
    assert fits_width(page)
    assert Occupation.objects.get(person=worker, until=None).job_title == "채굴공"

    page.get_by_role("button", name="한국어").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ko"
    assert page.get_by_role("heading", name="직업", exact=True).is_visible()
    assert page.get_by_role("heading", name="이 사람 기록의 변경").is_visible()
    assert re.search(r"현재 직업\s*채굴공, 혜산광산", page.locator(".facts").inner_text())
    assert page.url == f"{live_server.url}/persons/{worker.pk}/"
