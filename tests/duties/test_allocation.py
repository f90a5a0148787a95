"""Properties of the pure allocation: exact, zero for the exempt, fair between equals, order-free, reproducible."""

import random
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from inminban.duties.allocation import AllocationError, allocate
from inminban.duties.rules import MemberFacts, household_weight

quotas = st.integers(min_value=0, max_value=10**9)
salts = st.sampled_from(["", "campaign:1", "levy:7", "campaign:12345"])


@st.composite
def households(draw, min_size=1, max_size=40):
    """Distinct household ids with weights; at least one positive weight so any quota can be carried."""
    ids = draw(st.lists(st.integers(min_value=1, max_value=10**7), min_size=min_size, max_size=max_size, unique=True))
    weights = draw(st.lists(st.integers(min_value=0, max_value=50), min_size=len(ids), max_size=len(ids)))
    if not any(weights):
        weights[0] = 1
    return list(zip(ids, weights, strict=True))


@settings(max_examples=300)
@given(quota=quotas, items=households(), salt=salts)
def test_shares_add_up_to_the_quota_exactly(quota, items, salt):
    result = allocate(quota, items, salt=salt)
    assert sum(a.share for a in result) == quota
    assert all(a.share >= 0 for a in result)


@settings(max_examples=300)
@given(quota=quotas, items=households(), salt=salts)
def test_zero_weight_households_get_zero(quota, items, salt):
    result = {a.key: a for a in allocate(quota, items, salt=salt)}
    for key, weight in items:
        if weight == 0:
            assert result[key].share == 0
            assert result[key].extra == 0


@settings(max_examples=300)
@given(quota=quotas, items=households(), salt=salts)
def test_each_share_is_within_one_step_of_the_exact_entitlement(quota, items, salt):
    total = sum(weight for _, weight in items)
    for allotment in allocate(quota, items, salt=salt):
        exact = Fraction(quota * allotment.weight, total)
        assert allotment.exact == exact
        assert exact - 1 < allotment.share < exact + 1


@settings(max_examples=300)
@given(quota=quotas, items=households(min_size=2), salt=salts)
def test_equal_weights_get_equal_shares_up_to_one_step(quota, items, salt):
    # Give the first two households the same weight; they may differ by one left-over step at most, and not at
    # all when their exact entitlement is whole.
    (first, weight), (second, _), *rest = items
    items = [(first, weight), (second, weight), *rest]
    assume(any(w for _, w in items))
    result = {a.key: a for a in allocate(quota, items, salt=salt)}
    assert abs(result[first].share - result[second].share) <= 1
    if result[first].exact.denominator == 1:
        assert result[first].share == result[second].share


@settings(max_examples=200)
@given(per_household=st.integers(min_value=0, max_value=1000), count=st.integers(min_value=1, max_value=30))
def test_a_divisible_quota_is_split_equally_among_equals(per_household, count):
    result = allocate(per_household * count, [(pk, 1) for pk in range(1, count + 1)])
    assert {a.share for a in result} == {per_household}


@settings(max_examples=300)
@given(quota=quotas, items=households(), salt=salts, seed=st.integers())
def test_result_does_not_depend_on_input_order(quota, items, salt, seed):
    shuffled = list(items)
    random.Random(seed).shuffle(shuffled)
    assert allocate(quota, items, salt=salt) == allocate(quota, shuffled, salt=salt)


@settings(max_examples=200)
@given(quota=quotas, items=households(), salt=salts)
def test_result_is_reproducible(quota, items, salt):
    first = [a.explain() for a in allocate(quota, items, salt=salt)]
    second = [a.explain() for a in allocate(quota, list(items), salt=salt)]
    assert first == second


@settings(max_examples=200)
@given(quota=quotas, items=households(), salt=salts)
def test_left_over_steps_go_to_the_largest_remainders(quota, items, salt):
    result = allocate(quota, items, salt=salt)
    winners = [a for a in result if a.extra]
    losers = [a for a in result if not a.extra and a.exact != a.floor]
    if winners and losers:
        assert min(a.exact - a.floor for a in winners) >= max(a.exact - a.floor for a in losers)


def test_explanation_shows_the_arithmetic():
    result = {a.key: a for a in allocate(10, [(1, 1), (2, 1), (3, 1)])}
    assert [result[k].share for k in (1, 2, 3)] == [4, 3, 3]  # without a salt, ties go to the lowest id
    assert result[1].explain() == {
        "weight": 1,
        "total_weight": 3,
        "exact": "10/3",
        "floor": 3,
        "remainder": "1/3",
        "extra": 1,
        "rank": 1,
        "share": 4,
    }


def test_the_salt_moves_the_extra_step_between_campaigns():
    """Over many campaigns the left-over step does not always land on the same household."""
    lucky = {next(a.key for a in allocate(1, [(1, 1), (2, 1)], salt=f"campaign:{n}") if a.extra) for n in range(20)}
    assert lucky == {1, 2}


@pytest.mark.parametrize(
    ("quota", "items", "message"),
    [
        (-1, [(1, 1)], "quota must not be negative"),
        (1.5, [(1, 1)], "quota must be a whole number"),
        ("10", [(1, 1)], "quota must be a whole number"),
        (True, [(1, 1)], "quota must be a whole number"),
        (10, [(1, -2)], "weight of 1 must not be negative"),
        (10, [(1, 1), (1, 2)], "appears twice"),
        (10, [(1, 0), (2, 0)], "every weight is zero"),
        (10, [], "every weight is zero"),
    ],
)
def test_bad_input_is_refused(quota, items, message):
    with pytest.raises(AllocationError, match=message):
        allocate(quota, items)


def test_zero_quota_among_zero_weights_is_fine():
    assert [a.share for a in allocate(0, [(1, 0), (2, 0)])] == [0, 0]


RULE = {
    "method": "working_age",
    "min_age": 17,
    "max_age": 60,
    "exempt_reasons": ["disability", "pregnancy"],
    "exempt_occupations": ["의사"],
}


def test_weight_counts_only_liable_members():
    members = [
        MemberFacts(1, 40),
        MemberFacts(2, 38, exemptions={"pregnancy"}),
        MemberFacts(3, 12),
        MemberFacts(4, 70),
        MemberFacts(5, 30, job_title=" 의사 "),
        MemberFacts(6, 20, exemptions={"infant_care"}),  # not honoured by this rule
    ]
    weighing = household_weight(RULE, members)
    assert weighing.weight == 2
    assert weighing.explain()["exempt"] == {"age": 2, "exemption": 1, "occupation": 1}


def test_household_without_liable_member_weighs_nothing_under_every_method():
    elderly = [MemberFacts(1, 75), MemberFacts(2, 72)]
    for method in ("equal", "working_age", "capacity"):
        weighing = household_weight(RULE | {"method": method}, elderly)
        assert weighing.weight == 0 and weighing.zero_reason == "no_liable_member"


def test_capacity_weighs_declared_income():
    from decimal import Decimal

    members = [MemberFacts(1, 40, monthly_income=Decimal("3500.50")), MemberFacts(2, 38, monthly_income=Decimal("0"))]
    assert household_weight(RULE | {"method": "capacity"}, members).weight == 3500
    assert household_weight(RULE | {"method": "equal"}, members).weight == 1
