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
from inminban.audit.models import AuditEntry
from inminban.audit.services import audit_record
from inminban.common.errors import DomainError
from inminban.duties.models import DEFAULT_STEPS, AllocationRule, Campaign, Measure
from inminban.jobs.services import job_enqueue
from inminban.registry.models import Dwelling, Household, Membership, Occupation, Person, Residence
from inminban.stamps import keyfiles
from inminban.stamps.models import SigningKey, Stamp
from inminban.stamps.services import KEY_VALIDITY
from inminban.stamps.trust import kid_of, raw_public_key

from . import bulk_schema
from .bulk_sql import MEMBERS_MAX, Bases, CampaignPlan, CitySQL, Pass, Rows, dialect_for
from .demo import CITY_CODE as DEMO_CITY_CODE
from .demo import REFERENCE_DATE, REGISTRY_START
from .names import WORKPLACES

DEFAULT_CITY_CODE = "SY"
UNIT_MIN, UNIT_TARGET, UNIT_MAX = 20, 25, 30
MAX_HOUSEHOLDS = 10_000_000
# Units per chunk of rows: about 5,000 households, 20,000 persons, 1.5 MB of COPY text; paces the progress bar and
# bounds memory.
UNITS_PER_CHUNK = 200
# Below this, or when the registry already holds more households than the load adds, writing into the indexed
# tables costs less than rebuilding every index of the tables.
REBUILD_MIN_HOUSEHOLDS = 20_000
# Generator sessions on PostgreSQL: one is enough for small loads; two keep both cores of a small server busy.
GENERATORS_LARGE = 2
GENERATORS_MIN_HOUSEHOLDS = 50_000
# From this size on PostgreSQL, foreign keys come back NOT VALID and a background job checks the loaded rows: at
# national size the checks (one anti-join per key over tens of millions of rows) took a third of the load.
FOREIGN_KEYS_LATER_MIN_HOUSEHOLDS = 1_000_000
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

# The columns each registry table is written with (as `bulk_sql` writes them; benchmarks read the same columns).
COLUMNS: dict[type[models.Model], tuple[str, ...]] = {
    Dwelling: ("id", "unit_id", "address", "building", "apartment", "kind", "floor_area_m2"),
    Household: ("id", "unit_id", "dwelling_id", "number", "registered_on", "head_id"),
    Residence: ("id", "household_id", "unit_id", "dwelling_id", "since"),
    Person: ("id", "family_name", "given_name", "birth_date", "sex", "national_id", "status", "household_id"),
    Membership: ("id", "household_id", "person_id", "relation", "since"),
    Occupation: ("id", "person_id", "workplace", "job_title", "since"),
}
# The tables a load fills in bulk (units go into areas_area, which keeps its indexes: it is small and everyone's).
LOADED_MODELS = [Dwelling, Household, Residence, Person, Membership, Occupation, Stamp]


@dataclass
class GenerateResult:
    """What a bulk load made and how long each part took."""

    city: Area
    counts: dict[str, int]
    seconds: float
    # Seconds per part: "plan", "detach", each pass by its first table ("area"; "household" with dwellings,
    # residences and stamps; "person" with memberships and occupations), "indexes" and "commit".
    write_seconds: dict[str, float] = field(default_factory=dict)
    rebuilt_indexes: bool = False
    # Foreign keys restored NOT VALID, and the background job that checks the loaded rows against them.
    foreign_keys_later: list[tuple[str, str]] = field(default_factory=list)
    validation_job_id: int | None = None

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


class CityExists(DomainError):
    """The city was already generated with these very arguments (say, by a run killed after its commit): a rerun
    has nothing to do."""


def _made_before(area: Area, *, households: int, seed: int, units_per_district: int, duties: bool) -> None:
    """If `area` is a city an earlier `generate` made, say exactly what exists (raises)."""
    entry = (
        AuditEntry.objects.filter(action="synth.generate", target_type="areas.area", target_id=str(area.pk))
        .order_by("-seq")
        .first()
    )
    if entry is None or not isinstance(entry.after, dict):
        return
    made = entry.after
    what = (
        f"{made.get('households', 0):,} households, {made.get('persons', 0):,} persons and "
        f"{made.get('stamps', 0):,} stamps, seed {made.get('seed')}, generated {entry.at:%Y-%m-%d %H:%M} UTC "
        f"(audit entry {entry.seq})"
    )
    same = (made.get("households"), made.get("seed"), made.get("units_per_district"), bool(made.get("campaigns"))) == (
        households,
        seed,
        units_per_district,
        duties,
    )
    if same:
        raise CityExists("city", f"City {area.code} already exists with these arguments: {what}. Nothing to do.")
    raise DomainError("city", f"City {area.code} already exists, made with other arguments: {what}.")


