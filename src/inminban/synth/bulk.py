"""The bulk synthetic population: a whole city of districts, units, dwellings, households, persons, and the stamps of
two labour campaigns, at up to national size (6.5 million households) in one transaction.

Set-based and computed on the database server (`bulk_sql`): Python plans the units (20–30 households each) and the
districts, and the rows are SELECTs over that plan, every value a hash of the seed, the city code and the row's
number. On PostgreSQL the rows travel by COPY, which writes many rows per call where INSERT … SELECT writes (and logs)
them one by one: separate generator sessions run the SELECTs, each producing chunks of rows as COPY text, and this
process hands the chunks to `COPY … FROM STDIN` on the load's own connection. With two generator sessions and the
writing session, both cores of a small server work at once. On SQLite each chunk is one INSERT … SELECT.

Large loads (`REBUILD_MIN_HOUSEHOLDS` and at least as many households as the registry already has) take the loaded
tables out of their indexes and constraints first and restore them after the rows, from the catalog's own
definitions (`bulk_schema`). All of it is one transaction: a failed load leaves nothing behind but unused sequence
values and the key files it made, which it deletes. The load holds locks on the registry tables until it commits:
small loads only block other writers of the tables it reserves ids in; large loads block readers too (the loaded
tables and those with foreign keys into them have no indexes until the end).

A bulk load is not a user's write: it bypasses the per-record audit and appends ONE audit entry for the whole city,
inside the same transaction, so `audit verify` stays green. The same seed and city code give the same people,
names and homes (and the same stamps' serials) on the same kind of database.
"""

import hashlib
import math
import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from django.contrib.auth.models import User
from django.db import connection, models, transaction
from django.utils import timezone

from inminban.areas.models import Area, AreaLevel, Office
from inminban.audit.services import audit_record
from inminban.common.errors import DomainError
from inminban.duties.models import DEFAULT_STEPS, AllocationRule, Campaign, Measure
from inminban.registry.models import Dwelling, Household, Membership, Occupation, Person, Residence
from inminban.stamps import keyfiles
from inminban.stamps.models import SigningKey, Stamp
from inminban.stamps.services import KEY_VALIDITY
from inminban.stamps.trust import kid_of, raw_public_key

from . import bulk_schema
from .bulk_sql import Bases, CampaignPlan, CitySQL, dialect_for
from .demo import CITY_CODE as DEMO_CITY_CODE
from .demo import REFERENCE_DATE, REGISTRY_START
from .names import WORKPLACES

DEFAULT_CITY_CODE = "SY"
UNIT_MIN, UNIT_TARGET, UNIT_MAX = 20, 25, 30
MAX_HOUSEHOLDS = 10_000_000
# Households per chunk of rows: about 20,000 persons, 1.5 MB of COPY text; paces the progress bar, bounds memory.
CHUNK_HOUSEHOLDS = 5000
UNITS_PER_CHUNK = 5000
# Below this, or when the registry already holds more households than the load adds, writing into the indexed
# tables costs less than rebuilding every index of the tables.
REBUILD_MIN_HOUSEHOLDS = 20_000
# Generator sessions on PostgreSQL: one is enough for small loads; two keep both cores of a small server busy.
GENERATORS_LARGE = 2
GENERATORS_MIN_HOUSEHOLDS = 50_000
SYSTEM_USERNAME = "synth"

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


@dataclass(frozen=True)
class CampaignSpec:
    """A labour campaign every generated city gets, and the share of its households holding its stamp."""

    title_ko: str
    title_en: str
    percent: int
    hours: int  # person-hours on each household's stamp
    starts_on: date
    ends_on: date
    place: str


CAMPAIGNS = [
    CampaignSpec("거리 청소", "Street cleaning", 90, 4, date(2025, 10, 1), date(2025, 10, 10), "시내 거리"),
    CampaignSpec(
        "온실 건설용 자갈 수집",
        "Gravel collection for the greenhouse",
        85,
        8,
        date(2025, 11, 3),
        date(2025, 11, 28),
        "강기슭",
    ),
]

