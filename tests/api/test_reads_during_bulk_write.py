"""Token-authenticated reads against the real server (`inminban serve`) while `inminban generate` holds its locks in
its one long transaction, on a database of its own of the test database's kind. SQLite: the load holds the write
lock; in WAL mode the reads see the database as it was before it. PostgreSQL: the load (which rebuilds the indexes)
holds exclusive locks on the registry tables until its commit. Either way every read answers at once (200 within
2 s) or a JSON 503 with Retry-After, and never a 500 or a wait until the commit."""

import json
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

INMINBAN = Path(sys.executable).parent / "inminban"
READS = 20
PATHS = ["/api/v1/me", "/api/v1/areas/HS-A1", "/api/v1/directives", "/api/v1/campaigns", "/api/v1/day"]


def _run(database, *args: str) -> str:
    done = database.run(*args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _load_holds_its_locks(database) -> bool:
    """Whether the load holds what makes others wait: SQLite's write lock (taken here for an instant if it is free),
    or, on PostgreSQL, an exclusive lock on the household table."""
    if not database.url.startswith("sqlite:"):
        return bool(
            database.scalar(
                "SELECT COUNT(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                " WHERE c.relname = 'registry_household' AND l.mode = 'AccessExclusiveLock' AND l.granted"
            )
        )
    probe = sqlite3.connect(urlsplit(database.url).path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        assert "locked" in str(error), error
        return True
    else:
        probe.execute("ROLLBACK")
        return False
    finally:
        probe.close()


@pytest.fixture(scope="module")
def server(separate_database):
    database = separate_database
    env = database.env()
    _run(database, "shell", "-c", "from inminban.synth.demo import SMALL, build_demo; build_demo(size=SMALL)")
    token = _run(database, "token", "create", "leader-a1").strip()
    # Threads for the 20 reads at once: with fewer, a read queues behind others waiting for a lock.
    with database.serve(threads=24) as base:
        yield {"base": base, "token": token, "env": env, "database": database}


def _get(server, path: str) -> tuple[int, float, str, dict]:
    request = urllib.request.Request(server["base"] + path, headers={"Authorization": f"Bearer {server['token']}"})
    began = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, time.monotonic() - began, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, time.monotonic() - began, error.read().decode(), dict(error.headers)


def _all_at_once(server, paths: list[str]) -> list[tuple[int, float, str, dict]]:
    barrier = threading.Barrier(len(paths))
    results: list = [None] * len(paths)

    def read(index: int, path: str) -> None:
        barrier.wait()
        results[index] = _get(server, path)

    threads = [threading.Thread(target=read, args=(i, path)) for i, path in enumerate(paths)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _answered_in_time(status: int, seconds: float, body: str, headers: dict) -> bool:
    if status == 200:
        return seconds < 2
    if status == 503:
        return set(json.loads(body)) == {"error", "detail", "fields"} and int(headers["Retry-After"]) > 0
    return False


def test_token_reads_during_a_bulk_generate_answer_at_once(server):
    generate = subprocess.Popen(
        [str(INMINBAN), "generate", "--households", "100000", "--city", "BW", "--no-progress"],
        env=server["env"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not _load_holds_its_locks(server["database"]):
            assert generate.poll() is None, generate.communicate()
            assert time.monotonic() < deadline, "generate never took the write lock"
            time.sleep(0.01)

        paths = [PATHS[i % len(PATHS)] for i in range(READS)]
        results = _all_at_once(server, paths)
        still_writing = _load_holds_its_locks(server["database"]) and generate.poll() is None
    finally:
        stdout, stderr = generate.communicate(timeout=600)
    assert generate.returncode == 0, stderr
    assert "100,000 households" in stdout

    late = [
        (path, status, round(seconds, 2), body[:120])
        for path, (status, seconds, body, headers) in zip(paths, results, strict=True)
        if not _answered_in_time(status, seconds, body, headers)
    ]
    assert late == []
    assert still_writing, "the reads were answered only after the load had committed"
