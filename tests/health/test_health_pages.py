"""The health worker's pages on a phone: unit → household → the check; a clear confirmation, a guest with no
registered stay recorded as such; bad input shown on its field with nothing written. /health/ for each role."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from inminban.health.models import HealthCheck

from .conftest import make_stay, record, snapshot

NEW = reverse("health:check-new")


def _form_url(household) -> str:
    return f"{NEW}?unit={household.unit.code}&household={household.pk}"


def _post(client, household, **changes):
    data = {
        "subject": f"person:{household.head_id}",
        "guest_name": "",
        "temperature_c": "36.9",
        "symptoms": "no",
        "note": "",
        "checked_on": timezone.localdate().isoformat(),
    }
    data.update(changes)
    return client.post(_form_url(household), data)


def test_the_worker_goes_from_unit_to_household_to_the_form(client_for, household_a1, person_a1):
    client = client_for("health-a")
    units = client.get(NEW)
    assert units.status_code == 200
    text = units.content.decode()
    assert "?unit=HS-A1" in text and "?unit=HS-A2" in text and "HS-A1</" not in text
    households = client.get(f"{NEW}?unit=HS-A1").content.decode()
    assert household_a1.head.full_name in households and f"household={household_a1.pk}" in households
    found = client.get(f"{NEW}?unit=HS-A1&q={person_a1.given_name}").content.decode()
    assert household_a1.head.full_name in found
    form = client.get(_form_url(household_a1))
    html = form.content.decode()
    assert form.status_code == 200 and person_a1.full_name in html
    assert 'inputmode="decimal"' in html and 'type="radio"' in html and 'name="guest_name"' in html


def test_a_member_is_recorded_with_a_confirmation(client_for, household_a1, person_a1):
    client = client_for("health-a")
    response = _post(client, household_a1, subject=f"person:{person_a1.pk}", temperature_c="37,8", symptoms="yes")
    assert response.status_code == 302 and response["Location"] == f"{NEW}?unit=HS-A1"
    check = HealthCheck.objects.order_by("-pk").first()
    assert check.person == person_a1 and str(check.temperature_c) == "37.8" and check.symptoms
    followed = client.get(response["Location"]).content.decode()
    assert "Check recorded" in followed or "기록" in followed


def test_a_registered_guest_is_offered_and_recorded(client_for, household_a1):
    stay = make_stay(household_a1, guest_name="등록된 손님 한")
    client = client_for("health-a")
    assert "등록된 손님 한" in client.get(_form_url(household_a1)).content.decode()
    assert _post(client, household_a1, subject=f"stay:{stay.pk}").status_code == 302
    assert HealthCheck.objects.order_by("-pk").first().stay == stay


def test_a_guest_who_is_not_registered_is_recorded_and_told_so(client_for, household_a1):
    client = client_for("health-a")
    response = _post(client, household_a1, subject="guest", guest_name="등록 안 된 손님")
    assert response.status_code == 302
    check = HealthCheck.objects.order_by("-pk").first()
    assert check.subject == "unregistered_guest" and check.guest_name == "등록 안 된 손님"
    followed = client.get(response["Location"])
    text = followed.content.decode()
    assert "no registered stay" in text or "등록되지 않은" in text or "숙박등록" in text


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"temperature_c": "80"}, "temperature_c"),
        ({"temperature_c": "hot"}, "temperature_c"),
        ({"temperature_c": ""}, "temperature_c"),
        ({"subject": "guest", "guest_name": ""}, "guest_name"),
        ({"symptoms": ""}, "symptoms"),
        ({"subject": ""}, "subject"),
        ({"checked_on": (timezone.localdate() + timedelta(days=1)).isoformat()}, "checked_on"),
        ({"note": "메" * 301}, "note"),
    ],
)
def test_bad_input_is_shown_on_its_field_and_changes_nothing(client_for, household_a1, changes, field):
    client = client_for("health-a")
    before = snapshot()
    response = _post(client, household_a1, **changes)
    assert response.status_code == 422
    assert field in response.context["form"].errors, response.context["form"].errors
    assert snapshot() == before


def test_a_person_of_another_household_is_not_a_choice(client_for, household_a1, other_household_a1):
    client = client_for("health-a")
    before = snapshot()
    response = _post(client, household_a1, subject=f"person:{other_household_a1.head_id}")
    assert response.status_code == 422 and "subject" in response.context["form"].errors
    assert snapshot() == before


def test_pages_are_korean_and_show_no_codes(client_for, cast, household_a1, fever_check):
    for who in ("health-a", "leader-a1", "officer-a", "auditor"):
        client = client_for(who)
        client.cookies["django_language"] = "ko"
        for url in (reverse("health:checks"), NEW, _form_url(household_a1)):
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="ko")
            if response.status_code != 200:
                continue
            html = response.content.decode()
            assert '<html lang="ko">' in html
            main = html.split('<main id="content" class="page">', 1)[1]
            for code in ("HS-A1", "unresident", "registered_guest", "unregistered_guest", household_a1.number):
                assert f">{code}<" not in main and f" {code} " not in main, (who, url, code)


def test_the_checks_page_filters_by_unit_and_day(client_for, cast, household_a1, household_b1, unit_a2):
    record(
        cast["health-a"],
        household_a1,
        temperature_c="37.1",
        note="어제 것",
        checked_on=timezone.localdate() - timedelta(days=1),
    )
    record(cast["health-a"], household_a1, temperature_c="36.2", note="오늘 것")
    client = client_for("health-a")
    everything = client.get(reverse("health:checks")).content.decode()
    assert "어제 것" in everything and "오늘 것" in everything
    today = client.get(reverse("health:checks") + f"?day={timezone.localdate().isoformat()}").content.decode()
    assert "오늘 것" in today and "어제 것" not in today
    other_unit = client.get(reverse("health:checks") + f"?unit={unit_a2.code}").content.decode()
    assert "오늘 것" not in other_unit


def test_the_leaders_page_lists_checks_done_and_a_chart(client_for, cast, household_a1, fever_check):
    page = client_for("leader-a1").get(reverse("health:checks"))
    html = page.content.decode()
    assert page.status_code == 200 and 'class="chart"' in html
    assert fever_check.person.full_name in html
    assert "38.4" not in html and "기침이 심함" not in html
    officer = client_for("officer-a").get(reverse("health:checks")).content.decode()
    assert 'class="chart"' in officer and "38.4" not in officer and "counts-table" in officer


def test_every_mistake_of_the_form_shows_at_once(client_for, household_a1):
    before = snapshot()
    response = _post(client_for("health-a"), household_a1, subject="guest", temperature_c="80", symptoms="")
    assert response.status_code == 422
    assert {"guest_name", "temperature_c", "symptoms"} <= set(response.context["form"].errors)
    assert snapshot() == before
