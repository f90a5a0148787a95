"""Web pages for programs, cycles and entitlements. Thin: forms parse, selectors read (scoped), services write.

The office's pages (programs, a cycle with its totals) are for those whose scope covers the program's whole area:
its officers, auditors above it, administrators. A leader reads a cycle through the unit view, a resident through
the household page; any other page is a 404 for them, as for anyone outside the program's area. NotVisible answers
404 and NotPermitted 403, whichever selector or service raised it."""

from django.contrib import messages
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from inminban.areas.access import MANAGE_AREAS, VIEW, can, require_any, restrict, scope_for
from inminban.areas.models import Area, Role
from inminban.areas.selectors import area_levels, areas_visible
from inminban.common.errors import DomainError, NotVisible
from inminban.duties import selectors as duty_selectors
from inminban.web.decorators import page
from inminban.web.forms import apply_service
from inminban.web.templatetags.inminban_web import local_name

from . import explain, forms, selectors, services, wording
from .charts import entitled_denied_chart
from .models import Cycle, Program

OBLIGATIONS_PER_KIND = 40

# The cycle page's buttons: the action a button posts -> the service it calls.
CYCLE_ACTIONS = {
    "generate": services.cycle_generate_request,
    "approve": services.cycle_approve,
    "distribute": services.cycle_distribute,
    "close": services.cycle_close,
}


def _office_reader(actor) -> bool:
    scope = scope_for(actor)
    return scope.is_admin or bool({Role.OFFICER, Role.AUDITOR} & scope.roles)


def _require_office_view(actor, program: Program) -> None:
    """The office's pages show the whole area's figures: only for those who may see the whole area."""
    if not can(actor, VIEW, program.area):
        raise NotVisible(f"program {program.pk} not found")


def _may_act(actor, program: Program) -> bool:
    return can(actor, MANAGE_AREAS, program.area) and can(actor, MANAGE_AREAS, program.office.area)


def _obligations(actor) -> list:
    """The duties an officer may gate a program on: recent campaigns, levies and acknowledged directives in view."""
    campaigns = duty_selectors.campaigns_visible(actor=actor).filter(standing="active").select_related("area")
    levies = duty_selectors.levies_visible(actor=actor).filter(standing="active").select_related("area")
    directives = duty_selectors.directives_visible(actor=actor).filter(requires_ack=True)
    return (
        list(campaigns.order_by("-starts_on", "-id")[:OBLIGATIONS_PER_KIND])
        + list(levies.order_by("-starts_on", "-id")[:OBLIGATIONS_PER_KIND])
        + list(directives.order_by("-effective_on", "-id")[:OBLIGATIONS_PER_KIND])
    )


def _status_message(error: DomainError) -> str:
    # A workflow refusal names the cycle's state in code; the page says it in words instead.
    if error.field == "status":
        return _("This cannot be done in the cycle's present state.")
    return _(error.message)


# Programs ---------------------------------------------------------------------------------------------------------


@page
def program_list(request):
    actor = request.user
    if not _office_reader(actor):
        raise NotVisible("programs")
    programs = restrict(selectors.programs_visible(actor=actor), actor, VIEW)[:200]
    rows = [{"program": program, "sentence": wording.version_sentence(program.current_version)} for program in programs]
    scope = scope_for(actor)
    can_create = scope.is_admin or bool(scope.prefixes(MANAGE_AREAS))
    return render(request, "entitlements/program_list.html", {"rows": rows, "can_create": can_create})


