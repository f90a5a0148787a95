"""The SQL that computes a synthetic city's rows on the database server, one SELECT per table.

Every value is a function of the seed, the city code and a row's number. `rand(number, field)` is an integer hash of
the two (PostgreSQL's `hashint8extended`; on SQLite, which has no such function, a mix of `*`, `+` and `%` modulo the
prime 2^31 - 1), so the same seed and city give the same people, names and homes on the same database, and no row is
built in Python. The two databases use different hashes, so they generate different (equally plausible) people.

Two small plans come from Python, as temporary tables: `synth_unit` (one row per unit: its size and where its
households start) and `synth_district`. From them one INSERT … SELECT builds `synth_household`, one row per household
with its shape (how many members, the head's sex and age, children, a grandparent) and, by running sums, the number
of its first person and its rank among the district's stamped households. Each table's SELECT then reads a range of
`synth_household` (a chunk of households) and expands it into rows: `members` turns each household into its members.

Numbers: `h` is a household's position in the city (0, 1, …), `p` a person's, `pos` a unit's. Database ids are
`<table base> + h` (dwellings, households), `<base> + p` (persons) and `<base> + pos` (units); the bases are id blocks
reserved from the tables' sequences. Memberships, occupations, residences and stamps take ids from their sequences
as they are written: nothing refers to them.
"""

from dataclasses import dataclass
from datetime import date

from .names import (
    GIVEN_FIRST_F,
    GIVEN_FIRST_M,
    GIVEN_SECOND_F,
    GIVEN_SECOND_M,
    STREETS,
    weighted_family_names,
)

# The hashed fields: each draw of a row uses its own field number, so draws are independent of each other.
SHAPE, HEAD_SEX, HEAD_AGE, CHILDREN, GRANDPARENT, FAMILY, REGISTERED, KIND, FLOOR_AREA = range(1, 10)
AGE, SEX, OWN_FAMILY, GIVEN, WORKPLACE = range(20, 25)
STAMPED, SERIAL = 30, 40  # + the campaign's position; SERIAL + 4 * position + 0..3 for the serial's four words
# Largest household: head, spouse, three children and a grandparent.
MAX_MEMBERS = 6
SQLITE_PRIME = 2147483647
# Days in a year of age, as `_People.birth` counts them (age = days // 365).
YEAR = 365


def quote(text: str) -> str:
    """A SQL string literal. Only for the generator's own constants and for city codes (letters and digits)."""
    return "'" + text.replace("'", "''") + "'"


class Dialect:
    """What differs between the two databases' SQL, as small expression builders."""

    vendor = ""
    # Appended to a subquery so that the planner computes each of its columns once per row, instead of inlining
    # (and so repeating) an expression wherever the outer query uses it.
    fence = ""

    def __init__(self, city_key: int):
        self.city_key = city_key

    def rand(self, number: str, field: int) -> str:
        """A uniform integer in [0, 2^31) from a row number and a field number."""
        raise NotImplementedError

    def days_after(self, day: date, days: str) -> str:
        raise NotImplementedError

    def pad(self, value: str, width: int) -> str:
        """`value` as text, zero-padded to `width` digits."""
        raise NotImplementedError

    def yymmdd(self, day: str) -> str:
        raise NotImplementedError

    def letter(self, letters: str, index: str) -> str:
        """The character at 0-based `index` of the literal `letters`."""
        raise NotImplementedError

    def each(self, alias: str, count: str) -> str:
        """A join clause that repeats the row before it `count` times, numbered `alias`.n = 0 … count - 1."""
        raise NotImplementedError

    def serial(self, number: str, position: int) -> str:
        """32 hex digits (a UUID without dashes) from a row number."""
        raise NotImplementedError

    greatest = "GREATEST"
    least = "LEAST"
    integer = "bigint"


