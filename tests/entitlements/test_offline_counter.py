"""An offline counter: `inminban counter pack` writes what it needs; `inminban counter redeem` then verifies vouchers
and records hand-outs from the pack alone, in a subprocess whose database URL points nowhere (if it touched the
database it would fail instead of answering); `inminban counter upload` sends them to the batch endpoint, where two
counters' overlapping hand-outs of one voucher leave the first standing and one conflict, and a retry writes nothing."""

import io
import json
import os
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from inminban.api.tokens import token_create
from inminban.areas import services as area_services
from inminban.areas.models import Area, Role
from inminban.entitlements import offline, services
from inminban.entitlements.models import Cycle, Entitlement, Program, Redemption
from inminban.stamps.services import stamp_encoded, stamp_revoke

from .conftest import month_start
from .counter_fixtures import *  # noqa: F403 (fixtures)
from .counter_fixtures import rows, tampered

INMINBAN = Path(sys.executable).parent / "inminban"
NOWHERE = "postgres://nobody@127.0.0.1:1/none"


def counter_offline(tmp_path, *args) -> subprocess.CompletedProcess:
    env = os.environ | {"INMINBAN_DATABASE_URL": NOWHERE, "INMINBAN_DATA_DIR": str(tmp_path / "counter-data")}
    return subprocess.run(
        [str(INMINBAN), "counter", *map(str, args)], capture_output=True, text=True, env=env, timeout=120
    )


def pack(counter, directory: Path) -> Path:
    call_command("counter", "pack", counter.code, str(directory), stdout=io.StringIO())
    return directory


@pytest.fixture
def through_client(monkeypatch):
    """Uploads go to the test's own API in-process instead of over HTTP (urllib is replaced, nothing else)."""

    def post(url: str, body: bytes, headers: dict[str, str]):
        path = url.removeprefix("http://counter-test")
        response = Client().post(path, data=body, content_type="application/json", headers=headers)
        return response.status_code, response.content

    monkeypatch.setattr(offline, "_http_post", post)


TOKENS: dict[str, str] = {}


def upload(directory: Path, username: str) -> str:
    if username not in TOKENS:  # one token per clerk: making one is audited, and a retry must write nothing
        TOKENS[username] = token_create(actor=None, user=User.objects.get(username=username))[1]
    token = TOKENS[username]
    out = io.StringIO()
    call_command("counter", "upload", str(directory), "--url", "http://counter-test", "--token", token, stdout=out)
    return out.getvalue()


def test_pack_holds_the_trust_files_cycles_and_vouchers_of_the_counter(distribution, clients, tmp_path):
    partial = distribution.vouchers[1]
    response = clients["ctr-clerk-a"].post(
        f"/api/v1/counters/{distribution.counter_a.pk}/redemptions",
        data=json.dumps({"voucher": distribution.text(1), "quantity": 1000}),
        content_type="application/json",
    )
    assert response.status_code == 201
    directory = pack(distribution.counter_a1, tmp_path / "pack")
    for name in ("trust-list.cose", "root-key.pem", "counter.json", "vouchers.json"):
        assert (directory / name).is_file(), name
    assert list((directory / "status").glob("*.cose"))
    document = json.loads((directory / "counter.json").read_text())
    assert document["counter"]["code"] == "CTR-A1" and document["area_path"] == distribution.counter_a1.area.path
    cycle = next(c for c in document["cycles"] if c["id"] == distribution.cycle.pk)
    assert cycle["status"] == "distributing" and cycle["measure"] == "g"
    entries = {e["serial"]: e for e in json.loads((directory / "vouchers.json").read_text())}
    mine = Entitlement.objects.filter(cycle=distribution.cycle, unit__code="HS-A1", voucher__isnull=False)
    assert {s for s, e in entries.items() if e["cycle"] == distribution.cycle.pk} == {
        str(serial) for serial in mine.values_list("voucher__serial", flat=True)
    }
    assert not any(e["unit"] != "HS-A1" for e in entries.values())
    entry = entries[str(partial.voucher.serial)]
    assert (entry["quantity"], entry["redeemed"], entry["household"]) == (
        partial.quantity,
        1000,
        partial.household.number,
    )

    names = zipfile.ZipFile(io.BytesIO(offline.pack_zip(distribution.counter_a1))).namelist()
    assert {"counter.json", "vouchers.json", "trust-list.cose", "root-key.pem"} <= set(names)


