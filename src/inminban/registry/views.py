"""The registry's pages: a leader's unit, households, persons, an officer's areas, a resident's own household.

Thin: forms parse the input, selectors read (scoped to the user), services write. Access errors from selectors and
services keep their meaning: NotVisible is a 404, NotPermitted a 403. A page that shows data reads it through
`household_detail` / `person_detail`, which note the read in the access log."""

from django.contrib import messages
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from inminban.areas.access import CHANGE, can, get_visible, scope_for
from inminban.areas.models import Area
from inminban.areas.selectors import areas_visible, may_open_area, unit_leader
from inminban.audit.history import audit_history
from inminban.audit.selectors import access_summary_for_household, household_audit_entries, person_audit_entries
from inminban.common.errors import DomainError, NotPermitted, NotVisible
from inminban.duties.selectors import household_duties, unit_duty_status
from inminban.web.charts import bar_chart
from inminban.web.decorators import page
from inminban.web.forms import apply_service

from . import forms, services, stay_selectors
from . import selectors as registry

HISTORY_LIMIT = 50
# What the resident's page lists of their guests and of their health checks: the latest, the rest on /stays/.
MY_STAYS = 20
MY_CHECKS = 20


def _require_change(actor, unit: Area | None) -> None:
    """The object was visible (or we would not be here): an actor who may not change it gets a 403, not a 404."""
    if unit is None or not can(actor, CHANGE, unit):
        raise NotPermitted("read-only here")


# Leader's unit -----------------------------------------------------------------------------------------------------


def _area_by_code(actor, code: str, *, unit: bool = False) -> Area:
    areas = areas_visible(actor=actor).filter(code=code)
    if unit:
        areas = areas.filter(level__is_unit=True)
    area = areas.first()
    if area is None:
        raise NotVisible(f"area {code} not found")
    return area


@page
def unit(request, code):
    unit = _area_by_code(request.user, code, unit=True)
    date_form = forms.UnitDateForm(request.GET if "on" in request.GET else None)
    on, status = None, 200
    if date_form.is_bound:
        if date_form.is_valid():
            on = date_form.cleaned_data["on"]
        else:
            status = 400
    households = list(registry.unit_roster(actor=request.user, unit=unit, on=on))
    # Today's duty status of every household, for the whole unit at once; not shown for a past date.
    duty = (
        unit_duty_status(actor=request.user, unit=unit, household_ids=[h.pk for h in households]) if on is None else {}
    )
    for household in households:
        household.duty = duty.get(household.pk)
    search = _unit_search(request, duty)
    shown = [household for household in households if search["matches"](household)]
    context = {
        "unit": unit,
        "leader": _leader_name(unit),
        "households": households,
        "shown": shown,
        "search": search,
        "person_count": sum(len(household.members_on_date) for household in households),
        "on": on,
        "age_date": on or timezone.localdate(),
        "date_form": date_form,
    }
    return render(request, "registry/unit.html", context, status=status)


def _leader_name(unit: Area) -> str:
    """The unit leader as residents know them: the person's name (a username is no one's name)."""
    leader = unit_leader(unit=unit)
    if leader is None:
        return ""
    assignment = leader.role_assignments.filter(role="leader", area=unit, person__isnull=False).select_related("person")
    person = next((a.person for a in assignment[:1]), None)
    return person.full_name if person else (leader.get_full_name() or "")


UNIT_FILTERS = {
    "owes": lambda duty: duty.owes > 0,
    "stamp": lambda duty: duty.stamps_waiting > 0,
    "unacked": lambda duty: duty.unacknowledged > 0,
}


def _unit_search(request, duty: dict) -> dict:
    """The unit page's search (a name or a household number) and duty filters, as a test on a listed household."""
    query = (request.GET.get("q") or "").strip()[:100]
    needle = "".join(query.split()).casefold()
    filters = [name for name in UNIT_FILTERS if request.GET.get(name) and duty]

    def matches(household) -> bool:
        if needle:
            names = [household.number] + [member.person.full_name for member in household.members_on_date]
            if not any(needle in "".join(name.split()).casefold() for name in names):
                return False
        return all(household.duty is not None and UNIT_FILTERS[name](household.duty) for name in filters)

    return {"q": query, "filters": filters, "active": bool(needle or filters), "matches": matches}


# Household -------------------------------------------------------------------------------------------------------