# The columns each table is written with (ids included where the load computes them).
COLUMNS: dict[type[models.Model], tuple[str, ...]] = {
    Dwelling: ("id", "unit_id", "address", "building", "apartment", "kind", "floor_area_m2"),
    Household: ("id", "unit_id", "dwelling_id", "number", "registered_on", "head_id"),
    Residence: ("household_id", "unit_id", "dwelling_id", "since"),
    Person: ("id", "family_name", "given_name", "birth_date", "sex", "national_id", "status", "household_id"),
    Membership: ("household_id", "person_id", "relation", "since"),
    Occupation: ("person_id", "workplace", "job_title", "since"),
}
# The tables a load fills in bulk (units go into areas_area, which keeps its indexes: it is small and everyone's).
LOADED_MODELS = [Dwelling, Household, Residence, Person, Membership, Occupation, Stamp]


@dataclass
class GenerateResult:
    """What a bulk load made and how long each part took."""

    city: Area
    counts: dict[str, int]
    seconds: float
    write_seconds: dict[str, float] = field(default_factory=dict)  # per table, "indexes" and "commit"
    rebuilt_indexes: bool = False

    @property
    def households_per_second(self) -> float:
        return self.counts["households"] / self.seconds if self.seconds else 0.0

    @property
    def persons_per_second(self) -> float:
        return self.counts["persons"] / self.seconds if self.seconds else 0.0


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
    code = (code or "").strip().upper() if isinstance(code, str) else ""
    # Letters and digits only: the code goes into area paths, URLs, household numbers and national ids.
    if not code or len(code) > 16 or not (code.isascii() and code.isalnum()):
        raise DomainError("city", "A city code is 1–16 letters or digits (A–Z, 0–9).")
    if code == DEMO_CITY_CODE:
        raise DomainError("city", f"{code} is the demo city's code; choose another (e.g. {DEFAULT_CITY_CODE}).")
    if Area.objects.filter(models.Q(code=code) | models.Q(code__startswith=f"{code}-")).exists():
        raise DomainError("city", f"The area code {code!r} is already used; choose another city code.")
    return code


