"""Benchmark: `inminban generate` (the bulk synthetic city) against raw writes of the same person rows.

For each database, in a fresh database: migrate, generate a city of N households (default 1,000,000; `--national`
makes it 6,500,000 on PostgreSQL, the country), then measure the floor in the same run:

- PostgreSQL: a client `COPY … FROM STDIN` of the generated persons, as text, into an unindexed table with the
  persons' columns (the rows are first read back into a temporary file, which is not timed);
- SQLite: `INSERT … SELECT` of the generated persons into an unindexed table.

Printed: households/s and persons/s of the whole load (every table, indexes, constraints and the commit, as the
command runs it, without the ANALYZE after), the floor's persons/s, and their ratio: how many times longer the whole
city takes than writing just its persons, raw. Also the time of each part of the load and the child's peak memory.

    python -m benchmarks generate                          # both databases, 1,000,000 households
    python -m benchmarks --national generate               # PostgreSQL at 6,500,000 households, SQLite at 1,000,000
    python -m benchmarks.bench_generate --national         # the same
    python -m benchmarks.bench_generate --households 200000
"""

import argparse
import os
import resource
import tempfile
import time

from rich.table import Table

from benchmarks.common import child_setup, console, drop_postgres_database, run_child, targets, write_result

DEFAULT_HOUSEHOLDS = 1_000_000
NATIONAL_HOUSEHOLDS = 6_500_000
SQLITE_HOUSEHOLDS = 1_000_000
PERSON_COLUMNS = "id, family_name, given_name, birth_date, sex, national_id, status, household_id"


def run(households: int | None = None, national: bool | None = None) -> None:
    """Both databases; `national` (default: INMINBAN_BENCH_NATIONAL=1, set by `python -m benchmarks --national`)
    runs PostgreSQL at the country's size. SQLite runs at most SQLITE_HOUSEHOLDS."""
    national = national if national is not None else os.environ.get("INMINBAN_BENCH_NATIONAL") == "1"
    households = households or (NATIONAL_HOUSEHOLDS if national else DEFAULT_HOUSEHOLDS)
    for target in targets("inminban_bench_generate"):
        size = households if target.label == "PostgreSQL" else min(households, SQLITE_HOUSEHOLDS)
        console.print(f"[bold]{target.label}[/bold]: generating {size:,} households …")
        started = time.perf_counter()
        try:
            result = run_child("benchmarks.bench_generate", target, "--households", str(size))
        finally:
            target.cleanup()
            if target.label == "PostgreSQL":
                drop_postgres_database(target.url)
        _print_result(target.label, result, time.perf_counter() - started)


def _print_result(label: str, result: dict, seconds: float) -> None:
    if "error" in result:
        console.print(f"[red]{label}: {result['error']}[/red]")
        return
    load, floor = result["load"], result["floor"]
    table = Table(title=f"{label} {result['server_version']}: generate {load['households']:,} households")
    for name in ("", "seconds", "households/s", "persons/s", "persons"):
        table.add_column(name, justify="left" if not name else "right")
    table.add_row(
        "inminban generate (whole city)",
        f"{load['seconds']:.1f}",
        f"{load['households'] / load['seconds']:,.0f}",
        f"{load['persons'] / load['seconds']:,.0f}",
        f"{load['persons']:,}",
    )
    table.add_row(
        floor["what"],
        f"{floor['seconds']:.1f}",
        "",
        f"{floor['persons'] / floor['seconds']:,.0f}",
        f"{floor['persons']:,}",
    )
    console.print(table)
    console.print(
        f"  ratio (whole city ÷ raw persons): [bold]{load['seconds'] / floor['seconds']:.1f}[/bold]; "
        f"rows: {load['rows']:,} ({load['rows'] / load['seconds']:,.0f}/s), stamps {load['stamps']:,}; "
        f"indexes rebuilt: {load['rebuilt_indexes']}"
    )
    console.print(
        "  parts: "
        + ", ".join(f"{name} {value:.1f} s" for name, value in load["write_seconds"].items())
        + f"; ANALYZE after {load['analyze_seconds']:.1f} s; child peak RSS {result['peak_rss_mb']:.0f} MB"
    )
    console.print(f"  [dim]{label} part took {seconds:.0f} s (load average {result['load_average']})[/dim]")


