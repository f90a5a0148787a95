"""The audit log page's filter form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from inminban.web.forms import Form, date_field

from .describe import action_choices


def _action_choices():
    return [("", _("Any action")), *action_choices()]


class AuditFilterForm(Form):
    # Chosen by label in the UI language; the value is the stored code, so a link to ?action=share.confirm works.
    action = forms.ChoiceField(label=_("Action"), required=False, choices=_action_choices)
    actor = forms.CharField(label=_("Actor (user name)"), required=False, max_length=150)
    target_type = forms.CharField(label=_("Target type"), required=False, max_length=64)
    target_id = forms.CharField(label=_("Target ID"), required=False, max_length=64)
    since = date_field(_("From"), required=False)
    until = date_field(_("Until"), required=False)
    area = forms.CharField(
        label=_("Area"),
        required=False,
        max_length=128,
        help_text=_("Its name in either language, or its code."),
    )

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
