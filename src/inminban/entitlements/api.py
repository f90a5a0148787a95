"""/api/v1/ endpoints for programs, cycles and entitlements. Thin: scoping in selectors, rules in services."""

from datetime import date, datetime
from types import SimpleNamespace
from typing import Annotated, Any, Literal

from ninja import Field, Query, Router, Schema, Status
from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from inminban.api.pagination import PageParams, page_of, paginate
from inminban.api.schemas import (
    READ_ERRORS,
    WRITE_ERRORS,
    AreaCode,
    Input,
    IsoDate,
    QueryBool,
    area_in_scope,
    text,
)
from inminban.areas.access import MANAGE_AREAS, require_any
from inminban.duties import selectors as duty_selectors
from inminban.registry import selectors as registry_selectors

from . import explain, selectors, services
from .models import Cycle, Entitlement, ProgramVersion
from .norms import PRESETS
from .rules import leaves, rule_clean, rule_sentence

router = Router(tags=["entitlements"])


# Output -----------------------------------------------------------------------------------------------------------


class VersionOut(Schema):
    number: int
    norms: list[dict[str, Any]]
    heavy_jobs: list[str]
    rule: dict[str, Any]
    benefit_days: int
    note: str
    created_at: datetime
    sentence_en: str
    sentence_ko: str

    @staticmethod
    def resolve_sentence_en(version: ProgramVersion) -> str:
        return _sentence(version, "en")

    @staticmethod
    def resolve_sentence_ko(version: ProgramVersion) -> str:
        return _sentence(version, "ko")


def _sentence(version: ProgramVersion, language: str) -> str:
    titles = {}
    for leaf in leaves(version.rule):
        if leaf.kind == "stamp":
            obligation = services.stamp_reference(leaf.params)
            if obligation is not None:
                titles[leaf.params] = {
                    "ko": obligation.title_ko or obligation.title_en,
                    "en": obligation.title_en or obligation.title_ko,
                }
    categories = {n["code"]: {"ko": n["name_ko"] or n["code"], "en": n["name_en"] or n["code"]} for n in version.norms}
    return rule_sentence(version.rule, language=language, titles=titles, categories=categories)


class ProgramOut(Schema):
    id: int
    office: str = Field(alias="office.code")
    area: str = Field(alias="area.code")
    kind: str = Field(
        description="grain_ration, cash_benefit, leader_benefit; or school_clearance, enlistment_clearance (checked "
        "one person at a time, no cycles)."
    )
    cadence: str = Field(description="monthly, semi_monthly or once.")
    measure: str = Field(description="g: grams of grain per person per day; kpw: won per person per cycle.")
    name_ko: str
    name_en: str
    version: VersionOut = Field(alias="current_version")


class CycleOut(Schema):
    id: int
    program: int = Field(alias="program_id")
    version: int = Field(alias="version.number")
    period_start: date
    period_end: date
    reference_date: date
    status: str = Field(description="draft, generating, generated, approved, distributing or closed.")
    households: int
    entitled: int
    denied: int
    total_quantity: int = Field(description="Grams of grain or won, over all entitled households.")
    generated_at: datetime | None
    generated_by: str | None
    approved_at: datetime | None
    approved_by: str | None
    progress_percent: int | None = Field(description="While being computed: how far the background job is.")
    sentence: str

    @staticmethod
    def resolve_generated_by(cycle: Cycle) -> str | None:
        return cycle.generated_by.username if cycle.generated_by_id else None

    @staticmethod
    def resolve_approved_by(cycle: Cycle) -> str | None:
        return cycle.approved_by.username if cycle.approved_by_id else None

    @staticmethod
    def resolve_progress_percent(cycle: Cycle) -> int | None:
        return cycle.job.percent if cycle.job_id and cycle.status == Cycle.Status.GENERATING else None

    @staticmethod
    def resolve_sentence(cycle: Cycle) -> str:
        return explain.cycle_sentence(cycle) if cycle.snapshot else _sentence(cycle.version, "en")


class RuleConditionOut(Schema):
    condition: str
    held: bool
    satisfied: bool = Field(description="Speaks for the household (held, or did not hold under a 'not').")
    note: str
    stamp: str | None = Field(description="Serial of the stamp that fulfilled it.")


