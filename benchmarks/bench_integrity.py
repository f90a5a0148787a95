"""integrity: the integrity scan over a whole city (1 million households by default; `--national` for 6.5 million).

For SQLite and PostgreSQL each, in one run on the same data: generate a city with `inminban generate`'s bulk loader
(households, members, and the stamps of two labour campaigns), then give it, set-based (one INSERT … SELECT per
table, from a scratch plan of the households, into tables whose indexes and foreign keys are rebuilt afterwards as the
generator does), the records the scan reads: a leader per unit, a district officer and a health worker per district,
both campaigns' quotas, shares, sessions, attendance and confirmations (the generator's stamps, now issued by whoever
confirmed the share), waivers, stays, health checks, a ration cycle, members added shortly before it, and the audit
entries of the attendance, confirmations and member additions. About 1% of households carry one of the patterns the
scan looks for, mixed across the patterns:

  - stay_unregistered: a guest checked at a health check with no stay registered for that night;
  - stamp_unfulfilled: a stamp whose share has no attendance at all;
  - late_attendance: attendance recorded a month after the session;
  - leader_own_attendance: the leader recording attendance for their own household;
  - leader_own_confirmation: the leader confirming their own household's shares, so issuing its stamps;
  - members_before_cycle: a member added by the leader five days before the ration cycle's reference date;
  - bulk_attendance: units where, at the first campaign's session, every member of every attending household was
    recorded;
  - waiver_rate: units where two households in five had their share waived, against one in a hundred elsewhere;

and the rest are clean records of the same kinds, with near misses the scan must let pass: an unregistered guest's
check on a night the guest's own stay, registered before the check, covers; attendance recorded a day or two after
the session; a member added in the same window by the district officer; members added by the leader months before;
the leader's own household recorded and confirmed by the district officer.

Timed, on the same data:

  (a) `integrity_scan()`: the product's scan, committed, as the scheduled job runs it;
  (b) the floor: the same scan as hand-written SQL, one INSERT … SELECT per pattern (the default thresholds written
      in as constants; the unit's office by joins up the parent chain), into `bench_flag`, a copy of the flag table
      made empty before each run; run twice before (a), the faster run counts;
  (c) a second `integrity_scan()`, which must raise nothing;
  (d) a third, over the scheduled job's window (the records of the last INTEGRITY_SCAN_DAYS days, 35, before the
      scan's day), which must raise nothing either: the repeat scan as the hourly job runs it, against (c).

On PostgreSQL, (a) and (b) are also run with `jit = off` (rolled back), to show what compiling costs them.

It prints households per second for (a), (b) and (c) and the ratio a/b of their times; (c) against (d) and their
ratio c/d, with how many of the records each pattern is driven by lie inside the window; per pattern, the flags
expected from what was seeded, the flags (a) and (b) raised and the seconds each of (a) to (d) took. The run fails,
printing the difference in red, if (a) and (b) do not raise exactly the same flags (pattern, key, unit, office,
leader, day), or if (c) or (d) raises any.

The audit entries are written in bulk with placeholder hashes (the benchmark's database is thrown away; `audit
verify` would reject it).

    python -m benchmarks integrity                     # 1,000,000 households on both databases
    INMINBAN_BENCH_INTEGRITY_HOUSEHOLDS=100000 python -m benchmarks integrity   # a quick run
    python -m benchmarks.bench_integrity --households 100000
    python -m benchmarks.bench_integrity --national    # 6,500,000 on PostgreSQL; SQLite stays at 1,000,000
    INMINBAN_DATABASE_URL=… python -m benchmarks.bench_integrity --child --result r.json --existing BI
        # on a city an earlier run generated (and whose records were rolled back), for trying changes
"""

import argparse
import os
import resource
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

from rich.table import Table

from benchmarks.common import (
    child_setup,
    console,
    drop_postgres_database,
    run_child,
    settle_database,
    targets,
    write_result,
)

DEFAULT_HOUSEHOLDS = 1_000_000
NATIONAL_HOUSEHOLDS = 6_500_000
SQLITE_HOUSEHOLDS = 1_000_000
CITY = "BI"
# The scan runs as of this day. The generator's campaigns ran in October and November 2025; the checks and stays
# fall in December, the ration cycle's reference date is 1 December.
TODAY = date(2026, 1, 10)
CHECKS_FROM = date(2025, 12, 1)  # a household's checks and stays fall on this day + (its rank mod 28)
REFERENCE_DATE = date(2025, 12, 1)
LATE_DAYS = 30  # late attendance: recorded this many days after the session (the clean ones 0–2)
ADDED_DAYS_BEFORE = 5  # members_before_cycle: added this many days before the reference date
# Times of day are written in UTC so that, in the deployment's zone (UTC+9 by default), they fall in the day.
DAYTIME = "02:00"  # 11:00 in Pyongyang
EVENING = "09:00"  # 18:00
# Which pattern a household carries (bench_ih.kind): by its id, scrambled ((id * 7919) mod 1000): 0–1 an unregistered
# guest (1), 2–3 a stamp without attendance (2), 4–5 late attendance (3), 6 a member added by the leader before the
# cycle (7), 7 an unregistered guest whose own stay, registered before the check, covers the night (8, a near miss:
# the worker missed the registration), 8 a member added by the officer
# (9, a near miss). Leader households (the first of each unit) carry the leader's own attendance (5) or confirmation
# (6) instead, by the unit's rank mod 40; 0 is clean.
BULK_UNIT_EVERY = 1000  # one unit in 1000 records whole households at the first campaign's session
WAIVER_UNIT_EVERY = 500  # one unit in 500 waives two shares in five


# Parent: one child per database, then the tables ------------------------------------------------------------------


def run(households: int | None = None, national: bool | None = None) -> None:
    national = national if national is not None else os.environ.get("INMINBAN_BENCH_NATIONAL") == "1"
    households = households or int(os.environ.get("INMINBAN_BENCH_INTEGRITY_HOUSEHOLDS", 0)) or None
    size = households or (NATIONAL_HOUSEHOLDS if national else DEFAULT_HOUSEHOLDS)
    results = []
    for target in targets("inminban_bench_integrity"):
        target_size = min(size, SQLITE_HOUSEHOLDS) if target.label == "SQLite" else size
        console.print(f"[bold]{target.label}[/bold]: {target_size:,} households …")
        started = time.perf_counter()
        try:
            result = run_child("benchmarks.bench_integrity", target, "--households", str(target_size))
        finally:
            target.cleanup()
            if target.label == "PostgreSQL":
                drop_postgres_database(target.url)
        result["seconds"] = time.perf_counter() - started
        results.append((target.label, result))
    _print(results)
    bad = [label for label, result in results if not _passed(result)]
    if bad:
        raise AssertionError(f"integrity: {', '.join(bad)}: the scan and the hand-written SQL disagree, or failed")


def _passed(result: dict) -> bool:
    return (
        "error" not in result
        and result["same_flags"]
        and sum(result["c_raised"].values()) == 0
        and sum(result["d_raised"].values()) == 0
    )


