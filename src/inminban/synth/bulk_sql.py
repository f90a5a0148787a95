"""The SQL that computes a synthetic city's rows on the database server, one SELECT per table.

Every value is a function of the seed, the city code and a row's number. `rand(number, field)` is an integer hash of
the two (PostgreSQL's `hashint8extended`; on SQLite, which has no such function, a mix of `*`, `+` and `%` modulo the
prime 2^31 - 1), so the same seed and city give the same people, names and homes on the same database, and no row is
built in Python. The two databases use different hashes, so they generate different (equally plausible) people.

Python sends the plan of the units as a temporary table, `synth_unit` (size, first household, district), plus
`synth_district` for the units' names and, for the stamps, `synth_signer` (each district's office and key) and
`synth_campaign`. Each table's SELECT expands a range of units into their households (`households`, with each
household's shape: members, the head's sex and age, children, a grandparent) and those into their members
(`members`, head first), computing every column on the way. No row depends on another, so a chunk of units can be
generated anywhere, in any session.

Numbers: `pos` is a unit's position in the city, `h` a household's (0, 1, …), and member `n` of household `h` has the
person number `p = h * 6 + n` (six is the largest household). Ids are `<table's base> + number`, the bases being id
blocks reserved from the tables' sequences: persons, their memberships and occupations have ids with gaps (where a
household has fewer than six members, or a person does not work), which cost nothing and spare a running count over
the whole city. A household's stamp for campaign k has the number `h * 2 + k - 1`; its status index is k's block of
the district office key, at the household's place in its district.
"""

import math
from dataclasses import dataclass
from datetime import date

from .names import GIVEN_FIRST_F, GIVEN_FIRST_M, GIVEN_SECOND_F, GIVEN_SECOND_M, STREETS, weighted_family_names

# The hashed fields: each draw of a row uses its own field number, so draws are independent of each other.
SHAPE, HEAD_SEX, HEAD_AGE, CHILDREN, GRANDPARENT, FAMILY, REGISTERED, KIND, FLOOR_AREA = range(1, 10)
AGE, SEX, OWN_FAMILY, GIVEN, WORKPLACE = range(20, 25)
STAMPED, SERIAL = 30, 40  # + the campaign's position; SERIAL + 4 * position + 0..3 for the serial's words
MEMBERS_MAX = 6  # head, spouse, three children and a grandparent
SLOTS = 64  # SQLite's table of small numbers: more than the largest unit (39 households, see `bulk.unit_sizes`)
SQLITE_PRIME = 2147483647
# Days in a year of age, as `_People.birth` counted them (age = days // 365).
YEAR = 365


def quote(text: str) -> str:
    """A SQL string literal. Only for the generator's own constants and city codes (letters and digits)."""
    return "'" + text.replace("'", "''") + "'"


class Dialect:
    """What differs between the two databases' SQL, as small expression builders."""

    vendor = ""
    # Appended to a subquery so that the planner computes each of its columns once per row, instead of inlining
    # (and so repeating) the expression wherever the outer query uses the column.
    fence = ""
    greatest = "GREATEST"
    least = "LEAST"
    integer = "bigint"

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

    def pick(self, values: list[str], index: str, start: int = 0) -> str:
        """`values[index - start]` of a constant list of texts, as a balanced tree of CASEs: about log2(len) integer
        comparisons. (An array subscript or substr walks the text from its start, which cost several times more.)"""
        if len(values) == 1:
            return quote(values[0])
        half = len(values) // 2
        low = self.pick(values[:half], index, start)
        high = self.pick(values[half:], index, start + half)
        return f"CASE WHEN {index} < {start + half} THEN {low} ELSE {high} END"

    def expand(self, source: str, count: str, where: str) -> str:
        """The rows of `source` (a FROM item with the alias `src`) matching `where`, each repeated `count` times with
        n = 0 … count - 1, in order: a row, then its repeats."""
        raise NotImplementedError

    def serial(self, number: str, position: int) -> str:
        """32 hex digits (a UUID without dashes) from a row number."""
        raise NotImplementedError