class PostgresDialect(Dialect):
    vendor = "postgresql"
    fence = " OFFSET 0"

    def rand(self, number: str, field: int) -> str:
        return f"(hashint8extended(({number})::bigint, {self.city_key * 64 + field}) & 2147483647)"

    def days_after(self, day: date, days: str) -> str:
        return f"(DATE '{day.isoformat()}' + ({days})::integer)"

    def pad(self, value: str, width: int) -> str:
        return f"lpad(({value})::text, {width}, '0')"

    def yymmdd(self, day: str) -> str:
        return f"to_char({day}, 'YYMMDD')"

    def letter(self, letters: str, index: str) -> str:
        return f"substr({quote(letters)}, ({index})::integer + 1, 1)"

    def each(self, alias: str, count: str) -> str:
        # LATERAL keeps the household on the outer side, so members come out household by household.
        return f"CROSS JOIN LATERAL generate_series(0, {count} - 1) AS {alias}(n)"

    def serial(self, number: str, position: int) -> str:
        words = [
            f"lpad(to_hex(hashint8extended(({number})::bigint, {self.city_key * 64 + SERIAL + 2 * position + i})), "
            "16, '0')"
            for i in range(2)
        ]
        return " || ".join(words)


class SQLiteDialect(Dialect):
    vendor = "sqlite"
    fence = " LIMIT -1 OFFSET 0"  # SQLite does not flatten a subquery with an OFFSET
    greatest = "max"
    least = "min"
    integer = "INTEGER"

    def rand(self, number: str, field: int) -> str:
        # a = affine(number); c = affine(a² + a); result = c². Products stay below 2^62, so nothing overflows into
        # floating point. Good enough for shares and name choices (checked by the tests), not for cryptography.
        seed = (self.city_key * 64 + field) % SQLITE_PRIME
        a = f"((({number}) * 48271 + {seed}) % {SQLITE_PRIME})"
        c = f"(((({a} * {a}) % {SQLITE_PRIME}) * 16807 + {a}) % {SQLITE_PRIME})"
        return f"(({c} * {c}) % {SQLITE_PRIME})"

    def days_after(self, day: date, days: str) -> str:
        # date() of a Julian day number; the Julian day of a date at midnight is its ordinal + 1721424.5.
        return f"date({day.toordinal() + 1721424.5} + ({days}))"

    def pad(self, value: str, width: int) -> str:
        return f"printf('%0{width}d', {value})"

    def yymmdd(self, day: str) -> str:
        return f"substr(strftime('%Y%m%d', {day}), 3)"

    def letter(self, letters: str, index: str) -> str:
        return f"substr({quote(letters)}, ({index}) + 1, 1)"

    def each(self, alias: str, count: str) -> str:
        # CROSS JOIN fixes the join order in SQLite: the household stays the outer loop.
        return f"CROSS JOIN synth_slot AS {alias} ON {alias}.n < {count}"

    def serial(self, number: str, position: int) -> str:
        words = ", ".join(self.rand(number, SERIAL + 4 * position + i) for i in range(4))
        return f"printf('%08x%08x%08x%08x', {words})"


def dialect_for(vendor: str, city_key: int) -> Dialect:
    return (PostgresDialect if vendor == "postgresql" else SQLiteDialect)(city_key)


@dataclass(frozen=True)
class CampaignPlan:
    """A labour campaign the generator stamps: its number in the city (1, 2, …) and the share of households that
    completed it."""

    position: int
    percent: int


@dataclass(frozen=True)
class Bases:
    """The first database id of each id block the load reserved."""

    unit: int
    dwelling: int
    household: int
    person: int


