"""Benchmark: a unit leader's pages cost O(unit), not O(country).

For SQLite and PostgreSQL each: build the demo city (for the cast: leader-a1 leads unit HS-A1) and a generated city
so the registry holds ~1,000 households; time the leader's unit page `GET /units/HS-A1/` (session, Django's test
client) and the API list `GET /api/v1/households?area=HS-A1` (bearer token): five warm-up calls, then five rounds
of ten calls; the time is the median of the best round (see `benchmarks.common.time_calls`; the median of all 50
calls is shown beside it). Grow the registry to ~100,000 households with the bulk generator and time the same two
again. The target: the time at 100k is at most 1.5 times the time at 1k.

Timings alone cannot show O(country) at this size (a scan of 4,000 areas costs a fraction of a millisecond), so
each request's queries are also EXPLAINed at 100k, and any plan that reads a growing table whole is printed.
Also reported: the bulk load rate and, on PostgreSQL, the bulk load against a raw COPY of the same person rows
into an unindexed scratch table.

    python -m benchmarks unit_page            # both databases
    python -m benchmarks.bench_unit_page --child --result FILE   # one database, from the environment
"""

import argparse
import io
import re
import time
from urllib.parse import urlsplit

from rich.table import Table

from benchmarks.common import (
    child_setup,
    console,
    drop_postgres_database,
    run_child,
    settle_database,
    targets,
    time_calls,
    write_result,
)

UNIT = "HS-A1"
LEADER = "leader-a1"
SMALL, LARGE = 1_000, 100_000
TARGET_RATIO = 1.5
SEED = 2008
ENDPOINTS = {
    "unit_page": (f"/units/{UNIT}/", "session"),
    "api_households": (f"/api/v1/households?area={UNIT}", "token"),
}
LABELS = {
    "unit_page": f"unit page GET /units/{UNIT}/",
    "api_households": f"API GET /api/v1/households?area={UNIT}",
}


# Parent: run each database in a child process and print the tables -----------------------------------------------


def run() -> None:
    for target in targets("inminban_bench"):
        console.print(f"[bold]{target.label}[/bold]: building ~{SMALL:,} households, then ~{LARGE:,} …")
        started = time.perf_counter()
        try:
            result = run_child(__name__, target)
        finally:
            target.cleanup()
            if target.label == "PostgreSQL":
                drop_postgres_database(target.url)
        _print_result(target.label, result, time.perf_counter() - started)


def _cell(measure: dict | None) -> str:
    if not measure:
        return "[dim]—[/dim]"
    if "missing" in measure:
        return "[red]missing[/red]"
    if "error" in measure:
        return "[red]error[/red]"
    return f"{measure['median_ms']:.1f}"