def _check_city_code(code: str, **arguments) -> str:
    code = (code or "").strip().upper() if isinstance(code, str) else ""
    # Letters and digits only: the code goes into area paths, URLs, household numbers and national ids.
    if not code or len(code) > 16 or not (code.isascii() and code.isalnum()):
        raise DomainError("city", "A city code is 1–16 letters or digits (A–Z, 0–9).")
    if code == DEMO_CITY_CODE:
        raise DomainError("city", f"{code} is the demo city's code; choose another (e.g. {DEFAULT_CITY_CODE}).")
    existing = Area.objects.filter(code=code).first()
    if existing is not None and arguments:
        _made_before(existing, **arguments)
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


def _copy_statement(rows: Rows) -> str:
    return f'COPY "{rows.table}" ({", ".join(f"{chr(34)}{column}{chr(34)}" for column in rows.columns)}) FROM STDIN'


class _Transport:
    """Runs the city's SQL: holds the plan (temporary tables) and writes each pass's rows."""

    def close(self) -> None:
        """Free the plan (on success, inside the load's transaction; a rollback frees it anyway)."""


class _PostgresTransport(_Transport):
    """Generator sessions (their own connections, reading only their temporary tables) compute chunks of COPY text,
    one text per table of the pass, and a `COPY … FROM STDIN` per table and chunk on the load's connection writes
    them. A generator computes its next chunks while this process writes (bounded by the socket's buffer, so memory
    stays flat), and the generators take turns, so both cores work."""

    def __init__(self, generators: int):
        import psycopg

        params = {
            key: value
            for key, value in connection.get_connection_params().items()
            if key not in ("cursor_factory", "context")
        }
        self.sessions = []
        for _ in range(generators):
            session = psycopg.connect(**params, autocommit=True)
            session.adapters.register_loader("text", _raw_text_loader())
            session.execute("SET DateStyle = 'ISO, YMD'")
            # JIT compiled the big CASE trees for longer than the queries ran (persons: five times slower).
            session.execute("SET jit = off")
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

    def write(self, build: Callable[[str, str], Pass], total: int, step: int, advance) -> dict[str, int]:
        """Write the rows of `build(lo, hi)` for lo = 0, step, 2 * step … < total (units); returns rows per table.
        `advance(n)` is told each chunk's n (of `total`)."""
        shape = build("chunk.lo", f"chunk.lo + {step}")
        parts = []
        for rows in shape.tables:
            line = f"concat_ws(E'\\t', {', '.join(rows.values)}) || E'\\n'"
            where = f" FILTER (WHERE {rows.where})" if rows.where else ""
            parts.append(f"string_agg({line}, ''){where}")
        streams = []
        for index, session in enumerate(self.sessions):
            first, stride = index * step, len(self.sessions) * step
            sql = (
                f"SELECT part.* FROM generate_series({first}::bigint, {max(total - 1, 0)}, {stride}) AS chunk(lo) "
                f"CROSS JOIN LATERAL (SELECT {', '.join(parts)} FROM {shape.source}) AS part"
            )
            streams.append(session.cursor().stream(sql))
        written = dict.fromkeys((rows.table for rows in shape.tables), 0)
        statements = [_copy_statement(rows) for rows in shape.tables]
        with connection.cursor() as cursor:
            lo = 0
            while lo < total:
                for stream in streams:
                    if lo >= total:
                        break
                    for rows, statement, text in zip(shape.tables, statements, next(stream), strict=True):
                        if text:
                            with cursor.cursor.copy(statement) as copy:
                                copy.write(text)
                            written[rows.table] += cursor.cursor.rowcount
                    advance(min(step, total - lo))
                    lo += step
        for stream in streams:  # each generator's query has ended; let psycopg see it finish
            for _ in stream:
                pass
        return written


