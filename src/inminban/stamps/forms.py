"""The stamps list's forms: filters (parsed here; the selector applies them) and the revoke form of a row."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from inminban.areas.selectors import units_visible
from inminban.web.forms import Form, date_field, text_field

from .models import Stamp

STATUS_CHOICES = [
    ("", _("Any")),
    ("valid", pgettext_lazy("stamp status", "Valid")),
    ("revoked", pgettext_lazy("stamp status", "Revoked")),
    ("expired", pgettext_lazy("stamp status", "Expired")),
]


class StampFilterForm(Form):
    unit = forms.CharField(label=_("Unit code"), required=False, max_length=64, help_text=_("For example HS-A1."))
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    duty_kind = forms.ChoiceField(
        label=_("Kind of duty"), choices=[("", _("Any"))] + Stamp.DutyKind.choices, required=False
    )
    duty = forms.CharField(label=_("Duty"), required=False, max_length=120, help_text=_("Part of the duty's title."))
    issued_from = date_field(_("Issued from"), required=False)
    issued_until = date_field(_("Issued until"), required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor

    def clean_unit(self):
        code = self.cleaned_data["unit"].strip()
        if not code:
            return None
        unit = units_visible(actor=self.actor).filter(code=code).first()
        if unit is None:
            raise forms.ValidationError(_("There is no unit with this code that you can see."))
        return unit

    def _reasonable(self, name):
        value = self.cleaned_data.get(name)
        if value is not None and not 1900 <= value.year <= 9998:
            raise forms.ValidationError(_("Give a year between 1900 and 9998."))
        return value

    def clean_issued_from(self):
        return self._reasonable("issued_from")

    def clean_issued_until(self):
        return self._reasonable("issued_until")

    def clean(self):
        data = super().clean()
        start, end = data.get("issued_from"), data.get("issued_until")
        if start and end and end < start:
            self.add_error("issued_until", _("The end must not come before the start."))
        return data

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {key: self.cleaned_data.get(key) for key in self.fields}


class StampRevokeForm(Form):
    serial = forms.UUIDField(widget=forms.HiddenInput)
    reason = text_field(_("Reason for revoking"), help_text=_("Kept in the audit log and shown on the stamp."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        serial = self["serial"].value()
        if serial:
            self.auto_id = f"id_revoke_{serial}_%s"
