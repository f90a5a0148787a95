"""The bulk generator: a consistent registry for a whole city, one audit entry, the same people for the same seed.

Runs on SQLite (executemany) and PostgreSQL (COPY with keys drawn from the sequences)."""

import random
from collections import Counter
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, F, Q
from hypothesis import given, settings
from hypothesis import strategies as st

from inminban.areas.models import Area, Office
from inminban.audit.models import AuditEntry
from inminban.audit.services import audit_verify
from inminban.common.errors import DomainError
from inminban.registry.models import Dwelling, Household, Membership, Occupation, Person, Residence
from inminban.synth.bulk import generate_city, unit_sizes

N = 300


@pytest.fixture
def city(db):
    """A generated city of N households (rolled back after each test)."""
    return generate_city(households=N, city="SY", seed=11, units_per_district=5)


def _households(result):
    return Household.objects.filter(unit__path__startswith=result.city.path)


def _persons(result):
    return Person.objects.filter(household__unit__path__startswith=result.city.path)


def test_makes_the_requested_number_of_households_and_about_four_persons_each(city):
    assert _households(city).count() == N
    assert city.counts["households"] == N
    persons = _persons(city).count()
    assert persons == city.counts["persons"]
    assert 3.6 <= persons / N <= 4.4
    assert Membership.objects.filter(household__in=_households(city)).count() == persons


def test_every_household_has_exactly_one_head_and_it_is_the_households_head(city):
    heads = Membership.objects.filter(household__in=_households(city), relation="head", until=None)
    assert heads.count() == N
    assert not heads.values("household").annotate(n=Count("id")).filter(n__gt=1).exists()
    head_of = dict(heads.values_list("household_id", "person_id"))
    assert dict(_households(city).values_list("id", "head_id")) == head_of


def test_every_person_has_one_open_membership_in_the_household_they_are_registered_in(city):
    open_memberships = Membership.objects.filter(person__in=_persons(city), until=None)
    assert open_memberships.count() == _persons(city).count()
    mismatched = open_memberships.exclude(household_id=F("person__household_id"))
    assert not mismatched.exists()
    assert not _persons(city).exclude(status=Person.Status.RESIDENT).exists()


def test_units_hold_twenty_to_thirty_households(city):
    units = Area.objects.filter(path__startswith=city.city.path, level__is_unit=True)
    sizes = list(units.annotate(n=Count("households")).values_list("n", flat=True))
    assert sum(sizes) == N
    assert all(20 <= size <= 30 for size in sizes), sizes
    # 5 units per district as asked, and each district has an office
    districts = Area.objects.filter(parent=city.city)
    assert districts.count() == len(sizes) // 5 + (1 if len(sizes) % 5 else 0)
    assert Office.objects.filter(area__in=districts).count() == districts.count()


def test_dwellings_and_residences_are_in_the_households_unit(city):
    households = _households(city)
    assert not households.filter(dwelling=None).exists()
    assert not households.exclude(dwelling__unit_id=F("unit_id")).exists()
    residences = Residence.objects.filter(household__in=households)
    assert residences.filter(until=None).count() == N
    assert not residences.exclude(
        Q(unit_id=F("household__unit_id")) & Q(dwelling_id=F("household__dwelling_id"))
    ).exists()
    dwellings = Dwelling.objects.filter(unit__path__startswith=city.city.path)
    assert set(dwellings.values_list("kind", flat=True)) == {"row", "detached", "apartment"}
    floor_areas = dwellings.values_list("floor_area_m2", flat=True)
    assert min(floor_areas) >= 50 and max(floor_areas) <= 75


def test_occupations_go_to_working_age_persons_only(city):
    occupations = Occupation.objects.filter(person__in=_persons(city)).select_related("person")
    assert occupations.count() == city.counts["occupations"] > 0
    for occupation in occupations:
        age = (date(2026, 1, 1) - occupation.person.birth_date).days // 365
        assert 17 <= age <= 60
        assert occupation.since >= occupation.person.birth_date


