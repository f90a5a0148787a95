"""The registry's page forms. They only parse input (types, choices); every rule is checked by the service the view
calls (`apply_service` puts a DomainError back onto its field)."""

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from inminban.registry.models import DeclaredIncome, Dwelling, Membership, Person
from inminban.web.forms import Form, PageForm, date_field, text_field

RELATION_CHOICES_BUT_HEAD = [(value, label) for value, label in Membership.Relation.choices if value != "head"]


def reason_field():
    """A correction says why: required, kept in the audit entry (the service checks it is not empty)."""
    return text_field(
        _("Reason for the correction"),
        help_text=_("Kept in the record's history, for example: misspelt when registered."),
    )


class UnitDateForm(Form):
    on = date_field(_("As it was on"), required=False)


class HouseholdHeadForm(PageForm):
    """The new head, from when, and each other member's relation to the new head (empty: the default rule)."""

    name = "head"
    head = forms.TypedChoiceField(label=_("New head of household"), coerce=int)
    on = date_field(_("Head from"), required=False, help_text=_("Leave empty for today."))

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.members = list(members)
        self.fields["head"].choices = [(m.person_id, m.person.full_name) for m in self.members]
        for membership in self.members:
            self.fields[f"relation_{membership.person_id}"] = forms.ChoiceField(
                label=gettext("Relation of %(name)s to the new head") % {"name": membership.person.full_name},
                choices=[("", gettext("Work it out from the current relations"))] + RELATION_CHOICES_BUT_HEAD,
                required=False,
                help_text=gettext("Now: %(relation)s") % {"relation": membership.get_relation_display()},
            )

    def relations(self) -> dict[int, str]:
        """The relations the leader chose, for every member but the new head."""
        head = self.cleaned_data["head"]
        chosen = {m.person_id: self.cleaned_data.get(f"relation_{m.person_id}") for m in self.members}
        return {person_id: relation for person_id, relation in chosen.items() if relation and person_id != head}


class DwellingForm(Form):
    address = text_field(_("Address"), help_text=_("Street and number, for example: 혜산시 송후동 12."))
    building = text_field(_("Building (optional)"))
    apartment = text_field(_("Apartment number (optional)"))
    kind = forms.ChoiceField(label=_("Kind of dwelling"), choices=Dwelling.Kind.choices)
    floor_area_m2 = forms.IntegerField(
        label=_("Floor area in square metres (optional)"), required=False, min_value=0, max_value=32767
    )


class HouseholdNewForm(Form):
    """A household with its head: a person already in the unit, or a new person (the fields below the choice)."""

    number = text_field(_("Household registration number"), help_text=_("As on the household register."))
    dwelling = forms.TypedChoiceField(label=_("Dwelling"), coerce=int, required=False, empty_value=None)
    registered_on = date_field(_("Registered on"), help_text=_("The day the household was formed or arrived."))
    head = forms.TypedChoiceField(label=_("Head of household"), coerce=int, required=False, empty_value=None)
    head_family_name = text_field(_("Family name of the new head"))
    head_given_name = text_field(_("Given name of the new head"))
    head_birth_date = date_field(_("Birth date of the new head"), required=False)
    head_sex = forms.ChoiceField(
        label=_("Sex of the new head"), choices=[("", "—")] + Person.Sex.choices, required=False
    )
    head_national_id = text_field(_("National ID of the new head (optional)"))

    NEW_HEAD_FIELDS = ("head_family_name", "head_given_name", "head_birth_date", "head_sex", "head_national_id")

    def __init__(self, *args, dwellings=(), residents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dwelling"].choices = [("", gettext("No dwelling yet"))] + [(d.pk, str(d)) for d in dwellings]
        self.fields["head"].choices = [("", gettext("Someone new to the registry (enter below)"))] + [
            (p.pk, gettext("%(name)s, household %(number)s") % {"name": p.full_name, "number": p.household.number})
            for p in residents
        ]
        self.fields["head"].help_text = gettext("A person already living in this unit, or someone new.")

    def clean(self):
        data = super().clean()
        new_given = any(data.get(name) for name in self.NEW_HEAD_FIELDS)
        if data.get("head") and new_given:
            self.add_error("head", gettext("Choose a person already registered or enter a new one, not both."))
        return data

    def new_head(self) -> dict | None:
        if self.cleaned_data.get("head"):
            return None
        data = self.cleaned_data
        return {
            "family_name": data["head_family_name"],
            "given_name": data["head_given_name"],
            "birth_date": data["head_birth_date"],
            "sex": data["head_sex"],
            "national_id": data["head_national_id"],
        }


class BirthForm(Form):
    family_name = text_field(_("Family name"))
    given_name = text_field(_("Given name"))
    sex = forms.ChoiceField(label=_("Sex"), choices=[("", "—")] + Person.Sex.choices)
    birth_date = date_field(_("Birth date"))
    parent = forms.TypedChoiceField(label=_("Mother or father"), coerce=int, required=False, empty_value=None)
    relation = forms.ChoiceField(label=_("Relation to the head of household"), required=False)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [("", gettext("Not a member of this household"))] + [
            (m.person_id, f"{m.person.full_name} ({m.get_relation_display()})") for m in members
        ]
        self.fields["relation"].choices = [("", gettext("Work it out from the parent"))] + RELATION_CHOICES_BUT_HEAD
        self.fields["relation"].help_text = gettext(
            "A child of the head or the spouse is a child; a child of a son or daughter is a grandchild."
        )


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
    reason = reason_field()


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
    reason = reason_field()

    def clean(self):
        data = super().clean()
        if data.get("since") is None:
            data.pop("since", None)  # not sent, or left empty: the start stays as it is
        return data


class IncomeUpdateForm(PageForm):
    name = "income_correct"
    since = date_field(_("Since"))
    reason = reason_field()


class MembershipDatesForm(PageForm):
    name = "membership_dates"
    membership = forms.TypedChoiceField(label=_("Membership"), coerce=int)
    since = date_field(_("Since"))
    until = date_field(_("Until (exclusive)"), required=False, help_text=_("Leave empty to keep the end as it is."))
    reason = reason_field()

    def __init__(self, *args, memberships=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["membership"].choices = [
            (m.pk, f"{m.household.number} · {m.get_relation_display()} · {date_format(m.since, 'SHORT_DATE_FORMAT')}")
            for m in memberships
        ]


class MoveDateForm(PageForm):
    name = "move_date"
    move = forms.TypedChoiceField(label=_("Move"), coerce=int)
    on = date_field(_("Moved on"))
    reason = reason_field()

    def __init__(self, *args, moves=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["move"].choices = [
            (m.pk, f"{date_format(m.on, 'SHORT_DATE_FORMAT')} · {m.get_kind_display()}") for m in moves
        ]


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
    """Moved away from the registry's area. (A death has its own form; `status` stays for older links.)"""

    name = "leave"
    status = forms.ChoiceField(
        choices=[
            (Person.Status.MOVED_AWAY, Person.Status.MOVED_AWAY.label),
            (Person.Status.DECEASED, Person.Status.DECEASED.label),
        ],
        initial=Person.Status.MOVED_AWAY,
        required=False,
        widget=forms.HiddenInput,
    )
    on = date_field(_("Moved away on"))

    def clean_status(self):
        return self.cleaned_data["status"] or Person.Status.MOVED_AWAY


class DeathForm(PageForm):
    name = "death"
    on = date_field(_("Date of death"))