def _city_key(seed: int, code: str) -> int:
    """The seed of every hash in the city's SQL: 40 bits of SHA-256 over seed and code."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{code}".encode()).digest()[:5], "big")


def system_user() -> User:
    """The account synthetic campaigns are created by when no --actor is given: inactive, no password, no roles."""
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"is_active": False, "first_name": "Synthetic data"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def analyze_registry() -> None:
    """Refresh the planner's statistics after a bulk load (run after the commit). Without them, PostgreSQL plans
    the first queries on a table that grew a hundredfold as if it were still small."""
    tables = [model._meta.db_table for model in (Area, Office, SigningKey, *LOADED_MODELS)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE " + ", ".join(f'"{table}"' for table in tables))
        else:
            for table in tables:
                cursor.execute(f'ANALYZE "{table}"')


# Areas, ids, keys and campaigns (the few rows made through the ORM) -----------------------------------------------


def _areas(*, code: str, rng: random.Random, unit_count: int, units_per_district: int):
    """Country and province if missing, then the city with its office, and its districts, each with an office.
    Returns (city, districts, offices, levels); the units are written in bulk later."""
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
    # The city's people's committee issues the city-wide campaigns; district offices sign the stamps.
    Office.objects.create(
        area=city, code=f"{code}-OFFICE", name_ko=f"{name_ko}시 인민위원회", name_en=f"{name_en} People's Committee"
    )
    district_count = math.ceil(unit_count / units_per_district)
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
        ],
        batch_size=2000,
    )
    if any(district.pk is None for district in districts):  # pragma: no cover - both databases return keys
        districts = list(Area.objects.filter(parent=city).order_by("path"))
    offices = Office.objects.bulk_create(
        [
            Office(
                area=district,
                code=f"{district.code}-OFFICE",
                name_ko=f"{district.name_ko} 사무소",
                name_en=f"{district.name_en} office",
            )
            for district in districts
        ],
        batch_size=2000,
    )
    if any(office.pk is None for office in offices):  # pragma: no cover
        offices = list(Office.objects.filter(area__in=districts).order_by("code"))
    return city, districts, offices, levels, width


def _lock_and_reserve(models_and_counts: list[tuple[type[models.Model], int]]) -> dict[type[models.Model], int]:
    """The first id of a block of `count` consecutive ids per table, which nobody else will be given.

    PostgreSQL: the table is locked against other writers for the rest of the transaction, so no other insert
    draws from its sequence, and the sequence is moved past the block (a rollback leaves that gap). SQLite: the
    transaction holds the database's write lock; the block starts after both the largest id and the AUTOINCREMENT
    counter, which inserting the rows advances."""
    first = {}
    with connection.cursor() as cursor:
        for model, count in models_and_counts:
            table = model._meta.db_table
            if connection.vendor == "postgresql":
                cursor.execute(f'LOCK TABLE "{table}" IN EXCLUSIVE MODE')
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                sequence = cursor.fetchone()[0]
                cursor.execute("SELECT nextval(%s::regclass)", [sequence])
                first[model] = cursor.fetchone()[0]
                if count > 1:
                    cursor.execute("SELECT setval(%s::regclass, %s)", [sequence, first[model] + count - 1])
            else:
                cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')
                largest = cursor.fetchone()[0]
                cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = %s", [table])
                first[model] = max(largest, cursor.fetchone()[0]) + 1
    return first


def _signing_keys(offices: list[Office], blocks: list[int], now: datetime, made: list[str]) -> list[SigningKey]:
    """A new stamp key for each district office, with `blocks[i]` status indexes already given out. The key files
    are written at once (their names go into `made`, so a failed load can delete them)."""
    keys = []
    for office, block in zip(offices, blocks, strict=True):
        name, private_key = keyfiles.new_office_key(office.code)
        made.append(name)
        keys.append(
            SigningKey(
                kid=kid_of(private_key.public_key()).hex(),
                purpose=SigningKey.Purpose.STAMP,
                office=office,
                key_name=name,
                public_key=raw_public_key(private_key.public_key()).hex(),
                created_at=now,
                valid_from=now,
                valid_until=now + KEY_VALIDITY,
                next_status_index=block,
            )
        )
    keys = SigningKey.objects.bulk_create(keys, batch_size=2000)
    if any(key.pk is None for key in keys):  # pragma: no cover
        by_office = dict(SigningKey.objects.filter(office__in=offices).values_list("office_id", "pk"))
        for key in keys:
            key.pk = by_office[key.office_id]
    return keys


def _campaigns(*, city: Area, office: Office, user: User, now: datetime) -> list[Campaign]:
    rule, _ = AllocationRule.objects.get_or_create(
        code="equal", defaults={"name_ko": "세대별 균등", "name_en": "Equal per household"}
    )
    campaigns = []
    for spec in CAMPAIGNS:
        campaign = Campaign(
            office=office,
            area=city,
            title_ko=spec.title_ko,
            title_en=spec.title_en,
            measure=Measure.PERSON_HOURS,
            step=DEFAULT_STEPS[Measure.PERSON_HOURS],
            rule=rule,
            place=spec.place,
            starts_on=spec.starts_on,
            ends_on=spec.ends_on,
            created_by=user,
            created_at=now,
        )
        campaign.full_clean()
        campaign.save()
        campaigns.append(campaign)
    return campaigns


def _delete_key_files(names: list[str]) -> None:
    from inminban.common.keys import keys_dir

    directory = keys_dir()
    for name in names:
        (directory / f"{name}.pem").unlink(missing_ok=True)


# Moving the rows --------------------------------------------------------------------------------------------------


def _raw_text_loader():
    """A psycopg loader that hands text back as the bytes PostgreSQL sent: COPY text, passed on as it came."""
    import psycopg.adapt

    class RawTextLoader(psycopg.adapt.Loader):
        def load(self, data):
            return bytes(data)

    return RawTextLoader


class _Transport:
    """Runs the city's SQL: sets up the plan in the generator session(s) and writes each table's rows."""

    def __init__(self, generators: int):
        self.generators = generators

    def close(self) -> None:
        """Free the plan (on success, inside the load's transaction; a rollback frees it anyway)."""


class _PostgresTransport(_Transport):
    """Generator sessions (their own connections, reading only their temporary tables) compute chunks of COPY text;
    `COPY … FROM STDIN` on the load's connection writes them. A generator computes its next chunk while the previous
    one is being written, bounded by the socket's buffer, so memory stays flat."""

    def __init__(self, generators: int):
        import psycopg

        super().__init__(generators)
        params = {
            key: value
            for key, value in connection.get_connection_params().items()
            if key not in ("cursor_factory", "context")
        }
        self.sessions = []
        for _ in range(generators):
            session = psycopg.connect(**params, autocommit=True)
            session.adapters.register_loader("text", _raw_text_loader())
            # Before the first temporary table: the household plan stays in this session's memory.
            session.execute("SET temp_buffers = '1GB'")
            session.execute("SET work_mem = '1GB'")
            session.execute("SET DateStyle = 'ISO, YMD'")
            session.execute("SET jit = off")  # compiling each query cost more than it saved
            self.sessions.append(session)

    def close(self) -> None:
        for session in self.sessions:
            session.close()

    def on_all(self, statements: list[str]) -> None:
        def run(session):
            for statement in statements:
                session.execute(statement)

        with ThreadPoolExecutor(max_workers=len(self.sessions)) as pool:
            list(pool.map(run, self.sessions))

    def fill(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        for session in self.sessions:
            with session.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)

    def query(self, sql: str) -> list[tuple]:
        return self.sessions[0].execute(sql).fetchall()

    def write(
        self, table: str, columns: list[str], select: Callable[[str, str], str], total: int, step: int, advance
    ) -> int:
        """Write rows of `select(lo, hi)` for lo = 0, step, 2 * step … < total; returns how many."""
        aliases = [f"c{i}" for i in range(len(columns))]
        line = "concat_ws(E'\\t', {}) || E'\\n'".format(", ".join(aliases))
        rows = f"SELECT {line} AS line FROM ({select('chunk.lo', f'chunk.lo + {step}')}) AS t({', '.join(aliases)})"
        chunk = f"SELECT string_agg(line, '') FROM ({rows}) q"
        streams = []
        for index, session in enumerate(self.sessions):
            first, stride = index * step, len(self.sessions) * step
            sql = f"SELECT ({chunk}) FROM generate_series({first}::bigint, {max(total - 1, 0)}, {stride}) AS chunk(lo)"
            streams.append(session.cursor().stream(sql))
        quoted = ", ".join(f'"{column}"' for column in columns)
        written = 0
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
                lo = 0
                while lo < total:
                    for stream in streams:
                        if lo >= total:
                            break
                        (text,) = next(stream)
                        if text:
                            copy.write(text)
                        advance(min(step, total - lo))
                        lo += step
            written = cursor.cursor.rowcount
        for stream in streams:  # each generator's query has ended; let psycopg see it finish
            for _ in stream:
                pass
        return written


class _SQLiteTransport(_Transport):
    """One connection: the plan is in its temporary tables, and each chunk is one INSERT … SELECT."""

    def close(self) -> None:
        self.on_all(CitySQL.drop_temporary_tables())

    def on_all(self, statements: list[str]) -> None:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    def fill(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        placeholders = ", ".join(["%s"] * len(columns))
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows)

    def query(self, sql: str) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()

    def write(
        self, table: str, columns: list[str], select: Callable[[str, str], str], total: int, step: int, advance
    ) -> int:
        quoted = ", ".join(f'"{column}"' for column in columns)
        written = 0
        with connection.cursor() as cursor:
            for lo in range(0, total, step):
                cursor.execute(f'INSERT INTO "{table}" ({quoted}) {select(str(lo), str(lo + step))}')
                written += cursor.rowcount
                advance(min(step, total - lo))
        return written


class _Progress:
    """Spreads `households` over the phases of a load by their expected share of the time, so the caller's bar
    (`progress(n)`, the n adding up to `households`) moves evenly from the first table to the last index."""

    def __init__(self, households: int, weights: dict[str, float], progress, on_phase):
        self.households = households
        total = sum(weights.values()) or 1.0
        self.share = {name: weight / total for name, weight in weights.items()}
        self.progress = progress
        self.on_phase = on_phase
        self.reported = 0
        self.done = 0.0
        self.phase = ""

    def start(self, phase: str) -> None:
        self.phase = phase
        if self.on_phase is not None:
            self.on_phase(phase)

    def advance(self, fraction: float) -> None:
        """`fraction` of the current phase is done."""
        self.done += fraction * self.share.get(self.phase, 0.0) * self.households
        self._emit(min(self.households, int(self.done)))

    def finish(self) -> None:
        self._emit(self.households)

    def _emit(self, target: int) -> None:
        if self.progress is not None and target > self.reported:
            self.progress(target - self.reported)
            self.reported = target


# The generator ----------------------------------------------------------------------------------------------------


def _load_settings(rebuild: bool) -> None:
    """PostgreSQL session settings for the load's transaction (SET LOCAL: they end with it)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        # Losing the last commits in a crash is acceptable for a load that can be run again; waiting is not.
        cursor.execute("SET LOCAL synchronous_commit = off")
        if rebuild:
            # Index builds sort in memory and in parallel; foreign key validation hashes within this memory too.
            cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
            cursor.execute("SET LOCAL max_parallel_maintenance_workers = 2")


def generate_city(
    *,
    households: int,
    city: str = DEFAULT_CITY_CODE,
    units_per_district: int = 50,
    seed: int = 2008,
    actor=None,
    progress: Callable[[int], None] | None = None,
    duties: bool = True,
    rebuild_indexes: bool | None = None,
    on_phase: Callable[[str], None] | None = None,
) -> GenerateResult:
    """Add a synthetic city with `households` households (about four persons each) in one transaction, and unless
    `duties` is false its two labour campaigns with the stamps of the households that completed them.

    `progress(n)` is called as the load advances; the n add up to `households`. `on_phase(name)` names each part
    (a table, "indexes"). `rebuild_indexes` forces the strategy (see the module's docstring); None picks by size.
    `actor` is recorded in the audit entry and creates the campaigns (default: the inactive `synth` user)."""
    if isinstance(households, bool) or not isinstance(households, int) or households < 1:
        raise DomainError("households", "Give a positive number of households.")
    if households > MAX_HOUSEHOLDS:
        raise DomainError("households", f"At most {MAX_HOUSEHOLDS:,} households per city.")
    if isinstance(units_per_district, bool) or not isinstance(units_per_district, int) or units_per_district < 1:
        raise DomainError("units_per_district", "A district has at least one unit.")
    started = time.perf_counter()
    seconds: dict[str, float] = {}
    key_files: list[str] = []
    transport: _Transport | None = None
    try:
        with transaction.atomic():
            code = _check_city_code(city)
            if rebuild_indexes is None:
                rebuild_indexes = households >= REBUILD_MIN_HOUSEHOLDS and households >= Household.objects.count()
            _load_settings(rebuild_indexes)
            # The city code is part of the seed, so two cities generated with one seed are different people.
            rng = random.Random(f"{seed}:{code}")
            sizes = unit_sizes(households, rng)
            city_area, districts, offices, levels, district_width = _areas(
                code=code, rng=rng, unit_count=len(sizes), units_per_district=units_per_district
            )
            city_office = Office.objects.get(area=city_area)
            user = None
            if duties:
                user = actor if getattr(actor, "pk", None) else system_user()
            now = timezone.now().replace(microsecond=0)
            reserved = _lock_and_reserve([(Area, len(sizes)), (Dwelling, households), (Household, households)])
            name_ko = city_area.name_ko.removesuffix("시")
            workplaces = [(place.replace("혜산", name_ko), jobs) for place, jobs in WORKPLACES]
            plans = [CampaignPlan(position, spec.percent) for position, spec in enumerate(CAMPAIGNS, 1)]
            if not duties:
                plans = []
            vendor = connection.vendor
            generators = GENERATORS_LARGE if vendor == "postgresql" and households >= GENERATORS_MIN_HOUSEHOLDS else 1
            transport = _PostgresTransport(generators) if vendor == "postgresql" else _SQLiteTransport(1)

            began = time.perf_counter()
            sql = CitySQL(
                dialect=dialect_for(vendor, _city_key(seed, code)),
                code=code,
                bases=Bases(unit=reserved[Area], dwelling=reserved[Dwelling], household=reserved[Household], person=0),
                reference_date=REFERENCE_DATE,
                registry_start=REGISTRY_START,
                workplaces=workplaces,
                campaigns=plans,
                unit_level_id=levels["unit"].pk,
                unit_depth=city_area.depth + 2,
                district_width=district_width,
                unit_width=max(2, len(str(units_per_district))),
            )
            transport.on_all(sql.create_temporary_tables())
            unit_rows, first_h = [], 0
            for pos, size in enumerate(sizes):
                unit_rows.append((pos, size, first_h, pos // units_per_district, pos % units_per_district + 1))
                first_h += size
            transport.fill("synth_unit", ["pos", "size", "first_h", "district", "number"], unit_rows)
            del unit_rows
            district_rows = [(i, d.pk, d.name_ko, d.name_en, d.path) for i, d in enumerate(districts)]
            transport.fill("synth_district", ["district", "area_id", "name_ko", "name_en", "path"], district_rows)
            analyze = ["ANALYZE synth_unit", "ANALYZE synth_district"] if vendor == "postgresql" else []
            transport.on_all([*analyze, sql.build_households(), *(["ANALYZE synth_household"] if analyze else [])])
            totals = transport.query(sql.totals())[0]
            persons = int(totals[0])
            sql.bases = Bases(
                unit=reserved[Area],
                dwelling=reserved[Dwelling],
                household=reserved[Household],
                person=_lock_and_reserve([(Person, persons)])[Person],
            )
            seconds["plan"] = time.perf_counter() - began

            tables = [model._meta.db_table for model in LOADED_MODELS]
            detached = None
            if rebuild_indexes:
                began = time.perf_counter()
                detached = bulk_schema.detach(tables)
                seconds["detach"] = time.perf_counter() - began

            campaigns, keys = [], []
            if duties:
                blocks = transport.query(sql.district_counts())
                campaigns = _campaigns(city=city_area, office=city_office, user=user, now=now)
                keys = _signing_keys(offices, [sum(int(n) for n in row[1:]) for row in blocks], now, key_files)
                signer_rows = []
                for row, office, key in zip(blocks, offices, keys, strict=True):
                    bases, offset = [], 0
                    for count in row[1:]:
                        bases.append(offset)
                        offset += int(count)
                    signer_rows.append((row[0], office.pk, key.pk, *bases))
                transport.fill(
                    "synth_signer",
                    ["district", "office_id", "key_id", *(f"base{plan.position}" for plan in plans)],
                    signer_rows,
                )
                transport.fill(
                    "synth_campaign",
                    ["position", "duty_ref", "title", "quantity", "measure", "starts_on", "ends_on"],
                    [
                        (
                            position,
                            campaign.ref,
                            (campaign.title_ko or campaign.title_en)[:120],
                            str(spec.hours),
                            campaign.measure,
                            campaign.starts_on.isoformat(),
                            campaign.ends_on.isoformat(),
                        )
                        for position, (campaign, spec) in enumerate(zip(campaigns, CAMPAIGNS, strict=True), 1)
                    ],
                )

            stamp_total = sum(int(n) for n in totals[1:])
            # Expected share of the time per part, from measured loads (rows × cost per row).
            weights = {
                "units": 0.1,
                "dwellings": 1.0,
                "households": 1.2,
                "residences": 0.8,
                "persons": 1.6 * persons / households,
                "memberships": 1.0 * persons / households,
                "occupations": 0.55 * persons / households,
                "stamps": 1.8 * stamp_total / households,
            }
            if rebuild_indexes:
                weights["indexes"] = 1.2 * sum(weights.values())
            meter = _Progress(households, weights, progress, on_phase)
            with_head = vendor == "postgresql"  # SQLite: set after the persons (see `_write_rows`)
            counts = _write_rows(
                transport=transport,
                sql=sql,
                meter=meter,
                seconds=seconds,
                households=households,
                units=len(sizes),
                with_head=with_head,
                stamps_issued_at=_datetime_literal(now),
                issued_by_id=user.pk if user else None,
                duties=duties,
            )
            if detached is not None:
                meter.start("indexes")
                began = time.perf_counter()
                weight_total = sum(max(1, item.rows) for item in detached.definitions) or 1
                detached.restore(lambda item, _: meter.advance(max(1, item.rows) / weight_total))
                seconds["indexes"] = time.perf_counter() - began
            meter.finish()
            counts.update(
                units=len(sizes),
                districts=len(districts),
                campaigns=len(campaigns),
                signing_keys=len(keys),
            )
            audit_record(
                actor=actor,
                action="synth.generate",
                target=city_area,
                area=city_area,
                after={
                    "seed": seed,
                    "units_per_district": units_per_district,
                    **counts,
                    "campaigns": [campaign.ref for campaign in campaigns],
                    "signing_keys": [key.kid for key in keys],
                    "created_by": user.username if user else None,
                    "rebuilt_indexes": rebuild_indexes,
                },
            )
            transport.close()
            transport = None
            if on_phase is not None:
                on_phase("commit")
            committing = time.perf_counter()
        # Leaving the block commits (on PostgreSQL, with small loads, this runs every deferred foreign key check).
        seconds["commit"] = time.perf_counter() - committing
    except BaseException:
        if isinstance(transport, _PostgresTransport):
            transport.close()
        _delete_key_files(key_files)
        raise
    return GenerateResult(
        city=city_area,
        counts=counts,
        seconds=time.perf_counter() - started,
        write_seconds=seconds,
        rebuilt_indexes=rebuild_indexes,
    )


def _datetime_literal(value: datetime) -> str:
    """How the database's date-time column takes `value` as text: UTC with its offset on PostgreSQL, naive UTC (as
    Django stores it) on SQLite."""
    utc = value.astimezone(UTC)
    if connection.vendor == "postgresql":
        return utc.isoformat(sep=" ")
    return utc.replace(tzinfo=None).isoformat(sep=" ")


def _write_rows(
    *,
    transport,
    sql: CitySQL,
    meter: _Progress,
    seconds,
    households,
    units,
    with_head,
    stamps_issued_at,
    issued_by_id,
    duties,
) -> dict[str, int]:
    """Every table's rows, in an order without references to rows not yet written (SQLite checks them as it goes,
    and a household's head is a person: on SQLite heads are set once the persons are in)."""
    counts = {}

    def write(phase: str, model, build, total: int, step: int) -> int:
        meter.start(phase)
        began = time.perf_counter()
        columns, _ = build("0", "0")
        written = transport.write(
            model._meta.db_table,
            columns,
            lambda lo, hi: build(lo, hi)[1],
            total,
            step,
            lambda done: meter.advance(done / total),
        )
        seconds[model._meta.model_name] = seconds.get(model._meta.model_name, 0.0) + time.perf_counter() - began
        return written

    write("units", Area, sql.units, units, UNITS_PER_CHUNK)
    counts["dwellings"] = write("dwellings", Dwelling, sql.dwellings, households, CHUNK_HOUSEHOLDS)
    counts["households"] = write(
        "households",
        Household,
        lambda lo, hi: sql.households(lo, hi, with_head=with_head),
        households,
        CHUNK_HOUSEHOLDS,
    )
    counts["residences"] = write("residences", Residence, sql.residences, households, CHUNK_HOUSEHOLDS)
    counts["persons"] = write("persons", Person, sql.persons, households, CHUNK_HOUSEHOLDS)
    if not with_head:
        began = time.perf_counter()
        with connection.cursor() as cursor:
            for lo in range(0, households, CHUNK_HOUSEHOLDS * 4):
                cursor.execute(sql.set_heads(lo, lo + CHUNK_HOUSEHOLDS * 4))
        seconds["household"] += time.perf_counter() - began
    counts["memberships"] = write("memberships", Membership, sql.memberships, households, CHUNK_HOUSEHOLDS)
    counts["occupations"] = write("occupations", Occupation, sql.occupations, households, CHUNK_HOUSEHOLDS)
    counts["stamps"] = 0
    if duties:
        counts["stamps"] = write(
            "stamps",
            Stamp,
            lambda lo, hi: sql.stamps(lo, hi, issued_at=stamps_issued_at, issued_by_id=issued_by_id),
            households,
            CHUNK_HOUSEHOLDS,
        )
    return counts
