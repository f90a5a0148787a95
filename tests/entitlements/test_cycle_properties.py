"""The set-based cycle (one INSERT … SELECT per range of household ids) agrees with a plain Python reading of the
rule and the norms, household by household, on random populations and random rules.

Each example builds a small world of its own inside a savepoint that is rolled back afterwards: units inside and
outside the program's area, households (some dissolved) with members (ages around their birthdays, current, past
and future memberships and jobs, heavy ones too, current and past leaders), residences, campaigns, levies and a
directive (active, suspended or cancelled; of the unit or of the district), shares with something or nothing left
to give, and stamps (valid, expiring, expired, revoked, for other duties). The reference below evaluates all of it
from the rows in Python, written from the rule's documented meaning, not from the SQL."""

import calendar
import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from inminban.areas.models import Area, AreaLevel, Office, RoleAssignment
from inminban.duties.models import AllocationRule, Campaign, Directive, Levy, Quota, Share
from inminban.entitlements import services
from inminban.entitlements.models import CYCLE_KINDS, Entitlement, Program
from inminban.registry.models import Household, Membership, Occupation, Person, Residence
from inminban.stamps.models import SigningKey, Stamp

pytestmark = pytest.mark.django_db

JOBS = ["채굴공", "건설공", "농장원", "교원"]
OBLIGATIONS = ["c0", "c1", "l0", "d0"]
STAMP_TARGETS = OBLIGATIONS + ["other_campaign", "other_levy", "other_directive"]
KIND_OF = {"campaign": "labour", "levy": "levy", "directive": "directive"}
HELD = {"Y", "S", "E", "C"}
SERIAL = itertools.count(1)

PROPERTY_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


