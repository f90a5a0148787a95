"""The web forms. They only parse input (types, choices); every rule is checked by the service the view calls,
and a DomainError from it comes back onto the field it names (`apply_service`)."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from inminban.common.errors import DomainError
from inminban.registry.models import DeclaredIncome, Membership, Person


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


class UnitDateForm(Form):
    on = date_field(_("As it was on"), required=False)


class HouseholdHeadForm(PageForm):
    name = "head"
    head = forms.TypedChoiceField(label=_("Head of household"), coerce=int)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["head"].choices = [(m.person_id, m.person.full_name) for m in members]


class HouseholdMoveForm(PageForm):
    name = "move"
    dwelling = forms.TypedChoiceField(label=_("Dwelling in this unit"), coerce=int, required=False, empty_value=None)
    other_dwelling = forms.IntegerField(
        label=_("Or dwelling number (ID) elsewhere"),
        required=False,
        min_value=1,
        help_text=_("From the dwelling list."),
    )
    on = date_field(_("Moved on"))
    note = text_field(_("Note"))

    def __init__(self, *args, dwellings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dwelling"].choices = [("", "—")] + [(d.pk, str(d)) for d in dwellings]

    def clean(self):
        data = super().clean()
        if not data.get("dwelling") and not data.get("other_dwelling"):
            self.add_error("dwelling", _("Choose a dwelling."))
        elif data.get("dwelling") and data.get("other_dwelling"):
            self.add_error("other_dwelling", _("Choose one dwelling, not two."))
        return data


class PersonForm(PageForm):
    name = "person"
    family_name = text_field(_("Family name"))
    given_name = text_field(_("Given name"))
    birth_date = date_field(_("Birth date"))
    sex = forms.ChoiceField(label=_("Sex"), choices=Person.Sex.choices)
    national_id = text_field(_("National ID"))


class OccupationSetForm(PageForm):
    name = "job"
    workplace = text_field(_("Workplace"))
    job_title = text_field(_("Job title"))
    since = date_field(_("Since"))


class OccupationUpdateForm(PageForm):
    name = "job_correct"
    workplace = text_field(_("Workplace"))
    job_title = text_field(_("Job title"))
    since = date_field(_("Since"), required=False, help_text=_("Leave as it is unless the start was recorded wrongly."))

    def clean(self):
        data = super().clean()
        if data.get("since") is None:
            data.pop("since", None)  # not sent, or left empty: the start stays as it is
        return data


class IncomeUpdateForm(PageForm):
    name = "income_correct"
    since = date_field(_("Since"))


class MembershipDatesForm(PageForm):
    name = "membership_dates"
    membership = forms.TypedChoiceField(label=_("Membership"), coerce=int)
    since = date_field(_("Since"))
    until = date_field(_("Until (exclusive)"), required=False, help_text=_("Leave empty to keep the end as it is."))

    def __init__(self, *args, memberships=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["membership"].choices = [
            (m.pk, f"{m.household.number} · {m.get_relation_display()} · {m.since:%Y-%m-%d}") for m in memberships
        ]


class MoveDateForm(PageForm):
    name = "move_date"
    move = forms.TypedChoiceField(label=_("Move"), coerce=int)
    on = date_field(_("Moved on"))

    def __init__(self, *args, moves=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["move"].choices = [(m.pk, f"{m.on:%Y-%m-%d} · {m.get_kind_display()}") for m in moves]


class IncomeForm(PageForm):
    name = "income"
    amount = forms.DecimalField(label=_("Amount"), max_digits=20, decimal_places=2)
    currency = text_field(_("Currency"), initial="KPW")
    period = forms.ChoiceField(label=_("Period"), choices=DeclaredIncome.Period.choices)
    since = date_field(_("Since"))


class PersonMoveForm(PageForm):
    name = "person_move"
    household_number = text_field(_("To household (registration number)"))
    relation = forms.ChoiceField(label=_("Relation to the head there"), choices=Membership.Relation.choices)
    on = date_field(_("Moved on"))
    note = text_field(_("Note"))

    def clean_household_number(self):
        number = self.cleaned_data["household_number"].strip()
        if not number:
            raise forms.ValidationError(gettext("This field is required."))
        return number


class PersonLeaveForm(PageForm):
    name = "leave"
    status = forms.ChoiceField(
        label=_("Reason"),
        choices=[
            (Person.Status.MOVED_AWAY, Person.Status.MOVED_AWAY.label),
            (Person.Status.DECEASED, Person.Status.DECEASED.label),
        ],
    )
    on = date_field(_("On"))


class AuditFilterForm(Form):
    action = forms.CharField(label=_("Action"), required=False, max_length=64)
    actor = forms.CharField(label=_("Actor (user name)"), required=False, max_length=150)
    target_type = forms.CharField(label=_("Target type"), required=False, max_length=64)
    target_id = forms.CharField(label=_("Target ID"), required=False, max_length=64)
    since = date_field(_("From"), required=False)
    until = date_field(_("Until"), required=False)
    area = forms.CharField(label=_("Area code"), required=False, max_length=64)

    def _reasonable(self, name):
        value = self.cleaned_data.get(name)
        # Day boundaries are converted to UTC: years at the ends of the calendar would overflow.
        if value is not None and not 1900 <= value.year <= 9998:
            raise forms.ValidationError(_("Give a year between 1900 and 9998."))
        return value

    def clean_since(self):
        return self._reasonable("since")

    def clean_until(self):
        return self._reasonable("until")
