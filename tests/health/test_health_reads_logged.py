"""Reading health data is noted where the person's household sees it: a health worker or an auditor who reads the
values of a resident's check (one check, the list, the page) leaves a row in the access log, marked as a health
check, and the resident's page says who read their health checks. Leaders and officers, who see only that a check
was done, leave none for health data; nor does a resident reading their own, nor a guest's check (no registry
person)."""

import pytest
from django.urls import reverse

from inminban.audit.models import AccessLogEntry
from inminban.audit.selectors import access_summary_for_household

from .conftest import call, record

HEALTH = AccessLogEntry.Record.HEALTH_CHECK


def _health_reads(household):
    return list(
        AccessLogEntry.objects.filter(household=household, record=HEALTH).values_list("actor__username", "person_id")
    )


@pytest.mark.parametrize("who", ["health-a", "auditor"])
def test_reading_one_check_with_its_values_is_noted(client_for, fever_check, household_a1, who):
    AccessLogEntry.objects.all().delete()
    response = call(client_for(who), "get", f"/health-checks/{fever_check.pk}")
    assert response.status_code == 200 and response.json()["shown"] == "values"
    assert _health_reads(household_a1) == [(who, fever_check.person_id)]
    entry = AccessLogEntry.objects.get(record=HEALTH)
    assert entry.channel == "api"


def test_a_list_notes_each_person_whose_values_it_showed(client_for, cast, fever_check, household_a1):
    second = record(
        cast["health-a"], household_a1, person=household_a1.memberships.exclude(person=household_a1.head).first().person
    )
    guest = record(cast["health-a"], household_a1, person=None, guest_name="숨은 손님")
    AccessLogEntry.objects.all().delete()
    client = client_for("health-a")
    listed = call(client, "get", "/health-checks?unit=HS-A1")
    assert listed.status_code == 200 and {item["id"] for item in listed.json()["items"]} >= {
        fever_check.pk,
        second.pk,
        guest.pk,
    }
    assert sorted(person for _, person in _health_reads(household_a1)) == sorted(
        [fever_check.person_id, second.person_id]
    )
    AccessLogEntry.objects.all().delete()
    page = client.get(reverse("health:checks") + "?unit=HS-A1")
    assert page.status_code == 200 and "38.4" in page.content.decode()
    assert sorted(person for _, person in _health_reads(household_a1)) == sorted(
        [fever_check.person_id, second.person_id]
    )
    assert AccessLogEntry.objects.get(person=fever_check.person).channel == "web"


@pytest.mark.parametrize("who", ["leader-a1", "officer-a"])
def test_seeing_only_that_a_check_was_done_notes_no_health_read(client_for, fever_check, household_a1, who):
    AccessLogEntry.objects.all().delete()
    client = client_for(who)
    assert call(client, "get", f"/health-checks/{fever_check.pk}").json()["shown"] == "done"
    assert call(client, "get", "/health-checks").status_code == 200
    assert client.get(reverse("health:checks")).status_code == 200
    assert _health_reads(household_a1) == []


def test_a_resident_reading_their_own_checks_is_not_noted(client_for, fever_check, household_a1):
    AccessLogEntry.objects.all().delete()
    client = client_for("resident-a1")
    assert call(client, "get", f"/health-checks/{fever_check.pk}").json()["shown"] == "values"
    assert call(client, "get", "/health-checks").status_code == 200
    assert _health_reads(household_a1) == []


def test_a_check_out_of_reach_is_not_noted(client_for, fever_check, household_a1):
    AccessLogEntry.objects.all().delete()
    assert call(client_for("health-b"), "get", f"/health-checks/{fever_check.pk}").status_code == 404
    assert not AccessLogEntry.objects.exists()


def test_the_resident_sees_who_read_their_health_checks(client_for, cast, fever_check, household_a1):
    AccessLogEntry.objects.all().delete()
    call(client_for("health-a"), "get", f"/health-checks/{fever_check.pk}")
    summary = access_summary_for_household(cast["resident-a1"], household_a1)
    assert [read.record for viewer in summary.viewers for read in viewer.reads] == [HEALTH]
    client = client_for("resident-a1")
    for language, words in (("en", "read the health checks of"), ("ko", "검병검진 기록을 봄")):
        client.cookies["django_language"] = language
        page = client.get(reverse("registry:my-household"), HTTP_ACCEPT_LANGUAGE=language)
        assert page.status_code == 200
        reads = page.content.decode().split('id="reads"')[1]
        assert words in reads and fever_check.person.full_name in reads, language
        assert "38.4" not in reads
