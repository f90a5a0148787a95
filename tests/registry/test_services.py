"""Registry services: history is kept, dates are answered, bad input changes nothing."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from inminban.audit.models import AuditEntry
from inminban.common.errors import DomainError, NotPermitted, NotVisible
from inminban.registry import selectors, services
from inminban.registry.models import Household, Membership, Move, Occupation, Person, Residence


def _household(unit) -> Household:
    return Household.objects.filter(unit=unit).order_by("number").first()


def _counts() -> dict[str, int]:
    models = [AuditEntry, Household, Person, Membership, Residence, Occupation, Move]
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture
def unchanged(db):
    """Asserts at the end of a bad-input test that nothing was written and nothing audited."""
    before = _counts()
    yield
    assert _counts() == before


def test_household_move_keeps_previous_residence(cast, unit_a1, unit_a2):
    household = _household(unit_a1)
    old_dwelling = household.dwelling
    target = services.dwelling_create(actor=cast["officer-a"], unit=unit_a2, address="새 거리 1")
    move = services.household_move(actor=cast["officer-a"], household=household, dwelling=target, on=date(2026, 2, 1))
    household.refresh_from_db()
    assert (household.unit, household.dwelling) == (unit_a2, target)
    residences = list(Residence.objects.filter(household=household).order_by("since"))
    assert residences[-2].dwelling == old_dwelling and residences[-2].until == date(2026, 2, 1)
    assert residences[-1].dwelling == target and residences[-1].until is None
    assert (move.from_unit, move.to_unit) == (unit_a1, unit_a2)


def test_households_in_unit_on_a_date_follow_moves(cast, unit_a1, unit_a2):
    household = _household(unit_a1)
    target = services.dwelling_create(actor=cast["admin"], unit=unit_a2, address="새 거리 2")
    services.household_move(actor=cast["admin"], household=household, dwelling=target, on=date(2026, 2, 1))
    admin = cast["admin"]
    before = selectors.households_in_unit(actor=admin, unit=unit_a1, on=date(2026, 1, 31))
    after = selectors.households_in_unit(actor=admin, unit=unit_a1, on=date(2026, 2, 1))
    assert household in before and household not in after
    assert household in selectors.households_in_unit(actor=admin, unit=unit_a2, on=date(2026, 2, 1))


def test_person_move_answers_who_lived_where_on_a_date(cast, unit_a1):
    source, target = Household.objects.filter(unit=unit_a1).order_by("number")[:2]
    person = Membership.objects.filter(household=source, until=None).exclude(relation="head").first().person
    services.person_move(
        actor=cast["leader-a1"], person=person, household=target, relation="lodger", on=date(2026, 3, 1)
    )
    leader = cast["leader-a1"]
    members_before = {
        m.person_id for m in selectors.household_members(actor=leader, household=source, on=date(2026, 2, 28))
    }
    members_after = {
        m.person_id for m in selectors.household_members(actor=leader, household=source, on=date(2026, 3, 1))
    }
    assert person.pk in members_before and person.pk not in members_after
    assert person.pk in {
        m.person_id for m in selectors.household_members(actor=leader, household=target, on=date(2026, 3, 1))
    }
    person.refresh_from_db()
    assert person.household == target


def test_occupation_set_closes_the_previous_job(cast):
    person = Occupation.objects.filter(until=None).first().person
    previous = Occupation.objects.get(person=person, until=None)
    new = services.occupation_set(
        actor=cast["admin"], person=person, workplace="혜산역", job_title="역무원", since=date(2026, 5, 1)
    )
    previous.refresh_from_db()
    assert previous.until == date(2026, 5, 1) and new.until is None
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "occupation.set" and entry.before["job_title"] == previous.job_title
    assert entry.after["job_title"] == "역무원" and entry.household_id == person.household_id


def test_every_write_is_attributed_with_before_and_after(cast):
    person = Person.objects.filter(household__unit__code="HS-A1").first()
    services.person_update(actor=cast["leader-a1"], person=person, given_name="새이름")
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.actor == cast["leader-a1"] and entry.action == "person.update"
    assert entry.before["given_name"] != "새이름" and entry.after["given_name"] == "새이름"
    assert entry.area_path == person.household.unit.path


def test_leader_of_other_unit_cannot_see_or_change(cast, unit_a1):
    person = Person.objects.filter(household__unit=unit_a1).first()
    with pytest.raises(NotVisible):
        services.person_update(actor=cast["leader-b1"], person=person, given_name="x")


def test_auditor_cannot_write(cast, unit_a1, unchanged):
    person = Person.objects.filter(household__unit=unit_a1).first()
    with pytest.raises(NotPermitted):
        services.person_update(actor=cast["auditor"], person=person, given_name="x")


def test_resident_cannot_write(cast, unit_a1, unchanged):
    person = Person.objects.filter(household__unit=unit_a1).first()
    with pytest.raises((NotPermitted, NotVisible)):
        services.person_update(actor=cast["resident-a1"], person=person, given_name="x")


@pytest.mark.parametrize(
    "field, changes",
    [
        ("birth_date", {"birth_date": timezone.localdate() + timedelta(days=1)}),
        ("birth_date", {"birth_date": date(1850, 1, 1)}),
        ("given_name", {"given_name": "   "}),
        ("sex", {"sex": "X"}),
        ("national_id", {"national_id": "x" * 40}),
    ],
)
def test_person_update_rejects_bad_input(cast, unit_a1, unchanged, field, changes):
    person = Person.objects.filter(household__unit=unit_a1).first()
    with pytest.raises(DomainError) as error:
        services.person_update(actor=cast["leader-a1"], person=person, **changes)
    assert error.value.field == field


def test_duplicate_national_id_is_rejected(cast, unit_a1, unchanged):
    first, second = Person.objects.filter(household__unit=unit_a1)[:2]
    with pytest.raises(DomainError) as error:
        services.person_update(actor=cast["leader-a1"], person=second, national_id=first.national_id)
    assert error.value.field == "national_id"


def test_register_person_born_in_the_future_is_rejected(cast, unit_a1, unchanged):
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(DomainError) as error:
        services.person_register(
            actor=cast["leader-a1"],
            household=_household(unit_a1),
            family_name="김",
            given_name="미래",
            birth_date=tomorrow,
            sex="F",
            relation="child",
            since=tomorrow,
        )
    assert error.value.field == "birth_date"


def test_overlapping_membership_is_rejected(cast, unit_a1, unchanged):
    source, target = Household.objects.filter(unit=unit_a1).order_by("number")[:2]
    member = Membership.objects.filter(household=source, until=None).first()
    with pytest.raises(DomainError) as error:
        services.membership_add(
            actor=cast["leader-a1"],
            household=target,
            person=member.person,
            relation="lodger",
            since=member.since + timedelta(days=10),
            until=member.since + timedelta(days=40),
        )
    assert error.value.field == "since"


def test_move_before_current_residence_is_rejected(cast, unit_a1, unit_a2, unchanged):
    household = _household(unit_a1)
    target = unit_a2.dwellings.first()
    with pytest.raises(DomainError) as error:
        services.household_move(actor=cast["admin"], household=household, dwelling=target, on=date(1999, 1, 1))
    assert error.value.field == "on"


def test_leader_cannot_move_a_household_into_another_district(cast, unit_a1, unit_b1, unchanged):
    household = _household(unit_a1)
    with pytest.raises(NotVisible):
        services.household_move(
            actor=cast["leader-a1"], household=household, dwelling=unit_b1.dwellings.first(), on=date(2026, 6, 1)
        )


@pytest.mark.parametrize("amount", ["abc", "-5", "NaN", "1e20"])
def test_income_rejects_bad_amounts(cast, unit_a1, unchanged, amount):
    person = Person.objects.filter(household__unit=unit_a1).first()
    with pytest.raises(DomainError) as error:
        services.income_declare(
            actor=cast["leader-a1"],
            person=person,
            amount=amount,
            currency="KPW",
            period="month",
            since=date(2026, 1, 1),
        )
    assert error.value.field == "amount"