def test_vouchers_verified_and_redeemed_from_the_pack_alone(distribution, tmp_path):
    directory = pack(distribution.counter_a1, tmp_path / "pack")
    assert counter_offline(tmp_path, "pack", "CTR-A1", tmp_path / "other").returncode != 0, (
        "the database is unreachable"
    )
    before = rows()
    full, partial = distribution.vouchers[0], distribution.vouchers[1]

    run = counter_offline(tmp_path, "redeem", directory, distribution.text(0), "--clerk", "Pak")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("REDEEMED") and full.household.number in run.stdout

    run = counter_offline(tmp_path, "redeem", directory, distribution.text(0), "--clerk", "Ri")
    assert run.returncode == 1
    assert run.stdout.startswith("REFUSED (used_up)") and "Pak" in run.stdout and "Counter A1" in run.stdout

    run = counter_offline(tmp_path, "redeem", directory, distribution.text(1), "--quantity", 1000, "--clerk", "Pak")
    assert run.returncode == 0, run.stderr
    run = counter_offline(tmp_path, "redeem", directory, distribution.text(1), "--quantity", partial.quantity)
    assert run.returncode == 1 and run.stdout.startswith("REFUSED (not_enough_left)")
    run = counter_offline(tmp_path, "redeem", directory, distribution.text(1), "--check", "--json")
    assert json.loads(run.stdout)["left"] == partial.quantity - 1000

    records = [json.loads(line) for line in (directory / "redemptions.jsonl").read_text().splitlines()]
    assert [(r["serial"], r["quantity"], r["clerk"]) for r in records] == [
        (str(full.voucher.serial), full.quantity, "Pak"),
        (str(partial.voucher.serial), 1000, "Pak"),
    ]
    assert all(r["handed_at"][-6] in "+-" for r in records), "handed_at carries its time zone"
    assert len({r["id"] for r in records}) == 2
    status = counter_offline(tmp_path, "status", directory)
    assert status.returncode == 0 and "Not uploaded yet: 2." in status.stdout
    assert rows() == before  # nothing reached the server


@pytest.fixture
def other_cycles(distribution, cast, make_program, checker, office_b):
    """A cycle of another program over district A that closed, and an open cycle of district B's own program."""
    officer = cast["officer-a"]
    start = month_start(distribution.cycle.period_start)
    closing = services.cycle_create(actor=officer, program=make_program(name_en="Closed ration"), period_start=start)
    services.cycle_generate(actor=officer, cycle=closing)
    services.cycle_approve(actor=checker, cycle=Cycle.objects.get(pk=closing.pk))
    closed_text = stamp_encoded(
        Entitlement.objects.get(cycle=closing, household=distribution.vouchers[0].household).voucher
    )
    services.cycle_distribute(actor=officer, cycle=Cycle.objects.get(pk=closing.pk))
    services.cycle_close(actor=officer, cycle=Cycle.objects.get(pk=closing.pk))

    checker_b = User.objects.create_user("ctr-checker-b")
    area_services.role_assign(
        actor=cast["admin"], user=checker_b, role=Role.OFFICER, office=office_b, since=date(2015, 1, 1)
    )
    program_b = services.program_create(
        actor=cast["officer-b"],
        office=office_b,
        area=Area.objects.get(code="HS-B"),
        kind=Program.Kind.GRAIN_RATION,
        rule={"resident": {}},
        name_en="District B ration",
    )
    cycle_b = services.cycle_create(actor=cast["officer-b"], program=program_b, period_start=start)
    services.cycle_generate(actor=cast["officer-b"], cycle=cycle_b)
    services.cycle_approve(actor=checker_b, cycle=Cycle.objects.get(pk=cycle_b.pk))
    b_text = stamp_encoded(Entitlement.objects.filter(cycle=cycle_b, eligible=True).first().voucher)
    return {"closed": closed_text, "district_b": b_text}


def test_offline_refusals_name_their_reason(distribution, other_cycles, forged, cast, tmp_path):
    stamp_revoke(actor=cast["officer-a"], stamp=distribution.vouchers[2].voucher, reason="Reported stolen")
    forged_text = forged(distribution.vouchers[3].voucher)
    directory = pack(distribution.counter_a, tmp_path / "pack")
    cases = [
        ([tampered(distribution.text(0))], "bad_signature"),
        ([other_cycles["district_b"]], "other_cycle"),
        ([distribution.text(0), "--cycle", distribution.cycle.pk + 1000], "other_cycle"),
        ([other_cycles["closed"]], "cycle_closed"),
        ([distribution.text(2)], "revoked"),
        ([forged_text], "key_not_valid_for_unit"),
        (["INBV1:garbage"], "malformed"),
    ]
    for args, reason in cases:
        run = counter_offline(tmp_path, "redeem", directory, *args)
        assert run.returncode == 1, (reason, run.stdout, run.stderr)
        assert run.stdout.startswith(f"REFUSED ({reason}):"), (reason, run.stdout)
    assert not (directory / "redemptions.jsonl").read_text().strip()


