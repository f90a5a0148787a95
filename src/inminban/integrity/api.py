"""/api/v1 endpoints for integrity flags and detection rules. Thin: scoping in selectors, rules in services.

A flag is read by the office governing its unit (and offices above), by auditors and administrators, and by the
leader it is about; for anyone else every flag is a 404 and the list is empty. The flagged leader answers
(POST …/explanation); the office decides (POST …/decision: dismissed or upheld, with a reason). Detection rules are
read by officers, auditors and administrators, and set for an office by an office above it or an administrator."""

from datetime import date, datetime
from typing import Annotated, Literal

from ninja import Field, Query, Router, Schema
from pydantic import Strict

from inminban.api.pagination import PageParams, page_of, paginate
from inminban.api.schemas import READ_ERRORS, WRITE_ERRORS, AreaCode, Input, PatchInput, StrictBool, area_in_scope, text
from inminban.audit.references import local_name
from inminban.common.errors import DomainError

from . import selectors, services, wording
from .models import Flag
from .rules import MEANINGS, rule_for

router = Router(tags=["integrity-flags"])
RULES = ["detection-rules"]

PatternCode = Literal[
    "stay_unregistered",
    "leader_own_attendance",
    "leader_own_confirmation",
    "stamp_unfulfilled",
    "bulk_attendance",
    "late_attendance",
    "waiver_rate",
    "members_before_cycle",
]
StatusCode = Literal["open", "explained", "dismissed", "upheld"]


# Output -----------------------------------------------------------------------------------------------------------


class FlagEvidenceOut(Schema):
    type: str = Field(description="healthcheck, stay, session, attendance, share, stamp, waiver, membership or cycle.")
    id: int
    label: str = Field(description="The record in plain words (no values of a health check, no names).")
    url: str | None = Field(description="The page that shows the record, where the caller may open it; else null.")


class FlagOut(Schema):
    id: int
    pattern: str
    pattern_name: str
    summary: str = Field(description="What the records show, in one sentence.")
    unit: str = Field(description="Area code of the unit.")
    unit_name: str
    office: str = Field(description="Code of the office that decides it.")
    office_name: str
    leader: str | None = Field(description="The account of the leader it is about, who may answer it; else null.")
    about_me: bool = Field(description="Whether the flag is about the caller.")
    occurred_on: date = Field(description="The day of the records it is about.")
    raised_at: datetime
    status: StatusCode
    facts: dict[str, int | float] = Field(description="The numbers behind the flag.")
    evidence: list[FlagEvidenceOut] | None = Field(description="The records, with links; detail only (null in lists).")
    explanation: str
    explained_at: datetime | None
    decision_reason: str
    decided_at: datetime | None
    may_explain: bool
    may_decide: bool


class FlagMonthOut(Schema):
    month: str = Field(description="YYYY-MM")
    open: int
    explained: int
    dismissed: int
    upheld: int
    total: int


class FlagHistoryOut(Schema):
    unit: str
    unit_name: str
    months: list[FlagMonthOut]


class DetectionRuleOut(Schema):
    pattern: str
    pattern_name: str
    enabled: bool
    threshold: float = Field(description="What it counts depends on the pattern: see threshold_kind.")
    threshold_kind: Literal["none", "days", "ratio", "percent"]
    min_count: int
    uses_min_count: bool
    inherited_from: str | None = Field(
        description="The office whose row this is (this office's own code if it has one); null for the deployment's."
    )


class OfficeDetectionRulesOut(Schema):
    office: str
    office_name: str
    rules: list[DetectionRuleOut]
    may_change: bool = Field(description="Whether the caller may set this office's rules (an office above, or admin).")


# Input ------------------------------------------------------------------------------------------------------------


class FlagFilter(PageParams):
    status: StatusCode | None = None
    pattern: PatternCode | None = None
    unit: AreaCode | None = Field(None, description="Only this unit's flags (a unit you can see).")


class FlagHistoryParams(Schema):
    unit: AreaCode = Field(description="The unit's code.")


class DetectionRulesParams(Schema):
    office: AreaCode = Field(description="The office's code.")


class FlagExplanationIn(Input):
    explanation: text(services.EXPLANATION_MAX, min_length=0) = Field(
        description="The leader's answer, as the office will read it (required, at most 2000 characters)."
    )


class FlagDecisionIn(Input):
    status: Literal["dismissed", "upheld"]
    reason: text(services.REASON_MAX, min_length=0) = Field(
        description="Why, as the leader will read it (required, at most 2000 characters)."
    )


class DetectionRuleIn(PatchInput):
    """What to change; what is not sent keeps the value the office works by now."""

    enabled: StrictBool | None = Field(None, description="Whether the pattern is looked for in the office's subtree.")
    threshold: Annotated[float, Strict()] | None = Field(
        None, description="Not negative; a percentage at most 100; see threshold_kind."
    )
    min_count: Annotated[int, Strict()] | None = Field(
        None, description="1 to 100000, for patterns that count occurrences."
    )


# Building the answers ---------------------------------------------------------------------------------------------


def _facts(flag: Flag) -> dict:
    facts = flag.facts if isinstance(flag.facts, dict) else {}
    return {
        key: value for key, value in facts.items() if isinstance(value, int | float) and not isinstance(value, bool)
    }


