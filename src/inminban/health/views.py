"""Pages for health checks. Thin: scoping in health.selectors, rules in health.services.

A health worker, on a phone, records a check in three taps: the unit, the household (by address or the head's name),
then who was checked (a member, a guest registered there for the night, or a guest who is not registered, by name),
the temperature and a yes/no symptom screen. /health/ shows each role what it may read: the health worker the checks
of their area with their values, an auditor the same over their area, a leader or an officer only that checks were
done and counts (never a temperature, a symptom or a note: the rows they get carry none), a resident their own."""

from datetime import date, timedelta

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_http_methods

from inminban.areas.access import AUDIT, HEALTH, VIEW, scope_for, subtree_q
from inminban.audit.people import person_words, role_assignments_of
from inminban.audit.references import local_name
from inminban.common.errors import DomainError, NotPermitted, NotVisible
from inminban.web.charts import bar_chart
from inminban.web.decorators import page
from inminban.web.forms import Form, apply_service, date_field

from . import selectors, services
from .models import HealthCheck

PERIOD_DAYS = 7  # the lists and counts show the last week unless a day is chosen
LIST_LIMIT = 200
UNITS_LISTED = 30
GUEST = "guest"

SUBJECT_WORDS = {
    HealthCheck.Subject.RESIDENT: gettext_lazy("Member of the household"),
    HealthCheck.Subject.REGISTERED_GUEST: gettext_lazy("Guest with a registered stay"),
    HealthCheck.Subject.UNREGISTERED_GUEST: gettext_lazy("Guest with no registered stay"),
}


# Forms ---------------------------------------------------------------------------------------------------------------


class CheckForm(Form):
    """One check. Who was checked is one choice among the household's members, its registered guests for the night
    and "a guest who is not registered" (whose name is then written below)."""

    subject = forms.ChoiceField(label=gettext_lazy("Who was checked?"), widget=forms.RadioSelect)
    guest_name = forms.CharField(
        label=gettext_lazy("Name of the guest who is not registered"),
        required=False,
        help_text=gettext_lazy("Only for a guest who is not registered here. The check is recorded all the same."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "maxlength": services.GUEST_NAME_MAX}),
    )
    temperature_c = forms.CharField(
        label=gettext_lazy("Temperature (°C)"),
        required=False,
        help_text=gettext_lazy("For example 36.6"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "size": "5"}),
    )
    symptoms = forms.ChoiceField(
        label=gettext_lazy("Any symptom on the screening list?"),
        choices=[("yes", pgettext_lazy("symptoms", "Yes")), ("no", pgettext_lazy("symptoms", "No"))],
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Answer yes or no.")},
    )
    note = forms.CharField(
        label=gettext_lazy("Note (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": services.NOTE_MAX}),
    )
    checked_on = date_field(gettext_lazy("Day of the check"))

    def __init__(self, *args, target, **kwargs):
        super().__init__(*args, **kwargs)
        self.members = {f"person:{person.pk}": person for person in target.members}
        self.guests = {f"stay:{stay.pk}": stay for stay in target.guests}
        choices = [(key, person.full_name) for key, person in self.members.items()]
        choices += [
            (key, _("%(name)s (registered guest)") % {"name": stay.guest_name or _("guest")})
            for key, stay in self.guests.items()
        ]
        choices.append((GUEST, _("A guest who is not registered here")))
        self.fields["subject"].choices = choices
        self.fields["subject"].error_messages["required"] = _("Choose who was checked.")
        # The order a worker fills it in: who, the reading, then the rest.
        self.order_fields(["subject", "guest_name", "temperature_c", "symptoms", "note", "checked_on"])

    # The service checks all of this again; checked here too, so that every mistake of a form shows at once.

    def clean_temperature_c(self):
        try:
            return services.check_temperature(self.cleaned_data["temperature_c"])
        except DomainError as error:
            raise forms.ValidationError(error.translated()) from None

    def clean(self):
        data = super().clean()
        if data.get("subject") == GUEST and not (data.get("guest_name") or "").strip():
            self.add_error("guest_name", _("Write the name of the guest who is not registered."))
        return data

    def subject_of(self) -> dict:
        key = self.cleaned_data["subject"]
        if key == GUEST:
            return {"guest_name": self.cleaned_data["guest_name"]}
        if key in self.members:
            return {"person": self.members[key]}
        return {"stay": self.guests[key]}