# Child: one database, configured from the environment -------------------------------------------------------------


def _postgres_floor(city_path: str) -> dict:
    """COPY the city's persons, as text, into an unindexed table, in one transaction that is rolled back."""
    from django.db import connection, transaction

    select = (
        f"SELECT {PERSON_COLUMNS} FROM registry_person WHERE household_id IN (SELECT h.id FROM registry_household h "
        f"JOIN areas_area a ON a.id = h.unit_id WHERE a.path LIKE '{city_path}%') ORDER BY id"
    )
    with tempfile.TemporaryFile() as rows, transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY ({select}) TO STDOUT") as copy:
            for block in copy:
                rows.write(block)
        raw.execute("SET LOCAL synchronous_commit = off")
        raw.execute("CREATE TABLE bench_floor_person (LIKE registry_person)")  # columns only: no index, no key
        rows.seek(0)
        began = time.perf_counter()
        with raw.copy(f"COPY bench_floor_person ({PERSON_COLUMNS}) FROM STDIN") as copy:
            while block := rows.read(1 << 20):
                copy.write(block)
        seconds = time.perf_counter() - began
        persons = raw.rowcount
        transaction.set_rollback(True)
    return {"what": "raw COPY of the persons, unindexed table", "seconds": seconds, "persons": persons}


def _sqlite_floor(city_path: str) -> dict:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_floor_person AS SELECT * FROM registry_person WHERE 0")
        began = time.perf_counter()
        cursor.execute(
            f"INSERT INTO bench_floor_person ({PERSON_COLUMNS}) SELECT {PERSON_COLUMNS} FROM registry_person "
            "WHERE household_id IN (SELECT h.id FROM registry_household h JOIN areas_area a ON a.id = h.unit_id "
            "WHERE a.path >= %s AND a.path < %s)",
            [city_path, city_path[:-1] + "0"],
        )
        persons = cursor.rowcount
        seconds = time.perf_counter() - began
        transaction.set_rollback(True)
    return {"what": "INSERT … SELECT of the persons, unindexed table", "seconds": seconds, "persons": persons}


def child(result_path: str, households: int) -> None:
    child_setup()
    from django.db import connection
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from inminban.synth.bulk import analyze_registry, generate_city

    result: dict = {"database": connection.vendor, "load_average": " ".join(f"{x:.1f}" for x in os.getloadavg())}
    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version")
        result["server_version"] = cursor.fetchone()[0]
    try:
        with Progress(
            TextColumn("  {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task(f"generate into {connection.vendor}", total=households)
            load = generate_city(
                households=households,
                city="BG",
                progress=lambda done: progress.advance(task, done),
                on_phase=lambda name: progress.update(task, description=f"generate: {name}"),
            )
        began = time.perf_counter()
        analyze_registry()
        counts = load.counts
        result["load"] = {
            "households": counts["households"],
            "persons": counts["persons"],
            "stamps": counts["stamps"],
            "rows": sum(
                counts[name]
                for name in ("dwellings", "households", "residences", "persons", "memberships", "occupations", "stamps")
            )
            + counts["units"],
            "seconds": load.seconds,
            "write_seconds": load.write_seconds,
            "rebuilt_indexes": load.rebuilt_indexes,
            "analyze_seconds": time.perf_counter() - began,
        }
        floor = _postgres_floor if connection.vendor == "postgresql" else _sqlite_floor
        result["floor"] = floor(load.city.path)
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    except Exception as error:
        result["error"] = f"{type(error).__name__}: {error}"
        raise
    finally:
        write_result(result_path, result)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", action="store_true", help="run one database's part (from the environment)")
    parser.add_argument("--result", help="where the child writes its JSON result")
    parser.add_argument("--households", type=int, default=None)
    parser.add_argument("--national", action="store_true", help=f"PostgreSQL at {NATIONAL_HOUSEHOLDS:,} households")
    args = parser.parse_args()
    if args.child:
        child(args.result, args.households or DEFAULT_HOUSEHOLDS)
    else:
        from benchmarks.common import print_machine_facts

        print_machine_facts()
        run(households=args.households, national=args.national)
