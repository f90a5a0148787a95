"""Bad input to the stays API is a 422 naming the field, and nothing is written: no stay, no host, no audit entry."""

from datetime import timedelta

import pytest
from django.conf import settings

from inminban.registry import stays
from inminban.registry.models import Person, Stay

from .stays_world import body_for, call, client_of, register, today


def _day(days: int) -> str:
    return (today() + timedelta(days=days)).isoformat()


def _ahead(extra: int) -> str:
    """A day `extra` days past the furthest arrival that may be registered."""
    return _day(settings.STAY_ADVANCE_DAYS + extra)


def _not_a_member(household):
    return Person.objects.exclude(household=household).order_by("pk").first().pk


BAD_REGISTRATIONS = [
    ("departure before arrival", lambda h: {"arrives_on": _day(0), "departs_on": _day(-1)}, "departs_on"),
    (
        "arrival far in the future",
        lambda h: {"arrives_on": _ahead(1), "departs_on": _ahead(2)},
        "arrives_on",
    ),
    ("arrival years ago", lambda h: {"arrives_on": "2019-01-01", "departs_on": "2019-01-02"}, "arrives_on"),
    ("no name", lambda h: {"guest_name": ""}, "guest_name"),
    ("a name of blanks", lambda h: {"guest_name": "   "}, "guest_name"),
    ("no guest_name field", lambda h: {"guest_name": None}, "guest_name"),
    ("a name too long", lambda h: {"guest_name": "가" * 129}, "guest_name"),
    ("unknown area code", lambda h: {"origin_area": "NO-SUCH-AREA"}, "origin_area"),
    ("unknown purpose", lambda h: {"purpose": "sightseeing"}, "purpose"),
    ("a host who is not a member", lambda h: {"hosts": [_not_a_member(h)]}, "hosts"),
    ("a host that does not exist", lambda h: {"hosts": [2**40]}, "hosts"),
    ("no origin at all", lambda h: {"origin_address": ""}, "origin_address"),
    ("a document number with spaces", lambda h: {"document_number": "AB 123"}, "document_number"),
    ("a document number too long", lambda h: {"document_number": "A" * 33}, "document_number"),
    ("a stay of more than a year", lambda h: {"departs_on": _day(400)}, "departs_on"),
    ("a date written otherwise", lambda h: {"arrives_on": "01/12/2026"}, "arrives_on"),
    ("a date that does not exist", lambda h: {"arrives_on": "2026-02-30"}, "arrives_on"),
    ("an unknown field", lambda h: {"guest_age": 30}, "guest_age"),
    ("a household given as text", lambda h: {"household": str(h.pk)}, "household"),
    ("a name that turns the text around", lambda h: {"guest_name": "리\u202e호영"}, "guest_name"),
    ("an address with a direction mark", lambda h: {"origin_address": "평양시\u2066 중구역"}, "origin_address"),
]


def _counts():
    from inminban.audit.models import AuditEntry

    return Stay.objects.count(), Stay.hosts.through.objects.count(), AuditEntry.objects.count()


@pytest.mark.parametrize(("case", "change", "field"), BAD_REGISTRATIONS, ids=[case[0] for case in BAD_REGISTRATIONS])
def test_a_bad_registration_is_refused_naming_the_field(cast, household_a1, audit_count, case, change, field):
    body = body_for(household_a1) | change(household_a1)
    body = {name: value for name, value in body.items() if value is not None}
    before, count = _counts(), audit_count()
    answer = call(client_of(cast["resident-a1"]), "post", "/stays", body)
    assert answer.status_code == 422, answer.json()
    assert field in answer.json()["fields"], answer.json()
    assert _counts() == before and audit_count() == count


BAD_UPDATES = [
    ("nothing to change", {}, "body"),
    ("departure before arrival", {"departs_on": _day(-3)}, "departs_on"),
    ("left in the future", {"departed_on": _day(1)}, "departed_on"),
    ("left before arriving", {"departed_on": _day(-3)}, "departed_on"),
    ("an unknown field", {"guest_name": "새 이름"}, "guest_name"),
    ("the same day again", {"departs_on": _day(2)}, "departs_on"),
]


@pytest.mark.parametrize(("case", "body", "field"), BAD_UPDATES, ids=[case[0] for case in BAD_UPDATES])
def test_a_bad_change_is_refused_naming_the_field(cast, household_a1, audit_count, case, body, field):
    stay = register(cast["resident-a1"], household_a1)
    count = audit_count()
    answer = call(client_of(cast["resident-a1"]), "patch", f"/stays/{stay.pk}", body)
    assert answer.status_code == 422 and field in answer.json()["fields"], answer.json()
    assert audit_count() == count
    stay.refresh_from_db()
    assert (stay.departs_on, stay.departed_on) == (today() + timedelta(days=2), None)


def test_the_services_name_the_field_for_the_pages_too(cast, household_a1, audit_count):
    from inminban.common.errors import DomainError

    count = audit_count()
    for values, field in (
        ({"guest_name": ""}, "guest_name"),
        ({"purpose": "spying"}, "purpose"),
        ({"departs_on": today() - timedelta(days=1)}, "departs_on"),
        ({"origin_address": "", "origin_area": None}, "origin_address"),
        ({"arrives_on": "2026-01-01"}, "arrives_on"),
    ):
        with pytest.raises(DomainError) as error:
            register(cast["resident-a1"], household_a1, **values)
        assert error.value.field == field
    with pytest.raises(DomainError) as error:
        stays.stay_rules_set(
            actor=cast["admin"], office=household_a1.unit.parent.offices.first(), deadline_time="22:00", deadline_days=0
        )
    assert error.value.field == "deadline_time"
    assert audit_count() == count and not Stay.objects.exists()