class _SQLiteTransport(_Transport):
    """One connection: the plan is in its temporary tables, and each table's chunk is one INSERT … SELECT."""

    # Pages kept in memory during the load (negative: KiB): the indexes being written stay cached instead of being
    # read back from the file for every row.
    CACHE_KIB = 256 * 1024

    def __init__(self):
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            self.cache_size = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA cache_size = -{self.CACHE_KIB}")

    def close(self) -> None:
        self.on_all([*CitySQL.drop_temporary_tables(), f"PRAGMA cache_size = {int(self.cache_size)}"])

    def on_all(self, statements: list[str]) -> None:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    def fill(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        placeholders = ", ".join(["%s"] * len(columns))
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows)

    def write(self, build: Callable[[str, str], Pass], total: int, step: int, advance) -> dict[str, int]:
        """As `_PostgresTransport.write`. Each chunk's pass is computed once into a temporary table, which its
        tables' INSERT … SELECTs then read: SQLite would otherwise compute it again for every table."""
        written: dict[str, int] = {}
        with connection.cursor() as cursor:
            for lo in range(0, total, step):
                shape = build(str(lo), str(lo + step))
                cursor.execute("DROP TABLE IF EXISTS temp.synth_chunk")
                cursor.execute(f"CREATE TEMPORARY TABLE synth_chunk AS SELECT src.* FROM {shape.source}")
                for rows in shape.tables:
                    columns = ", ".join(f'"{column}"' for column in rows.columns)
                    where = f" WHERE {rows.where}" if rows.where else ""
                    cursor.execute(
                        f'INSERT INTO "{rows.table}" ({columns}) SELECT {", ".join(rows.values)} '
                        f"FROM synth_chunk src{where}"
                    )
                    written[rows.table] = written.get(rows.table, 0) + cursor.rowcount
                advance(min(step, total - lo))
            cursor.execute("DROP TABLE IF EXISTS temp.synth_chunk")
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
    foreign_keys_later: bool | None = None,
    on_phase: Callable[[str], None] | None = None,
) -> GenerateResult:
    """Add a synthetic city with `households` households (about four persons each) in one transaction, and unless
    `duties` is false its two labour campaigns with the stamps of the households that completed them.

    `progress(n)` is called as the load advances; the n add up to `households`. `on_phase(name)` names each part
    (a table, "indexes", "commit"). `rebuild_indexes` forces the strategy (see the module's docstring); None picks
    by size, and so does `foreign_keys_later` (PostgreSQL only; see `bulk_schema.Detached.restore`). `actor` is
    recorded in the audit entry and creates the campaigns (default: the inactive `synth` user)."""
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
    later: list[tuple[str, str]] = []
    validation_job = None
    if foreign_keys_later is None:
        foreign_keys_later = households >= FOREIGN_KEYS_LATER_MIN_HOUSEHOLDS
    foreign_keys_later = foreign_keys_later and connection.vendor == "postgresql"
    try:
        with transaction.atomic():
            code = _check_city_code(
                city, households=households, seed=seed, units_per_district=units_per_district, duties=duties
            )
            if rebuild_indexes is None:
                rebuild_indexes = households >= REBUILD_MIN_HOUSEHOLDS and households >= Household.objects.count()
            _load_settings(rebuild_indexes)
            detached = None
            if rebuild_indexes:
                # Before any other write: PostgreSQL cannot alter a table with checks still pending on it.
                began = time.perf_counter()
                detached = bulk_schema.detach([model._meta.db_table for model in LOADED_MODELS])
                seconds["detach"] = time.perf_counter() - began

            began = time.perf_counter()
            # The city code is part of the seed, so two cities generated with one seed are different people.
            rng = random.Random(f"{seed}:{code}")
            sizes = unit_sizes(households, rng)
            city_area, districts, offices, levels, district_width = _areas(
                code=code, rng=rng, unit_count=len(sizes), units_per_district=units_per_district
            )
            first = _lock_and_reserve(
                [
                    (Area, len(sizes)),
                    (Dwelling, households),
                    (Household, households),
                    (Residence, households),
                    (Person, households * MEMBERS_MAX),
                    (Membership, households * MEMBERS_MAX),
                    (Occupation, households * MEMBERS_MAX),
                    (Stamp, households * 2 if duties else 0),  # stamp numbers: h * 2 + k - 1
                ]
            )
            bases = Bases(
                unit=first[Area],
                dwelling=first[Dwelling],
                household=first[Household],
                residence=first[Residence],
                person=first[Person],
                membership=first[Membership],
                occupation=first[Occupation],
                stamp=first[Stamp],
            )
            campaigns, keys, user, plans = [], [], None, []
            now = timezone.now().replace(microsecond=0)
            district_households = [0] * len(districts)
            for pos, size in enumerate(sizes):
                district_households[pos // units_per_district] += size
            if duties:
                user = actor if getattr(actor, "pk", None) else system_user()
                campaigns = _campaigns(city=city_area, office=Office.objects.get(area=city_area), user=user, now=now)
                plans = [
                    CampaignPlan(
                        position=position,
                        percent=spec.percent,
                        duty_ref=campaign.ref,
                        title=(campaign.title_ko or campaign.title_en)[:120],
                        quantity=str(spec.hours),
                        measure=campaign.measure,
                        starts_on=campaign.starts_on,
                        ends_on=campaign.ends_on,
                    )
                    for position, (campaign, spec) in enumerate(zip(campaigns, CAMPAIGNS, strict=True), 1)
                ]
                # Each campaign has a block of each district key's status indexes, one index per household.
                keys = _signing_keys(offices, [len(plans) * count for count in district_households], now, key_files)
            name_ko = city_area.name_ko.removesuffix("시")
            sql = CitySQL(
                dialect=dialect_for(connection.vendor, _city_key(seed, code)),
                code=code,
                bases=bases,
                reference_date=REFERENCE_DATE,
                registry_start=REGISTRY_START,
                workplaces=[(place.replace("혜산", name_ko), jobs) for place, jobs in WORKPLACES],
                campaigns=plans,
                unit_level_id=levels["unit"].pk,
                unit_depth=city_area.depth + 2,
                district_width=district_width,
                unit_width=max(2, len(str(units_per_district))),
            )
            # The plan: each unit with its first household, its district's first household and size, office and key.
            unit_rows, first_h, district_first_h = [], 0, 0
            for pos, size in enumerate(sizes):
                district = pos // units_per_district
                if pos % units_per_district == 0:
                    district_first_h = first_h
                signer = (offices[district].pk, keys[district].pk) if keys else (None, None)
                unit_rows.append(
                    (
                        pos,
                        size,
                        first_h,
                        district,
                        pos % units_per_district + 1,
                        district_first_h,
                        district_households[district],
                        *signer,
                    )
                )
                first_h += size
            if connection.vendor == "postgresql":
                generators = GENERATORS_LARGE if households >= GENERATORS_MIN_HOUSEHOLDS else 1
                transport = _PostgresTransport(generators)
            else:
                transport = _SQLiteTransport()
            transport.on_all(sql.create_temporary_tables())
            transport.fill("synth_unit", CitySQL.UNIT_COLUMNS, unit_rows)
            del unit_rows
            transport.fill(
                "synth_district",
                CitySQL.DISTRICT_COLUMNS,
                [(i, area.pk, area.name_ko, area.name_en, area.path) for i, area in enumerate(districts)],
            )
            if connection.vendor == "postgresql":
                transport.on_all([f"ANALYZE {table}" for table in CitySQL.temporary_tables()])
            seconds["plan"] = time.perf_counter() - began

            # Expected share of the time per part, from measured loads.
            weights = {"units": 0.05, "households": 5.0 if duties else 3.0, "persons": 11.0}
            if rebuild_indexes:
                weights["indexes"] = 16.0
            meter = _Progress(households, weights, progress, on_phase)
            counts = _write_rows(
                transport=transport,
                sql=sql,
                meter=meter,
                seconds=seconds,
                units=len(sizes),
                stamps_issued_at=_datetime_literal(now),
                issued_by_id=user.pk if user else "NULL",
            )
            if detached is not None:
                meter.start("indexes")
                began = time.perf_counter()
                # Each index or constraint costs about as much as its table has rows.
                loaded = {model._meta.db_table: counts[name] for model, name in TABLE_COUNTS.items()}
                weight = {item.name: 1 + item.rows + loaded.get(item.table, 0) for item in detached.definitions}
                total_weight = sum(weight.values())
                later = detached.restore(
                    lambda item, _: meter.advance(weight[item.name] / total_weight),
                    foreign_keys_later=foreign_keys_later,
                )
                seconds["indexes"] = time.perf_counter() - began
                if later:
                    # In the load's transaction: if the city commits, so does the job that checks it.
                    validation_job = job_enqueue(
                        kind="synth.validate_foreign_keys",
                        params={"city": code, "constraints": [list(pair) for pair in later]},
                        actor=actor if getattr(actor, "pk", None) else None,
                        dedupe_key=f"synth:foreign-keys:{code}",
                    )
            meter.finish()
            counts.update(units=len(sizes), districts=len(districts), campaigns=len(campaigns), signing_keys=len(keys))
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
                    "foreign_keys_validated_later": len(later),
                },
            )
            transport.close()
            transport = None
            if on_phase is not None:
                on_phase("commit")
            committing = time.perf_counter()
        # Leaving the block commits (on PostgreSQL, after a small load, this runs every deferred foreign key check).
        seconds["commit"] = time.perf_counter() - committing
    except BaseException:
        if isinstance(transport, _PostgresTransport):
            transport.close()
        elif transport is not None:  # the rollback dropped the plan; the cache size is the connection's
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {int(transport.cache_size)}")
        _delete_key_files(key_files)
        raise
    return GenerateResult(
        city=city_area,
        counts=counts,
        seconds=time.perf_counter() - started,
        write_seconds=seconds,
        rebuilt_indexes=rebuild_indexes,
        foreign_keys_later=later,
        validation_job_id=validation_job.pk if validation_job is not None else None,
    )


