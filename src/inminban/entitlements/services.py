"""Every write about entitlements: programs and their versions, cycles and their workflow.

Permission first, then validation, then the change, then the audit entry, in one transaction. Officers
(MANAGE_AREAS over the program's area, for their own office) create programs and cycles, generate and approve
them; a cycle is approved by a second officer, never by the one who generated it (maker–checker). A cycle is
computed set-based (`cycle_sql.chunk_statement`), one committed transaction per range of household ids, so a
national cycle keeps memory flat, reports progress, and a run that was killed resumes without duplicate rows."""

import calendar
import os
from collections.abc import Callable
from datetime import date, timedelta

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from inminban.areas.access import MANAGE_AREAS, require
from inminban.areas.models import Area, Office
from inminban.audit.services import audit_record
from inminban.common.errors import DomainError
from inminban.common.validators import effective_date
from inminban.duties.models import Campaign, Directive, Levy

from . import cycle_sql
from .models import Cycle, CycleTally, Entitlement, Program, ProgramVersion
from .norms import DEFAULT_HEAVY_JOBS, PRESETS, heavy_jobs_validate, norms_validate
from .rules import REF_MODELS, leaves, parse_ref, rule_clean

# Households per statement: paces the progress bar, and a killed run redoes at most one chunk. Unset, it depends on
# the database (`default_chunk`).
CHUNK_HOUSEHOLDS = int(os.environ.get("INMINBAN_CYCLE_CHUNK") or 0) or None


def default_chunk() -> int:
    """PostgreSQL: 500,000 households per statement. At national size, ranges of 100,000 ran at half the speed of one
    statement over the whole country (index reads per range), and ranges of 500,000 matched it. SQLite: 100,000,
    because each range holds SQLite's one write lock for as long as it runs."""
    return 500_000 if connection.vendor == "postgresql" else 100_000


DEFAULT_LEADER_DAYS = 5  # seed 001: leaders receive five days' worth of rations a month
REF_OBJECTS = {"campaign": Campaign, "levy": Levy, "directive": Directive}
PROGRAM_FIELDS = ("office", "area", "kind", "cadence", "name_ko", "name_en")


def text_value(field: str, value, *, max_length: int, required: bool = False) -> str:
    """A text field of the entitlement services' input, stripped: text, present if required, not too long."""
    if value is not None and not isinstance(value, str):
        raise DomainError(field, "Text is required here.")
    value = (value or "").strip()
    if required and not value:
        raise DomainError(field, "This field is required.")
    if len(value) > max_length:
        raise DomainError(field, "At most %(count)s characters.", params={"count": max_length})
    return value


def _require_office(actor: User, office: Office, area: Area) -> None:
    require(actor, MANAGE_AREAS, area)
    require(actor, MANAGE_AREAS, office.area)
    if not area.path.startswith(office.area.path):
        raise DomainError("area", f"{area.code} is outside the area of {office.code}.")


def stamp_reference(ref: str):
    """The campaign, levy or directive a stamp reference names, or None."""
    model, number = parse_ref("stamp", ref)
    return REF_OBJECTS[model].objects.select_related("area").filter(pk=number).first()


def _resolve_refs(refs: list[tuple[str, str]], area: Area) -> None:
    """Every stamp reference names an existing obligation whose area overlaps the program's area."""
    for where, ref in refs:
        obligation = stamp_reference(ref)
        model = ref.partition(":")[0]
        if obligation is None:
            raise DomainError(where, f"There is no {model} {ref.partition(':')[2]}.")
        if not (area.path.startswith(obligation.area.path) or obligation.area.path.startswith(area.path)):
            raise DomainError(where, f"The {model} “{obligation}” is for another area than this program.")


def norms_from(norms):
    """A preset's categories for a preset name; anything else is returned for `norms_validate` to check."""
    if isinstance(norms, str):
        if norms not in PRESETS:
            raise DomainError("norms", f"Unknown preset; one of {', '.join(PRESETS)}.")
        return PRESETS[norms]
    return norms


def _version_values(*, program_kind: str, area: Area, norms, heavy_jobs, rule, benefit_days) -> dict:
    norms = norms_validate(norms_from(norms))
    heavy_jobs = heavy_jobs_validate(DEFAULT_HEAVY_JOBS if heavy_jobs is None else heavy_jobs)
    rule, refs = rule_clean(rule, categories={category["code"] for category in norms})
    _resolve_refs(refs, area)
    if program_kind == Program.Kind.LEADER_BENEFIT:
        benefit_days = DEFAULT_LEADER_DAYS if benefit_days is None else benefit_days
        if isinstance(benefit_days, bool) or not isinstance(benefit_days, int) or not 1 <= benefit_days <= 31:
            raise DomainError("benefit_days", "Between 1 and 31 days' worth a month.")
    elif benefit_days not in (None, 0):
        raise DomainError("benefit_days", "Only a leader benefit gives extra days.")
    else:
        benefit_days = 0
    return {"norms": norms, "heavy_jobs": heavy_jobs, "rule": rule, "benefit_days": benefit_days}