class CountedMemberOut(Schema):
    person: int
    category: str
    amount: int
    leader: bool


class EntitlementOut(Schema):
    id: int
    cycle: int = Field(alias="cycle_id")
    household: int = Field(alias="household_id")
    household_number: str = Field(alias="household.number")
    unit: str = Field(alias="unit.code")
    eligible: bool
    quantity: int = Field(description="Grams of grain or won; zero when denied.")
    members_counted: int


class EntitlementDetailOut(EntitlementOut):
    quantity_text: str
    computation: str
    conditions: list[RuleConditionOut]
    missing: list[str] = Field(description="What the household lacks, when denied.")
    members: list[CountedMemberOut]


def _stamp_serials(ids: list[int]) -> dict[int, str]:
    from inminban.stamps.models import Stamp

    return {pk: str(serial) for pk, serial in Stamp.objects.filter(pk__in=ids).values_list("pk", "serial")}


def _detail(entitlement: Entitlement) -> SimpleNamespace:
    cycle = entitlement.cycle
    explanation = explain.explain(cycle, entitlement)
    serials = _stamp_serials([c.stamp_id for c in explanation.conditions if c.stamp_id])
    return SimpleNamespace(
        **{name: getattr(entitlement, name) for name in ("id", "cycle_id", "household_id", "eligible", "quantity")},
        household=entitlement.household,
        unit=entitlement.unit,
        members_counted=entitlement.members_counted,
        quantity_text=explanation.quantity_text,
        computation=explanation.computation,
        conditions=[
            {
                "condition": c.phrase,
                "held": c.held,
                "satisfied": c.satisfied,
                "note": c.note,
                "stamp": serials.get(c.stamp_id),
            }
            for c in explanation.conditions
        ],
        missing=[c.phrase for c in explanation.missing],
        members=[
            {"person": m.person_id, "category": m.category, "amount": m.amount, "leader": m.leader}
            for m in explanation.members
        ],
    )


class FiguresOut(Schema):
    area: str
    name: str
    households: int
    entitled: int
    denied: int
    quantity: int


class DenialOut(Schema):
    condition: str
    households: int


class PresetOut(Schema):
    code: str
    norms: list[dict[str, Any]]


class SentenceOut(Schema):
    rule: dict[str, Any]
    sentence_en: str
    sentence_ko: str


# Input ------------------------------------------------------------------------------------------------------------


def _norms_input(value):
    """A preset's name or a list of person categories (each checked by the service, which names the one at fault).
    One type rather than a union, so that an error names the field `norms`, not the union's members."""
    if value is None or (isinstance(value, str) and value in PRESETS) or isinstance(value, list):
        return value
    raise PydanticCustomError("norms", f"A preset ({', '.join(PRESETS)}) or a list of person categories.")


_NORMS_SCHEMA = [{"type": "array", "items": {"type": "object"}}, {"type": "string", "enum": list(PRESETS)}]
Norms = Annotated[Any, BeforeValidator(_norms_input), WithJsonSchema({"anyOf": _NORMS_SCHEMA})]
OptionalNorms = Annotated[
    Any, BeforeValidator(_norms_input), WithJsonSchema({"anyOf": [*_NORMS_SCHEMA, {"type": "null"}]})
]


class ProgramIn(Input):
    office: text(64) | None = Field(None, description="Code of the office; default the nearest of yours.")
    area: AreaCode
    kind: Literal["grain_ration", "cash_benefit", "leader_benefit", "school_clearance", "enlistment_clearance"]
    cadence: Literal["monthly", "semi_monthly", "once"] = "monthly"
    name_ko: text(200, min_length=0) = ""
    name_en: text(200, min_length=0) = ""
    norms: Norms = Field("nine_levels", description="A preset name or a list of person categories.")
    heavy_jobs: list[text(128)] | None = Field(None, description="Job titles that count as heavy labour.")
    rule: dict[str, Any] = Field(description="A tree of conditions: all / any / not over stamp, member, … .")
    benefit_days: int | None = Field(None, ge=0, le=31, description="Leader benefit: days' worth a month.")


