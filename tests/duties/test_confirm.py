"""Confirming an acknowledgement or a fulfilled share issues a signed stamp in the same transaction."""

from datetime import timedelta
from decimal import Decimal

import pytest

from inminban.audit.models import AuditEntry
from inminban.audit.services import audit_verify
from inminban.common.errors import DomainError, NotPermitted, NotVisible
from inminban.duties import services
from inminban.registry.models import Household, Person
from inminban.stamps import documents
from inminban.stamps.models import Stamp
from inminban.stamps.verify import Verifier


@pytest.fixture(autouse=True)
def keys_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("INMINBAN_KEYS_DIR", str(tmp_path / "keys"))


def _verify(text: str):
    verifier = Verifier(
        trust_list=documents.trust_list_document(),
        status_lists=documents.status_list_documents(),
        root_public_key=documents.root_public_key(),
    )
    return verifier.verify(text)


@pytest.fixture
def fulfilled_share(make_campaign, make_session, cast, unit_a1):
    campaign = make_campaign(unit_a1)
    quota = services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity="16")
    session = make_session(campaign, unit_a1)
    share = quota.shares.order_by("household__number").first()
    person = Person.objects.filter(household=share.household).first()
    services.attendance_record(actor=cast["leader-a1"], session=session, person=person)
    share.refresh_from_db()
    assert share.fulfilled
    return share


def test_confirming_a_fulfilled_share_issues_a_verifiable_stamp(fulfilled_share, cast):
    stamp = services.share_confirm(actor=cast["leader-a1"], share=fulfilled_share)
    last = AuditEntry.objects.order_by("-seq").first()
    assert last.action == "share.confirm" and last.after["stamp"] == str(stamp.serial)
    fulfilled_share.refresh_from_db()
    assert fulfilled_share.stamp_serial == str(stamp.serial) and fulfilled_share.confirmed_at is not None
    assert stamp.household_id == fulfilled_share.household_id
    assert stamp.duty_kind == "labour" and stamp.duty_ref == f"campaign:{fulfilled_share.quota.campaign_id}"
    assert stamp.quantity == Decimal("4")
    assert _verify(stamp.encoded).ok
    assert audit_verify().ok


def test_confirming_an_acknowledgement_issues_a_stamp(make_directive, cast, unit_a1):
    directive = make_directive(unit_a1)
    household = Household.objects.filter(unit=unit_a1).first()
    ack = services.directive_acknowledge(actor=cast["leader-a1"], directive=directive, household=household)
    stamp = services.acknowledgement_confirm(actor=cast["leader-a1"], acknowledgement=ack)
    ack.refresh_from_db()
    assert ack.stamp_serial == str(stamp.serial)
    assert stamp.duty_kind == "directive" and stamp.duty_ref == f"directive:{directive.pk}"
    assert _verify(stamp.encoded).ok


def _unchanged_with_stamps(nothing_written):
    stamps = Stamp.objects.count()

    class Guard:
        def __enter__(self):
            self.inner = nothing_written()
            self.inner.__enter__()

        def __exit__(self, *exc):
            result = self.inner.__exit__(*exc)
            assert Stamp.objects.count() == stamps
            return result

    return Guard()


def test_unfulfilled_share_cannot_be_confirmed(make_campaign, cast, unit_a1, nothing_written):
    campaign = make_campaign(unit_a1)
    quota = services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity="16")
    share = quota.shares.first()
    with _unchanged_with_stamps(nothing_written), pytest.raises(DomainError, match="Not fulfilled yet: 0 of 4"):
        services.share_confirm(actor=cast["leader-a1"], share=share)


def test_zero_share_has_nothing_to_confirm(make_campaign, cast, unit_a1, nothing_written):
    campaign = make_campaign(unit_a1)
    quota = services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity="0")
    with _unchanged_with_stamps(nothing_written), pytest.raises(DomainError, match="Nothing is due"):
        services.share_confirm(actor=cast["leader-a1"], share=quota.shares.first())


def test_confirmation_is_once_and_freezes_the_share(
    fulfilled_share, make_session, cast, unit_a1, today, nothing_written
):
    services.share_confirm(actor=cast["leader-a1"], share=fulfilled_share)
    with _unchanged_with_stamps(nothing_written):
        with pytest.raises(DomainError, match="Already confirmed"):
            services.share_confirm(actor=cast["leader-a1"], share=fulfilled_share)
        with pytest.raises(DomainError, match="already confirmed"):
            services.waiver_request(actor=cast["leader-a1"], share=fulfilled_share, reason="late")
        attendance = fulfilled_share.attendances.get()
        with pytest.raises(DomainError, match="already confirmed"):
            services.attendance_remove(actor=cast["leader-a1"], attendance=attendance)
        other = Person.objects.filter(household=fulfilled_share.household).exclude(pk=attendance.person_id).first()
        if other is not None:
            with pytest.raises(DomainError, match="already confirmed"):
                services.attendance_record(actor=cast["leader-a1"], session=attendance.session, person=other)


def test_confirmation_needs_the_unit(fulfilled_share, cast, nothing_written):
    with _unchanged_with_stamps(nothing_written):
        with pytest.raises(NotVisible):
            services.share_confirm(actor=cast["leader-b1"], share=fulfilled_share)
        with pytest.raises(NotPermitted):
            services.share_confirm(actor=cast["auditor"], share=fulfilled_share)
        with pytest.raises(NotVisible):
            services.share_confirm(actor=cast["resident-a1"], share=fulfilled_share)


def test_levy_delivery_then_confirm(make_levy, cast, unit_a1, today):
    levy = make_levy(unit_a1, due_on=today + timedelta(days=3))
    quota = services.quota_set(actor=cast["officer-a"], obligation=levy, unit=unit_a1, quantity="20")
    share = quota.shares.order_by("household__number").first()
    services.delivery_record(actor=cast["leader-a1"], share=share, quantity="2", measure="kg", delivered_on=today)
    services.delivery_record(actor=cast["leader-a1"], share=share, quantity="3", measure="kg", delivered_on=today)
    stamp = services.share_confirm(actor=cast["leader-a1"], share=share)
    assert stamp.duty_kind == "levy" and stamp.quantity == Decimal("5") and stamp.measure == "kg"
    assert _verify(stamp.encoded).ok