def _print(results) -> None:
    table = Table(
        "database",
        "households",
        "(a) scan hh/s",
        "(b) hand-written hh/s",
        "a/b",
        "(c) repeat hh/s",
        "(c) raised",
        "flags a / b",
        "same",
        title="Integrity scan: the product's scan (a) against the same scan as hand-written SQL (b)",
        title_justify="left",
    )
    for label, result in results:
        if "error" in result:
            table.add_row(label, f"[red]{result['error']}[/red]", *[""] * 7)
            continue
        n, a, b, c = result["households"], result["a_seconds"], result["b_seconds"], result["c_seconds"]
        repeat = sum(result["c_raised"].values())
        table.add_row(
            label,
            f"{n:,}",
            f"{n / a:,.0f} ({a:.1f} s)",
            f"{n / b:,.0f} ({b:.1f} s)",
            f"[bold]{a / b:.2f}[/bold]",
            f"{n / c:,.0f} ({c:.1f} s)",
            "0" if repeat == 0 else f"[red]{repeat}[/red]",
            f"{sum(result['a_flags'].values()):,} / {sum(result['b_flags'].values()):,}",
            "yes" if result["same_flags"] else "[red bold]NO[/red bold]",
        )
    console.print(table)
    window = Table(
        "database",
        "households",
        "window",
        "(c) repeat, all history hh/s",
        "(d) repeat, window hh/s",
        "c/d",
        "(d) raised",
        title="Integrity scan: the repeat scan over the scheduled job's window (d) against over all history (c)",
        title_justify="left",
    )
    for label, result in results:
        if "error" in result:
            continue
        n, c, d = result["households"], result["c_seconds"], result["d_seconds"]
        repeat = sum(result["d_raised"].values())
        window.add_row(
            label,
            f"{n:,}",
            f"{result['window_days']} days from {result['window_since']}",
            f"{n / c:,.0f} ({c:.1f} s)",
            f"{n / d:,.0f} ({d:.1f} s)",
            f"[bold]{c / d:.1f}[/bold]",
            "0" if repeat == 0 else f"[red]{repeat}[/red]",
        )
    console.print(window)
    for label, result in results:
        if "error" in result:
            continue
        inside = ", ".join(f"{kind} {part:,} of {whole:,}" for kind, (part, whole) in result["window_records"].items())
        console.print(f"[dim]{label}: records inside the window: {inside}[/dim]")
        if "a_nojit_seconds" in result:
            n, a, b = result["households"], result["a_nojit_seconds"], result["b_nojit_seconds"]
            console.print(
                f"{label} with the JIT compiler off (jit = off, rolled back): (a) {n / a:,.0f} hh/s ({a:.1f} s), "
                f"(b) {n / b:,.0f} hh/s ({b:.1f} s), a/b [bold]{a / b:.2f}[/bold]"
            )
        nojit = result.get("a_nojit_pattern_seconds")
        patterns = Table(
            "pattern",
            "households",
            "expected flags",
            "(a) flags",
            "(b) flags",
            "(a) s",
            "(b) s",
            "(c) s",
            "(d) s",
            *(["(a) s, jit off"] if nojit else []),
            title=f"{label}: per pattern (households seeded with it; flags expected from them; raised by each)",
            title_justify="left",
        )
        seeded, expected = result["seeded"], result["expected"]
        a_flags, b_flags = result["a_flags"], result["b_flags"]
        for pattern in result["patterns"]:
            one, two = a_flags.get(pattern, 0), b_flags.get(pattern, 0)
            red = "" if one == two == expected.get(pattern, 0) else "[red]"
            patterns.add_row(
                pattern,
                f"{seeded.get(pattern, 0):,}",
                f"{expected.get(pattern, 0):,}",
                f"{red}{one:,}",
                f"{red}{two:,}",
                f"{result['a_pattern_seconds'].get(pattern, 0):.2f}",
                f"{result['b_pattern_seconds'].get(pattern, 0):.2f}",
                f"{result['c_pattern_seconds'].get(pattern, 0):.2f}",
                f"{result['d_pattern_seconds'].get(pattern, 0):.2f}",
                *([f"{nojit.get(pattern, 0):.2f}"] if nojit else []),
            )
        console.print(patterns)
        if not result["same_flags"]:
            console.print(
                f"[red bold]{label}: MISMATCH: {result['only_a']:,} flags raised only by the scan, "
                f"{result['only_b']:,} only by the hand-written SQL[/red bold]"
            )
            for row in result["differences"]:
                console.print(f"  [red]{row}[/red]")
        console.print(
            f"[dim]{label}: flagged households {result['flagged_households']:,} "
            f"({result['flagged_households'] / result['households']:.2%}); the scan ran {result['a_statements']} "
            f"statements; generate {result['generate_seconds']:.0f} s; records {result['seed_seconds']:.0f} s "
            f"({result['rows']:,} rows: {', '.join(f'{k} {v:,}' for k, v in result['row_counts'].items())}); "
            f"max RSS {result['max_rss_mb']:.0f} MB; whole run {result['seconds']:.0f} s[/dim]"
        )


# SQL that differs between the databases --------------------------------------------------------------------------