class RevisionIn(Input):
    norms: OptionalNorms = None
    heavy_jobs: list[text(128)] | None = None
    rule: dict[str, Any] | None = None
    benefit_days: int | None = Field(None, ge=0, le=31)
    note: text(300, min_length=0) = ""


class RuleCheckIn(Input):
    rule: dict[str, Any]
    norms: Norms = "nine_levels"


class CycleIn(Input):
    period_start: IsoDate
    period_end: IsoDate | None = Field(None, description="Only for a one-off program; otherwise fixed by cadence.")
    reference_date: IsoDate | None = Field(None, description="Default: the first day of the period.")


class EntitlementFilter(PageParams):
    unit: AreaCode | None = None
    eligible: QueryBool | None = None


class AreaFilter(Schema):
    area: AreaCode | None = None


# Programs ---------------------------------------------------------------------------------------------------------


@router.get("/norm-presets", response={200: list[PresetOut], **READ_ERRORS})
def list_presets(request):
    """The norm presets a program can start from (grams per person per day, or won per person)."""
    return [{"code": code, "norms": norms} for code, norms in PRESETS.items()]


@router.post("/rules/check", response={200: SentenceOut, **WRITE_ERRORS})
def check_rule(request, payload: RuleCheckIn):
    """Check a rule's structure and read it back as a sentence (stamp references are checked when saved)."""
    from .norms import norms_validate

    norms = norms_validate(services.norms_from(payload.norms))
    rule, _refs = rule_clean(payload.rule, categories={n["code"] for n in norms})
    categories = {n["code"]: {"ko": n["name_ko"] or n["code"], "en": n["name_en"] or n["code"]} for n in norms}
    return {
        "rule": rule,
        "sentence_en": rule_sentence(rule, language="en", categories=categories),
        "sentence_ko": rule_sentence(rule, language="ko", categories=categories),
    }


@router.get("/programs", response={200: page_of(ProgramOut, "ProgramPage"), **READ_ERRORS})
def list_programs(request, page: Query[PageParams]):
    """Programs over your areas, or covering them from above."""
    return paginate(selectors.programs_visible(actor=request.user), page)


@router.post("/programs", response={201: ProgramOut, **WRITE_ERRORS})
def create_program(request, payload: ProgramIn):
    """Start a program (officers): its first version of norms and rule."""
    require_any(request.user, MANAGE_AREAS)
    area = area_in_scope(request.user, payload.area, field="area")
    program = services.program_create(
        actor=request.user,
        office=duty_selectors.office_in_scope(actor=request.user, code=payload.office, area=area),
        area=area,
        **payload.model_dump(exclude={"office", "area"}),
    )
    return Status(201, program)


@router.get("/programs/{program_id}", response={200: ProgramOut, **READ_ERRORS})
def get_program(request, program_id: int):
    """Get a program with its current version."""
    return selectors.program_detail(actor=request.user, pk=program_id)


@router.get("/programs/{program_id}/versions", response={200: list[VersionOut], **READ_ERRORS})
def list_versions(request, program_id: int):
    """Every version of the program's norms and rule, newest first."""
    program = selectors.program_detail(actor=request.user, pk=program_id)
    return list(program.versions.order_by("-number"))


@router.post("/programs/{program_id}/versions", response={201: VersionOut, **WRITE_ERRORS})
def revise_program(request, program_id: int, payload: RevisionIn):
    """New norms or a new rule (officers): a new version; cycles already made keep theirs."""
    program = selectors.program_detail(actor=request.user, pk=program_id)
    require_any(request.user, MANAGE_AREAS)
    return Status(201, services.program_revise(actor=request.user, program=program, **payload.model_dump()))


# Cycles -----------------------------------------------------------------------------------------------------------


@router.get("/programs/{program_id}/cycles", response={200: page_of(CycleOut, "CyclePage"), **READ_ERRORS})
def list_cycles(request, program_id: int, page: Query[PageParams]):
    """The program's cycles, newest first."""
    program = selectors.program_detail(actor=request.user, pk=program_id)
    return paginate(selectors.cycles_of(actor=request.user, program=program), page)


