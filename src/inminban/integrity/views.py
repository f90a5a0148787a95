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

from . import selectors, services, wording
from .models import Flag, Pattern

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