class PostgresDialect(Dialect):
    vendor = "postgresql"
    fence = " OFFSET 0"

    def rand(self, number: str, field: int) -> str:
        return f"(hashint8extended(({number})::bigint, {self.city_key * 64 + field}) & 2147483647)"

    def days_after(self, day: date, days: str) -> str:
        return f"(DATE '{day.isoformat()}' + ({days})::integer)"

    def pad(self, value: str, width: int) -> str:
        return f"lpad(({value})::text, {width}, '0')"

    def expand(self, source: str, count: str, where: str) -> str:
        # A set-returning function in the select list streams; in FROM (LATERAL) it would fill a tuplestore per row.
        return f"SELECT src.*, generate_series(0, {count} - 1) AS n FROM {source} WHERE {where}"

    def serial(self, number: str, position: int) -> str:
        seed = self.city_key * 64 + SERIAL + 4 * position
        return " || ".join(f"lpad(to_hex(hashint8extended(({number})::bigint, {seed + i})), 16, '0')" for i in range(2))


class SQLiteDialect(Dialect):
    vendor = "sqlite"
    fence = " LIMIT -1 OFFSET 0"  # SQLite does not flatten a subquery with an OFFSET
    greatest = "max"
    least = "min"
    integer = "INTEGER"

    def rand(self, number: str, field: int) -> str:
        # (a² + seed) mod p of a = (48271 · number + seed) mod p: products stay below 2^62, so nothing overflows into
        # floating point, and the shares and name choices come out as drawn (the tests check them). One round: a
        # second one made SQLite's loads three times slower. Not for cryptography.
        seed = (self.city_key * 64 + field) % SQLITE_PRIME
        a = f"((({number}) * 48271 + {seed}) % {SQLITE_PRIME})"
        return f"(({a} * {a} + {seed}) % {SQLITE_PRIME})"

    def days_after(self, day: date, days: str) -> str:
        # date() of a Julian day number; the Julian day of a date at midnight is its ordinal + 1721424.5.
        return f"date({day.toordinal() + 1721424.5} + ({days}))"

    def pad(self, value: str, width: int) -> str:
        return f"printf('%0{width}d', {value})"

    def expand(self, source: str, count: str, where: str) -> str:
        # CROSS JOIN fixes the join order in SQLite: the source row stays the outer loop.
        return f"SELECT src.*, slot.n AS n FROM {source} CROSS JOIN synth_slot slot ON slot.n < {count} WHERE {where}"

    def serial(self, number: str, position: int) -> str:
        words = ", ".join(self.rand(number, SERIAL + 4 * position + i) for i in range(4))
        return f"printf('%08x%08x%08x%08x', {words})"


def dialect_for(vendor: str, city_key: int) -> Dialect:
    return (PostgresDialect if vendor == "postgresql" else SQLiteDialect)(city_key)


@dataclass(frozen=True)
class CampaignPlan:
    """A labour campaign the generator stamps: its number in the city (1, 2, …), the share of households (in
    percent) that completed it, and what its stamps say."""

    position: int
    percent: int
    duty_ref: str = ""
    title: str = ""
    quantity: str = ""
    measure: str = ""
    starts_on: date | None = None
    ends_on: date | None = None


@dataclass(frozen=True)
class Bases:
    """The first database id of each id block the load reserved."""

    unit: int = 0
    dwelling: int = 0
    household: int = 0
    residence: int = 0
    person: int = 0
    membership: int = 0
    occupation: int = 0
    stamp: int = 0


@dataclass(frozen=True)
class Rows:
    """One table's rows in a pass: the columns, their values (SQL over the pass's `src`) and which rows."""

    table: str
    columns: list[str]
    values: list[str]
    where: str = ""


@dataclass(frozen=True)
class Pass:
    """A FROM item (`src`) and the tables whose rows are computed from it. One pass over a chunk of units computes
    what its tables share (a household's shape, a member's age) once."""

    source: str
    tables: list[Rows]


