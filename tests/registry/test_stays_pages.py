"""The stays pages, as a resident, a unit leader and an office see them, in Korean and in English: a resident
registers a guest from a phone and sees their guests' status in words; the leader's day view shows tonight's guests
and confirms them; the office sees late and overstayed stays per unit with a chart. No codes or ids on the pages of
residents and leaders. The resident's own page lists their guests and their own health checks."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inminban.audit.models import AuditEntry
from inminban.health.models import HealthCheck
from inminban.registry import stays
from inminban.registry.models import Stay

from .stays_world import members_of, register, today

LANGUAGES = ["ko", "en"]


def visible_text(response) -> str:
    html = re.sub(r"<(script|style|title)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def in_language(client, language: str):
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    return client


def assert_no_codes(response, *stays_shown):
    text = visible_text(response)
    assert "HS-" not in text and "registry" not in text
    for stay in stays_shown:
        assert str(stay) not in text and f"#{stay.pk}" not in text and stay.household.number not in text


@pytest.fixture
def guests(cast, household_a1, other_household_a1, household_b1):
    """Tonight: a guest of resident-a1's household (on time) and a late one next door; an overstayed one next door;
    a guest in B1."""
    return {
        "own": register(cast["resident-a1"], household_a1, guest_name="리영호"),
        "late": register(
            cast["leader-a1"], other_household_a1, guest_name="늦은손님", arrives_on=today() - timedelta(days=1)
        ),
        "overstayed": register(
            cast["leader-a1"],
            other_household_a1,
            guest_name="오래머문손님",
            arrives_on=today() - timedelta(days=9),
            departs_on=today() - timedelta(days=3),
        ),
        "b1": register(cast["leader-b1"], household_b1, guest_name="다른반손님"),
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_resident_sees_their_guests_with_their_status_in_words(client_for, guests, language):
    client = in_language(client_for("resident-a1"), language)
    page = client.get("/stays/")
    assert page.status_code == 200 and f'<html lang="{language}">' in page.content.decode()
    text = visible_text(page)
    assert "리영호" in text and "늦은손님" not in text and "다른반손님" not in text
    assert page.context["stays"] == [guests["own"]]
    assert_no_codes(page, guests["own"])
    if language == "en":
        assert "On time" in text and "Not yet confirmed" in text and "Register a guest" in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_resident_registers_a_guest_from_the_form(cast, client_for, household_a1, language):
    client = in_language(client_for("resident-a1"), language)
    form = client.get("/stays/new/")
    assert form.status_code == 200
    members = members_of(household_a1)
    html = form.content.decode()
    # The hosts are checkboxes named by the members' names; the purposes are words.
    assert html.count('type="checkbox" name="hosts"') == len(members)
    assert household_a1.head.full_name in visible_text(form)
    assert_no_codes(form)
    answer = client.post(
        "/stays/new/",
        {
            "guest_name": "한설주",
            "arrives_on": today().isoformat(),
            "departs_on": (today() + timedelta(days=3)).isoformat(),
            "origin_address": "청진시 포항구역",
            "purpose": "work",
            "hosts": [str(members[0])],
            "document_number": "",
            "purpose_note": "",
            "origin_area": "",
        },
    )
    stay = Stay.objects.get(guest_name="한설주")
    assert answer.status_code == 302 and answer["Location"] == f"/stays/{stay.pk}/"
    assert stay.household == household_a1 and list(stay.hosts.values_list("pk", flat=True)) == members[:1]
    detail = client.get(answer["Location"])
    assert detail.status_code == 200 and "한설주" in visible_text(detail)
    assert_no_codes(detail, stay)


def test_a_bad_registration_comes_back_on_the_form_with_nothing_written(client_for, household_a1, audit_count):
    client = client_for("resident-a1")
    count = audit_count()
    answer = client.post(
        "/stays/new/",
        {
            "guest_name": "  ",
            "arrives_on": today().isoformat(),
            "departs_on": (today() - timedelta(days=1)).isoformat(),
            "purpose": "work",
            "origin_address": "어딘가",
        },
    )
    assert answer.status_code == 422
    assert "guest_name" in answer.context["form"].errors
    assert not Stay.objects.exists() and audit_count() == count


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_leaders_day_view_shows_tonights_guests_and_confirms_them(client_for, guests, language):
    client = in_language(client_for("leader-a1"), language)
    page = client.get("/stays/")
    assert page.status_code == 200 and f'<html lang="{language}">' in page.content.decode()
    assert {stay.pk for stay in page.context["guests"]} == {guests["own"].pk, guests["late"].pk}
    assert [stay.pk for stay in page.context["overstays"]] == [guests["overstayed"].pk]
    text = visible_text(page)
    assert "리영호" in text and "늦은손님" in text and "오래머문손님" in text and "다른반손님" not in text
    assert_no_codes(page, *guests.values())
    assert page.context["to_confirm"] == 2
    if language == "en":
        assert "2 guests" in text and "Registered late" in text and "Overstayed" in text
    confirmed = client.post(f"/stays/{guests['own'].pk}/confirm/", {"next": "/stays/"})
    assert confirmed.status_code == 302 and confirmed["Location"] == "/stays/"
    guests["own"].refresh_from_db()
    assert guests["own"].confirmed_at is not None
    assert client.get("/stays/").context["to_confirm"] == 1


def test_the_day_view_switches_nights(client_for, guests):
    client = client_for("leader-a1")
    earlier = client.get(f"/stays/?day={(today() - timedelta(days=5)).isoformat()}")
    assert [stay.pk for stay in earlier.context["guests"]] == [guests["overstayed"].pk]
    assert earlier.context["overstays"] == []  # already among that night's guests
    assert client.get("/stays/?day=13/45/2026").status_code == 400
    # The first and last days of the calendar: no step beyond them is offered.
    for day, missing in (("0001-01-01", "Night before"), ("9999-12-31", "Night after")):
        edge = client.get(f"/stays/?day={day}", HTTP_ACCEPT_LANGUAGE="en")
        assert edge.status_code == 200 and missing not in edge.content.decode()


def test_the_leader_registers_for_a_household_chosen_by_name(cast, client_for, other_household_a1):
    client = client_for("leader-a1")
    choose = client.get("/stays/new/")
    assert choose.status_code == 200 and f"?household={other_household_a1.pk}" in choose.content.decode()
    assert other_household_a1.head.full_name in visible_text(choose)
    assert_no_codes(choose)
    form = client.get(f"/stays/new/?household={other_household_a1.pk}")
    assert form.status_code == 200 and form.context["household"] == other_household_a1
    answer = client.post(
        f"/stays/new/?household={other_household_a1.pk}",
        {
            "guest_name": "장철",
            "arrives_on": today().isoformat(),
            "departs_on": today().isoformat(),
            "purpose": "family",
            "origin_address": "혜산시",
        },
    )
    assert answer.status_code == 302
    assert Stay.objects.get(guest_name="장철").household == other_household_a1
    # A household of another unit is not offered, and not taken.
    assert client.get("/stays/new/?household=999999").status_code == 404


@pytest.mark.parametrize("username", ["officer-a", "auditor", "admin"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_office_sees_late_and_overstayed_stays_per_unit_with_a_chart(client_for, guests, username, language):
    client = in_language(client_for(username), language)
    page = client.get("/stays/" + ("?area=HS-A" if username == "admin" else ""))
    assert page.status_code == 200 and f'<html lang="{language}">' in page.content.decode()
    rows = {row.unit.code: row for row in page.context["counts"]}
    assert (rows["HS-A1"].registered, rows["HS-A1"].late, rows["HS-A1"].overstayed) == (3, 2, 1)
    assert 'id="chart-stays-by-unit"' in page.content.decode()
    assert {stay.pk for stay in page.context["attention"]} == {guests["late"].pk, guests["overstayed"].pk}
    assert client.get("/stays/?since=2026-13-01").status_code == 400
    # At most a year at a time, as through the API; a period that would start before the calendar is refused too.
    too_long = client.get("/stays/?since=1900-01-01")
    assert too_long.status_code == 400 and "since" in too_long.context["form"].errors
    assert client.get("/stays/?until=0001-01-05").status_code == 400


def test_a_health_worker_has_no_guest_pages(client_for, guests):
    client = client_for("health-a")
    assert client.get("/stays/").status_code == 404
    assert client.get(f"/stays/{guests['own'].pk}/").status_code == 404
    assert client.get("/stays/new/").status_code == 404


def test_out_of_scope_stays_are_404_on_the_pages(client_for, guests):
    assert client_for("leader-b1").get(f"/stays/{guests['own'].pk}/").status_code == 404
    assert client_for("leader-b1").post(f"/stays/{guests['own'].pk}/confirm/").status_code == 404
    assert client_for("resident-a1").get(f"/stays/{guests['late'].pk}/").status_code == 404


def test_the_detail_page_records_the_departure_and_the_resident_cannot_confirm(client_for, guests):
    client = client_for("resident-a1")
    stay = guests["own"]
    page = client.get(f"/stays/{stay.pk}/")
    assert page.context["form"] is not None and page.context["may_confirm"] is False
    assert client.post(f"/stays/{stay.pk}/confirm/").status_code == 403
    answer = client.post(f"/stays/{stay.pk}/", {"form": "update", "departed_on": today().isoformat()})
    assert answer.status_code == 302
    stay.refresh_from_db()
    assert stay.departed_on == today()
    tomorrow = (today() + timedelta(days=1)).isoformat()
    bad = client.post(f"/stays/{stay.pk}/", {"form": "update", "departed_on": tomorrow})
    assert bad.status_code == 422 and "departed_on" in bad.context["form"].errors
    # The auditor reads, and may not change.
    auditor = client_for("auditor")
    assert auditor.get(f"/stays/{stay.pk}/").context["form"] is None
    assert auditor.post(f"/stays/{stay.pk}/", {"form": "update", "departs_on": today().isoformat()}).status_code == 403


def test_a_purged_stay_shows_no_details(client_for, cast, household_a1):
    old = register(
        cast["resident-a1"],
        household_a1,
        guest_name="지워질이름",
        arrives_on=today() - timedelta(days=50),
        departs_on=today() - timedelta(days=40),
    )
    stays.stays_purge()
    page = client_for("leader-a1").get(f"/stays/{old.pk}/")
    assert page.status_code == 200 and page.context["guest"] is False and page.context["form"] is None
    assert "지워질이름" not in page.content.decode()


@pytest.mark.parametrize("language", LANGUAGES)
def test_my_household_lists_our_guests_and_our_own_health_checks(cast, client_for, guests, household_a1, language):
    person = household_a1.head
    HealthCheck.objects.create(
        unit=household_a1.unit,
        household=household_a1,
        subject=HealthCheck.Subject.RESIDENT,
        person=person,
        checked_on=today(),
        temperature_c=Decimal("38.2"),
        symptoms=True,
        note="기침",
        recorded_by=cast["health-a"],
        recorded_at=timezone.now(),
    )
    client = in_language(client_for("resident-a1"), language)
    page = client.get("/my-household/")
    assert page.status_code == 200
    html = page.content.decode()
    guests_html = html[html.index('id="guests"') : html.index('id="health-checks"')]
    checks_html = html[html.index('id="health-checks"') : html.index('id="stamps"')]
    assert "리영호" in guests_html and "늦은손님" not in guests_html
    assert "38.2" in checks_html and "기침" in checks_html and person.full_name in checks_html
    # Still there: who read or changed the records.
    assert 'id="reads"' in html and 'id="changes"' in html
    assert "stay.register" not in html


def test_the_leader_sees_no_health_values_of_their_own_household_page(cast, client_for, household_a1):
    """The leader's /my-household/ is their own household's; the resident's checks are not theirs to read."""
    HealthCheck.objects.create(
        unit=household_a1.unit,
        household=household_a1,
        subject=HealthCheck.Subject.RESIDENT,
        person=household_a1.head,
        checked_on=today(),
        temperature_c=Decimal("39.4"),
        symptoms=False,
        recorded_by=cast["health-a"],
        recorded_at=timezone.now(),
    )
    page = client_for("leader-a1").get("/my-household/")
    assert page.status_code == 200 and "39.4" not in page.content.decode()


def test_a_registration_from_the_pages_is_audited_without_the_guest(client_for, household_a1):
    client = client_for("resident-a1")
    client.post(
        "/stays/new/",
        {
            "guest_name": "비밀손님",
            "arrives_on": today().isoformat(),
            "departs_on": today().isoformat(),
            "purpose": "study",
            "origin_address": "비밀마을",
            "document_number": "QQ-1",
        },
    )
    entry = AuditEntry.objects.filter(action="stay.register").order_by("-seq").first()
    assert entry.household_id == household_a1.pk and entry.origin["channel"] == "web"
    assert "비밀" not in f"{entry.after} {entry.target_repr}" and "QQ-1" not in str(entry.after)
