"""The web forms. They only parse input (types, choices); every rule is checked by the service the view calls,
and a DomainError from it comes back onto the field it names (`apply_service`)."""

import re
from datetime import date

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from inminban.common.errors import DomainError

# Year, month, day, in that order, whatever separates them: 2026-12-01, 2026.12.1, 2026/12/01, 2026. 12. 1.,
# 2026년 12월 1일, or the eight digits 20261201 (a phone's number pad may have no dash).
_DATE = re.compile(r"(\d{4})\s*(?:[-./]|년)\s*(\d{1,2})\s*(?:[-./]|월)\s*(\d{1,2})\s*(?:\.|일)?")
_DIGITS = re.compile(r"(\d{4})(\d{2})(\d{2})")
DATE_HINT = _("Year-month-day, for example 2026-12-01.")


def parse_date(text: str) -> date | None:
    """A date typed year first, or None when the text is not one (a day that does not exist raises ValueError)."""
    text = text.strip()
    match = _DATE.fullmatch(text) or _DIGITS.fullmatch(text)
    if match is None:
        return None
    year, month, day = (int(part) for part in match.groups())
    return date(year, month, day)


class DateInput(forms.TextInput):
    """A text box, not the browser's date picker: that one shows the phone's own order (often month/day/year) and
    cannot be typed into on some phones. The hint under the label says the order; the keyboard is the number pad."""

    def __init__(self, attrs=None):
        attrs = {
            "inputmode": "numeric",
            "autocomplete": "off",
            "spellcheck": "false",
            "size": "10",
            # Loose on purpose (the server reads more and says in words what is wrong): four digits first, so the
            # browser stops 12/01/2026 before it is sent. No character classes: the browser compiles it with /v.
            "pattern": r"\s*\d{4}\s*(\D{1,2}\s*\d{1,2}\s*\D{1,2}\s*\d{1,2}\s*\D?|\d{4})\s*",
            "title": DATE_HINT,
            **(attrs or {}),
        }
        super().__init__(attrs=attrs)

    def format_value(self, value):
        if isinstance(value, date):
            return value.isoformat()
        return super().format_value(value)


class DateField(forms.DateField):
    """A day typed year-month-day in either language; the error says how to write it."""

    widget = DateInput
    default_error_messages = {
        "invalid": _("Write the date as year-month-day, for example 2026-12-01."),
        "no_such_day": _("There is no such day: check the month and the day."),
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, date):
            return value
        try:
            parsed = parse_date(str(value))
        except ValueError:
            raise forms.ValidationError(self.error_messages["no_such_day"], code="no_such_day") from None
        if parsed is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed


def date_field(label, help_text="", **kwargs) -> forms.DateField:
    """The date field of every form: a text box with the year-month-day hint (before any help of the field's own)."""
    hint = format_lazy("{} {}", DATE_HINT, help_text) if help_text else DATE_HINT
    return DateField(label=label, help_text=hint, **kwargs)


def text_field(label, **kwargs) -> forms.CharField:
    # Neither required nor bounded here: emptiness and length are the service's rules, so the messages match the API.
    return forms.CharField(label=label, required=False, **kwargs)


def apply_service(form: forms.Form, call, *, fields: dict[str, str] | None = None) -> bool:
    """Run `call()` (a service call). A DomainError becomes an error on the form field it names, or on the form
    when no such field is shown; the service's transaction has already rolled back. True when it succeeded."""
    try:
        call()
    except DomainError as error:
        name = (fields or {}).get(error.field, error.field)
        form.add_error(name if name in form.fields else None, error.translated())
        return False
    return True


class Form(forms.Form):
    """Rendered by our field template: label, input, help and errors tied together for screen readers."""

    template_name = "web/_form_fields.html"


class PageForm(Form):
    """A form on a page that shows several: the submit button carries the form's name, and the ids of its fields
    start with it (`id_move-on`), so that two forms with a field of the same name keep their labels, errors and help
    to their own inputs."""

    name = ""

    def __init__(self, *args, **kwargs):
        if self.name:
            kwargs.setdefault("auto_id", f"id_{self.name}-%s")
        super().__init__(*args, **kwargs)
