"""Recording a check: each kind of subject, a guest with no registered stay recorded (not refused), bad input named
by field with the database and the audit log unchanged, and an audit entry that carries no values."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inminban.audit.models import AuditEntry
from inminban.common.errors import DomainError, NotPermitted, NotVisible
from inminban.health.models import HealthCheck

from .conftest import call, error_fields, make_stay, record, snapshot


def _body(target, **changes) -> dict:
    household = target
    body = {
        "household": household.pk,
        "checked_on": timezone.localdate().isoformat(),
        "temperature_c": 36.8,
        "symptoms": False,
        "person": household.head_id,
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


# Each kind of subject -----------------------------------------------------------------------------------------------


def test_a_member_of_the_household_is_recorded(cast, household_a1, person_a1):
    check = record(cast["health-a"], household_a1, person=person_a1, temperature_c="37.55")
    assert check.subject == HealthCheck.Subject.RESIDENT and check.person == person_a1
    assert check.temperature_c == Decimal("37.6") and check.fever and check.unit == household_a1.unit
    assert check.recorded_by == cast["health-a"]


def test_a_registered_guest_is_recorded_with_the_stay(cast, household_a1, guest_a1):
    check = record(cast["health-a"], household_a1, person=None, stay=guest_a1)
    assert check.subject == HealthCheck.Subject.REGISTERED_GUEST and check.stay == guest_a1
    assert check.guest_name == "" and check.person is None


def test_a_guest_with_no_registered_stay_is_recorded_not_refused(cast, household_a1, client_for):
    response = call(
        client_for("health-a"), "post", "/health-checks", _body(household_a1, person=None, guest_name=" 낯선 손님 ")
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["subject"] == "unregistered_guest" and body["unregistered_guest"] is True
    assert body["guest_name"] == "낯선 손님" and body["shown"] == "values"
    assert "no registered stay" in body["notice"]
    check = HealthCheck.objects.get(pk=body["id"])
    assert check.subject == HealthCheck.Subject.UNREGISTERED_GUEST and check.guest_name == "낯선 손님"


def test_a_stay_that_ended_is_no_cover_but_the_guest_is_still_recorded(cast, household_a1):
    today = timezone.localdate()
    ended = make_stay(household_a1, arrives_on=today - timedelta(days=5), departs_on=today - timedelta(days=3))
    with pytest.raises(DomainError) as error:
        record(cast["health-a"], household_a1, person=None, stay=ended)
    assert error.value.field == "stay"
    check = record(cast["health-a"], household_a1, person=None, guest_name=ended.guest_name)
    assert check.subject == HealthCheck.Subject.UNREGISTERED_GUEST


def test_the_night_of_departure_is_covered_and_an_early_departure_ends_the_cover(cast, household_a1):
    today = timezone.localdate()
    leaving = make_stay(household_a1, arrives_on=today - timedelta(days=2), departs_on=today)
    assert record(cast["health-a"], household_a1, person=None, stay=leaving).stay == leaving
    left = make_stay(
        household_a1,
        arrives_on=today - timedelta(days=3),
        departs_on=today + timedelta(days=3),
        departed_on=today - timedelta(days=1),
    )
    with pytest.raises(DomainError) as error:
        record(cast["health-a"], household_a1, person=None, stay=left)
    assert error.value.field == "stay"


def test_through_the_api_each_subject(cast, household_a1, person_a1, guest_a1, client_for):
    worker = client_for("health-a")
    member = call(worker, "post", "/health-checks", _body(household_a1, person=person_a1.pk, symptoms=True))
    assert member.status_code == 201 and member.json()["person_name"] == person_a1.full_name
    assert member.json()["unregistered_guest"] is False and member.json()["symptoms"] is True
    guest = call(worker, "post", "/health-checks", _body(household_a1, person=None, stay=guest_a1.pk))
    assert guest.status_code == 201 and guest.json()["subject"] == "registered_guest"
    assert guest.json()["guest_name"] == guest_a1.guest_name and guest.json()["stay"] == guest_a1.pk


# The audit entry ----------------------------------------------------------------------------------------------------


def test_the_audit_entry_names_the_day_kind_and_household_never_the_values(cast, household_a1, audit_count):
    before = audit_count()
    check = record(
        cast["health-a"],
        household_a1,
        person=None,
        guest_name="비밀 손님",
        temperature_c=Decimal("39.1"),
        symptoms=True,
        note="열이 높음",
    )
    assert audit_count() == before + 1
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "healthcheck.record" and entry.target_id == str(check.pk)
    assert entry.household_id == household_a1.pk and entry.area_path == household_a1.unit.path
    assert entry.after == {
        "on": check.checked_on.isoformat(),
        "subject": "unregistered_guest",
        "household": household_a1.pk,
    }
    raw = json.dumps([entry.before, entry.after, entry.target_repr, entry.origin], ensure_ascii=False)
    for secret in ("비밀 손님", "39.1", "열이 높음", "symptoms", "temperature"):
        assert secret not in raw


# Who may record -----------------------------------------------------------------------------------------------------


def test_a_health_worker_of_another_district_is_told_it_is_not_there(cast, household_a1):
    with pytest.raises(NotVisible):
        record(cast["health-b"], household_a1)


@pytest.mark.parametrize("who", ["leader-a1", "officer-a", "auditor"])
def test_those_who_see_the_unit_but_are_not_health_workers_may_not(cast, household_a1, who):
    with pytest.raises(NotPermitted):
        record(cast[who], household_a1)


# Bad input ----------------------------------------------------------------------------------------------------------


def _bad_bodies(household, other_household, stranger, guest_of_other):
    today = timezone.localdate()
    return [
        ({"temperature_c": 80}, "temperature_c"),
        ({"temperature_c": 33.9}, "temperature_c"),
        ({"temperature_c": "hot"}, "temperature_c"),
        ({"temperature_c": "38.4"}, "temperature_c"),
        ({"temperature_c": None}, "temperature_c"),
        ({"symptoms": "yes"}, "symptoms"),
        ({"symptoms": 1}, "symptoms"),
        ({"person": None, "guest_name": ""}, "guest_name"),
        ({"person": None, "guest_name": "   "}, "guest_name"),
        ({"person": None, "guest_name": "가" * 129}, "guest_name"),
        ({"note": "메" * 301}, "note"),
        ({"checked_on": (today + timedelta(days=1)).isoformat()}, "checked_on"),
        ({"checked_on": (today - timedelta(days=8)).isoformat()}, "checked_on"),
        ({"checked_on": "2026-02-30"}, "checked_on"),
        ({"person": stranger.pk}, "person"),
        ({"person": other_household.head_id}, "person"),
        ({"person": None, "stay": guest_of_other.pk}, "stay"),
        ({"stay": guest_of_other.pk}, "stay"),
        ({"guest_name": "손님"}, "guest_name"),
        ({"household": 10**9}, "household"),
    ]


def test_bad_input_is_named_and_changes_nothing(
    cast, household_a1, other_household_a1, person_b1, guest_other_a1, client_for
):
    worker = client_for("health-a")
    for changes, field in _bad_bodies(household_a1, other_household_a1, person_b1, guest_other_a1):
        before = snapshot()
        response = call(worker, "post", "/health-checks", _body(household_a1, **changes))
        assert response.status_code == 422, (changes, response.content)
        assert field in error_fields(response), (changes, response.json())
        assert snapshot() == before, changes


def test_a_household_of_another_district_is_named_as_unknown(cast, household_b1, client_for, audit_count):
    before = audit_count()
    response = call(client_for("health-a"), "post", "/health-checks", _body(household_b1))
    assert response.status_code == 422 and "household" in error_fields(response)
    assert audit_count() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"temperature_c": Decimal("80")}, "temperature_c"),
        ({"temperature_c": "hot"}, "temperature_c"),
        ({"temperature_c": ""}, "temperature_c"),
        ({"temperature_c": float("nan")}, "temperature_c"),
        ({"temperature_c": True}, "temperature_c"),
        ({"symptoms": "no"}, "symptoms"),
        ({"symptoms": None}, "symptoms"),
        ({"checked_on": None}, "checked_on"),
        ({"note": 5}, "note"),
    ],
)
def test_the_service_checks_what_the_form_sends(cast, household_a1, changes, field, audit_count):
    before = (HealthCheck.objects.count(), audit_count())
    with pytest.raises(DomainError) as error:
        record(cast["health-a"], household_a1, **changes)
    assert error.value.field == field
    assert (HealthCheck.objects.count(), audit_count()) == before


def test_a_member_who_left_before_the_day_is_not_a_member(cast, household_a1, person_a1):
    from inminban.registry.models import Membership

    today = timezone.localdate()
    Membership.objects.filter(person=person_a1, until__isnull=True).update(until=today - timedelta(days=1))
    with pytest.raises(DomainError) as error:
        record(cast["health-a"], household_a1, person=person_a1)
    assert error.value.field == "person"
    # A check written up for a day they still lived there is theirs.
    assert record(cast["health-a"], household_a1, person=person_a1, checked_on=today - timedelta(days=2)).pk


def test_a_second_check_of_the_same_subject_the_same_day_is_refused(
    cast, household_a1, person_a1, guest_a1, client_for, audit_count
):
    """One check of one subject on one day (a second tap, a reload): a member, a registered guest, an unregistered
    guest by name in the household. Refused naming the subject's field; nothing written, nothing audited."""
    worker = client_for("health-a")
    bodies = {
        "person": _body(household_a1, person=person_a1.pk),
        "stay": _body(household_a1, person=None, stay=guest_a1.pk),
        "guest_name": _body(household_a1, person=None, guest_name="몰래 온 손님"),
    }
    for field, body in bodies.items():
        assert call(worker, "post", "/health-checks", body).status_code == 201, field
        before = (HealthCheck.objects.count(), audit_count())
        again = call(worker, "post", "/health-checks", body | {"temperature_c": 36.9})
        assert again.status_code == 422 and list(error_fields(again)) == [field], again.json()
        assert "already recorded" in error_fields(again)[field][0]
        assert (HealthCheck.objects.count(), audit_count()) == before
    # The next day is another check.
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert call(worker, "post", "/health-checks", bodies["person"] | {"checked_on": yesterday}).status_code == 201