def _version_snapshot(version: ProgramVersion) -> dict:
    return {
        "number": version.number,
        "norms": version.norms,
        "heavy_jobs": version.heavy_jobs,
        "rule": version.rule,
        "benefit_days": version.benefit_days,
    }


def _audit(actor, action: str, obj, *, area: Area, before=None, after=None):
    audit_record(actor=actor, action=action, target=obj, area=area, before=before, after=after)


# Programs -------------------------------------------------------------------------------------------------------


@transaction.atomic
def program_create(
    *,
    actor: User,
    office: Office,
    area: Area,
    kind: str,
    rule: dict,
    norms="nine_levels",
    cadence: str = Program.Cadence.MONTHLY,
    name_ko: str = "",
    name_en: str = "",
    heavy_jobs: list[str] | None = None,
    benefit_days: int | None = None,
) -> Program:
    """An office starts a program over `area`, with its first version of norms and rule."""
    _require_office(actor, office, area)
    if kind not in Program.Kind.values:
        raise DomainError("kind", f"One of: {', '.join(Program.Kind.values)}.")
    if cadence not in Program.Cadence.values:
        raise DomainError("cadence", f"One of: {', '.join(Program.Cadence.values)}.")
    if kind == Program.Kind.LEADER_BENEFIT and cadence != Program.Cadence.MONTHLY:
        raise DomainError("cadence", "A leader benefit is given monthly.")
    name_ko = text_value("name_ko", name_ko, max_length=200)
    name_en = text_value("name_en", name_en, max_length=200)
    if not name_ko and not name_en:
        raise DomainError("name_en", "A name in Korean or English is required.")
    values = _version_values(
        program_kind=kind, area=area, norms=norms, heavy_jobs=heavy_jobs, rule=rule, benefit_days=benefit_days
    )
    now = timezone.now()
    program = Program(
        office=office,
        area=area,
        kind=kind,
        cadence=cadence,
        name_ko=name_ko,
        name_en=name_en,
        created_by=actor,
        created_at=now,
    )
    program.full_clean(exclude=["current_version"])
    program.save()
    version = ProgramVersion.objects.create(program=program, number=1, created_by=actor, created_at=now, **values)
    program.current_version = version
    program.save(update_fields=["current_version"])
    after = {name: getattr(program, program._meta.get_field(name).attname) for name in PROGRAM_FIELDS}
    _audit(actor, "program.create", program, area=area, after={**after, "version": _version_snapshot(version)})
    return program


@transaction.atomic
def program_revise(
    *,
    actor: User,
    program: Program,
    norms=None,
    rule: dict | None = None,
    heavy_jobs: list[str] | None = None,
    benefit_days: int | None = None,
    note: str = "",
) -> ProgramVersion:
    """New norms and/or a new rule: a new version. Cycles already made keep the version they were made with."""
    program = Program.objects.select_for_update().select_related("office__area", "area").get(pk=program.pk)
    _require_office(actor, program.office, program.area)
    current = program.current_version
    values = _version_values(
        program_kind=program.kind,
        area=program.area,
        norms=current.norms if norms is None else norms,
        heavy_jobs=current.heavy_jobs if heavy_jobs is None else heavy_jobs,
        rule=current.rule if rule is None else rule,
        benefit_days=(current.benefit_days or None) if benefit_days is None else benefit_days,
    )
    note = text_value("note", note, max_length=300)
    if all(getattr(current, name) == value for name, value in values.items()):
        raise DomainError("rule", "Nothing changed: the norms and the rule are the same as in the current version.")
    version = ProgramVersion.objects.create(
        program=program,
        number=current.number + 1,
        note=note,
        created_by=actor,
        created_at=timezone.now(),
        **values,
    )
    program.current_version = version
    program.save(update_fields=["current_version"])
    _audit(
        actor,
        "program.revise",
        program,
        area=program.area,
        before={"version": _version_snapshot(current)},
        after={"version": _version_snapshot(version), "note": note},
    )
    return version


# Cycles ---------------------------------------------------------------------------------------------------------


