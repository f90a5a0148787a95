"""Clearances: a school clerk asks whether a child may be enrolled, a recruitment office whether a young adult may
enlist. The clearance program's rule (the same rule trees as cycles, compiled by cycle_sql) is decided for the
person's household on the day, and the answer is recorded either way: granted with a signed clearance stamp
(kind "clearance", verifiable offline like any stamp), or denied with what is missing.

A clearance keeps a snapshot of what it was decided on, shaped like a cycle's, so that explain.conditions_of and
wording.missing_text read it the same way. The unit leader's look-ahead (`clearance_risks`) decides the same rule for
every household of the unit in one statement, for the persons who will be of the age the clearance is asked for."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from inminban.areas.access import (
    ENLISTMENT_CLEARANCE,
    MANAGE_AREAS,
    SCHOOL_CLEARANCE,
    VIEW,
    can,
    require,
    restrict,
    scope_for,
    subtree_q,
)
from inminban.areas.models import Area
from inminban.audit.services import access_record, audit_record
from inminban.common.errors import DomainError, NotPermitted, NotVisible
from inminban.common.validators import effective_date
from inminban.duties.selectors import ancestor_paths
from inminban.registry.models import Household, Membership, Person
from inminban.stamps.models import Stamp
from inminban.stamps.services import signed_stamp_create

from . import cycle_sql, explain, wording
from .models import CLEARANCE_KINDS, Clearance, Program
from .services import _stopped_refs, _version_snapshot

# Who asks for which clearance: the action their role gives over the person's unit.
ACTION_OF_KIND = {
    Program.Kind.SCHOOL_CLEARANCE: SCHOOL_CLEARANCE,
    Program.Kind.ENLISTMENT_CLEARANCE: ENLISTMENT_CLEARANCE,
}
# The ages (on the day asked for, inclusive) a clearance is asked for: school entry, and enlistment age. The leader's
# look-ahead lists the persons of these ages; a clerk may still ask for anyone.
CLEARANCE_AGES = {
    Program.Kind.SCHOOL_CLEARANCE: (6, 7),
    Program.Kind.ENLISTMENT_CLEARANCE: (17, 20),
}
# Whom a school clerk or a recruitment officer may ask about (ages on the day asked, inclusive): children of school
# age, young adults of enlistment age. Wider than the ages at risk above (late enrolments, transfers, deferrals), but
# not the whole population of their area: a clerk is not a registry reader. Officers may ask for anyone.
CLERK_AGES = {
    Program.Kind.SCHOOL_CLEARANCE: (4, 18),
    Program.Kind.ENLISTMENT_CLEARANCE: (16, 30),
}
VALID_DAYS = 30  # a clearance stamp is valid until the end of this many days after the day it was asked for
EARLIEST_DAYS_BACK = 30  # how far back a clearance may be asked for: it is for an enrolment or enlistment to come


def clearance_snapshot(program: Program, on: date) -> dict:
    """What a clearance is decided on, in the shape of a cycle's snapshot."""
    version = program.current_version
    return {
        "version": _version_snapshot(version),
        "obligations": _stopped_refs(version.rule),
        "area": program.area.path,
        "stamps_valid_at": cycle_sql.stamps_valid_at(on).isoformat(),
    }


def _plan(program: Program, snapshot: dict, on: date) -> cycle_sql.CyclePlan:
    obligations = snapshot["obligations"]
    return cycle_sql.CyclePlan(
        cycle_id=0,
        kind=program.kind,
        area_path=program.area.path,
        reference_date=on,
        days=1,
        benefit_days=0,
        norms=snapshot["version"]["norms"],
        heavy_jobs=snapshot["version"]["heavy_jobs"],
        rule=snapshot["version"]["rule"],
        stopped_refs={ref for ref, info in obligations.items() if info["standing"] != "active"},
        ref_paths={ref: info["area"] for ref, info in obligations.items()},
    )