# Calendar arithmetic, written out again ---------------------------------------------------------------------------


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def shift_months(day: date, months: int) -> date:
    """The same day `months` earlier (negative: later), or the last day of that month if it is shorter."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def shift_years(day: date, years: int) -> date:
    year = day.year - years
    return date(year, day.month, min(day.day, calendar.monthrange(year, day.month)[1]))


def month_start(day: date, ahead: int = 0) -> date:
    return shift_months(day.replace(day=1), -ahead)


# Scenarios --------------------------------------------------------------------------------------------------------


@st.composite
def norm_lists(draw) -> list[dict]:
    norms = []
    for index in range(draw(st.integers(1, 4))):
        low = draw(st.one_of(st.none(), st.integers(0, 70)))
        high = draw(st.one_of(st.none(), st.integers(low or 0, 95)))
        norms.append(
            {
                "code": f"cat{index}",
                "name_en": f"Category {index}",
                "min_age": low,
                "max_age": high,
                "occupation": draw(st.sampled_from([None, "heavy", "employed", "none"])),
                "amount": draw(st.integers(0, 1000)),
            }
        )
    return norms


def condition_leaves(codes: list[str]):
    ages = st.tuples(st.one_of(st.none(), st.integers(0, 80)), st.one_of(st.none(), st.integers(0, 80)))

    def member(values):
        (low, high), category = values
        if low is not None and high is not None and low > high:
            low, high = high, low
        if low is None and high is None and category is None:
            low = 17
        return {"member": {"min_age": low, "max_age": high, "category": category}}

    def size(values):
        low, high = values
        if low is not None and high is not None and low > high:
            low, high = high, low
        return {"household_size": {"min": 1 if low is None and high is None else low, "max": high}}

    return st.one_of(
        st.sampled_from(OBLIGATIONS).map(lambda name: {"stamp": name}),
        st.sampled_from(OBLIGATIONS).map(lambda name: {"stamp": name}),
        st.builds(
            lambda kind, months: {"stamp_of_kind": {"kind": kind, "months": months}},
            st.sampled_from(["labour", "levy", "directive"]),
            st.integers(1, 12),
        ),
        st.tuples(ages, st.one_of(st.none(), st.sampled_from(codes))).map(member),
        st.tuples(st.one_of(st.none(), st.integers(0, 5)), st.one_of(st.none(), st.integers(0, 5))).map(size),
        st.integers(0, 12).map(lambda months: {"resident": {"months": months}}),
        st.just({"leader": {}}),
    )


@st.composite
def rule_trees(draw, codes: list[str], depth: int = 4, top: bool = True) -> dict:
    """all / any / not nested up to `depth` levels (at most 3 children each, so at most 27 conditions). The top is
    mostly a combination of two or more; below it about one node in four is a condition."""
    shape = draw(st.sampled_from(["node", "node", "node", "condition"]))
    if depth == 1 or shape == "condition":
        return draw(condition_leaves(codes))
    combinator = draw(st.sampled_from(["all", "any", "all", "any"] + ([] if top else ["not"])))
    if combinator == "not":
        return {"not": draw(rule_trees(codes, depth - 1, top=False))}
    children = st.lists(rule_trees(codes, depth - 1, top=False), min_size=2 if top else 1, max_size=3)
    return {combinator: draw(children)}


@dataclass
class PersonSpec:
    birth: tuple  # ("days", n) before the reference date, or ("birthday", years, ±days)
    membership: str
    jobs: list[tuple[str, str]]
    leader: str | None


@dataclass
class HouseholdSpec:
    unit: str  # "U" (the program's unit), "U2" (another unit of the district), "V" (another district)
    dissolved: int | None
    members: list[PersonSpec]
    residences: list[tuple[str, int, int | None]]
    shares: dict[str, str]
    stamps: list[tuple[str, str, int, int]]


@dataclass
class ObligationSpec:
    area: str
    start: int
    length: int
    standing: str


@dataclass
class Scenario:
    reference_date: date
    next_month: bool
    kind: str
    benefit_days: int
    norms: list[dict]
    heavy_jobs: list[str]
    rule: dict
    area: str  # "unit": the program runs over U only; "district": over HS-A
    obligations: dict[str, ObligationSpec]
    households: list[HouseholdSpec]
    order: list[int] = field(default_factory=list)
    chunks: tuple[int, int] = (1, 1)


def persons(ages: list[int]):
    """Members of any age, and many born exactly on (or a day either side of) an age the norms or the rule name."""
    years = st.sampled_from(ages) if ages else st.integers(0, 80)
    return st.builds(
        PersonSpec,
        birth=st.one_of(
            st.integers(0, 95 * 366).map(lambda days: ("days", days)),
            st.tuples(st.just("birthday"), st.one_of(years, st.integers(0, 80)), st.integers(-1, 1)),
        ),
        membership=st.sampled_from(["current"] * 4 + ["ended", "ends_on_reference", "future", "starts_on_reference"]),
        jobs=st.lists(
            st.tuples(st.sampled_from(JOBS), st.sampled_from(["current", "current", "ended", "future"])), max_size=2
        ),
        leader=st.sampled_from([None, None, None, "current", "ended", "future"]),
    )


SHARE_STATES = ["none", "owed", "part_waived", "all_waived", "zero"]
VALIDITY = ["valid", "valid", "valid", "expires_later", "expired", "expires_at_start", "revoked"]


def households(ages: list[int]):
    units = ["U", "U", "U", "U2", "V"]
    return st.builds(
        HouseholdSpec,
        unit=st.sampled_from(units),
        dissolved=st.sampled_from([None, None, None, -30, 0, 30]),
        members=st.lists(persons(ages), max_size=4),
        residences=st.lists(
            st.tuples(
                st.sampled_from(["U", "U", "U2", "V"]), st.integers(-500, 5), st.one_of(st.none(), st.integers(1, 600))
            ),
            max_size=2,
        ),
        shares=st.fixed_dictionaries({name: st.sampled_from(SHARE_STATES) for name in ("c0", "c1", "l0")}),
        stamps=st.lists(
            st.tuples(
                st.sampled_from(OBLIGATIONS * 3 + STAMP_TARGETS),
                st.sampled_from(VALIDITY),
                st.integers(-400, 30),
                st.integers(0, 60),
            ),
            max_size=4,
        ),
    )


def obligations(area: str, stoppable: bool):
    return st.builds(
        ObligationSpec,
        area=st.sampled_from(["U", "district"] + (["U2"] if area == "district" else [])),
        start=st.integers(-200, 10),
        length=st.integers(0, 90),
        standing=st.sampled_from(["active", "active", "suspended", "cancelled"] if stoppable else ["active"]),
    )


@st.composite
def scenarios(draw, area: str | None = None) -> Scenario:
    reference_date = draw(
        st.one_of(
            # Cycles start at most the date horizon ahead (INMINBAN_DATE_HORIZON_DAYS, a year from today).
            st.dates(date(2024, 1, 1), date(2026, 10, 31)),
            st.sampled_from([date(2024, 2, 29), date(2025, 2, 28), date(2025, 3, 1), date(2020, 2, 29)]),
        )
    )
    area = area or draw(st.sampled_from(["unit", "district"]))
    norms = draw(norm_lists())
    rule = draw(rule_trees([norm["code"] for norm in norms]))
    bands = [(norm["min_age"], norm["max_age"]) for norm in norms]
    bands += [(params["min_age"], params["max_age"]) for kind, params in _leaves_in_order(rule) if kind == "member"]
    ages = sorted({age + shift for band in bands for age in band if age is not None for shift in (-1, 0, 1)} - {-1})
    people = draw(st.lists(households(ages), min_size=1, max_size=6))
    return Scenario(
        reference_date=reference_date,
        next_month=draw(st.booleans()),
        kind=draw(st.sampled_from(CYCLE_KINDS)),
        benefit_days=draw(st.integers(1, 31)),
        norms=norms,
        heavy_jobs=draw(st.lists(st.sampled_from(JOBS), unique=True, max_size=3)),
        rule=rule,
        area=area,
        obligations={name: draw(obligations(area, stoppable=name != "d0")) for name in OBLIGATIONS},
        households=people,
        order=draw(st.permutations(range(len(people)))),
        chunks=(draw(st.integers(1, 4)), draw(st.integers(1, 7))),
    )


# Building the rows ------------------------------------------------------------------------------------------------


@dataclass
class Built:
    program: Program
    households: list[Household]  # in the scenario's order, whatever order they were inserted in
    persons: dict[int, tuple[int, int]]  # person id -> (household index, member index)
    stamps: dict[int, tuple[int, int]]  # stamp id -> (household index, stamp index)


def _area(parent: Area, code: str) -> Area:
    level = AreaLevel.objects.filter(is_unit=True).order_by("rank").first()
    return Area.objects.create(
        level=level,
        parent=parent,
        code=code,
        name_ko=code,
        name_en=code,
        path=f"{parent.path}{code}/",
        depth=parent.depth + 1,
    )


def _dated(kind: str, ref: date) -> tuple[date, date | None]:
    return {
        "current": (ref - timedelta(days=100), None),
        "ended": (ref - timedelta(days=300), ref - timedelta(days=10)),
        "ends_on_reference": (ref - timedelta(days=300), ref),
        "future": (ref + timedelta(days=5), None),
        "starts_on_reference": (ref, None),
    }[kind]


def _birth(spec: PersonSpec, ref: date) -> date:
    if spec.birth[0] == "days":
        return ref - timedelta(days=spec.birth[1])
    _, years, offset = spec.birth
    return shift_years(ref, years) + timedelta(days=offset)


SHARE_AMOUNTS = {"owed": ("4", "0"), "part_waived": ("4", "1.5"), "all_waived": ("4", "4"), "zero": ("0", "0")}


def build(scenario: Scenario, *, officer: User, leader_user: User, key: SigningKey, order: list[int]) -> Built:
    ref, now = scenario.reference_date, timezone.now()
    serial = next(SERIAL)
    office = Office.objects.get(code="HS-A-OFFICE")
    district, other_district = Area.objects.get(code="HS-A"), Area.objects.get(code="HS-B")
    units = {
        "U": _area(district, f"PT{serial}U"),
        "U2": _area(district, f"PT{serial}W"),
        "V": _area(other_district, f"PT{serial}V"),
    }
    areas = units | {"district": district}
    rule = AllocationRule.objects.get(code="equal")

    made = {}
    for name, spec in scenario.obligations.items():
        start = ref + timedelta(days=spec.start)
        common = {"office": office, "area": areas[spec.area], "title_en": f"{name} {serial}"}
        if name == "d0":
            made[name] = Directive.objects.create(
                **common,
                effective_on=start,
                due_on=start + timedelta(days=spec.length),
                issued_by=officer,
                issued_at=now,
            )
            continue
        duty = {
            **common,
            "rule": rule,
            "starts_on": start,
            "created_by": officer,
            "created_at": now,
            "standing": spec.standing,
        }
        end = start + timedelta(days=spec.length)
        if name.startswith("c"):
            made[name] = Campaign.objects.create(**duty, measure="person_hours", step=Decimal("0.5"), ends_on=end)
        else:
            made[name] = Levy.objects.create(**duty, kind="food", measure="kg", step=Decimal("0.1"), due_on=end)
    refs = {
        name: f"{'campaign' if name.startswith('c') else 'levy' if name.startswith('l') else 'directive'}:{obj.pk}"
        for name, obj in made.items()
    }
    refs |= {"other_campaign": "campaign:0", "other_levy": "levy:0", "other_directive": "directive:0"}

    quotas: dict[tuple[str, int], Quota] = {}
    built_households: dict[int, Household] = {}
    persons: dict[int, tuple[int, int]] = {}
    stamps: dict[int, tuple[int, int]] = {}
    for index in order:
        spec = scenario.households[index]
        unit = units[spec.unit]
        household = Household.objects.create(
            unit=unit,
            number=f"PT{serial}-{index}",
            registered_on=ref - timedelta(days=1000),
            dissolved_on=None if spec.dissolved is None else ref + timedelta(days=spec.dissolved),
        )
        built_households[index] = household
        for member_index, member in enumerate(spec.members):
            person = Person.objects.create(
                family_name="김",
                given_name=f"{index}-{member_index}",
                birth_date=_birth(member, ref),
                sex="F",
                household=household,
            )
            persons[person.pk] = (index, member_index)
            since, until = _dated(member.membership, ref)
            Membership.objects.create(household=household, person=person, relation="head", since=since, until=until)
            for title, state in member.jobs:
                since, until = _dated(state if state != "ended" else "ends_on_reference", ref)
                Occupation.objects.create(person=person, workplace="공장", job_title=title, since=since, until=until)
            if member.leader:
                since, until = _dated(member.leader if member.leader != "ended" else "ends_on_reference", ref)
                RoleAssignment.objects.create(
                    user=leader_user, role="leader", area=unit, person=person, since=since, until=until
                )
        open_taken = False
        for residence_index, (where, start, length) in enumerate(reversed(spec.residences)):
            if length is None and open_taken:
                length = 1
            open_taken = open_taken or length is None
            since = ref + timedelta(days=start - residence_index * 700)
            Residence.objects.create(
                household=household,
                unit=units[where],
                since=since,
                until=None if length is None else since + timedelta(days=length),
            )
        for name, state in spec.shares.items():
            if state == "none":
                continue
            obligation = made[name]
            quota = quotas.get((name, unit.pk))
            if quota is None:
                target = {"campaign": obligation} if name.startswith("c") else {"levy": obligation}
                quota = Quota.objects.create(
                    unit=unit, quantity=Decimal("40"), as_of=ref, set_by=officer, set_at=now, **target
                )
                quotas[(name, unit.pk)] = quota
            quantity, waived = SHARE_AMOUNTS[state]
            Share.objects.create(quota=quota, household=household, quantity=Decimal(quantity), waived=Decimal(waived))
        valid_at = timezone.make_aware(datetime.combine(ref, time.min))
        for stamp_index, (target, validity, start, length) in enumerate(spec.stamps):
            duty_ref = refs[target]
            if target in made:
                obligation = made[target]
                period_start = getattr(obligation, "starts_on", None) or obligation.effective_on
                period_end = getattr(obligation, "period_end", None) or obligation.due_on
            else:
                period_start = ref + timedelta(days=start)
                period_end = period_start + timedelta(days=length)
            stamp = Stamp.objects.create(
                household=household,
                duty_kind=KIND_OF[duty_ref.partition(":")[0]],
                duty_ref=duty_ref,
                duty_title=target,
                quantity=Decimal("1"),
                period_start=period_start,
                period_end=period_end,
                unit=unit,
                office=office,
                issued_at=now,
                signing_key=key,
                status_index=next(SERIAL),
                encoded="-",
                expires_at={
                    "expires_later": valid_at + timedelta(minutes=1),
                    "expired": valid_at - timedelta(hours=1),
                    "expires_at_start": valid_at,
                }.get(validity),
                revoked_at=now if validity == "revoked" else None,
            )
            stamps[stamp.pk] = (index, stamp_index)

    def with_refs(node):
        ((name, value),) = node.items()
        if name in ("all", "any"):
            return {name: [with_refs(child) for child in value]}
        if name == "not":
            return {"not": with_refs(value)}
        if name == "stamp":
            return {"stamp": refs[value]}
        return node

    program = services.program_create(
        actor=officer,
        office=office,
        area=units["U"] if scenario.area == "unit" else district,
        kind=scenario.kind,
        rule=with_refs(scenario.rule),
        norms=scenario.norms,
        heavy_jobs=scenario.heavy_jobs,
        benefit_days=scenario.benefit_days if scenario.kind == Program.Kind.LEADER_BENEFIT else None,
        name_en=f"Property {serial}",
    )
    return Built(program, [built_households[i] for i in range(len(scenario.households))], persons, stamps)


# The reference ----------------------------------------------------------------------------------------------------


def _current(since: date, until: date | None, day: date) -> bool:
    return since <= day and (until is None or until > day)


def _leaves_in_order(node: dict) -> list[tuple[str, object]]:
    ((name, value),) = node.items()
    if name in ("all", "any"):
        return [leaf for child in value for leaf in _leaves_in_order(child)]
    if name == "not":
        return _leaves_in_order(value)
    return [(name, value)]


def _verdict(node: dict, letters: list[str], position: list[int]) -> bool:
    ((name, value),) = node.items()
    if name in ("all", "any"):
        results = [_verdict(child, letters, position) for child in value]  # every child, to keep the position
        return all(results) if name == "all" else any(results)
    if name == "not":
        return not _verdict(value, letters, position)
    letter = letters[position[0]]
    position[0] += 1
    return letter in HELD


def reference(cycle) -> dict[int, dict]:
    """What every household of the program's area is owed in `cycle`, evaluated in Python from the rows."""
    program, version, ref = cycle.program, cycle.version, cycle.reference_date
    area_path, norms, heavy = program.area.path, version.norms, set(version.heavy_jobs)
    valid_at = timezone.make_aware(datetime.combine(ref, time.min))

    households = {
        pk: path
        for pk, path, dissolved in Household.objects.filter(unit__path__startswith=area_path).values_list(
            "pk", "unit__path", "dissolved_on"
        )
        if dissolved is None or dissolved > ref
    }
    members: dict[int, list[tuple[int, date]]] = {pk: [] for pk in households}
    for household_id, person_id, birth, since, until in Membership.objects.filter(
        household_id__in=households
    ).values_list("household_id", "person_id", "person__birth_date", "since", "until"):
        if _current(since, until, ref):
            members[household_id].append((person_id, birth))
    person_ids = [pid for rows in members.values() for pid, _ in rows]
    jobs: dict[int, set[str]] = {}
    for person_id, title, since, until in Occupation.objects.filter(person_id__in=person_ids).values_list(
        "person_id", "job_title", "since", "until"
    ):
        if _current(since, until, ref):
            jobs.setdefault(person_id, set()).add(title)
    leaders = {
        person_id
        for person_id, since, until in RoleAssignment.objects.filter(
            role="leader", person_id__in=person_ids
        ).values_list("person_id", "since", "until")
        if _current(since, until, ref)
    }
    residences: dict[int, list] = {}
    for row in Residence.objects.filter(household_id__in=households).values_list(
        "household_id", "unit__path", "since", "until"
    ):
        residences.setdefault(row[0], []).append(row[1:])
    stamps: dict[int, list] = {}
    for row in Stamp.objects.filter(household_id__in=households).values(
        "pk", "household_id", "duty_kind", "duty_ref", "period_start", "period_end", "expires_at", "revoked_at"
    ):
        if row["revoked_at"] is None and (row["expires_at"] is None or row["expires_at"] > valid_at):
            stamps.setdefault(row["household_id"], []).append(row)
    owing: dict[int, list] = {}  # shares with something left to give
    for share in Share.objects.filter(household_id__in=households).select_related("quota__campaign", "quota__levy"):
        if share.quantity - share.waived > 0:
            owing.setdefault(share.household_id, []).append(share.quota.obligation)

    def category(person_id: int, birth: date) -> int:
        age, held = age_on(birth, ref), jobs.get(person_id, set())
        for index, norm in enumerate(norms):
            if norm["min_age"] is not None and age < norm["min_age"]:
                continue
            if norm["max_age"] is not None and age > norm["max_age"]:
                continue
            occupation = norm["occupation"]
            if occupation == "heavy" and not held & heavy:
                continue
            if occupation == "employed" and not held:
                continue
            if occupation == "none" and held:
                continue
            return index
        return -1

    obligations = {}
    for kind, value in _leaves_in_order(version.rule):
        if kind == "stamp" and value not in obligations:
            model, _, number = value.partition(":")
            obligations[value] = {"campaign": Campaign, "levy": Levy, "directive": Directive}[model].objects.get(
                pk=number
            )

    expected = {}
    for household_id, unit_path in households.items():
        people = sorted(members[household_id])
        categories = {pid: category(pid, birth) for pid, birth in people}
        norm = {pid: (norms[c]["amount"] if c >= 0 else 0) for pid, c in categories.items()}
        letters, stamp_sets = [], []
        for kind, params in _leaves_in_order(version.rule):
            own_stamps = stamps.get(household_id, [])
            if kind == "stamp":
                obligation = obligations[params]
                if getattr(obligation, "standing", "active") != "active":
                    letters.append("C")
                    continue
                valid = {
                    s["pk"]
                    for s in own_stamps
                    if s["duty_ref"] == params and s["duty_kind"] == KIND_OF[params.partition(":")[0]]
                }
                if isinstance(obligation, Directive):
                    nothing_due = not unit_path.startswith(obligation.area.path)
                else:
                    nothing_due = obligation not in owing.get(household_id, [])
                stamp_sets.append(valid)
                letters.append("S" if valid else "E" if nothing_due else "N")
            elif kind == "stamp_of_kind":
                window = shift_months(ref, params["months"])
                valid = {
                    s["pk"]
                    for s in own_stamps
                    if s["duty_kind"] == params["kind"] and s["period_end"] >= window and s["period_start"] <= ref
                }
                model = {"labour": Campaign, "levy": Levy}.get(params["kind"])
                nothing_due = model is not None and not any(
                    isinstance(o, model) and o.standing == "active" and o.period_end >= window and o.starts_on <= ref
                    for o in owing.get(household_id, [])
                )
                stamp_sets.append(valid)
                letters.append("S" if valid else "E" if nothing_due else "N")
            elif kind == "member":
                low, high, code = params["min_age"], params["max_age"], params["category"]
                holds = any(
                    (low is None or age_on(birth, ref) >= low)
                    and (high is None or age_on(birth, ref) <= high)
                    and (code is None or (categories[pid] >= 0 and norms[categories[pid]]["code"] == code))
                    for pid, birth in people
                )
                letters.append("Y" if holds else "N")
            elif kind == "household_size":
                low, high = params["min"], params["max"]
                holds = (low is None or len(people) >= low) and (high is None or len(people) <= high)
                letters.append("Y" if holds else "N")
            elif kind == "resident":
                days = [ref] + ([shift_months(ref, params["months"])] if params["months"] else [])
                holds = all(
                    any(
                        path.startswith(area_path) and _current(since, until, day)
                        for path, since, until in residences.get(household_id, [])
                    )
                    for day in days
                )
                letters.append("Y" if holds else "N")
            else:  # leader
                letters.append("Y" if any(pid in leaders for pid, _ in people) else "N")
        eligible = _verdict(version.rule, letters, [0])
        daily = sum(norm.values())
        quantity = {
            Program.Kind.GRAIN_RATION: daily * cycle.days,
            Program.Kind.CASH_BENEFIT: daily,
            Program.Kind.LEADER_BENEFIT: sum(norm[pid] for pid, _ in people if pid in leaders) * version.benefit_days,
        }[program.kind]
        expected[household_id] = {
            "eligible": eligible,
            "quantity": quantity if eligible else 0,
            "members_counted": len(people),
            "leaders": sum(pid in leaders for pid, _ in people),
            "members": ";".join(f"{pid}:{categories[pid]}{'*' if pid in leaders else ''}" for pid, _ in people),
            "outcomes": "".join(letters),
            "stamp_sets": stamp_sets,
        }
    return expected


