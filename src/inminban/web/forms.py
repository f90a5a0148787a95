"""The web forms. They only parse input (types, choices); every rule is checked by the service the view calls,
and a DomainError from it comes back onto the field it names (`apply_service`)."""

from django import forms

from inminban.common.errors import DomainError


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def date_field(label, **kwargs) -> forms.DateField:
    return forms.DateField(label=label, widget=DateInput(), input_formats=["%Y-%m-%d"], **kwargs)


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
    """A form on a page that shows several: the submit button carries the form's name."""

    name = ""
