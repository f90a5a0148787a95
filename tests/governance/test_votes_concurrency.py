"""Ballots under concurrency, against the real server (`inminban serve`, 32 threads) on a database of its own: 50
households vote at the same instant and each is counted exactly once; one household voting twice at once (two
accounts) is counted once; two processes closing the vote at once close it once."""

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

INMINBAN = Path(sys.executable).parent / "inminban"
HOUSEHOLDS = 50

# Run in the separate database (after the small demo): a unit of HOUSEHOLDS + 1 households under district HS-A with a
# resident account and a token for each of the first HOUSEHOLDS, the last one's head nominated; and a unit of three
# households whose first has two accounts (its head and a spouse), its second's head nominated. Prints JSON.
SETUP = """
import json
from datetime import date
from django.contrib.auth.models import User
from inminban.api.tokens import token_create
from inminban.areas import services as areas
from inminban.areas.models import Area, AreaLevel
from inminban.governance import votes
from inminban.registry import services as registry

admin, officer = User.objects.get(username="admin"), User.objects.get(username="officer-a")
district, level = Area.objects.get(code="HS-A"), AreaLevel.objects.get(is_unit=True)

def unit_with(code, count):
    unit = areas.area_create(actor=admin, parent=district, level=level, code=code, name_ko=code, name_en=code)
    made = []
    for i in range(count):
        made.append(registry.household_register_with_head(
            actor=admin, unit=unit, number=f"{code}-{i:03d}", registered_on=date(2020, 1, 1),
            new_head={"family_name": "동", "given_name": f"시{i}", "birth_date": date(1970, 1, 1), "sex": "M",
                      "national_id": f"{code}-{i:03d}"}))
    return unit, made

def token_for(person, name):
    user = User.objects.create_user(name)
    areas.role_assign(actor=admin, user=user, role="resident", person=person, since=date(2020, 1, 1))
    return token_create(actor=None, user=user)[1]

unit, households = unit_with("HS-AC", N + 1)
tokens = [token_for(h.head, f"c-{h.number.lower()}") for h in households[:N]]
vote = votes.nomination_create(actor=officer, unit=unit, nominee=households[N].head, statement="동시 투표").vote
small, few = unit_with("HS-AD", 3)
spouse = registry.person_register(actor=admin, household=few[0], family_name="배", given_name="우자",
    birth_date=date(1972, 1, 1), sex="F", relation="spouse", since=date(2020, 1, 1))
twins = [token_for(few[0].head, "d-head"), token_for(spouse, "d-spouse")]
second = votes.nomination_create(actor=officer, unit=small, nominee=few[1].head, statement="두 번").vote
print(json.dumps({"tokens": tokens, "vote": vote.pk, "twins": twins, "second_vote": second.pk}))
"""


@pytest.fixture(scope="module")
def server(separate_database):
    database = separate_database
    built = database.run("shell", "-c", "from inminban.synth.demo import SMALL, build_demo; build_demo(size=SMALL)")
    assert built.returncode == 0, built.stderr
    made = database.run("shell", "-c", f"N = {HOUSEHOLDS}\n" + SETUP)
    assert made.returncode == 0, made.stderr
    world = json.loads(made.stdout.strip().splitlines()[-1])
    with database.serve(threads=32) as base:
        yield {"database": database, "base": base, **world}


def _ballot(server, token: str, vote: int, choice: str) -> tuple[int, dict]:
    """One ballot, retried as a client should when SQLite answers 503 (busy, nothing written) after Retry-After."""
    for _attempt in range(20):
        status, body, retry_after = _ballot_once(server, token, vote, choice)
        if status != 503:
            return status, body
        time.sleep(min(float(retry_after or 1), 1.0))
    return status, body


def _ballot_once(server, token: str, vote: int, choice: str) -> tuple[int, dict, str | None]:
    request = urllib.request.Request(
        f"{server['base']}/api/v1/votes/{vote}/ballots",
        data=json.dumps({"choice": choice}).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read()), None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), error.headers.get("Retry-After")


def _all_at_once(calls: list) -> list:
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    return results


def _count(server, sql: str) -> int:
    return server["database"].scalar(sql)


@pytest.mark.django_db
def test_fifty_households_voting_at_once_are_each_counted_once(server):
    vote = server["vote"]
    choices = ["yes", "no", "abstain"]
    calls = [
        (lambda token=token, i=i: _ballot(server, token, vote, choices[i % 3]))
        for i, token in enumerate(server["tokens"][:HOUSEHOLDS])
    ]
    results = _all_at_once(calls)
    assert [status for status, _ in results] == [201] * HOUSEHOLDS, [r for r in results if r[0] != 201][:3]
    assert _count(server, f"SELECT SUM(count) FROM governance_tally WHERE vote_id = {vote}") == HOUSEHOLDS
    assert _count(server, f"SELECT COUNT(*) FROM governance_participation WHERE vote_id = {vote}") == HOUSEHOLDS
    assert (
        _count(server, f"SELECT count FROM governance_tally WHERE vote_id = {vote} AND channel = 'online' "
               "AND choice = 'yes'")
        == 17
    )  # fmt: skip
    assert _count(server, "SELECT COUNT(*) FROM audit_auditentry WHERE action = 'vote.participate'") == HOUSEHOLDS


@pytest.mark.django_db
def test_one_household_voting_twice_at_once_is_counted_once(server):
    vote = server["second_vote"]
    first, second = server["twins"]
    results = _all_at_once(
        [lambda: _ballot(server, first, vote, "yes"), lambda: _ballot(server, second, vote, "no")] * 5
    )
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [422] * 9, results
    assert all(body["fields"] == {"vote": [body["detail"]]} for status, body in results if status == 422)
    assert _count(server, f"SELECT SUM(count) FROM governance_tally WHERE vote_id = {vote}") == 1
    assert _count(server, f"SELECT COUNT(*) FROM governance_participation WHERE vote_id = {vote}") == 1


@pytest.mark.django_db
def test_two_processes_closing_at_once_close_once(server):
    database = server["database"]
    vote = server["vote"]
    moved = database.run(
        "shell",
        "-c",
        "from datetime import timedelta; from django.utils import timezone; "
        "from inminban.governance.models import ConsentVote; "
        f"ConsentVote.objects.filter(pk={vote}).update(opens_at=timezone.now() - timedelta(days=8), "
        "closes_at=timezone.now() - timedelta(days=1))",
    )
    assert moved.returncode == 0, moved.stderr
    close = "from inminban.governance.votes import votes_close_due; print(votes_close_due())"
    processes = [
        subprocess.Popen(
            [str(INMINBAN), "shell", "-c", close], env=database.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]  # fmt: skip
    outputs = [process.communicate(timeout=120) for process in processes]
    assert all(process.returncode == 0 for process in processes), outputs
    assert sorted(int(out.strip().splitlines()[-1]) for out, _ in outputs) == [0, 1]
    closes = f"SELECT COUNT(*) FROM audit_auditentry WHERE action = 'vote.close' AND target_id = '{vote}'"
    assert _count(server, closes) == 1
    # 17 yes of 50: rejected, published once to each of the unit's 50 accounts.
    assert _count(server, "SELECT COUNT(*) FROM governance_notification WHERE kind = 'vote_result'") == HOUSEHOLDS
    assert _count(server, "SELECT COUNT(*) FROM audit_auditentry WHERE action = 'nomination.reject'") == 1
    assert _count(server, f"SELECT status FROM governance_consentvote WHERE id = {vote}") == "closed"
