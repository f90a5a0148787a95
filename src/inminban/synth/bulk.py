"""The bulk synthetic population: a whole city of districts, units, dwellings, households and persons.

Set-based, not a loop of service calls: rows are built in Python a chunk of units at a time (about 5,000
households) and written with one prepared INSERT per table and batch (`executemany`) on SQLite and with
`COPY … FROM STDIN` on PostgreSQL. Primary keys are assigned before writing (from the
sequences on PostgreSQL, after the current maximum on SQLite, where the transaction holds the write lock), so
households, heads, memberships and residences point at each other without a round-trip per row.

A bulk load is not a user's write: it bypasses the per-record audit and instead appends ONE audit entry for the
whole city, inside the same transaction, so `audit verify` stays green. The same seed and city code give the same
people, names and homes.
"""

import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connection, models, transaction

from inminban.areas.models import Area, AreaLevel, Office
from inminban.audit.services import audit_record
from inminban.common.errors import DomainError
from inminban.registry.models import Dwelling, Household, Membership, Occupation, Person, Residence

from .demo import CITY_CODE as DEMO_CITY_CODE
from .demo import REFERENCE_DATE, REGISTRY_START
from .names import (
    GIVEN_FIRST_F,
    GIVEN_FIRST_M,
    GIVEN_SECOND_F,
    GIVEN_SECOND_M,
    STREETS,
    WORKPLACES,
    weighted_family_names,
)

DEFAULT_CITY_CODE = "SY"
UNIT_MIN, UNIT_TARGET, UNIT_MAX = 20, 25, 30
# Units written per chunk: about 5,000 households, 20,000 persons; bounds memory and paces the progress bar.
UNITS_PER_CHUNK = 200
SQLITE_BATCH_SIZE = 5000

# Where generated cities hang in the area tree. The demo uses KP → RG (Ryanggang) → HS; generated cities go under
# South Pyongan so that building the demo later does not clash with anything made here.
COUNTRY = ("KP", "조선", "Korea (DPR)")
PROVINCE = ("PN", "평안남도", "South Pyongan")
# Plausible city names, picked by the seed: (Korean, English).
CITY_NAMES = [
    ("평성", "Pyongsong"),
    ("순천", "Sunchon"),
    ("안주", "Anju"),
    ("개천", "Kaechon"),
    ("덕천", "Tokchon"),
    ("남포", "Nampho"),
    ("신의주", "Sinuiju"),
    ("청진", "Chongjin"),
    ("함흥", "Hamhung"),
    ("원산", "Wonsan"),
    ("사리원", "Sariwon"),
    ("강계", "Kanggye"),
]

# 2008 census: 43% row houses, 34% detached houses, 21% apartments (the other 2% drawn in proportion).
DWELLING_KINDS = [Dwelling.Kind.ROW_HOUSE, Dwelling.Kind.DETACHED, Dwelling.Kind.APARTMENT]
DWELLING_WEIGHTS = [43, 34, 21]

# The columns written, per table, in this order; rows are tuples in the same order.
COLUMNS: dict[type[models.Model], tuple[str, ...]] = {
    Dwelling: ("id", "unit_id", "address", "building", "apartment", "kind", "floor_area_m2"),
    Household: ("id", "unit_id", "dwelling_id", "head_id", "number", "registered_on"),
    Residence: ("id", "household_id", "unit_id", "dwelling_id", "since"),
    Person: ("id", "family_name", "given_name", "birth_date", "sex", "national_id", "status", "household_id"),
    Membership: ("id", "household_id", "person_id", "relation", "since"),
    Occupation: ("id", "person_id", "workplace", "job_title", "since"),
}
# Write order: FKs are deferred to commit on both databases, but this order also reads naturally.
TABLE_ORDER = [Dwelling, Household, Residence, Person, Membership, Occupation]


@dataclass
class GenerateResult:
    """What a bulk load made and how long each part took."""

    city: Area
    counts: dict[str, int]
    seconds: float
    write_seconds: dict[str, float] = field(default_factory=dict)  # per table, and "commit"

    @property
    def households_per_second(self) -> float:
        return self.counts["households"] / self.seconds if self.seconds else 0.0


