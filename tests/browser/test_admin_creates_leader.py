"""An administrator on a phone creates a leader account for a resident of unit A1, and is given the one-time code;
the new leader sets their password with it on the log-in page and sees their unit. Then in Korean."""

import re

import pytest

from inminban.areas.models import RoleAssignment
from inminban.registry.models import Person
from inminban.synth.demo import DEMO_PASSWORD, SMALL, build_demo

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Songhu-Unit-Lead9"


def log_in(page, url, username, password):
    page.goto(f"{url}/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_admin_creates_a_leader_account_and_the_leader_sees_their_unit(live_server, phone, fits_width):
    build_demo(size=SMALL)
    linked = RoleAssignment.objects.exclude(person=None).values("person_id")
    person = (
        Person.objects.filter(household__unit__code="HS-A1", status="resident")
        .exclude(national_id=None)
        .exclude(pk__in=linked)
        .order_by("pk")
        .first()
    )
    page = phone
    log_in(page, live_server.url, "admin", DEMO_PASSWORD)
    page.wait_for_url(re.compile(r".*/areas/KP/$"))

    page.get_by_role("link", name="Accounts", exact=True).click()
    page.wait_for_url(f"{live_server.url}/accounts/")
    assert fits_width(page)
    page.get_by_role("link", name="Create an account").click()
    page.wait_for_url(f"{live_server.url}/accounts/new/")

    # First a mistake: no national ID for a leader's unit, and a unit code that does not exist.
    page.get_by_label("User name").fill("leader-a1-new")
    page.get_by_label("Role").select_option("leader")
    page.get_by_label("Area code").fill("HS-Z9")
    page.get_by_role("button", name="Create the account").click()
    page.wait_for_load_state()
    assert "There is no area with this code within your area." in page.locator(".field.has-error").inner_text()
    assert fits_width(page)

    page.get_by_label("Area code").fill("")
    page.get_by_label("National ID of the person").fill(person.national_id)
    page.get_by_role("button", name="Create the account").click()
    page.wait_for_url(re.compile(r".*/accounts/\d+/code/$"))
    code = page.locator("#one-time-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    assert fits_width(page)
    assignment = RoleAssignment.objects.get(user__username="leader-a1-new")
    assert (assignment.role, assignment.area.code, assignment.person_id) == ("leader", "HS-A1", person.pk)

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{live_server.url}/login/")
    page.get_by_role("link", name="I have a one-time code").click()
    page.get_by_label("User name").fill("leader-a1-new")
    page.get_by_label("One-time code").fill(code.lower().replace("-", " "))
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the password and log in").click()

    page.wait_for_url(f"{live_server.url}/units/HS-A1/")
    assert page.get_by_role("heading", level=1).inner_text() == "Songhu-dong unit 1"
    assert fits_width(page)

    page.get_by_role("link", name="Your account").click()
    page.wait_for_url(f"{live_server.url}/account/")
    assert "This device" in page.locator("#sessions").inner_text()
    page.get_by_role("button", name="한국어").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ko"
    assert page.get_by_role("heading", level=1).inner_text() == "내 계정"
    assert "이 기계" in page.locator("#sessions").inner_text()
    assert fits_width(page)

    # Ending this session from the list logs out; the new password works for an ordinary log-in.
    page.get_by_role("button", name="여기서 나가기").click()
    page.wait_for_url(f"{live_server.url}/login/")
    page.locator("#id_username").fill("leader-a1-new")
    page.locator("#id_password").fill(NEW_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/units/HS-A1/")