def assert_matches_reference(cycle) -> None:
    expected = reference(cycle)
    rows = list(Entitlement.objects.filter(cycle=cycle))
    assert sorted(row.household_id for row in rows) == sorted(expected), "one row per household of the area, no more"
    for row in rows:
        want = expected[row.household_id]
        got = {
            name: getattr(row, name)
            for name in ("eligible", "quantity", "members_counted", "leaders", "members", "outcomes")
        }
        assert got == {name: want[name] for name in got}, (row.household_id, cycle.version.rule)
        used = row.stamps.split(";") if want["stamp_sets"] else []
        assert row.stamps == "" or want["stamp_sets"], row.stamps
        assert len(used) == len(want["stamp_sets"]), row.stamps
        for value, valid in zip(used, want["stamp_sets"], strict=True):
            assert (int(value) in valid) if valid else value == "", (row.stamps, want["stamp_sets"])
        assert row.unit_id == Household.objects.get(pk=row.household_id).unit_id


def entitlement_rows(cycle) -> list[tuple]:
    names = ("household_id", "unit_id", "eligible", "quantity", "members_counted", "leaders", "members", "outcomes")
    return list(Entitlement.objects.filter(cycle=cycle).order_by("household_id").values_list(*names, "stamps"))


@pytest.fixture
def makers(cast):
    leader_user = User.objects.create_user("property-leader")
    office = Office.objects.get(code="HS-A-OFFICE")
    now = timezone.now()
    key = SigningKey.objects.create(
        kid="00property00key0",
        office=office,
        key_name="property-test-key",
        public_key="0" * 64,
        kinds="labour,levy,directive",
        created_at=now,
        valid_from=now - timedelta(days=3650),
        valid_until=now + timedelta(days=3650),
        retired_at=now,
    )
    return {"officer": cast["officer-a"], "leader_user": leader_user, "key": key}


