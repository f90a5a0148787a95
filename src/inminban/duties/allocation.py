"""Exact, deterministic, explainable division of a quota among households. Pure functions: no database here.

A quota is an integer number of steps (e.g. 0.5 person-hours, 0.1 kg). Each household has a non-negative integer
weight (1 per household, its number of liable members, its declared income…). Its exact entitlement is
quota × weight / total weight, a fraction; everybody first gets the whole part, and the few steps left over go one
each to the households with the largest fractional parts (largest remainder, Hamilton's method). Ties are broken by
a draw key derived from the household id and a salt (the campaign or levy), so that the same households do not
always carry the extra step, while the result stays reproducible and independent of input order.

Guarantees (tested with hypothesis): the shares add up to the quota exactly; a household with weight zero gets
zero; households with equal weights get shares that differ by at most one step (and are equal whenever the exact
entitlement is whole); the same input in any order gives the same output."""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction


class AllocationError(ValueError):
    """The input cannot be allocated (negative quota, bad weights, or nobody to carry a positive quota)."""


@dataclass(frozen=True)
class Allotment:
    """One household's result and how it came about."""

    key: int
    weight: int
    total_weight: int
    exact: Fraction  # steps this household is owed exactly
    floor: int  # the whole part of `exact`
    extra: int  # 1 if it received one of the left-over steps, else 0
    rank: int | None  # its place in the queue for left-over steps (1 = first), None when its remainder is zero
    share: int  # floor + extra, in steps

    def explain(self) -> dict:
        return {
            "weight": self.weight,
            "total_weight": self.total_weight,
            "exact": f"{self.exact.numerator}/{self.exact.denominator}",
            "floor": self.floor,
            "remainder": f"{(self.exact - self.floor).numerator}/{(self.exact - self.floor).denominator}",
            "extra": self.extra,
            "rank": self.rank,
            "share": self.share,
        }


def draw_key(key: int, salt: str) -> str:
    """The tie-break order of a household for one campaign or levy: reproducible, but not always the same."""
    return hashlib.sha256(f"{salt}:{key}".encode()).hexdigest()


def _check_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise AllocationError(f"{name} must be a whole number, not {value!r}")
    if value < 0:
        raise AllocationError(f"{name} must not be negative")
    return value


def allocate(quota: int, weights: Iterable[tuple[int, int]], *, salt: str = "") -> list[Allotment]:
    """Split `quota` steps among (key, weight) pairs by largest remainder; the result is sorted by key."""
    quota = _check_int("quota", quota)
    items = []
    seen = set()
    for key, weight in weights:
        if key in seen:
            raise AllocationError(f"household {key} appears twice")
        seen.add(key)
        items.append((key, _check_int(f"weight of {key}", weight)))
    items.sort()
    total = sum(weight for _, weight in items)
    if total == 0:
        if quota:
            raise AllocationError("nobody can carry the quota: every weight is zero")
        return [Allotment(key, 0, 0, Fraction(0), 0, 0, None, 0) for key, _ in items]

    exact = {key: Fraction(quota * weight, total) for key, weight in items}
    floors = {key: value.numerator // value.denominator for key, value in exact.items()}
    left_over = quota - sum(floors.values())
    queue = sorted(
        (key for key, _ in items if exact[key] != floors[key]),
        key=lambda key: (-(exact[key] - floors[key]), draw_key(key, salt) if salt else "", key),
    )
    ranks = {key: position for position, key in enumerate(queue, start=1)}
    winners = set(queue[:left_over])
    return [
        Allotment(
            key=key,
            weight=weight,
            total_weight=total,
            exact=exact[key],
            floor=floors[key],
            extra=1 if key in winners else 0,
            rank=ranks.get(key),
            share=floors[key] + (1 if key in winners else 0),
        )
        for key, weight in items
    ]
