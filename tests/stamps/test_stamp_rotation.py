"""Key rotation: the new key signs; the old one stops signing but its stamps verify until its validity ends."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from inminban.audit.models import AuditEntry
from inminban.audit.services import audit_verify
from inminban.common.errors import NotPermitted, NotVisible
from inminban.stamps import services
from inminban.stamps.models import SigningKey

from .conftest import live_verifier


@pytest.fixture
def office_a(household_a1):
    return services.issuing_office(household_a1.unit)


def test_rotation_keeps_old_stamps_verifiable_until_the_old_key_ends(issue, household_a1, cast, office_a):
    old_stamp = issue(household_a1)
    old_key = old_stamp.signing_key
    new_key = services.signing_key_rotate(actor=cast["officer-a"], office=office_a)
    new_stamp = issue(household_a1)
    old_key.refresh_from_db()
    assert old_key.retired_at is not None and new_key.retired_at is None
    assert new_stamp.signing_key == new_key != old_key
    assert new_stamp.status_index == 0  # each key has its own status list

    # The old key was made earlier; give it a shorter life to see its end.
    old_end = timezone.now() + timedelta(days=30)
    SigningKey.objects.filter(pk=old_key.pk).update(valid_until=old_end)
    verifier = live_verifier()
    assert set(verifier.trust.keys) == {old_key.kid, new_key.kid}
    assert verifier.verify(old_stamp.encoded).ok
    assert verifier.verify(new_stamp.encoded).ok
    later = old_end + timedelta(seconds=1)
    assert verifier.verify(old_stamp.encoded, now=later).reason == "key_expired"
    assert verifier.verify(new_stamp.encoded, now=later).ok


def test_rotation_is_audited(cast, office_a, issue, household_a1):
    issue(household_a1)
    before = AuditEntry.objects.count()
    services.signing_key_rotate(actor=cast["officer-a"], office=office_a)
    actions = list(AuditEntry.objects.filter(seq__gt=before).order_by("seq").values_list("action", flat=True))
    assert actions == ["stamp.key_retire", "stamp.key_create"]
    assert audit_verify().ok


def test_rotating_an_office_without_a_key_just_makes_one(cast, office_a):
    key = services.signing_key_rotate(actor=cast["admin"], office=office_a)
    assert SigningKey.objects.filter(office=office_a, purpose="stamp").get() == key


@pytest.mark.parametrize(
    ("actor", "error"), [("leader-a1", NotVisible), ("auditor", NotPermitted), ("officer-b", NotVisible)]
)
def test_who_may_not_rotate(cast, office_a, actor, error, unchanged):
    with pytest.raises(error):
        services.signing_key_rotate(actor=cast[actor], office=office_a)


def test_rotate_command(issue, household_a1, capsys):
    first = issue(household_a1).signing_key
    call_command("stamp", "rotate", "HS-A-OFFICE")
    current = SigningKey.objects.get(office__code="HS-A-OFFICE", retired_at=None)
    assert current != first and current.kid in capsys.readouterr().out
    assert AuditEntry.objects.filter(action="stamp.key_create", actor_name="system").exists()


def test_a_key_near_its_end_is_replaced_before_it_signs(issue, household_a1):
    old = issue(household_a1).signing_key
    SigningKey.objects.filter(pk=old.pk).update(valid_until=timezone.now() + services.SIGNING_MARGIN / 2)
    stamp = issue(household_a1)
    old.refresh_from_db()
    assert old.retired_at is not None and stamp.signing_key != old
    assert stamp.signing_key.valid_until > timezone.now() + services.SIGNING_MARGIN
    assert AuditEntry.objects.filter(action="stamp.key_retire", target_id=str(old.pk)).exists()
