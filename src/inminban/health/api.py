"""/api/v1 endpoints for health checks. Thin: scoping in health.selectors, rules in health.services.

Restricted data. A check comes in one of two shapes, told apart by `shown`: "values" (temperature, fever, symptom
screen, note, a guest's name) for the health workers of its area, auditors, administrators and the person checked;
"done" (who, which household, which day, recorded by whom: no values at all, not even as nulls) for leaders and
officers. The summary counts checks, fevers, symptoms and unregistered guests for an area; for those who do not read
the values, fevers and symptoms leave out a unit's days of fewer than a few checks, and today (`counted`)."""

from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from django.utils import timezone
from django.utils.translation import gettext
from ninja import Field, Query, Router, Schema, Status
from pydantic import Strict

from inminban.api.pagination import PageParams, page_of, paginate
from inminban.api.schemas import READ_ERRORS, WRITE_ERRORS, AreaCode, Id, Input, IsoDate, StrictBool, errors, text
from inminban.areas.access import AUDIT, HEALTH, VIEW, require_any, scope_for, subtree_q
from inminban.areas.models import Area
from inminban.audit.references import local_name
from inminban.common.errors import DomainError, NotPermitted

from . import selectors, services
from .models import HealthCheck

router = Router(tags=["health-checks"])

Subject = Literal[tuple(HealthCheck.Subject.values)]
SUMMARY_DAYS = 7  # the summary's default period: the last week, today included
SUMMARY_MAX_DAYS = 366


# Output -----------------------------------------------------------------------------------------------------------


class HealthCheckDoneOut(Schema):
    """That a check was done: for leaders and officers. No temperature, symptom screen, note or guest's name."""

    shown: Literal["done"] = Field(description="done: only that the check was done (no values).")
    id: int
    checked_on: date
    subject: Subject = Field(description="resident, registered_guest or unregistered_guest (no registered stay).")
    unit: str = Field(description="Code of the unit.")
    unit_name: str
    household: int
    household_number: str
    person: int | None = Field(description="A member of the household: the person; null for a guest.")
    person_name: str | None
    recorded_by: str = Field(description="The health worker's account.")
    recorded_at: datetime


class HealthCheckOut(HealthCheckDoneOut):
    """A check with its values: for the health workers of its area, auditors and the person checked."""

    shown: Literal["values"] = Field(description="values: the check with its values.")
    stay: int | None = Field(description="A registered guest: the stay; null otherwise.")
    guest_name: str = Field(description="A guest's name (empty for a member, and once erased by the stays purge).")
    temperature_c: float = Field(description="Body temperature in °C, one decimal.")
    fever: bool = Field(description="Whether the temperature counts as a fever.")
    symptoms: bool = Field(description="Any symptom on the screening list.")
    note: str


class HealthCheckRecordedOut(HealthCheckOut):
    unregistered_guest: bool = Field(
        description="True when the guest has no stay registered with the household for that night: recorded as such."
    )
    notice: str = Field(description="What was recorded, in words.")


AnyHealthCheck = Annotated[HealthCheckOut | HealthCheckDoneOut, Field(discriminator="shown")]


class HealthCountsOut(Schema):
    checks: int
    fever: int | None = Field(description="Checks with a fever; null when withheld.")
    symptoms: int | None = Field(description="Checks with symptoms; null when withheld.")
    unregistered_guests: int = Field(description="Checks of guests with no registered stay.")
    counted: int = Field(
        description="The checks that `fever` and `symptoms` count. For leaders and officers, a unit's day of fewer "
        "than 5 checks, or today, is left out: its count would tell someone's reading. Health workers and auditors: "
        "all checks."
    )
    withheld: bool = Field(description="No check counted: `fever` and `symptoms` are null.")


class HealthUnitCountsOut(HealthCountsOut):
    unit: str = Field(description="Code of the unit.")
    unit_name: str


class HealthSummaryOut(HealthCountsOut):
    area: str
    area_name: str
    since: date
    until: date
    units: list[HealthUnitCountsOut]


# Input ------------------------------------------------------------------------------------------------------------

Temperature = Annotated[
    float,
    Strict(),
    Field(ge=34.0, le=43.0, allow_inf_nan=False, description="Body temperature in °C (34.0 to 43.0), one decimal."),
]


