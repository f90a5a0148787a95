"""Shared pieces for benchmarks: machine facts, throw-away databases, a child process per database, timing.

Django reads its database from the environment once, at start-up; so a benchmark runs each database's part in a
child process (`python -m benchmarks.bench_x --child --result FILE`) with INMINBAN_DATABASE_URL and
INMINBAN_DATA_DIR set, and the parent prints the table. SQLite lives in a temporary directory; PostgreSQL gets a
dedicated database, dropped and created again on every run."""

import gc
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from rich.console import Console

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("INMINBAN_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/inminban_bench")

# Wide enough for the tables when the output goes to a file or a pipe (rich would assume 80 columns).
console = Console(highlight=False, width=None if sys.stdout.isatty() else 132)


# Machine facts ----------------------------------------------------------------------------------------------------


def postgres_server_version() -> str:
    try:
        import psycopg

        with psycopg.connect(_maintenance_url(POSTGRES_URL), connect_timeout=3) as conn:
            return conn.execute("SHOW server_version").fetchone()[0]
    except Exception as error:  # a benchmark run without PostgreSQL still reports SQLite
        return f"not reachable ({type(error).__name__}: {str(error).strip().splitlines()[0][:80]})"


def print_machine_facts() -> None:
    import django
    import psycopg

    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    facts = [
        ("CPUs", f"{os.cpu_count()} ({platform.machine()}, {platform.processor() or platform.system()})"),
        ("Load average", " ".join(f"{value:.2f}" if isinstance(value, float) else value for value in load)),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("Django", django.get_version()),
        ("SQLite", sqlite3.sqlite_version),
        ("PostgreSQL", f"{postgres_server_version()} at {_redact(POSTGRES_URL)}"),
        ("psycopg", f"{psycopg.__version__} ({psycopg.pq.__impl__})"),
    ]
    console.print("[bold]Machine[/bold]")
    for name, value in facts:
        console.print(f"  {name:<13} {value}")


# Databases --------------------------------------------------------------------------------------------------------


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def _maintenance_url(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def postgres_url(database: str) -> str:
    """The benchmark PostgreSQL server with another database name (each benchmark uses its own)."""
    return urlunsplit(urlsplit(POSTGRES_URL)._replace(path=f"/{database}"))


def recreate_postgres_database(url: str) -> None:
    """Drop the database in `url` if it exists (closing its connections) and create it empty."""
    import psycopg
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    if not name or name in {"postgres", "template0", "template1"}:
        raise ValueError(f"Refusing to recreate the database {name!r}.")
    with psycopg.connect(_maintenance_url(url), autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_postgres_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(_maintenance_url(url), autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@dataclass
class Target:
    """One database a benchmark runs on."""

    label: str  # "SQLite" or "PostgreSQL"
    url: str
    data_dir: Path
    cleanup: Callable[[], None]


def targets(postgres_database: str) -> list[Target]:
    """A fresh SQLite file in a temporary directory, and a fresh PostgreSQL database (if the server answers)."""
    found = []
    sqlite_dir = Path(tempfile.mkdtemp(prefix="inminban-bench-sqlite-"))
    found.append(
        Target("SQLite", f"sqlite:///{sqlite_dir / 'bench.sqlite3'}", sqlite_dir, lambda: shutil.rmtree(sqlite_dir))
    )
    url = postgres_url(postgres_database)
    try:
        recreate_postgres_database(url)
    except Exception as error:
        console.print(f"[yellow]PostgreSQL skipped: cannot create {_redact(url)}: {error}[/yellow]")
        return found
    pg_dir = Path(tempfile.mkdtemp(prefix="inminban-bench-pg-"))
    found.append(Target("PostgreSQL", url, pg_dir, lambda: shutil.rmtree(pg_dir)))
    return found


# Child processes --------------------------------------------------------------------------------------------------


def run_child(module: str, target: Target, *args: str) -> dict:
    """Run `python -m module --child --result FILE ...` against `target`; return the JSON it wrote.

    The child's output (progress bars, notes) goes straight to the terminal. A child that dies returns
    {"error": ...} instead of raising, so the other database's numbers are still printed."""
    result_file = target.data_dir / f"{module.rsplit('.', 1)[-1]}-result.json"
    env = os.environ | {
        "INMINBAN_DATABASE_URL": target.url,
        "INMINBAN_DATA_DIR": str(target.data_dir),
        "INMINBAN_DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "inminban.settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    command = [sys.executable, "-m", module, "--child", "--result", str(result_file), *args]
    completed = subprocess.run(command, cwd=ROOT, env=env, check=False)
    if result_file.exists():
        return json.loads(result_file.read_text())
    return {"error": f"the {target.label} run exited with status {completed.returncode} and wrote no result"}


def child_setup() -> None:
    """In a child: configure Django for the database in the environment and bring the schema up to date."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inminban.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def settle_database() -> None:
    """After a bulk load, bring the database to a steady state before timing reads, as time would on its own:
    PostgreSQL vacuums and analyzes (else autovacuum starts in the middle of the timings) and checkpoints;
    SQLite analyzes and folds its write-ahead log back into the database file."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
            try:
                cursor.execute("CHECKPOINT")
            except Exception:  # needs a superuser (or pg_checkpoint); the numbers are only a little noisier
                pass
        else:
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def write_result(path: str, result: dict) -> None:
    Path(path).write_text(json.dumps(result, indent=2, default=str))


# Timing -----------------------------------------------------------------------------------------------------------


def time_calls(
    call: Callable[[], object], *, warmup: int = 5, rounds: int = 5, per_round: int = 10, budget_s: float = 40.0
) -> dict:
    """Time `call()` in milliseconds: `warmup` untimed calls, then `rounds` rounds of `per_round` timed calls.

    `median_ms` is the median of the best round (the round with the lowest median): on a shared machine a busy
    neighbour slows some rounds, and the best round is the closest to the call's own cost. `all_median_ms` is
    the median of every call, for comparison. Stops early (after at least one round) once `budget_s` is spent,
    so a slow page cannot stall a run."""
    for _ in range(warmup):
        call()
    # Garbage left by the set-up (building the demo, a bulk load) would otherwise be collected during the timed
    # calls, and make whichever phase follows the bigger set-up look slower.
    gc.collect()
    round_medians, samples = [], []
    started = time.perf_counter()
    for _ in range(rounds):
        round_samples = []
        for _ in range(per_round):
            began = time.perf_counter()
            call()
            round_samples.append((time.perf_counter() - began) * 1000)
        round_medians.append(statistics.median(round_samples))
        samples.extend(round_samples)
        if time.perf_counter() - started > budget_s:
            break
    samples.sort()
    return {
        "median_ms": min(round_medians),
        "all_median_ms": statistics.median(samples),
        "min_ms": samples[0],
        "p90_ms": samples[min(len(samples) - 1, int(len(samples) * 0.9))],
        "runs": len(samples),
        "rounds": len(round_medians),
    }
