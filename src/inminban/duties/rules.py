"""Who is liable and how much each household weighs under an allocation rule.

`household_weight` is pure; `unit_facts` gathers what it needs for a whole unit in a fixed handful of queries
(households, memberships with persons, exemptions, occupations, incomes), never one query per household."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_FLOOR, Decimal

from inminban.areas.models import Area
from inminban.registry.models import DeclaredIncome, Household, Membership, Occupation

from .models import AllocationRule, DutyExemption


@dataclass
class MemberFacts:
    person_id: int
    age: int
    exemptions: set[str] = field(default_factory=set)
    job_title: str = ""
    monthly_income: Decimal = Decimal("0")


@dataclass
class Weighing:
    """A household's weight under a rule and the counts that explain it (no health detail: exemptions by a
    recorded reason are counted together as 'exemption')."""

    weight: int
    members: int
    liable: int
    exempt_age: int
    exempt_recorded: int
    exempt_occupation: int
    income: int | None
    zero_reason: str | None

    def explain(self) -> dict:
        return {
            "members": self.members,
            "liable": self.liable,
            "exempt": {"age": self.exempt_age, "exemption": self.exempt_recorded, "occupation": self.exempt_occupation},
            "income": self.income,
            "zero_reason": self.zero_reason,
        }


def age_on(birth_date: date, on: date) -> int:
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def _normal(title: str) -> str:
    return " ".join((title or "").split()).casefold()


def household_weight(params: dict, members: list[MemberFacts]) -> Weighing:
    """The weight of one household under a rule given as `AllocationRule.as_params()`."""
    honoured = set(params["exempt_reasons"])
    exempt_jobs = {_normal(title) for title in params["exempt_occupations"]}
    liable = exempt_age = exempt_recorded = exempt_occupation = 0
    for member in members:
        if not (params["min_age"] <= member.age <= params["max_age"]):
            exempt_age += 1
        elif member.exemptions & honoured:
            exempt_recorded += 1
        elif member.job_title and _normal(member.job_title) in exempt_jobs:
            exempt_occupation += 1
        else:
            liable += 1
    income = None
    method = params["method"]
    if liable == 0:
        weight, zero_reason = 0, ("no_members" if not members else "no_liable_member")
    elif method == AllocationRule.Method.EQUAL:
        weight, zero_reason = 1, None
    elif method == AllocationRule.Method.WORKING_AGE:
        weight, zero_reason = liable, None
    else:
        income = int(sum((m.monthly_income for m in members), Decimal("0")).to_integral_value(ROUND_FLOOR))
        weight, zero_reason = income, (None if income > 0 else "no_income")
    return Weighing(weight, len(members), liable, exempt_age, exempt_recorded, exempt_occupation, income, zero_reason)


def unit_facts(*, unit: Area, on: date, need_jobs: bool, need_income: bool) -> dict[Household, list[MemberFacts]]:
    """Every household registered in `unit` and not dissolved on `on`, with its current members' facts."""
    households = list(
        Household.objects.filter(unit=unit, registered_on__lte=on)
        .exclude(dissolved_on__lte=on)
        .order_by("pk")
        .only("pk", "number", "unit_id")
    )
    by_id = {household.pk: household for household in households}
    memberships = (
        Membership.objects.current_on(on)
        .filter(household_id__in=by_id)
        .values_list("household_id", "person_id", "person__birth_date")
    )
    facts: dict[int, MemberFacts] = {}
    members_of: dict[int, list[MemberFacts]] = defaultdict(list)
    for household_id, person_id, birth_date in memberships:
        member = MemberFacts(person_id=person_id, age=age_on(birth_date, on))
        facts[person_id] = member
        members_of[household_id].append(member)
    person_ids = list(facts)
    exemptions = (
        DutyExemption.objects.filter(person_id__in=person_ids, since__lte=on)
        .exclude(until__lte=on)
        .values_list("person_id", "reason")
    )
    for person_id, reason in exemptions:
        facts[person_id].exemptions.add(reason)
    if need_jobs:
        for person_id, title in (
            Occupation.objects.current_on(on).filter(person_id__in=person_ids).values_list("person_id", "job_title")
        ):
            facts[person_id].job_title = title
    if need_income:
        incomes = DeclaredIncome.objects.current_on(on).filter(person_id__in=person_ids)
        for person_id, amount, period in incomes.values_list("person_id", "amount", "period"):
            monthly = amount / 12 if period == DeclaredIncome.Period.YEAR else amount
            facts[person_id].monthly_income += monthly
    return {household: members_of.get(household.pk, []) for household in households}
