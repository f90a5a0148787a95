"""Pieces every API router shares: strict input types, the error schema, and resolving what a body refers to.

Input is strict on purpose: a date is a "YYYY-MM-DD" string (not a number, not a datetime), an id is a JSON integer
(not "12"), and unknown fields are refused, so a client's mistake is named instead of guessed at."""

import re
from datetime import date, datetime
from typing import Annotated

from django.db.models import Model, QuerySet
from ninja import Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, Strict, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from inminban.areas.access import get_visible
from inminban.areas.models import Area
from inminban.areas.selectors import areas_visible
from inminban.common.errors import DomainError, NotVisible
from inminban.common.validators import effective_date, past_date

API_DESCRIPTION = """\
The registry of neighborhood units: the area tree, dwellings, households, persons, memberships and moves.

**Authentication.** `Authorization: Bearer inb_…` with a token made by `inminban token create USER`, or the web
UI's session cookie (writes then need the CSRF token). Without either, every endpoint answers 401.

**Scope.** Everyone sees only what their role reaches: a unit leader their unit, an officer their office's
district, an auditor their area read-only, a resident their own household. An object in a path that is missing
*or* out of your scope is a **404** (the two look the same). A write you may not make where the object is
(an auditor, a resident, a leader changing the area tree) is a **403**.

**References in a request body** (a unit or parent area code, a dwelling, household or person id) are looked up
in your scope too: one that does not exist or that you cannot see is a **422** naming the field, e.g.
`{"fields": {"unit": ["No area 'XX' that you can see."]}}`. The `area` filter of the lists works the same way.

**Errors** are always `{"error": code, "detail": text, "fields": {field: [messages]}}`: 400 for a body that is
not JSON, 413 for a body over the size limit, 422 for invalid input (unknown fields, wrong types, dates that are
not `YYYY-MM-DD`, breaches of registry rules), 503 with `Retry-After` while SQLite is busy with a long write.
Each operation lists the statuses it can answer. A 500 is a bug.

**Booleans** are JSON `true` or `false` in a body, and `true` or `false` in a query string; nothing else (`1`,
`"yes"`, `"on"`) is taken for one.

**Lists** answer `{"items": [...], "count": N}` and take `limit` (default 50, at most 500) and `offset`.
`area=<code>` keeps that area's whole subtree; `on=YYYY-MM-DD` shows the registry as it was that day.

**Retries.** Send an `Idempotency-Key` header (at most 128 characters) with a write: a retry with the same key and
the same request gets the first answer again, with `Idempotent-Replayed: true`, and records nothing new. The same
key with a different request is a 422; while the first request is still running, a retry waits for its answer,
or after a while gets a 409 with `Retry-After`. Keys are per user.
"""

# Errors -----------------------------------------------------------------------------------------------------------


class ErrorOut(Schema):
    error: str = Field(description="A short code: unauthenticated, forbidden, not_found, invalid, …")
    detail: str
    fields: dict[str, list[str]] = Field(description="Messages by field name; empty when no field is to blame.")


def errors(*statuses: int) -> dict[int, type[Schema]]:
    """An operation's documented error answers: each status with the one error schema."""
    return {status: ErrorOut for status in statuses}


# Every operation reads the database, and on SQLite one held by a long write answers 503 (with Retry-After).
READ_ERRORS = errors(401, 404, 422, 503)
# A write may also meet a body that is not JSON or a malformed Idempotency-Key (400), a refusal where the object is
# (403), the same key's first request still running (409), a body over the size limit (413).
WRITE_ERRORS = errors(400, 401, 403, 404, 409, 413, 422, 503)

_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 0},
        "required": True,
    }
}
# What each error answer means, whichever operation gives it; 409 and 503 carry Retry-After.
ERROR_RESPONSES = {
    "400": ("The body is not JSON, or the Idempotency-Key header is not 1 to 128 printable ASCII characters.", {}),
    "401": ("No valid bearer token or session.", {}),
    "403": ("You can see the object, or the area, but may not do this there.", {}),
    "404": ("Missing, or outside your scope: the two look the same.", {}),
    "409": ("The first request with this Idempotency-Key is still running; retry for its answer.", _RETRY_AFTER),
    "413": ("The body is over the size limit (INMINBAN_MAX_BODY_BYTES).", {}),
    "422": ("Invalid input, named in `fields`; or an Idempotency-Key reused with a different request.", {}),
    "503": ("SQLite: the database is busy with a long write (a bulk generate, a cycle).", _RETRY_AFTER),
}