def _datetime_literal(value: datetime) -> str:
    """How the database's date-time column takes `value` as text: UTC with its offset on PostgreSQL, naive UTC (as
    Django stores it) on SQLite."""
    utc = value.astimezone(UTC)
    if connection.vendor == "postgresql":
        return utc.isoformat(sep=" ")
    return utc.replace(tzinfo=None).isoformat(sep=" ")


def _write_rows(*, transport, sql: CitySQL, meter: _Progress, seconds, units, stamps_issued_at, issued_by_id):
    """Every table's rows, in an order without references to rows not yet written (SQLite checks them as it goes;
    a household's head is a person, so on SQLite heads are set once the persons are in)."""
    with_head = connection.vendor == "postgresql"
    counts: dict[str, int] = {}

    def write(phase: str, build, step: int = UNITS_PER_CHUNK) -> None:
        meter.start(phase)
        began = time.perf_counter()
        counts.update(transport.write(build, units, step, lambda done: meter.advance(done / units)))
        # Keyed by the pass's first table, as `write_seconds` always was ("person": persons and what follows them).
        seconds[PASS_SECONDS[phase]] = time.perf_counter() - began

    write("units", sql.unit_pass, step=UNITS_PER_CHUNK * 20)
    write(
        "households",
        lambda lo, hi: sql.household_pass(
            lo, hi, with_head=with_head, issued_at=stamps_issued_at, issued_by_id=issued_by_id
        ),
    )
    write("persons", sql.member_pass)
    if not with_head:
        began = time.perf_counter()
        with connection.cursor() as cursor:
            first = sql.bases.household
            cursor.execute(sql.set_heads(first, first + counts[Household._meta.db_table] - 1))
        seconds["household"] += time.perf_counter() - began
    names = {model._meta.db_table: name for model, name in TABLE_COUNTS.items()}
    result = {name: 0 for name in TABLE_COUNTS.values()}
    for table, count in counts.items():
        if table in names:
            result[names[table]] += count
    return result


PASS_SECONDS = {"units": "area", "households": "household", "persons": "person"}
TABLE_COUNTS = {
    Dwelling: "dwellings",
    Household: "households",
    Residence: "residences",
    Person: "persons",
    Membership: "memberships",
    Occupation: "occupations",
    Stamp: "stamps",
}
