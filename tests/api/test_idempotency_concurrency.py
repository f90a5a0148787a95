"""Idempotency-Key under concurrency, against the real server (`inminban serve`, 32 threads) on a database of its
own (the small demo city): 50 clients send the same keyed create at the same instant."""

import json
import threading
import urllib.error
import urllib.request

import pytest

CLIENTS = 50


@pytest.fixture(scope="module")
def server(separate_database):
    """`inminban serve` with 32 threads on a database of its own holding the small demo city."""
    database = separate_database
    built = database.run("shell", "-c", "from inminban.synth.demo import SMALL, build_demo; build_demo(size=SMALL)")
    assert built.returncode == 0, built.stderr
    token = database.run("token", "create", "leader-a1").stdout.strip()
    with database.serve(threads=32) as base:
        yield {"database": database, "base": base, "token": token}


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
    database = server["database"]
    dwellings = database.scalar(f"SELECT COUNT(*) FROM registry_dwelling WHERE address LIKE '{address_prefix}%'")
    return dwellings, database.scalar("SELECT COUNT(*) FROM audit_auditentry")


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