def document_error_responses(document: dict) -> dict:
    """Says in the OpenAPI document what each error answer means, and that 409 and 503 carry Retry-After."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                if str(status) in ERROR_RESPONSES:  # ninja's keys are ints until the document is serialised
                    description, headers = ERROR_RESPONSES[str(status)]
                    response["description"] = description
                    if headers:
                        response["headers"] = headers
    return document


# Strict input types -----------------------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Control characters have no place in a name or an address; NUL would also be refused by PostgreSQL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _iso_date(value):
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise PydanticCustomError("date_format", "A date is written YYYY-MM-DD.")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("date_invalid", "There is no such date.") from None


def _plain_text(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError("text_encoding", "The text is not valid Unicode.") from None
    if _CONTROL.search(value):
        raise PydanticCustomError("text_control", "Control characters are not allowed.")
    return value


def _validated(validator):
    def check(value: date) -> date:
        try:
            return validator("date", value)
        except DomainError as error:
            raise PydanticCustomError("date_range", error.message) from None

    return check


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
# The date from or until which a record holds: the one rule of common/validators.py, checked here too so that the
# schema documents it; the services check it again for the pages and the command line.
EffectiveDate = Annotated[
    date,
    BeforeValidator(_iso_date),
    AfterValidator(_validated(effective_date)),
    Field(description="YYYY-MM-DD, from 1900-01-01 to INMINBAN_DATE_HORIZON_DAYS (default 365) days from today."),
]
# A day something already happened on (a birth, a registration, a death): 1900 to today.
PastDate = Annotated[
    date,
    BeforeValidator(_iso_date),
    AfterValidator(_validated(past_date)),
    Field(description="YYYY-MM-DD, from 1900-01-01 to today."),
]
Id = Annotated[int, Strict(), Field(ge=1, le=2**63 - 1)]


def _json_bool(value):
    if isinstance(value, bool):
        return value
    raise PydanticCustomError("bool_type", "Send true or false.")


def _query_bool(value):
    if isinstance(value, bool):  # the field's default
        return value
    if value in ("true", "false"):
        return value == "true"
    raise PydanticCustomError("bool_type", "Write true or false.")


# One rule for every boolean the API takes: JSON true or false in a body (not 1, "true", "yes"), and in a query
# string, where everything is text, the words true or false (not 1, yes, on, True). Pydantic alone takes all of those.
StrictBool = Annotated[bool, BeforeValidator(_json_bool)]
QueryBool = Annotated[bool, BeforeValidator(_query_bool)]


# _plain_text's rule, written into the document so that clients (and schemathesis) know it; the check itself stays
# _plain_text, with its own message.
_PLAIN_TEXT_PATTERN = f"^[^{_CONTROL.pattern[1:-1]}]*$"


def text(max_length: int, *, min_length: int = 1):
    """A string of printable text, `min_length` to `max_length` characters."""
    return Annotated[
        str,
        Strict(),
        StringConstraints(min_length=min_length, max_length=max_length),
        AfterValidator(_plain_text),
        Field(json_schema_extra={"pattern": _PLAIN_TEXT_PATTERN}),
    ]


AreaCode = text(64)


class Input(Schema):
    """A request body: unknown fields are an error, not ignored."""

    model_config = ConfigDict(extra="forbid")


class PatchInput(Input):
    """A partial update: only the fields sent are changed, and at least one must be sent."""

    @model_validator(mode="after")
    def _something_to_change(self):
        if not self.model_fields_set:
            raise PydanticCustomError("empty_patch", "Send at least one field to change.")
        return self

    def changes(self) -> dict:
        return self.model_dump(exclude_unset=True)


# Resolving references ---------------------------------------------------------------------------------------------


def area_in_scope(actor, code: str, *, field: str) -> Area:
    """The area with this code if the actor can see it; otherwise a 422 naming `field`."""
    area = areas_visible(actor=actor).filter(code=code).first()
    if area is None:
        raise DomainError(field, f"No area {code!r} that you can see.")
    return area


def object_in_scope(actor, queryset: QuerySet, pk: int, *, field: str) -> Model:
    """The object `pk` of a selector's queryset; one that is missing or out of scope is a 422 naming `field`."""
    try:
        return get_visible(actor, queryset, pk)
    except NotVisible:
        noun = queryset.model._meta.verbose_name
        raise DomainError(field, f"No {noun} {pk} that you can see.") from None