@router.post("/programs/{program_id}/cycles", response={201: CycleOut, **WRITE_ERRORS})
def create_cycle(request, program_id: int, payload: CycleIn):
    """A new cycle for one period (officers), with the program's current version frozen into it."""
    program = selectors.program_detail(actor=request.user, pk=program_id)
    require_any(request.user, MANAGE_AREAS)
    return Status(201, services.cycle_create(actor=request.user, program=program, **payload.model_dump()))


@router.get("/cycles/{cycle_id}", response={200: CycleOut, **READ_ERRORS})
def get_cycle(request, cycle_id: int):
    """A cycle, its totals, and while it is being computed, the job's progress."""
    return selectors.cycle_detail(actor=request.user, pk=cycle_id)


def _cycle_action(name: str, service, summary: str, status: int = 200):
    @router.post(
        f"/cycles/{{cycle_id}}/{name}",
        response={status: CycleOut, **WRITE_ERRORS},
        summary=summary,
        operation_id=f"cycle_{name}",
    )
    def action(request, cycle_id: int):
        cycle = selectors.cycle_detail(actor=request.user, pk=cycle_id)
        require_any(request.user, MANAGE_AREAS)
        return Status(status, service(actor=request.user, cycle=cycle))


_cycle_action("generate", services.cycle_generate_request, "Compute the cycle in the background (202)", status=202)
_cycle_action("approve", services.cycle_approve, "Approve a computed cycle (a second officer)")
_cycle_action("distribute", services.cycle_distribute, "Start distributing an approved cycle")
_cycle_action("close", services.cycle_close, "Close a cycle after distribution")


@router.get("/cycles/{cycle_id}/figures", response={200: list[FiguresOut], **READ_ERRORS})
def cycle_figures(request, cycle_id: int, filters: Query[AreaFilter]):
    """Entitled and denied households per child area of `area` (default: the program's area)."""
    cycle = selectors.cycle_detail(actor=request.user, pk=cycle_id)
    area = area_in_scope(request.user, filters.area, field="area") if filters.area else None
    return [
        {
            "area": figure.area.code,
            "name": str(figure.area.name_en),
            "households": figure.households,
            "entitled": figure.entitled,
            "denied": figure.denied,
            "quantity": figure.quantity,
        }
        for figure in selectors.cycle_figures(actor=request.user, cycle=cycle, area=area)
    ]


@router.get("/cycles/{cycle_id}/denials", response={200: list[DenialOut], **READ_ERRORS})
def cycle_denials(request, cycle_id: int, filters: Query[AreaFilter]):
    """How many denied households failed each condition."""
    cycle = selectors.cycle_detail(actor=request.user, pk=cycle_id)
    area = area_in_scope(request.user, filters.area, field="area") if filters.area else None
    patterns = selectors.denial_patterns(actor=request.user, cycle=cycle, area=area)
    return [{"condition": phrase, "households": count} for phrase, count in explain.denial_breakdown(cycle, patterns)]


@router.get(
    "/cycles/{cycle_id}/entitlements", response={200: page_of(EntitlementOut, "EntitlementPage"), **READ_ERRORS}
)
def list_entitlements(request, cycle_id: int, filters: Query[EntitlementFilter]):
    """The cycle's entitlements you may see (a leader: the unit's; a resident: their own)."""
    cycle = selectors.cycle_detail(actor=request.user, pk=cycle_id)
    unit = area_in_scope(request.user, filters.unit, field="unit") if filters.unit else None
    rows = selectors.entitlements_of(actor=request.user, cycle=cycle, unit=unit, eligible=filters.eligible)
    return paginate(rows, filters)


@router.get("/entitlements/{entitlement_id}", response={200: EntitlementDetailOut, **READ_ERRORS})
def get_entitlement(request, entitlement_id: int):
    """One household's entitlement or denial, with every condition, the members counted and the computation."""
    return _detail(selectors.entitlement_detail(actor=request.user, pk=entitlement_id))


@router.get("/households/{household_id}/entitlements", response={200: list[EntitlementDetailOut], **READ_ERRORS})
def household_entitlements(request, household_id: int):
    """A household's latest entitlements across programs, with their reasons."""
    household = registry_selectors.household_detail(actor=request.user, household_id=household_id)
    return [_detail(row) for row in selectors.household_entitlements(actor=request.user, household=household)]
