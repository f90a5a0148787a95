"""cycle: a ration cycle for a whole city (1 million households by default; `--national` for 6.5 million).

For SQLite and PostgreSQL each, in one run on the same data: generate a city with `inminban generate`'s bulk
loader (households, members, jobs, and stamps for two labour campaigns held by 90% and 85% of households), then
a grain-ration program gated on both stamps (plus residence) with the nine-level age/occupation norms, and time:

  (a) `cycle_generate`: the product's set-based path (one INSERT … SELECT per range of household ids);
  (b) the floor: the same rows written by ONE hand-written INSERT … SELECT into a scratch table, checked to be
      identical to (a) with EXCEPT in both directions;
  (c) a per-record ORM loop, one household at a time (its members, jobs, residence and stamps read, the rule
      evaluated in Python, the row saved), as the social-protection registries do in their 200–2,000-row queue
      jobs, on a 10,000-household sample, extrapolated to the city.

It prints households per second for each and the ratios (targets: a/b ≤ 1.5; c/a ≥ 100), and the peak Python
memory of (a) (tracemalloc) on a 100,000-household program and on the whole city: flat, because the work is in
the database.

    python -m benchmarks cycle                      # 1,000,000 households on both databases
    python -m benchmarks.bench_cycle --national     # 6,500,000 (PostgreSQL; SQLite stays at 1,000,000)
    python -m benchmarks.bench_cycle --households 200000
    INMINBAN_DATABASE_URL=postgres://…/national python -m benchmarks.bench_cycle --existing SY   # a generated city
"""

import argparse
import json
import os
import resource
import sys
import time
import tracemalloc
from datetime import date
from pathlib import Path
from types import SimpleNamespace

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
SMALL_PROGRAM = 100_000
SAMPLE = 10_000
PERIOD = date(2026, 12, 1)


def run(households: int | None = None, national: bool | None = None) -> None:
    national = national if national is not None else os.environ.get("INMINBAN_BENCH_NATIONAL") == "1"
    size = households or (NATIONAL_HOUSEHOLDS if national else DEFAULT_HOUSEHOLDS)
    results = []
    for target in targets("inminban_bench_cycle"):
        target_size = min(size, DEFAULT_HOUSEHOLDS) if target.label == "SQLite" else size
        console.print(f"[bold]{target.label}[/bold]: {target_size:,} households …")
        started = time.perf_counter()
        try:
            result = run_child("benchmarks.bench_cycle", target, "--households", str(target_size))
        finally:
            target.cleanup()
            if target.label == "PostgreSQL":
                drop_postgres_database(target.url)
        result["seconds"] = time.perf_counter() - started
        results.append((target.label, result))
    _print(results)


def _print(results) -> None:
    table = Table(
        "database",
        "households",
        "(a) cycle_generate hh/s",
        "(b) hand-written hh/s",
        "(c) ORM loop hh/s",
        "a/b time",
        "c/a time",
        "same rows",
        "peak MB 100k / all",
    )
    for label, result in results:
        if "error" in result:
            table.add_row(label, f"[red]{result['error']}[/red]", *[""] * 7)
            continue
        a, b, c = result["a_seconds"], result["b_seconds"], result["c_seconds_extrapolated"]
        n = result["households"]
        table.add_row(
            label,
            f"{n:,}",
            f"{n / a:,.0f} ({a:.1f} s)",
            f"{n / b:,.0f} ({b:.1f} s)",
            f"{n / c:,.0f} ({c / 3600:.1f} h est.)",
            f"{a / b:.2f}",
            f"{c / a:,.0f}×",
            "yes" if result["same_rows"] else "[red]NO[/red]",
            f"{'–' if result['peak_mb_small'] is None else format(result['peak_mb_small'], '.1f')} / "
            f"{result['peak_mb_all']:.1f}",
        )
    console.print(table)
    for label, result in results:
        if "error" not in result:
            console.print(
                f"[dim]{label}: generate {result['generate_seconds']:.0f} s; entitled {result['entitled']:,} of "
                f"{result['households']:,}; max RSS {result['max_rss_mb']:.0f} MB; whole run {result['seconds']:.0f} s"
                "[/dim]"
            )


