"""Idempotency-Key under concurrency, against the real server (`inminban serve`, 32 threads) on a database of its
own (the small demo city): 50 clients send the same keyed create at the same instant."""

import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
import pytest
from django.db import connection

INMINBAN = Path(sys.executable).parent / "inminban"
CLIENTS = 50


def _server_database(tmp_path: Path) -> str:
    """A new, empty database beside the test database, of the same kind."""
    if connection.vendor == "sqlite":
        return f"sqlite:///{tmp_path / 'server.sqlite3'}"
    settings = connection.settings_dict
    user = quote(settings["USER"] or "", safe="")
    password = f":{quote(settings['PASSWORD'], safe='')}" if settings["PASSWORD"] else ""
    auth = f"{user}{password}@" if user else ""
    url = f"postgres://{auth}{settings['HOST'] or 'localhost'}:{settings['PORT'] or 5432}/{settings['NAME']}_idem"
    _recreate(url)
    return url


def _maintenance(url: str) -> psycopg.Connection:
    return psycopg.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")), autocommit=True)


def _recreate(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    with _maintenance(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _count(url: str, sql: str) -> int:
    if url.startswith("sqlite:"):
        with sqlite3.connect(urlsplit(url).path) as conn:
            return conn.execute(sql).fetchone()[0]
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchone()[0]


def _run(url: str, data_dir: Path, *args: str) -> str:
    env = os.environ | {"INMINBAN_DATABASE_URL": url, "INMINBAN_DATA_DIR": str(data_dir)}
    done = subprocess.run([str(INMINBAN), *args], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory, django_db_blocker):
    tmp_path = tmp_path_factory.mktemp("idempotency-server")
    with django_db_blocker.unblock():
        url = _server_database(tmp_path)
    _run(url, tmp_path, "migrate", "-v0")
    _run(url, tmp_path, "shell", "-c", "from inminban.synth.demo import SMALL, build_demo; build_demo(size=SMALL)")
    token = _run(url, tmp_path, "token", "create", "leader-a1").strip()
    port = _free_port()
    env = os.environ | {"INMINBAN_DATABASE_URL": url, "INMINBAN_DATA_DIR": str(tmp_path)}
    process = subprocess.Popen(
        [str(INMINBAN), "serve", "--port", str(port), "--threads", "32", "--no-worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/login/", timeout=2)
            break
        except OSError:
            assert process.poll() is None, process.stderr.read()
            time.sleep(0.2)
    yield {"url": url, "base": base, "token": token}
    process.terminate()
    process.wait(timeout=30)
    if not url.startswith("sqlite:"):
        with _maintenance(url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{urlsplit(url).path.lstrip("/")}" WITH (FORCE)')


def _post(server, body: dict, key: str) -> tuple[int, dict, dict]:
    request = urllib.request.Request(
        server["base"] + "/api/v1/dwellings",
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {server['token']}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), dict(error.headers)


def _all_at_once(server, bodies_and_keys: list[tuple[dict, str]]) -> list[tuple[int, dict, dict]]:
    barrier = threading.Barrier(len(bodies_and_keys))
    results: list = [None] * len(bodies_and_keys)

    def send(index: int, body: dict, key: str) -> None:
        barrier.wait()
        results[index] = _post(server, body, key)

    threads = [threading.Thread(target=send, args=(i, *pair)) for i, pair in enumerate(bodies_and_keys)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _counts(server, address_prefix: str) -> tuple[int, int]:
    dwellings = _count(server["url"], f"SELECT COUNT(*) FROM registry_dwelling WHERE address LIKE '{address_prefix}%'")
    entries = _count(server["url"], "SELECT COUNT(*) FROM audit_auditentry")
    return dwellings, entries


@pytest.mark.django_db
def test_fifty_clients_with_one_key_create_one_row_and_one_audit_entry(server):
    _, entries_before = _counts(server, "동시거리")
    body = {"unit": "HS-A1", "address": "동시거리 1", "kind": "row"}
    results = _all_at_once(server, [(body, "same-key-for-all")] * CLIENTS)

    dwellings, entries = _counts(server, "동시거리")
    assert (dwellings, entries - entries_before) == (1, 1)
    created = [result for result in results if result[0] == 201]
    assert len(created) == CLIENTS, [result[:2] for result in results if result[0] != 201]
    assert len({json.dumps(result[1], sort_keys=True) for result in created}) == 1
    assert sum(1 for result in created if result[2].get("Idempotent-Replayed") != "true") == 1


@pytest.mark.django_db
def test_fifty_clients_with_their_own_keys_create_fifty_rows(server):
    _, entries_before = _counts(server, "각자거리")
    pairs = [({"unit": "HS-A1", "address": f"각자거리 {i}", "kind": "row"}, f"own-key-{i}") for i in range(CLIENTS)]
    results = _all_at_once(server, pairs)

    assert [status for status, _, _ in results] == [201] * CLIENTS
    dwellings, entries = _counts(server, "각자거리")
    assert (dwellings, entries - entries_before) == (CLIENTS, CLIENTS)
    assert len({body["id"] for _, body, _ in results}) == CLIENTS


@pytest.mark.django_db
def test_a_key_reused_with_another_body_at_the_same_instant_is_refused(server):
    _, entries_before = _counts(server, "충돌거리")
    pairs = [({"unit": "HS-A1", "address": f"충돌거리 {i % 2}", "kind": "row"}, "clashing-key") for i in range(10)]
    results = _all_at_once(server, pairs)

    dwellings, entries = _counts(server, "충돌거리")
    assert (dwellings, entries - entries_before) == (1, 1)
    statuses = sorted(status for status, _, _ in results)
    winner = next(body["address"] for status, body, _ in results if status == 201)
    losers = [body for status, body, _ in results if status == 422]
    assert statuses == [201] * 5 + [422] * 5
    assert all(body["error"] == "idempotency_conflict" for body in losers)
    assert sum(1 for status, body, _ in results if status == 201 and body["address"] == winner) == 5