def _cycle(scenario: Scenario, program: Program, officer: User):
    start = month_start(scenario.reference_date, 1 if scenario.next_month else 0)
    return services.cycle_create(
        actor=officer, program=program, period_start=start, reference_date=scenario.reference_date
    )


# Cases the random search finds only now and then, always run first.
NOTHING_SHARED = {"c0": "none", "c1": "none", "l0": "none"}
NINE = [
    {"code": "heavy", "name_en": "Heavy", "min_age": 17, "max_age": 60, "occupation": "heavy", "amount": 900},
    {"code": "worker", "name_en": "Worker", "min_age": 17, "max_age": 60, "occupation": "employed", "amount": 700},
    {"code": "young", "name_en": "Young", "min_age": 17, "max_age": 22, "occupation": "none", "amount": 600},
    {"code": "child", "name_en": "Child", "min_age": 0, "max_age": 16, "occupation": None, "amount": 400},
    {"code": "elderly", "name_en": "Elderly", "min_age": 61, "max_age": None, "occupation": None, "amount": 300},
]


def _person(years: int, offset: int = 0, jobs=(), membership: str = "current", leader=None) -> PersonSpec:
    return PersonSpec(("birthday", years, offset), membership, list(jobs), leader)


def _household(unit="U", members=(), shares=None, stamps=(), residences=(("U", -400, None),), dissolved=None):
    return HouseholdSpec(unit, dissolved, list(members), list(residences), shares or NOTHING_SHARED, list(stamps))