class FilterForm(Form):
    """The lists' filter: a unit (or the whole area) and a day."""

    unit = forms.ChoiceField(label=gettext_lazy("Unit"), required=False)
    day = date_field(gettext_lazy("Day"), required=False)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("All units"))] + [(unit.code, local_name(unit)) for unit in units]


# Who the page is for -------------------------------------------------------------------------------------------------


def _role_of(actor) -> str:
    scope = scope_for(actor)
    if scope.prefixes(HEALTH):
        return "worker"
    if scope.is_admin or scope.prefixes(AUDIT):
        return "auditor"
    if scope.prefixes(VIEW):
        return "done"
    if scope.person_ids:
        return "resident"
    raise NotVisible("no health checks")


def _period(day: date | None) -> tuple[date, date]:
    if day is not None:
        return day, day
    today = timezone.localdate()
    return today - timedelta(days=PERIOD_DAYS - 1), today


def _who_recorded(rows, user_ids) -> dict[int, str]:
    assignments = role_assignments_of(user_ids)
    return {user_id: person_words(user_id, at, assignments) for user_id, at in rows}


def _counts_chart(counts) -> str:
    bars = [(_("Checks"), counts.checks, _("%(n)s checks") % {"n": counts.checks})]
    if not counts.withheld:
        bars.append((_("Fever"), counts.fever, _("%(n)s with a fever") % {"n": counts.fever}))
        bars.append((_("Symptoms"), counts.symptoms, _("%(n)s with symptoms") % {"n": counts.symptoms}))
    bars.append(
        (
            _("Unregistered"),
            counts.unregistered_guests,
            _("%(n)s guests with no registered stay") % {"n": counts.unregistered_guests},
        )
    )
    return bar_chart(
        chart_id="health-counts",
        title=_("Health checks in %(area)s") % {"area": local_name(counts.area)},
        bars=bars,
        description=_("How many checks, fevers, symptoms and guests with no registered stay in the period."),
    )


# Pages ---------------------------------------------------------------------------------------------------------------


@page
def checks(request):
    actor = request.user
    role = _role_of(actor)
    if role == "resident":
        rows = selectors.health_checks_with_values(actor=actor)[:LIST_LIMIT]
        return render(request, "health/checks.html", {"role": role, "rows": list(rows)})
    action = {"worker": HEALTH, "auditor": AUDIT, "done": VIEW}[role]
    homes = selectors.home_areas(actor=actor, action=action)
    units = selectors.units_under(homes)
    form = FilterForm(request.GET or None, units=units)
    chosen, day = None, None
    if form.is_bound and form.is_valid():
        chosen = next((unit for unit in units if unit.code == form.cleaned_data["unit"]), None)
        day = form.cleaned_data["day"]
    area = chosen or (homes[0] if homes else None)
    if area is None:
        raise NotVisible("no area")
    since, until = _period(day)
    context = {
        "role": role,
        "form": form,
        "area": area,
        "day": day,
        "since": since,
        "until": until,
        "worker": role == "worker",
    }
    counts = selectors.health_area_counts(actor=actor, area=area, since=since, until=until)
    context["counts"] = counts
    context["chart"] = _counts_chart(counts)
    # A district's units, each with its counts; of a city's many, those with checks.
    units_counts = [] if area.level.is_unit else counts.units
    if len(units_counts) > UNITS_LISTED:
        units_counts = [unit for unit in units_counts if unit.checks]
    context["units_counts"] = units_counts
    if role == "done":
        done = list(selectors.health_checks_done(actor=actor, unit=area, since=since, until=until)[:LIST_LIMIT])
        who = _who_recorded(
            [(row["recorded_by_id"], row["recorded_at"]) for row in done], {row["recorded_by_id"] for row in done}
        )
        households = selectors.households_named(actor=actor, ids={row["household_id"] for row in done})
        for row in done:
            row["recorded_by_words"] = who[row["recorded_by_id"]]
            row["subject_words"] = SUBJECT_WORDS.get(row["subject"], "")
            row["household"] = households.get(row["household_id"])
        context["done"] = done
        return render(request, "health/checks.html", context)
    rows = selectors.health_checks_with_values(actor=actor).filter(subtree_q("unit__path", area.path))
    rows = list(rows.filter(checked_on__gte=since, checked_on__lte=until)[:LIST_LIMIT])
    selectors.values_read(actor=actor, checks=rows)
    who = _who_recorded([(row.recorded_by_id, row.recorded_at) for row in rows], {row.recorded_by_id for row in rows})
    for row in rows:
        row.recorded_by_words = who[row.recorded_by_id]
        row.subject_words = SUBJECT_WORDS.get(row.subject, "")
    context["rows"] = rows
    return render(request, "health/checks.html", context)