def cycle_period(program: Program, period_start, period_end=None) -> tuple[date, date]:
    """The period a cycle starting on `period_start` covers under the program's cadence."""
    effective_date("period_start", period_start)  # the project's one date policy: 1900 to the horizon ahead
    last_day = calendar.monthrange(period_start.year, period_start.month)[1]
    if program.cadence == Program.Cadence.MONTHLY:
        if period_start.day != 1:
            raise DomainError("period_start", "A monthly cycle starts on the first day of a month.")
        end = period_start.replace(day=last_day)
    elif program.cadence == Program.Cadence.SEMI_MONTHLY:
        if period_start.day not in (1, 16):
            raise DomainError("period_start", "A half-month cycle starts on the 1st or the 16th.")
        end = period_start.replace(day=15 if period_start.day == 1 else last_day)
    else:
        if not isinstance(period_end, date):
            raise DomainError("period_end", "A one-off cycle needs its last day (YYYY-MM-DD).")
        effective_date("period_end", period_end)
        if period_end < period_start:
            raise DomainError("period_end", "The period cannot end before it starts.")
        if (period_end - period_start).days > 366:
            raise DomainError("period_end", "A period is at most a year long.")
        end = period_end
    if period_end is not None and program.cadence != Program.Cadence.ONCE and period_end != end:
        raise DomainError("period_end", "The cadence fixes the last day: %(day)s.", params={"day": end.isoformat()})
    return period_start, end


@transaction.atomic
def cycle_create(*, actor: User, program: Program, period_start, period_end=None, reference_date=None) -> Cycle:
    """A new cycle of `program` for one period, with the program's current version frozen into it."""
    program = Program.objects.select_for_update().select_related("office__area", "area").get(pk=program.pk)
    _require_office(actor, program.office, program.area)
    if program.is_clearance:
        raise DomainError("program", "A clearance program is checked person by person, when asked; it has no cycles.")
    start, end = cycle_period(program, period_start, period_end)
    if reference_date is None:
        reference_date = start
    if not isinstance(reference_date, date) or not start - timedelta(days=31) <= reference_date <= end:
        raise DomainError("reference_date", "A day within the period (or up to a month before it).")
    overlapping = program.cycles.filter(period_start__lte=end, period_end__gte=start).first()
    if overlapping is not None:
        raise DomainError(
            "period_start",
            "The period overlaps the cycle %(start)s–%(end)s.",
            params={"start": overlapping.period_start.isoformat(), "end": overlapping.period_end.isoformat()},
        )
    cycle = Cycle(
        program=program,
        version=program.current_version,
        period_start=start,
        period_end=end,
        reference_date=reference_date,
        created_by=actor,
        created_at=timezone.now(),
    )
    cycle.full_clean(exclude=["job"])
    cycle.save()
    _audit(
        actor,
        "cycle.create",
        cycle,
        area=program.area,
        after={
            "program": program.pk,
            "version": cycle.version.number,
            "period_start": start,
            "period_end": end,
            "reference_date": reference_date,
        },
    )
    return cycle


def _locked_cycle(cycle: Cycle) -> Cycle:
    return (
        Cycle.objects.select_for_update()
        .select_related("program__area", "program__office__area", "version")
        .get(pk=cycle.pk)
    )


def _stopped_refs(rule: dict) -> dict[str, dict]:
    """The obligations the rule names, as they stand now: title and whether their issuer stopped them."""
    resolved = {}
    for leaf in leaves(rule):
        if leaf.kind != "stamp" or leaf.params in resolved:
            continue
        obligation = stamp_reference(leaf.params)
        standing = getattr(obligation, "standing", "active") if obligation is not None else "missing"
        resolved[leaf.params] = {
            "area": obligation.area.path if obligation is not None else "",
            "title_ko": getattr(obligation, "title_ko", ""),
            "title_en": getattr(obligation, "title_en", ""),
            "kind": REF_MODELS[leaf.params.partition(":")[0]],
            "standing": standing,
        }
    return resolved


def _plan(cycle: Cycle) -> cycle_sql.CyclePlan:
    snapshot = cycle.snapshot
    return cycle_sql.CyclePlan(
        cycle_id=cycle.pk,
        kind=cycle.program.kind,
        area_path=cycle.program.area.path,
        reference_date=cycle.reference_date,
        days=cycle.days,
        benefit_days=snapshot["version"]["benefit_days"],
        norms=snapshot["version"]["norms"],
        heavy_jobs=snapshot["version"]["heavy_jobs"],
        rule=snapshot["version"]["rule"],
        stopped_refs={ref for ref, info in snapshot["obligations"].items() if info["standing"] != "active"},
        ref_paths={ref: info["area"] for ref, info in snapshot["obligations"].items()},
    )