class CitySQL:
    """The generating SQL for one city: its temporary tables and three passes (units; households with their
    dwellings, residences and stamps; members with their memberships and occupations), each over the units
    lo <= pos < hi (`lo` and `hi` are SQL expressions)."""

    UNIT_COLUMNS = [
        "pos",
        "size",
        "first_h",
        "district",
        "number",
        "district_first_h",
        "district_households",
        "office_id",
        "key_id",
    ]
    DISTRICT_COLUMNS = ["district", "area_id", "name_ko", "name_en", "path"]

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
        self.campaigns = campaigns
        self.unit_level_id = unit_level_id
        self.unit_depth = unit_depth
        self.district_width = district_width
        self.unit_width = unit_width
        self.family_names = weighted_family_names()
        self.given_names = {
            sex: [a + b for b in second for a in first]  # index = first + len(first) * second, as `_People` drew
            for sex, first, second in (("M", GIVEN_FIRST_M, GIVEN_SECOND_M), ("F", GIVEN_FIRST_F, GIVEN_SECOND_F))
        }
        # A workplace, then one of its jobs, each uniformly: every workplace gets the same number of (workplace,
        # job) slots, its jobs repeated to fill them.
        slots = math.lcm(*(len(jobs) for _, jobs in workplaces))
        self.jobs = [(place, jobs[i % len(jobs)]) for place, jobs in workplaces for i in range(slots)]

    # Temporary tables ---------------------------------------------------------------------------------------------

    def create_temporary_tables(self) -> list[str]:
        n = self.d.integer
        statements = [
            f"CREATE TEMPORARY TABLE synth_unit (pos {n} PRIMARY KEY, size {n}, first_h {n}, district {n}, "
            f"number {n}, district_first_h {n}, district_households {n}, office_id {n}, key_id {n})",
            f"CREATE TEMPORARY TABLE synth_district (district {n} PRIMARY KEY, area_id {n}, name_ko TEXT, "
            "name_en TEXT, path TEXT)",
        ]
        if self.d.vendor == "sqlite":
            statements.append(f"CREATE TEMPORARY TABLE synth_slot (n {n} PRIMARY KEY)")
            statements.append("INSERT INTO synth_slot (n) VALUES " + ", ".join(f"({n})" for n in range(SLOTS)))
        return statements

    @staticmethod
    def temporary_tables() -> list[str]:
        return ["synth_unit", "synth_district"]

    @staticmethod
    def drop_temporary_tables() -> list[str]:
        """SQLite keeps temporary tables as long as the connection; PostgreSQL's generator sessions just close."""
        return [f"DROP TABLE IF EXISTS temp.{name}" for name in [*CitySQL.temporary_tables(), "synth_slot"]]

    # Households and members ---------------------------------------------------------------------------------------

    def households(self, lo: str, hi: str) -> str:
        """The households of units lo <= pos < hi: h, pos, idx (its place in the unit), rank (its place in the
        district), district, unit_number, district_households, office_id, key_id, registered (days after the
        registry's start), kind (0 row house, 1 detached, 2 apartment) and, per campaign k, stamped{k} (1 or 0)."""
        d = self.d
        h = "(src.first_h + n)"
        stamped = "".join(
            f", CASE WHEN {d.rand('h', STAMPED + c.position)} % 100 < {c.percent} THEN 1 ELSE 0 END "
            f"AS stamped{c.position}"
            for c in self.campaigns
        )
        placed = d.expand("synth_unit src", "src.size", f"src.pos >= {lo} AND src.pos < {hi}")
        kind = f"{d.rand('h', KIND)} % 98"
        return f"""
            SELECT placed.*, {d.rand("h", REGISTERED)} % 3001 AS registered,
                CASE WHEN {kind} < 43 THEN 0 WHEN {kind} < 77 THEN 1 ELSE 2 END AS kind{stamped}
            FROM (SELECT {h} AS h, pos, n AS idx, {h} - district_first_h AS rank, district, number AS unit_number,
                    district_households, office_id, key_id
                  FROM ({placed}{d.fence}) src) placed"""

    def shaped(self, lo: str, hi: str) -> str:
        """`households` with their shape, as `_People.household` drew it: shape (0 a lone elder, 4%; 1 an elderly
        couple, 5%; 2 a family), head_male, head_days (the head's age in days), spouse, children, grandparent,
        members and family (index into the weighted family names)."""
        d = self.d
        drawn = f"""
            SELECT hh.*, {d.rand("h", SHAPE)} % 100 AS shape_roll, {d.rand("h", HEAD_SEX)} % 100 AS sex_roll,
                {d.rand("h", HEAD_AGE)} AS age_roll, {d.rand("h", CHILDREN)} % 100 AS children_roll,
                {d.rand("h", GRANDPARENT)} % 100 AS grandparent_roll,
                {d.rand("h", FAMILY)} % {len(self.family_names)} AS family
            FROM ({self.households(lo, hi)}{d.fence}) hh"""
        shaped = f"""
            SELECT drawn.*,
                CASE WHEN shape_roll < 4 THEN 0 WHEN shape_roll < 9 THEN 1 ELSE 2 END AS shape,
                CASE WHEN shape_roll < 4 THEN (CASE WHEN sex_roll < 70 THEN 0 ELSE 1 END)
                     WHEN shape_roll < 9 THEN 1
                     ELSE (CASE WHEN sex_roll < 88 THEN 1 ELSE 0 END) END AS head_male,
                CASE WHEN shape_roll < 4 THEN {62 * YEAR} + age_roll % {(88 - 62) * YEAR + YEAR}
                     WHEN shape_roll < 9 THEN {60 * YEAR} + age_roll % {(82 - 60) * YEAR + YEAR}
                     ELSE {27 * YEAR} + age_roll % {(60 - 27) * YEAR + YEAR} END AS head_days,
                CASE WHEN shape_roll < 9 THEN 0 WHEN children_roll < 4 THEN 0 WHEN children_roll < 24 THEN 1
                     WHEN children_roll < 70 THEN 2 ELSE 3 END AS children,
                CASE WHEN shape_roll >= 9 AND grandparent_roll < 40 THEN 1 ELSE 0 END AS grandparent
            FROM ({drawn}{d.fence}) drawn"""
        return f"""
            SELECT shaped.*, spouse + 1 + children + grandparent AS members
            FROM (SELECT shaped.*, CASE WHEN shape = 1 OR (shape = 2 AND head_male = 1) THEN 1 ELSE 0 END AS spouse
                  FROM ({shaped}{d.fence}) shaped) shaped"""

    def members(self, lo: str, hi: str) -> str:
        """The members of the households of `shaped`, head first: h, pos, registered, p (the person's number),
        relation (0 head, 1 spouse, 2 child, 3 grandparent), days (age in days on the reference date), male (1 or
        0), family and given (indexes into the name lists). Ages as `_People.household` drew them."""
        d = self.d
        p = f"(e.h * {MEMBERS_MAX} + e.n)"
        age = "(e.head_days / 365)"
        spouse_from = f"{d.greatest}(CASE WHEN e.shape = 1 THEN 55 ELSE 22 END, {age} - 8)"
        spouse_to = f"({age} + CASE WHEN e.shape = 1 THEN 1 ELSE 2 END)"
        child_to = f"{d.greatest}(0, {d.least}(26, {age} - 20))"
        parent_from = f"{d.least}({age} + 20, 90)"
        parent_to = f"{d.least}({age} + 34, 95)"

        def days(age_from: str, age_to: str) -> str:
            return f"{age_from} * {YEAR} + {d.rand(p, AGE)} % (({age_to} - {age_from}) * {YEAR} + {YEAR})"

        is_spouse = "e.n <= e.spouse"
        is_child = "e.n <= e.spouse + e.children"
        expanded = d.expand(f"({self.shaped(lo, hi)}{d.fence}) src", "src.members", "1 = 1")
        return f"""
            SELECT e.h, e.pos, e.registered, {p} AS p,
                CASE WHEN e.n = 0 THEN 0 WHEN {is_spouse} THEN 1 WHEN {is_child} THEN 2 ELSE 3 END AS relation,
                CASE WHEN e.n = 0 THEN e.head_days
                     WHEN {is_spouse} THEN {days(spouse_from, spouse_to)}
                     WHEN {is_child} THEN {days("0", child_to)}
                     ELSE {days(parent_from, parent_to)} END AS days,
                CASE WHEN e.n = 0 THEN e.head_male
                     WHEN {is_spouse} THEN 0
                     WHEN {is_child} THEN {d.rand(p, SEX)} % 2
                     ELSE (CASE WHEN {d.rand(p, SEX)} % 100 < 65 THEN 0 ELSE 1 END) END AS male,
                CASE WHEN e.n = 0 OR (e.n > e.spouse AND {is_child}) THEN e.family
                     ELSE {d.rand(p, OWN_FAMILY)} % {len(self.family_names)} END AS family,
                {d.rand(p, GIVEN)} % {len(self.given_names["M"])} AS given
            FROM ({expanded}{d.fence}) e"""

    def _birth(self, days: str, years_later: int = 0) -> str:
        """The birth date of someone `days` old on the reference date (or the day they turned `years_later`)."""
        return self.d.days_after(self.reference_date, f"{years_later * YEAR} - {days}")

    def _unit_code(self, alias: str) -> str:
        d = self.d
        return (
            f"{quote(self.code + '-D')} || {d.pad(f'{alias}.district + 1', self.district_width)} || '-U' || "
            + d.pad(f"{alias}.{'number' if alias == 'u' else 'unit_number'}", self.unit_width)
        )

    # Passes -------------------------------------------------------------------------------------------------------

    def unit_pass(self, lo: str, hi: str) -> Pass:
        source = f"""
            (SELECT u.pos, u.number, t.area_id, t.name_ko, t.name_en, t.path, {self._unit_code("u")} AS code
             FROM synth_unit u JOIN synth_district t ON t.district = u.district
             WHERE u.pos >= {lo} AND u.pos < {hi}{self.d.fence}) src"""
        units = Rows(
            "areas_area",
            ["id", "level_id", "parent_id", "code", "name_ko", "name_en", "path", "depth"],
            [
                f"{self.bases.unit} + src.pos",
                str(self.unit_level_id),
                "src.area_id",
                "src.code",
                "src.name_ko || ' ' || src.number || '인민반'",
                "src.name_en || ' unit ' || src.number",
                "src.path || src.code || '/'",
                str(self.unit_depth),
            ],
        )
        return Pass(source, [units])

    def household_pass(self, lo: str, hi: str, *, with_head: bool, issued_at: str, issued_by_id) -> Pass:
        """Dwellings, households, residences and stamps. `with_head=False` leaves head_id empty, for `set_heads`
        once the persons are written."""
        d = self.d
        b = self.bases
        registered = d.days_after(self.registry_start, "src.registered")
        dwellings = Rows(
            "registry_dwelling",
            ["id", "unit_id", "address", "building", "apartment", "kind", "floor_area_m2"],
            [
                f"{b.dwelling} + src.h",
                f"{b.unit} + src.pos",
                f"{d.pick(STREETS, f'src.pos % {len(STREETS)}')} || ' ' || (src.idx + 1)",
                "CASE WHEN src.kind = 2 THEN (src.idx / 8 + 1) || '동' ELSE '' END",
                "CASE WHEN src.kind = 2 THEN (src.idx % 8 + 1) || '호' ELSE '' END",
                "CASE src.kind WHEN 0 THEN 'row' WHEN 1 THEN 'detached' ELSE 'apartment' END",
                f"50 + {d.rand('src.h', FLOOR_AREA)} % 26",
            ],
        )
        household_columns = ["id", "unit_id", "dwelling_id", "number", "registered_on"]
        household_values = [
            f"{b.household} + src.h",
            f"{b.unit} + src.pos",
            f"{b.dwelling} + src.h",
            f"{self._unit_code('src')} || '-' || {d.pad('src.idx + 1', 3)}",
            registered,
        ]
        if with_head:
            household_columns.append("head_id")
            household_values.append(f"{b.person} + src.h * {MEMBERS_MAX}")
        residences = Rows(
            "registry_residence",
            ["id", "household_id", "unit_id", "dwelling_id", "since"],
            [
                f"{b.residence} + src.h",
                f"{b.household} + src.h",
                f"{b.unit} + src.pos",
                f"{b.dwelling} + src.h",
                registered,
            ],
        )
        tables = [dwellings, Rows("registry_household", household_columns, household_values), residences]
        tables += [self._stamps(c, issued_at, issued_by_id) for c in self.campaigns]
        return Pass(f"({self.households(lo, hi)}{d.fence}) src", tables)

    def _stamps(self, campaign: CampaignPlan, issued_at: str, issued_by_id) -> Rows:
        """A household's stamp for a campaign it completed, to be signed when first shown (`encoded` empty: see
        `stamps.services.stamp_encoded`). Its status index is the household's rank in its district, in the
        campaign's block of the district key's indexes."""
        number = f"(src.h * 2 + {campaign.position - 1})"
        columns = ["id", "serial", "household_id", "duty_kind", "duty_ref", "duty_title", "quantity", "measure"]
        columns += ["period_start", "period_end", "unit_id", "office_id", "issued_at", "issued_by_id"]
        columns += ["signing_key_id", "status_index", "encoded", "revoked_reason"]
        values = [
            f"{self.bases.stamp} + {number}",
            self.d.serial(number, campaign.position),
            f"{self.bases.household} + src.h",
            "'labour'",
            quote(campaign.duty_ref),
            quote(campaign.title),
            quote(campaign.quantity),
            quote(campaign.measure),
            quote(campaign.starts_on.isoformat()),
            quote(campaign.ends_on.isoformat()),
            f"{self.bases.unit} + src.pos",
            "src.office_id",
            quote(issued_at),
            str(issued_by_id),
            "src.key_id",
            f"{campaign.position - 1} * src.district_households + src.rank",
            "''",
            "''",
        ]
        return Rows("stamps_stamp", columns, values, where=f"src.stamped{campaign.position} = 1")

    def set_heads(self, first: int, last: int) -> str:
        """Point the households with ids first … last at their heads (see `household_pass`)."""
        return f"""
            UPDATE registry_household SET head_id = {self.bases.person} + (id - {self.bases.household}) * {MEMBERS_MAX}
            WHERE id >= {first} AND id <= {last}"""

    def member_pass(self, lo: str, hi: str) -> Pass:
        """Persons (with a national id of the city code and their number, ascending with the id like the index),
        their memberships, and the occupations of everyone aged 17 to 60: in the city, since they turned 17 or
        registered, whichever is later."""
        d = self.d
        b = self.bases
        birth = self._birth("src.days")
        registered = d.days_after(self.registry_start, "src.registered")
        persons = Rows(
            "registry_person",
            ["id", "family_name", "given_name", "birth_date", "sex", "national_id", "status", "household_id"],
            [
                f"{b.person} + src.p",
                d.pick(self.family_names, "src.family"),
                f"CASE WHEN src.male = 1 THEN {d.pick(self.given_names['M'], 'src.given')} "
                f"ELSE {d.pick(self.given_names['F'], 'src.given')} END",
                birth,
                "CASE WHEN src.male = 1 THEN 'M' ELSE 'F' END",
                f"{quote(self.code + '-')} || {d.pad('src.p + 1', 8)}",
                "'resident'",
                f"{b.household} + src.h",
            ],
        )
        memberships = Rows(
            "registry_membership",
            ["id", "household_id", "person_id", "relation", "since"],
            [
                f"{b.membership} + src.p",
                f"{b.household} + src.h",
                f"{b.person} + src.p",
                "CASE src.relation WHEN 0 THEN 'head' WHEN 1 THEN 'spouse' WHEN 2 THEN 'child' ELSE 'parent' END",
                f"{d.greatest}({birth}, {registered})",
            ],
        )
        job = f"({d.rand('src.p', WORKPLACE)} % {len(self.jobs)})"
        occupations = Rows(
            "registry_occupation",
            ["id", "person_id", "workplace", "job_title", "since"],
            [
                f"{b.occupation} + src.p",
                f"{b.person} + src.p",
                d.pick([place for place, _ in self.jobs], job),
                d.pick([title for _, title in self.jobs], job),
                f"{d.greatest}({registered}, {self._birth('src.days', 17)})",
            ],
            where=f"src.days >= 17 * {YEAR} AND src.days < 61 * {YEAR}",
        )
        return Pass(f"({self.members(lo, hi)}{d.fence}) src", [persons, memberships, occupations])