# People -----------------------------------------------------------------------------------------------------------


@dataclass
class _Member:
    relation: str
    sex: str
    birth: date
    family_name: str
    given_name: str


class _People:
    """Deterministic names, ages and household shapes from one random generator."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.family_names = weighted_family_names()

    def given_name(self, sex: str) -> str:
        first, second = (GIVEN_FIRST_M, GIVEN_SECOND_M) if sex == "M" else (GIVEN_FIRST_F, GIVEN_SECOND_F)
        return self.rng.choice(first) + self.rng.choice(second)

    def birth(self, age_from: int, age_to: int) -> date:
        age_days = self.rng.randint(age_from * 365, max(age_from, age_to) * 365 + 364)
        return REFERENCE_DATE - timedelta(days=age_days)

    def household(self) -> list[_Member]:
        """The members of one household, head first; about four people on average.

        Shapes: a lone elder (4%), an elderly couple (5%), otherwise a couple or a single parent with children,
        two in five of them with a grandparent living in."""
        rng = self.rng
        family = rng.choice(self.family_names)
        members: list[_Member] = []

        def add(relation: str, sex: str, age_from: int, age_to: int, name: str | None = None) -> int:
            birth = self.birth(age_from, age_to)
            surname = name or rng.choice(self.family_names)  # married-in relatives keep their own family name
            members.append(_Member(relation, sex, birth, surname, self.given_name(sex)))
            return (REFERENCE_DATE - birth).days // 365

        shape = rng.random()
        if shape < 0.04:
            add("head", "F" if rng.random() < 0.7 else "M", 62, 88, family)
            return members
        if shape < 0.09:
            head_age = add("head", "M", 60, 82, family)
            add("spouse", "F", max(55, head_age - 8), head_age + 1)
            return members
        head_sex = "M" if rng.random() < 0.88 else "F"
        head_age = add("head", head_sex, 27, 60, family)
        if head_sex == "M":
            add("spouse", "F", max(22, head_age - 8), head_age + 2)
        children = rng.choices([0, 1, 2, 3], weights=[4, 20, 46, 30])[0]
        oldest = max(0, min(26, head_age - 20))
        for _ in range(children):
            add("child", rng.choice("MF"), 0, oldest, family)
        if rng.random() < 0.4:
            add("parent", "F" if rng.random() < 0.65 else "M", min(head_age + 20, 90), min(head_age + 34, 95))
        return members


# Planning ---------------------------------------------------------------------------------------------------------


def unit_sizes(households: int, rng: random.Random) -> list[int]:
    """Households per unit: 20–30 each (about 25), summing to `households`.

    Under 20 households, or between 31 and 39, no split fits the range; then the units are as even as possible."""
    low, high = math.ceil(households / UNIT_MAX), households // UNIT_MIN
    count = max(1, round(households / UNIT_TARGET))
    if low <= high:
        count = min(max(count, low), high)
        sizes = [UNIT_MIN] * count
        spare = households - UNIT_MIN * count
        open_units = list(range(count))
        while spare:
            pick = rng.randrange(len(open_units))
            index = open_units[pick]
            sizes[index] += 1
            spare -= 1
            if sizes[index] == UNIT_MAX:
                open_units[pick] = open_units[-1]
                open_units.pop()
        return sizes
    base, extra = divmod(households, count)
    return [base + (1 if index < extra else 0) for index in range(count)]


def _check_city_code(code: str) -> str:
    code = (code or "").strip().upper()
    if not code or "/" in code or "-" in code or len(code) > 16:
        raise DomainError("city", "A city code is 1–16 characters, without '/' or '-'.")
    if code == DEMO_CITY_CODE:
        raise DomainError("city", f"{code} is the demo city's code; choose another (e.g. {DEFAULT_CITY_CODE}).")
    if Area.objects.filter(models.Q(code=code) | models.Q(code__startswith=f"{code}-")).exists():
        raise DomainError("city", f"The area code {code!r} is already used; choose another city code.")
    return code


# Keys and writes --------------------------------------------------------------------------------------------------


class _Keys:
    """Hands out primary keys before the rows are written."""

    def __init__(self):
        self.next_id: dict[type[models.Model], int] = {}  # SQLite: the next free id per table
        self.sequence: dict[type[models.Model], str] = {}  # PostgreSQL: each table's sequence

    def take(self, model: type[models.Model], count: int) -> list[int]:
        if count == 0:
            return []
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Draw `count` values from the sequence and return them as runs of consecutive ids: one run unless
                # another session drew values at the same moment. Sending back every id cost more than the load.
                if model not in self.sequence:
                    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                    self.sequence[model] = cursor.fetchone()[0]
                cursor.execute(
                    """
                    SELECT MIN(id), MAX(id) FROM (
                        SELECT id, id - ROW_NUMBER() OVER (ORDER BY id) AS run
                        FROM (SELECT nextval(%s::regclass) AS id FROM generate_series(1, %s)) drawn
                    ) numbered GROUP BY run ORDER BY 1
                    """,
                    [self.sequence[model], count],
                )
                return [key for first, last in cursor.fetchall() for key in range(first, last + 1)]
            if model not in self.next_id:
                # AUTOINCREMENT never reuses a deleted row's id: start after both the largest id and the counter.
                cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')
                largest = cursor.fetchone()[0]
                cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = %s", [table])
                self.next_id[model] = max(largest, cursor.fetchone()[0]) + 1
        first = self.next_id[model]
        self.next_id[model] = first + count
        return list(range(first, first + count))


def _write(model: type[models.Model], rows: list[tuple]) -> None:
    if not rows:
        return
    columns = COLUMNS[model]
    if connection.vendor == "postgresql":
        from psycopg import sql

        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(model._meta.db_table),
            sql.SQL(", ").join(sql.Identifier(model._meta.get_field(name).column) for name in columns),
        )
        with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        return
    # SQLite: one prepared INSERT run over the batch. bulk_create would build a model instance and prepare every
    # value through the field machinery; that was 90% of the load time (2,100 against 7,000+ households/s).
    statement = 'INSERT INTO "{}" ({}) VALUES ({})'.format(
        model._meta.db_table,
        ", ".join(f'"{model._meta.get_field(name).column}"' for name in columns),
        ", ".join(["%s"] * len(columns)),
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), SQLITE_BATCH_SIZE):
            cursor.executemany(statement, rows[start : start + SQLITE_BATCH_SIZE])


def _advance_sequences() -> None:
    """Make sure each sequence is past the largest id, so a later ordinary insert never collides with a bulk-loaded
    row. Keys came from nextval, so this holds already; checking it costs one query per table."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in TABLE_ORDER:
            table = model._meta.db_table
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cursor.fetchone()[0]
            cursor.execute(f'SELECT MAX(id) FROM "{table}"')
            largest = cursor.fetchone()[0]
            cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
            last_value, is_called = cursor.fetchone()
            if largest is not None and (largest > last_value or (largest == last_value and not is_called)):
                cursor.execute("SELECT setval(%s, %s)", [sequence, largest])


