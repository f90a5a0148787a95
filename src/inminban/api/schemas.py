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
not `YYYY-MM-DD`, breaches of registry rules). A 500 is a bug.

**Lists** answer `{"items": [...], "count": N}` and take `limit` (default 50, at most 500) and `offset`.
`area=<code>` keeps that area's whole subtree; `on=YYYY-MM-DD` shows the registry as it was that day.

**Retries.** Send an `Idempotency-Key` header (at most 128 characters) with a write: a retry with the same key and
the same request gets the first answer again, with `Idempotent-Replayed: true`, and records nothing new. The same
key with a different request is a 422. Keys are per user.
"""

# Errors -----------------------------------------------------------------------------------------------------------


class ErrorOut(Schema):
    error: str = Field(description="A short code: unauthenticated, forbidden, not_found, invalid, …")
    detail: str
    fields: dict[str, list[str]] = Field(description="Messages by field name; empty when no field is to blame.")


READ_ERRORS = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 413: ErrorOut, 422: ErrorOut}


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


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Id = Annotated[int, Strict(), Field(ge=1, le=2**63 - 1)]


def text(max_length: int, *, min_length: int = 1):
    """A string of printable text, `min_length` to `max_length` characters."""
    return Annotated[
        str, Strict(), StringConstraints(min_length=min_length, max_length=max_length), AfterValidator(_plain_text)
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