def _scenario(**values) -> Scenario:
    base = {
        "reference_date": date(2026, 3, 1),
        "next_month": False,
        "kind": Program.Kind.GRAIN_RATION,
        "benefit_days": 5,
        "norms": NINE,
        "heavy_jobs": ["채굴공"],
        "rule": {"resident": {"months": 0}},
        "area": "unit",
        "obligations": {name: ObligationSpec("U", -60, 30, "active") for name in OBLIGATIONS},
        "households": [],
        "chunks": (1, 2),
    }
    scenario = Scenario(**(base | values))
    scenario.order = list(reversed(range(len(scenario.households))))
    return scenario


DIRECTIVE_OF_ONE_UNIT = _scenario(
    area="district",
    obligations={name: ObligationSpec("U", -60, 30, "active") for name in OBLIGATIONS},
    rule={"all": [{"stamp": "d0"}, {"any": [{"resident": {"months": 0}}, {"not": {"leader": {}}}]}]},
    households=[
        _household("U", [_person(40)], stamps=[("d0", "valid", 0, 0)]),
        _household("U", [_person(41)], stamps=[("d0", "revoked", 0, 0), ("other_directive", "valid", -20, 5)]),
        _household("U2", [_person(42)]),
    ],
)
STOPPED_AND_WAIVED = _scenario(
    obligations={
        "c0": ObligationSpec("district", -40, 30, "cancelled"),
        "c1": ObligationSpec("U", -50, 20, "suspended"),
        "l0": ObligationSpec("U", -20, 10, "active"),
        "d0": ObligationSpec("U", -20, 10, "active"),
    },
    rule={"all": [{"stamp": "c0"}, {"stamp_of_kind": {"kind": "labour", "months": 3}}, {"stamp": "l0"}]},
    households=[
        _household(members=[_person(30)], shares={"c0": "owed", "c1": "owed", "l0": "all_waived"}),
        _household(members=[_person(31)], shares={"c0": "owed", "c1": "none", "l0": "owed"}),
        _household(members=[_person(32)], shares={"c0": "none", "c1": "owed", "l0": "part_waived"}),
        _household(
            members=[_person(33)],
            shares={"c0": "owed", "c1": "owed", "l0": "owed"},
            stamps=[("l0", "expires_later", 0, 0)],
        ),
        _household(
            members=[_person(34)], shares={"c0": "none", "c1": "none", "l0": "zero"}, stamps=[("l0", "expired", 0, 0)]
        ),
    ],
)
AGE_BOUNDARIES = _scenario(
    reference_date=date(2024, 2, 29),
    rule={
        "any": [
            {"member": {"min_age": 61, "max_age": None, "category": None}},
            {"household_size": {"min": 2, "max": 3}},
        ]
    },
    households=[
        _household(members=[_person(17, 0), _person(17, 1), _person(16, 0, jobs=[("교원", "current")])]),
        _household(
            members=[_person(60, 0, jobs=[("채굴공", "current")]), _person(60, -1, jobs=[("채굴공", "current")])]
        ),
        _household(members=[_person(61, 1), _person(22, 0), _person(23, 0), _person(0, 0)]),
        _household(
            members=[
                _person(40, jobs=[("채굴공", "ended"), ("교원", "future")]),
                _person(50, membership="ends_on_reference"),
            ]
        ),
        _household(members=[_person(45, leader="current")], dissolved=0),
    ],
)


