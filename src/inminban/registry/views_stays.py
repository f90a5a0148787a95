"""Pages for overnight stays. Thin: scoping in stay_selectors, rules in stays.

A resident, on a phone, registers a guest for their household and sees their household's guests with their status in
words (on time or late, overstayed, confirmed). A unit leader's page is the day view: tonight's guests in the unit
(any other night through the date switcher), a button to confirm each registration, the late and overstayed ones
marked, and the overstays still to settle. An office (officers, auditors) sees per unit how many stays were late or
overstayed, as a table and a chart, with the stays behind the numbers. No codes or ids on the pages: units and
households by name, reasons in words."""

from datetime import date, timedelta

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from inminban.areas.access import scope_for
from inminban.areas.models import Area, Role
from inminban.areas.selectors import areas_visible, home_area, offices_visible
from inminban.audit.references import local_name
from inminban.common.errors import DomainError, NotPermitted, NotVisible
from inminban.web.charts import bar_chart
from inminban.web.decorators import page
from inminban.web.forms import Form, PageForm, apply_service, date_field, text_field
from inminban.web.rule_words import rule_source

from . import stay_selectors as selectors
from . import stays
from .models import Household

PURPOSE_WORDS = [
    ("family", gettext_lazy("To visit family")),
    ("work", gettext_lazy("For work")),
    ("study", gettext_lazy("To study")),
    ("trade", gettext_lazy("To trade")),
    ("medical", gettext_lazy("For medical care")),
    ("other", gettext_lazy("Something else")),
]
ATTENTION_LIMIT = 100
COUNTED = ("registered", "late", "overstayed", "unconfirmed")


# Forms ---------------------------------------------------------------------------------------------------------------


class StayForm(Form):
    guest_name = text_field(gettext_lazy("Guest's name"), help_text=gettext_lazy("As on their identity document."))
    arrives_on = date_field(gettext_lazy("Arrives on"))
    departs_on = date_field(gettext_lazy("Leaves on"), help_text=gettext_lazy("The day they expect to leave."))
    origin_area = forms.ChoiceField(
        label=gettext_lazy("Town or city they come from"),
        required=False,
        help_text=gettext_lazy("If it is not in the list, write where they come from below."),
    )
    origin_address = text_field(
        gettext_lazy("Where they come from"), help_text=gettext_lazy("A village, a street, a workplace.")
    )
    purpose = forms.ChoiceField(
        label=gettext_lazy("Why do they come?"), choices=PURPOSE_WORDS, widget=forms.RadioSelect
    )
    purpose_note = text_field(gettext_lazy("More about why (optional)"))
    document_number = text_field(
        gettext_lazy("Identity document number (optional)"),
        help_text=gettext_lazy("Letters, digits and dashes, as printed on the document."),
    )
    hosts = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Who in the household hosts them?"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, members=(), origins=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.members = {membership.person_id: membership.person for membership in members}
        self.fields["hosts"].choices = [(pk, person.full_name) for pk, person in self.members.items()]
        self.origins = {str(area.pk): area for area in origins}
        self.fields["origin_area"].choices = [("", _("— not in the list —"))] + [
            (pk, local_name(area)) for pk, area in self.origins.items()
        ]


class StayUpdateForm(PageForm):
    name = "update"
    departs_on = date_field(
        gettext_lazy("New day of leaving"),
        required=False,
        help_text=gettext_lazy("When the stay is longer or shorter."),
    )
    departed_on = date_field(
        gettext_lazy("The guest left on"), required=False, help_text=gettext_lazy("Once the guest has gone.")
    )


class DayForm(Form):
    day = date_field(gettext_lazy("Night of"), required=False)


class PeriodForm(Form):
    since = date_field(gettext_lazy("Arrived from"), required=False)
    until = date_field(gettext_lazy("Arrived until"), required=False)


# Who sees which page -------------------------------------------------------------------------------------------------


def _role_of(actor) -> str:
    scope = scope_for(actor)
    if scope.is_admin or Role.OFFICER in scope.roles or Role.AUDITOR in scope.roles:
        return "office"
    if Role.LEADER in scope.roles:
        return "leader"
    if scope.household_ids:
        return "resident"
    raise NotVisible("no stays")


