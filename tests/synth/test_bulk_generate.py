"""The bulk generator: a consistent registry for a whole city, one audit entry, the same people for the same seed.

Runs on SQLite (INSERT … SELECT per chunk) and PostgreSQL (generator sessions feeding COPY), with the tables' indexes
and constraints kept in place and, for large loads, taken off and restored (forced here with `rebuild_indexes`)."""

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
from inminban.duties.models import Campaign
from inminban.registry.models import Dwelling, Household, Membership, Occupation, Person, Residence
from inminban.stamps.models import Stamp
from inminban.synth import bulk
from inminban.synth.bulk import generate_city, unit_sizes

from .conftest import database_counts

N = 300


@pytest.fixture(params=[False, True], ids=["indexed", "rebuilt"])
def city(db, request):
    """A generated city of N households (rolled back after each test), written into the indexed tables or with
    their indexes and constraints taken off and restored."""
    return generate_city(households=N, city="SY", seed=11, units_per_district=5, rebuild_indexes=request.param)


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


def test_every_reference_points_at_a_row_of_the_same_household_and_unit(city):
    households = _households(city)
    persons = _persons(city)
    assert not households.filter(Q(head=None) | Q(dwelling=None)).exists()
    assert not households.exclude(head__household_id=F("id")).exists()  # the head is one of the household
    assert not households.exclude(unit__level__is_unit=True).exists()
    memberships = Membership.objects.filter(household__in=households)
    assert not memberships.exclude(person__household_id=F("household_id")).exists()
    assert Membership.objects.filter(person__in=persons).count() == persons.count()
    occupations = Occupation.objects.filter(person__in=persons)
    assert occupations.count() == Occupation.objects.filter(person__household__in=households).count()
    residences = Residence.objects.filter(household__in=households)
    assert residences.count() == N and not residences.exclude(dwelling__unit_id=F("unit_id")).exists()
    # Raw rows: nothing anywhere points at a missing row (the database checks this too, at commit or on restore).
    assert not Person.objects.filter(household__isnull=False).exclude(household__in=Household.objects.all()).exists()
    assert not Membership.objects.exclude(person__in=Person.objects.all()).exists()


def test_persons_are_about_four_per_household_in_the_shapes_of_the_census_generator(db):
    result = generate_city(households=3000, city="SY", seed=3)
    households = _households(result)
    members = Counter(households.annotate(n=Count("memberships")).values_list("n", flat=True))
    assert set(members) <= {1, 2, 3, 4, 5, 6}
    assert 3.8 <= result.counts["persons"] / 3000 <= 4.3
    kinds = Counter(Dwelling.objects.filter(unit__path__startswith=result.city.path).values_list("kind", flat=True))
    assert abs(kinds["row"] / 3000 - 0.43 / 0.98) < 0.03
    assert abs(kinds["detached"] / 3000 - 0.34 / 0.98) < 0.03
    assert abs(kinds["apartment"] / 3000 - 0.21 / 0.98) < 0.03
    heads = Membership.objects.filter(household__in=households, relation="head").select_related("person")
    male_heads = sum(1 for membership in heads if membership.person.sex == "M")
    assert 0.75 <= male_heads / 3000 <= 0.9
    national_ids = list(_persons(result).order_by("pk").values_list("national_id", flat=True))
    assert national_ids == sorted(national_ids) and len(set(national_ids)) == len(national_ids)
    assert national_ids[0].startswith("SY-")


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
    """Persons (names, birth, sex) then dwellings (address, kind) of a city of 60 households, rolled back."""
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
    assert first != _names(seed=5, code="SZ")  # the city code is part of the seed


def test_the_people_do_not_depend_on_how_the_rows_were_written(db, monkeypatch):
    """Two generator sessions (large loads on PostgreSQL) or one, rebuilt indexes or not: the same people."""
    one = _names(seed=5)
    monkeypatch.setattr(bulk, "GENERATORS_MIN_HOUSEHOLDS", 0)
    monkeypatch.setattr(bulk, "UNITS_PER_CHUNK", 1)
    with transaction.atomic():
        result = generate_city(households=60, city="SY", seed=5, rebuild_indexes=True)
        names = list(_persons(result).order_by("pk").values_list("family_name", "given_name", "birth_date", "sex"))
        transaction.set_rollback(True)
    assert names == one[: len(names)] and len(names) == len([row for row in one if len(row) == 4])


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
        ({"households": -5}, "households"),
        ({"households": True}, "households"),
        ({"households": 10_000_001}, "households"),
        ({"households": 50, "city": "SY'; DROP"}, "city"),
        ({"households": 50, "city": "HS"}, "city"),  # the demo city
        ({"households": 50, "city": "KP"}, "city"),  # an existing area
        ({"households": 50, "city": "S/Y"}, "city"),
        ({"households": 50, "units_per_district": 0}, "units_per_district"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(db, kwargs, field, keys_dir):
    counts = database_counts()
    with pytest.raises(DomainError) as error:
        generate_city(**kwargs)
    assert error.value.field == field
    assert database_counts() == counts
    assert not keys_dir.exists() or not list(keys_dir.iterdir())


def test_a_city_code_used_by_an_earlier_load_is_refused_and_changes_nothing(db):
    generate_city(households=40, city="SQ")
    counts = database_counts()
    with pytest.raises(DomainError) as error:
        generate_city(households=40, city="sq")
    assert error.value.field == "city"
    assert database_counts() == counts


@pytest.mark.parametrize("rebuild", [False, True], ids=["indexed", "rebuilt"])
def test_a_load_that_fails_half_way_leaves_nothing_behind(db, monkeypatch, keys_dir, rebuild):
    """The failure comes after the areas, campaigns, keys and most rows are written: all of it rolls back, the key
    files are deleted, and the registry keeps its indexes."""
    counts = database_counts()
    write_rows = bulk._write_rows

    def fail(**kwargs):
        write_rows(**kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(bulk, "_write_rows", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        generate_city(households=100, city="SF", rebuild_indexes=rebuild)
    assert database_counts() == counts
    assert not list(keys_dir.glob("*.pem"))


def test_command_generates_and_reports(db):
    out = StringIO()
    call_command("generate", "--households", "50", "--city", "CMD", "--no-progress", "--actor", "admin", stdout=out)
    assert "50 households" in out.getvalue() and "persons/s" in out.getvalue() and "stamps" in out.getvalue()
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "synth.generate" and entry.actor_name == "admin"
    assert Household.objects.filter(unit__path__contains="/CMD/").count() == 50
    assert Campaign.objects.filter(area__code="CMD", created_by__username="admin").count() == 2


def test_command_without_duties_makes_no_campaigns_or_stamps(db):
    out = StringIO()
    call_command("generate", "--households", "50", "--city", "ND", "--no-progress", "--no-duties", stdout=out)
    assert not Campaign.objects.filter(area__code="ND").exists()
    assert not Stamp.objects.filter(unit__path__contains="/ND/").exists()
    assert Household.objects.filter(unit__path__contains="/ND/").count() == 50


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