@PROPERTY_SETTINGS
@example(scenario=DIRECTIVE_OF_ONE_UNIT)
@example(scenario=STOPPED_AND_WAIVED)
@example(scenario=AGE_BOUNDARIES)
@given(scenario=scenarios())
def test_cycle_equals_the_python_reference_and_regenerates_the_same(scenario, makers):
    with transaction.atomic():
        built = build(scenario, order=scenario.order, **makers)
        cycle = _cycle(scenario, built.program, makers["officer"])
        services.cycle_generate(actor=makers["officer"], cycle=cycle, chunk_households=scenario.chunks[0])
        cycle.refresh_from_db()
        assert_matches_reference(cycle)
        rows = entitlement_rows(cycle)
        assert cycle.households == len(rows) and cycle.entitled == sum(row[2] for row in rows)
        assert cycle.total_quantity == sum(row[3] for row in rows)
        outside = Entitlement.objects.filter(cycle=cycle).exclude(unit__path__startswith=built.program.area.path)
        assert not outside.exists()

        services.cycle_generate(actor=makers["officer"], cycle=cycle, chunk_households=scenario.chunks[1])
        assert entitlement_rows(cycle) == rows, "regenerating (in other chunks) changed the rows"
        transaction.set_rollback(True)


def _logical(built: Built, cycle) -> dict[int, tuple]:
    """The rows of a build's own households, with persons and stamps named by their place in the scenario."""
    index_of = {household.pk: index for index, household in enumerate(built.households)}
    rows = {}
    for row in Entitlement.objects.filter(cycle=cycle, household_id__in=index_of):
        members = []
        for item in filter(None, row.members.split(";")):
            person, _, rest = item.partition(":")
            members.append((built.persons[int(person)], rest))
        stamps = tuple(built.stamps[int(value)] if value else None for value in row.stamps.split(";"))
        rows[index_of[row.household_id]] = (
            row.eligible,
            row.quantity,
            row.leaders,
            tuple(sorted(members)),
            row.outcomes,
            stamps,
        )
    return rows


@settings(PROPERTY_SETTINGS, max_examples=25)
@given(scenario=scenarios(area="unit"), data=st.data())
def test_insertion_order_does_not_change_the_rows(scenario, data, makers):
    shuffled = data.draw(st.permutations(range(len(scenario.households))))
    with transaction.atomic():
        first = build(scenario, order=scenario.order, **makers)
        second = build(scenario, order=shuffled, **makers)
        results = []
        for built in (first, second):
            cycle = _cycle(scenario, built.program, makers["officer"])
            services.cycle_generate(actor=makers["officer"], cycle=cycle, chunk_households=scenario.chunks[0])
            results.append(_logical(built, cycle))
        assert results[0] == results[1]
        transaction.set_rollback(True)
