"""Web forms for programs and cycles. They only parse input; every rule is the service's.

The rule builder needs no JavaScript: checkboxes for the usual conditions (lived in the area; a member leads a unit;
a stamp for each duty), combined with `all`, or the rule written out as JSON in the advanced box, which wins when
filled. A service error names a path such as `rule.all[1].stamp`; `apply` puts it on the field that holds it."""

import json
import re

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from inminban.common.errors import DomainError
from inminban.web.forms import Form, apply_service, date_field, text_field

from .models import Program
from .norms import PRESETS, preset_label

BUILDER_KINDS = ("resident", "leader", "stamp")


def _preset_choices():
    return [(code, preset_label(code)) for code in PRESETS]


def builder_initial(rule: dict) -> dict:
    """The builder's checkboxes for a rule it can express (an `all` of its conditions); else the rule as JSON."""
    children = rule.get("all") if isinstance(rule, dict) and set(rule) == {"all"} else None
    simple = children is not None and all(
        len(child) == 1
        and next(iter(child)) in BUILDER_KINDS
        and (next(iter(child)) != "resident" or not child["resident"].get("months"))
        for child in children
    )
    if not simple:
        return {"resident": False, "leader": False, "stamps": [], "rule": json.dumps(rule, ensure_ascii=False)}
    kinds = [next(iter(child)) for child in children]
    return {
        "resident": "resident" in kinds,
        "leader": "leader" in kinds,
        "stamps": [child["stamp"] for child in children if "stamp" in child],
        "rule": "",
    }


class RuleFields(Form):
    """The rule builder and the advanced box, shared by the new-program and the revision forms."""

    resident = forms.BooleanField(label=_("Lived in the area on the reference date"), required=False, initial=True)
    leader = forms.BooleanField(label=_("A member of the household leads a unit"), required=False)
    stamps = forms.MultipleChoiceField(
        label=_("Must hold a stamp for"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Every duty ticked must be stamped (or was not due) for the household to receive anything."),
    )
    rule = forms.CharField(
        label=_("Rule as JSON (advanced)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false", "autocapitalize": "off"}),
        help_text=_('Replaces the choices above when filled, e.g. {"any": [{"stamp": "campaign:12"}, {"leader": {}}]}'),
    )

    builder_fields = ("resident", "leader", "stamps")

    def __init__(self, *args, obligations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stamps"].choices = [(o.ref, obligation_label(o)) for o in obligations]

    def clean(self):
        data = super().clean()
        text = (data.get("rule") or "").strip()
        if text:
            try:
                data["rule_tree"] = json.loads(text)
            except ValueError as error:
                self.add_error("rule", gettext("This is not valid JSON: %(error)s.") % {"error": error})
            return data
        conditions = []
        if data.get("resident"):
            conditions.append({"resident": {}})
        if data.get("leader"):
            conditions.append({"leader": {}})
        conditions += [{"stamp": ref} for ref in data.get("stamps") or []]
        if not conditions:
            self.add_error("stamps", gettext("Choose at least one condition, or write the rule in the advanced box."))
        data["rule_tree"] = {"all": conditions} if conditions else None
        return data

    def field_for(self, path: str) -> str | None:
        """The form field that shows a service error about `path` (rule.all[1].stamp, norms[2].amount, office)."""
        head = re.split(r"[.\[]", path, maxsplit=1)[0]
        if head == "rule":
            return "rule" if (self.cleaned_data.get("rule") or "").strip() else "stamps"
        if head in ("norms", "heavy_jobs"):
            return "norms"
        if head == "office":
            return "area" if "area" in self.fields else None
        return head if head in self.fields else None


def obligation_label(obligation) -> str:
    """“Street cleaning” · labour campaign · Songhu-dong unit 1"""
    from inminban.web.templatetags.inminban_web import local_name

    kind = {"labour": _("labour campaign"), "levy": _("levy"), "directive": _("directive")}[
        getattr(obligation, "duty_kind", "directive")
    ]
    return f"{obligation.title} · {kind} · {local_name(obligation.area)}"


def apply(form: RuleFields, call) -> bool:
    """`apply_service`, with the service's field path put on the form field that holds it."""

    def mapped():
        try:
            call()
        except DomainError as error:
            raise DomainError(form.field_for(error.field) or "__all__", error.message) from None

    return apply_service(form, mapped)


class ProgramForm(RuleFields):
    name_ko = text_field(_("Name (Korean)"))
    name_en = text_field(_("Name (English)"))
    area = forms.TypedChoiceField(label=_("Area (every household under it is considered)"), coerce=int)
    kind = forms.ChoiceField(label=_("Kind"), choices=Program.Kind.choices)
    cadence = forms.ChoiceField(label=_("How often"), choices=Program.Cadence.choices)
    norms = forms.ChoiceField(label=_("Norms (amount per person category)"))
    benefit_days = forms.IntegerField(
        label=_("Days' worth a month (leader benefit only)"),
        required=False,
        help_text=_("Empty: five days' worth of the leader's own norm."),
    )

    field_order = ["name_ko", "name_en", "area", "kind", "cadence", "norms", "benefit_days"]

    def __init__(self, *args, areas=(), **kwargs):
        from inminban.web.templatetags.inminban_web import local_name

        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [(area.pk, local_name(area)) for area in areas]
        self.fields["norms"].choices = _preset_choices()


class RevisionForm(RuleFields):
    norms = forms.ChoiceField(label=_("Norms"))
    benefit_days = forms.IntegerField(label=_("Days' worth a month (leader benefit only)"), required=False)
    note = text_field(_("Why the change"))

    field_order = ["norms", "benefit_days"]

    def __init__(self, *args, program: Program | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["norms"].choices = [("", _("Keep the current norms"))] + _preset_choices()
        self.fields["norms"].required = False
        if program is not None and program.kind != Program.Kind.LEADER_BENEFIT:
            del self.fields["benefit_days"]


class CycleForm(Form):
    period_start = date_field(_("First day of the period"))
    period_end = date_field(_("Last day of the period"), required=False)
    reference_date = date_field(
        _("Reference date"),
        required=False,
        help_text=_("Members, ages and residence are counted as on this day. Empty: the first day of the period."),
    )

    def __init__(self, *args, program: Program | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if program is not None and program.cadence != Program.Cadence.ONCE:
            del self.fields["period_end"]
            self.fields["period_start"].help_text = (
                _("The first day of a month.")
                if program.cadence == Program.Cadence.MONTHLY
                else _("The 1st or the 16th of a month.")
            )