class HealthCheckIn(Input):
    household: Id = Field(description="The household where the person checked sleeps.")
    checked_on: IsoDate = Field(
        description=f"YYYY-MM-DD: today or up to {services.BACKDATE_DAYS} days before, never ahead."
    )
    temperature_c: Temperature
    symptoms: StrictBool = Field(description="Any symptom on the screening list: true or false.")
    note: text(services.NOTE_MAX, min_length=0) = ""
    person: Id | None = Field(None, description="Give one of person, stay, guest_name: a member of the household.")
    stay: Id | None = Field(None, description="A guest with a stay registered with the household for that night.")
    guest_name: text(services.GUEST_NAME_MAX, min_length=0) = Field(
        "", description="A guest with no registered stay there: their name. Recorded as such, not refused."
    )


class CheckFilters(PageParams):
    unit: AreaCode = Field(None, description="Code of an area: keeps its whole subtree.")
    household: int | None = Field(None, ge=1, le=2**63 - 1, description="Keeps one household's checks.")
    since: IsoDate = Field(None, description="YYYY-MM-DD: checks on or after.")
    until: IsoDate = Field(None, description="YYYY-MM-DD: checks on or before.")


class SummaryFilters(Schema):
    area: AreaCode = Field(description="Code of the area to count (a unit, a district, the city).")
    since: IsoDate = Field(None, description=f"YYYY-MM-DD; default {SUMMARY_DAYS - 1} days before `until`.")
    until: IsoDate = Field(None, description="YYYY-MM-DD; default today.")


# Building the answers ---------------------------------------------------------------------------------------------


def _person_name(check: HealthCheck) -> str | None:
    return check.person.full_name if check.person_id else None


def check_out(check: HealthCheck, *, values: bool) -> dict:
    """A check as one of the two shapes; without `values`, the values are not in the answer at all."""
    out = {
        "shown": "done",
        "id": check.pk,
        "checked_on": check.checked_on,
        "subject": check.subject,
        "unit": check.unit.code,
        "unit_name": local_name(check.unit),
        "household": check.household_id,
        "household_number": check.household.number,
        "person": check.person_id,
        "person_name": _person_name(check),
        "recorded_by": check.recorded_by.username,
        "recorded_at": check.recorded_at,
    }
    if not values:
        return out
    guest = check.guest_name or (check.stay.guest_name if check.stay_id else "")
    return out | {
        "shown": "values",
        "stay": check.stay_id,
        "guest_name": guest,
        "temperature_c": float(check.temperature_c),
        "fever": check.fever,
        "symptoms": check.symptoms,
        "note": check.note,
    }


def notice_of(check: HealthCheck) -> str:
    if check.subject == HealthCheck.Subject.UNREGISTERED_GUEST:
        return gettext("Recorded as a guest with no registered stay in this household for that night.")
    if check.subject == HealthCheck.Subject.REGISTERED_GUEST:
        return gettext("Recorded for a guest with a registered stay.")
    return gettext("Recorded for a member of the household.")


def area_for_health(actor, code: str, *, field: str) -> Area:
    """An area the actor sees, records checks in or audits; otherwise a 422 naming `field`."""
    area = Area.objects.select_related("level").filter(code=code).first()
    scope = scope_for(actor)
    if area is None or not any(scope.allows_area(action, area) for action in (VIEW, HEALTH, AUDIT)):
        raise DomainError(field, f"No area {code!r} that you can see.")
    return area


def _may_read_some(actor, *, own: bool = True) -> None:
    """Residents read their own checks (`own`); everyone else needs a role over an area (not a clerk's)."""
    scope = scope_for(actor)
    if not (scope.is_admin or (own and scope.person_ids) or any(scope.prefixes(a) for a in (VIEW, HEALTH, AUDIT))):
        raise NotPermitted("no health checks to read")


def _resolved(queryset, pk: int | None, field: str, noun: str):
    if pk is None:
        return None
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise DomainError(field, f"No {noun} {pk} where you record checks.")
    return found


# Endpoints --------------------------------------------------------------------------------------------------------