def flag_out(actor, flag: Flag, *, detail: bool = False, number: str | None = None) -> dict:
    evidence = None
    if detail:
        evidence = [
            {"type": item.type, "id": item.id, "label": item.label, "url": item.url}
            for item in selectors.evidence_of(actor=actor, flag=flag)
        ]
    return {
        "id": flag.pk,
        "pattern": flag.pattern,
        "pattern_name": wording.pattern_name(flag.pattern),
        "summary": wording.flag_sentence(flag, number if number is not None else selectors.flag_household_number(flag)),
        "unit": flag.unit.code,
        "unit_name": local_name(flag.unit),
        "office": flag.office.code,
        "office_name": local_name(flag.office),
        "leader": flag.leader.username if flag.leader_id else None,
        "about_me": flag.leader_id is not None and flag.leader_id == actor.pk,
        "occurred_on": flag.occurred_on,
        "raised_at": flag.raised_at,
        "status": flag.status,
        "facts": _facts(flag),
        "evidence": evidence,
        "explanation": flag.explanation,
        "explained_at": flag.explained_at,
        "decision_reason": flag.decision_reason,
        "decided_at": flag.decided_at,
        "may_explain": services.may_explain(actor, flag),
        "may_decide": services.may_decide(actor, flag),
    }


def _detail(actor, flag_id: int) -> dict:
    return flag_out(actor, selectors.flag_detail(actor=actor, pk=flag_id), detail=True)


def _rule_out(rule, office) -> dict:
    meaning = MEANINGS[rule.pattern]
    return {
        "pattern": rule.pattern,
        "pattern_name": wording.pattern_name(rule.pattern),
        "enabled": rule.enabled,
        "threshold": float(rule.threshold),
        "threshold_kind": meaning.threshold,
        "min_count": rule.min_count,
        "uses_min_count": meaning.uses_min_count,
        "inherited_from": rule.office.code if rule.office is not None else None,
    }


# Flags ------------------------------------------------------------------------------------------------------------


@router.get("/integrity-flags", response={200: page_of(FlagOut, "FlagPage"), **READ_ERRORS})
def list_flags(request, filters: Query[FlagFilter]):
    """The flags you may read, those still to decide first (open, then explained), newest first. Officers: their
    office's units; auditors: their area's; a leader: the flags about them; anyone else: none."""
    actor = request.user
    unit = area_in_scope(actor, filters.unit, field="unit") if filters.unit else None
    rows = selectors.flag_queue(actor=actor, status=filters.status, pattern=filters.pattern, unit=unit)
    page = paginate(rows, filters)
    numbers = selectors.household_numbers(page["items"])
    page["items"] = [flag_out(actor, flag, number=numbers[flag.pk]) for flag in page["items"]]
    return page


@router.get("/integrity-flags/history", response={200: FlagHistoryOut, **READ_ERRORS})
def flag_history(request, params: Query[FlagHistoryParams]):
    """A unit's flags per month, by status (the chart on the office's page): only the flags you may read there."""
    actor = request.user
    unit = area_in_scope(actor, params.unit, field="unit")
    if not unit.level.is_unit:
        raise DomainError("unit", "Not a unit.")
    months = selectors.flag_history(actor=actor, unit=unit)
    return {
        "unit": unit.code,
        "unit_name": local_name(unit),
        "months": [{**month, "month": month["month"].strftime("%Y-%m")} for month in months],
    }


@router.get("/integrity-flags/{flag_id}", response={200: FlagOut, **READ_ERRORS})
def get_flag(request, flag_id: int):
    """A flag: what happened, the evidence with links, the leader's answer and the office's decision."""
    return _detail(request.user, flag_id)


@router.post("/integrity-flags/{flag_id}/explanation", response={200: FlagOut, **WRITE_ERRORS})
def explain_flag(request, flag_id: int, payload: FlagExplanationIn):
    """The flagged leader answers (open → explained); they may reword the answer until the office decides."""
    actor = request.user
    flag = selectors.flag_detail(actor=actor, pk=flag_id)
    services.flag_explain(actor=actor, flag=flag, explanation=payload.explanation)
    return _detail(actor, flag_id)


@router.post("/integrity-flags/{flag_id}/decision", response={200: FlagOut, **WRITE_ERRORS})
def decide_flag(request, flag_id: int, payload: FlagDecisionIn):
    """The office governing the unit (or one above it) decides: dismissed or upheld, with a reason (a 422 naming
    `reason` without one). Never the flagged leader; a decided flag is final."""
    actor = request.user
    flag = selectors.flag_detail(actor=actor, pk=flag_id)
    services.flag_decide(actor=actor, flag=flag, status=payload.status, reason=payload.reason)
    return _detail(actor, flag_id)


# Detection rules ----------------------------------------------------------------------------------------------------


def _office_rules(actor, office) -> dict:
    return {
        "office": office.code,
        "office_name": local_name(office),
        "rules": [_rule_out(rule, office) for rule in selectors.office_rules(office=office)],
        "may_change": services.may_set_rules(actor, office),
    }


@router.get("/detection-rules", response={200: OfficeDetectionRulesOut, **READ_ERRORS}, tags=RULES)
def get_rules(request, params: Query[DetectionRulesParams]):
    """Every pattern's rule for an office: its own row, else the nearest office above's, else the deployment's.
    Officers, auditors and administrators; anyone else a 404."""
    office = selectors.office_for_rules(actor=request.user, code=params.office)
    return _office_rules(request.user, office)


@router.put("/detection-rules/{office_code}/{pattern}", response={200: DetectionRuleOut, **WRITE_ERRORS}, tags=RULES)
def put_rule(request, office_code: str, pattern: PatternCode, payload: DetectionRuleIn):
    """Set whether and how closely a pattern is looked for in an office's subtree: officers of an office above it,
    or administrators (the office's own officers get a 403). Thresholds: not negative, a percentage at most 100."""
    actor = request.user
    office = selectors.office_for_rules(actor=actor, code=office_code)
    services.detection_rule_set(
        actor=actor,
        office=office,
        pattern=pattern,
        enabled=payload.enabled,
        threshold=payload.threshold,
        min_count=payload.min_count,
    )
    return _rule_out(rule_for(office, pattern), office)
