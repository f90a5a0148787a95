"""stamp_issue: who may issue, which office signs, what is recorded, and bad input that changes nothing."""

import os
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inminban.areas.models import Office
from inminban.audit.models import AuditEntry
from inminban.audit.services import audit_verify
from inminban.common.errors import DomainError, NotPermitted, NotVisible
from inminban.registry.models import Person
from inminban.stamps import services
from inminban.stamps.models import SigningKey, Stamp

from .conftest import live_verifier, stamp_args


def test_leader_issues_a_stamp_that_verifies(issue, household_a1, keys_dir):
    stamp = issue(household_a1)
    result = live_verifier().verify(stamp.encoded)
    assert result.ok, result.message
    assert result.claims.household == household_a1.number
    assert result.claims.unit == "HS-A1"
    assert result.claims.serial == stamp.serial
    assert result.claims.quantity == Decimal("8")
    assert result.claims.period_start == date(2026, 3, 1) and result.claims.period_end == date(2026, 3, 31)
    assert result.key.office == "HS-A-OFFICE" == stamp.office.code
    assert stamp.unit.code == "HS-A1"


def test_office_key_is_made_on_first_use_and_kept_outside_the_database(issue, household_a1, keys_dir):
    assert not SigningKey.objects.filter(purpose="stamp").exists()
    first = issue(household_a1)
    second = issue(household_a1)
    key = SigningKey.objects.get(purpose="stamp")
    assert first.signing_key == second.signing_key == key
    assert (first.status_index, second.status_index) == (0, 1)
    assert key.office.code == "HS-A-OFFICE"
    key_file = keys_dir / f"{key.key_name}.pem"
    assert key_file.exists() and (os.stat(key_file).st_mode & 0o777) == 0o600
    assert b"PRIVATE KEY" in key_file.read_bytes()
    assert len(key.public_key) == 64  # the database holds only the public half
    assert key.valid_until > timezone.now() + timedelta(days=365)


def test_issue_is_audited_and_the_chain_stays_intact(issue, household_a1):
    before = AuditEntry.objects.count()
    stamp = issue(household_a1)
    entries = list(AuditEntry.objects.filter(seq__gt=before).order_by("seq"))
    assert [entry.action for entry in entries] == ["stamp.key_create", "stamp.issue"]
    issued = entries[-1]
    assert issued.target_id == str(stamp.pk) and issued.household_id == household_a1.pk
    assert issued.actor_name == "leader-a1" and issued.area_path == stamp.unit.path
    assert issued.after["serial"] == str(stamp.serial) and issued.after["quantity"] == "8.000"
    live_verifier()  # builds the trust list: the root key is made and audited too
    assert AuditEntry.objects.filter(action="stamp.root_key_create").count() == 1
    assert audit_verify().ok


def test_each_district_signs_with_its_own_office_key(issue, household_a1, household_b1):
    a = issue(household_a1)
    b = issue(household_b1, actor="leader-b1")
    assert a.office.code == "HS-A-OFFICE" and b.office.code == "HS-B-OFFICE"
    assert a.signing_key != b.signing_key
    verifier = live_verifier()
    assert verifier.verify(a.encoded).ok and verifier.verify(b.encoded).ok


def test_nearest_office_above_the_unit_signs(issue, household_a1, cast, unit_a1):
    from inminban.areas import services as area_services

    city_office = area_services.office_create(
        actor=cast["admin"], area=unit_a1.parent.parent, code="HS-CITY", name_ko="시", name_en="City"
    )
    assert services.issuing_office(unit_a1).code == "HS-A-OFFICE"
    Office.objects.filter(code="HS-A-OFFICE").update(area=city_office.area.parent)  # now the city's is nearest
    assert services.issuing_office(unit_a1).code == "HS-CITY"


def test_unit_without_an_office_above_it_cannot_issue(issue, household_a1, unchanged):
    from inminban.areas.models import Area

    # The district's and the city's offices move to a unit elsewhere: nothing above HS-A1 has an office any more.
    Office.objects.filter(code__in=["HS-A-OFFICE", "HS-OFFICE"]).update(area=Area.objects.get(code="HS-B1"))
    with pytest.raises(DomainError) as caught:
        issue(household_a1)
    assert caught.value.field == "household" and "No office" in caught.value.message


def test_person_stamp_names_a_member(issue, household_a1):
    person = Person.objects.filter(household=household_a1).first()
    stamp = issue(household_a1, person=person, duty_kind="directive", quantity=0, measure="", duty_title="회람")
    result = live_verifier().verify(stamp.encoded)
    assert result.ok and result.claims.person == person.pk and result.claims.duty_kind == "directive"
    assert person.family_name not in stamp.encoded  # only the short reference travels in the QR code


def test_expiry_is_signed(issue, household_a1):
    expires = timezone.now() + timedelta(days=90)
    stamp = issue(household_a1, expires_at=expires)
    result = live_verifier().verify(stamp.encoded, now=expires + timedelta(seconds=1))
    assert result.reason == "expired"


@pytest.mark.parametrize(
    ("actor", "error"),
    [("leader-b1", NotVisible), ("officer-b", NotVisible), ("auditor", NotPermitted), ("resident-a1", NotVisible)],
)
def test_who_may_not_issue(issue, household_a1, actor, error, unchanged):
    with pytest.raises(error):
        issue(household_a1, actor=actor)


def test_officer_of_the_district_may_issue(issue, household_a1):
    assert issue(household_a1, actor="officer-a").issued_by.username == "officer-a"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"quantity": -1}, "quantity"),
        ({"quantity": "lots"}, "quantity"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": Decimal("1.0001")}, "quantity"),
        ({"quantity": Decimal("NaN")}, "quantity"),
        ({"period_end": date(2026, 2, 28)}, "period_end"),
        ({"period_start": "2026-03-01"}, "period_start"),
        ({"duty_kind": "tribute"}, "duty_kind"),
        ({"duty_title": "   "}, "duty_title"),
        ({"duty_ref": "x" * 65}, "duty_ref"),
        ({"measure": ""}, "measure"),
        ({"expires_at": timezone.now() - timedelta(days=1)}, "expires_at"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(cast, household_a1, changes, field, unchanged):
    with pytest.raises(DomainError) as caught:
        services.stamp_issue(actor=cast["leader-a1"], **stamp_args(household_a1, **changes))
    assert caught.value.field == field
    assert caught.value.message


def test_person_of_another_household_is_refused(cast, household_a1, unchanged):
    stranger = Person.objects.exclude(household=household_a1).filter(household__unit=household_a1.unit).first()
    with pytest.raises(DomainError) as caught:
        services.stamp_issue(actor=cast["leader-a1"], **stamp_args(household_a1, person=stranger))
    assert caught.value.field == "person"


def test_missing_key_file_is_an_error_not_a_silent_new_key(issue, household_a1, keys_dir):
    issue(household_a1)
    key = SigningKey.objects.get(purpose="stamp")
    (keys_dir / f"{key.key_name}.pem").unlink()
    count = Stamp.objects.count()
    with pytest.raises(DomainError) as caught:
        issue(household_a1)
    assert caught.value.code == "key_missing"
    assert Stamp.objects.count() == count