def _print_result(label: str, result: dict, seconds: float) -> None:
    if "error" in result:
        console.print(f"[red]{label}: {result['error']}[/red]")
    phases = result.get("phases", {})
    small, large = phases.get("small", {}), phases.get("large", {})
    sizes = " → ".join(f"{phase['households']:,}" for phase in (small, large) if "households" in phase)
    table = Table(
        title=f"{label} {result.get('server_version', '')}: unit page cost is O(unit) ({sizes} households)",
        title_justify="left",
    )
    table.add_column("request (as leader-a1)")
    table.add_column("ms @1k (best round)", justify="right")
    table.add_column("ms @100k (best round)", justify="right")
    table.add_column("ratio", justify="right")
    table.add_column(f"≤ {TARGET_RATIO}", justify="center")
    table.add_column("median of all calls, ms 1k / 100k (ratio)", justify="right")
    table.add_column("queries 1k/100k", justify="right")
    table.add_column("items", justify="right")
    problems = []
    for key in ENDPOINTS:
        one, two = small.get(key), large.get(key)
        ratio = verdict = all_calls = queries = items = ""
        if one and two and "median_ms" in one and "median_ms" in two:
            value = two["median_ms"] / one["median_ms"]
            ratio = f"{value:.2f}"
            verdict = "[green]yes[/green]" if value <= TARGET_RATIO else "[red]NO[/red]"
            all_one, all_two = one["all_median_ms"], two["all_median_ms"]
            all_calls = f"{all_one:.1f} / {all_two:.1f} ({all_two / all_one:.2f})"
            queries = f"{one['queries']}/{two['queries']}"
            if "items" in one:
                items = f"{one['items']}/{two.get('items', '?')}"
        table.add_row(LABELS[key], _cell(one), _cell(two), ratio, verdict, all_calls, queries, items)
        for phase, measure in (("1k", one), ("100k", two)):
            if measure and ("missing" in measure or "error" in measure):
                problems.append(f"{LABELS[key]} @{phase}: {measure.get('missing') or measure.get('error')}")
    console.print(table)
    for problem in dict.fromkeys(problems):
        console.print(f"  [red]{problem}[/red]")
    for key in ENDPOINTS:
        slow = (large.get(key) or {}).get("slowest_queries")
        if slow and (
            large.get(key, {}).get("median_ms", 0) > TARGET_RATIO * (small.get(key) or {}).get("median_ms", 1e9)
        ):
            console.print(f"  slowest queries of {LABELS[key]} @100k:")
            for ms, sql in slow:
                console.print(f"    {ms:8.1f} ms  {sql}")
    for key in ENDPOINTS:
        scans = (large.get(key) or {}).get("full_scans")
        if scans:
            console.print(
                f"  [yellow]{LABELS[key]} @100k reads growing tables whole (O(country), not O(unit)):[/yellow]"
            )
            for plan, sql in scans:
                console.print(f"    {plan}\n      {sql}")
    load = result.get("load")
    if load:
        console.print(
            f"  Bulk load: {load['households']:,} households, {load['persons']:,} persons, "
            f"{load['rows']:,} rows in {load['seconds']:.1f} s = [bold]{load['households_per_second']:,.0f} "
            f"households/s[/bold] ({load['persons'] / load['seconds']:,.0f} persons/s, "
            f"{load['rows'] / load['seconds']:,.0f} rows/s)"
        )
        parts = load["write_seconds"]
        writing = sum(seconds for name, seconds in parts.items() if name != "commit")
        console.print(
            f"    of which writing rows {writing:.1f} s ("
            + ", ".join(f"{name} {seconds:.1f}" for name, seconds in parts.items() if name != "commit")
            + f"), commit {parts.get('commit', 0):.1f} s, building rows in Python and drawing keys "
            f"{load['seconds'] - writing - parts.get('commit', 0):.1f} s"
        )
    copy = result.get("copy")
    if copy:
        console.print(
            f"  Persons: {copy['rows']:,} rows took {copy['generator_persons_s']:.2f} s inside the load (COPY with "
            f"indexes and foreign keys, rows formatted in Python); a raw COPY of the same rows into an unindexed "
            f"scratch table took {copy['raw_copy_s']:.2f} s: ratio [bold]{copy['ratio']:.1f}[/bold]. "
            f"Whole load = {copy['whole_load_ratio']:.1f}× that raw COPY."
        )
    demo = result.get("demo")
    if demo:
        console.print(
            f"  (Demo city through the services, one audit entry per write: {demo['households']} households "
            f"in {demo['seconds']:.1f} s = {demo['households'] / demo['seconds']:.0f} households/s.)"
        )
    console.print(f"  [dim]{label} part took {seconds:.0f} s[/dim]")


# Child: one database, configured from the environment -------------------------------------------------------------


def _short(sql: str) -> str:
    """A query on one line without its column list and joins: the table it reads and its filter."""
    sql = " ".join(sql.split())
    if sql.startswith("SELECT") and " FROM " in sql:
        table = sql.split(" FROM ", 1)[1].split(" ", 1)[0]
        where = sql.find(" WHERE ")
        sql = f"SELECT … FROM {table} …" + (sql[where:] if where >= 0 else "")
    return sql[:320]


# Tables that grow with the country; reading one of them whole is O(country), however fast it is at 100k.
GROWING_PREFIXES = ("registry_", "audit_", "duties_", "stamps_")


def _grows(table: str) -> bool:
    return table == "areas_area" or table.startswith(GROWING_PREFIXES)


def _full_scans(queries: list[dict]) -> list[tuple[str, str]]:
    """(table, query) for every SELECT whose plan reads a growing table whole instead of searching an index."""
    from django.db import connection

    found = []
    for query in queries:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("EXPLAIN " + sql)
                pattern = r"Seq Scan on (\w+)"
            else:
                cursor.execute("EXPLAIN QUERY PLAN " + sql)
                pattern = r"^SCAN (\w+)"
            plan = [str(row[-1]).strip() for row in cursor.fetchall()]
        for line in plan:
            match = re.search(pattern, line)
            if match and _grows(match.group(1)):
                found.append((f"{match.group(1)}: {line}", _short(sql)))
    return found