def _own_household(actor) -> Household:
    household = selectors.households_for_stays(actor=actor).filter(pk__in=scope_for(actor).household_ids).first()
    if household is None:
        raise NotVisible("no household")
    return household


def deadline_words(rule) -> str:
    """The rule in a sentence: 'by 22:00 on the day of arrival', 'by 12:00 the day after arrival'."""
    clock = time_format(rule.deadline_time, "H:i")
    if rule.deadline_days == 0:
        return _("by %(time)s on the day the guest arrives") % {"time": clock}
    if rule.deadline_days == 1:
        return _("by %(time)s the day after the guest arrives") % {"time": clock}
    return _("by %(time)s, %(days)s days after the guest arrives") % {"time": clock, "days": rule.deadline_days}


# The list: resident, leader, office ----------------------------------------------------------------------------------


@page
def stays_page(request):
    actor = request.user
    role = _role_of(actor)
    if role == "resident":
        return _resident_list(request)
    if role == "leader":
        return _leader_day(request)
    return _office_view(request)


def _resident_list(request):
    actor = request.user
    household = _own_household(actor)
    context = {
        "household": household,
        "stays": list(selectors.stays_of_household(actor=actor, household=household)[:200]),
        "rule": deadline_words(selectors.unit_stay_rule(household.unit)),
        "today": timezone.localdate(),
    }
    return render(request, "registry/stays/resident.html", context)


def _chosen_unit(request, units: list[Area]) -> Area | None:
    code = request.GET.get("unit")
    if code:
        unit = next((unit for unit in units if unit.code == code), None)
        if unit is None:
            raise NotVisible(f"unit {code} not found")
        return unit
    return units[0] if units else None


def _leader_day(request):
    actor = request.user
    units = list(selectors.units_for_stays(actor=actor)[:200])
    unit = _chosen_unit(request, units)
    today = timezone.localdate()
    form = DayForm(request.GET if request.GET.get("day") else None, initial={"day": today})
    day, status = today, 200
    if form.is_bound:
        if form.is_valid() and form.cleaned_data["day"]:
            day = form.cleaned_data["day"]
        else:
            status = 400
    context = {"unit": unit, "units": units, "form": form, "day": day, "today": today}
    if unit is not None:
        guests = list(selectors.stays_in_unit_on(actor=actor, unit=unit, day=day))
        shown = {stay.pk for stay in guests}
        context |= {
            "guests": guests,
            "overstays": [s for s in selectors.stays_overstayed_in_unit(actor=actor, unit=unit) if s.pk not in shown],
            "to_confirm": sum(1 for stay in guests if stay.confirmed_at is None),
            "previous_day": day - timedelta(days=1) if day > date.min else None,
            "next_day": day + timedelta(days=1) if day < date.max else None,
            "rule": deadline_words(selectors.unit_stay_rule(unit)),
            "unit_query": f"unit={unit.code}&" if len(units) > 1 else "",
        }
    return render(request, "registry/stays/day.html", context, status=status)


def _office_area(request) -> Area:
    actor = request.user
    code = request.GET.get("area")
    if code:
        area = areas_visible(actor=actor).filter(code=code).first()
        if area is None:
            raise NotVisible(f"area {code} not found")
        return area
    area = home_area(actor=actor)
    if area is None:
        raise NotVisible("no area")
    return area


def _office_view(request):
    actor = request.user
    area = _office_area(request)
    today = timezone.localdate()
    form = PeriodForm(request.GET if (request.GET.get("since") or request.GET.get("until")) else None)
    since, until = selectors.counting_period(None, None)
    status = 200
    if form.is_bound:
        status = 400
        if form.is_valid():
            try:
                since, until = selectors.counting_period(form.cleaned_data["since"], form.cleaned_data["until"])
                status = 200
            except DomainError as error:
                form.add_error(error.field, error.translated())
    counts = selectors.stay_counts_by_unit(actor=actor, area=area, since=since, until=until)
    attention = selectors.stays_needing_attention(actor=actor, area=area, since=since, until=until)
    context = {
        "area": area,
        "areas": list(areas_visible(actor=actor).filter(level__is_unit=False).order_by("path")[:200]),
        "form": form,
        "since": since,
        "until": until,
        "counts": counts,
        "totals": {name: sum(getattr(row, name) for row in counts) for name in COUNTED},
        "chart": _unit_chart(counts),
        "attention": list(attention[:ATTENTION_LIMIT]),
        "today": today,
    }
    return render(request, "registry/stays/office.html", context, status=status)


