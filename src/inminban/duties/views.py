"""Web pages for duties. Thin: forms parse, selectors read (scoped to the user), services write.

NotVisible answers 404 and NotPermitted 403, whichever selector or service raised it. One-tap actions (acknowledge,
confirm, decide) are small POST forms that come back to the page they were sent from, with a message."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from inminban.areas.access import CHANGE, MANAGE_AREAS, can, require_any, scope_for, subtree_q
from inminban.areas.models import Area
from inminban.areas.selectors import areas_visible, may_open_area
from inminban.common.errors import DomainError, NotVisible
from inminban.registry import selectors as registry
from inminban.web.decorators import page
from inminban.web.forms import apply_service
from inminban.web.templatetags.inminban_web import local_name

from . import forms, selectors, services
from .charts import progress_chart
from .models import Campaign, Measure, Waiver


def _back(request, default: str):
    """Where a one-tap action returns: the page it was sent from, if it is ours."""
    target = request.POST.get("next") or default
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = default
    return redirect(target)


def _act(request, call, *, success: str) -> bool:
    """Run a one-tap service call; its DomainError becomes an error message instead of a form error."""
    try:
        call()
    except DomainError as error:
        messages.error(request, error.translated())
        return False
    messages.success(request, success)
    return True


def _unit_by_code(actor, code: str) -> Area:
    unit = areas_visible(actor=actor).filter(code=code, level__is_unit=True).first()
    if unit is None:
        raise NotVisible(f"unit {code} not found")
    return unit


def _unit_chart(chart_id: str, title: str, rows) -> str:
    return progress_chart(
        chart_id=chart_id,
        title=title,
        rows=[(row.unit.code, row.percent, f"{row.unit.code}: {row.percent}%") for row in rows],
        description=_("Progress per unit, in per cent."),
    )


def _obligation_crumbs(actor, obligation, unit: Area | None = None) -> list[tuple[str, str]]:
    """Breadcrumbs (label, url) up from a share or a session: the obligation, then its unit's page only where the
    actor may open it (a resident may not: their way back is their household's page)."""
    kind = "campaign" if isinstance(obligation, Campaign) else "levy"
    crumbs = [(_("My household"), reverse("registry:my-household"))] if selectors.is_resident_only(actor) else []
    crumbs.append((obligation.title, reverse(f"duties:{kind}", args=[obligation.pk])))
    if unit is not None and may_open_area(actor=actor, area=unit):
        crumbs.append((local_name(unit), reverse(f"duties:{kind}-unit", args=[obligation.pk, unit.code])))
    return crumbs


# Leader's day and the officer's dashboard ------------------------------------------------------------------------


@page
def day(request):
    units = list(selectors.units_led(actor=request.user).order_by("path")[:200])
    code = request.GET.get("unit")
    if code:
        unit = _unit_by_code(request.user, code)
    elif units:
        unit = units[0]
    else:
        return render(request, "duties/day.html", {"unit": None, "units": []})
    data = selectors.leader_day(actor=request.user, unit=unit)
    return render(request, "duties/day.html", data | {"units": units, "can_record": can(request.user, CHANGE, unit)})


@page
def dashboard(request):
    data = selectors.dashboard(actor=request.user)
    for index, progress in enumerate(data["directives"]):
        progress["chart"] = _unit_chart(f"directive-{index}", _("Acknowledged"), progress["units"])
    for kind in ("campaigns", "levies"):
        for index, progress in enumerate(data[kind]):
            progress["chart"] = _unit_chart(f"{kind}-{index}", _("Done"), progress["units"])
    scope = scope_for(request.user)
    return render(
        request, "duties/dashboard.html", data | {"can_issue": scope.is_admin or bool(scope.prefixes(MANAGE_AREAS))}
    )


# Directives -------------------------------------------------------------------------------------------------------


@page
def directive_create(request):
    require_any(request.user, MANAGE_AREAS)
    areas = selectors.areas_addressable(actor=request.user).order_by("path")[:500]
    form = forms.DirectiveForm(
        request.POST or None, areas=areas, initial={"effective_on": timezone.localdate(), "requires_ack": True}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        area = selectors.areas_addressable(actor=request.user).get(pk=data.pop("area"))
        office = selectors.default_office(actor=request.user, area=area)
        created = {}

        def call():
            if office is None:
                raise DomainError("area", "No office of yours governs this area.")
            created["directive"] = services.directive_issue(actor=request.user, office=office, area=area, **data)

        if apply_service(form, call):
            messages.success(request, _("The directive was issued."))
            return redirect("duties:directive", created["directive"].pk)
    return render(request, "duties/directive_form.html", {"form": form}, status=422 if form.errors else 200)


@page
def directive_detail(request, pk):
    directive = selectors.directive_detail(actor=request.user, pk=pk)
    progress = selectors.directive_progress(actor=request.user, directive=directive)
    code = request.GET.get("unit")
    if code:
        unit = _unit_by_code(request.user, code)
    else:
        led = selectors.units_led(actor=request.user).filter(subtree_q("path", directive.area.path)).order_by("path")
        unit = led.first() if led.count() == 1 else None
    # In household order, and it stays so after a tap: the leader walks the street, the list must not reshuffle.
    households = selectors.directive_households(actor=request.user, directive=directive, unit=unit) if unit else []
    own = selectors.own_households_addressed(actor=request.user, directive=directive)
    context = {
        "directive": directive,
        "progress": progress,
        "chart": _unit_chart("directive-progress", _("Acknowledged"), progress["units"]),
        "unit": unit,
        "households": households,
        "missing": sum(1 for row in households if row.ack is None),
        "own": own,
        "can_record": unit is not None and can(request.user, CHANGE, unit),
        # A resident sees their own household's acknowledgement above, not the progress of units they cannot see.
        "show_progress": bool(progress["units"]) or not own,
    }
    return render(request, "duties/directive_detail.html", context)


# Door to door: each tap answers the script (duties/door.js) with the household's card alone, which it puts in place
# of the old one; without the script it comes back to the page, at the card's anchor.


def _from_script(request) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _door_answer(request, *, directive, household, done: bool, message: str):
    """Answer a door-to-door tap: the household's card (for the script), or the page at the card (without it)."""
    anchor = f"household-{household.pk}"
    if not _from_script(request):
        (messages.success if done else messages.error)(request, message, extra_tags=anchor)
        page_url = f"{reverse('duties:directive', args=[directive.pk])}?unit={household.unit.code}"
        target = request.POST.get("next") or page_url
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = page_url
        return redirect(target if "#" in target else f"{target}#{anchor}")  # a page with anchors of its own keeps them
    rows = selectors.directive_households(actor=request.user, directive=directive, unit=household.unit)
    row = next((row for row in rows if row.household.pk == household.pk), None)
    if row is None:
        raise Http404
    context = {
        "directive": directive,
        "unit": household.unit,
        "row": row,
        "missing": sum(1 for other in rows if other.ack is None),
        "can_record": can(request.user, CHANGE, household.unit),
        "next": request.POST.get("next", ""),
        "card_message": message,
        "card_error": not done,
    }
    response = render(request, "duties/_door_answer.html", context, status=200 if done else 422)
    response["X-Door-Card"] = "1"
    return response


def _try(call) -> str | None:
    """Run a service call: None when it succeeded, else its DomainError's message in the page's language."""
    try:
        call()
    except DomainError as error:
        return error.translated()
    return None


@page
@require_POST
def directive_acknowledge(request, pk):
    directive = selectors.directive_detail(actor=request.user, pk=pk)
    household = selectors.get_one(registry.households_visible(actor=request.user), request.POST.get("household"))
    success = _("Household %(number)s acknowledged the directive.") % {"number": household.number}
    call = lambda: services.directive_acknowledge(actor=request.user, directive=directive, household=household)  # noqa: E731
    if "next" not in request.POST:
        # A resident acknowledging for their own household, at the top of the page: back there, with a message.
        _act(request, call, success=success)
        return _back(request, reverse("duties:directive", args=[directive.pk]))
    error = _try(call)
    return _door_answer(request, directive=directive, household=household, done=error is None, message=error or success)


@page
@require_POST
def acknowledgement_undo(request, pk):
    """Take back a mistaken tap on the door-to-door list (within INMINBAN_ACK_UNDO_MINUTES)."""
    ack = selectors.get_one(selectors.acknowledgements_visible(actor=request.user), pk)
    directive, household = ack.directive, ack.household
    reason = request.POST.get("reason")
    error = _try(lambda: services.acknowledgement_undo(actor=request.user, acknowledgement=ack, reason=reason))
    success = _("Undone: household %(number)s has not acknowledged the directive.") % {"number": household.number}
    return _door_answer(request, directive=directive, household=household, done=error is None, message=error or success)


@page
@require_POST
def acknowledgement_confirm(request, pk):
    ack = selectors.get_one(selectors.acknowledgements_visible(actor=request.user), pk)
    stamp = {}

    def call():
        stamp["stamp"] = services.acknowledgement_confirm(actor=request.user, acknowledgement=ack)

    error = _try(call)
    if error is None:
        messages.success(request, _("Confirmed; a stamp was issued."))
        return redirect(f"/stamps/{stamp['stamp'].serial}/")
    if "next" not in request.POST:
        messages.error(request, error)
        return _back(request, reverse("duties:directive", args=[ack.directive_id]))
    return _door_answer(request, directive=ack.directive, household=ack.household, done=False, message=error)


# Campaigns and levies ---------------------------------------------------------------------------------------------


def _obligation_create(request, *, form_class, service, kind: str):
    require_any(request.user, MANAGE_AREAS)
    areas = selectors.areas_addressable(actor=request.user).order_by("path")[:500]
    rules = selectors.rules_visible(actor=request.user)
    today = timezone.localdate()
    default_rule = rules.filter(code="equal").first()
    initial = {"starts_on": today, "rule": default_rule.pk if default_rule else None}
    form = form_class(request.POST or None, areas=areas, rules=rules, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        area = selectors.areas_addressable(actor=request.user).get(pk=data.pop("area"))
        data["rule"] = rules.get(pk=data["rule"])
        office = selectors.default_office(actor=request.user, area=area)
        created = {}

        def call():
            if office is None:
                raise DomainError("area", "No office of yours governs this area.")
            created["obligation"] = service(actor=request.user, office=office, area=area, **data)

        if apply_service(form, call):
            messages.success(request, _("Created. Now set the quota of each unit."))
            return redirect(f"duties:{kind}", created["obligation"].pk)
    return render(
        request, "duties/obligation_form.html", {"form": form, "kind": kind}, status=422 if form.errors else 200
    )


@page
def campaign_create(request):
    return _obligation_create(request, form_class=forms.CampaignForm, service=services.campaign_create, kind="campaign")


@page
def levy_create(request):
    return _obligation_create(request, form_class=forms.LevyForm, service=services.levy_create, kind="levy")


def _obligation_detail(request, obligation, kind: str):
    user = request.user
    manage_units = selectors.units_under(actor=user, area=obligation.area, action=MANAGE_AREAS)[:500]
    quota_form = forms.QuotaForm(
        request.POST if request.POST.get("form") == "quota" else None, units=manage_units, prefix="quota"
    )
    quota_units = selectors.quota_unit_ids(obligation)
    session_units = selectors.units_under(actor=user, area=obligation.area, action=CHANGE, only=quota_units)
    session_form = None
    if isinstance(obligation, Campaign):
        session_form = forms.SessionForm(
            request.POST if request.POST.get("form") == "session" else None,
            units=session_units,
            prefix="session",
            initial={"on": max(timezone.localdate(), obligation.starts_on)},
        )
    status = 200
    if request.method == "POST":
        require_any(user, CHANGE)
        form = quota_form if request.POST.get("form") == "quota" else session_form
        if form is None:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            unit = selectors.units_under(actor=user, area=obligation.area).get(pk=data.pop("unit"))
            if form is quota_form:
                call = lambda: services.quota_set(actor=user, obligation=obligation, unit=unit, **data)  # noqa: E731
                done = _("The quota of %(unit)s was allocated to its households.") % {"unit": local_name(unit)}
            else:
                call = lambda: services.session_create(actor=user, campaign=obligation, unit=unit, **data)  # noqa: E731
                done = _("The session was scheduled.")
            if apply_service(form, call):
                messages.success(request, done)
                return redirect(request.path)
        status = 422
    progress = selectors.obligation_progress(actor=user, obligation=obligation)
    sessions = []
    if isinstance(obligation, Campaign):
        sessions = selectors.sessions_visible(actor=user).filter(campaign=obligation).order_by("on", "starts_at")[:100]
    context = {
        "obligation": obligation,
        "kind": kind,
        "progress": progress,
        "chart": _unit_chart(f"{kind}-progress", _("Done"), progress["units"]),
        "quota_form": quota_form if manage_units else None,
        "session_form": session_form if session_units else None,
        "sessions": sessions,
        "is_campaign": isinstance(obligation, Campaign),
        "own_shares": selectors.own_shares(actor=user, obligation=obligation),
        "is_resident": selectors.is_resident_only(user),
        # The issuing office (or one above it) may stop or resume it; any office over a part of it asks for reports.
        "can_decide": can(user, MANAGE_AREAS, obligation.area) and can(user, MANAGE_AREAS, obligation.office.area),
        "can_report": bool(manage_units),
    }
    return render(request, "duties/obligation_detail.html", context, status=status)


@page
def campaign_detail(request, pk):
    return _obligation_detail(request, selectors.campaign_detail(actor=request.user, pk=pk), "campaign")


@page
def levy_detail(request, pk):
    return _obligation_detail(request, selectors.levy_detail(actor=request.user, pk=pk), "levy")


def _obligation_unit(request, obligation, kind: str, code: str):
    unit = _unit_by_code(request.user, code)
    shares = list(selectors.shares_of(actor=request.user, obligation=obligation, unit=unit))
    rows = [{"share": share, "explanation": selectors.share_explanation(share)} for share in shares]
    context = {
        "obligation": obligation,
        "kind": kind,
        "unit": unit,
        "rows": rows,
        "can_record": can(request.user, CHANGE, unit),
        "sessions": selectors.sessions_visible(actor=request.user).filter(campaign=obligation, unit=unit)
        if isinstance(obligation, Campaign)
        else [],
    }
    return render(request, "duties/obligation_unit.html", context)


@page
def campaign_unit(request, pk, code):
    return _obligation_unit(request, selectors.campaign_detail(actor=request.user, pk=pk), "campaign", code)


@page
def levy_unit(request, pk, code):
    return _obligation_unit(request, selectors.levy_detail(actor=request.user, pk=pk), "levy", code)


# Shares, deliveries, waivers --------------------------------------------------------------------------------------


@page
def share_detail(request, pk):
    user = request.user
    share = selectors.share_detail(actor=user, pk=pk)
    obligation = share.quota.obligation
    unit = share.quota.unit
    can_record = can(user, CHANGE, unit)
    is_own = share.household_id in scope_for(user).household_ids
    delivery_form = waiver_form = None
    if can_record and obligation.measure != Measure.PERSON_HOURS:
        delivery_form = forms.DeliveryForm(
            request.POST if request.POST.get("form") == "delivery" else None,
            prefix="delivery",
            initial={"measure": obligation.measure, "delivered_on": timezone.localdate()},
        )
    if (can_record or is_own) and not share.cancelled:
        waiver_form = forms.WaiverForm(request.POST if request.POST.get("form") == "waiver" else None, prefix="waiver")
    status = 200
    if request.method == "POST":
        form = {"delivery": delivery_form, "waiver": waiver_form}.get(request.POST.get("form"))
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            if form is delivery_form:
                result = {}

                def call():
                    result["delivery"] = services.delivery_record(actor=user, share=share, **data)

                if apply_service(form, call):
                    messages.success(request, _("The delivery was recorded."))
                    return redirect("duties:receipt", result["delivery"].pk)
            elif apply_service(form, lambda: services.waiver_request(actor=user, share=share, **data)):
                messages.success(request, _("The waiver request was sent to the office."))
                return redirect(request.path)
        status = 422
    context = {
        "share": share,
        "obligation": obligation,
        "kind": "campaign" if share.quota.campaign_id else "levy",
        "explanation": selectors.share_explanation(share),
        "can_record": can_record,
        "can_decide": can(user, MANAGE_AREAS, unit),
        "delivery_form": delivery_form,
        "waiver_form": waiver_form,
        "is_own": is_own,
        "crumbs": _obligation_crumbs(user, obligation, unit),
    }
    return render(request, "duties/share_detail.html", context, status=status)


@page
@require_POST
def share_confirm(request, pk):
    share = selectors.share_detail(actor=request.user, pk=pk)
    require_any(request.user, CHANGE)
    stamp = {}

    def call():
        stamp["stamp"] = services.share_confirm(actor=request.user, share=share)

    if _act(request, call, success=_("Confirmed; a stamp was issued.")):
        return redirect(f"/stamps/{stamp['stamp'].serial}/")
    return _back(request, reverse("duties:share", args=[share.pk]))


@page
def receipt(request, pk):
    delivery = selectors.delivery_detail(actor=request.user, pk=pk)
    share = delivery.share
    return render(
        request,
        "duties/receipt.html",
        {"delivery": delivery, "share": share, "obligation": share.quota.obligation, "unit": share.quota.unit},
    )


@page
def waivers(request):
    pending = selectors.waivers_to_decide(actor=request.user).order_by("requested_at")[:200]
    recent = selectors.waivers_visible(actor=request.user).exclude(status=Waiver.Status.PENDING)[:50]
    return render(request, "duties/waivers.html", {"pending": pending, "recent": recent})


@page
@require_POST
def waiver_decide(request, pk):
    waiver = selectors.get_one(selectors.waivers_visible(actor=request.user), pk)
    require_any(request.user, MANAGE_AREAS)
    approve = request.POST.get("decision") == "approve"
    _act(
        request,
        lambda: services.waiver_decide(
            actor=request.user, waiver=waiver, approve=approve, note=request.POST.get("note", "")
        ),
        success=_("Waiver approved.") if approve else _("Waiver rejected."),
    )
    return _back(request, reverse("duties:waivers"))


# Sessions ---------------------------------------------------------------------------------------------------------


@page
def session_detail(request, pk):
    session = selectors.session_detail(actor=request.user, pk=pk)
    can_record = can(request.user, CHANGE, session.unit)
    status = 200
    rows = selectors.session_sheet(actor=request.user, session=session)
    checked = {str(row.person.pk) for row in rows if row.attendance}
    reasons = {}
    if request.method == "POST":
        require_any(request.user, CHANGE)
        checked = set(request.POST.getlist("person"))
        whole = request.POST.get("whole")  # "Whole household present" without the script: its members of working age
        if whole:
            checked |= {str(row.person.pk) for row in rows if str(row.household.pk) == whole and row.of_working_age}
        reasons = {
            int(key[len("reason-") :]): value
            for key, value in request.POST.items()
            if key.startswith("reason-") and key[len("reason-") :].isdigit() and len(key) < 30
        }

        def call():
            services.session_sheet_save(actor=request.user, session=session, person_ids=checked, overrides=reasons)

        if _act(request, call, success=_("The attendance sheet was saved.")):
            return redirect(request.path)
        status = 422
    context = {
        "session": session,
        "rows": rows,
        "sheet": [
            {"row": row, "checked": str(row.person.pk) in checked, "reason": reasons.get(row.person.pk, "")}
            for row in rows
        ],
        "checked_count": sum(1 for row in rows if str(row.person.pk) in checked),
        "rule": session.campaign.rule,
        "present": sum(1 for row in rows if row.attendance),
        "can_record": can_record and session.on <= timezone.localdate(),
        "is_future": session.on > timezone.localdate(),
        "crumbs": _obligation_crumbs(request.user, session.campaign, session.unit),
    }
    return render(request, "duties/session_detail.html", context, status=status)


# Exemptions -------------------------------------------------------------------------------------------------------


@page
def exemptions(request):
    units = list(selectors.units_led(actor=request.user).order_by("path")[:200])
    if not units:
        raise PermissionDenied
    code = request.GET.get("unit")
    unit = _unit_by_code(request.user, code) if code else units[0]
    if not can(request.user, CHANGE, unit):
        raise PermissionDenied
    persons = registry.persons_visible(actor=request.user).filter(household__unit=unit, status="resident")
    listed = list(
        selectors.exemptions_visible(actor=request.user).filter(person__household__unit=unit).select_related("person")
    )
    correcting = request.method == "POST" and request.POST.get("form") == "exemption_dates"
    form = forms.ExemptionForm(request.POST if request.method == "POST" and not correcting else None, persons=persons)
    correct_form = forms.ExemptionDatesForm(request.POST if correcting else None, exemptions=listed)
    status = 200
    if correcting:
        if correct_form.is_valid():
            data = correct_form.cleaned_data
            exemption = next(item for item in listed if item.pk == data["exemption"])
            if apply_service(
                correct_form,
                lambda: services.exemption_update(
                    actor=request.user, exemption=exemption, since=data["since"], until=data["until"]
                ),
            ):
                messages.success(request, _("The exemption was corrected."))
                return redirect(f"{request.path}?unit={unit.code}")
        status = 422
    elif request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            person = persons.get(pk=data.pop("person"))
            if apply_service(form, lambda: services.exemption_record(actor=request.user, person=person, **data)):
                messages.success(request, _("The exemption was recorded."))
                return redirect(f"{request.path}?unit={unit.code}")
        status = 422
    context = {
        "unit": unit,
        "units": units,
        "form": form,
        "correct_form": correct_form,
        "exemptions": listed,
        "today": timezone.localdate(),
    }
    return render(request, "duties/exemptions.html", context, status=status)