def _require_generation(actor, cycle: Cycle) -> None:
    _require_office(actor, cycle.program.office, cycle.program.area)
    if cycle.status not in (Cycle.Status.DRAFT, Cycle.Status.GENERATING, Cycle.Status.GENERATED):
        raise DomainError("status", f"The cycle is {cycle.status}; it can only be computed before approval.")


@transaction.atomic
def cycle_generate_request(*, actor: User, cycle: Cycle) -> Cycle:
    """Queue the computation of a cycle as a background job (the web and the API never compute in a request)."""
    from inminban.jobs.services import job_enqueue

    cycle = _locked_cycle(cycle)
    _require_generation(actor, cycle)
    job = job_enqueue(
        kind="cycle.generate",
        params={"cycle": cycle.pk, "actor": actor.pk},
        actor=actor,
        dedupe_key=f"cycle:{cycle.pk}",
    )
    before = cycle.status
    cycle.status, cycle.job = Cycle.Status.GENERATING, job
    cycle.save(update_fields=["status", "job"])
    _audit(
        actor,
        "cycle.generate_request",
        cycle,
        area=cycle.program.area,
        before={"status": before},
        after={"status": cycle.status, "job": job.pk},
    )
    return cycle


def _begin_generation(actor, cycle: Cycle, resume: bool, chunk: int) -> tuple[Cycle, bool]:
    """Freeze the inputs into the snapshot (unless resuming a run that already did) and clear old rows."""
    with transaction.atomic():
        cycle = _locked_cycle(cycle)
        _require_generation(actor, cycle)
        resuming = resume and cycle.status == Cycle.Status.GENERATING and "bounds" in cycle.snapshot
        if not resuming:
            version = cycle.version
            plan_area = cycle.program.area
            cycle.snapshot = {
                "version": _version_snapshot(version),
                "obligations": _stopped_refs(version.rule),
                "area": plan_area.path,
                "stamps_valid_at": cycle_sql.stamps_valid_at(cycle.reference_date).isoformat(),
            }
            cycle.snapshot["bounds"] = list(cycle_sql.population_bounds(_plan(cycle)) or (0, -1))
            cycle.snapshot["chunk"] = chunk  # a resumed run must cut the same ranges, whatever its own setting
            cycle.status = Cycle.Status.GENERATING
            cycle.save(update_fields=["snapshot", "status"])
            Entitlement.objects.filter(cycle=cycle).delete()
            CycleTally.objects.filter(cycle=cycle).delete()
        return cycle, resuming


def chunk_ranges(bounds: list[int], size: int) -> list[tuple[int, int]]:
    low, high = bounds
    return [(start, min(start + size, high + 1)) for start in range(low, high + 1, size)]


def cycle_generate(
    *,
    actor: User,
    cycle: Cycle,
    progress: Callable[[int, int, str], None] | None = None,
    resume_from: int = 0,
    chunk_households: int | None = None,
) -> Cycle:
    """Compute the cycle: one entitlement row (quantity or denial, with the reasons) per household of the area.

    Each range of household ids is one INSERT … SELECT in its own transaction; `resume_from` skips ranges a killed
    run already committed (each range first deletes its own rows, so redoing one never duplicates)."""
    size = chunk_households or CHUNK_HOUSEHOLDS or default_chunk()
    cycle, resuming = _begin_generation(actor, cycle, resume=resume_from > 0, chunk=size)
    plan = _plan(cycle)
    ranges = chunk_ranges(cycle.snapshot["bounds"], cycle.snapshot.get("chunk", size) if resuming else size)
    start = resume_from if resuming else 0
    for index in range(start, len(ranges)):
        low, high = ranges[index]
        statement, params = cycle_sql.chunk_statement(plan, low, high)
        with transaction.atomic():
            Entitlement.objects.filter(cycle=cycle, household_id__gte=low, household_id__lt=high).delete()
            with connection.cursor() as cursor:
                for setting in cycle_sql.chunk_settings():
                    cursor.execute(setting)
                cursor.execute(statement, params)
        if progress is not None:
            progress(index + 1, len(ranges), f"households {low:,}–{high - 1:,}")
    return _finish_generation(actor, cycle)