# Child ------------------------------------------------------------------------------------------------------------


def _floor_statement(cycle, ref_a: str, ref_b: str, area_path: str) -> tuple[str, list]:
    """(b): the hand-written equivalent of what the product compiles for this one rule and these norms."""
    from django.db import connection

    from inminban.entitlements.cycle_sql import stamps_valid_at, years_before

    ref = cycle.reference_date
    norms = cycle.snapshot["version"]["norms"]
    heavy = cycle.snapshot["version"]["heavy_jobs"]
    d = connection.ops.adapt_datefield_value
    job = (
        "EXISTS (SELECT 1 FROM registry_occupation o WHERE o.person_id = p.id AND o.since <= %s"
        " AND (o.until IS NULL OR o.until > %s){heavy})"
    )
    whens, params = [], []
    for index, norm in enumerate(norms):
        conditions = []
        if norm["min_age"] is not None:
            conditions.append("p.birth_date <= %s")
            params.append(d(years_before(ref, norm["min_age"])))
        if norm["max_age"] is not None:
            conditions.append("p.birth_date > %s")
            params.append(d(years_before(ref, norm["max_age"] + 1)))
        if norm["occupation"] == "heavy":
            conditions.append(job.format(heavy=f" AND o.job_title IN ({', '.join(['%s'] * len(heavy))})"))
            params += [d(ref), d(ref), *heavy]
        elif norm["occupation"] == "employed":
            conditions.append(job.format(heavy=""))
            params += [d(ref), d(ref)]
        elif norm["occupation"] == "none":
            conditions.append("NOT " + job.format(heavy=""))
            params += [d(ref), d(ref)]
        whens.append(f"WHEN {' AND '.join(conditions) or '1 = 1'} THEN {index}")
    norm_case = " ".join(f"WHEN {i} THEN {n['amount']}" for i, n in enumerate(norms))
    item = "CAST(pid AS TEXT) || ':' || CAST(cat AS TEXT) || CASE WHEN lead = 1 THEN '*' ELSE '' END"
    if connection.vendor == "postgresql":
        aggregate, order = f"string_agg({item}, ';' ORDER BY pid)", ""
    else:
        aggregate, order = f"group_concat({item}, ';')", " ORDER BY mb.household_id, p.id"
    valid = connection.ops.adapt_datetimefield_value(stamps_valid_at(ref))
    stamp = (
        "(SELECT MIN(s.id) FROM stamps_stamp s WHERE s.household_id = h.id AND s.revoked_at IS NULL"
        " AND (s.expires_at IS NULL OR s.expires_at > %s) AND s.duty_kind = 'labour' AND s.duty_ref = %s)"
    )
    due = (
        "CASE WHEN EXISTS (SELECT 1 FROM duties_share sh JOIN duties_quota q ON q.id = sh.quota_id"
        " WHERE sh.household_id = h.id AND q.campaign_id = %s AND sh.quantity - sh.waived > 0) THEN 0 ELSE 1 END"
    )
    sql = f"""
        INSERT INTO bench_floor (household_id, unit_id, eligible, quantity, members_counted, leaders, members,
                                 outcomes, stamps)
        SELECT hid, unit_id, CASE WHEN ok THEN TRUE ELSE FALSE END,
               CASE WHEN ok THEN norm_sum * {cycle.days} ELSE 0 END, size, leaders, members,
               CASE WHEN res = 1 THEN 'Y' ELSE 'N' END
               || CASE WHEN sa IS NOT NULL THEN 'S' WHEN ea = 1 THEN 'E' ELSE 'N' END
               || CASE WHEN sb IS NOT NULL THEN 'S' WHEN eb = 1 THEN 'E' ELSE 'N' END,
               COALESCE(CAST(sa AS TEXT), '') || ';' || COALESCE(CAST(sb AS TEXT), '')
        FROM (
          SELECT y.*, (res = 1 AND (sa IS NOT NULL OR ea = 1) AND (sb IS NOT NULL OR eb = 1)) AS ok FROM (
            SELECT h.id AS hid, h.unit_id, COALESCE(m.size, 0) AS size, COALESCE(m.leaders, 0) AS leaders,
                   COALESCE(m.norm_sum, 0) AS norm_sum, COALESCE(m.members, '') AS members,
                   CASE WHEN EXISTS (SELECT 1 FROM registry_residence r JOIN areas_area ra ON ra.id = r.unit_id
                        WHERE r.household_id = h.id AND r.since <= %s AND (r.until IS NULL OR r.until > %s)
                        AND substr(ra.path, 1, %s) = %s) THEN 1 ELSE 0 END AS res,
                   {stamp} AS sa, {due} AS ea, {stamp} AS sb, {due} AS eb
            FROM registry_household h JOIN areas_area u ON u.id = h.unit_id
            LEFT JOIN (
              SELECT hid, COUNT(*) AS size, SUM(lead) AS leaders, SUM(norm) AS norm_sum, {aggregate} AS members
              FROM (SELECT pc.*, CASE cat {norm_case} ELSE 0 END AS norm FROM (
                SELECT mb.household_id AS hid, p.id AS pid,
                       CASE WHEN ld.person_id IS NULL THEN 0 ELSE 1 END AS lead,
                       CASE {" ".join(whens)} ELSE -1 END AS cat
                FROM registry_membership mb JOIN registry_person p ON p.id = mb.person_id
                LEFT JOIN (SELECT DISTINCT person_id FROM areas_roleassignment WHERE role = 'leader'
                           AND person_id IS NOT NULL AND since <= %s AND (until IS NULL OR until > %s)) ld
                       ON ld.person_id = p.id
                WHERE mb.since <= %s AND (mb.until IS NULL OR mb.until > %s){order}
              ) pc) pm GROUP BY hid
            ) m ON m.hid = h.id
            WHERE substr(u.path, 1, %s) = %s AND (h.dissolved_on IS NULL OR h.dissolved_on > %s)
          ) y
        ) z
    """
    a_id, b_id = int(ref_a.partition(":")[2]), int(ref_b.partition(":")[2])
    ordered = [
        d(ref), d(ref), len(area_path), area_path,
        valid, ref_a, a_id, valid, ref_b, b_id,
        *params,
        d(ref), d(ref), d(ref), d(ref),
        len(area_path), area_path, d(ref),
    ]  # fmt: skip
    return sql, ordered