class Dialect:
    """The few expressions that differ between PostgreSQL and SQLite."""

    def __init__(self, vendor: str, time_zone: str):
        self.pg = vendor == "postgresql"
        self.time_zone = time_zone
        offset = datetime.combine(TODAY, clock(12), ZoneInfo(time_zone)).utcoffset()
        self.offset_minutes = int(offset.total_seconds() // 60)

    def day(self, base: date, offset: str = "0") -> str:
        """A date: `base` plus `offset` days (an SQL expression)."""
        if self.pg:
            return f"(DATE '{base.isoformat()}' + ({offset})::integer)"
        return f"date({base.toordinal() + 1721424.5} + ({offset}))"

    def at(self, day: str, hhmm: str) -> str:
        """A date-time: `day` (a date expression) at hh:mm UTC, as Django stores it."""
        if self.pg:
            return f"((({day}) + TIME '{hhmm}') AT TIME ZONE 'UTC')"
        return f"(({day}) || ' {hhmm}:00')"

    def uuid_text(self, column: str) -> str:
        """A UUID column as `str(uuid)` writes it (SQLite keeps 32 hex digits without dashes)."""
        if self.pg:
            return f"CAST({column} AS TEXT)"
        return (
            f"(substr({column}, 1, 8) || '-' || substr({column}, 9, 4) || '-' || substr({column}, 13, 4) || '-' "
            f"|| substr({column}, 17, 4) || '-' || substr({column}, 21, 12))"
        )

    @staticmethod
    def text(value: str) -> str:
        return f"CAST({value} AS TEXT)"

    def lit(self, value) -> str:
        """A literal in the SQL text. The statements carry no parameters, so `%` is the modulo operator on both."""
        if isinstance(value, bool) or value is None:
            raise TypeError(value)
        if isinstance(value, int | float):
            return str(value)
        if isinstance(value, datetime):
            utc = value.astimezone(UTC).replace(microsecond=0)
            if self.pg:
                return f"TIMESTAMPTZ '{utc.isoformat(sep=' ')}'"
            return f"'{utc.replace(tzinfo=None).isoformat(sep=' ')}'"
        if isinstance(value, date):
            return f"DATE '{value.isoformat()}'" if self.pg else f"'{value.isoformat()}'"
        if isinstance(value, clock):
            return f"TIME '{value.isoformat()}'" if self.pg else f"'{value.isoformat()}'"
        return "'" + str(value).replace("'", "''") + "'"

    # For the hand-written scan.

    def local_date(self, column: str) -> str:
        """The day, in the deployment's zone, of a date-time column. SQLite: by the zone's fixed offset (UTC+9 for
        Pyongyang since 2018), as a hand-written query for this deployment would; the product calls Django's zone
        function."""
        if self.pg:
            return f"CAST(({column} AT TIME ZONE '{self.time_zone}') AS DATE)"
        return f"date({column}, '{self.offset_minutes:+d} minutes')"

    def plus(self, day: str, days: str) -> str:
        """The date expression `day` plus `days` (an SQL expression) days."""
        if self.pg:
            return f"(({day}) + ({days})::integer)"
        return f"date(julianday({day}) + ({days}))"

    def years_before(self, day: str, years: str) -> str:
        if self.pg:
            return f"CAST({day} - make_interval(years => {years}) AS DATE)"
        return f"date({day}, '-' || ({years}) || ' years')"

    def days(self, later: str, earlier: str) -> str:
        if self.pg:
            return f"(({later}) - ({earlier}))"
        return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"

    def seconds(self, later: str, earlier: str) -> str:
        if self.pg:
            return f"EXTRACT(EPOCH FROM ({later}) - ({earlier}))"
        return f"((julianday({later}) - julianday({earlier})) * 86400.0)"

    def obj(self, *pairs) -> str:
        """A JSON object from ('name', expression) pairs."""
        items = ", ".join(f"'{name}', {value}" for name, value in pairs)
        return f"jsonb_build_object({items})" if self.pg else f"json_object({items})"

    def arr(self, *items: str) -> str:
        return f"jsonb_build_array({', '.join(items)})" if self.pg else f"json_array({', '.join(items)})"

    def agg(self, item: str) -> str:
        return f"jsonb_agg({item})" if self.pg else f"json_group_array({item})"

    def prepend(self, first: str, aggregate: str) -> str:
        """A JSON array: `first`, then the elements of the array `aggregate`."""
        if self.pg:
            return f"(jsonb_build_array({first}) || {aggregate})"
        return f"('[' || {first} || ',' || substr({aggregate}, 2))"

    def item(self, kind: str, column: str) -> str:
        return self.obj(("type", f"'{kind}'"), ("id", column))

    def serial_matches(self, stamp: str, share: str) -> str:
        if self.pg:
            return f"{stamp}.serial = CAST(NULLIF({share}.stamp_serial, '') AS uuid)"
        return f"{stamp}.serial = REPLACE({share}.stamp_serial, '-', '')"


def _execute(sql: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.rowcount


def _scalar(sql: str):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
        return row[0] if row else None


def _rows(sql: str) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def _dialect() -> Dialect:
    from django.conf import settings
    from django.db import connection

    return Dialect(connection.vendor, settings.TIME_ZONE)


# Child: the records -----------------------------------------------------------------------------------------------

# The tables written in bulk: their indexes and foreign keys come off during the writes and are rebuilt after, as the
# generator does (on PostgreSQL, one deferred check per row at commit would take minutes).
BULK_TABLES = [
    "duties_share",
    "duties_attendance",
    "stamps_stamp",
    "health_healthcheck",
    "registry_stay",
    "audit_auditentry",
]


def _cycle(city, admin):
    """A monthly grain ration over the city, with one cycle whose reference date is REFERENCE_DATE (created, not
    generated: the scan reads only its reference date and program)."""
    from inminban.areas.models import Office
    from inminban.entitlements import services
    from inminban.entitlements.models import Program

    office = Office.objects.get(area=city)
    program = services.program_create(
        actor=admin,
        office=office,
        area=city,
        kind=Program.Kind.GRAIN_RATION,
        name_en=f"Bench ration {city.code}",
        norms="nine_levels",
        rule={"all": [{"resident": {}}]},
    )
    cycle = services.cycle_create(actor=admin, program=program, period_start=REFERENCE_DATE)
    # Made some days before its reference date, as an office would (not on the day the benchmark runs): the scan's
    # window picks the cycles by their reference date or their making.
    made = datetime.combine(REFERENCE_DATE - timedelta(days=10), clock(1), UTC)
    type(cycle).objects.filter(pk=cycle.pk).update(created_at=made)
    return cycle


def seed_records(city, campaigns, admin) -> dict:
    """Everything the scan reads, for every household of `city`, set-based. Returns the rows written per table, the
    households seeded with each pattern, and the flags expected."""
    from django.db import connection, transaction
    from django.utils import timezone

    from inminban.synth import bulk_schema

    d = _dialect()
    now = d.lit(timezone.now())
    phases: dict[str, float] = {}

    def step(sql: str) -> int:
        """Execute one statement, adding its time to the phase named by its first words."""
        name = " ".join(sql.split()[:3]).lower()
        began = time.perf_counter()
        count = _execute(sql)
        phases[name] = phases.get(name, 0.0) + time.perf_counter() - began
        return count

    rows: dict[str, int] = {}
    c1, c2 = campaigns
    hours = {c1.pk: 4, c2.pk: 8}
    with transaction.atomic():
        cycle = _cycle(city, admin)
        if connection.vendor == "postgresql":
            step("SET LOCAL synchronous_commit = off")
            # As the generator: compiling these statements' expressions took longer than running them.
            step("SET LOCAL jit = off")
            step("SET LOCAL maintenance_work_mem = '512MB'")
            step("SET LOCAL work_mem = '256MB'")
        for table in ("bench_iu", "bench_ih"):
            step(f"DROP TABLE IF EXISTS {table}")
        # Units: rank, district, leader household (the unit's first) and its head.
        step(
            f"""
            CREATE TABLE bench_iu AS
            SELECT a.id AS unit_id, a.parent_id AS district_id, a.path AS path,
                   ROW_NUMBER() OVER (ORDER BY a.id) - 1 AS ur,
                   (SELECT MIN(h.id) FROM registry_household h WHERE h.unit_id = a.id) AS leader_household_id,
                   CAST(NULL AS BIGINT) AS leader_person_id, CAST(NULL AS BIGINT) AS leader_user_id,
                   CAST(NULL AS BIGINT) AS officer_user_id, CAST(NULL AS BIGINT) AS health_user_id,
                   CAST(NULL AS BIGINT) AS office_id
            FROM areas_area a JOIN areas_arealevel l ON l.id = a.level_id
            WHERE l.is_unit AND a.path LIKE {d.lit(city.path + "%")}
            """
        )
        step("CREATE UNIQUE INDEX bench_iu_unit ON bench_iu (unit_id)")
        step(
            "UPDATE bench_iu SET leader_person_id = "
            "(SELECT h.head_id FROM registry_household h WHERE h.id = bench_iu.leader_household_id)"
        )
        # Users: a leader per unit, an officer and a health worker per district (password unusable).
        rows["users"] = step(
            f"""
            INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff,
                                   is_active, date_joined)
            SELECT '!', FALSE, 'bench-leader-' || {d.text("unit_id")}, '', '', '', FALSE, TRUE, {now} FROM bench_iu
            UNION ALL
            SELECT '!', FALSE, 'bench-' || k.kind || '-' || {d.text("x.district_id")}, '', '', '', FALSE, TRUE, {now}
            FROM (SELECT DISTINCT district_id FROM bench_iu) x
            CROSS JOIN (SELECT 'officer' AS kind UNION ALL SELECT 'health') k
            """
        )
        for column, prefix, key in (
            ("leader_user_id", "bench-leader-", "unit_id"),
            ("officer_user_id", "bench-officer-", "district_id"),
            ("health_user_id", "bench-health-", "district_id"),
        ):
            step(
                f"UPDATE bench_iu SET {column} = (SELECT u.id FROM auth_user u "
                f"WHERE u.username = '{prefix}' || {d.text('bench_iu.' + key)})"
            )
        step("UPDATE bench_iu SET office_id = (SELECT o.id FROM areas_office o WHERE o.area_id = bench_iu.district_id)")
        since = d.lit(date(2015, 3, 1))
        rows["role assignments"] = step(
            f"""
            INSERT INTO areas_roleassignment (user_id, role, area_id, office_id, person_id, since, until)
            SELECT leader_user_id, 'leader', unit_id, NULL, leader_person_id, {since}, CAST(NULL AS DATE)
            FROM bench_iu
            UNION ALL
            SELECT MIN(officer_user_id), 'officer', district_id, MIN(office_id), NULL, {since}, NULL FROM bench_iu
            GROUP BY district_id
            UNION ALL
            SELECT MIN(health_user_id), 'health_worker', district_id, NULL, NULL, {since}, NULL FROM bench_iu
            GROUP BY district_id
            """
        )

        # Households: rank, leader household or not, the pattern seeded, head, members, stamps of each campaign.
        step(
            f"""
            CREATE TABLE bench_ih AS
            SELECT x.*,
                   CASE
                     WHEN x.leader = 1 AND x.ur % 40 = 0 THEN 5
                     WHEN x.leader = 1 AND x.ur % 40 = 1 THEN 6
                     WHEN x.leader = 1 THEN 0
                     WHEN x.scramble < 2 THEN 1
                     WHEN x.scramble < 4 THEN 2
                     WHEN x.scramble < 6 THEN 3
                     WHEN x.scramble < 7 THEN 7
                     WHEN x.scramble < 8 THEN 8
                     WHEN x.scramble < 9 THEN 9
                     ELSE 0
                   END AS kind,
                   CASE WHEN x.ur % {BULK_UNIT_EVERY} = {BULK_UNIT_EVERY // 2} THEN 1 ELSE 0 END AS bulk_unit,
                   CASE WHEN x.ur % {WAIVER_UNIT_EVERY} = {WAIVER_UNIT_EVERY // 4} THEN 1 ELSE 0 END AS waiver_unit
            FROM (
              SELECT h.id AS household_id, h.unit_id, h.head_id, u.ur, u.path,
                     h.id - (SELECT MIN(h0.id) FROM registry_household h0 JOIN bench_iu u0 ON u0.unit_id = h0.unit_id)
                       AS r,
                     ((h.id * 7919) % 1000) AS scramble,
                     CASE WHEN h.id = u.leader_household_id THEN 1 ELSE 0 END AS leader,
                     u.leader_user_id, u.officer_user_id, u.health_user_id,
                     (SELECT COUNT(*) FROM registry_membership m WHERE m.household_id = h.id AND m.until IS NULL)
                       AS size,
                     (SELECT MIN(s.id) FROM stamps_stamp s WHERE s.household_id = h.id AND s.duty_kind = 'labour'
                        AND s.duty_ref = {d.lit(c1.ref)}) AS stamp1_id,
                     (SELECT MIN(s.id) FROM stamps_stamp s WHERE s.household_id = h.id AND s.duty_kind = 'labour'
                        AND s.duty_ref = {d.lit(c2.ref)}) AS stamp2_id,
                     (SELECT MIN({d.uuid_text("s.serial")}) FROM stamps_stamp s WHERE s.household_id = h.id
                        AND s.duty_kind = 'labour' AND s.duty_ref = {d.lit(c1.ref)}) AS serial1,
                     (SELECT MIN({d.uuid_text("s.serial")}) FROM stamps_stamp s WHERE s.household_id = h.id
                        AND s.duty_kind = 'labour' AND s.duty_ref = {d.lit(c2.ref)}) AS serial2
              FROM registry_household h JOIN bench_iu u ON u.unit_id = h.unit_id
            ) x
            """
        )
        step("CREATE UNIQUE INDEX bench_ih_household ON bench_ih (household_id)")
        step("ANALYZE bench_iu")
        step("ANALYZE bench_ih")

        # From here on, the big tables have no indexes or foreign keys until the end.
        began = time.perf_counter()
        detached = bulk_schema.detach(BULK_TABLES)
        phases["detach"] = time.perf_counter() - began

        # Campaign 1 (4 h) is attended by its stamped households but the stamp_unfulfilled ones, and by the late and
        # leader-own households stamped or not; campaign 2 (8 h) by its stamped ones. The head attends; in the bulk
        # units every member who was one on the session's day.
        attends = {
            c1.pk: "((p.stamp1_id IS NOT NULL AND p.kind <> 2) OR p.kind IN (3, 5))",
            c2.pk: "(p.stamp2_id IS NOT NULL)",
        }
        stamp_of = {c1.pk: "p.stamp1_id", c2.pk: "p.stamp2_id"}
        serial_of = {c1.pk: "p.serial1", c2.pk: "p.serial2"}
        whole = {c1.pk: "p.bulk_unit = 1", c2.pk: "1 = 0"}
        # Who records and who confirms: the leader, but for the leader's own household the district officer (unless
        # the household carries the leader's own attendance (5) or confirmation (6) pattern).
        recorder = "CASE WHEN p.leader = 1 AND p.kind <> 5 THEN p.officer_user_id ELSE p.leader_user_id END"
        confirmer = "CASE WHEN p.leader = 1 AND p.kind <> 6 THEN p.officer_user_id ELSE p.leader_user_id END"
        # Waivers (campaign 1): one share in a hundred elsewhere, two in five in the waiver units.
        waived = "((p.waiver_unit = 1 AND p.r % 5 < 2) OR (p.waiver_unit = 0 AND (p.household_id * 13) % 100 = 50))"
        rows["quotas"] = rows["shares"] = rows["sessions"] = rows["attendance"] = 0
        for campaign in campaigns:
            q = hours[campaign.pk]
            set_at = d.lit(datetime.combine(campaign.starts_on - timedelta(days=5), clock(1), UTC))
            rows["quotas"] += step(
                "INSERT INTO duties_quota (campaign_id, levy_id, unit_id, quantity, as_of, set_by_id, set_at)"
                f" SELECT {campaign.pk}, NULL, unit_id, {q * 25}, {d.lit(campaign.starts_on)},"
                f" {campaign.created_by_id}, {set_at} FROM bench_iu"
            )
            step("ANALYZE duties_quota")
            waive = f"CASE WHEN {waived} THEN 2 ELSE 0 END" if campaign is c1 else "0"
            members = (
                f"(SELECT COUNT(*) FROM registry_membership m WHERE m.household_id = p.household_id "
                f"AND m.until IS NULL AND m.since <= {d.lit(campaign.starts_on)})"
            )
            done = (
                f"CASE WHEN {attends[campaign.pk]} THEN (CASE WHEN {whole[campaign.pk]} THEN {members} ELSE 1 END) "
                f"* {q} ELSE 0 END"
            )
            stamp = stamp_of[campaign.pk]
            confirmed_at = d.at(d.day(campaign.ends_on), EVENING)
            rows["shares"] += step(
                f"""
                INSERT INTO duties_share (quota_id, household_id, quantity, waived, done, explanation, confirmed_at,
                                          confirmed_by_id, stamp_serial, cancelled_at, cancelled_remaining)
                SELECT qu.id, p.household_id, {q}, {waive}, {done}, '{{}}',
                       CASE WHEN {stamp} IS NULL THEN NULL ELSE {confirmed_at} END,
                       CASE WHEN {stamp} IS NULL THEN NULL ELSE {confirmer} END,
                       COALESCE({serial_of[campaign.pk]}, ''), NULL, NULL
                FROM bench_ih p
                JOIN duties_quota qu ON qu.unit_id = p.unit_id AND qu.campaign_id = {campaign.pk}
                """
            )
            # The stamps were issued by whoever confirmed the share, when they confirmed it.
            step(
                f"""
                UPDATE stamps_stamp SET issued_by_id = x.user_id, issued_at = {confirmed_at.replace("p.", "x.")}
                FROM (SELECT {stamp} AS stamp_id, {confirmer} AS user_id FROM bench_ih p WHERE {stamp} IS NOT NULL) x
                WHERE stamps_stamp.id = x.stamp_id
                """
            )
            rows["sessions"] += step(
                f"""
                INSERT INTO duties_session (campaign_id, unit_id, "on", starts_at, ends_at, place, created_by_id,
                                            created_at)
                SELECT {campaign.pk}, unit_id, {session_day(campaign, "ur")}, {d.lit(clock(8, 0))},
                       {d.lit(clock(8 + q, 0))}, '', leader_user_id, {set_at} FROM bench_iu
                """
            )
            for table in ("duties_share", "duties_session"):  # the planner must know they grew
                step(f"ANALYZE {table}")
            late = f"CASE WHEN p.kind = 3 THEN {LATE_DAYS} ELSE p.household_id % 3 END"
            recorded_at = d.at(d.plus('se."on"', late), EVENING)
            rows["attendance"] += step(
                f"""
                INSERT INTO duties_attendance (session_id, person_id, household_id, share_id, hours, recorded_by_id,
                                               recorded_at)
                SELECT se.id, m.person_id, p.household_id, sh.id, {q}, {recorder}, {recorded_at}
                FROM bench_ih p
                JOIN duties_session se ON se.unit_id = p.unit_id AND se.campaign_id = {campaign.pk}
                JOIN duties_quota qu ON qu.unit_id = p.unit_id AND qu.campaign_id = {campaign.pk}
                JOIN duties_share sh ON sh.quota_id = qu.id AND sh.household_id = p.household_id
                JOIN registry_membership m ON m.household_id = p.household_id AND m.until IS NULL
                     AND m.since <= se."on" AND (m.person_id = p.head_id OR {whole[campaign.pk]})
                WHERE {attends[campaign.pk]}
                """
            )
        requested = d.lit(datetime.combine(c1.starts_on - timedelta(days=3), clock(1), UTC))
        decided = d.lit(datetime.combine(c1.starts_on - timedelta(days=2), clock(1), UTC))
        rows["waivers"] = step(
            f"""
            INSERT INTO duties_waiver (share_id, quantity, reason, requested_by_id, requested_at, status,
                                       decided_by_id, decided_at, decision_note)
            SELECT sh.id, 2, 'hardship', p.leader_user_id, {requested},
                   CASE WHEN {waived} THEN 'approved' ELSE 'rejected' END, p.officer_user_id, {decided}, ''
            FROM bench_ih p
            JOIN duties_quota qu ON qu.unit_id = p.unit_id AND qu.campaign_id = {c1.pk}
            JOIN duties_share sh ON sh.quota_id = qu.id AND sh.household_id = p.household_id
            WHERE {waived} OR (p.household_id * 13) % 100 = 51
            """
        )

        # Stays, around each household's day D = CHECKS_FROM + (r mod 28): registered guests checked on D, late
        # registrations, overstays; an earlier stay, over before D, for the stay_unregistered households; a stay of
        # the same guest, registered before the check and covering D, for the near misses (the worker missed it).
        day = "(p.r % 28)"
        stay_kind = "((p.household_id * 17) % 50)"
        variants = [
            # arrival, expected departure, registered (days from D), departed as expected?, late, which households
            ("-1", "2", "-1", True, "FALSE", f"{stay_kind} = 11 AND p.kind = 0"),
            ("-1", "2", "1", True, "TRUE", f"{stay_kind} = 12 AND p.kind = 0"),
            ("-1", "2", "-1", False, "FALSE", f"{stay_kind} = 13 AND p.kind = 0"),
            ("-20", "-15", "-20", True, "FALSE", "p.kind = 1"),
            ("-1", "1", "-1", True, "FALSE", "p.kind = 8"),
        ]
        rows["stays"] = 0
        for arrive, depart, registered, departed, late_flag, where in variants:
            arrives_on = d.day(CHECKS_FROM, f"{day} + {arrive}")
            departs_on = d.day(CHECKS_FROM, f"{day} + {depart}")
            rows["stays"] += step(
                f"""
                INSERT INTO registry_stay (household_id, unit_id, guest_name, origin_area_id, origin_address,
                    document_number, purpose, purpose_note, arrives_on, departs_on, departed_on, deadline,
                    registered_at, registered_by_id, late, confirmed_at, confirmed_by_id, purged_at)
                SELECT p.household_id, p.unit_id, 'Guest', NULL, '', '', 'family', '', {arrives_on}, {departs_on},
                       {departs_on if departed else "NULL"}, {d.at(arrives_on, "13:00")},
                       {d.at(d.day(CHECKS_FROM, f"{day} + {registered}"), "11:00")}, p.leader_user_id, {late_flag},
                       NULL, NULL, NULL
                FROM bench_ih p WHERE {where}
                """
            )
        step(
            "INSERT INTO registry_stay_hosts (stay_id, person_id) SELECT s.id, p.head_id FROM registry_stay s "
            "JOIN bench_ih p ON p.household_id = s.household_id"
        )

        # Health checks on D: the head of one household in ten; the registered guests; the unregistered guests of the
        # stay_unregistered households and of the near misses.
        checked_on = d.day(CHECKS_FROM, day)
        recorded = d.at(checked_on, DAYTIME)
        rows["health checks"] = step(
            f"""
            INSERT INTO health_healthcheck (unit_id, household_id, subject, person_id, stay_id, guest_name,
                checked_on, temperature_c, symptoms, note, recorded_by_id, recorded_at)
            SELECT p.unit_id, p.household_id, 'resident', p.head_id, NULL, '', {checked_on},
                   CASE WHEN p.household_id % 20 = 0 THEN 38.2 ELSE 36.6 END, FALSE, '', p.health_user_id, {recorded}
            FROM bench_ih p WHERE (p.household_id * 31) % 10 = 3
            UNION ALL
            SELECT p.unit_id, p.household_id, 'registered_guest', NULL, s.id, '', {checked_on}, 36.7, FALSE, '',
                   p.health_user_id, {recorded}
            FROM bench_ih p JOIN registry_stay s ON s.household_id = p.household_id
            WHERE {stay_kind} = 11 AND p.kind = 0
            UNION ALL
            SELECT p.unit_id, p.household_id, 'unregistered_guest', NULL, NULL, 'Guest', {checked_on}, 36.8, FALSE,
                   '', p.health_user_id, {recorded}
            FROM bench_ih p WHERE p.kind IN (1, 8)
            """
        )

        # Members added: by the leader five days before the cycle's reference date (the pattern), by the officer on
        # the same day (a near miss), by the leader half a year before (clean, one household in a hundred).
        additions = [
            ("p.kind = 7", "p.leader_user_id", REFERENCE_DATE - timedelta(days=ADDED_DAYS_BEFORE)),
            ("p.kind = 9", "p.officer_user_id", REFERENCE_DATE - timedelta(days=ADDED_DAYS_BEFORE)),
            ("p.kind = 0 AND (p.household_id * 29) % 100 = 7", "p.leader_user_id", date(2025, 6, 2)),
        ]
        rows["persons added"] = rows["memberships added"] = 0
        for index, (where, actor, on) in enumerate(additions):
            rows["persons added"] += step(
                f"""
                INSERT INTO registry_person (family_name, given_name, birth_date, sex, national_id, status,
                                             household_id)
                SELECT 'Bench', 'added-{index}', {d.lit(on)}, 'f', NULL, 'resident', p.household_id
                FROM bench_ih p WHERE {where}
                """
            )
            rows["memberships added"] += step(
                f"""
                INSERT INTO registry_membership (household_id, person_id, relation, since, until)
                SELECT pe.household_id, pe.id, 'child', {d.lit(on)}, NULL FROM registry_person pe
                WHERE pe.family_name = 'Bench' AND pe.given_name = 'added-{index}'
                """
            )
            _audit(
                d,
                execute=step,
                action="membership.add",
                target_type="registry.membership",
                select=f"""
                    SELECT {d.at(d.lit(on), "01:00")} AS at, {actor} AS actor_id, m.id AS target_id,
                           p.path AS area_path, p.household_id AS household_id,
                           {d.obj(("household", "p.household_id"), ("person", "m.person_id"))} AS after
                    FROM bench_ih p JOIN registry_membership m ON m.household_id = p.household_id
                    JOIN registry_person pe ON pe.id = m.person_id
                    WHERE {where} AND pe.family_name = 'Bench' AND pe.given_name = 'added-{index}'
                """,
            )
        # The audit entries the services would have written for the attendance and the confirmations.
        rows["audit entries"] = _audit(
            d,
            execute=step,
            action="attendance.record",
            target_type="duties.attendance",
            select=f"""
                SELECT a.recorded_at AS at, a.recorded_by_id AS actor_id, a.id AS target_id, p.path AS area_path,
                       a.household_id AS household_id,
                       {d.obj(("session", "a.session_id"), ("person", "a.person_id"), ("hours", "a.hours"))} AS after
                FROM duties_attendance a JOIN bench_ih p ON p.household_id = a.household_id
            """,
        )
        rows["audit entries"] += _audit(
            d,
            execute=step,
            action="share.confirm",
            target_type="duties.share",
            select=f"""
                SELECT sh.confirmed_at AS at, sh.confirmed_by_id AS actor_id, sh.id AS target_id, p.path AS area_path,
                       sh.household_id AS household_id,
                       {d.obj(("done", "sh.done"), ("stamp", "sh.stamp_serial"))} AS after
                FROM duties_share sh JOIN bench_ih p ON p.household_id = sh.household_id
                WHERE sh.confirmed_at IS NOT NULL
            """,
        )
        began = time.perf_counter()
        detached.restore()
        phases["restore indexes and keys"] = time.perf_counter() - began
    began = time.perf_counter()
    settle_database()
    phases["vacuum analyze"] = time.perf_counter() - began
    return {"rows": rows, "phases": phases, "cycle": cycle.pk, **_expected(d, c1)}


def _audit(d: Dialect, *, action: str, target_type: str, select: str, execute=_execute) -> int:
    """Append audit entries in bulk, numbered after the last (with placeholder hashes: see the module's docstring)."""
    last = _scalar("SELECT COALESCE(MAX(seq), 0) FROM audit_auditentry")
    seq = f"({last} + ROW_NUMBER() OVER (ORDER BY x.at, x.target_id))"
    placeholder = "('b' || lpad(CAST({seq} AS TEXT), 63, '0'))" if d.pg else "('b' || printf('%063d', {seq}))"
    return execute(
        f"""
        INSERT INTO audit_auditentry (seq, at, actor_id, actor_name, action, target_type, target_id, target_repr,
                                      area_path, household_id, before, after, origin, prev_hash, hash)
        SELECT {seq}, x.at, x.actor_id, 'bench', '{action}', '{target_type}', {d.text("x.target_id")}, '',
               x.area_path, x.household_id, NULL, x.after, '{{}}', {placeholder.format(seq=seq + " - 1")},
               {placeholder.format(seq=seq)}
        FROM ({select}) x
        """
    )


def session_day(campaign, unit_rank: str) -> str:
    """The day of a unit's session of `campaign`: the units take turns over the campaign's days."""
    span = (campaign.ends_on - campaign.starts_on).days + 1
    return _dialect().day(campaign.starts_on, f"{unit_rank} % {span}")


def _expected(d: Dialect, first_campaign) -> dict:
    """Households seeded with each pattern, and the flags the scan should raise for them (by its keys: one per check,
    per session and household, per stamp, per session and recorder, per session, per unit, per cycle and household)."""
    c1_attending = "((p.stamp1_id IS NOT NULL AND p.kind <> 2) OR p.kind IN (3, 5))"
    seeded = {
        "stay_unregistered": "p.kind = 1",
        "stamp_unfulfilled": "p.kind = 2 AND p.stamp1_id IS NOT NULL",
        "late_attendance": "p.kind = 3",
        "leader_own_attendance": "p.kind = 5",
        "leader_own_confirmation": "p.kind = 6 AND (p.stamp1_id IS NOT NULL OR p.stamp2_id IS NOT NULL)",
        "members_before_cycle": "p.kind = 7",
        "bulk_attendance": f"p.bulk_unit = 1 AND {c1_attending}",
        "waiver_rate": "p.waiver_unit = 1 AND p.r % 5 < 2",
    }
    households = {
        pattern: _scalar(f"SELECT COUNT(*) FROM bench_ih p WHERE {where}") for pattern, where in seeded.items()
    }
    # Whole households at the bulk units' session: every member attended, so those with a member of working age.
    on, rule = session_day(first_campaign, "p.ur"), first_campaign.rule
    working_member = (
        "SELECT 1 FROM registry_membership m JOIN registry_person pe ON pe.id = m.person_id "
        f"WHERE m.household_id = p.household_id AND m.until IS NULL AND m.since <= {on} "
        f"AND pe.birth_date > {d.years_before(on, str(rule.max_age + 1))} "
        f"AND pe.birth_date <= {d.years_before(on, str(rule.min_age))}"
    )
    stamps = "(CASE WHEN p.stamp1_id IS NULL THEN 0 ELSE 1 END + CASE WHEN p.stamp2_id IS NULL THEN 0 ELSE 1 END)"
    expected = {
        "stay_unregistered": households["stay_unregistered"],
        "stamp_unfulfilled": households["stamp_unfulfilled"],
        # One per session and recorder: the late households' units, once per campaign they attended.
        "late_attendance": _scalar("SELECT COUNT(DISTINCT p.unit_id) FROM bench_ih p WHERE p.kind = 3")
        + _scalar("SELECT COUNT(DISTINCT p.unit_id) FROM bench_ih p WHERE p.kind = 3 AND p.stamp2_id IS NOT NULL"),
        # One per session and household: campaign 1, and campaign 2 when stamped.
        "leader_own_attendance": _scalar(
            "SELECT COUNT(*) + SUM(CASE WHEN p.stamp2_id IS NULL THEN 0 ELSE 1 END) FROM bench_ih p WHERE p.kind = 5"
        ),
        "leader_own_confirmation": _scalar(f"SELECT COALESCE(SUM({stamps}), 0) FROM bench_ih p WHERE p.kind = 6"),
        "members_before_cycle": households["members_before_cycle"],
        # One per session: the bulk units' first session, where the leader recorded at least 5 whole households and
        # at least 80% of those that attended (the leader's own household is recorded by the officer).
        "bulk_attendance": _scalar(
            f"""
            SELECT COUNT(*) FROM (
                SELECT p.unit_id, COUNT(*) AS attending,
                       SUM(CASE WHEN p.leader = 1 AND p.kind <> 5 THEN 0
                                WHEN EXISTS ({working_member}) THEN 1 ELSE 0 END) AS by_leader
                FROM bench_ih p WHERE p.bulk_unit = 1 AND {c1_attending} GROUP BY p.unit_id
            ) u WHERE u.by_leader >= 5 AND u.by_leader * 100 >= 80 * u.attending
            """
        ),
        "waiver_rate": _scalar("SELECT COUNT(DISTINCT unit_id) FROM bench_ih WHERE waiver_unit = 1"),
    }
    flagged = _scalar("SELECT COUNT(*) FROM bench_ih p WHERE " + " OR ".join(f"({where})" for where in seeded.values()))
    return {"seeded": households, "expected": expected, "flagged_households": flagged}


# The floor: the same scan, hand-written ----------------------------------------------------------------------------


def _flag_table_copy() -> None:
    """`bench_flag`: an empty table like integrity_flag, with its indexes and constraints (on PostgreSQL, not its
    foreign keys)."""
    from django.db import connection

    _execute("DROP TABLE IF EXISTS bench_flag")
    if connection.vendor == "postgresql":
        _execute("CREATE TABLE bench_flag (LIKE integrity_flag INCLUDING ALL)")
        return
    for (sql,) in _rows(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'integrity_flag' AND sql IS NOT NULL ORDER BY type DESC"
    ):
        sql = sql.replace('"integrity_flag"', '"bench_flag"').replace("integrity_flag", "bench_flag")
        if sql.upper().startswith("CREATE") and " INDEX " in sql.upper():
            # Index names are global in SQLite.
            name = sql.split('"')[1]
            sql = sql.replace(f'"{name}"', f'"bench_{name}"', 1)
        _execute(sql)


def hand_written_statements(d: Dialect, today: date, depth: int, cycle_window) -> dict[str, str]:
    """One INSERT … SELECT per pattern, written for this deployment: the default rules as constants, the unit's office
    by LEFT JOINs up the parent chain (one office per area), JSON by the database's own functions."""
    from django.utils import timezone

    from inminban.integrity.rules import BULK_SECONDS, DEFAULTS

    tomorrow = datetime.combine(today + timedelta(days=1), clock.min, timezone.get_current_timezone())
    rule = {str(pattern): value for pattern, value in DEFAULTS.items()}
    late_days = int(rule["late_attendance"].threshold)
    bulk_percent, bulk_min = float(rule["bulk_attendance"].threshold), rule["bulk_attendance"].min_count
    waiver_ratio, waiver_min = float(rule["waiver_rate"].threshold), rule["waiver_rate"].min_count
    cycle_days = int(rule["members_before_cycle"].threshold)
    now = d.lit(timezone.now())

    def office(unit: str) -> tuple[str, str]:
        """(joins, expression): the office of the area `unit` or of the nearest area above it."""
        joins = [f"LEFT JOIN areas_office o0 ON o0.area_id = {unit}.id"]
        parent = unit
        for level in range(1, depth + 1):
            joins.append(f"LEFT JOIN areas_area a{level} ON a{level}.id = {parent}.parent_id")
            joins.append(f"LEFT JOIN areas_office o{level} ON o{level}.area_id = a{level}.id")
            parent = f"a{level}"
        return " ".join(joins), f"COALESCE({', '.join(f'o{level}.id' for level in range(depth + 1))})"

    def insert(pattern: str, candidates: str) -> str:
        """The candidates (k, unit_id, leader_id, occurred_on, evidence, facts) with their office, into bench_flag."""
        joins, office_id = office("u")
        return f"""
            INSERT INTO bench_flag (pattern, key, unit_id, office_id, leader_id, occurred_on, evidence, facts,
                                    raised_at, status, explanation, decision_reason)
            SELECT '{pattern}', c.k, c.unit_id, {office_id}, c.leader_id, c.occurred_on, c.evidence, c.facts, {now},
                   'open', '', ''
            FROM ({candidates}) c JOIN areas_area u ON u.id = c.unit_id {joins}
            WHERE {office_id} IS NOT NULL
            ON CONFLICT (pattern, key) DO NOTHING
        """

    def current(alias: str, day: str) -> str:
        return f"{alias}.since <= {day} AND ({alias}.until IS NULL OR {alias}.until > {day})"

    # Leaders with the households they belong to, once, for the leader-own patterns.
    leader_homes = """
        SELECT ra.user_id AS user_id, ra.area_id AS unit_id, ra.since AS since, ra.until AS until,
               m.household_id AS household_id, m.since AS m_since, m.until AS m_until
        FROM areas_roleassignment ra
        JOIN areas_roleassignment rp ON rp.user_id = ra.user_id AND rp.role IN ('leader', 'resident')
             AND rp.person_id IS NOT NULL
        JOIN registry_membership m ON m.person_id = rp.person_id
        WHERE ra.role = 'leader'
    """

    def own(user: str, unit: str, household: str, day: str) -> str:
        return (
            f"EXISTS (SELECT 1 FROM ({leader_homes}) lh WHERE lh.user_id = {user} AND lh.unit_id = {unit} "
            f"AND lh.household_id = {household} AND lh.since <= {day} AND (lh.until IS NULL OR lh.until > {day}) "
            f"AND lh.m_since <= {day} AND (lh.m_until IS NULL OR lh.m_until > {day}))"
        )

    def leads(user: str, unit: str, day: str | None = None) -> str:
        dated = f" AND {current('ra', day)}" if day else ""
        return (
            f"EXISTS (SELECT 1 FROM areas_roleassignment ra WHERE ra.user_id = {user} AND ra.role = 'leader' "
            f"AND ra.area_id = {unit}{dated})"
        )

    sitting = (
        "(SELECT ra.user_id FROM areas_roleassignment ra WHERE ra.area_id = h.unit_id AND ra.role = 'leader' AND "
        f"{current('ra', 'h.checked_on')} ORDER BY ra.since DESC, ra.id DESC LIMIT 1)"
    )
    statements = {}
    statements["stay_unregistered"] = insert(
        "stay_unregistered",
        f"""
        SELECT 'healthcheck:' || {d.text("h.id")} AS k, h.unit_id, {sitting} AS leader_id, h.checked_on AS occurred_on,
               {d.arr(d.item("healthcheck", "h.id"))} AS evidence, {d.obj(("household", "h.household_id"))} AS facts
        FROM health_healthcheck h
        WHERE h.subject = 'unregistered_guest' AND h.checked_on <= {d.lit(today)}
          AND NOT EXISTS (SELECT 1 FROM registry_stay s WHERE s.household_id = h.household_id
                          AND s.arrives_on <= h.checked_on AND h.checked_on <= COALESCE(s.departed_on, s.departs_on)
                          AND s.registered_at <= h.recorded_at
                          AND (REPLACE(s.guest_name, ' ', '') = REPLACE(h.guest_name, ' ', '')
                               OR s.purged_at IS NOT NULL OR h.guest_name = ''))
        """,
    )
    statements["leader_own_attendance"] = insert(
        "leader_own_attendance",
        f"""
        SELECT 'session:' || {d.text("s.id")} || ':household:' || {d.text("a.household_id")} AS k, s.unit_id,
               a.recorded_by_id AS leader_id, s."on" AS occurred_on,
               {d.prepend(d.item("session", "s.id"), d.agg(d.item("attendance", "a.id")))} AS evidence,
               {d.obj(("household", "a.household_id"), ("attendances", "COUNT(*)"), ("hours", "SUM(a.hours)"))}
                 AS facts
        FROM duties_attendance a JOIN duties_session s ON s.id = a.session_id
        WHERE s."on" <= {d.lit(today)} AND {own("a.recorded_by_id", "s.unit_id", "a.household_id", 's."on"')}
        GROUP BY s.id, s.unit_id, s."on", a.household_id, a.recorded_by_id
        """,
    )
    issued_on = d.local_date("st.issued_at")
    duty_kinds = "('labour', 'levy', 'directive')"
    statements["leader_own_confirmation"] = insert(
        "leader_own_confirmation",
        f"""
        SELECT 'stamp:' || {d.text("st.id")} AS k, st.unit_id, st.issued_by_id AS leader_id, {issued_on} AS occurred_on,
               CASE WHEN sh.id IS NULL THEN {d.arr(d.item("stamp", "st.id"))}
                    ELSE {d.arr(d.item("stamp", "st.id"), d.item("share", "sh.id"))} END AS evidence,
               {d.obj(("household", "st.household_id"))} AS facts
        FROM stamps_stamp st
        LEFT JOIN duties_share sh ON {d.serial_matches("st", "sh")} AND sh.household_id = st.household_id
        WHERE st.duty_kind IN {duty_kinds} AND st.issued_by_id IS NOT NULL AND st.issued_at < {d.lit(tomorrow)}
          AND {own("st.issued_by_id", "st.unit_id", "st.household_id", issued_on)}
        """,
    )
    statements["stamp_unfulfilled"] = insert(
        "stamp_unfulfilled",
        f"""
        SELECT 'stamp:' || {d.text("z.stamp_id")} AS k, z.unit_id,
               CASE WHEN {leads("z.issued_by_id", "z.unit_id")} THEN z.issued_by_id END AS leader_id,
               {d.local_date("z.issued_at")} AS occurred_on,
               {d.arr(d.item("stamp", "z.stamp_id"), d.item("share", "z.share_id"))} AS evidence,
               {d.obj(("household", "z.household_id"), ("due", "z.due"), ("recorded", "z.recorded"))} AS facts
        FROM (
          SELECT st.id AS stamp_id, st.unit_id, st.issued_by_id, st.issued_at, sh.id AS share_id, sh.household_id,
                 sh.quantity - sh.waived AS due,
                 CASE WHEN c.measure = 'person_hours' THEN COALESCE(at.hours, 0) ELSE COALESCE(dl.quantity, 0) END
                   AS recorded
          FROM duties_share sh
          JOIN stamps_stamp st ON {d.serial_matches("st", "sh")}
          JOIN duties_quota q ON q.id = sh.quota_id LEFT JOIN duties_campaign c ON c.id = q.campaign_id
          LEFT JOIN (SELECT share_id, SUM(hours) AS hours FROM duties_attendance GROUP BY share_id) at
                 ON at.share_id = sh.id
          LEFT JOIN (SELECT share_id, SUM(quantity) AS quantity FROM duties_delivery GROUP BY share_id) dl
                 ON dl.share_id = sh.id
          WHERE sh.stamp_serial <> '' AND st.revoked_at IS NULL AND st.issued_at < {d.lit(tomorrow)}
        ) z
        WHERE z.recorded < z.due - 0.001
        """,
    )
    # Per session and household: one recorder, within seconds, with the attendees of working age (born in
    # (oldest, youngest] under the campaign's allocation rule); then the household's members of working age that day,
    # joined and counted: a whole household is one where they all attended.
    working = "sw.oldest < pa.birth_date AND pa.birth_date <= sw.youngest"
    statements["bulk_attendance"] = insert(
        "bulk_attendance",
        f"""
        SELECT 'session:' || {d.text("w.session_id")} AS k, s.unit_id,
               CASE WHEN {leads("w.recorder", "s.unit_id")} THEN w.recorder END AS leader_id, s."on" AS occurred_on,
               {d.arr(d.item("session", "w.session_id"))} AS evidence,
               {d.obj(("households", "w.whole"), ("attending_households", "t.attending"))} AS facts
        FROM (
          SELECT pm.session_id, pm.recorder, COUNT(*) AS whole
          FROM (
            SELECT ph.session_id, ph.household_id, ph.recorder
            FROM (
              SELECT a.session_id, a.household_id, MIN(a.recorded_by_id) AS recorder, MIN(sw.on_day) AS on_day,
                     MIN(sw.oldest) AS oldest, MIN(sw.youngest) AS youngest,
                     SUM(CASE WHEN {working} THEN 1 ELSE 0 END) AS attended
              FROM duties_attendance a
              JOIN (SELECT s0.id, s0."on" AS on_day, {d.years_before('s0."on"', "r0.max_age + 1")} AS oldest,
                           {d.years_before('s0."on"', "r0.min_age")} AS youngest
                    FROM duties_session s0 JOIN duties_campaign c0 ON c0.id = s0.campaign_id
                    JOIN duties_allocationrule r0 ON r0.id = c0.rule_id
                    WHERE s0."on" <= {d.lit(today)}) sw ON sw.id = a.session_id
              JOIN registry_person pa ON pa.id = a.person_id
              GROUP BY a.session_id, a.household_id
              HAVING COUNT(DISTINCT a.recorded_by_id) = 1
                 AND {d.seconds("MAX(a.recorded_at)", "MIN(a.recorded_at)")} <= {BULK_SECONDS}
                 AND SUM(CASE WHEN {working} THEN 1 ELSE 0 END) >= 1
            ) ph
            JOIN registry_membership m ON m.household_id = ph.household_id AND {current("m", "ph.on_day")}
            JOIN registry_person mp ON mp.id = m.person_id AND ph.oldest < mp.birth_date
                 AND mp.birth_date <= ph.youngest
            GROUP BY ph.session_id, ph.household_id, ph.recorder, ph.attended
            HAVING ph.attended >= COUNT(*)
          ) pm
          GROUP BY pm.session_id, pm.recorder
        ) w
        JOIN (SELECT session_id, COUNT(DISTINCT household_id) AS attending FROM duties_attendance GROUP BY session_id)
             t ON t.session_id = w.session_id
        JOIN duties_session s ON s.id = w.session_id
        WHERE w.whole >= {bulk_min} AND w.whole * 100 >= {bulk_percent} * t.attending
        """,
    )
    days_after = d.days(d.local_date("a.recorded_at"), 's."on"')
    statements["late_attendance"] = insert(
        "late_attendance",
        f"""
        SELECT 'session:' || {d.text("s.id")} || ':late:' || {d.text("a.recorded_by_id")} AS k, s.unit_id,
               CASE WHEN {leads("a.recorded_by_id", "s.unit_id")} THEN a.recorded_by_id END AS leader_id,
               s."on" AS occurred_on,
               {d.prepend(d.item("session", "s.id"), d.agg(d.item("attendance", "a.id")))} AS evidence,
               {d.obj(("attendances", "COUNT(*)"), ("days_after", f"MAX({days_after})"))} AS facts
        FROM duties_attendance a JOIN duties_session s ON s.id = a.session_id
        WHERE a.recorded_at < {d.lit(tomorrow)} AND {days_after} > {late_days}
        GROUP BY s.id, s.unit_id, s."on", a.recorded_by_id
        """,
    )
    quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    statements["waiver_rate"] = _waiver_rate(
        d,
        insert,
        office,
        sitting.replace("h.unit_id", "uo.unit_id").replace("h.checked_on", d.lit(today)),
        today,
        tomorrow,
        waiver_ratio,
        waiver_min,
        quarter,
    )
    if cycle_window is not None:
        since, until = cycle_window
        added_on = d.local_date("e.at")
        days_before = d.days("cy.reference_date", added_on)
        household_in_after = (
            "(e.after ->> 'household') = CAST(e.household_id AS TEXT)"
            if d.pg
            else "json_extract(e.after, '$.household') = e.household_id"
        )
        statements["members_before_cycle"] = insert(
            "members_before_cycle",
            f"""
            SELECT 'cycle:' || {d.text("cy.id")} || ':household:' || {d.text("h.id")} AS k, h.unit_id,
                   MIN(e.actor_id) AS leader_id, MAX({added_on}) AS occurred_on,
                   {d.prepend(d.item("cycle", "cy.id"), d.agg(d.item("membership", "m.id")))} AS evidence,
                   {
                d.obj(
                    ("household", "h.id"),
                    ("members_added", "COUNT(DISTINCT m.id)"),
                    ("days_before", f"MIN({days_before})"),
                )
            } AS facts
            FROM audit_auditentry e
            JOIN registry_household h ON h.id = e.household_id
            JOIN areas_area u ON u.id = h.unit_id
            JOIN registry_membership m ON m.household_id = e.household_id
                 AND ((e.target_type = 'registry.membership' AND e.target_id = {d.text("m.id")})
                      OR (e.target_type = 'registry.person' AND e.target_id = {d.text("m.person_id")}))
            JOIN entitlements_cycle cy ON {current("m", "cy.reference_date")}
            JOIN entitlements_program pr ON pr.id = cy.program_id AND pr.kind IN ('grain_ration', 'cash_benefit')
            JOIN areas_area pa ON pa.id = pr.area_id
            WHERE e.action IN ('membership.add', 'person.register', 'person.move')
              AND e.at >= {d.lit(since)} AND e.at < {d.lit(until)}
              AND substr(u.path, 1, length(pa.path)) = pa.path
              AND (e.action <> 'person.move' OR {household_in_after})
              AND {days_before} >= 0 AND {days_before} <= {cycle_days}
              AND {leads("e.actor_id", "h.unit_id", added_on)}
              AND NOT EXISTS (SELECT 1 FROM areas_roleassignment ro WHERE ro.user_id = e.actor_id
                              AND ro.role IN ('officer', 'admin'))
            GROUP BY cy.id, h.id, h.unit_id
            """,
        )
    return statements


def _waiver_rate(d, insert, office, sitting, today, tomorrow, ratio, minimum, quarter) -> str:
    from django.utils import timezone

    since = d.lit(datetime.combine(today - timedelta(days=365), clock.min, timezone.get_current_timezone()))
    until = d.lit(tomorrow)
    joins, office_id = office("u")
    approved = f"w.status = 'approved' AND w.decided_at >= {since} AND w.decided_at < {until}"
    return insert(
        "waiver_rate",
        f"""
        WITH uo AS (
          SELECT ev.unit_id, ev.waivers, ev.exemptions, ev.shares, {office_id} AS office_id
          FROM (
            SELECT unit_id, SUM(waivers) AS waivers, SUM(exemptions) AS exemptions, SUM(shares) AS shares FROM (
              SELECT q.unit_id, COUNT(*) AS waivers, 0 AS exemptions, 0 AS shares
              FROM duties_waiver w JOIN duties_share sh ON sh.id = w.share_id JOIN duties_quota q ON q.id = sh.quota_id
              WHERE {approved}
              GROUP BY q.unit_id
              UNION ALL
              SELECT h.unit_id, 0, COUNT(*), 0
              FROM duties_dutyexemption e JOIN registry_person p ON p.id = e.person_id
              JOIN registry_household h ON h.id = p.household_id
              WHERE e.recorded_at >= {since} AND e.recorded_at < {until}
              GROUP BY h.unit_id
              UNION ALL
              SELECT q.unit_id, 0, 0, COUNT(*)
              FROM duties_share sh JOIN duties_quota q ON q.id = sh.quota_id
              WHERE q.set_at >= {since} AND q.set_at < {until}
              GROUP BY q.unit_id
            ) parts GROUP BY unit_id
          ) ev JOIN areas_area u ON u.id = ev.unit_id {joins}
        ),
        oc AS (
          SELECT office_id, SUM(waivers + exemptions) AS events, SUM(shares) AS shares
          FROM uo WHERE office_id IS NOT NULL GROUP BY office_id
        )
        SELECT 'unit:' || {d.text("uo.unit_id")} || ':{quarter}' AS k, uo.unit_id, {sitting} AS leader_id,
               {d.lit(today)} AS occurred_on,
               COALESCE((SELECT {d.agg(d.item("waiver", "w.id"))} FROM duties_waiver w
                         JOIN duties_share sh ON sh.id = w.share_id JOIN duties_quota q ON q.id = sh.quota_id
                         WHERE q.unit_id = uo.unit_id AND {approved}), {d.arr()}) AS evidence,
               {
            d.obj(
                ("waivers", "uo.waivers"),
                ("exemptions", "uo.exemptions"),
                ("shares", "uo.shares"),
                ("district_events", "oc.events"),
                ("district_shares", "oc.shares"),
            )
        } AS facts
        FROM uo JOIN oc ON oc.office_id = uo.office_id
        WHERE uo.shares > 0 AND oc.shares > 0 AND uo.waivers + uo.exemptions >= {minimum}
          AND (uo.waivers + uo.exemptions) * oc.shares >= {ratio} * oc.events * uo.shares
        """,
    )


def cycle_window(today: date):
    """When member-adding audit entries can matter to members_before_cycle: the product's window (scan.py), from the
    cycles' reference dates and the longest threshold; None without a cycle."""
    from django.db.models import Max, Min
    from django.utils import timezone

    from inminban.entitlements.models import Cycle
    from inminban.integrity.rules import DEFAULTS

    span = Cycle.objects.filter(program__kind__in=("grain_ration", "cash_benefit")).aggregate(
        first=Min("reference_date"), last=Max("reference_date")
    )
    if span["first"] is None:
        return None
    zone = timezone.get_current_timezone()
    longest = int(DEFAULTS["members_before_cycle"].threshold)
    since = datetime.combine(span["first"] - timedelta(days=longest + 1), clock.min, zone)
    until = min(
        datetime.combine(span["last"] + timedelta(days=1), clock.min, zone),
        datetime.combine(today + timedelta(days=1), clock.min, zone),
    )
    return since, until


def hand_written(today: date) -> tuple[float, dict[str, float], dict[str, int]]:
    """Run the hand-written scan into a fresh `bench_flag`; returns the seconds, per pattern too, and the flags."""
    from django.db.models import Max

    from inminban.areas.models import Area

    d = _dialect()
    depth = Area.objects.aggregate(depth=Max("depth"))["depth"] or 0
    _flag_table_copy()
    statements = hand_written_statements(d, today, depth, cycle_window(today))
    seconds, flags = {}, {}
    started = time.perf_counter()
    for pattern, sql in statements.items():
        began = time.perf_counter()
        flags[pattern] = max(_execute(sql), 0)
        seconds[pattern] = time.perf_counter() - began
    return time.perf_counter() - started, seconds, flags


def flag_counts(table: str) -> dict[str, int]:
    return {pattern: count for pattern, count in _rows(f"SELECT pattern, COUNT(*) FROM {table} GROUP BY pattern")}


COMPARED = "pattern, key, unit_id, office_id, leader_id, occurred_on"


def compare_flags() -> dict:
    """The flags only the scan raised and only the hand-written SQL raised (same pattern, key, unit, office, leader
    and day), with a few of each."""
    ours = f"SELECT {COMPARED} FROM integrity_flag"
    floor = f"SELECT {COMPARED} FROM bench_flag"
    only_a = _rows(f"SELECT * FROM ({ours} EXCEPT {floor}) x ORDER BY 1, 2 LIMIT 5")
    only_b = _rows(f"SELECT * FROM ({floor} EXCEPT {ours}) x ORDER BY 1, 2 LIMIT 5")
    return {
        "only_a": _scalar(f"SELECT COUNT(*) FROM ({ours} EXCEPT {floor}) x"),
        "only_b": _scalar(f"SELECT COUNT(*) FROM ({floor} EXCEPT {ours}) x"),
        "differences": [f"scan only: {row}" for row in only_a] + [f"hand-written only: {row}" for row in only_b],
    }


def _timed_scan(today: date, days: int | None = None) -> tuple[float, dict[str, float], dict[str, int], int]:
    """The product's scan (over all history, or the last `days` days), with the seconds each pattern took (from its
    progress calls) and its statement count."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from inminban.integrity.scan import integrity_scan

    marks = [time.perf_counter()]

    def progress(*_args, **_kwargs):
        marks.append(time.perf_counter())

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        raised = integrity_scan(today=today, days=days, progress=progress)
        seconds = time.perf_counter() - started
    raised = {str(pattern): count for pattern, count in raised.items()}
    per_pattern = {}
    if len(marks) == len(raised) + 1:
        per_pattern = {pattern: marks[i + 1] - marks[i] for i, pattern in enumerate(raised)}
    return seconds, per_pattern, raised, len(queries)


def window_records(today: date, days: int) -> dict[str, tuple[int, int]]:
    """How many of the records the patterns are driven by lie inside the window, against all of them."""
    from inminban.integrity.scan import window_start

    d = _dialect()
    since = d.lit(window_start(today, days))
    day = d.lit(today - timedelta(days=days))
    member_adding = "action IN ('membership.add', 'person.register', 'person.move')"
    counts = {
        "attendance": ("duties_attendance", f"recorded_at >= {since}", "1 = 1"),
        "stamps": ("stamps_stamp", f"issued_at >= {since}", "1 = 1"),
        "health checks": ("health_healthcheck", f"checked_on >= {day} OR recorded_at >= {since}", "1 = 1"),
        "member-adding audit entries": ("audit_auditentry", f"{member_adding} AND at >= {since}", member_adding),
    }
    return {
        kind: (
            _scalar(f"SELECT COUNT(*) FROM {table} WHERE {inside}"),
            _scalar(f"SELECT COUNT(*) FROM {table} WHERE {every}"),
        )
        for kind, (table, inside, every) in counts.items()
    }


# Child ------------------------------------------------------------------------------------------------------------


def child(result_path: str, households: int, existing: str | None = None) -> None:
    """Generate the city (or, with `existing`, take the city of that code a generator run left in the database, for
    trying changes to this benchmark), give it the records, and time (a), (b) and (c)."""
    child_setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.db import connection, transaction

    from inminban.areas.models import Area
    from inminban.duties.models import Campaign
    from inminban.integrity.models import Pattern
    from inminban.synth import bulk_schema
    from inminban.synth.bulk import analyze_registry, generate_city

    result: dict = {"database": connection.vendor, "patterns": list(Pattern.values)}
    try:
        admin = User.objects.filter(username="bench-admin").first() or User.objects.create_superuser(
            "bench-admin", password="bench-admin-password"
        )
        began = time.perf_counter()
        if existing:
            city = Area.objects.get(code=existing)
        else:
            load = generate_city(households=households, city=CITY, progress=None)
            if load.foreign_keys_later:  # as the background job would, before anyone scans
                bulk_schema.validate_constraints(load.foreign_keys_later, lambda *_: None)
            city = load.city
        analyze_registry()
        result["generate_seconds"] = time.perf_counter() - began
        campaigns = list(Campaign.objects.filter(area=city).order_by("id")[:2])
        began = time.perf_counter()
        seeded = seed_records(city, campaigns, admin)
        result["seed_seconds"] = time.perf_counter() - began
        result["row_counts"] = seeded["rows"]
        result["seed_phases"] = seeded["phases"]
        result["rows"] = sum(seeded["rows"].values())
        for key in ("seeded", "expected", "flagged_households"):
            result[key] = seeded[key]
        result["households"] = _scalar("SELECT COUNT(*) FROM bench_ih")

        # (b) twice, each into an empty bench_flag; the first is rolled back, the second kept for the comparison.
        runs = []
        for keep in (False, True):
            with transaction.atomic():
                seconds, per_pattern, flags = hand_written(TODAY)
                runs.append((seconds, per_pattern, flags))
                transaction.set_rollback(not keep)
        seconds, per_pattern, flags = min(runs, key=lambda run: run[0])
        result.update(b_seconds=seconds, b_pattern_seconds=per_pattern, b_flags=flag_counts("bench_flag"))
        result["b_runs"] = [run[0] for run in runs]

        if connection.vendor == "postgresql":
            # The same two with PostgreSQL's JIT compiler off, rolled back: how much of each is compiling.
            with transaction.atomic():
                _execute("SET LOCAL jit = off")
                result["b_nojit_seconds"] = hand_written(TODAY)[0]
                transaction.set_rollback(True)
            with transaction.atomic():
                _execute("SET LOCAL jit = off")
                seconds, per_pattern, _, _ = _timed_scan(TODAY)
                result.update(a_nojit_seconds=seconds, a_nojit_pattern_seconds=per_pattern)
                transaction.set_rollback(True)

        # (a), then (c).
        seconds, per_pattern, raised, statements = _timed_scan(TODAY)
        result.update(a_seconds=seconds, a_pattern_seconds=per_pattern, a_raised=raised, a_statements=statements)
        result["a_flags"] = flag_counts("integrity_flag")
        seconds, per_pattern, raised, _ = _timed_scan(TODAY)
        result.update(c_seconds=seconds, c_pattern_seconds=per_pattern, c_raised=raised)
        # (d): the repeat scan as the hourly job runs it, over its window.
        days = settings.INTEGRITY_SCAN_DAYS
        seconds, per_pattern, raised, _ = _timed_scan(TODAY, days=days)
        result.update(d_seconds=seconds, d_pattern_seconds=per_pattern, d_raised=raised, window_days=days)
        result["window_since"] = (TODAY - timedelta(days=days)).isoformat()
        result["window_records"] = window_records(TODAY, days)
        result.update(compare_flags())
        result["same_flags"] = (
            result["only_a"] == 0 and result["only_b"] == 0 and result["a_flags"] == result["b_flags"]
        )
        result["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    except Exception as error:
        result["error"] = f"{type(error).__name__}: {error}"
        raise
    finally:
        write_result(result_path, result)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", action="store_true", help="run one database's part (from the environment)")
    parser.add_argument("--result", help="where the child writes its JSON result")
    parser.add_argument("--households", type=int, default=None)
    parser.add_argument("--national", action="store_true", help=f"PostgreSQL at {NATIONAL_HOUSEHOLDS:,} households")
    parser.add_argument("--existing", metavar="CITY", help="with --child: a city already generated in the database")
    args = parser.parse_args(argv)
    if args.child:
        child(args.result, args.households or DEFAULT_HOUSEHOLDS, existing=args.existing)
    else:
        from benchmarks.common import print_machine_facts

        print_machine_facts()
        run(households=args.households, national=args.national)


if __name__ == "__main__":
    main(sys.argv[1:])