def _step_url(**params) -> str:
    params = {key: value for key, value in params.items() if value not in (None, "")}
    return reverse("health:check-new") + ("?" + urlencode(params) if params else "")


@page
@require_http_methods(["GET", "POST"])
def check_new(request):
    """Unit → household → the check. Each step is a plain GET link (no script), so the back button works."""
    actor = request.user
    units = list(selectors.health_units(actor=actor))
    if not units:
        raise NotPermitted("only health workers record checks")
    unit = next((u for u in units if u.code == request.GET.get("unit")), None)
    if unit is None and len(units) == 1:
        unit = units[0]
    if unit is None:
        return render(request, "health/new.html", {"step": "unit", "units": units})
    day = timezone.localdate()
    household_id = request.GET.get("household", "")
    if not household_id.isdigit():
        query = request.GET.get("q", "").strip()[:100]
        households = selectors.households_to_check(actor=actor, unit=unit, day=day, with_guests=False)
        if query:
            households = [h for h in households if _matches(h, query)]
        context = {"step": "household", "unit": unit, "households": households, "q": query, "units": units}
        return render(request, "health/new.html", context)
    targets = selectors.households_to_check(actor=actor, unit=unit, day=day, household_id=int(household_id))
    if not targets:
        raise NotVisible(f"household {household_id} not found")
    target = targets[0]
    form = CheckForm(request.POST or None, target=target, initial={"checked_on": day})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            done = {}

            def record():
                done["check"] = services.healthcheck_record(
                    actor=actor,
                    household=target.household,
                    checked_on=data["checked_on"],
                    temperature_c=data["temperature_c"],
                    symptoms=data["symptoms"] == "yes",
                    note=data["note"],
                    **form.subject_of(),
                )

            fields = {"person": "subject", "stay": "subject", "household": None}
            if apply_service(form, record, fields=fields):
                check = done["check"]
                if check.subject == HealthCheck.Subject.UNREGISTERED_GUEST:
                    messages.warning(
                        request,
                        _(
                            "Check recorded, as a guest with no registered stay in this household. The office "
                            "will see that a guest was here without a registered stay."
                        ),
                    )
                else:
                    messages.success(request, _("Check recorded."))
                return redirect(_step_url(unit=unit.code))
        status = 422
    context = {"step": "check", "unit": unit, "target": target, "form": form, "units": units}
    return render(request, "health/new.html", context, status=status)


def _matches(target, query: str) -> bool:
    household = target.household
    words = [str(household.dwelling or ""), household.head.full_name if household.head else ""]
    words += [person.full_name for person in target.members]
    folded = query.casefold()
    return any(folded in word.casefold() for word in words)