def _orm_loop(cycle, refs: list[str], sample: int) -> float:
    """(c): one household at a time through the ORM, on `sample` households; seconds taken."""
    from django.db import transaction

    from inminban.areas.models import RoleAssignment
    from inminban.duties.models import Share
    from inminban.entitlements.cycle_sql import stamps_valid_at, years_before
    from inminban.entitlements.models import Entitlement
    from inminban.registry.models import Household, Membership, Occupation, Residence
    from inminban.stamps.models import Stamp

    ref = cycle.reference_date
    norms = cycle.snapshot["version"]["norms"]
    heavy = set(cycle.snapshot["version"]["heavy_jobs"])
    area_path = cycle.program.area.path
    valid = stamps_valid_at(ref)
    households = list(Household.objects.filter(unit__path__startswith=area_path).order_by("id")[:sample])
    started = time.perf_counter()
    with transaction.atomic():
        for household in households:
            members = Membership.objects.current_on(ref).filter(household=household).select_related("person")
            size, norm_sum, leaders, listed = 0, 0, 0, []
            for membership in members:
                person = membership.person
                jobs = list(
                    Occupation.objects.current_on(ref).filter(person=person).values_list("job_title", flat=True)
                )
                lead = (
                    RoleAssignment.objects.filter(role="leader", person=person, since__lte=ref)
                    .exclude(until__lte=ref)
                    .exists()
                )
                category = -1
                for index, norm in enumerate(norms):
                    if norm["min_age"] is not None and person.birth_date > years_before(ref, norm["min_age"]):
                        continue
                    if norm["max_age"] is not None and person.birth_date <= years_before(ref, norm["max_age"] + 1):
                        continue
                    if norm["occupation"] == "heavy" and not heavy.intersection(jobs):
                        continue
                    if norm["occupation"] == "employed" and not jobs:
                        continue
                    if norm["occupation"] == "none" and jobs:
                        continue
                    category = index
                    break
                size += 1
                leaders += lead
                norm_sum += norms[category]["amount"] if category >= 0 else 0
                listed.append(f"{person.pk}:{category}{'*' if lead else ''}")
            resident = (
                Residence.objects.current_on(ref).filter(household=household, unit__path__startswith=area_path).exists()
            )
            outcomes, stamps, ok = "Y" if resident else "N", [], resident
            for ref_text in refs:
                stamp = (
                    Stamp.objects.filter(household=household, duty_kind="labour", duty_ref=ref_text, revoked_at=None)
                    .exclude(expires_at__lte=valid)
                    .order_by("id")
                    .first()
                )
                campaign_id = int(ref_text.partition(":")[2])
                owes = Share.objects.filter(household=household, quota__campaign_id=campaign_id).exists()
                outcomes += "S" if stamp else ("N" if owes else "E")
                stamps.append(str(stamp.pk) if stamp else "")
                ok = ok and (stamp is not None or not owes)
            Entitlement.objects.create(
                cycle=cycle,
                household=household,
                unit_id=household.unit_id,
                eligible=ok,
                quantity=norm_sum * cycle.days if ok else 0,
                members_counted=size,
                leaders=leaders,
                members=";".join(sorted(listed, key=lambda item: int(item.partition(":")[0]))),
                outcomes=outcomes,
                stamps=";".join(stamps),
            )
        transaction.set_rollback(True)  # only the time matters; the rows are not kept
    return time.perf_counter() - started