def test_one_audit_entry_for_the_whole_load_and_the_chain_verifies(db):
    before = AuditEntry.objects.count()
    result = generate_city(households=N, city="SY", seed=11)
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "synth.generate"
    assert entry.target_id == str(result.city.pk) and entry.area_path == result.city.path
    assert entry.after["households"] == N and entry.after["persons"] == result.counts["persons"]
    verified = audit_verify()
    assert verified.ok and verified.checked == before + 1


def test_later_ordinary_inserts_do_not_collide_with_bulk_keys(city, cast):
    """On PostgreSQL the keys came from the sequences; the next ordinary insert must get a fresh one."""
    from inminban.registry import services

    household = _households(city).first()
    person = services.person_register(
        actor=cast["admin"],
        household=household,
        family_name="김",
        given_name="새별",
        birth_date=date(2020, 5, 1),
        sex="F",
        relation="child",
        since=date(2020, 5, 1),
    )
    assert person.pk > max(_persons(city).exclude(pk=person.pk).values_list("pk", flat=True))


def _names(seed: int, code: str = "SY") -> list[tuple]:
    with transaction.atomic():
        result = generate_city(households=60, city=code, seed=seed)
        names = list(_persons(result).order_by("pk").values_list("family_name", "given_name", "birth_date", "sex"))
        addresses = list(
            Dwelling.objects.filter(unit__path__startswith=result.city.path)
            .order_by("pk")
            .values_list("address", "kind")
        )
        transaction.set_rollback(True)
    return names + addresses


def test_the_same_seed_gives_the_same_people(db):
    first = _names(seed=5)
    assert first == _names(seed=5)
    assert first != _names(seed=6)


def test_several_cities_can_be_generated_with_different_codes(db):
    one = generate_city(households=45, city="SY")
    two = generate_city(households=45, city="SZ")
    assert one.city.parent_id == two.city.parent_id
    assert _households(one).count() == _households(two).count() == 45
    assert audit_verify().ok


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"households": 0}, "households"),
        ({"households": 50, "city": "HS"}, "city"),  # the demo city
        ({"households": 50, "city": "KP"}, "city"),  # an existing area
        ({"households": 50, "city": "S/Y"}, "city"),
        ({"households": 50, "units_per_district": 0}, "units_per_district"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(db, kwargs, field):
    counts = (Area.objects.count(), Household.objects.count(), Person.objects.count(), AuditEntry.objects.count())
    with pytest.raises(DomainError) as error:
        generate_city(**kwargs)
    assert error.value.field == field
    after = (Area.objects.count(), Household.objects.count(), Person.objects.count(), AuditEntry.objects.count())
    assert after == counts


def test_command_generates_and_reports(db):
    out = StringIO()
    call_command("generate", "--households", "50", "--city", "CMD", "--no-progress", "--actor", "admin", stdout=out)
    assert "50 households" in out.getvalue()
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "synth.generate" and entry.actor_name == "admin"
    assert Household.objects.filter(unit__path__contains="/CMD/").count() == 50


def test_command_refuses_the_demo_city_code(db):
    audit_entries = AuditEntry.objects.count()
    with pytest.raises(CommandError, match="--city"):
        call_command("generate", "--households", "50", "--city", "HS", "--no-progress")
    assert AuditEntry.objects.count() == audit_entries


@settings(max_examples=200, deadline=None)
@given(households=st.integers(min_value=40, max_value=200_000), seed=st.integers(0, 1000))
def test_unit_sizes_are_twenty_to_thirty_and_add_up(households, seed):
    sizes = unit_sizes(households, random.Random(seed))
    assert sum(sizes) == households
    assert min(sizes) >= 20 and max(sizes) <= 30


def test_unit_sizes_vary_around_twenty_five():
    sizes = unit_sizes(10_000, random.Random(1))
    assert 24 <= sum(sizes) / len(sizes) <= 26
    assert len(Counter(sizes)) > 3
