"""allocation: the pure largest-remainder allocation, per unit and for a whole country's worth of units.

No database: this times `inminban.duties.allocation.allocate` alone, which every quota of every unit goes
through. A unit has 20–30 households; the country about 250,000 units. The database part of an allocation is a
fixed handful of queries per unit (see tests/duties/test_campaigns.py), so this is the part that grows."""

import random
import statistics
import time

from rich.table import Table

from benchmarks.common import console

UNITS_IN_COUNTRY = 250_000


def _units(count: int, seed: int = 2008) -> list[tuple[int, list[tuple[int, int]]]]:
    rng = random.Random(seed)
    units, next_id = [], 1
    for _ in range(count):
        size = rng.randint(20, 30)
        weights = [(next_id + i, rng.choice([0, 1, 1, 2, 2, 3, 4])) for i in range(size)]
        weights[0] = (weights[0][0], max(weights[0][1], 1))
        next_id += size
        units.append((rng.randint(0, 2000), weights))
    return units


def _time(label: str, calls, rounds: int = 5) -> tuple[str, float, float]:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        calls()
        times.append(time.perf_counter() - started)
    return label, min(times), statistics.median(times)


def run() -> None:
    from inminban.duties.allocation import allocate

    units = _units(10_000)

    def per_unit():
        for number, (quota, weights) in enumerate(units):
            allocate(quota, weights, salt=f"campaign:{number}")

    big = [(pk, pk % 5) for pk in range(1, 100_001)]
    rows = [
        _time("10,000 units of 20–30 households", per_unit),
        _time("one allocation over 100,000 households", lambda: allocate(1_000_000, big, salt="levy:1"), rounds=3),
    ]
    table = Table("case", "best s", "median s", "per unit ms", f"est. {UNITS_IN_COUNTRY:,} units s")
    for label, best, median in rows:
        if label.startswith("10,000"):
            per = best / len(units)
            table.add_row(label, f"{best:.2f}", f"{median:.2f}", f"{per * 1000:.3f}", f"{per * UNITS_IN_COUNTRY:.0f}")
        else:
            table.add_row(label, f"{best:.2f}", f"{median:.2f}", "", "")
    console.print(table)