@transaction.atomic
def _finish_generation(actor, cycle: Cycle) -> Cycle:
    cycle = _locked_cycle(cycle)
    CycleTally.objects.filter(cycle=cycle).delete()
    with connection.cursor() as cursor:
        cursor.execute(*cycle_sql.tally_statement(cycle.pk))
    totals = CycleTally.objects.filter(cycle=cycle).aggregate(
        all_households=Sum("households"),
        entitled_households=Sum("households", filter=Q(eligible=True)),
        all_quantity=Sum("quantity"),
    )
    totals = {name: value or 0 for name, value in totals.items()}
    cycle.households = totals["all_households"]
    cycle.entitled = totals["entitled_households"]
    cycle.denied = totals["all_households"] - totals["entitled_households"]
    cycle.total_quantity = totals["all_quantity"]
    before = cycle.status
    cycle.status = Cycle.Status.GENERATED
    cycle.generated_by, cycle.generated_at = actor, timezone.now()
    cycle.save(
        update_fields=["households", "entitled", "denied", "total_quantity", "status", "generated_by", "generated_at"]
    )
    _audit(
        actor,
        "cycle.generate",
        cycle,
        area=cycle.program.area,
        before={"status": before},
        after={
            "status": cycle.status,
            "version": cycle.snapshot["version"]["number"],
            "households": cycle.households,
            "entitled": cycle.entitled,
            "denied": cycle.denied,
            "total_quantity": cycle.total_quantity,
        },
    )
    return cycle


def _advance(
    *,
    actor: User,
    cycle: Cycle,
    expected: str,
    refusal: str,
    status: str,
    at_field: str,
    action: str,
    by_field: str | None = None,
    check=None,
) -> Cycle:
    """One step of the workflow: from `expected` to `status`, stamping when (and by whom), audited."""
    cycle = _locked_cycle(cycle)
    _require_office(actor, cycle.program.office, cycle.program.area)
    if cycle.status != expected:
        raise DomainError("status", f"{refusal}; this one is {cycle.status}.")
    if check is not None:
        check(cycle)
    cycle.status = status
    setattr(cycle, at_field, timezone.now())
    fields = ["status", at_field]
    if by_field is not None:
        setattr(cycle, by_field, actor)
        fields.append(by_field)
    cycle.save(update_fields=fields)
    after = {"status": cycle.status}
    if action == "cycle.approve":
        after["generated_by"] = cycle.generated_by_id
    _audit(actor, action, cycle, area=cycle.program.area, before={"status": expected}, after=after)
    return cycle


def is_maker(actor: User, cycle: Cycle) -> bool:
    """Whether `actor` computed the cycle last, and so may not approve it (maker–checker)."""
    return cycle.generated_by_id is not None and cycle.generated_by_id == actor.pk


def _not_the_maker(actor: User):
    def check(cycle: Cycle) -> None:
        if is_maker(actor, cycle):
            raise DomainError("approved_by", "You computed this cycle; another officer must approve it.")

    return check


@transaction.atomic
def cycle_approve(*, actor: User, cycle: Cycle) -> Cycle:
    """A second officer approves a computed cycle: the one who computed it cannot (maker–checker). Each entitled
    household's voucher is written then (or queued, for a large cycle)."""
    from .vouchers import cycle_vouchers_schedule

    cycle = _advance(
        actor=actor,
        cycle=cycle,
        expected=Cycle.Status.GENERATED,
        refusal="Only a computed cycle can be approved",
        status=Cycle.Status.APPROVED,
        at_field="approved_at",
        by_field="approved_by",
        action="cycle.approve",
        check=_not_the_maker(actor),
    )
    cycle_vouchers_schedule(actor=actor, cycle=cycle)
    return cycle


@transaction.atomic
def cycle_distribute(*, actor: User, cycle: Cycle) -> Cycle:
    """Distribution of an approved cycle begins."""
    return _advance(
        actor=actor,
        cycle=cycle,
        expected=Cycle.Status.APPROVED,
        refusal="Only an approved cycle can be distributed",
        status=Cycle.Status.DISTRIBUTING,
        at_field="distributing_since",
        action="cycle.distribute",
    )


@transaction.atomic
def cycle_close(*, actor: User, cycle: Cycle) -> Cycle:
    """Distribution is over; the cycle is closed for good: nothing more is handed out, and vouchers with anything left
    on them are revoked (expired), which the next status lists tell offline counters."""
    from .vouchers import cycle_vouchers_expire

    cycle = _advance(
        actor=actor,
        cycle=cycle,
        expected=Cycle.Status.DISTRIBUTING,
        refusal="Only a cycle being distributed can be closed",
        status=Cycle.Status.CLOSED,
        at_field="closed_at",
        action="cycle.close",
    )
    expired = cycle_vouchers_expire(actor=actor, cycle=cycle)
    if expired:
        _audit(actor, "cycle.vouchers_expire", cycle, area=cycle.program.area, after={"vouchers": expired})
    return cycle