def _unit_chart(counts):
    bars = []
    for row in counts:
        spoken = _("%(unit)s: %(late)s registered late, %(overstayed)s overstayed") % {
            "unit": local_name(row.unit),
            "late": row.late,
            "overstayed": row.overstayed,
        }
        # The code is the bar's label, as on the duties dashboard: a unit's name does not fit beside a bar on a phone
        # (the office's page, not a resident's or a leader's); the name is in the bar's spoken text and the table.
        bars.append((row.unit.code, row.late + row.overstayed, spoken))
    return bar_chart(
        chart_id="chart-stays-by-unit",
        title=_("Late registrations and overstays by unit"),
        description=_("Each bar is the number of stays in the unit that were registered late, plus those overstayed."),
        bars=bars,
    )


# Registering a guest -------------------------------------------------------------------------------------------------


def _household_for_new(request, actor) -> tuple[Household | None, dict]:
    """The household the guest is registered for: a resident's own; a leader's or officer's choice (?household=),
    the choice itself offered otherwise."""
    if _role_of(actor) == "resident":
        return _own_household(actor), {}
    chosen = request.GET.get("household") or request.POST.get("household")
    households = selectors.households_for_stays(actor=actor)
    if chosen:
        household = households.filter(pk=chosen).first() if str(chosen).isdigit() else None
        if household is None:
            raise NotVisible(f"household {chosen} not found")
        return household, {}
    units = list(selectors.units_for_stays(actor=actor)[:200])
    if not units:
        raise NotPermitted("no unit to register guests in")
    unit = _chosen_unit(request, units)
    choices = list(households.filter(unit=unit).order_by("number")[:500])
    return None, {"units": units, "unit": unit, "households": choices}


@page
@require_http_methods(["GET", "POST"])
def stay_new(request):
    actor = request.user
    household, choosing = _household_for_new(request, actor)
    if household is None:
        return render(request, "registry/stays/choose_household.html", choosing)
    today = timezone.localdate()
    members = list(selectors.host_choices(household=household))
    form = StayForm(
        request.POST if request.method == "POST" else None,
        members=members,
        origins=selectors.origin_choices(),
        initial={"arrives_on": today, "departs_on": today + timedelta(days=1)},
    )
    status = 200
    if request.method == "POST":
        done = {}
        if form.is_valid():
            data = form.cleaned_data

            def register():
                done["stay"] = stays.stay_register(
                    actor=actor,
                    household=household,
                    guest_name=data["guest_name"],
                    arrives_on=data["arrives_on"],
                    departs_on=data["departs_on"],
                    purpose=data["purpose"],
                    hosts=[form.members[pk] for pk in data["hosts"] if pk in form.members],
                    origin_area=form.origins.get(data["origin_area"]),
                    origin_address=data["origin_address"],
                    document_number=data["document_number"],
                    purpose_note=data["purpose_note"],
                )

            if apply_service(form, register, fields={"household": None}):
                stay = done["stay"]
                if stay.late:
                    messages.warning(
                        request, _("The guest is registered. The registration came after the deadline: it is late.")
                    )
                else:
                    messages.success(request, _("The guest is registered, on time."))
                return redirect("registry:stay", stay.pk)
        status = 422
    context = {
        "form": form,
        "household": household,
        "own": household.pk in scope_for(actor).household_ids,
        "rule": deadline_words(selectors.unit_stay_rule(household.unit)),
    }
    return render(request, "registry/stays/new.html", context, status=status)


# One stay ------------------------------------------------------------------------------------------------------------


@page
@require_http_methods(["GET", "POST"])
def stay_detail(request, pk):
    actor = request.user
    stay = selectors.stay_detail(actor=actor, pk=pk)
    form, status = None, 200
    if request.method == "POST":
        if not selectors.may_change_stay(actor, stay):
            raise NotPermitted("read-only here")
        form = StayUpdateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data

            def update():
                stays.stay_update(
                    actor=actor, stay=stay, departs_on=data["departs_on"], departed_on=data["departed_on"]
                )

            if apply_service(form, update, fields={"stay": None}):
                messages.success(request, _("The guest's stay was updated."))
                return redirect("registry:stay", stay.pk)
        status = 422
    may_change = selectors.may_change_stay(actor, stay)
    context = {
        "stay": stay,
        "guest": selectors.guest_details_visible(actor, stay),
        "hosts": list(stay.hosts.all()),
        "form": (form or StayUpdateForm()) if may_change else None,
        "may_confirm": selectors.may_confirm_stay(actor, stay),
        "own": stay.household_id in scope_for(actor).household_ids,
        "today": timezone.localdate(),
        "deadline": date_format(timezone.localtime(stay.deadline), "DATETIME_FORMAT"),
    }
    return render(request, "registry/stays/detail.html", context, status=status)


