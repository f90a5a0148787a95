"""Web pages for clearances and appeals. Thin: forms parse, selectors read (scoped), services write.

A school clerk or recruiter asks for a person's clearance on a phone and sees the answer in plain words: granted,
with the printable stamp, or denied with what the household is missing. The unit leader sees which households would
be denied before the enrolment day. A household (or its leader) appeals a denial; the office works through its
queue, nearest deadline first, and decides."""

import re
from datetime import date
from pathlib import Path

from django import forms
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from inminban.areas.access import MANAGE_AREAS, VIEW, can, require_any, scope_for
from inminban.areas.models import Role
from inminban.areas.selectors import areas_visible
from inminban.audit.people import person_words, role_assignments_of
from inminban.common.errors import DomainError, NotPermitted, NotVisible
from inminban.duties.selectors import ancestor_paths
from inminban.web.decorators import page
from inminban.web.forms import Form, apply_service, date_field, text_field

from . import appeals, clearances, explain, selectors, wording
from .models import CLEARANCE_KINDS, Appeal, Clearance, Entitlement

# Forms ---------------------------------------------------------------------------------------------------------------


class ClearanceForm(Form):
    program = forms.TypedChoiceField(label=gettext_lazy("Clearance"), coerce=int)
    person = text_field(
        gettext_lazy("National id or registry number"),
        help_text=gettext_lazy("As written on the person's citizen card or in the household register."),
    )
    on = date_field(gettext_lazy("Day of enrolment or enlistment"))

    def __init__(self, *args, programs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = [(p.pk, p.name) for p in programs]


class RiskForm(Form):
    program = forms.TypedChoiceField(label=gettext_lazy("Clearance"), coerce=int)
    before = date_field(gettext_lazy("Enrolment or enlistment day"))

    def __init__(self, *args, programs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = [(p.pk, p.name) for p in programs]


class AppealForm(Form):
    reason = forms.CharField(
        label=gettext_lazy("Why the office should look again"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    attachment = forms.FileField(
        label=gettext_lazy("A document (optional)"),
        required=False,
        help_text=gettext_lazy("A PDF, or a photo (JPEG or PNG), at most 2 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )


class DecisionForm(Form):
    upheld = forms.TypedChoiceField(
        label=gettext_lazy("Decision"),
        choices=[
            ("yes", gettext_lazy("Uphold: grant what was denied")),
            ("no", gettext_lazy("Reject: keep the denial")),
        ],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    decision = forms.CharField(
        label=gettext_lazy("Reason, as the household will read it"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


# Clearances ----------------------------------------------------------------------------------------------------------


def _askable_programs(actor) -> list:
    """Clearance programs the actor may ask under: a school clerk's school clearances, a recruiter's enlistment ones,
    an officer's both."""
    scope = scope_for(actor)
    kinds = [
        kind
        for kind, action in clearances.ACTION_OF_KIND.items()
        if scope.is_admin or scope.prefixes(action) or scope.prefixes(MANAGE_AREAS)
    ]
    return list(clearances.clearance_programs(actor=actor).filter(kind__in=kinds).order_by("area__path", "id")[:50])


def _find_person(actor, text: str):
    text = (text or "").strip()
    if not text:
        raise DomainError("person", _("Type the person's national id or registry number."))
    try:
        return clearances.clearance_person(actor=actor, national_id=text)
    except NotVisible:
        pass
    if text.isdigit() and len(text) < 19:
        try:
            return clearances.clearance_person(actor=actor, person_id=int(text))
        except NotVisible:
            pass
    raise DomainError("person", _("No such person in your area."))


@page
@require_http_methods(["GET", "POST"])
def clearance_request_page(request):
    actor = request.user
    programs = _askable_programs(actor)
    if not programs:
        scope = scope_for(actor)
        if request.method == "POST" or not (
            scope.is_admin or {Role.OFFICER, Role.SCHOOL_CLERK, Role.RECRUITER} & scope.roles
        ):
            raise NotVisible("no clearance programs")
        # Someone whose work this is, in an area no clearance program covers yet: told so, not "not found".
        return render(request, "entitlements/clearance_request.html", {"form": None})
    form = ClearanceForm(request.POST or None, programs=programs, initial={"on": timezone.localdate()})
    status = 200
    if request.method == "POST":
        done = {}
        if form.is_valid():

            def ask():
                data = form.cleaned_data
                program = clearances.clearance_program(actor=actor, pk=data["program"])
                person = _find_person(actor, data["person"])
                try:
                    done["clearance"] = clearances.clearance_request(
                        actor=actor, program=program, person=person, on=data["on"]
                    )
                except NotPermitted:
                    raise DomainError("program", _("You may not ask for this kind of clearance.")) from None

            if apply_service(form, ask):
                return redirect("entitlements:clearance", done["clearance"].pk)
        status = 422
    return render(request, "entitlements/clearance_request.html", {"form": form}, status=status)


def _clearance_context(actor, clearance: Clearance) -> dict:
    open_appeal = clearance.appeals.filter(status=Appeal.Status.OPEN).first()
    return {
        "clearance": clearance,
        "program": clearance.program,
        "conditions": clearances.condition_rows(clearance),
        "missing": clearances.missing_texts(clearance),
        "may_appeal": not clearance.granted and open_appeal is None and appeals.may_file(actor, clearance.household),
        "open_appeal": open_appeal,
        "decided_appeal": clearance.appeal,
    }


@page
def clearance_detail(request, pk):
    clearance = clearances.clearance_detail(actor=request.user, pk=pk)
    return render(request, "entitlements/clearance_detail.html", _clearance_context(request.user, clearance))


def _next_school_year(today: date) -> date:
    """The school year starts on 1 April."""
    start = date(today.year, 4, 1)
    return start if start >= today else date(today.year + 1, 4, 1)


@page
def clearance_risks_page(request, code):
    actor = request.user
    unit = areas_visible(actor=actor).filter(code=code, level__is_unit=True).first()
    if unit is None or not can(actor, VIEW, unit):
        raise NotVisible(f"unit {code} not found")
    programs = list(
        selectors.programs_visible(actor=actor)
        .filter(kind__in=CLEARANCE_KINDS, area__path__in=ancestor_paths(unit.path))
        .order_by("area__path", "id")
    )
    if not programs:
        raise NotVisible("no clearance programs")
    initial = {"program": programs[0].pk, "before": _next_school_year(timezone.localdate())}
    form = RiskForm(request.GET or None, programs=programs, initial=initial)
    chosen = {"program": programs[0], "before": initial["before"]}
    risks, status = [], 200
    if form.is_bound:
        if form.is_valid():
            chosen = {
                "program": next(p for p in programs if p.pk == form.cleaned_data["program"]),
                "before": form.cleaned_data["before"],
            }
        else:
            status = 422
    if status == 200:

        def look():
            risks.extend(clearances.clearance_risks(actor=actor, unit=unit, **chosen))

        if not apply_service(form, look):
            status = 422
    context = {"unit": unit, "form": form, "risks": risks, "program": chosen["program"], "before": chosen["before"]}
    return render(request, "entitlements/clearance_risks.html", context, status=status)


# Appeals -------------------------------------------------------------------------------------------------------------


def _denial(actor, request):
    """The entitlement or clearance named in ?entitlement= or ?clearance=, as the actor sees it."""
    for name, lookup in (
        ("entitlement", lambda pk: selectors.entitlement_detail(actor=actor, pk=pk)),
        ("clearance", lambda pk: clearances.clearance_detail(actor=actor, pk=pk)),
    ):
        value = request.GET.get(name) or request.POST.get(name)
        if value:
            if not re.fullmatch(r"[0-9]{1,18}", value):
                raise NotVisible(name)
            return name, lookup(int(value))
    raise NotVisible("nothing to appeal")


@page
@require_http_methods(["GET", "POST"])
def appeal_new(request):
    actor = request.user
    name, denial = _denial(actor, request)
    household = denial.household
    if not appeals.may_file(actor, household):
        raise NotPermitted("only the household or its unit leader may appeal")
    form = AppealForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        done = {}
        if form.is_valid():

            def file():
                done["appeal"] = appeals.appeal_file(
                    actor=actor,
                    reason=form.cleaned_data["reason"],
                    attachment=form.cleaned_data["attachment"],
                    **{name: denial},
                )

            if apply_service(form, file, fields={"entitlement": None, "clearance": None}):
                return redirect("entitlements:appeal", done["appeal"].pk)
        status = 422
    program = denial.cycle.program if name == "entitlement" else denial.program
    context = {
        "form": form,
        "name": name,
        "denial": denial,
        "program": program,
        "household": household,
        "days": program.appeal_days,
    }
    return render(request, "entitlements/appeal_form.html", context, status=status)


@page
def appeal_list(request):
    actor = request.user
    scope = scope_for(actor)
    office = scope.is_admin or bool(scope.prefixes(MANAGE_AREAS))
    shown = request.GET.get("status") if request.GET.get("status") in Appeal.Status.values else Appeal.Status.OPEN
    if office:
        rows = appeals.appeal_queue(actor=actor, status=shown)
    else:
        rows = appeals.appeals_visible(actor=actor).order_by("status", "due_on", "id")
    today = timezone.localdate()
    items = [{"appeal": a, "overdue": appeals.is_overdue(a, today)} for a in rows.select_related("filed_by")[:200]]
    context = {"items": items, "office": office, "shown": shown, "statuses": Appeal.Status.choices}
    return render(request, "entitlements/appeal_list.html", context)


def _may_decide(actor, appeal: Appeal) -> bool:
    program = appeal.program
    return (
        appeal.status == Appeal.Status.OPEN
        and can(actor, MANAGE_AREAS, program.area)
        and can(actor, MANAGE_AREAS, program.office.area)
    )


def _denial_missing(appeal: Appeal) -> list[str]:
    """What the household lacked when it was denied, in words: what the office weighs the appeal against."""
    if appeal.clearance_id:
        return clearances.missing_texts(appeal.clearance)
    entitlement = appeal.entitlement
    conditions = explain.conditions_of(entitlement.cycle, entitlement.outcomes, entitlement.stamps)
    return [wording.missing_text(entitlement.cycle, condition) for condition in conditions if not condition.satisfied]


@page
@require_http_methods(["GET", "POST"])
def appeal_detail(request, pk):
    actor = request.user
    appeal = appeals.appeal_detail(actor=actor, pk=pk)
    may_decide = _may_decide(actor, appeal)
    form = DecisionForm(request.POST or None) if may_decide or request.method == "POST" else None
    status = 200
    if request.method == "POST":
        require_any(actor, MANAGE_AREAS)
        if form.is_valid():

            def decide():
                appeals.appeal_decide(
                    actor=actor,
                    appeal=appeal,
                    upheld=form.cleaned_data["upheld"],
                    decision=form.cleaned_data["decision"],
                )

            if apply_service(form, decide, fields={"status": None}):
                return redirect("entitlements:appeal", appeal.pk)
        status = 422
    denial = appeal.entitlement or appeal.clearance
    context = {
        "filed_by": person_words(appeal.filed_by_id, appeal.filed_at, role_assignments_of([appeal.filed_by_id])),
        "missing": _denial_missing(appeal),
        "appeal": appeal,
        "program": appeal.program,
        "household": appeal.household,
        "denial": denial,
        "entitlement": appeal.entitlement,
        "clearance": appeal.clearance,
        "overdue": appeals.is_overdue(appeal),
        "form": form if may_decide else None,
        "voucher": appeal.entitlement.voucher if appeal.entitlement_id and appeal.entitlement.voucher_id else None,
        "stamp": appeal.clearance.stamp if appeal.clearance_id and appeal.clearance.stamp_id else None,
        "quantity": (
            _quantity_text(appeal.entitlement)
            if appeal.entitlement_id and appeal.status == Appeal.Status.UPHELD
            else ""
        ),
    }
    return render(request, "entitlements/appeal_detail.html", context, status=status)


def _quantity_text(entitlement: Entitlement) -> str:
    from .explain import amount_text

    return amount_text(entitlement.quantity, entitlement.cycle.program.kind)


@page
def appeal_attachment(request, pk):
    """The appeal's document, for those who may see the appeal: never served from a public folder."""
    appeal = appeals.appeal_detail(actor=request.user, pk=pk)
    if not appeal.attachment:
        raise Http404
    # The type is the one the upload was checked to be (its stored name ends with it), never guessed from the name
    # the sender gave; the download keeps that name but always with the real extension.
    stored = Path(appeal.attachment.name).suffix.lower()
    content_type = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".png": "image/png"}.get(stored)
    if content_type is None:
        raise Http404
    shown = Path(appeal.attachment_name or "document").stem or "document"
    response = FileResponse(
        appeal.attachment.open("rb"), as_attachment=True, filename=f"{shown}{stored}", content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