@page
def household(request, pk):
    actor = request.user
    if request.method == "POST":
        household = get_visible(actor, registry.households_visible(actor=actor), pk)
        _require_change(actor, household.unit)
    else:
        household = registry.household_detail(actor=actor, household_id=pk)
    members = list(registry.household_members(actor=actor, household=household))
    dwellings = list(registry.dwellings_visible(actor=actor, unit=household.unit).exclude(pk=household.dwelling_id))
    moves = list(registry.household_history(actor=actor, household=household)["moves"])
    page_forms = {
        "head": forms.HouseholdHeadForm(members=members, initial={"head": household.head_id}),
        "move": forms.HouseholdMoveForm(dwellings=dwellings),
    }
    if moves:
        page_forms["move_date"] = forms.MoveDateForm(moves=moves, initial={"move": moves[0].pk, "on": moves[0].on})
    status = 200
    if request.method == "POST":
        name = request.POST.get("form")
        if name == "head":
            form = forms.HouseholdHeadForm(request.POST, members=members)
            if form.is_valid():
                person = next(m.person for m in members if m.person_id == form.cleaned_data["head"])
                if apply_service(
                    form,
                    lambda: services.household_set_head(
                        actor=actor,
                        household=household,
                        person=person,
                        on=form.cleaned_data["on"],
                        relations=form.relations(),
                    ),
                    fields={"relations": None},
                ):
                    messages.success(
                        request,
                        _("%(name)s is now the head of household; the members' relations were updated.")
                        % {"name": person.full_name},
                    )
                    return redirect(reverse("registry:household", args=[household.pk]))
        elif name == "move":
            form = forms.HouseholdMoveForm(request.POST, dwellings=dwellings)
            if form.is_valid():
                dwelling = _chosen_dwelling(actor, form, dwellings)
                if dwelling is not None and apply_service(
                    form,
                    lambda: services.household_move(
                        actor=actor,
                        household=household,
                        dwelling=dwelling,
                        on=form.cleaned_data["on"],
                        note=form.cleaned_data["note"],
                    ),
                    fields={"on": "on", "dwelling": "dwelling" if form.cleaned_data["dwelling"] else "other_dwelling"},
                ):
                    messages.success(request, _("The household's move was recorded."))
                    return redirect(reverse("registry:household", args=[household.pk]))
        elif name == "move_date" and moves:
            form = forms.MoveDateForm(request.POST, moves=moves)
            if form.is_valid():
                move = next(m for m in moves if m.pk == form.cleaned_data["move"])
                if apply_service(
                    form,
                    lambda: services.move_update(
                        actor=actor, move=move, on=form.cleaned_data["on"], reason=form.cleaned_data["reason"]
                    ),
                ):
                    messages.success(request, _("The date of the move was corrected."))
                    return redirect(reverse("registry:household", args=[household.pk]))
        else:
            return HttpResponseBadRequest(_("Unknown form."))
        page_forms[name], status = form, 400
        household = registry.household_detail(actor=actor, household_id=pk)  # the page is shown again: a read
    history = registry.household_history(actor=actor, household=household)
    context = {
        "household": household,
        "members": members,
        "residences": list(history["residences"]),
        "memberships": list(history["memberships"]),
        "moves": list(history["moves"]),
        "history": audit_history(request, household_audit_entries(actor=actor, household=household), anchor="audit"),
        "household_duties": household_duties(actor=actor, household=household),
        "forms": page_forms,
        "can_change": can(actor, CHANGE, household.unit),
        "unit_link": may_open_area(actor=actor, area=household.unit),
        "today": timezone.localdate(),
        "has_dwellings_to_move_to": bool(dwellings),
    }
    return render(request, "registry/household.html", context, status=status)


def _chosen_dwelling(actor, form, dwellings):
    chosen = form.cleaned_data["dwelling"]
    if chosen:
        return next(d for d in dwellings if d.pk == chosen)
    try:
        return get_visible(actor, registry.dwellings_visible(actor=actor), form.cleaned_data["other_dwelling"])
    except NotVisible:
        form.add_error("other_dwelling", _("There is no dwelling with this number that you may see."))
        return None


def _warn_if_headless(request, household) -> None:
    """A head who died, left or moved leaves the household without one: say so where the leader is."""
    if household is not None:
        household.refresh_from_db(fields=["head"])
        if household.head_id is None:
            messages.warning(
                request,
                _("Household %(number)s has no head now: name one on its page.") % {"number": household.number},
            )


# Registering: dwellings, households, births -----------------------------------------------------------------------


def _unit_to_change(actor, code: str) -> Area:
    unit = _area_by_code(actor, code, unit=True)
    _require_change(actor, unit)
    return unit


# The service's field names as the new-household form calls them.
HOUSEHOLD_NEW_FIELDS = {
    "on": "registered_on",
    "since": "registered_on",
    "family_name": "head_family_name",
    "given_name": "head_given_name",
    "birth_date": "head_birth_date",
    "sex": "head_sex",
    "national_id": "head_national_id",
    "household": "head",
    "person": "head",
}