def missing_texts(clearance) -> list[str]:
    """What a denied clearance lacks, in words (empty when granted). Takes anything with `.snapshot`, `.program`,
    `.outcomes`, `.stamps` and `.granted`."""
    if clearance.granted:
        return []
    conditions = explain.conditions_of(clearance, clearance.outcomes, clearance.stamps)
    return [wording.missing_text(clearance, c) for c in conditions if not c.satisfied]


def condition_rows(clearance) -> list[dict]:
    conditions = explain.conditions_of(clearance, clearance.outcomes, clearance.stamps)
    return wording.condition_rows(clearance, conditions)


# Who may ask ------------------------------------------------------------------------------------------------------


def _clearance_prefixes(actor) -> tuple[str, ...]:
    scope = scope_for(actor)
    return scope.prefixes(SCHOOL_CLEARANCE) + scope.prefixes(ENLISTMENT_CLEARANCE) + scope.prefixes(MANAGE_AREAS)


def clearance_programs(*, actor) -> QuerySet[Program]:
    """Clearance programs the actor may ask under: those covering (or lying within) an area where they ask for
    clearances or govern. Clerks see no other program."""
    programs = Program.objects.filter(kind__in=CLEARANCE_KINDS)
    programs = programs.select_related("office__area", "area", "current_version")
    scope = scope_for(actor)
    if scope.user_id is None:
        return programs.none()
    if scope.is_admin:
        return programs
    q = Q(pk__in=[])
    prefixes = _clearance_prefixes(actor)
    for prefix in prefixes:
        q |= subtree_q("area__path", prefix)
    ancestors = sorted({ancestor for prefix in prefixes for ancestor in ancestor_paths(prefix)})
    if ancestors:
        q |= Q(area__path__in=ancestors)
    return programs.filter(q)


def clearance_program(*, actor, pk) -> Program:
    try:
        return clearance_programs(actor=actor).get(pk=pk)
    except (Program.DoesNotExist, ValueError, TypeError):
        raise NotVisible(f"program {pk} not found") from None


def clearance_persons(*, actor) -> QuerySet[Person]:
    """Persons the actor may ask a clearance for: in an area where they ask for clearances or govern."""
    persons = Person.objects.select_related("household__unit")
    scope = scope_for(actor)
    if scope.user_id is None:
        return persons.none()
    if scope.is_admin:
        return persons
    q = Q(pk__in=[])
    for prefix in _clearance_prefixes(actor):
        q |= subtree_q("household__unit__path", prefix)
    return persons.filter(q)


def clearance_person(*, actor, person_id=None, national_id: str | None = None) -> Person:
    """The person a clerk names by registry number (id) or national id, within their scope; NotVisible otherwise."""
    persons = clearance_persons(actor=actor)
    try:
        if national_id:
            return persons.get(national_id=national_id.strip())
        return persons.get(pk=person_id)
    except (Person.DoesNotExist, ValueError, TypeError):
        raise NotVisible("person not found") from None


def may_request(actor, program: Program, unit: Area) -> bool:
    """A school clerk for a school clearance, a recruiter for an enlistment clearance, over the person's unit; an
    officer governing the program's area for either."""
    if can(actor, MANAGE_AREAS, program.area) and unit.path.startswith(program.area.path):
        return True
    return can(actor, ACTION_OF_KIND[program.kind], unit)


def _require_request(actor, program: Program, unit: Area) -> None:
    if may_request(actor, program, unit):
        return
    if scope_for(actor).allows_area(VIEW, unit) or _clearance_prefixes(actor):
        raise NotPermitted(f"not allowed to ask for a {program.kind} clearance")
    raise NotVisible("person not found")


def _require_clerk_age(actor, program: Program, person: Person, on: date) -> None:
    if can(actor, MANAGE_AREAS, program.area):
        return
    low, high = CLERK_AGES[program.kind]
    age = on.year - person.birth_date.year - ((on.month, on.day) < (person.birth_date.month, person.birth_date.day))
    if not low <= age <= high:
        raise DomainError(
            "person",
            "This clearance is asked for people aged %(low)s to %(high)s; ask the district office for others.",
            params={"low": low, "high": high},
        )


