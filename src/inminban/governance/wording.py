"""The words governance shows people: notification texts by kind, filled from the notification's params in the
reader's language. A text names things in words, never by code or id."""

import re
from datetime import date, datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")

NOTIFICATION_TEXTS = {
    # params: unit (name), nominee (name), closes (date)
    "vote_opened": _("A vote on %(nominee)s as leader of %(unit)s is open until %(closes)s."),
    # params: unit, leader (name), closes
    "recall_opened": _("A vote on recalling %(leader)s, leader of %(unit)s, is open until %(closes)s."),
    # params: unit, outcome (a translated word is not storable: "passed" or "failed"), turnout (percent)
    "vote_result": _("The result of the vote in %(unit)s is published."),
    # params: unit, reason
    "vote_withdrawn": _("The office withdrew the vote in %(unit)s: %(reason)s"),
    # params: title
    "petition_response": _("The office answered the petition “%(title)s”."),
    # params: title, office
    "petition_escalated": _("The petition “%(title)s” went to %(office)s."),
    # params: title (the obligation; or title_ko and title_en, picked in the reader's language), reason
    "obligation_suspended": _("“%(title)s” is suspended: %(reason)s"),
    "obligation_cancelled": _("“%(title)s” is cancelled: %(reason)s"),
    "obligation_resumed": _("“%(title)s” is in force again."),
    # params: count
    "petition_digest": _("Petitions near their deadline: %(count)s."),
}


class _Params(dict):
    """A missing parameter reads as empty rather than breaking the whole list of notifications."""

    def __missing__(self, key):
        return ""


def _param_value(value):
    """A day or a moment stored as ISO text, written as the reader's language writes it; anything else as it is."""
    if not isinstance(value, str) or not _ISO_DAY.match(value):
        return value
    try:
        if len(value) == 10:
            return date_format(date.fromisoformat(value), "DATE_FORMAT")
        moment = datetime.fromisoformat(value)
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return date_format(moment, "DATETIME_FORMAT")
    except ValueError:
        return value


def notification_text(kind: str, params: dict | None) -> str:
    """A notification's sentence in the active language. A parameter given as `name_ko` and `name_en` (a title, a
    unit's name) is read in the reader's language as `name`; a day (YYYY-MM-DD) is written as the language writes
    dates."""
    template = NOTIFICATION_TEXTS.get(kind)
    if template is None:
        return ""
    korean = (get_language() or "en").startswith("ko")
    values = _Params()
    for key, value in (params or {}).items():
        values[key] = _param_value(value)
    for key in [key[:-3] for key in values if key.endswith(("_ko", "_en"))]:
        first, second = (f"{key}_ko", f"{key}_en") if korean else (f"{key}_en", f"{key}_ko")
        values.setdefault(key, values.get(first) or values.get(second) or "")
    return str(template) % values
