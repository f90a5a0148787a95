from datetime import timedelta
from decimal import Decimal

import pytest

from inminban.audit.models import AuditEntry
from inminban.common.errors import DomainError, NotPermitted, NotVisible
from inminban.duties import selectors, services


@pytest.fixture
def levy_share(make_levy, cast, unit_a1):
    levy = make_levy(unit_a1.parent)
    quota = services.quota_set(actor=cast["officer-a"], obligation=levy, unit=unit_a1, quantity="40")
    return quota.shares.order_by("household__number").first()


def test_partial_deliveries_accumulate_with_receipts(levy_share, cast, today):
    assert levy_share.quantity == Decimal("10.0")
    first = services.delivery_record(
        actor=cast["leader-a1"], share=levy_share, quantity="4.5", measure="kg", delivered_on=today, receiver="김영철"
    )
    second = services.delivery_record(
        actor=cast["leader-a1"], share=levy_share, quantity=Decimal("5.5"), measure="kg", delivered_on=today
    )
    levy_share.refresh_from_db()
    assert levy_share.done == Decimal("10.00") and levy_share.fulfilled
    levy_id = levy_share.quota.levy_id
    assert (first.receipt_number, second.receipt_number) == (f"L{levy_id}-00001", f"L{levy_id}-00002")
    assert second.receiver == "leader-a1"
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "delivery.record" and entry.household_id == levy_share.household_id
    assert entry.after["receipt_number"] == second.receipt_number


@pytest.mark.parametrize(
    ("quantity", "measure", "field", "message"),
    [
        ("0", "kg", "quantity", "more than zero"),
        ("-3", "kg", "quantity", "cannot be negative"),
        ("lots", "kg", "quantity", "A number is required"),
        ("2", "m3", "measure", "counted in kilograms"),
        ("2", "kpw", "measure", "counted in kilograms"),
        ("2", "", "measure", "counted in kilograms"),
        ("10.5", "kg", "quantity", "Only 10 kg is still owed"),
    ],
)
def test_bad_delivery_is_refused(levy_share, cast, today, quantity, measure, field, message, nothing_written):
    with nothing_written(), pytest.raises(DomainError, match=message) as error:
        services.delivery_record(
            actor=cast["leader-a1"], share=levy_share, quantity=quantity, measure=measure, delivered_on=today
        )
    assert error.value.field == field


def test_delivery_dates_are_checked(levy_share, cast, today, nothing_written):
    with nothing_written():
        for day in (today + timedelta(days=1), today - timedelta(days=30)):
            with pytest.raises(DomainError) as error:
                services.delivery_record(
                    actor=cast["leader-a1"], share=levy_share, quantity="1", measure="kg", delivered_on=day
                )
            assert error.value.field == "delivered_on"


def test_only_the_unit_records_deliveries(levy_share, cast, today, nothing_written):
    with nothing_written():
        with pytest.raises(NotVisible):
            services.delivery_record(
                actor=cast["leader-b1"], share=levy_share, quantity="1", measure="kg", delivered_on=today
            )
        with pytest.raises(NotPermitted):
            services.delivery_record(
                actor=cast["auditor"], share=levy_share, quantity="1", measure="kg", delivered_on=today
            )


def test_person_hour_campaign_takes_no_deliveries(make_campaign, cast, unit_a1, today, nothing_written):
    campaign = make_campaign(unit_a1)
    quota = services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity="8")
    with nothing_written(), pytest.raises(DomainError, match="from attendance"):
        services.delivery_record(
            actor=cast["leader-a1"],
            share=quota.shares.first(),
            quantity="1",
            measure="person_hours",
            delivered_on=today,
        )


def test_gravel_campaign_counts_deliveries(make_campaign, cast, unit_a1, today):
    campaign = make_campaign(unit_a1, measure="m3", title_en="Gravel for the greenhouse")
    quota = services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity="2")
    share = quota.shares.order_by("household__number").first()
    delivery = services.delivery_record(
        actor=cast["leader-a1"], share=share, quantity="0.5", measure="m3", delivered_on=today
    )
    assert delivery.receipt_number == f"C{campaign.pk}-00001"
    share.refresh_from_db()
    assert share.done == Decimal("0.50") and share.fulfilled


@pytest.mark.parametrize(("kind", "measure"), [("cash", "kg"), ("food", "kpw"), ("food", "m3"), ("tax", "kpw")])
def test_levy_kind_and_measure_must_agree(make_levy, unit_a1, kind, measure, nothing_written):
    with nothing_written(), pytest.raises(DomainError) as error:
        make_levy(unit_a1, kind=kind, measure=measure)
    assert error.value.field in {"kind", "measure"}


def test_cash_levy_by_capacity_follows_declared_income(make_levy, cast, unit_a1, today):
    from inminban.registry.models import Household, Membership
    from inminban.registry.services import income_declare

    rule = services.rule_create(actor=cast["admin"], code="by-income", method="capacity")
    households = list(Household.objects.filter(unit=unit_a1).order_by("number"))
    incomes = [3000, 1000, 0, 0]
    for household, amount in zip(households, incomes, strict=True):
        if amount:
            member = Membership.objects.current_on(today).filter(household=household, relation="head").get().person
            income_declare(
                actor=cast["leader-a1"], person=member, amount=amount, currency="KPW", period="month", since=today
            )
    levy = make_levy(unit_a1, kind="cash", measure="kpw", rule=rule, title_en="Cash for the power station")
    quota = services.quota_set(actor=cast["officer-a"], obligation=levy, unit=unit_a1, quantity="1000")
    shares = {s.household_id: s for s in quota.shares.all()}
    assert [shares[h.pk].quantity for h in households] == [Decimal("750"), Decimal("250"), 0, 0]
    assert shares[households[2].pk].explanation["zero_reason"] in {"no_income", "no_liable_member"}


def test_levy_progress_and_day_view(levy_share, cast, unit_a1, today):
    services.delivery_record(actor=cast["leader-a1"], share=levy_share, quantity="10", measure="kg", delivered_on=today)
    levy = levy_share.quota.levy
    progress = selectors.obligation_progress(actor=cast["officer-a"], obligation=levy)
    assert (progress["total"], progress["done"], progress["percent"]) == (Decimal("40.00"), Decimal("10.00"), 25)
    day = selectors.leader_day(actor=cast["leader-a1"], unit=unit_a1)
    [row] = [row for row in day["levies_due"] if row["levy_id"] == levy.pk]
    assert row["households"] == 3 and row["owed"] == Decimal("30.00")
    assert levy_share.pk in [share.pk for share in day["shares_to_confirm"]]
    others = levy.quotas.get().shares.exclude(pk=levy_share.pk)
    assert not {share.pk for share in others} & {share.pk for share in day["shares_to_confirm"]}
