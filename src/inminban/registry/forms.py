"""The registry's page forms. They only parse input (types, choices); every rule is checked by the service the view
calls (`apply_service` puts a DomainError back onto its field)."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from inminban.registry.models import DeclaredIncome, Membership, Person
from inminban.web.forms import Form, PageForm, date_field, text_field


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