# Writing ----------------------------------------------------------------------------------------------------------


def _current_household(person: Person, on: date) -> Household:
    membership = (
        Membership.objects.filter(person=person, since__lte=on)
        .filter(Q(until__isnull=True) | Q(until__gt=on))
        .select_related("household__unit")
        .first()
    )
    today = timezone.localdate()
    current = Membership.objects.filter(person=person, until__isnull=True).first()
    if membership is None or current is None or current.household_id != membership.household_id:
        raise DomainError("person", "The person is not a member of a household on that day.")
    if person.status != Person.Status.RESIDENT:
        raise DomainError("person", "The person is not a resident.")
    household = membership.household
    if household.dissolved_on is not None and household.dissolved_on <= max(on, today):
        raise DomainError("person", "The person's household is dissolved.")
    return household


def _day(on) -> date:
    on = effective_date("on", on)
    if on < timezone.localdate() - timedelta(days=EARLIEST_DAYS_BACK):
        raise DomainError("on", "At most %(days)s days back: a clearance is for a day to come.", params={"days": 30})
    return on


def _stamp_expiry(on: date) -> datetime:
    return timezone.make_aware(datetime.combine(on + timedelta(days=VALID_DAYS + 1), time.min))


def clearance_stamp_issue(*, actor, clearance: Clearance) -> Stamp:
    """The signed clearance stamp for a granted clearance, by the program office's key. Inside the caller's
    transaction, after the caller checked its permission."""
    program = clearance.program
    return signed_stamp_create(
        actor=actor,
        office=program.office,
        household=clearance.household,
        person=clearance.person,
        duty_kind=Stamp.DutyKind.CLEARANCE,
        duty_ref=f"clearance:{clearance.pk}",
        duty_title=(program.name_ko or program.name_en)[:120],
        quantity=0,
        measure="",
        period_start=clearance.on,
        period_end=clearance.on,
        # Valid from the day asked for, or from today for one granted later on appeal: never issued near its end.
        expires_at=_stamp_expiry(max(clearance.on, timezone.localdate())),
    )


@transaction.atomic
def clearance_request(*, actor: User, program: Program, person: Person, on) -> Clearance:
    """Decide the program's rule for the person's household on `on`, and record the answer: granted with a signed
    clearance stamp, or denied with what is missing (see `missing_texts`)."""
    program = Program.objects.select_related("office__area", "area", "current_version").get(pk=program.pk)
    if person.household_id is None:
        raise DomainError("person", "The person is not a member of a household.")
    unit = person.household.unit
    if program.kind not in CLEARANCE_KINDS:
        raise DomainError("program", "This program is not a clearance.")
    _require_request(actor, program, unit)
    on = _day(on)
    household = _current_household(person, on)
    unit = household.unit
    if not unit.path.startswith(program.area.path):
        raise DomainError("person", "The program does not cover the person's unit.")
    _require_clerk_age(actor, program, person, on)
    snapshot = clearance_snapshot(program, on)
    verdict = cycle_sql.household_verdict(_plan(program, snapshot, on), household.pk)
    if verdict is None:
        raise DomainError("person", "The program does not cover the person's household on that day.")
    clearance = Clearance(
        program=program,
        person=person,
        household=household,
        unit=unit,
        on=on,
        granted=verdict.eligible,
        outcomes=verdict.outcomes,
        stamps=verdict.stamps,
        snapshot=snapshot,
        requested_by=actor,
        requested_at=timezone.now(),
    )
    clearance.full_clean(exclude=["stamp", "appeal"])
    clearance.save()
    after = {
        "program": program.pk,
        "person": person.pk,
        "household": household.pk,
        "on": on,
        "granted": clearance.granted,
        "outcomes": clearance.outcomes,
    }
    if clearance.granted:
        clearance.stamp = clearance_stamp_issue(actor=actor, clearance=clearance)
        clearance.save(update_fields=["stamp"])
        after["stamp"] = str(clearance.stamp.serial)
    else:
        after["missing"] = missing_texts(clearance)
    # Two literal actions, so that the audit table's source scan finds both.
    recorded = {"target": clearance, "area": unit, "household_id": household.pk, "after": after}
    if clearance.granted:
        audit_record(actor=actor, action="clearance.grant", **recorded)
    else:
        audit_record(actor=actor, action="clearance.deny", **recorded)
    return clearance


