"""audit: what the tamper-evident log costs. On SQLite and PostgreSQL each, in one run:

- append: entries per second through `audit_record` (the append lock, reading the previous hash, the SHA-256
  chain hash, the insert), each in its own transaction as a real write would be, by one writer and by 8
  concurrent writers (threads, one connection each); against the same rows inserted into a plain table without
  the chain (the baseline: what any audit table costs);
- checkpoint: `audit_checkpoint` (the RFC 6962 root over every entry, signed) on a log of 1,000,000 entries,
  against just reading the entries' hashes in order (the baseline), and `audit_verify` over the same log.

  python -m benchmarks audit
  INMINBAN_BENCH_AUDIT_ENTRIES=200000 python -m benchmarks audit
"""

import argparse
import os
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

from rich.table import Table

from benchmarks.common import child_setup, console, drop_postgres_database, run_child, targets, write_result

ENTRIES = int(os.environ.get("INMINBAN_BENCH_AUDIT_ENTRIES", 1_000_000))
APPENDS = int(os.environ.get("INMINBAN_BENCH_AUDIT_APPENDS", 2000))
WRITERS = 8


def run() -> None:
    results = []
    for target in targets("inminban_bench_audit"):
        console.print(f"[bold]{target.label}[/bold]: {APPENDS:,} appends, a log of {ENTRIES:,} entries …")
        try:
            result = run_child("benchmarks.bench_audit", target, "--entries", str(ENTRIES))
        finally:
            target.cleanup()
            if target.label == "PostgreSQL":
                drop_postgres_database(target.url)
        results.append((target.label, result))
    table = Table(
        "database",
        "append, 1 writer /s",
        "plain insert /s",
        "append, 8 writers /s",
        f"checkpoint of {ENTRIES:,}",
        "reading the hashes",
        "verify",
    )
    for label, result in results:
        if "error" in result:
            table.add_row(label, f"[red]{result['error']}[/red]", *[""] * 5)
            continue
        table.add_row(
            label,
            f"{result['append_single']:,.0f}",
            f"{result['plain_single']:,.0f} ({result['plain_single'] / result['append_single']:.1f}× faster)",
            f"{result['append_concurrent']:,.0f}",
            f"{result['checkpoint_seconds']:.1f} s",
            f"{result['read_seconds']:.1f} s ({result['checkpoint_seconds'] / result['read_seconds']:.1f}×)",
            f"{result['verify_seconds']:.1f} s",
        )
    console.print(table)


# Child ------------------------------------------------------------------------------------------------------------


def _append_rate(user, count: int, writers: int) -> float:
    from django.db import close_old_connections, transaction

    from inminban.audit.services import audit_record

    barrier = threading.Barrier(writers)
    errors = []

    def write(share: int) -> None:
        try:
            barrier.wait()
            for index in range(share):
                with transaction.atomic():
                    audit_record(actor=user, action="bench.append", target=user, after={"n": index})
        except Exception as error:  # noqa: BLE001 - reported after the threads finish
            errors.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=write, args=(count // writers,)) for _ in range(writers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return (count // writers * writers) / (time.perf_counter() - started)


def _plain_rate(count: int) -> float:
    """The baseline: the same columns into a table with no chain, no lock and no hash, one transaction each."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_plain_log (id integer PRIMARY KEY, at varchar(40), actor_name varchar(150),"
            " action varchar(64), target_type varchar(64), target_id varchar(64), after text)"
        )
    started = time.perf_counter()
    for index in range(count):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO bench_plain_log VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [index, datetime.now(UTC).isoformat(), "bench", "bench.append", "auth.user", "1", f'{{"n": {index}}}'],
            )
    return count / (time.perf_counter() - started)


def _fill_log(total: int) -> None:
    """Bring the log to `total` valid entries (each chained to the previous one), in batches."""
    from inminban.audit.chain import entry_fields, entry_hash
    from inminban.audit.models import AuditEntry

    last = AuditEntry.objects.order_by("-seq").first()
    seq, prev = (last.seq, last.hash) if last else (0, "0" * 64)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    while seq < total:
        batch = []
        for _ in range(min(10_000, total - seq)):
            seq += 1
            entry = AuditEntry(
                seq=seq,
                at=at + timedelta(seconds=seq),
                actor_name="bench",
                action="bench.fill",
                target_type="auth.user",
                target_id="1",
                target_repr="bench",
                area_path="/KP/",
                after={"n": seq},
                origin={"channel": "bench"},
                prev_hash=prev,
            )
            entry.hash = entry_hash(prev, entry_fields(entry))
            prev = entry.hash
            batch.append(entry)
        AuditEntry.objects.bulk_create(batch)


def child(result_path: str, entries: int) -> None:
    child_setup()
    from django.contrib.auth.models import User

    from inminban.audit.models import AuditCheckpoint, AuditEntry
    from inminban.audit.services import audit_checkpoint, audit_verify

    user = User.objects.create_user("bench-writer")
    append_single = _append_rate(user, APPENDS, 1)
    append_concurrent = _append_rate(user, APPENDS, WRITERS)
    plain_single = _plain_rate(APPENDS)

    _fill_log(entries)
    started = time.perf_counter()
    hashes = list(AuditEntry.objects.order_by("seq").values_list("hash", flat=True).iterator(chunk_size=10_000))
    read_seconds = time.perf_counter() - started
    del hashes
    started = time.perf_counter()
    checkpoint = audit_checkpoint()
    checkpoint_seconds = time.perf_counter() - started
    assert checkpoint is not None and checkpoint.size == entries == AuditEntry.objects.count()
    started = time.perf_counter()
    verified = audit_verify()
    verify_seconds = time.perf_counter() - started
    assert verified.ok, verified.reason
    write_result(
        result_path,
        {
            "append_single": append_single,
            "append_concurrent": append_concurrent,
            "plain_single": plain_single,
            "checkpoint_seconds": checkpoint_seconds,
            "read_seconds": read_seconds,
            "verify_seconds": verify_seconds,
            "entries": entries,
            "checkpoints": AuditCheckpoint.objects.count(),
        },
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--result")
    parser.add_argument("--entries", type=int, default=ENTRIES)
    args = parser.parse_args()
    if args.child:
        child(args.result, args.entries)
    else:
        run()
    sys.exit(0)