@page
@require_http_methods(["GET", "POST"])
def program_create(request):
    actor = request.user
    require_any(actor, MANAGE_AREAS)
    areas = duty_selectors.areas_addressable(actor=actor).order_by("path")[:500]
    form = forms.ProgramForm(
        request.POST or None,
        areas=areas,
        obligations=_obligations(actor),
        initial={"resident": True, "norms": "nine_levels"},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        area = duty_selectors.areas_addressable(actor=actor).get(pk=data["area"])
        office = duty_selectors.default_office(actor=actor, area=area)
        created = {}

        def call():
            if office is None:
                raise DomainError("area", "No office of yours governs this area.")
            created["program"] = services.program_create(
                actor=actor,
                office=office,
                area=area,
                kind=data["kind"],
                cadence=data["cadence"],
                name_ko=data["name_ko"],
                name_en=data["name_en"],
                norms=data["norms"],
                rule=data["rule_tree"],
                benefit_days=data["benefit_days"],
            )

        if forms.apply(form, call):
            messages.success(request, _("The program was created. Start its first cycle below."))
            return redirect("entitlements:program", created["program"].pk)
    return render(request, "entitlements/program_form.html", {"form": form}, status=422 if form.errors else 200)


def _version_rows(program: Program) -> list[dict]:
    versions = program.versions.select_related("created_by").order_by("-number")[:20]
    return [{"version": version, "sentence": wording.version_sentence(version)} for version in versions]


@page
@require_http_methods(["GET", "POST"])
def program_detail(request, pk):
    actor = request.user
    program = selectors.program_detail(actor=actor, pk=pk)
    _require_office_view(actor, program)
    may_act = _may_act(actor, program)
    version = program.current_version
    posted = request.POST.get("form") if request.method == "POST" else None
    cycle_form = forms.CycleForm(request.POST if posted == "cycle" else None, program=program, prefix="cycle")
    revision_form = forms.RevisionForm(
        request.POST if posted == "revise" else None,
        program=program,
        obligations=_obligations(actor),
        prefix="revise",
        initial=forms.builder_initial(version.rule),
    )
    status = 200
    if request.method == "POST":
        require_any(actor, MANAGE_AREAS)
        if posted == "cycle":
            created = {}

            def create_cycle():
                data = cycle_form.cleaned_data
                created["cycle"] = services.cycle_create(
                    actor=actor,
                    program=program,
                    period_start=data["period_start"],
                    period_end=data.get("period_end"),
                    reference_date=data["reference_date"],
                )

            if cycle_form.is_valid() and apply_service(cycle_form, create_cycle):
                messages.success(request, _("The cycle was created. Compute it when the registry is up to date."))
                return redirect("entitlements:cycle", created["cycle"].pk)
        elif posted == "revise":

            def revise():
                data = revision_form.cleaned_data
                services.program_revise(
                    actor=actor,
                    program=program,
                    norms=data["norms"] or None,
                    rule=data["rule_tree"],
                    benefit_days=data.get("benefit_days"),
                    note=data["note"],
                )

            if revision_form.is_valid() and forms.apply(revision_form, revise):
                messages.success(request, _("A new version was saved. Cycles already made keep the version they used."))
                return redirect("entitlements:program", program.pk)
        else:
            return HttpResponseBadRequest(_("Unknown form."))
        status = 422
    context = {
        "program": program,
        "version": version,
        "sentence": wording.version_sentence(version),
        "norms": wording.norm_rows(version.norms, program.kind),
        "versions": _version_rows(program),
        "cycles": list(selectors.cycles_of(actor=actor, program=program)[:50]),
        "may_act": may_act,
        "cycle_form": cycle_form if may_act else None,
        "revision_form": revision_form if may_act else None,
        "open_form": posted,
    }
    return render(request, "entitlements/program_detail.html", context, status=status)


# Cycles -----------------------------------------------------------------------------------------------------------


def _figures_chart(figures) -> str:
    rows = []
    for figure in figures:
        text = _("%(area)s: %(entitled)s entitled, %(denied)s denied") % {
            "area": local_name(figure.area),
            "entitled": figure.entitled,
            "denied": figure.denied,
        }
        rows.append((text, figure.entitled, figure.denied))
    return entitled_denied_chart(
        chart_id="cycle-figures",
        title=_("Households entitled and denied"),
        description=_("One bar per area: entitled households in green, denied in red."),
        rows=rows,
        legend=(_("entitled"), _("denied")),
    )


def _drilldown_area(actor, cycle: Cycle, code: str | None) -> Area:
    if not code:
        return cycle.program.area
    area = areas_visible(actor=actor).filter(code=code).first()
    if area is None or not area.path.startswith(cycle.program.area.path):
        raise NotVisible(f"area {code} not found")
    return area


def _approve_refusal(actor, cycle: Cycle) -> str:
    if cycle.status == Cycle.Status.GENERATED and services.is_maker(actor, cycle):
        return _("You computed this cycle, so another officer of the office must approve it.")
    return ""


def _job_state(cycle: Cycle) -> dict | None:
    if cycle.status != Cycle.Status.GENERATING or cycle.job is None:
        return None
    job = cycle.job
    return {
        "percent": job.percent,
        "done": job.progress_done,
        "total": job.progress_total,
        "active": job.is_active,
        "failed": job.status == job.Status.FAILED,
        "waiting": job.status == job.Status.QUEUED,
    }


@page
@require_http_methods(["GET", "POST"])
def cycle_detail(request, pk):
    actor = request.user
    cycle = selectors.cycle_detail(actor=actor, pk=pk)
    program = cycle.program
    _require_office_view(actor, program)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action not in CYCLE_ACTIONS:
            return HttpResponseBadRequest(_("Unknown action."))
        require_any(actor, MANAGE_AREAS)
        try:
            CYCLE_ACTIONS[action](actor=actor, cycle=cycle)
        except DomainError as error:
            messages.error(request, _status_message(error))
            status = 422
            cycle = selectors.cycle_detail(actor=actor, pk=pk)
        else:
            done = {
                "generate": _("The cycle is being computed. This page follows its progress."),
                "approve": _("The cycle was approved."),
                "distribute": _("Distribution has started."),
                "close": _("The cycle was closed."),
            }[action]
            messages.success(request, done)
            return redirect("entitlements:cycle", cycle.pk)
    area = _drilldown_area(actor, cycle, request.GET.get("area"))
    job = _job_state(cycle)
    figures = selectors.cycle_figures(actor=actor, cycle=cycle, area=area) if cycle.households else []
    unit_levels = {level.pk for level in area_levels() if level.is_unit}
    figure_rows = [
        {
            "figure": figure,
            "is_unit": figure.area.level_id in unit_levels,
            "quantity": explain.amount_text(figure.quantity, program.kind),
        }
        for figure in figures
    ]
    patterns = selectors.denial_patterns(actor=actor, cycle=cycle, area=area) if cycle.denied else []
    context = {
        "cycle": cycle,
        "program": program,
        "area": area,
        "sentence": wording.cycle_sentence(cycle),
        "quantity_text": explain.amount_text(cycle.total_quantity, program.kind),
        "job": job,
        "refresh": job is not None and job["active"],
        "figures": figure_rows,
        "chart": _figures_chart(figures) if figures else "",
        "denials": explain.denial_breakdown(cycle, patterns) if patterns else [],
        "may_act": _may_act(actor, program),
        "approve_refusal": _approve_refusal(actor, cycle),
        "can_compute": cycle.status in (Cycle.Status.DRAFT, Cycle.Status.GENERATED)
        or (cycle.status == Cycle.Status.GENERATING and (job is None or job["failed"])),
    }
    return render(request, "entitlements/cycle_detail.html", context, status=status)


# The leader's unit view -------------------------------------------------------------------------------------------


@page
def cycle_unit(request, pk, code):
    actor = request.user
    cycle = selectors.cycle_detail(actor=actor, pk=pk)
    unit = areas_visible(actor=actor).filter(code=code, level__is_unit=True).first()
    if unit is None or not unit.path.startswith(cycle.program.area.path) or not can(actor, VIEW, unit):
        raise NotVisible(f"unit {code} not found")
    rows = list(selectors.entitlements_of(actor=actor, cycle=cycle, unit=unit).select_related("household__head"))
    left_out = sum(1 for row in rows if not wording.concerns(row, cycle.program))
    rows = [row for row in rows if wording.concerns(row, cycle.program)]
    explained = [(row, explain.explain(cycle, row)) for row in rows]
    households = []
    for row, explanation in explained:
        households.append(
            {
                "entitlement": row,
                "household": row.household,
                "explanation": explanation,
                "conditions": wording.condition_rows(cycle, explanation.conditions),
                "missing": [
                    {"text": wording.missing_text(cycle, condition), "link": wording.stamp_link(condition, unit.code)}
                    for condition in explanation.missing
                ],
            }
        )
    # Who still needs help first, then the others, each by household number.
    households.sort(key=lambda item: (item["entitlement"].eligible, item["household"].number))
    entitled = sum(1 for row in rows if row.eligible)
    context = {
        "cycle": cycle,
        "program": cycle.program,
        "unit": unit,
        "sentence": wording.cycle_sentence(cycle),
        "households": households,
        "entitled": entitled,
        "denied": len(rows) - entitled,
        "left_out": left_out,
        "computed": cycle.status not in (Cycle.Status.DRAFT, Cycle.Status.GENERATING),
        "preliminary": cycle.status == Cycle.Status.GENERATED,
        "office_view": can(actor, VIEW, cycle.program.area),
        "today": timezone.localdate(),
    }
    return render(request, "entitlements/cycle_unit.html", context)