@router.post("/health-checks", response={201: HealthCheckRecordedOut, **WRITE_ERRORS}, summary="Record a check")
def record_check(request, payload: HealthCheckIn):
    """A health worker of the household's area records a check of one member of the household (`person`), a guest
    with a stay registered there for that night (`stay`) or a guest with no registered stay (`guest_name`): the
    latter is recorded as such (`unregistered_guest`), not refused. Anyone without the health worker's role: 403."""
    actor = request.user
    require_any(actor, HEALTH)
    household = _resolved(selectors.health_households(actor=actor), payload.household, "household", "household")
    check = services.healthcheck_record(
        actor=actor,
        household=household,
        checked_on=payload.checked_on,
        temperature_c=payload.temperature_c,
        symptoms=payload.symptoms,
        note=payload.note,
        person=_resolved(selectors.health_persons(actor=actor), payload.person, "person", "person"),
        stay=_resolved(selectors.health_stays(actor=actor), payload.stay, "stay", "stay"),
        guest_name=payload.guest_name,
    )
    check = selectors.health_check_detail(actor=actor, pk=check.pk)
    out = check_out(check, values=True) | {
        "unregistered_guest": check.subject == HealthCheck.Subject.UNREGISTERED_GUEST,
        "notice": notice_of(check),
    }
    return Status(201, out)


@router.get(
    "/health-checks",
    response={200: page_of(AnyHealthCheck, "HealthCheckPage"), **READ_ERRORS, **errors(403)},
    summary="List checks",
)
def list_checks(request, filters: Query[CheckFilters]):
    """Checks you may know of, newest first: with values (`shown: values`) where you read them, else only that they
    were done (`shown: done`: leaders and officers). A resident gets their own checks; a clerk a 403."""
    actor = request.user
    _may_read_some(actor)
    rows = selectors.health_checks_visible(actor=actor)
    if filters.unit:
        area = area_for_health(actor, filters.unit, field="unit")
        rows = rows.filter(subtree_q("unit__path", area.path))
    if filters.household is not None:
        rows = rows.filter(household_id=filters.household)
    if filters.since is not None:
        rows = rows.filter(checked_on__gte=filters.since)
    if filters.until is not None:
        rows = rows.filter(checked_on__lte=filters.until)
    page = paginate(rows, filters)
    selectors.values_read(actor=actor, checks=page["items"])
    page["items"] = [check_out(check, values=check.shows_values) for check in page["items"]]
    return page


@router.get(
    "/health-checks/summary",
    response={200: HealthSummaryOut, **READ_ERRORS, **errors(403)},
    summary="Counts for an area",
)
def summary(request, filters: Query[SummaryFilters]):
    """How many checks in an area over a period (default the last week), how many with a fever, with symptoms, of
    guests with no registered stay; in all and per unit. For leaders and officers, fever and symptoms count only a
    unit's days of at least 5 checks that are over (`counted` says how many checks that is; null and `withheld` when
    none): a count of one, or one that grows as a check comes in, would tell whose temperature it was. Residents and
    clerks: 403."""
    actor = request.user
    _may_read_some(actor, own=False)  # counts are of areas: a resident reads their own checks, not counts
    area = area_for_health(actor, filters.area, field="area")
    until = filters.until or timezone.localdate()
    since = filters.since or until - timedelta(days=SUMMARY_DAYS - 1)
    if since > until:
        raise DomainError("until", "The end of the period is before its start.")
    if (until - since).days >= SUMMARY_MAX_DAYS:
        raise DomainError("since", f"At most {SUMMARY_MAX_DAYS} days at a time.")
    counts = selectors.health_area_counts(actor=actor, area=area, since=since, until=until)
    return {
        "area": area.code,
        "area_name": local_name(area),
        "since": since,
        "until": until,
        **counts.as_dict(),
        "units": [
            {"unit": unit.area.code, "unit_name": local_name(unit.area), **unit.as_dict()} for unit in counts.units
        ],
    }


@router.get("/health-checks/{check_id}", response={200: AnyHealthCheck, **READ_ERRORS}, summary="One check")
def get_check(request, check_id: int):
    """One check: with values for the health workers of its area, auditors and the person checked; only that it was
    done for leaders and officers; a 404 for anyone else (a health worker of another area included)."""
    check = selectors.health_check_detail(actor=request.user, pk=check_id)
    selectors.values_read(actor=request.user, checks=[check])
    return check_out(check, values=check.shows_values)