def _measure(client, path: str, headers: dict) -> dict:
    """Time one endpoint, or say plainly why it cannot be timed."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import Resolver404, resolve

    try:
        resolve(urlsplit(path).path)
    except Resolver404:
        return {"missing": f"no URL route for {urlsplit(path).path} (endpoint not built yet?)"}
    try:
        response = client.get(path, **headers)
    except Exception as error:  # the view raised: report it, keep benchmarking the rest
        return {"error": f"{type(error).__name__} raised: {str(error)[:200]}"}
    if response.status_code != 200:
        body = response.content[:200].decode(errors="replace").replace("\n", " ")
        return {"error": f"status {response.status_code}: {body}"}
    measure = {}
    if response.get("Content-Type", "").startswith("application/json"):
        measure["items"] = response.json().get("count", len(response.json().get("items", [])))
    with CaptureQueriesContext(connection) as captured:
        client.get(path, **headers)
    measure["queries"] = len(captured.captured_queries)
    slowest = sorted(captured.captured_queries, key=lambda query: float(query["time"]), reverse=True)[:4]
    measure["slowest_queries"] = [(float(query["time"]) * 1000, _short(query["sql"])) for query in slowest]
    measure["full_scans"] = _full_scans(captured.captured_queries)
    measure.update(time_calls(lambda: client.get(path, **headers)))
    return measure


def _measure_all(session_client, token: str) -> dict:
    from inminban.registry.models import Household

    phase = {"households": Household.objects.count()}
    for key, (path, auth) in ENDPOINTS.items():
        if auth == "session":
            phase[key] = _measure(session_client, path, {})
        else:
            from django.test import Client

            phase[key] = _measure(Client(HTTP_HOST="localhost"), path, {"HTTP_AUTHORIZATION": f"Bearer {token}"})
    return phase


def _raw_copy(city_path: str, generator_persons_s: float, load_seconds: float) -> dict:
    """PostgreSQL: COPY the person rows the load made, as text, into an unindexed scratch table: the floor."""
    from django.db import connection, transaction

    from inminban.areas.models import Area
    from inminban.registry.models import Household, Person
    from inminban.synth.bulk import COLUMNS

    columns = ", ".join(f'"{Person._meta.get_field(name).column}"' for name in COLUMNS[Person])
    person, household, area = Person._meta.db_table, Household._meta.db_table, Area._meta.db_table
    data = io.BytesIO()
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor
        select = (
            f'SELECT {columns} FROM "{person}" WHERE household_id IN (SELECT h.id FROM "{household}" h '
            f"JOIN \"{area}\" a ON a.id = h.unit_id WHERE a.path LIKE '{city_path}%%')"
        )
        with raw.copy(f"COPY ({select.replace('%%', '%')}) TO STDOUT") as copy:
            for block in copy:
                data.write(block)
        rows = data.getvalue().count(b"\n")
        raw.execute(f'CREATE TEMP TABLE bench_scratch_person (LIKE "{person}")')
        began = time.perf_counter()
        with raw.copy(f"COPY bench_scratch_person ({columns}) FROM STDIN") as copy:
            view = data.getbuffer()
            for start in range(0, len(view), 1 << 20):
                copy.write(view[start : start + (1 << 20)])
            del view
        raw_s = time.perf_counter() - began
        transaction.set_rollback(True)
    return {
        "rows": rows,
        "raw_copy_s": raw_s,
        "generator_persons_s": generator_persons_s,
        "ratio": generator_persons_s / raw_s,
        "whole_load_ratio": load_seconds / raw_s,
    }


def child(result_path: str) -> None:
    child_setup()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from inminban.api.tokens import token_create
    from inminban.registry.models import Household
    from inminban.synth.bulk import generate_city
    from inminban.synth.demo import build_demo

    result: dict = {"database": connection.vendor, "phases": {}}
    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version")
        result["server_version"] = cursor.fetchone()[0]
    try:
        began = time.perf_counter()
        build_demo()
        demo_households = Household.objects.count()
        result["demo"] = {"households": demo_households, "seconds": time.perf_counter() - began}
        generate_city(households=SMALL - demo_households, city="SY", seed=SEED)
        settle_database()
        leader = User.objects.get(username=LEADER)
        _, token = token_create(actor=None, user=leader, name="benchmark")
        session_client = Client(HTTP_HOST="localhost")  # "testserver" is an allowed host in the tests only
        session_client.force_login(leader)
        result["phases"]["small"] = _measure_all(session_client, token)

        grow = LARGE - Household.objects.count()
        with Progress(
            TextColumn(f"  bulk load into {result['database']}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task("load", total=grow)
            load = generate_city(
                households=grow, city="SZ", seed=SEED, progress=lambda done: progress.advance(task, done)
            )
        began = time.perf_counter()
        settle_database()
        counts = load.counts
        result["load"] = {
            "households": counts["households"],
            "persons": counts["persons"],
            "rows": sum(counts[name] for name in ("households", "persons", "memberships", "dwellings", "residences"))
            + counts["occupations"],
            "seconds": load.seconds,
            "households_per_second": load.households_per_second,
            "write_seconds": load.write_seconds,
            "settle_seconds": time.perf_counter() - began,
        }
        if connection.vendor == "postgresql":
            result["copy"] = _raw_copy(load.city.path, load.write_seconds["person"], load.seconds)
        result["phases"]["large"] = _measure_all(session_client, token)
    except Exception as error:
        result["error"] = f"{type(error).__name__}: {error}"
        raise
    finally:
        write_result(result_path, result)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", action="store_true", help="run one database's part (from the environment)")
    parser.add_argument("--result", help="where the child writes its JSON result")
    args = parser.parse_args()
    if args.child:
        child(args.result)
    else:
        run()