def _allocate_shares(city, campaigns, officer) -> None:
    """Give every household of the city a share of each campaign (one household in twenty exempt, nothing due), set
    based. The generator writes stamps but no shares; without shares nothing would be due from anyone, and every
    household would pass both gates."""
    from django.db import connection
    from django.utils import timezone

    now = connection.ops.adapt_datetimefield_value(timezone.now())
    on = connection.ops.adapt_datefield_value(PERIOD)
    with connection.cursor() as cursor:
        for campaign in campaigns:
            cursor.execute(
                "INSERT INTO duties_quota (campaign_id, unit_id, quantity, as_of, set_by_id, set_at)"
                " SELECT %s, a.id, 100, %s, %s, %s FROM areas_area a JOIN areas_arealevel l ON l.id = a.level_id"
                " WHERE l.is_unit AND substr(a.path, 1, %s) = %s",
                [campaign.pk, on, officer.pk, now, len(city.path), city.path],
            )
            cursor.execute(
                "INSERT INTO duties_share (quota_id, household_id, quantity, waived, done, explanation, stamp_serial)"
                " SELECT q.id, h.id, CASE WHEN h.id %% 20 = 0 THEN 0 ELSE 4 END, 0, 0, '{}', ''"
                " FROM registry_household h JOIN duties_quota q ON q.unit_id = h.unit_id AND q.campaign_id = %s",
                [campaign.pk],
            )


def _peak_mb(call) -> tuple[object, float]:
    tracemalloc.start()
    try:
        value = call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return value, peak / 1e6