def analyze_registry() -> None:
    """Refresh the planner's statistics after a bulk load (run after the commit). Without them, PostgreSQL plans
    the first queries on a table that grew a hundredfold as if it were still small."""
    tables = [model._meta.db_table for model in (Area, *TABLE_ORDER)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE " + ", ".join(f'"{table}"' for table in tables))
        else:
            for table in tables:
                cursor.execute(f'ANALYZE "{table}"')


# The generator ----------------------------------------------------------------------------------------------------


def _areas(*, code: str, rng: random.Random, sizes: list[int], units_per_district: int) -> tuple[Area, list[Area]]:
    """Country and province if missing, then the city, its districts (each with an office) and units."""
    levels = {level.code: level for level in AreaLevel.objects.all()}
    country = Area.objects.filter(code=COUNTRY[0]).first()
    if country is None:
        country = Area.objects.create(
            level=levels["country"], code=COUNTRY[0], name_ko=COUNTRY[1], name_en=COUNTRY[2], path=f"/{COUNTRY[0]}/"
        )
    province = Area.objects.filter(code=PROVINCE[0]).first()
    if province is None:
        province = Area.objects.create(
            level=levels["province"],
            parent=country,
            code=PROVINCE[0],
            name_ko=PROVINCE[1],
            name_en=PROVINCE[2],
            path=f"{country.path}{PROVINCE[0]}/",
            depth=country.depth + 1,
        )
    name_ko, name_en = rng.choice(CITY_NAMES)
    city = Area.objects.create(
        level=levels["city"],
        parent=province,
        code=code,
        name_ko=f"{name_ko}시",
        name_en=f"{name_en} ({code})",
        path=f"{province.path}{code}/",
        depth=province.depth + 1,
    )
    district_count = math.ceil(len(sizes) / units_per_district)
    width = max(2, len(str(district_count)))
    districts = Area.objects.bulk_create(
        [
            Area(
                level=levels["district"],
                parent=city,
                code=f"{code}-D{number:0{width}d}",
                name_ko=f"{name_ko} {number}동",
                name_en=f"{name_en} district {number}",
                path=f"{city.path}{code}-D{number:0{width}d}/",
                depth=city.depth + 1,
            )
            for number in range(1, district_count + 1)
        ]
    )
    Office.objects.bulk_create(
        [
            Office(
                area=district,
                code=f"{district.code}-OFFICE",
                name_ko=f"{district.name_ko} 사무소",
                name_en=f"{district.name_en} office",
            )
            for district in districts
        ]
    )
    unit_width = max(2, len(str(units_per_district)))
    units = []
    for index in range(len(sizes)):
        district = districts[index // units_per_district]
        number = index % units_per_district + 1
        unit_code = f"{district.code}-U{number:0{unit_width}d}"
        units.append(
            Area(
                level=levels["unit"],
                parent=district,
                code=unit_code,
                name_ko=f"{district.name_ko} {number}인민반",
                name_en=f"{district.name_en} unit {number}",
                path=f"{district.path}{unit_code}/",
                depth=district.depth + 1,
            )
        )
    units = Area.objects.bulk_create(units, batch_size=SQLITE_BATCH_SIZE)
    if any(unit.pk is None for unit in units):  # pragma: no cover - both supported databases return keys
        units = list(Area.objects.filter(parent__in=districts).order_by("path"))
    return city, units


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def generate_city(
    *,
    households: int,
    city: str = DEFAULT_CITY_CODE,
    units_per_district: int = 50,
    seed: int = 2008,
    actor=None,
    progress: Callable[[int], None] | None = None,
) -> GenerateResult:
    """Add a synthetic city with `households` households (about four persons each) in one transaction.

    `progress(n)` is called after each chunk with the number of households just written."""
    if not isinstance(households, int) or households < 1:
        raise DomainError("households", "Give a positive number of households.")
    if households > 10_000_000:
        raise DomainError("households", "At most 10,000,000 households per city.")
    if units_per_district < 1:
        raise DomainError("units_per_district", "A district has at least one unit.")
    started = time.perf_counter()
    write_seconds = dict.fromkeys((model._meta.model_name for model in TABLE_ORDER), 0.0)
    with transaction.atomic():
        code = _check_city_code(city)
        # The city code is part of the seed, so two cities generated with one seed are different people.
        rng = random.Random(f"{seed}:{code}")
        people = _People(rng)
        sizes = unit_sizes(households, rng)
        city_area, units = _areas(code=code, rng=rng, sizes=sizes, units_per_district=units_per_district)
        workplaces = [(place.replace("혜산", city_area.name_ko.removesuffix("시")), jobs) for place, jobs in WORKPLACES]
        keys = _Keys()
        counts = dict.fromkeys(("households", "persons", "memberships", "dwellings", "residences", "occupations"), 0)
        issued = 0
        for chunk in _chunks(list(enumerate(zip(units, sizes, strict=True))), UNITS_PER_CHUNK):
            # Plan the chunk with positions, then take keys for every table and turn positions into keys.
            plan = []  # (unit position, unit, index, kind, floor area, registered_on, members, occupations)
            for position, (unit, size) in chunk:
                for index in range(size):
                    kind = rng.choices(DWELLING_KINDS, weights=DWELLING_WEIGHTS)[0]
                    floor_area = rng.randint(50, 75)
                    registered_on = REGISTRY_START + timedelta(days=rng.randint(0, 3000))
                    members = people.household()
                    jobs = []
                    for member in members:
                        age = (REFERENCE_DATE - member.birth).days // 365
                        if 17 <= age <= 60:
                            workplace, titles = rng.choice(workplaces)
                            since = max(registered_on, member.birth + timedelta(days=17 * 365))
                            jobs.append((member, workplace, rng.choice(titles), since))
                    plan.append((position, unit, index, kind, floor_area, registered_on, members, jobs))
            person_total = sum(len(item[6]) for item in plan)
            job_total = sum(len(item[7]) for item in plan)
            dwelling_ids = iter(keys.take(Dwelling, len(plan)))
            household_ids = iter(keys.take(Household, len(plan)))
            residence_ids = iter(keys.take(Residence, len(plan)))
            person_ids = iter(keys.take(Person, person_total))
            membership_ids = iter(keys.take(Membership, person_total))
            occupation_ids = iter(keys.take(Occupation, job_total))
            rows: dict[type[models.Model], list[tuple]] = {model: [] for model in TABLE_ORDER}
            for position, unit, index, kind, floor_area, registered_on, members, jobs in plan:
                street = STREETS[position % len(STREETS)]
                building = f"{index // 8 + 1}동" if kind == Dwelling.Kind.APARTMENT else ""
                dwelling_id, household_id = next(dwelling_ids), next(household_ids)
                rows[Dwelling].append(
                    (
                        dwelling_id,
                        unit.pk,
                        f"{street} {index + 1}",
                        building,
                        f"{index % 8 + 1}호" if building else "",
                        kind.value,
                        floor_area,
                    )
                )
                member_ids = {}
                for member in members:
                    person_id = next(person_ids)
                    member_ids[id(member)] = person_id
                    issued += 1
                    national_id = f"{member.birth:%y%m%d}-{1 if member.sex == 'M' else 2}{code}{issued:08d}"
                    rows[Person].append(
                        (
                            person_id,
                            member.family_name,
                            member.given_name,
                            member.birth,
                            member.sex,
                            national_id,
                            Person.Status.RESIDENT.value,
                            household_id,
                        )
                    )
                    rows[Membership].append(
                        (
                            next(membership_ids),
                            household_id,
                            person_id,
                            member.relation,
                            max(member.birth, registered_on),
                        )
                    )
                head_id = member_ids[id(members[0])]
                rows[Household].append(
                    (household_id, unit.pk, dwelling_id, head_id, f"{unit.code}-{index + 1:03d}", registered_on)
                )
                rows[Residence].append((next(residence_ids), household_id, unit.pk, dwelling_id, registered_on))
                for member, workplace, title, since in jobs:
                    rows[Occupation].append((next(occupation_ids), member_ids[id(member)], workplace, title, since))
            for model in TABLE_ORDER:
                began = time.perf_counter()
                _write(model, rows[model])
                write_seconds[model._meta.model_name] += time.perf_counter() - began
            counts["households"] += len(plan)
            counts["dwellings"] += len(plan)
            counts["residences"] += len(plan)
            counts["persons"] += person_total
            counts["memberships"] += person_total
            counts["occupations"] += job_total
            if progress is not None:
                progress(len(plan))
        _advance_sequences()
        counts["units"] = len(units)
        counts["districts"] = len({unit.parent_id for unit in units})
        audit_record(
            actor=actor,
            action="synth.generate",
            target=city_area,
            area=city_area,
            after={"seed": seed, "units_per_district": units_per_district, **counts},
        )
        committing = time.perf_counter()
    # Leaving the block commits; PostgreSQL checks the deferred foreign keys of every row here.
    write_seconds["commit"] = time.perf_counter() - committing
    return GenerateResult(
        city=city_area, counts=counts, seconds=time.perf_counter() - started, write_seconds=write_seconds
    )
