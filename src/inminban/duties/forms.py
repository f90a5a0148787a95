"""Web forms for duties. They only parse input; every rule is the service's, and a DomainError from it comes back
onto the field it names (`apply_service`)."""

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from inminban.web.forms import Form, date_field, text_field
from inminban.web.templatetags.inminban_web import local_name

from .models import AllocationRule, ExemptionReason, Levy, Measure


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%H:%M")


def _choices(items, label=lambda item: str(item)):
    return [(item.pk, label(item)) for item in items]


def _rule_label(rule: AllocationRule) -> str:
    """The rule's name, with its method when the name does not already say it ("Equal per household", not
    "Equal per household (Equal per household)")."""
    name, method = str(rule.name or rule.get_method_display()), str(rule.get_method_display())
    return name if name.casefold() == method.casefold() else f"{name} ({method})"


def quantity_field(label, **kwargs) -> forms.CharField:
    # Text, not a DecimalField: the service says what is wrong with a quantity, in the same words as the API.
    return forms.CharField(
        label=label, required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"}), **kwargs
    )


class DirectiveForm(Form):
    area = forms.TypedChoiceField(label=_("Addressed to (area and everything under it)"), coerce=int)
    title_ko = text_field(_("Title (Korean)"))
    title_en = text_field(_("Title (English)"))
    text_ko = text_field(_("Text (Korean)"), widget=forms.Textarea(attrs={"rows": 5}))
    text_en = text_field(_("Text (English)"), widget=forms.Textarea(attrs={"rows": 5}))
    effective_on = date_field(_("Effective from"))
    due_on = date_field(_("Acknowledgement due by"), required=False)
    requires_ack = forms.BooleanField(label=_("Every household must acknowledge"), required=False, initial=True)
    attachments = text_field(
        _("Attachments"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One link per line, optionally as 'title | https://…'."),
    )

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = _choices(areas, local_name)

    def clean_attachments(self):
        items = []
        for line in self.cleaned_data["attachments"].splitlines():
            line = line.strip()
            if not line:
                continue
            title, _sep, url = line.rpartition("|")
            items.append({"title": title.strip(), "url": url.strip()})
        return items


class ObligationForm(Form):
    area = forms.TypedChoiceField(label=_("Area (all units under it may get a quota)"), coerce=int)
    title_ko = text_field(_("Title (Korean)"))
    title_en = text_field(_("Title (English)"))
    description_ko = text_field(_("Description (Korean)"), widget=forms.Textarea(attrs={"rows": 3}))
    description_en = text_field(_("Description (English)"), widget=forms.Textarea(attrs={"rows": 3}))
    measure = forms.ChoiceField(label=_("Measured in"))
    rule = forms.TypedChoiceField(label=_("Allocation rule"), coerce=int)
    step = quantity_field(_("Smallest step of a share"), help_text=_("Leave empty for the usual step of the measure."))
    place = text_field(_("Place"))
    starts_on = date_field(_("Starts on"))

    measures = ()

    def __init__(self, *args, areas=(), rules=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = _choices(areas, local_name)
        self.fields["rule"].choices = _choices(rules, _rule_label)
        self.fields["measure"].choices = [(m, Measure(m).label) for m in self.measures]

    def clean_step(self):
        return self.cleaned_data["step"].strip() or None


class CampaignForm(ObligationForm):
    measures = (Measure.PERSON_HOURS, Measure.M3, Measure.KG)
    ends_on = date_field(_("Ends on"))


class LevyForm(ObligationForm):
    measures = (Measure.KG, Measure.M3, Measure.KPW)
    kind = forms.ChoiceField(label=_("Kind"), choices=Levy.Kind.choices)
    due_on = date_field(_("Due on"))


class QuotaForm(Form):
    unit = forms.TypedChoiceField(label=_("Unit"), coerce=int)
    quantity = quantity_field(_("Quota"))

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = _choices(units, local_name)


class SessionForm(Form):
    unit = forms.TypedChoiceField(label=_("Unit"), coerce=int)
    on = date_field(_("Day"))
    starts_at = forms.TimeField(label=_("Starts at"), widget=TimeInput(), input_formats=["%H:%M"])
    ends_at = forms.TimeField(label=_("Ends at"), widget=TimeInput(), input_formats=["%H:%M"])
    place = text_field(_("Place"))

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = _choices(units, local_name)


class DeliveryForm(Form):
    quantity = quantity_field(_("Quantity"))
    measure = forms.ChoiceField(label=_("Measure"), choices=Measure.choices)
    delivered_on = date_field(_("Delivered on"))
    receiver = text_field(_("Received by"), help_text=_("Leave empty if you received it yourself."))


class WaiverForm(Form):
    quantity = quantity_field(_("Amount to waive"), help_text=_("Leave empty for everything still to do."))
    reason = text_field(_("Hardship"), help_text=_("One sentence. No medical detail."))

    def clean_quantity(self):
        return self.cleaned_data["quantity"].strip() or None


class WaiverDecisionForm(Form):
    note = text_field(_("Note"))


class ExemptionForm(Form):
    person = forms.TypedChoiceField(label=_("Person"), coerce=int)
    reason = forms.ChoiceField(label=_("Reason"), choices=ExemptionReason.choices)
    since = date_field(_("Since"))
    until = date_field(_("Until (exclusive)"), required=False)

    def __init__(self, *args, persons=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = _choices(persons, lambda person: person.full_name)


class ExemptionDatesForm(Form):
    """Correct the dates of a recorded exemption; an empty end stays as it is."""

    exemption = forms.TypedChoiceField(label=_("Exemption"), coerce=int)
    since = date_field(_("Since"))
    until = date_field(_("Until (exclusive)"), required=False)

    def __init__(self, *args, exemptions=(), **kwargs):
        super().__init__(*args, prefix="correct", **kwargs)
        self.fields["exemption"].choices = _choices(
            exemptions,
            lambda item: " · ".join(
                (item.person.full_name, str(item.get_reason_display()), date_format(item.since, "SHORT_DATE_FORMAT"))
            ),
        )


RULE_METHODS = AllocationRule.Method.choices