def child(result_path: str, households: int, existing: str | None = None) -> None:
    """Generate the cities and time (a), (b) and (c). With `existing`, use that city of the database in
    INMINBAN_DATABASE_URL instead (say, one `inminban generate --households 6500000` made), and skip the
    100,000-household program."""
    child_setup()
    from django.contrib.auth.models import User
    from django.db import connection

    from inminban.areas.models import Area, Office
    from inminban.duties.models import Campaign, Share
    from inminban.entitlements import services
    from inminban.entitlements.models import Entitlement, Program
    from inminban.synth.bulk import analyze_registry, generate_city

    admin = User.objects.filter(username="bench-admin").first() or User.objects.create_superuser(
        "bench-admin", password="bench-admin-password"
    )
    began = time.perf_counter()
    if existing:
        small, big = None, SimpleNamespace(city=Area.objects.get(code=existing))
    else:
        small = generate_city(households=SMALL_PROGRAM, city="BS", progress=None)
        big = generate_city(households=households, city="BC", progress=None)
    analyze_registry()
    settle_database()
    generate_seconds = time.perf_counter() - began

    def program_over(city: Area) -> Program:
        campaigns = list(Campaign.objects.filter(area__path__startswith=city.path).order_by("id")[:2])
        if len(campaigns) < 2:
            raise RuntimeError("the generator made no duties for the city (two campaigns with stamps are needed)")
        if not Share.objects.filter(quota__campaign=campaigns[0]).exists():
            _allocate_shares(city, campaigns, admin)
        office = Office.objects.filter(area__path__startswith=city.path).order_by("area__depth", "code").first()
        program = services.program_create(
            actor=admin,
            office=office,
            area=city,
            kind=Program.Kind.GRAIN_RATION,
            name_en=f"Bench ration {city.code}",
            norms="nine_levels",
            rule={"all": [{"resident": {}}, {"stamp": campaigns[0].ref}, {"stamp": campaigns[1].ref}]},
        )
        return program, [campaign.ref for campaign in campaigns]

    # Memory flat: the same path over 100,000 households and over the whole city.
    peak_small = None
    if small is not None:
        program_small, _ = program_over(small.city)
        cycle_small = services.cycle_create(actor=admin, program=program_small, period_start=PERIOD)
        _, peak_small = _peak_mb(lambda: services.cycle_generate(actor=admin, cycle=cycle_small))

    program, refs = program_over(big.city)
    cycle = services.cycle_create(actor=admin, program=program, period_start=PERIOD)
    started = time.perf_counter()
    cycle, peak_all = _peak_mb(lambda: services.cycle_generate(actor=admin, cycle=cycle))
    a_seconds = time.perf_counter() - started

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_floor")
        cursor.execute(
            "CREATE TABLE bench_floor (household_id bigint, unit_id bigint, eligible boolean, quantity bigint,"
            " members_counted integer, leaders integer, members text, outcomes varchar(64), stamps text)"
        )
    sql, params = _floor_statement(cycle, refs[0], refs[1], big.city.path)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    b_seconds = time.perf_counter() - started

    columns = "household_id, unit_id, eligible, quantity, members_counted, leaders, members, outcomes, stamps"
    ours = f"SELECT {columns} FROM {Entitlement._meta.db_table} WHERE cycle_id = {int(cycle.pk)}"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({ours} EXCEPT SELECT {columns} FROM bench_floor) d")
        only_ours = cursor.fetchone()[0]
        cursor.execute(f"SELECT COUNT(*) FROM (SELECT {columns} FROM bench_floor EXCEPT {ours}) d")
        only_floor = cursor.fetchone()[0]

    # The loop writes into a cycle of the next month with the same frozen inputs (its rows are rolled back).
    sample_cycle = services.cycle_create(actor=admin, program=program, period_start=date(2027, 1, 1))
    sample_cycle.snapshot, sample_cycle.reference_date = cycle.snapshot, cycle.reference_date
    sample_cycle.period_start, sample_cycle.period_end = cycle.period_start, cycle.period_end
    sample_size = min(SAMPLE, cycle.households)
    c_seconds = _orm_loop(sample_cycle, refs, sample_size)

    write_result(
        result_path,
        {
            "households": cycle.households,
            "entitled": cycle.entitled,
            "generate_seconds": generate_seconds,
            "a_seconds": a_seconds,
            "b_seconds": b_seconds,
            "c_sample": sample_size,
            "c_seconds_extrapolated": c_seconds * cycle.households / sample_size,
            "same_rows": only_ours == 0 and only_floor == 0,
            "peak_mb_small": peak_small,
            "peak_mb_all": peak_all,
            "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        },
    )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--result")
    parser.add_argument("--households", type=int, default=None)
    parser.add_argument("--national", action="store_true")
    parser.add_argument(
        "--existing", metavar="CITY", help="time a city already in the database of INMINBAN_DATABASE_URL"
    )
    args = parser.parse_args(argv)
    if args.existing:
        import tempfile

        started = time.perf_counter()
        with tempfile.NamedTemporaryFile(suffix=".json") as result:
            child(result.name, 0, existing=args.existing)
            from django.db import connection

            figures = json.loads(Path(result.name).read_text())
        _print([(connection.vendor, figures | {"seconds": time.perf_counter() - started})])
    elif args.child:
        child(args.result, args.households or DEFAULT_HOUSEHOLDS)
    else:
        run(households=args.households, national=args.national)


if __name__ == "__main__":
    main(sys.argv[1:])
