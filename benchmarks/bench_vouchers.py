"""vouchers: issuing a city's ration vouchers, and a counter's answer to a scanned voucher.

For SQLite and PostgreSQL each, in one run on the same data: generate a city (200,000 households by default), compute
a grain-ration cycle over it, mark it approved, and time:

  (a) `cycle_vouchers_issue`: the product's set-based path (an INSERT … SELECT of the voucher rows and an UPDATE
      linking them, per range of households; signing waits for the first time a voucher is shown);
  (b) a per-record ORM loop doing the same for a 5,000-household sample of another cycle (reserve a status index,
      create the voucher row, link it), one household at a time, extrapolated to the city;
  (c) a counter's check of a scanned voucher (`redemptions.voucher_check`: signature, trust list, status list, the
      household's entitlement and what was handed out), against
  (d) the signature check alone (`Verifier.verify` on the same texts, trust documents already loaded), the floor.

Prints vouchers per second for (a) and (b) and c/a's ratio (target ≥ 100), and the median milliseconds of (c) and
(d) (target for (c): well under a second; it is what a clerk waits for after each scan).

    python -m benchmarks vouchers
    python -m benchmarks.bench_vouchers --households 1000000
"""

import argparse
import random
import sys
import time
from datetime import date

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

DEFAULT_HOUSEHOLDS = 200_000
SAMPLE = 5_000
PERIOD = date(2026, 12, 1)


def run(households: int | None = None) -> None:
    size = households or DEFAULT_HOUSEHOLDS
    results = []
    for target in targets("inminban_bench_vouchers"):
        console.print(f"[bold]{target.label}[/bold]: {size:,} households …")
        try:
            result = run_child("benchmarks.bench_vouchers", target, "--households", str(size))
        finally:
            target.cleanup()
            if target.label == "PostgreSQL":
                drop_postgres_database(target.url)
        results.append((target.label, result))
    table = Table(
        "database",
        "vouchers",
        "(a) set-based vouchers/s",
        "(b) ORM loop vouchers/s",
        "b/a time",
        "(c) counter check ms",
        "(d) signature alone ms",
        "c − d ms",
    )
    for label, result in results:
        if "error" in result:
            table.add_row(label, f"[red]{result['error']}[/red]", *[""] * 6)
            continue
        n, a, b = result["vouchers"], result["a_seconds"], result["b_seconds_extrapolated"]
        c, d = result["check"]["median_ms"], result["verify"]["median_ms"]
        table.add_row(
            label,
            f"{n:,}",
            f"{n / a:,.0f} ({a:.1f} s)",
            f"{n / b:,.0f} ({b / 60:.1f} min est.)",
            f"{b / a:,.0f}×",
            f"{c:.1f} (p90 {result['check']['p90_ms']:.1f})",
            f"{d:.2f}",
            f"{c - d:.1f}",
        )
    console.print(table)


# Child ------------------------------------------------------------------------------------------------------------


def _orm_loop(cycle, actor, sample: int) -> float:
    """(b): the same vouchers one household at a time, as a per-record queue job writes them; rolled back."""
    from django.db import transaction
    from django.utils import timezone

    from inminban.entitlements.models import Entitlement
    from inminban.entitlements.vouchers import voucher_expiry, voucher_measure, voucher_quantity, voucher_ref
    from inminban.stamps.models import SigningKey, Stamp
    from inminban.stamps.services import office_signing_key

    program = cycle.program
    started = time.perf_counter()
    with transaction.atomic():
        for entitlement in Entitlement.objects.filter(cycle=cycle, eligible=True).select_related("unit")[:sample]:
            key = office_signing_key(actor=actor, office=program.office)
            index = key.next_status_index
            SigningKey.objects.filter(pk=key.pk).update(next_status_index=index + 1)
            voucher = Stamp.objects.create(
                household_id=entitlement.household_id,
                duty_kind=Stamp.DutyKind.VOUCHER,
                duty_ref=voucher_ref(cycle),
                duty_title=program.name_ko or program.name_en,
                quantity=voucher_quantity(program, entitlement.quantity),
                measure=voucher_measure(program),
                period_start=cycle.period_start,
                period_end=cycle.period_end,
                unit=entitlement.unit,
                office=program.office,
                issued_at=timezone.now(),
                issued_by=actor,
                expires_at=voucher_expiry(cycle),
                signing_key=key,
                status_index=index,
            )
            entitlement.voucher = voucher
            entitlement.save(update_fields=["voucher"])
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed


def child(result_path: str, households: int) -> None:
    child_setup()
    from django.contrib.auth.models import User

    from inminban.areas.models import Office
    from inminban.entitlements import counters, redemptions, services, vouchers
    from inminban.entitlements.models import Cycle, Entitlement, Program
    from inminban.stamps.documents import server_verifier
    from inminban.stamps.services import stamp_encoded
    from inminban.synth.bulk import analyze_registry, generate_city

    admin = User.objects.create_superuser("bench-admin", password="bench-admin-password")
    city = generate_city(households=households, city="BV", progress=None).city
    analyze_registry()
    office = Office.objects.filter(area__path__startswith=city.path).order_by("area__depth", "code").first()
    program = services.program_create(
        actor=admin,
        office=office,
        area=city,
        kind=Program.Kind.GRAIN_RATION,
        name_en="Bench ration",
        name_ko="시험 배급",
        rule={"resident": {}},
    )

    def approved_cycle(start: date) -> Cycle:
        cycle = services.cycle_generate(
            actor=admin, cycle=services.cycle_create(actor=admin, program=program, period_start=start)
        )
        Cycle.objects.filter(pk=cycle.pk).update(status=Cycle.Status.APPROVED)
        cycle.refresh_from_db()
        return cycle

    cycle = approved_cycle(PERIOD)
    other = approved_cycle(date(2027, 1, 1))
    settle_database()

    started = time.perf_counter()
    vouchers.cycle_vouchers_issue(actor=admin, cycle=cycle)
    a_seconds = time.perf_counter() - started
    issued = Entitlement.objects.filter(cycle=cycle, voucher__isnull=False).count()

    sample = min(SAMPLE, other.entitled)
    b_seconds = _orm_loop(other, admin, sample)

    counter = counters.counter_create(actor=admin, office=office, area=city, code="BV-C1", name_en="Bench counter")
    clerk = User.objects.create_user("bench-clerk", password="bench-clerk-password")
    counters.counter_clerk_assign(actor=admin, user=clerk, counter=counter)
    picked = list(
        Entitlement.objects.filter(cycle=cycle, voucher__isnull=False)
        .select_related("voucher__household", "voucher__unit", "voucher__signing_key")
        .order_by("?")[:200]
    )
    texts = [stamp_encoded(entitlement.voucher) for entitlement in picked]
    rng = random.Random(1)
    clerk = User.objects.get(pk=clerk.pk)
    check = time_calls(lambda: redemptions.voucher_check(actor=clerk, counter=counter, text=rng.choice(texts)))
    verifier = server_verifier()
    verify = time_calls(lambda: verifier.verify(rng.choice(texts)))
    write_result(
        result_path,
        {
            "vouchers": issued,
            "a_seconds": a_seconds,
            "b_sample": sample,
            "b_seconds_extrapolated": b_seconds * issued / max(sample, 1),
            "check": check,
            "verify": verify,
        },
    )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--result")
    parser.add_argument("--households", type=int, default=None)
    args = parser.parse_args(argv)
    if args.child:
        child(args.result, args.households or DEFAULT_HOUSEHOLDS)
    else:
        run(households=args.households)


if __name__ == "__main__":
    main(sys.argv[1:])