class CitySQL:
    """The generating SQL for one city: temporary tables, the household plan and one SELECT per table."""

    def __init__(
        self,
        *,
        dialect: Dialect,
        code: str,
        bases: Bases,
        reference_date: date,
        registry_start: date,
        workplaces: list[tuple[str, list[str]]],
        campaigns: list[CampaignPlan],
        unit_level_id: int,
        unit_depth: int,
        district_width: int,
        unit_width: int,
    ):
        self.d = dialect
        self.code = code
        self.bases = bases
        self.reference_date = reference_date
        self.registry_start = registry_start
        self.workplaces = workplaces
        self.campaigns = campaigns
        self.unit_level_id = unit_level_id
        self.unit_depth = unit_depth
        self.district_width = district_width
        self.unit_width = unit_width
        self.family_names = "".join(weighted_family_names())

    # Temporary tables ---------------------------------------------------------------------------------------------

    def create_temporary_tables(self) -> list[str]:
        integer = self.d.integer
        flags = "".join(f", f{c.position} {integer}, s{c.position} {integer}" for c in self.campaigns)
        statements = [
            f"CREATE TEMPORARY TABLE synth_unit (pos {integer} PRIMARY KEY, size {integer}, first_h {integer}, "
            f"district {integer}, number {integer})",
            f"CREATE TEMPORARY TABLE synth_district (district {integer} PRIMARY KEY, area_id {integer}, "
            "name_ko TEXT, name_en TEXT, path TEXT)",
            f"CREATE TEMPORARY TABLE synth_household (h {integer} PRIMARY KEY, pos {integer}, idx {integer}, "
            f"district {integer}, unit_number {integer}, shape {integer}, spouse {integer}, head_male {integer}, "
            f"head_days {integer}, children {integer}, grandparent {integer}, family {integer}, "
            f"registered {integer}, kind {integer}, members {integer}, p0 {integer}{flags})",
            f"CREATE TEMPORARY TABLE synth_signer (district {integer} PRIMARY KEY, office_id {integer}, "
            f"key_id {integer}" + "".join(f", base{c.position} {integer}" for c in self.campaigns) + ")",
            f"CREATE TEMPORARY TABLE synth_campaign (position {integer} PRIMARY KEY, duty_ref TEXT, title TEXT, "
            "quantity TEXT, measure TEXT, starts_on TEXT, ends_on TEXT)",
        ]
        if self.d.vendor == "sqlite":
            statements.append(f"CREATE TEMPORARY TABLE synth_slot (n {integer} PRIMARY KEY)")
            statements.append(
                "INSERT INTO synth_slot (n) VALUES " + ", ".join(f"({n})" for n in range(max(MAX_MEMBERS, 64)))
            )
        return statements

    @staticmethod
    def drop_temporary_tables() -> list[str]:
        """SQLite keeps temporary tables as long as the connection; PostgreSQL's generator sessions just close."""
        names = ("synth_unit", "synth_district", "synth_household", "synth_signer", "synth_campaign", "synth_slot")
        return [f"DROP TABLE IF EXISTS temp.{name}" for name in names]

    def build_households(self) -> str:
        """One row per household: its place, its shape and (by running sums over the city) its first person and its
        rank among the district's households stamped for each campaign."""
        d = self.d
        h = "u.first_h + s.n"
        draws = {
            "shape": f"{d.rand(h, SHAPE)} % 100",
            "sex_roll": f"{d.rand(h, HEAD_SEX)} % 100",
            "age_roll": d.rand(h, HEAD_AGE),
            "children_roll": f"{d.rand(h, CHILDREN)} % 100",
            "grandparent_roll": f"{d.rand(h, GRANDPARENT)} % 100",
            "family": f"{d.rand(h, FAMILY)} % {len(self.family_names)}",
            "registered": f"{d.rand(h, REGISTERED)} % 3001",
            "kind_roll": f"{d.rand(h, KIND)} % 98",
        }
        for campaign in self.campaigns:
            draws[f"stamp_roll{campaign.position}"] = f"{d.rand(h, STAMPED + campaign.position)} % 100"
        draw_columns = ", ".join(f"{expression} AS {name}" for name, expression in draws.items())
        # Shapes as in `_People.household`: 0 a lone elder (4%), 1 an elderly couple (5%), 2 a family.
        shaped = f"""
            SELECT h, pos, idx, district, unit_number, family, registered,
                CASE WHEN shape < 4 THEN 0 WHEN shape < 9 THEN 1 ELSE 2 END AS shape,
                CASE WHEN shape < 4 THEN (CASE WHEN sex_roll < 70 THEN 0 ELSE 1 END)
                     WHEN shape < 9 THEN 1
                     ELSE (CASE WHEN sex_roll < 88 THEN 1 ELSE 0 END) END AS head_male,
                CASE WHEN shape < 4 THEN {62 * YEAR} + age_roll % {(88 - 62) * YEAR + YEAR}
                     WHEN shape < 9 THEN {60 * YEAR} + age_roll % {(82 - 60) * YEAR + YEAR}
                     ELSE {27 * YEAR} + age_roll % {(60 - 27) * YEAR + YEAR} END AS head_days,
                CASE WHEN shape < 9 THEN 0 WHEN children_roll < 4 THEN 0 WHEN children_roll < 24 THEN 1
                     WHEN children_roll < 70 THEN 2 ELSE 3 END AS children,
                CASE WHEN shape >= 9 AND grandparent_roll < 40 THEN 1 ELSE 0 END AS grandparent,
                CASE WHEN kind_roll < 43 THEN 0 WHEN kind_roll < 77 THEN 1 ELSE 2 END AS kind
                {
            "".join(
                f", CASE WHEN stamp_roll{c.position} < {c.percent} THEN 1 ELSE 0 END AS f{c.position}"
                for c in self.campaigns
            )
        }
            FROM (
                SELECT {h} AS h, u.pos, s.n AS idx, u.district, u.number AS unit_number, {draw_columns}
                FROM synth_unit u {d.each("s", "u.size")}{d.fence}
            ) drawn{d.fence}"""
        members = "(1 + spouse + children + grandparent)"
        flags = "".join(f", f{c.position}" for c in self.campaigns)
        ranks = "".join(f", SUM(f{c.position}) OVER district_order - f{c.position}" for c in self.campaigns)
        return f"""
            INSERT INTO synth_household (h, pos, idx, district, unit_number, shape, spouse, head_male, head_days,
                children, grandparent, family, registered, kind, members, p0{flags}
                {"".join(f", s{c.position}" for c in self.campaigns)})
            SELECT h, pos, idx, district, unit_number, shape, spouse, head_male, head_days, children, grandparent,
                family, registered, kind, {members}, SUM({members}) OVER city_order - {members}{flags}{ranks}
            FROM (
                SELECT shaped.*, CASE WHEN shape = 1 OR (shape = 2 AND head_male = 1) THEN 1 ELSE 0 END AS spouse
                FROM ({shaped}) shaped
            ) planned
            -- Districts hold consecutive households, so (district, h) is the city's order: both windows share a sort.
            WINDOW city_order AS (ORDER BY district, h ROWS UNBOUNDED PRECEDING),
                district_order AS (PARTITION BY district ORDER BY h ROWS UNBOUNDED PRECEDING)"""

    def district_counts(self) -> str:
        """Per district, the households stamped for each campaign: the size of each block of status indexes."""
        flags = ", ".join(f"SUM(f{c.position})" for c in self.campaigns)
        return f"SELECT district, {flags} FROM synth_household GROUP BY district ORDER BY district"

    def totals(self) -> str:
        """Persons, and households stamped for each campaign, in the whole city."""
        flags = "".join(f", SUM(f{c.position})" for c in self.campaigns)
        return f"SELECT SUM(members){flags} FROM synth_household"

    # Rows, one SELECT per table -----------------------------------------------------------------------------------

    @staticmethod
    def _households(lo: str, hi: str) -> str:
        """The household plan rows lo <= h < hi."""
        return f"synth_household h WHERE h.h >= {lo} AND h.h < {hi}"

    def units(self, lo: str, hi: str) -> tuple[list[str], str]:
        d = self.d
        code = f"{quote(self.code + '-D')} || {d.pad('u.district + 1', self.district_width)} || '-U' || " + d.pad(
            "u.number", self.unit_width
        )
        columns = ["id", "level_id", "parent_id", "code", "name_ko", "name_en", "path", "depth"]
        select = f"""
            SELECT {self.bases.unit} + pos, {self.unit_level_id}, area_id, code,
                name_ko || ' ' || number || '인민반', name_en || ' unit ' || number, path || code || '/',
                {self.unit_depth}
            FROM (SELECT u.pos, u.number, t.area_id, t.name_ko, t.name_en, t.path, {code} AS code
                  FROM synth_unit u JOIN synth_district t ON t.district = u.district
                  WHERE u.pos >= {lo} AND u.pos < {hi}{d.fence}) unit"""
        return columns, select

    def _unit_code(self) -> str:
        d = self.d
        return f"{quote(self.code + '-D')} || {d.pad('h.district + 1', self.district_width)} || '-U' || " + d.pad(
            "h.unit_number", self.unit_width
        )

    def dwellings(self, lo: str, hi: str) -> tuple[list[str], str]:
        d = self.d
        street = "CASE h.pos % {} {} END".format(
            len(STREETS), " ".join(f"WHEN {i} THEN {quote(name)}" for i, name in enumerate(STREETS))
        )
        columns = ["id", "unit_id", "address", "building", "apartment", "kind", "floor_area_m2"]
        select = f"""
            SELECT {self.bases.dwelling} + h.h, {self.bases.unit} + h.pos, {street} || ' ' || (h.idx + 1),
                CASE WHEN h.kind = 2 THEN (h.idx / 8 + 1) || '동' ELSE '' END,
                CASE WHEN h.kind = 2 THEN (h.idx % 8 + 1) || '호' ELSE '' END,
                CASE h.kind WHEN 0 THEN 'row' WHEN 1 THEN 'detached' ELSE 'apartment' END,
                50 + {d.rand("h.h", FLOOR_AREA)} % 26
            FROM {self._households(lo, hi)}"""
        return columns, select

    def households(self, lo: str, hi: str, *, with_head: bool) -> tuple[list[str], str]:
        """`with_head=False` leaves head_id empty, for a later `set_heads` (SQLite: see `bulk`)."""
        d = self.d
        columns = ["id", "unit_id", "dwelling_id", "number", "registered_on"]
        values = [
            f"{self.bases.household} + h.h",
            f"{self.bases.unit} + h.pos",
            f"{self.bases.dwelling} + h.h",
            f"{self._unit_code()} || '-' || {d.pad('h.idx + 1', 3)}",
            d.days_after(self.registry_start, "h.registered"),
        ]
        if with_head:
            columns.append("head_id")
            values.append(f"{self.bases.person} + h.p0")
        return columns, f"SELECT {', '.join(values)} FROM {self._households(lo, hi)}"

    def set_heads(self, lo: int, hi: int) -> str:
        """SQLite: point households lo <= h < hi at their heads, once the persons are written."""
        return f"""
            UPDATE registry_household SET head_id = {self.bases.person} + (
                SELECT h.p0 FROM synth_household h WHERE h.h = registry_household.id - {self.bases.household})
            WHERE id >= {self.bases.household + lo} AND id < {self.bases.household + hi}"""

    def residences(self, lo: str, hi: str) -> tuple[list[str], str]:
        columns = ["household_id", "unit_id", "dwelling_id", "since"]
        select = f"""
            SELECT {self.bases.household} + h.h, {self.bases.unit} + h.pos, {self.bases.dwelling} + h.h,
                {self.d.days_after(self.registry_start, "h.registered")}
            FROM {self._households(lo, hi)}"""
        return columns, select

    def members(self, lo: str, hi: str) -> str:
        """Each household of the range as its members, head first, with what every table needs of them:
        p (the person's number), relation (0 head, 1 spouse, 2 child, 3 grandparent), days (age in days on the
        reference date), male (1/0), family (index into the weighted family names) and given (a draw for the
        given name). Age ranges as in `_People.household`."""
        d = self.d
        p = "(h.p0 + s.n)"
        age = "(h.head_days / 365)"
        spouse_from = f"{d.greatest}(CASE WHEN h.shape = 1 THEN 55 ELSE 22 END, {age} - 8)"
        spouse_to = f"({age} + CASE WHEN h.shape = 1 THEN 1 ELSE 2 END)"
        child_to = f"{d.greatest}(0, {d.least}(26, {age} - 20))"
        parent_from = f"{d.least}({age} + 20, 90)"
        parent_to = f"{d.least}({age} + 34, 95)"

        def days(age_from: str, age_to: str) -> str:
            return f"{age_from} * {YEAR} + {d.rand(p, AGE)} % (({age_to} - {age_from}) * {YEAR} + {YEAR})"

        is_spouse = "s.n <= h.spouse"
        is_child = "s.n <= h.spouse + h.children"
        return f"""
            SELECT h.h, h.pos, h.registered, {p} AS p,
                CASE WHEN s.n = 0 THEN 0 WHEN {is_spouse} THEN 1 WHEN {is_child} THEN 2 ELSE 3 END AS relation,
                CASE WHEN s.n = 0 THEN h.head_days
                     WHEN {is_spouse} THEN {days(spouse_from, spouse_to)}
                     WHEN {is_child} THEN {days("0", child_to)}
                     ELSE {days(parent_from, parent_to)} END AS days,
                CASE WHEN s.n = 0 THEN h.head_male
                     WHEN {is_spouse} THEN 0
                     WHEN {is_child} THEN {d.rand(p, SEX)} % 2
                     ELSE (CASE WHEN {d.rand(p, SEX)} % 100 < 65 THEN 0 ELSE 1 END) END AS male,
                CASE WHEN s.n = 0 OR (s.n > h.spouse AND {is_child}) THEN h.family
                     ELSE {d.rand(p, OWN_FAMILY)} % {len(self.family_names)} END AS family,
                {d.rand(p, GIVEN)} AS given
            FROM synth_household h {d.each("s", "h.members")}
            WHERE h.h >= {lo} AND h.h < {hi}{d.fence}"""

    def _birth(self) -> str:
        return (
            f"(DATE '{self.reference_date.isoformat()}' - m.days::integer)"
            if self.d.vendor == "postgresql"
            else (f"date({self.reference_date.toordinal() + 1721424.5} - m.days)")
        )

    def _given_name(self, first: list[str], second: list[str]) -> str:
        """Two syllables, as `_People.given_name` picks them."""
        one = self.d.letter("".join(first), f"m.given % {len(first)}")
        two = self.d.letter("".join(second), f"m.given / {len(first)} % {len(second)}")
        return f"{one} || {two}"

    def persons(self, lo: str, hi: str) -> tuple[list[str], str]:
        d = self.d
        given_m = self._given_name(GIVEN_FIRST_M, GIVEN_SECOND_M)
        given_f = self._given_name(GIVEN_FIRST_F, GIVEN_SECOND_F)
        birth = self._birth()
        columns = ["id", "family_name", "given_name", "birth_date", "sex", "national_id", "status", "household_id"]
        select = f"""
            SELECT {self.bases.person} + m.p, {d.letter(self.family_names, "m.family")},
                CASE WHEN m.male = 1 THEN {given_m} ELSE {given_f} END,
                {birth}, CASE WHEN m.male = 1 THEN 'M' ELSE 'F' END,
                {d.yymmdd(birth)} || '-' || (2 - m.male) || {quote(self.code)} || {d.pad("m.p + 1", 8)},
                'resident', {self.bases.household} + m.h
            FROM ({self.members(lo, hi)}) m"""
        return columns, select

    def memberships(self, lo: str, hi: str) -> tuple[list[str], str]:
        d = self.d
        registered = d.days_after(self.registry_start, "m.registered")
        columns = ["household_id", "person_id", "relation", "since"]
        select = f"""
            SELECT {self.bases.household} + m.h, {self.bases.person} + m.p,
                CASE m.relation WHEN 0 THEN 'head' WHEN 1 THEN 'spouse' WHEN 2 THEN 'child' ELSE 'parent' END,
                {d.greatest}({self._birth()}, {registered})
            FROM ({self.members(lo, hi)}) m"""
        return columns, select

    def occupations(self, lo: str, hi: str) -> tuple[list[str], str]:
        """Everyone aged 17 to 60 works in the city, since they turned 17 or registered, whichever is later."""
        d = self.d
        roll = d.rand("m.p", WORKPLACE)
        place = f"{roll} % {len(self.workplaces)}"
        workplace = "CASE {} {} END".format(
            place, " ".join(f"WHEN {i} THEN {quote(name)}" for i, (name, _) in enumerate(self.workplaces))
        )
        titles = []
        for i, (_, jobs) in enumerate(self.workplaces):
            inner = " ".join(f"WHEN {j} THEN {quote(job)}" for j, job in enumerate(jobs))
            titles.append(f"WHEN {i} THEN (CASE {roll} / {len(self.workplaces)} % {len(jobs)} {inner} END)")
        title = f"CASE {place} {' '.join(titles)} END"
        registered = d.days_after(self.registry_start, "m.registered")
        turned_17 = (
            f"(DATE '{self.reference_date.isoformat()}' + (17 * {YEAR} - m.days)::integer)"
            if d.vendor == "postgresql"
            else f"date({self.reference_date.toordinal() + 1721424.5} + 17 * {YEAR} - m.days)"
        )
        columns = ["person_id", "workplace", "job_title", "since"]
        select = f"""
            SELECT {self.bases.person} + m.p, {workplace}, {title}, {d.greatest}({registered}, {turned_17})
            FROM ({self.members(lo, hi)}) m
            WHERE m.days >= 17 * {YEAR} AND m.days < 61 * {YEAR}"""
        return columns, select

    def stamps(self, lo: str, hi: str, *, issued_at: str, issued_by_id: int) -> tuple[list[str], str]:
        """One stamp per household and campaign it completed, signed later (`encoded` empty: see
        `stamps.services.stamp_encoded`). Status indexes: each campaign's stamps of a district form one block of the
        district office key's indexes, in household order."""
        d = self.d
        number = "(h.h * 8 + c.position)"
        serial = "CASE c.position {} END".format(
            " ".join(f"WHEN {c.position} THEN {d.serial(number, c.position)}" for c in self.campaigns)
        )
        stamped = " OR ".join(f"(c.position = {c.position} AND h.f{c.position} = 1)" for c in self.campaigns)
        status_index = "CASE c.position {} END".format(
            " ".join(f"WHEN {c.position} THEN g.base{c.position} + h.s{c.position}" for c in self.campaigns)
        )
        columns = [
            "serial",
            "household_id",
            "duty_kind",
            "duty_ref",
            "duty_title",
            "quantity",
            "measure",
            "period_start",
            "period_end",
            "unit_id",
            "office_id",
            "issued_at",
            "issued_by_id",
            "signing_key_id",
            "status_index",
            "encoded",
            "revoked_reason",
        ]
        select = f"""
            SELECT {serial}, {self.bases.household} + h.h, 'labour', c.duty_ref, c.title, c.quantity, c.measure,
                c.starts_on, c.ends_on, {self.bases.unit} + h.pos, g.office_id, {quote(issued_at)}, {issued_by_id},
                g.key_id, {status_index}, '', ''
            FROM synth_household h CROSS JOIN synth_campaign c JOIN synth_signer g ON g.district = h.district
            WHERE h.h >= {lo} AND h.h < {hi} AND ({stamped})"""
        return columns, select