@page
def dwelling_new(request, code):
    actor = request.user
    unit = _unit_to_change(actor, code)
    form = forms.DwellingForm(request.POST if request.method == "POST" else None, initial={"kind": "apartment"})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            created = {}

            def call():
                created["dwelling"] = services.dwelling_create(actor=actor, unit=unit, **form.cleaned_data)

            if apply_service(form, call):
                messages.success(
                    request, _("The dwelling %(address)s was registered.") % {"address": created["dwelling"]}
                )
                if request.GET.get("then") == "household":
                    return redirect(reverse("registry:household-new", args=[unit.code]))
                return redirect(reverse("registry:unit", args=[unit.code]))
        status = 400
    context = {
        "unit": unit,
        "form": form,
        "title": _("Register a dwelling"),
        "intro": _("A home in this unit: an apartment, a row house or a detached house."),
        "button": _("Register the dwelling"),
        "cancel": reverse("registry:unit", args=[unit.code]),
    }
    return render(request, "registry/register.html", context, status=status)


@page
def household_new(request, code):
    actor = request.user
    unit = _unit_to_change(actor, code)
    dwellings = list(registry.dwellings_visible(actor=actor, unit=unit))
    residents = list(
        registry.persons_visible(actor=actor)
        .filter(household__unit=unit, status="resident")
        .select_related("household")
        .order_by("family_name", "given_name", "pk")
    )
    form = forms.HouseholdNewForm(
        request.POST if request.method == "POST" else None,
        dwellings=dwellings,
        residents=residents,
        initial={"registered_on": timezone.localdate()},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            created = {}
            head = next((p for p in residents if p.pk == data["head"]), None)
            previous_household = head.household if head is not None else None

            def call():
                created["household"] = services.household_register_with_head(
                    actor=actor,
                    unit=unit,
                    number=data["number"],
                    registered_on=data["registered_on"],
                    dwelling=next((d for d in dwellings if d.pk == data["dwelling"]), None),
                    head=head,
                    new_head=form.new_head(),
                )

            if apply_service(form, call, fields=HOUSEHOLD_NEW_FIELDS):
                household = created["household"]
                messages.success(
                    request, _("Household %(number)s was registered with its head.") % {"number": household.number}
                )
                if previous_household is not None:  # the head left it: were they its head?
                    _warn_if_headless(request, previous_household)
                return redirect(reverse("registry:household", args=[household.pk]))
        status = 400
    context = {
        "unit": unit,
        "form": form,
        "title": _("Register a household"),
        "intro": _("A household formed in this unit or arrived from elsewhere, with its head."),
        "button": _("Register the household"),
        "cancel": reverse("registry:unit", args=[unit.code]),
        "dwelling_link": reverse("registry:dwelling-new", args=[unit.code]) + "?then=household",
    }
    return render(request, "registry/register.html", context, status=status)


@page
def birth(request, pk):
    actor = request.user
    household = get_visible(actor, registry.households_visible(actor=actor), pk)
    _require_change(actor, household.unit)
    members = list(registry.household_members(actor=actor, household=household))
    form = forms.BirthForm(
        request.POST if request.method == "POST" else None,
        members=members,
        initial={"family_name": household.head.family_name if household.head else ""},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            created = {}

            def call():
                created["person"] = services.person_birth(
                    actor=actor,
                    household=household,
                    family_name=data["family_name"],
                    given_name=data["given_name"],
                    birth_date=data["birth_date"],
                    sex=data["sex"],
                    parent=next((m.person for m in members if m.person_id == data["parent"]), None),
                    relation=data["relation"] or None,
                )

            if apply_service(form, call, fields={"since": "birth_date"}):
                messages.success(
                    request,
                    _("The birth of %(name)s was registered in household %(number)s.")
                    % {"name": created["person"].full_name, "number": household.number},
                )
                return redirect(reverse("registry:household", args=[household.pk]))
        status = 400
    context = {
        "unit": household.unit,
        "household": household,
        "form": form,
        "title": _("Register a birth"),
        "intro": _("A child born into household %(number)s becomes a member from the day of birth.")
        % {"number": household.number},
        "button": _("Register the birth"),
        "cancel": reverse("registry:household", args=[household.pk]),
    }
    return render(request, "registry/register.html", context, status=status)


# Person ----------------------------------------------------------------------------------------------------------


def _person_forms(person, current_job, current_income, memberships):
    initial = {
        "family_name": person.family_name,
        "given_name": person.given_name,
        "birth_date": person.birth_date,
        "sex": person.sex,
        "national_id": person.national_id or "",
    }
    page_forms = {
        "person": forms.PersonForm(initial=initial),
        "job": forms.OccupationSetForm(initial={"since": timezone.localdate()}),
        "income": forms.IncomeForm(initial={"currency": "KPW", "since": timezone.localdate()}),
        "person_move": forms.PersonMoveForm(initial={"on": timezone.localdate()}),
        "leave": forms.PersonLeaveForm(initial={"on": timezone.localdate()}),
        "death": forms.DeathForm(),
    }
    if current_job is not None:
        page_forms["job_correct"] = forms.OccupationUpdateForm(
            initial={"workplace": current_job.workplace, "job_title": current_job.job_title, "since": current_job.since}
        )
    if current_income is not None:
        page_forms["income_correct"] = forms.IncomeUpdateForm(initial={"since": current_income.since})
    if memberships:
        latest = memberships[0]
        page_forms["membership_dates"] = forms.MembershipDatesForm(
            memberships=memberships, initial={"membership": latest.pk, "since": latest.since, "until": latest.until}
        )
    return page_forms


def _move_person(actor, person, data):
    target = registry.households_visible(actor=actor).filter(number=data["household_number"]).first()
    if target is None:
        raise DomainError("household_number", _("There is no household with this number."))
    return services.person_move(
        actor=actor, person=person, household=target, relation=data["relation"], on=data["on"], note=data["note"]
    )


def _correct_membership(actor, memberships, data):
    membership = next(m for m in memberships if m.pk == data["membership"])
    return services.membership_update(
        actor=actor, membership=membership, since=data["since"], until=data["until"], reason=data["reason"]
    )


def _person_post(request, person, current_job, current_income, memberships, name):
    """Handle one of the person page's forms: (the bound form, the success message or None); (None, None) if the
    form is unknown."""
    actor = request.user
    handlers = {
        "person": (
            forms.PersonForm,
            lambda data: services.person_update(actor=actor, person=person, **data),
            _("The person's details were saved."),
        ),
        "job": (
            forms.OccupationSetForm,
            lambda data: services.occupation_set(actor=actor, person=person, **data),
            _("The new job was recorded."),
        ),
        "income": (
            forms.IncomeForm,
            lambda data: services.income_declare(actor=actor, person=person, **data),
            _("The declared income was recorded."),
        ),
        "person_move": (
            forms.PersonMoveForm,
            lambda data: _move_person(actor, person, data),
            _("The move was recorded."),
        ),
        "leave": (
            forms.PersonLeaveForm,
            lambda data: services.person_leave(actor=actor, person=person, **data),
            _("The person's departure was recorded."),
        ),
        "death": (
            forms.DeathForm,
            lambda data: services.person_death(actor=actor, person=person, **data),
            _("The death was recorded."),
        ),
    }
    if current_job is not None:
        handlers["job_correct"] = (
            forms.OccupationUpdateForm,
            lambda data: services.occupation_update(actor=actor, occupation=current_job, **data),
            _("The job was corrected."),
        )
    if current_income is not None:
        handlers["income_correct"] = (
            forms.IncomeUpdateForm,
            lambda data: services.income_update(actor=actor, income=current_income, **data),
            _("The declared income was corrected."),
        )
    if memberships:
        handlers["membership_dates"] = (
            lambda post: forms.MembershipDatesForm(post, memberships=memberships),
            lambda data: _correct_membership(actor, memberships, data),
            _("The membership was corrected."),
        )
    if name not in handlers:
        return None, None
    form_class, call, done = handlers[name]
    form = form_class(request.POST)
    if form.is_valid() and apply_service(
        form, lambda: call(form.cleaned_data), fields={"household": "household_number"}
    ):
        return form, done
    return form, None


@page
def person(request, pk):
    actor = request.user
    if request.method == "POST":
        person = get_visible(actor, registry.persons_visible(actor=actor), pk)
        _require_change(actor, person.household.unit if person.household else None)
    else:
        person = registry.person_detail(actor=actor, person_id=pk)
    occupations = list(registry.occupations_of(actor=actor, person=person).order_by("-since", "-id"))
    current_job = next((job for job in occupations if job.until is None), None)
    incomes = list(registry.incomes_of(actor=actor, person=person).order_by("-since", "-id"))
    current_income = next((income for income in incomes if income.until is None), None)
    memberships = list(registry.memberships_visible(actor=actor).filter(person=person).order_by("-since", "-id"))
    page_forms = _person_forms(person, current_job, current_income, memberships)
    status = 200
    if request.method == "POST":
        name = request.POST.get("form", "")
        form, done = _person_post(request, person, current_job, current_income, memberships, name)
        if form is None:
            return HttpResponseBadRequest(_("Unknown form."))
        if done:
            messages.success(request, done)
            _warn_if_headless(request, person.household)
            return redirect(reverse("registry:person", args=[person.pk]))
        page_forms[name], status = form, 400
        person = registry.person_detail(actor=actor, person_id=pk)  # the page is shown again: a read
    context = {
        "person": person,
        "occupations": occupations,
        "current_job": current_job,
        "incomes": incomes,
        "memberships": memberships,
        "history": audit_history(request, person_audit_entries(actor=actor, person=person), anchor="audit"),
        "forms": page_forms,
        "can_change": person.household is not None and can(actor, CHANGE, person.household.unit),
        "unit_link": person.household is not None and may_open_area(actor=actor, area=person.household.unit),
        "today": timezone.localdate(),
    }
    return render(request, "registry/person.html", context, status=status)


# Officer's overview ----------------------------------------------------------------------------------------------


def _ancestors(actor, area: Area) -> list[Area]:
    codes = [code for code in area.path.strip("/").split("/")[:-1] if code]
    return list(areas_visible(actor=actor).filter(code__in=codes).order_by("depth"))


def _size_chart(sizes: dict[int, int]):
    largest = max(sizes, default=0)
    bars = []
    for size in range(0 if sizes.get(0) else 1, max(largest, 1) + 1):
        count = sizes.get(size, 0)
        label = ngettext("%(size)d member", "%(size)d members", size) % {"size": size}
        spoken = ngettext(
            "Households with %(size)d member: %(count)d", "Households with %(size)d members: %(count)d", size
        )
        bars.append((label, count, spoken % {"size": size, "count": count}))
    return bar_chart(
        chart_id="chart-household-sizes",
        title=_("Households by number of members"),
        description=_("Each bar is the number of households with that many current members."),
        bars=bars,
    )


def _age_chart(groups):
    bars = []
    for low, high, count in groups:
        label = f"{low}–{high}" if high is not None else f"{low}+"
        spoken = ngettext("Age %(ages)s: %(count)d person", "Age %(ages)s: %(count)d persons", count)
        bars.append((label, count, spoken % {"ages": label, "count": count}))
    return bar_chart(
        chart_id="chart-age-groups",
        title=_("Persons by age group"),
        description=_("Each bar is the number of current household members in that age group."),
        bars=bars,
    )


@page
def area(request, code):
    actor = request.user
    area = _area_by_code(actor, code)
    children = list(registry.area_child_counts(actor=actor, area=area))
    context = {
        "area": area,
        "ancestors": _ancestors(actor, area),
        "children": children,
        "totals": registry.area_totals(actor=actor, area=area),
        "size_chart": _size_chart(registry.household_size_counts(actor=actor, area=area)),
        "age_chart": _age_chart(registry.age_group_counts(actor=actor, area=area)),
        "is_unit": area.level.is_unit,
    }
    return render(request, "registry/area.html", context)


# Resident's own household ----------------------------------------------------------------------------------------


@page
def my_household(request):
    actor = request.user
    household_ids = scope_for(actor).home_household_ids
    if not household_ids:
        raise NotVisible("no household")
    household = registry.household_detail(actor=actor, household_id=household_ids[0])
    duties = household_duties(actor=actor, household=household)
    # The household's own checks only: a resident's persons, with their values (the health app decides what is theirs).
    from inminban.health.selectors import health_checks_of_household_for_resident

    context = {
        "household": household,
        "members": list(registry.household_members(actor=actor, household=household)),
        # What the household must do comes first: its tasks, those still to do counted apart.
        "tasks": duties["tasks"],
        "todo_count": sum(1 for task in duties["tasks"] if task.status == "todo"),
        "notices": duties["notices"],
        # Who read the records, by person and role (the resident's own visits left out), the details expandable.
        "access_summary": access_summary_for_household(actor=actor, household=household),
        "history": audit_history(request, household_audit_entries(actor=actor, household=household), anchor="changes"),
        "sessions": duties["sessions"],
        "stamps": duties["stamps"],
        "today": timezone.localdate(),
        # Their guests, with the status of each registration, and the way to register one.
        "stays": list(stay_selectors.stays_of_household(actor=actor, household=household)[:MY_STAYS]),
        "own_household": household.pk in scope_for(actor).household_ids,
        "health_checks": list(health_checks_of_household_for_resident(actor=actor, household=household)[:MY_CHECKS]),
    }
    return render(request, "registry/my_household.html", context)