def test_a_huge_temperature_on_the_page_is_a_form_error_not_a_crash(cast, household_a1, person_a1, client_for):
    before = snapshot()
    page = client_for("health-a").post(
        f"/health/new/?unit={household_a1.unit.code}&household={household_a1.pk}",
        {
            "subject": f"person:{person_a1.pk}",
            "temperature_c": "1e30",
            "symptoms": "no",
            "note": "",
            "checked_on": timezone.localdate().isoformat(),
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert page.status_code == 422
    assert "A body temperature is between" in page.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("value", ["1e30", "-1e30", "1" + "0" * 30, "43.05", "33.94"])
def test_the_service_refuses_temperatures_far_or_just_out_of_range(cast, household_a1, value):
    before = snapshot()
    with pytest.raises(DomainError) as error:
        record(cast["health-a"], household_a1, temperature_c=value)
    assert error.value.field == "temperature_c"
    assert snapshot() == before


@pytest.mark.parametrize(("value", "kept"), [("43.04", "43.0"), ("33.95", "34.0"), ("36.64", "36.6")])
def test_a_reading_is_kept_to_a_tenth(cast, household_a1, value, kept):
    assert str(record(cast["health-a"], household_a1, temperature_c=value).temperature_c) == kept


def test_the_same_unregistered_guest_written_otherwise_is_a_second_check(cast, household_a1, client_for, audit_count):
    import unicodedata

    worker = client_for("health-a")
    body = _body(household_a1, person=None, guest_name="오광혁")
    assert call(worker, "post", "/health-checks", body).status_code == 201
    before = (HealthCheck.objects.count(), audit_count())
    for name in ("오 광혁", unicodedata.normalize("NFD", "오광혁"), "오광혁\u200b"):
        again = call(worker, "post", "/health-checks", body | {"guest_name": name})
        assert again.status_code == 422 and list(error_fields(again)) == ["guest_name"], name
    assert (HealthCheck.objects.count(), audit_count()) == before


def test_a_registered_guest_is_not_recorded_as_unregistered_by_name(cast, household_a1, guest_a1, client_for):
    """The worker writes the name of a guest who is in the list of registered guests: refused, pointing to the list
    (else the counts would have a guest with no registered stay who had one)."""
    before = snapshot()
    response = call(
        client_for("health-a"),
        "post",
        "/health-checks",
        _body(household_a1, person=None, guest_name=guest_a1.guest_name),
    )
    assert response.status_code == 422 and "choose them in the list" in error_fields(response)["guest_name"][0]
    assert snapshot() == before
