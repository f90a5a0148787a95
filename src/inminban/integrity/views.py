"""Pages for integrity flags. Thin: scoping in the selectors, rules in the services.

The office (and auditors) work through the queue on /integrity/: flags still to decide first, filtered by status,
pattern and unit, a row per unit with its counts, and, for a chosen unit, the chart of its flags month by month. A
flag's page says what the records show in plain words, lists the evidence with links to the pages of those records,
and carries the leader's answer form (for the leader it is about) and the office's decision form (dismiss or uphold,
with a reason). A leader's /integrity/ lists the flags about them. Anyone else gets a 404."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.decorators.http import require_http_methods

from inminban.areas.access import scope_for
from inminban.areas.models import Role
from inminban.audit.people import person_words, role_assignments_of
from inminban.audit.references import local_name
from inminban.common.errors import NotPermitted, NotVisible
from inminban.web.charts import bar_chart
from inminban.web.decorators import page
from inminban.web.forms import Form, PageForm, apply_service
from inminban.web.rule_words import rule_source

from . import selectors, services, wording
from .models import Flag, Pattern
from .rules import MEANINGS, NONE

PAGE_SIZE = 50

STATUS_CHOICES = [
    (Flag.Status.OPEN.value, pgettext_lazy("flag status", "Open")),
    (Flag.Status.EXPLAINED.value, gettext_lazy("Answered by the leader")),
    (Flag.Status.DISMISSED.value, pgettext_lazy("flag status", "Dismissed")),
    (Flag.Status.UPHELD.value, pgettext_lazy("flag status", "Upheld")),
]
DECISION_CHOICES = [
    (Flag.Status.DISMISSED.value, gettext_lazy("Dismiss: the records are explained, nothing was wrong")),
    (Flag.Status.UPHELD.value, gettext_lazy("Uphold: the records show what the flag says")),
]


# Forms -----------------------------------------------------------------------------------------------------------


class FilterForm(Form):
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    pattern = forms.ChoiceField(label=gettext_lazy("What was found"), required=False)
    unit = forms.ChoiceField(label=gettext_lazy("Unit"), required=False)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("Any status"))] + STATUS_CHOICES
        self.fields["pattern"].choices = [("", _("Anything"))] + [
            (pattern, wording.short_name(pattern)) for pattern in Pattern.values
        ]
        self.fields["unit"].choices = [("", _("All units"))] + [(unit.code, local_name(unit)) for unit in units]


class ExplainForm(PageForm):
    name = "explain"
    explanation = forms.CharField(
        label=gettext_lazy("Your answer"),
        help_text=gettext_lazy("What happened, as the office will read it. At most 2000 characters."),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class DecideForm(PageForm):
    name = "decide"
    status = forms.ChoiceField(
        label=gettext_lazy("The office's decision"), choices=DECISION_CHOICES, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=gettext_lazy("The reason"),
        help_text=gettext_lazy("Required: the leader reads it. At most 2000 characters."),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


# Pages -----------------------------------------------------------------------------------------------------------


def _history_chart(actor, unit):
    months = selectors.flag_history(actor=actor, unit=unit)[-12:]
    bars = []
    for month in months:
        label = month["month"].strftime("%Y-%m")
        spoken = ngettext(
            "%(month)s: %(count)d flag (open %(open)d, answered %(explained)d, dismissed %(dismissed)d, upheld "
            "%(upheld)d)",
            "%(month)s: %(count)d flags (open %(open)d, answered %(explained)d, dismissed %(dismissed)d, upheld "
            "%(upheld)d)",
            month["total"],
        ) % {
            "month": label,
            "count": month["total"],
            "open": month["open"],
            "explained": month["explained"],
            "dismissed": month["dismissed"],
            "upheld": month["upheld"],
        }
        bars.append((label, month["total"], spoken))
    if not bars:
        return None
    return bar_chart(
        chart_id="chart-flag-history",
        title=_("Flags of %(unit)s by month") % {"unit": local_name(unit)},
        description=_("Each bar is the number of flags about the records of that month, whatever their status."),
        bars=bars,
    )


def _cards(flags) -> list[dict]:
    flags = list(flags)
    numbers = selectors.household_numbers(flags)
    return [
        {
            "flag": flag,
            "short_name": wording.short_name(flag.pattern),
            "sentence": wording.flag_sentence(flag, numbers[flag.pk]),
        }
        for flag in flags
    ]


@page
def flags(request):
    actor = request.user
    scope = scope_for(actor)
    if selectors.reviews_flags(actor):
        return _office_queue(request)
    if Role.LEADER in scope.roles or selectors.flags_visible(actor=actor).exists():
        rows = selectors.flag_queue(actor=actor)[:200]
        context = {"cards": _cards(rows)}
        return render(request, "integrity/leader_flags.html", context)
    raise NotVisible("no integrity flags")


def _office_queue(request):
    actor = request.user
    units = selectors.flag_units(actor=actor)
    form = FilterForm(request.GET or None, units=[item["unit"] for item in units])
    status = 200
    filters = {}
    if form.is_bound:
        if form.is_valid():
            filters = {name: value for name, value in form.cleaned_data.items() if value}
        else:
            status = 400
    unit = next((item["unit"] for item in units if item["unit"].code == filters.get("unit")), None)
    rows = selectors.flag_queue(
        actor=actor, status=filters.get("status"), pattern=filters.get("pattern"), unit=unit
    ).select_related("unit")
    page_obj = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "filtered": bool(filters),
        "units": units,
        "unit": unit,
        "chart": _history_chart(actor, unit) if unit is not None else None,
        "page_obj": page_obj,
        "cards": _cards(page_obj.object_list),
    }
    return render(request, "integrity/office_flags.html", context, status=status)


@page
@require_http_methods(["GET", "POST"])
def flag(request, pk: int):
    actor = request.user
    flag = selectors.flag_detail(actor=actor, pk=pk)
    explain_form = decide_form = None
    status = 200
    if request.method == "POST":
        which = request.POST.get("form")
        if which == "explain":
            if not services.may_explain(actor, flag):
                raise NotPermitted("only the leader the flag is about answers it")
            explain_form = ExplainForm(request.POST)
            if explain_form.is_valid() and apply_service(
                explain_form,
                lambda: services.flag_explain(
                    actor=actor, flag=flag, explanation=explain_form.cleaned_data["explanation"]
                ),
                fields={"status": None},
            ):
                messages.success(request, _("Your answer was sent to the office."))
                return redirect("integrity:flag", flag.pk)
        elif which == "decide":
            if not services.may_decide(actor, flag):
                raise NotPermitted("only the office decides")
            decide_form = DecideForm(request.POST)
            if decide_form.is_valid() and apply_service(
                decide_form,
                lambda: services.flag_decide(
                    actor=actor,
                    flag=flag,
                    status=decide_form.cleaned_data["status"],
                    reason=decide_form.cleaned_data["reason"],
                ),
            ):
                messages.success(request, _("The decision was recorded; the leader will see it."))
                return redirect("integrity:flag", flag.pk)
        else:
            raise NotPermitted("unknown form")
        status = 422
    if services.may_explain(actor, flag) and explain_form is None:
        explain_form = ExplainForm(initial={"explanation": flag.explanation})
    if services.may_decide(actor, flag) and decide_form is None:
        decide_form = DecideForm()
    context = {
        "flag": flag,
        "pattern_name": wording.pattern_name(flag.pattern),
        "sentence": wording.flag_sentence(flag, selectors.flag_household_number(flag)),
        "status_words": wording.STATUS_WORDS.get(flag.status, ""),
        "evidence": selectors.evidence_of(actor=actor, flag=flag),
        "about_me": flag.leader_id == actor.pk,
        "leader_words": person_words(flag.leader_id, flag.raised_at, role_assignments_of([flag.leader_id]))
        if flag.leader_id
        else "",
        "reviews": selectors.reviews_flags(actor),
        "explain_form": explain_form,
        "decide_form": decide_form,
    }
    return render(request, "integrity/flag.html", context, status=status)


# Detection rules ---------------------------------------------------------------------------------------------------
#
# /integrity/rules/: an office's detection rules, one card per pattern saying in words what it looks for and what its
# threshold counts, where the value comes from (the office's own, an office above's, the default), and, for those who
# may set them (an office above, an administrator: services.may_set_rules), a small form. Others who may read them
# (the office's own officers, auditors) see the values; anyone else gets a 404, as from the API.

OFFICES_MAX = 200


class DetectionRuleForm(PageForm):
    """One pattern's rule. It only parses; the bounds of each value are the service's (services.threshold_value)."""

    enabled = forms.BooleanField(label=gettext_lazy("Look for this pattern"), required=False)
    threshold = forms.CharField(
        required=False, widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "size": "8"})
    )
    min_count = forms.IntegerField(
        required=True, widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": "8"})
    )

    def __init__(self, *args, pattern: str, **kwargs):
        self.name = self.pattern = pattern
        super().__init__(*args, **kwargs)
        meaning = MEANINGS[pattern]
        if meaning.threshold == NONE:
            del self.fields["threshold"]
        else:
            self.fields["threshold"].label, self.fields["threshold"].help_text = wording.THRESHOLD_FIELDS[pattern]
        if meaning.uses_min_count:
            self.fields["min_count"].label, self.fields["min_count"].help_text = wording.MIN_COUNT_FIELDS[pattern]
        else:
            del self.fields["min_count"]

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in ("enabled", "threshold", "min_count") if name in self.fields}


def _rule_card(rule, office, form) -> dict:
    facts = []
    if rule.pattern in wording.THRESHOLD_FIELDS:
        facts.append((wording.THRESHOLD_FIELDS[rule.pattern][0], wording.number(rule.threshold)))
    if rule.pattern in wording.MIN_COUNT_FIELDS:
        facts.append((wording.MIN_COUNT_FIELDS[rule.pattern][0], rule.min_count))
    return {
        "rule": rule,
        "name": wording.pattern_name(rule.pattern),
        "looks_for": wording.PATTERN_WORDS.get(rule.pattern, ""),
        "no_threshold": wording.THRESHOLD_WORDS["none"] if MEANINGS[rule.pattern].threshold == NONE else "",
        "facts": facts,
        "source": rule_source(rule.office, office),
        "form": form,
    }


def _chosen_office(request, offices, may_set):
    """The office of ?office=, else the first the actor may set rules for, else the first they may read."""
    code = request.GET.get("office")
    if code:
        return selectors.office_for_rules(actor=request.user, code=code)
    return next((office for office in offices if may_set(office)), offices[0])


@page
@require_http_methods(["GET", "POST"])
def rules(request):
    actor = request.user
    offices = list(selectors.offices_for_rules(actor=actor)[:OFFICES_MAX])
    if not offices:
        raise NotVisible("no detection rules to read")
    office = _chosen_office(request, offices, lambda office: services.may_set_rules(actor, office))
    may_change = services.may_set_rules(actor, office)
    failed, status = None, 200
    if request.method == "POST":
        pattern = request.POST.get("form")
        if pattern not in MEANINGS:
            raise NotPermitted("unknown form")
        if not may_change:
            raise NotPermitted("an office's detection rules are set by an office above it")
        form = DetectionRuleForm(request.POST, pattern=pattern)
        if form.is_valid() and apply_service(
            form,
            lambda: services.detection_rule_set(actor=actor, office=office, pattern=pattern, **form.values()),
            fields={"pattern": None},
        ):
            messages.success(
                request,
                _("The rule “%(pattern)s” of %(office)s was saved.")
                % {"pattern": wording.short_name(pattern), "office": local_name(office)},
            )
            return redirect(f"{reverse('integrity:rules')}?{urlencode({'office': office.code})}#rule-{pattern}")
        failed, status = form, 422
    cards = []
    for rule in selectors.office_rules(office=office):
        form = None
        if failed is not None and failed.pattern == rule.pattern:
            form = failed
        elif may_change:
            initial = {
                "enabled": rule.enabled,
                "threshold": wording.number(rule.threshold),
                "min_count": rule.min_count,
            }
            form = DetectionRuleForm(pattern=rule.pattern, initial=initial)
        cards.append(_rule_card(rule, office, form))
    context = {"office": office, "offices": offices, "may_change": may_change, "cards": cards}
    return render(request, "integrity/rules.html", context, status=status)