def test_every_changed_character_is_refused_offline(distribution, tmp_path):
    loaded = offline.pack_load(pack(distribution.counter_a1, tmp_path / "pack"))
    text = distribution.text(0)
    for index in range(len(text)):
        changed = text[:index] + ("1" if text[index] != "1" else "2") + text[index + 1 :]
        result = offline.offline_check(loaded, changed)
        assert not result.ok and result.reason in {"bad_signature", "malformed", "bad_prefix", "unknown_key"}, index
    assert offline.offline_check(loaded, text).ok


def test_two_counters_upload_overlapping_redemptions(distribution, clients, through_client, tmp_path):
    TOKENS.clear()
    voucher, partial = distribution.vouchers[0], distribution.vouchers[1]
    at_a1 = pack(distribution.counter_a1, tmp_path / "a1")
    at_a = pack(distribution.counter_a, tmp_path / "a")
    # A1 hands the voucher out first; A, not knowing, hands it out again, and part of another.
    assert counter_offline(tmp_path, "redeem", at_a1, distribution.text(0), "--clerk", "Ri").returncode == 0
    assert counter_offline(tmp_path, "redeem", at_a, distribution.text(0), "--clerk", "Kim").returncode == 0
    assert counter_offline(tmp_path, "redeem", at_a, distribution.text(1), "--quantity", 500).returncode == 0
    first_id = json.loads((at_a1 / "redemptions.jsonl").read_text())["id"]
    later_id = json.loads((at_a / "redemptions.jsonl").read_text().splitlines()[0])["id"]

    # A uploads first: its hand-out stands, until A1's earlier one arrives and takes its place.
    assert "recorded 2, already recorded 0, conflicts 0, refused 0" in upload(at_a, "ctr-clerk-a")
    assert Redemption.objects.get(uid=later_id).status == Redemption.Status.ACCEPTED
    out = upload(at_a1, "ctr-clerk-a1")
    assert "recorded 1, already recorded 0, conflicts 1, refused 0" in out
    assert out.count("conflict:") == 1 and "CTR-A," in out and "CTR-A1," in out
    assert Redemption.objects.get(uid=first_id).status == Redemption.Status.ACCEPTED
    conflict = Redemption.objects.get(uid=later_id)
    assert conflict.status == Redemption.Status.CONFLICT and conflict.conflict_with.uid.hex == first_id.replace("-", "")
    voucher.refresh_from_db()
    partial.refresh_from_db()
    assert (voucher.redeemed, partial.redeemed) == (voucher.quantity, 500)  # nothing counted twice

    before = rows()
    upload(at_a1, "ctr-clerk-a1")  # the same request again: its first answer, nothing written
    upload(at_a, "ctr-clerk-a")
    items = [
        {k: r[k] for k in ("id", "voucher", "quantity", "handed_at", "clerk")}
        for r in map(json.loads, (at_a1 / "redemptions.jsonl").read_text().splitlines())
    ]
    retried = clients["ctr-clerk-a1"].post(
        f"/api/v1/counters/{distribution.counter_a1.pk}/redemptions/batch",
        data=json.dumps({"redemptions": items}),
        content_type="application/json",
    )
    assert retried.status_code == 200 and retried.json()["already_recorded"] == [first_id]
    assert rows() == before

    conflicts = clients["officer-a"].get(f"/api/v1/cycles/{distribution.cycle.pk}/conflicts").json()
    assert [(c["id"], c["counter"], c["conflict_with"]["counter"]) for c in conflicts["items"]] == [
        (later_id, "CTR-A", "CTR-A1")
    ]
    status = counter_offline(tmp_path, "status", at_a)
    assert "Not uploaded yet: 0." in status.stdout and "[recorded]" in status.stdout

    # Packed again into the same directory, what was uploaded is not taken off twice.
    pack(distribution.counter_a, at_a)
    run = counter_offline(tmp_path, "redeem", at_a, distribution.text(1), "--check", "--json")
    assert json.loads(run.stdout)["left"] == partial.quantity - 500, run.stdout