# Reading ----------------------------------------------------------------------------------------------------------


def clearances_visible(*, actor) -> QuerySet[Clearance]:
    """Clearances the actor may read: those of households in view (leaders, officers, auditors, the household's
    residents), and those a clerk may ask for (their kind, their area)."""
    base = Clearance.objects.select_related("program__office", "program__area", "person", "household", "unit", "stamp")
    scope = scope_for(actor)
    if scope.user_id is None:
        return base.none()
    if scope.is_admin:
        return base
    visible = restrict(Clearance.objects.all(), actor, VIEW).values("pk")
    q = Q(pk__in=visible)
    for kind, action in ACTION_OF_KIND.items():
        for prefix in scope.prefixes(action):
            # A clerk reads the clearances they asked for, not those other schools or offices asked for.
            q |= Q(program__kind=kind, requested_by=actor) & subtree_q("unit__path", prefix)
    return base.filter(q)


def clearance_detail(*, actor, pk) -> Clearance:
    """One clearance the actor may read; the read is noted in the person's access log."""
    try:
        clearance = clearances_visible(actor=actor).get(pk=pk)
    except (Clearance.DoesNotExist, ValueError, TypeError):
        raise NotVisible(f"clearance {pk} not found") from None
    access_record(actor=actor, person=clearance.person)
    return clearance


def household_clearances(*, actor, household: Household, limit: int = 50) -> list[Clearance]:
    return list(clearances_visible(actor=actor).filter(household=household).order_by("-requested_at", "-id")[:limit])


@dataclass
class AtRisk:
    """A household of the unit whose clearance would be denied on the day, for the persons of clearance age."""

    household: Household
    persons: list[Person]
    missing: list[str] = field(default_factory=list)


def clearance_risks(*, actor, program: Program, unit: Area, before: date) -> list[AtRisk]:
    """The unit leader's look-ahead: households with a person of the clearance's age on `before` whose clearance
    would be denied that day, and what their household misses. One statement decides the whole unit."""
    require(actor, VIEW, unit)
    if program.kind not in CLEARANCE_KINDS:
        raise DomainError("program", "This program is not a clearance.")
    if not unit.path.startswith(program.area.path):
        raise DomainError("program", "The program does not cover this unit.")
    before = effective_date("before", before)
    low, high = CLEARANCE_AGES[program.kind]
    born_after = cycle_sql.years_before(before, high + 1)
    born_by = cycle_sql.years_before(before, low)
    memberships = (
        Membership.objects.filter(household__unit=unit, since__lte=before, person__status=Person.Status.RESIDENT)
        .filter(Q(until__isnull=True) | Q(until__gt=before))
        .filter(person__birth_date__gt=born_after, person__birth_date__lte=born_by)
        .select_related("person", "household")
        .order_by("household__number", "person__birth_date")
    )
    persons: dict[int, list[Person]] = {}
    households: dict[int, Household] = {}
    for membership in memberships:
        persons.setdefault(membership.household_id, []).append(membership.person)
        households[membership.household_id] = membership.household
    if not persons:
        return []
    snapshot = clearance_snapshot(program, before)
    verdicts = cycle_sql.unit_verdicts(_plan(program, snapshot, before), unit.pk)
    risks = []
    for verdict in verdicts:
        if verdict.eligible or verdict.household_id not in persons:
            continue
        shaped = SimpleNamespace(
            program=program, snapshot=snapshot, granted=False, outcomes=verdict.outcomes, stamps=verdict.stamps
        )
        risks.append(
            AtRisk(
                household=households[verdict.household_id],
                persons=persons[verdict.household_id],
                missing=missing_texts(shaped),
            )
        )
    risks.sort(key=lambda risk: risk.household.number)
    return risks
