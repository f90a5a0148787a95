"""The issuer (or an office above it) suspends, cancels or resumes a campaign or levy, through the public API:
open shares are cancelled (never passed on), issued stamps still verify, a ration cycle generated afterwards no
longer denies households for the obligation's stamp, the petitions about it are answered with the decision, every
household is told by a directive, and the households with shares are notified. Resuming a suspension restores
exactly the shares it cancelled. Bad input writes nothing."""

# ruff: noqa: F811 - the fixtures imported from suspending are named as arguments

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inminban.areas.models import Office
from inminban.audit.models import AuditEntry
from inminban.duties.models import Directive, Share
from inminban.entitlements import services as entitlement_services
from inminban.entitlements.models import Entitlement
from inminban.governance import suspensions
from inminban.governance.models import Notification, Petition
from inminban.stamps.models import Stamp

from .suspending import bearer, call, keys, office_a, own_household, river, river_petition, state  # noqa: F401


def _month_start(day, ahead=0):
    index = day.year * 12 + day.month - 1 + ahead
    return day.replace(year=index // 12, month=index % 12 + 1, day=1)


def _cycle(cast, program, period_start):
    cycle = entitlement_services.cycle_create(actor=cast["officer-a"], program=program, period_start=period_start)
    entitlement_services.cycle_generate(actor=cast["officer-a"], cycle=cycle)
    return {row.household_id: row.eligible for row in Entitlement.objects.filter(cycle=cycle)}


def test_suspension_cancels_open_shares_keeps_stamps_and_no_longer_denies(cast, river, river_petition, unit_a1):
    today = timezone.localdate()
    own = own_household(cast)
    shares_before = {s.pk: s for s in Share.objects.filter(quota__campaign=river)}
    stamp = Stamp.objects.get(household=own, duty_ref=river.ref)
    program = entitlement_services.program_create(
        actor=cast["officer-a"],
        office=Office.objects.get(code="HS-A-OFFICE"),
        area=unit_a1.parent,
        kind="grain_ration",
        name_en="Monthly grain ration",
        rule={"all": [{"resident": {}}, {"stamp": river.ref}]},
    )
    before = _cycle(cast, program, _month_start(today))
    owing = {s.household_id for s in shares_before.values() if s.stamp_serial == "" and s.quantity > s.waived}
    assert owing and all(before[household] is False for household in owing)
    assert before[own.pk] is True

    officer = bearer("officer-a")
    response = call(officer, "post", f"/campaigns/{river.pk}/standing", {"standing": "suspended", "reason": "장마"})
    assert response.status_code == 200, response.content
    assert response.json()["standing"] == "suspended"

    # Open shares cancelled with what they still owed; the stamped one untouched; nobody's share grew.
    for share in Share.objects.filter(quota__campaign=river):
        old = shares_before[share.pk]
        assert (share.quantity, share.waived, share.done) == (old.quantity, old.waived, old.done)
        if old.stamp_serial:
            assert share.cancelled_at is None and share.cancelled_remaining is None
        else:
            assert share.cancelled_at is not None
            assert share.cancelled_remaining == old.quantity - old.waived - old.done
    # The stamp already issued still verifies.
    verified = call(bearer("auditor"), "post", "/stamps/verify", {"stamp": _encoded(stamp)})
    assert verified.status_code == 200 and verified.json()["ok"] is True, verified.content

    # The petition is answered with the decision; the households are told by a directive and a notification.
    river_petition.refresh_from_db()
    assert river_petition.status == Petition.Status.ANSWERED
    assert river_petition.response.outcome == "accepted" and "장마" in river_petition.response.text
    directive = Directive.objects.filter(area=river.area).order_by("-pk").first()
    assert directive.requires_ack and directive.due_on > today
    assert "장마" in directive.text_ko and "장마" in directive.text_en
    told = Notification.objects.filter(kind="obligation_suspended", user=cast["resident-a1"])
    assert told.count() == 1 and told.get().params["reason"] == "장마"
    actions = list(AuditEntry.objects.order_by("-seq").values_list("action", flat=True)[:6])
    assert "campaign.suspend" in actions and "obligation.decision_publish" in actions
    entry = AuditEntry.objects.filter(action="campaign.suspend").latest("seq")
    assert entry.after["shares_cancelled"] == len(shares_before) - 1

    # The next month's cycle no longer denies anyone for the suspended campaign's stamp.
    after = _cycle(cast, program, _month_start(today, 1))
    assert all(after[household] for household in owing)

    # Resuming restores exactly the cancelled shares.
    response = call(officer, "post", f"/campaigns/{river.pk}/standing", {"standing": "active", "reason": "물이 빠짐"})
    assert response.status_code == 200, response.content
    for share in Share.objects.filter(quota__campaign=river):
        old = shares_before[share.pk]
        assert (share.cancelled_at, share.cancelled_remaining) == (None, None)
        assert (share.quantity, share.waived, share.done, share.stamp_serial) == (
            old.quantity,
            old.waived,
            old.done,
            old.stamp_serial,
        )
    assert AuditEntry.objects.filter(action="campaign.resume").latest("seq").after["shares_restored"] == (
        len(shares_before) - 1
    )
    assert Notification.objects.filter(kind="obligation_resumed", user=cast["resident-a1"]).count() == 1


def _encoded(stamp):
    from inminban.stamps.services import stamp_encoded

    return stamp_encoded(stamp)


def test_an_office_above_the_issuer_cancels_and_nothing_can_be_recorded_on_a_cancelled_share(cast, river):
    city = cast["officer-city"]
    suspensions.obligation_cancel(actor=city, obligation=river, reason="필요 없어짐")
    river.refresh_from_db()
    assert river.standing == "cancelled"
    open_share = Share.objects.filter(quota__campaign=river, cancelled_at__isnull=False).first()
    from inminban.common.errors import DomainError
    from inminban.duties import services as duty_services

    with pytest.raises(DomainError) as refused:
        duty_services.waiver_request(actor=cast["leader-a1"], share=open_share, reason="병환")
    assert refused.value.field == "share"
    with pytest.raises(DomainError):
        duty_services.quota_set(actor=cast["officer-a"], obligation=river, unit=open_share.quota.unit, quantity=8)


def test_the_unit_page_day_page_and_door_sheet_drop_cancelled_shares(cast, river, client_for, unit_a1):
    from inminban.duties import selectors
    from inminban.duties.sheets import open_shares

    leader = cast["leader-a1"]
    assert open_shares(actor=leader, unit=unit_a1).filter(quota__campaign=river).exists()
    suspensions.obligation_suspend(actor=cast["officer-a"], obligation=river, reason="장마")
    assert not open_shares(actor=leader, unit=unit_a1).filter(quota__campaign=river).exists()
    day = selectors.leader_day(actor=leader, unit=unit_a1)
    assert all(share.quota.campaign_id != river.pk for share in day["shares_to_confirm"])
    status = selectors.unit_duty_status(actor=leader, unit=unit_a1)
    cancelled = set(
        Share.objects.filter(quota__campaign=river, cancelled_at__isnull=False).values_list("household_id", flat=True)
    )
    assert all(status[household].owes == 0 for household in cancelled if household in status)

    # A resident whose share was cancelled reads that the issuer cancelled it, on their page and on the share.
    other = Share.objects.filter(quota__campaign=river, cancelled_at__isnull=False).first()
    page = client_for("leader-a1").get(f"/shares/{other.pk}/")
    assert page.status_code == 200 and "Cancelled by the issuer" in page.content.decode()


def test_a_resident_sees_a_cancelled_share_as_cancelled_by_the_issuer(cast, river, client_for):
    own = own_household(cast)
    Share.objects.filter(quota__campaign=river, household=own).update(
        stamp_serial="", confirmed_at=None, confirmed_by=None, done=Decimal("1")
    )
    suspensions.obligation_suspend(actor=cast["officer-a"], obligation=river, reason="장마")
    page = client_for("resident-a1").get("/my-household/", HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "Cancelled by the issuer: nothing more is asked of your household." in text
    assert "It is suspended and may be resumed." in text


# Bad input -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"standing": "suspended", "reason": ""}, "reason"),
        ({"standing": "suspended", "reason": "   "}, "reason"),
        ({"standing": "suspended"}, "reason"),
        ({"standing": "paused", "reason": "x"}, "standing"),
        ({"standing": "active", "reason": "Nothing to resume"}, "standing"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_writes_nothing(river, river_petition, body, field):
    officer = bearer("officer-a")
    before = state()
    response = call(officer, "post", f"/campaigns/{river.pk}/standing", body)
    assert response.status_code == 422, response.content
    assert field in response.json()["fields"]
    assert state() == before


def test_a_cancelled_obligation_cannot_be_resumed_and_nothing_is_written(cast, river):
    suspensions.obligation_cancel(actor=cast["officer-a"], obligation=river, reason="필요 없어짐")
    officer = bearer("officer-a")
    before = state()
    response = call(officer, "post", f"/campaigns/{river.pk}/standing", {"standing": "active", "reason": "x"})
    assert response.status_code == 422
    assert "cannot be undone" in response.json()["fields"]["standing"][0]
    assert state() == before


@pytest.mark.parametrize(
    ("username", "status"),
    [(None, 401), ("resident-a1", 403), ("leader-a1", 403), ("auditor", 403), ("officer-b", 404)],
)
def test_only_the_issuer_or_an_office_above_decides(river, river_petition, username, status):
    from django.test import Client

    client = bearer(username) if username else Client()
    before = state()
    response = call(client, "post", f"/campaigns/{river.pk}/standing", {"standing": "suspended", "reason": "x"})
    assert response.status_code == status, response.content
    assert state() == before


def test_the_page_suspends_and_resumes_through_the_same_decision(cast, river, client_for):
    officer = client_for("officer-a")
    detail = officer.get(f"/campaigns/{river.pk}/")
    assert f"/campaigns/{river.pk}/standing/" in detail.content.decode()
    form = officer.get(f"/campaigns/{river.pk}/standing/")
    assert form.status_code == 200
    refused = officer.post(f"/campaigns/{river.pk}/standing/", {"standing": "suspended", "reason": ""})
    assert refused.status_code == 422
    done = officer.post(f"/campaigns/{river.pk}/standing/", {"standing": "suspended", "reason": "장마"})
    assert done.status_code == 302
    river.refresh_from_db()
    assert river.standing == "suspended"
    assert Notification.objects.filter(kind="obligation_suspended").exists()
    assert client_for("leader-a1").get(f"/campaigns/{river.pk}/standing/").status_code == 403
    assert client_for("officer-b").get(f"/campaigns/{river.pk}/standing/").status_code == 404
    officer.post(f"/campaigns/{river.pk}/standing/", {"standing": "active", "reason": "물이 빠짐"})
    river.refresh_from_db()
    assert river.standing == "active"
    assert not Share.objects.filter(quota__campaign=river, cancelled_at__isnull=False).exists()


def test_the_directive_is_due_within_a_week(cast, river):
    suspensions.obligation_suspend(actor=cast["officer-a"], obligation=river, reason="장마")
    directive = Directive.objects.order_by("-pk").first()
    assert directive.due_on == timezone.localdate() + timedelta(days=suspensions.ACKNOWLEDGE_DAYS)
