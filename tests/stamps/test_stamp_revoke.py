"""stamp_revoke: officers revoke with a reason; the status list says so, with a new version."""

import pytest

from inminban.audit.models import AuditEntry
from inminban.audit.services import audit_verify
from inminban.common.errors import DomainError, NotPermitted, NotVisible
from inminban.stamps import documents, services
from inminban.stamps.trust import read_status_list

from .conftest import live_verifier


@pytest.fixture
def a1_stamp(issue, household_a1):
    return issue(household_a1)


def test_officer_revokes_and_verifiers_see_it(issue, household_a1, cast):
    stamp = issue(household_a1)
    other = issue(household_a1)
    assert live_verifier().verify(stamp.encoded).ok
    services.stamp_revoke(actor=cast["officer-a"], stamp=stamp, reason="Share was not actually delivered.")
    stamp.refresh_from_db()
    assert stamp.is_revoked and stamp.revoked_by.username == "officer-a"
    verifier = live_verifier()
    result = verifier.verify(stamp.encoded)
    assert (result.ok, result.reason, result.status_version) == (False, "revoked", 1)
    assert verifier.verify(other.encoded).ok


def test_status_list_version_grows_with_each_revocation(issue, household_a1, cast):
    stamps = [issue(household_a1) for _ in range(3)]
    kid = stamps[0].signing_key.kid
    root = documents.root_public_key()
    assert read_status_list(documents.status_list_document(kid), root, kid).version == 0
    services.stamp_revoke(actor=cast["officer-a"], stamp=stamps[0], reason="wrong household")
    services.stamp_revoke(actor=cast["admin"], stamp=stamps[2], reason="duplicate")
    status = read_status_list(documents.status_list_document(kid), root, kid)
    assert status.version == 2 and status.size == 3
    assert [status.is_revoked(index) for index in range(3)] == [True, False, True]


def test_revocation_is_audited(issue, household_a1, cast):
    stamp = issue(household_a1)
    services.stamp_revoke(actor=cast["officer-a"], stamp=stamp, reason="duplicate")
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "stamp.revoke" and entry.actor_name == "officer-a"
    assert entry.after["revoked_reason"] == "duplicate" and entry.household_id == household_a1.pk
    assert audit_verify().ok


@pytest.mark.parametrize(
    ("actor", "error"), [("leader-a1", NotPermitted), ("auditor", NotPermitted), ("officer-b", NotVisible)]
)
def test_who_may_not_revoke(a1_stamp, cast, actor, error, unchanged):
    stamp = a1_stamp
    with pytest.raises(error):
        services.stamp_revoke(actor=cast[actor], stamp=stamp, reason="because")
    stamp.refresh_from_db()
    assert not stamp.is_revoked


@pytest.mark.parametrize("reason", ["", "   ", None, "x" * 256])
def test_revoke_needs_a_reason(a1_stamp, cast, reason, unchanged):
    stamp = a1_stamp
    with pytest.raises(DomainError) as caught:
        services.stamp_revoke(actor=cast["officer-a"], stamp=stamp, reason=reason)
    assert caught.value.field == "reason"
    stamp.refresh_from_db()
    assert not stamp.is_revoked and stamp.signing_key.status_version == 0


def test_revoking_twice_is_refused(issue, household_a1, cast):
    stamp = issue(household_a1)
    services.stamp_revoke(actor=cast["officer-a"], stamp=stamp, reason="first")
    with pytest.raises(DomainError) as caught:
        services.stamp_revoke(actor=cast["officer-a"], stamp=stamp, reason="second")
    assert caught.value.field == "stamp"
    stamp.refresh_from_db()
    assert stamp.revoked_reason == "first" and stamp.signing_key.status_version == 1