def _back(request, stay_pk: int):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("registry:stay", stay_pk)


@page
@require_POST
def stay_confirm(request, pk):
    actor = request.user
    stay = selectors.stay_visible(actor=actor, pk=pk)
    try:
        stays.stay_confirm(actor=actor, stay=stay)
    except DomainError as error:
        messages.error(request, error.translated())
    else:
        messages.success(request, _("The registration is confirmed."))
    return _back(request, stay.pk)


# The office's rule ---------------------------------------------------------------------------------------------------
#
# /stays/rules/: when households under an office must register a guest, in words, where the rule comes from (the
# office's own, an office above's, the default), and a form for those who may set it (an office above, an
# administrator: stays.may_set_stay_rules). The office's own officers and auditors read it; anyone else gets a 404.

OFFICES_MAX = 200


class StayRulesForm(Form):
    """Parses only: the bounds are the service's (stays.stay_rules_set), so the messages match the API's."""

    deadline_time = forms.TimeField(
        label=gettext_lazy("Registered by (time of day)"),
        help_text=gettext_lazy("On the 24-hour clock, for example 22:00."),
        input_formats=["%H:%M", "%H.%M", "%H시 %M분", "%H시"],
        error_messages={"invalid": gettext_lazy("A time of day, such as 22:00.")},
        widget=forms.TimeInput(format="%H:%M", attrs={"autocomplete": "off", "size": "6"}),
    )
    deadline_days = forms.IntegerField(
        label=gettext_lazy("Days after the day of arrival"),
        help_text=gettext_lazy("0: on the day the guest arrives; 1: the day after; and so on."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": "3"}),
    )


@page
@require_http_methods(["GET", "POST"])
def stay_rules_page(request):
    actor = request.user
    offices = list(offices_visible(actor=actor).order_by("area__path", "code")[:OFFICES_MAX])
    if not offices:
        raise NotVisible("no office")
    code = request.GET.get("office")
    if code:
        office, rule = selectors.office_stay_rules(actor=actor, code=code)
    else:
        office = next((item for item in offices if stays.may_set_stay_rules(actor, item)), offices[0])
        office, rule = selectors.office_stay_rules(actor=actor, code=office.code)
    may_change = stays.may_set_stay_rules(actor, office)
    form, status = None, 200
    if request.method == "POST":
        if not may_change:
            raise NotPermitted("an office's stay rules are set by an office above it")
        form = StayRulesForm(request.POST)
        if form.is_valid() and apply_service(
            form,
            lambda: stays.stay_rules_set(
                actor=actor,
                office=office,
                deadline_time=form.cleaned_data["deadline_time"],
                deadline_days=form.cleaned_data["deadline_days"],
            ),
            fields={"office": None},
        ):
            messages.success(
                request, _("The registration deadline of %(office)s was saved.") % {"office": local_name(office)}
            )
            return redirect(f"{reverse('registry:stay-rules')}?{urlencode({'office': office.code})}")
        status = 422
    elif may_change:
        form = StayRulesForm(initial={"deadline_time": rule.deadline_time, "deadline_days": rule.deadline_days})
    context = {
        "office": office,
        "offices": offices,
        "may_change": may_change,
        "rule": rule,
        "rule_words": deadline_words(rule),
        "source": rule_source(rule.office, office),
        "form": form,
    }
    return render(request, "registry/stays/rules.html", context, status=status)


urlpatterns = [
    path("stays/", stays_page, name="stays"),
    path("stays/new/", stay_new, name="stay-new"),
    path("stays/rules/", stay_rules_page, name="stay-rules"),
    path("stays/<int:pk>/", stay_detail, name="stay"),
    path("stays/<int:pk>/confirm/", stay_confirm, name="stay-confirm"),
]
