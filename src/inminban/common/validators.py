"""Rules that several apps share, one validator each. A validator raises DomainError naming the field, with the same
message wherever the rule applies: services call it, and the API's schema types reuse it (api/schemas.py)."""

import unicodedata
from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_noop

from .errors import DomainError

EARLIEST_DATE = date(1900, 1, 1)

DATE_REQUIRED = "A date is required (YYYY-MM-DD)."
DATE_BEFORE_1900 = "The date is before 1900."
DATE_IN_THE_FUTURE = "The date is in the future."
DATE_BEYOND_HORIZON = "The date is more than %(days)d days ahead; the latest date accepted today is %(latest)s."
END_NOT_AFTER_START = "The end date must be after the start date."


def horizon_days() -> int:
    return max(0, settings.DATE_HORIZON_DAYS)


def latest_effective_date() -> date:
    """The latest effective date accepted today: INMINBAN_DATE_HORIZON_DAYS (default 365) after today."""
    try:
        return timezone.localdate() + timedelta(days=horizon_days())
    except OverflowError:
        return date.max


def _calendar_date(field: str, value) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise DomainError(field, DATE_REQUIRED)
    if value < EARLIEST_DATE:
        raise DomainError(field, DATE_BEFORE_1900)
    return value


def effective_date(field: str, value, *, required: bool = True) -> date | None:
    """A date from or until which a record holds (since, until, on, starts_on …): 1900 at the earliest, and at most
    the horizon ahead. A record dated far ahead would lock its history: every later record and every correction
    must come after it. `None` passes when the date is optional."""
    if value is None and not required:
        return None
    value = _calendar_date(field, value)
    latest = latest_effective_date()
    if value > latest:
        raise DomainError(field, DATE_BEYOND_HORIZON, params={"days": horizon_days(), "latest": latest.isoformat()})
    return value


def past_date(field: str, value) -> date:
    """A date on which something already happened (a birth, a registration, a death): 1900 to today."""
    value = _calendar_date(field, value)
    if value > timezone.localdate():
        raise DomainError(field, DATE_IN_THE_FUTURE)
    return value


def effective_period(since, until, *, since_field: str = "since", until_field: str = "until") -> None:
    """A period [since, until): both effective dates, `until` optional (open) and after `since`."""
    effective_date(since_field, since)
    effective_date(until_field, until, required=False)
    if until is not None and until <= since:
        raise DomainError(until_field, END_NOT_AFTER_START)


def _invisible(char: str) -> bool:
    # Format characters (Unicode Cf): zero-width spaces and joiners, direction overrides, the byte order mark. Text
    # with them reads like other text but compares otherwise: the same name, written twice, would be two guests.
    return unicodedata.category(char) == "Cf"


def name_key(value: str) -> str:
    """A name as the rules compare it: the same letters, whatever the spaces ("오 광혁" is "오광혁")."""
    return "".join(unicodedata.normalize("NFC", value).split())


def text_value(field: str, value, *, max_length: int, required: bool = True) -> str:
    """A text input, stripped and in composed form (NFC): text (not a number or a list), present if required, not too
    long, no NUL and no invisible format character."""
    if value is not None and not isinstance(value, str):
        raise DomainError(field, gettext_noop("Text is required here."))
    value = unicodedata.normalize("NFC", (value or "").strip())
    if required and not value:
        raise DomainError(field, gettext_noop("This field is required."))
    if len(value) > max_length:
        raise DomainError(field, gettext_noop("At most %(count)s characters."), params={"count": max_length})
    if "\x00" in value or any(_invisible(char) for char in value):
        raise DomainError(field, gettext_noop("Control characters are not allowed."))
    return value
